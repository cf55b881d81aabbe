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
    /// The support desk: its address, calendars and tiers (`shared/spec/desk.md`).
    #[serde(default)]
    pub desk: Desk,
}

mod desk;
mod sla;

pub use desk::Desk;
pub use sla::Sla;

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
        if let Err(e) = config.sla.to_policy() {
            bail!("{}: {e}", path.display());
        }
        if let Err(e) = config.desk.tiers() {
            bail!("{}: {e}", path.display());
        }
        for file in [
            &mut config.desk.inbound_certificate,
            &mut config.desk.inbound_key,
            &mut config.desk.key_file,
        ]
        .into_iter()
        .flatten()
        {
            *file = base.join(&*file);
        }
        if let Err(e) = config.desk.inbound_listener() {
            bail!("{}: {e:#}", path.display());
        }
        Ok(config)
    }
}

const SECTIONS: &[&str] = &["smtp", "notify", "alerts", "sla", "desk"];

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
mod tests;
