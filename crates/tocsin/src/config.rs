//! Configuration: one TOML file (`shared/spec/server.md`), every key overridable by a
//! `TOCSIN_<KEY>` environment variable (`TOCSIN_SMTP_HOST` for `[smtp] host`). Unknown keys
//! are errors; secrets never show in `Debug`.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Deserialize;

/// A value that must not be printed.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Smtp {
    /// The notify crate's view of this section.
    pub fn to_notify(&self) -> tocsin_notify::SmtpConfig {
        let mut c = tocsin_notify::SmtpConfig::new(self.host.clone(), self.port);
        c.tls = match self.tls {
            Tls::None => tocsin_notify::Tls::None,
            Tls::Starttls => tocsin_notify::Tls::StartTls,
            Tls::Tls => tocsin_notify::Tls::Tls,
        };
        c.username = self.username.clone();
        c.password = self
            .password
            .as_ref()
            .map(|p| tocsin_notify::Secret::new(p.0.clone()));
        c
    }
}

/// The whole configuration.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where to listen: every route.
    pub listen: SocketAddr,
    /// Where to serve only the public face (status page, client area, login), when the
    /// internet must reach those but not the alert endpoints, staff API or console.
    #[serde(default)]
    pub listen_public: Option<SocketAddr>,
    /// `sqlite://PATH` or `postgres://…`.
    pub database: String,
    /// The inventory file or directory.
    pub inventory: PathBuf,
    /// Public URL of the status page.
    #[serde(default)]
    pub public_url: Option<String>,
    /// The small-object archive's directory.
    #[serde(default)]
    pub archive: Option<PathBuf>,
    /// Outgoing mail.
    #[serde(default)]
    pub smtp: Option<Smtp>,
    /// Notification policy.
    #[serde(default)]
    pub notify: Notify,
    /// Who may post alerts.
    #[serde(default)]
    pub alerts: Alerts,
    /// Reverse proxies (addresses or `ADDRESS/PREFIX`) whose `X-Forwarded-For` names the
    /// client, for the login rate limit and the audit trail. In the environment, a TOML list
    /// or entries separated by commas.
    #[serde(default, deserialize_with = "proxies")]
    pub trusted_proxies: tocsin_web::auth::TrustedProxies,
    /// Service levels: the provider's time zone.
    #[serde(default)]
    pub sla: Sla,
    /// The directory of Markdown runbooks `tocsin runbooks export` prints.
    #[serde(default)]
    pub runbooks: Option<PathBuf>,
}

/// `[sla]`: what the provider's times are measured in.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    /// The provider's IANA time zone (`Europe/Prague`): months, maintenance notices and
    /// drill schedules follow its civil time, daylight saving included. Default UTC.
    #[serde(default = "utc", deserialize_with = "zone")]
    pub time_zone: jiff::tz::TimeZone,
}

impl Default for Sla {
    fn default() -> Self {
        Sla { time_zone: utc() }
    }
}

fn utc() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::UTC
}

fn zone<'de, D: serde::Deserializer<'de>>(d: D) -> Result<jiff::tz::TimeZone, D::Error> {
    let name = String::deserialize(d)?;
    jiff::tz::TimeZone::get(&name).map_err(|e| {
        serde::de::Error::custom(format!(
            "time_zone: `{name}` is not an IANA time zone such as Europe/Prague: {e}"
        ))
    })
}

fn proxies<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<tocsin_web::auth::TrustedProxies, D::Error> {
    let list = one_or_many(d)?;
    tocsin_web::auth::TrustedProxies::parse(&list).map_err(serde::de::Error::custom)
}

/// A TOML list of strings, or one string of entries separated by commas (environment).
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let list = entries(d)?;
    Ok(list.into_iter().filter(|a| !a.is_empty()).collect())
}

/// Like [`one_or_many`], but keeping empty entries, for lists where one is a mistake.
fn entries<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        Many(Vec<String>),
        One(String),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::Many(list) => list,
        OneOrMany::One(text) => text.split(',').map(|s| s.trim().to_owned()).collect(),
    })
}

/// `[alerts]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alerts {
    /// Tokens monitoring must present on the alert endpoints (bearer, or the password of
    /// basic auth), kept only as digests. None (the default): the endpoints are open, as the
    /// server contract has them. In the environment, a TOML list or tokens separated by
    /// commas; an empty entry is an error, not "no tokens", so that a variable left empty by
    /// mistake never opens the endpoints the file closes (`[]` opens them on purpose).
    #[serde(default, deserialize_with = "alert_tokens")]
    pub tokens: tocsin_web::AlertTokens,
}

