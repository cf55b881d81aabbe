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

/// `[desk]`. The address, the inbound listener and the key are accepted and checked for
/// form now; the desk's mail and credentials (later parts of issue 13) use them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct Desk {
    /// `From:` of desk e-mail; the inbound address.
    #[serde(default)]
    pub address: Option<String>,
    /// The SMTP listener the provider's MTA relays support mail to.
    #[serde(default)]
    pub inbound: Option<SocketAddr>,
    /// The key for credentials at rest.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// Business calendars by id (`[desk.calendars.office]`).
    #[serde(default)]
    pub calendars: std::collections::BTreeMap<String, CalendarConfig>,
    /// Support tiers, the first the default (`[[desk.tiers]]`).
    #[serde(default)]
    pub tiers: Vec<TierConfig>,
}

/// `[desk.calendars.ID]`: opening hours per weekday in a zone, and holidays.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    /// IANA zone.
    #[serde(deserialize_with = "zone")]
    pub time_zone: jiff::tz::TimeZone,
    #[serde(default)]
    mon: Vec<String>,
    #[serde(default)]
    tue: Vec<String>,
    #[serde(default)]
    wed: Vec<String>,
    #[serde(default)]
    thu: Vec<String>,
    #[serde(default)]
    fri: Vec<String>,
    #[serde(default)]
    sat: Vec<String>,
    #[serde(default)]
    sun: Vec<String>,
    /// Closed all day (`YYYY-MM-DD`, in the calendar's zone).
    #[serde(default)]
    pub holidays: Vec<String>,
}

/// `[[desk.tiers]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierConfig {
    /// The inventory's `customers[].tier`.
    pub id: String,
    /// A calendar id, or `24x7`.
    pub calendar: String,
    /// Targets in counted time.
    #[serde(deserialize_with = "duration")]
    pub first_response: Duration,
    #[serde(deserialize_with = "duration")]
    pub next_response: Duration,
    #[serde(deserialize_with = "duration")]
    pub resolution: Duration,
}

impl Desk {
    /// Every tier with its calendar and targets, in order (the first is the default), checked.
    pub fn tiers(&self) -> anyhow::Result<Vec<(String, tocsin_model::ticket_clock::Targets)>> {
        use tocsin_model::calendar::{Calendar, Hours};
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        if let Some(a) = &self.address {
            if !a.contains('@') || a.trim() != a {
                bail!("[desk] address: `{a}` is not an e-mail address");
            }
        }
        let mut out: Vec<(String, tocsin_model::ticket_clock::Targets)> = Vec::new();
        for (i, t) in self.tiers.iter().enumerate() {
            let what = format!("[[desk.tiers]] #{} (`{}`)", i + 1, t.id);
            if t.id.trim().is_empty() {
                bail!("{what}: id is empty");
            }
            if out.iter().any(|(id, _)| *id == t.id) {
                bail!("{what}: id `{}` is used twice", t.id);
            }
            let calendar = if t.calendar == "24x7" {
                Calendar::Always
            } else {
                let Some(c) = self.calendars.get(&t.calendar) else {
                    bail!(
                        "{what}: calendar `{}` is neither 24x7 nor one of [desk.calendars]",
                        t.calendar
                    );
                };
                fn day(v: &[String]) -> Vec<&str> {
                    v.iter().map(String::as_str).collect()
                }
                let week = [
                    day(&c.mon),
                    day(&c.tue),
                    day(&c.wed),
                    day(&c.thu),
                    day(&c.fri),
                    day(&c.sat),
                    day(&c.sun),
                ];
                let holidays: Vec<&str> = c.holidays.iter().map(String::as_str).collect();
                let hours = Hours::parse(
                    c.time_zone.clone(),
                    [
                        &week[0], &week[1], &week[2], &week[3], &week[4], &week[5], &week[6],
                    ],
                    &holidays,
                )
                .map_err(|e| anyhow::anyhow!("[desk.calendars.{}]: {e}", t.calendar))?;
                Calendar::Hours(hours)
            };
            out.push((
                t.id.clone(),
                tocsin_model::ticket_clock::Targets {
                    calendar,
                    first_response_ms: ms(t.first_response),
                    next_response_ms: ms(t.next_response),
                    resolution_ms: ms(t.resolution),
                },
            ));
        }
        Ok(out)
    }
}

/// `[sla]`: the provider's time zone, and how months of service turn into credits
/// (`shared/spec/sla.md`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sla {
    /// The provider's IANA time zone (`Europe/Prague`): months, maintenance notices and
    /// drill schedules follow its civil time, daylight saving included. Default UTC.
    #[serde(default = "utc", deserialize_with = "zone")]
    pub time_zone: jiff::tz::TimeZone,
    /// The provider's country (ISO 3166-1 alpha-2), for VAT. Default CZ.
    #[serde(default = "default_country")]
    pub country: String,
    /// Days after the month's end in which the customer chooses. Default 30.
    #[serde(default = "default_claim_days")]
    pub claim_days: u32,
    /// Credits up to this percent of the month's price need no staff approval. Default 30.
    #[serde(default = "default_auto_approve")]
    pub auto_approve_percent: toml::Value,
    /// Maintenance counts as announced when planned at least this long before it starts.
    #[serde(default = "default_notice", deserialize_with = "duration")]
    pub maintenance_notice: Duration,
    /// VAT percent by country; default the EU table of seed 003.
    #[serde(default)]
    pub vat: Option<toml::Table>,
    /// The forms of compensation, in the order offered.
    #[serde(default)]
    pub offers: Option<Vec<OfferConfig>>,
    /// Where approved credits are POSTed for billing, signed like customers' webhooks.
    #[serde(default)]
    pub billing_webhook: Option<String>,
    /// The HMAC-SHA256 secret of those POSTs.
    #[serde(default)]
    pub billing_secret: Option<Secret>,
}