fn alert_tokens<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<tocsin_web::AlertTokens, D::Error> {
    let list = entries(d)?;
    tocsin_web::AlertTokens::parse(&list)
        .map_err(|e| serde::de::Error::custom(format!("[alerts] {e}")))
}

/// `[smtp]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    /// Server host.
    pub host: String,
    /// Server port.
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// `none`, `starttls` or `tls`.
    #[serde(default = "default_tls")]
    pub tls: Tls,
    /// The From header.
    pub from: String,
    /// Login, if the server wants one.
    #[serde(default)]
    pub username: Option<String>,
    /// Password for `username`.
    #[serde(default)]
    pub password: Option<Secret>,
}

/// How to talk TLS to the SMTP server.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[allow(clippy::enum_variant_names)] // the spec's own words: none | starttls | tls
pub enum Tls {
    /// Plain SMTP.
    None,
    /// Upgrade with STARTTLS.
    Starttls,
    /// TLS from the first byte.
    Tls,
}

fn default_smtp_port() -> u16 {
    25
}

fn default_tls() -> Tls {
    Tls::None
}

/// `[notify]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notify {
    /// How long a service must stay down before customers are told.
    #[serde(default = "default_hold_down", deserialize_with = "duration")]
    pub hold_down: Duration,
    /// Broadcast (mass mail) notices sent per second at most.
    #[serde(default = "default_broadcast_per_second")]
    pub broadcast_per_second: u32,
    /// Staff addresses told when services lose redundancy; customers never are. In the
    /// environment, a TOML list or addresses separated by commas.
    #[serde(default, deserialize_with = "addresses")]
    pub staff: Vec<String>,
    /// Customers' own webhooks may point at loopback, private, link-local and other reserved
    /// addresses (tests, closed setups); off by default, so that a customer cannot make the
    /// server send requests into the provider's network.
    #[serde(default)]
    pub allow_private_webhooks: bool,
}

impl Default for Notify {
    fn default() -> Self {
        Notify {
            hold_down: default_hold_down(),
            broadcast_per_second: default_broadcast_per_second(),
            staff: Vec::new(),
            allow_private_webhooks: false,
        }
    }
}

fn default_broadcast_per_second() -> u32 {
    50
}

fn addresses<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let list = one_or_many(d)?;
    if let Some(bad) = list.iter().find(|a| !a.contains('@')) {
        return Err(serde::de::Error::custom(format!(
            "staff: `{bad}` is not an e-mail address"
        )));
    }
    Ok(list)
}

fn default_hold_down() -> Duration {
    Duration::from_secs(60)
}

fn duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    humantime::parse_duration(&text).map_err(|e| {
        serde::de::Error::custom(format!("`{text}` is not a duration such as 60s: {e}"))
    })
}

impl Config {
    /// Reads `path`, applies `TOCSIN_*` variables from `env`, and resolves relative paths
    /// against the file's directory.
    pub fn load(
        path: &Path,
        env: impl Iterator<Item = (String, String)>,
    ) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read configuration {}", path.display()))?;
        let mut table: toml::Table =
            toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        overlay(&mut table, env)?;
        let mut config: Config = toml::Value::Table(table)
            .try_into()
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.inventory = base.join(&config.inventory);
        if let Some(a) = &config.archive {
            config.archive = Some(base.join(a));
        }
        if let Some(r) = &config.runbooks {
            let dir = base.join(r);
            // Checked here so that a typo shows when the server starts, not during an outage.
            if !dir.is_dir() {
                bail!(
                    "{}: runbooks: `{}` is not a directory",
                    path.display(),
                    dir.display()
                );
            }
            config.runbooks = Some(dir);
        }
        Ok(config)
    }
}

const SECTIONS: &[&str] = &["smtp", "notify", "alerts", "sla"];

/// Variables taken as written unless they hold a TOML list.
const VERBATIM: &[&str] = &["alerts_tokens"];

/// Applies `TOCSIN_KEY` and `TOCSIN_SECTION_KEY` variables over the file's values. A value is
/// read as TOML when it parses as one (`25`, `true`), else as a string.
fn overlay(
    table: &mut toml::Table,
    env: impl Iterator<Item = (String, String)>,
) -> anyhow::Result<()> {
    for (name, raw) in env {
        let Some(key) = name.strip_prefix("TOCSIN_") else {
            continue;
        };
        let key = key.to_ascii_lowercase();
        // Not configuration: test harness settings, the log filter, `tocsin users`' password.
        if key.starts_with("test_") || key == "log" || key == "password" {
            continue;
        }
        let value = match toml::from_str::<toml::Table>(&format!("v = {raw}")) {
            Ok(mut t) => t.remove("v").unwrap_or(toml::Value::String(raw.clone())),
            Err(_) => toml::Value::String(raw.clone()),
        };
        // A token of digits is a token, not a number: only a TOML list is read as TOML.
        let value = if VERBATIM.contains(&key.as_str()) && !value.is_array() {
            toml::Value::String(raw.clone())
        } else {
            value
        };
        let section = SECTIONS.iter().find(|s| key.starts_with(&format!("{s}_")));
        match section {
            Some(s) => {
                let entry = table
                    .entry(s.to_string())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                let Some(sub) = entry.as_table_mut() else {
                    bail!("{name}: `[{s}]` in the file is not a table");
                };
                sub.insert(key[s.len() + 1..].to_owned(), value);
            }
            None => {
                table.insert(key, value);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tocsin.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    const BASE: &str = "listen = \"127.0.0.1:8080\"\ndatabase = \"sqlite:///tmp/x.db\"\ninventory = \"inv.yaml\"\n[smtp]\nhost = \"127.0.0.1\"\nfrom = \"Status <s@example.net>\"\npassword = \"hunter2\"\n[notify]\nhold_down = \"90s\"\n";

    #[test]
    fn file_and_environment_combine() {
        let (dir, path) = write(BASE);
        let env = vec![
            ("TOCSIN_SMTP_PORT".to_owned(), "2525".to_owned()),
            ("TOCSIN_NOTIFY_HOLD_DOWN".to_owned(), "0s".to_owned()),
            ("TOCSIN_LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
            ("PATH".to_owned(), "/bin".to_owned()),
        ];
        let c = Config::load(&path, env.into_iter()).unwrap();
        assert_eq!(c.listen.port(), 0);
        let smtp = c.smtp.as_ref().unwrap();
        assert_eq!(smtp.port, 2525);
        assert_eq!(smtp.tls, Tls::None);
        assert_eq!(c.notify.hold_down, Duration::ZERO);
        assert_eq!(c.notify.broadcast_per_second, 50);
        assert!(c.notify.staff.is_empty());
        assert!(!c.notify.allow_private_webhooks, "off unless asked for");
        assert_eq!(c.inventory, dir.path().join("inv.yaml"));
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn the_providers_time_zone_is_utc_unless_named_and_checked() {
        let (_d, path) = write(BASE);
        let c = Config::load(&path, std::iter::empty()).unwrap();
        assert_eq!(c.sla.time_zone.iana_name(), Some("UTC"));
        let (_d, path) = write(&format!("{BASE}[sla]\ntime_zone = \"Europe/Prague\"\n"));
        let c = Config::load(&path, std::iter::empty()).unwrap();
        assert_eq!(c.sla.time_zone.iana_name(), Some("Europe/Prague"));
        let env = vec![(
            "TOCSIN_SLA_TIME_ZONE".to_owned(),
            "Europe/Warsaw".to_owned(),
        )];
        let c = Config::load(&path, env.into_iter()).unwrap();
        assert_eq!(c.sla.time_zone.iana_name(), Some("Europe/Warsaw"));
        let env = vec![(
            "TOCSIN_SLA_TIME_ZONE".to_owned(),
            "Europe/Atlantis".to_owned(),
        )];
        let e = Config::load(&path, env.into_iter())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("time_zone") && e.contains("Europe/Atlantis"),
            "{e}"
        );
    }

    #[test]
    fn runbooks_are_resolved_against_the_file_and_a_missing_directory_is_named() {
        let (dir, path) = write(BASE);
        let c = Config::load(&path, std::iter::empty()).unwrap();
        assert_eq!(c.runbooks, None, "optional");
        std::fs::create_dir(dir.path().join("books")).unwrap();
        let (_d, path) = write(&format!("runbooks = \"books\"\n{BASE}"));
        let e = Config::load(&path, std::iter::empty())
            .unwrap_err()
            .to_string();
        assert!(e.contains("runbooks") && e.contains("books"), "{e}");
        let path = dir.path().join("tocsin.toml");
        std::fs::write(&path, format!("runbooks = \"books\"\n{BASE}")).unwrap();
        let c = Config::load(&path, std::iter::empty()).unwrap();
        assert_eq!(c.runbooks, Some(dir.path().join("books")));
        let env = vec![("TOCSIN_RUNBOOKS".to_owned(), "elsewhere".to_owned())];
        let e = Config::load(&path, env.into_iter())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("elsewhere") && e.contains("not a directory"),
            "{e}"
        );
    }

    #[test]
    fn trusted_proxies_from_file_and_environment_and_named_when_wrong() {
        let (_d, path) = write(&format!(
            "trusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]\n{BASE}"
        ));
        let c = Config::load(&path, std::iter::empty()).unwrap();
        assert!(c.trusted_proxies.contains("10.2.3.4".parse().unwrap()));
        let env = vec![(
            "TOCSIN_TRUSTED_PROXIES".to_owned(),
            "::1, 192.168.0.0/16".to_owned(),
        )];
        let c = Config::load(&path, env.into_iter()).unwrap();
        assert!(c.trusted_proxies.contains("192.168.7.7".parse().unwrap()));
        assert!(!c.trusted_proxies.contains("10.2.3.4".parse().unwrap()));
        let (_d, path) = write(&format!("trusted_proxies = [\"proxy.lan\"]\n{BASE}"));
        let e = format!("{:#}", Config::load(&path, std::iter::empty()).unwrap_err());
        assert!(e.contains("trusted_proxies[0]: `proxy.lan`"), "{e}");
    }

    #[test]
    fn staff_and_broadcast_rate_from_file_and_environment() {
        let text = format!("{BASE}broadcast_per_second = 5\nstaff = [\"noc@provider.example\"]\n");
        let (_d, path) = write(&text);
        let c = Config::load(&path, std::iter::empty()).unwrap();
        assert_eq!(c.notify.broadcast_per_second, 5);
        assert_eq!(c.notify.staff, ["noc@provider.example"]);
        let env = vec![
            (
                "TOCSIN_NOTIFY_STAFF".to_owned(),
                "a@provider.example, b@provider.example".to_owned(),
            ),
            (
                "TOCSIN_NOTIFY_BROADCAST_PER_SECOND".to_owned(),
                "200".to_owned(),
            ),
        ];
        let c = Config::load(&path, env.into_iter()).unwrap();
        assert_eq!(c.notify.staff, ["a@provider.example", "b@provider.example"]);
        assert_eq!(c.notify.broadcast_per_second, 200);
        let env = vec![(
            "TOCSIN_NOTIFY_STAFF".to_owned(),
            "[\"x@y.example\"]".to_owned(),
        )];
        let c = Config::load(&path, env.into_iter()).unwrap();
        assert_eq!(c.notify.staff, ["x@y.example"]);
        let env = vec![("TOCSIN_NOTIFY_STAFF".to_owned(), "nobody".to_owned())];
        let err = Config::load(&path, env.into_iter())
            .unwrap_err()
            .to_string();
        assert!(err.contains("`nobody` is not an e-mail address"), "{err}");
    }

    #[test]
    fn private_webhooks_from_file_and_environment() {
        let (_d, path) = write(&format!("{BASE}allow_private_webhooks = true\n"));
        let c = Config::load(&path, std::iter::empty()).unwrap();
        assert!(c.notify.allow_private_webhooks);
        let (_d, path) = write(BASE);
        let env = vec![(
            "TOCSIN_NOTIFY_ALLOW_PRIVATE_WEBHOOKS".to_owned(),
            "true".to_owned(),
        )];
        let c = Config::load(&path, env.into_iter()).unwrap();
        assert!(c.notify.allow_private_webhooks);
        let env = vec![(
            "TOCSIN_NOTIFY_ALLOW_PRIVATE_WEBHOOKS".to_owned(),
            "yes".to_owned(),
        )];
        let err = Config::load(&path, env.into_iter())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("allow_private_webhooks") || err.contains("bool"),
            "{err}"
        );
    }

    #[test]
    fn alert_tokens_from_file_and_environment_are_never_printed() {
        let token = "alert-token-0123456789";
        let (_d, path) = write(&format!("{BASE}[alerts]\ntokens = [\"{token}\"]\n"));
        let c = Config::load(&path, std::iter::empty()).unwrap();
        assert_eq!(c.alerts.tokens.len(), 1);
        assert!(!format!("{c:?}").contains(token), "{c:?}");
        // A token of digits stays a token; commas separate several.
        let digits = "1234567890123456789";
        let env = vec![(
            "TOCSIN_ALERTS_TOKENS".to_owned(),
            format!("{token}, {digits}"),
        )];
        let c = Config::load(&path, env.into_iter()).unwrap();
        assert_eq!(c.alerts.tokens.len(), 2);
        let env = vec![("TOCSIN_ALERTS_TOKENS".to_owned(), digits.to_owned())];
        assert_eq!(
            Config::load(&path, env.into_iter())
                .unwrap()
                .alerts
                .tokens
                .len(),
            1
        );
        // `[]` opens the endpoints on purpose; no `[alerts]` leaves them open too.
        let env = vec![("TOCSIN_ALERTS_TOKENS".to_owned(), "[]".to_owned())];
        assert!(Config::load(&path, env.into_iter())
            .unwrap()
            .alerts
            .tokens
            .is_empty());
        let (_d, path) = write(BASE);
        let c = Config::load(&path, std::iter::empty()).unwrap();
        assert!(c.alerts.tokens.is_empty());
        let env = vec![("TOCSIN_ALERTS_TOKENS".to_owned(), token.to_owned())];
        assert_eq!(
            Config::load(&path, env.into_iter())
                .unwrap()
                .alerts
                .tokens
                .len(),
            1
        );
    }

    #[test]
    fn bad_alert_tokens_are_named_by_position_and_not_shown() {
        let err = |text: String, env: Vec<(String, String)>| {
            let (_d, path) = write(&text);
            format!("{:#}", Config::load(&path, env.into_iter()).unwrap_err())
        };
        let good = "alert-token-0123456789";
        let e = err(
            format!("{BASE}[alerts]\ntokens = [\"{good}\", \"\"]\n"),
            vec![],
        );
        assert!(e.contains("[alerts] tokens[1] is empty"), "{e}");
        let e = err(
            format!("{BASE}[alerts]\ntokens = [\"tiny-secret\"]\n"),
            vec![],
        );
        assert!(
            e.contains("[alerts] tokens[0] has 11 characters; an alert token needs at least 16"),
            "{e}"
        );
        assert!(!e.contains("tiny-secret"), "{e}");
        let e = err(format!("{BASE}[alerts]\ntokens = [\"{good} x\"]\n"), vec![]);
        assert!(e.contains("[alerts] tokens[0] holds a space"), "{e}");
        assert!(!e.contains(good), "{e}");
        // A variable left empty is a mistake, not "no tokens".
        let env = vec![("TOCSIN_ALERTS_TOKENS".to_owned(), String::new())];
        let e = err(format!("{BASE}[alerts]\ntokens = [\"{good}\"]\n"), env);
        assert!(e.contains("[alerts] tokens[0] is empty"), "{e}");
        let e = err(format!("{BASE}[alerts]\ntoken = \"{good}\"\n"), vec![]);
        assert!(e.contains("token"), "{e}");
    }

    #[test]
    fn listen_public_from_file_and_environment() {
        let (_d, path) = write(BASE);
        assert_eq!(
            Config::load(&path, std::iter::empty())
                .unwrap()
                .listen_public,
            None
        );
        let (_d, path) = write(&format!("listen_public = \"0.0.0.0:8443\"\n{BASE}"));
        let c = Config::load(&path, std::iter::empty()).unwrap();
        assert_eq!(c.listen_public, Some("0.0.0.0:8443".parse().unwrap()));
        let env = vec![(
            "TOCSIN_LISTEN_PUBLIC".to_owned(),
            "127.0.0.1:9443".to_owned(),
        )];
        let c = Config::load(&path, env.into_iter()).unwrap();
        assert_eq!(c.listen_public, Some("127.0.0.1:9443".parse().unwrap()));
        let env = vec![("TOCSIN_LISTEN_PUBLIC".to_owned(), "status".to_owned())];
        let e = format!("{:#}", Config::load(&path, env.into_iter()).unwrap_err());
        assert!(e.contains("listen_public"), "{e}");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        let (_d, path) = write(&format!("{BASE}colour = \"red\"\n"));
        let err = Config::load(&path, std::iter::empty())
            .unwrap_err()
            .to_string();
        assert!(err.contains("colour"), "{err}");
        let (_d, path) = write(&BASE.replace("90s", "soon"));
        let err = Config::load(&path, std::iter::empty())
            .unwrap_err()
            .to_string();
        assert!(err.contains("`soon` is not a duration"), "{err}");
    }
}