/// `[[sla.offers]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfferConfig {
    /// Its id, unique.
    pub id: String,
    /// `account_credit` or `service_days`.
    pub kind: String,
    /// Worth this many times the credit (default 1).
    #[serde(default)]
    pub multiplier: Option<toml::Value>,
}

impl Default for Sla {
    fn default() -> Self {
        Sla {
            time_zone: utc(),
            country: default_country(),
            claim_days: default_claim_days(),
            auto_approve_percent: default_auto_approve(),
            maintenance_notice: default_notice(),
            vat: None,
            offers: None,
            billing_webhook: None,
            billing_secret: None,
        }
    }
}

fn default_country() -> String {
    "CZ".to_owned()
}

fn default_claim_days() -> u32 {
    30
}

fn default_auto_approve() -> toml::Value {
    toml::Value::Integer(30)
}

fn default_notice() -> Duration {
    Duration::from_secs(86_400)
}

/// A TOML number or string read exactly as a decimal.
fn decimal(value: &toml::Value, what: &str) -> anyhow::Result<tocsin_model::sla::Decimal> {
    use std::str::FromStr;
    let text = match value {
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::String(s) => s.clone(),
        other => bail!("{what}: `{other}` is not a number"),
    };
    tocsin_model::sla::Decimal::from_str(text.trim())
        .map_err(|_| anyhow::anyhow!("{what}: `{text}` is not a number"))
}

/// `text` as an ISO 3166-1 alpha-2 code.
fn country(text: &str, what: &str) -> anyhow::Result<[u8; 2]> {
    match text.as_bytes() {
        &[a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Ok([a, b]),
        _ => bail!("{what}: `{text}` is not a country code such as CZ (ISO 3166-1 alpha-2)"),
    }
}

impl Sla {
    /// The running system's view of this section, checked.
    pub fn to_policy(&self) -> anyhow::Result<tocsin_app::sla::SlaPolicy> {
        use tocsin_app::sla::{BillingHook, Offer, OfferKind, SlaPolicy};
        use tocsin_model::sla::Decimal;
        let hundred = Decimal::ONE_HUNDRED;
        let auto = decimal(&self.auto_approve_percent, "[sla] auto_approve_percent")?;
        if auto < Decimal::ZERO || auto > hundred {
            bail!("[sla] auto_approve_percent: {auto} is not between 0 and 100");
        }
        let vat = match &self.vat {
            None => tocsin_app::sla::eu_vat(),
            Some(table) => {
                let mut out = Vec::new();
                for (code, rate) in table {
                    let what = format!("[sla.vat] {code}");
                    let c = country(code, &what)?;
                    let r = decimal(rate, &what)?;
                    if r < Decimal::ZERO || r > hundred {
                        bail!("{what}: {r} is not between 0 and 100");
                    }
                    out.push((c, r));
                }
                out
            }
        };
        let offers = match &self.offers {
            None => SlaPolicy::default().offers,
            Some(list) => {
                let mut out: Vec<Offer> = Vec::new();
                for (i, o) in list.iter().enumerate() {
                    let what = format!("[[sla.offers]] #{} (`{}`)", i + 1, o.id);
                    if o.id.trim().is_empty() {
                        bail!("{what}: id is empty");
                    }
                    if out.iter().any(|p| p.id == o.id) {
                        bail!("{what}: id `{}` is used twice", o.id);
                    }
                    let Some(kind) = OfferKind::parse(&o.kind) else {
                        bail!(
                            "{what}: kind `{}` is not account_credit or service_days",
                            o.kind
                        );
                    };
                    let multiplier = match &o.multiplier {
                        Some(m) => decimal(m, &format!("{what} multiplier"))?,
                        None => Decimal::ONE,
                    };
                    if multiplier <= Decimal::ZERO {
                        bail!("{what}: multiplier {multiplier} is not positive");
                    }
                    out.push(Offer {
                        id: o.id.clone(),
                        kind,
                        multiplier,
                    });
                }
                if out.is_empty() {
                    bail!("[sla] offers: at least one form of compensation is needed");
                }
                out
            }
        };
        let billing = match (&self.billing_webhook, &self.billing_secret) {
            (None, None) => None,
            (Some(url), Some(secret)) => {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    bail!("[sla] billing_webhook: `{url}` is not an http:// or https:// URL");
                }
                Some(BillingHook {
                    url: url.clone(),
                    secret: secret.0.clone(),
                })
            }
            (Some(_), None) => bail!("[sla] billing_webhook needs billing_secret"),
            (None, Some(_)) => bail!("[sla] billing_secret is set but billing_webhook is not"),
        };
        let notice = i64::try_from(self.maintenance_notice.as_millis()).unwrap_or(i64::MAX);
        Ok(SlaPolicy {
            time_zone: self.time_zone.clone(),
            country: country(&self.country, "[sla] country")?,
            claim_days: i64::from(self.claim_days),
            auto_approve_percent: auto,
            maintenance_notice_ms: notice,
            vat,
            offers,
            billing,
        })
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
        if let Err(e) = config.sla.to_policy() {
            bail!("{}: {e}", path.display());
        }
        if let Err(e) = config.desk.tiers() {
            bail!("{}: {e}", path.display());
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
