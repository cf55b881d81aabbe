//! `[desk]`: the support desk's address, calendars and tiers (`shared/spec/desk.md`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use serde::Deserialize;
use tocsin_app::inbound::{rustls, InboundConfig};

use super::{duration, zone};

/// `[desk]`: the address, the inbound listener (with its certificate), the key file of the
/// secrets sealed at rest, calendars and tiers, checked at load.
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
    /// PEM certificate chain the inbound listener offers STARTTLS with (with `inbound_key`).
    #[serde(default)]
    pub inbound_certificate: Option<PathBuf>,
    /// PEM private key of `inbound_certificate`.
    #[serde(default)]
    pub inbound_key: Option<PathBuf>,
    /// The name the inbound listener greets with; the domain of `address` when not set.
    #[serde(default)]
    pub inbound_hostname: Option<String>,
    /// The largest message the inbound listener takes, in bytes (25 MiB when not set).
    #[serde(default)]
    pub inbound_max_size: Option<usize>,
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
    /// A hardware fault's replacement, in counted time (4 h when not set).
    #[serde(default, deserialize_with = "some_duration")]
    pub replacement: Option<Duration>,
}

fn some_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    duration(d).map(Some)
}

impl Desk {
    /// The desk's policy: address, tiers with their targets and replacement targets.
    pub fn policy(&self) -> anyhow::Result<tocsin_app::desk::DeskPolicy> {
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let replacements = self
            .tiers
            .iter()
            .filter_map(|t| t.replacement.map(|r| (t.id.clone(), ms(r))))
            .collect();
        Ok(
            tocsin_app::desk::DeskPolicy::new(self.address.clone(), self.tiers()?)
                .with_replacements(replacements),
        )
    }

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

/// The inbound listener's largest message unless `[desk] inbound_max_size` says otherwise.
pub const DEFAULT_INBOUND_MAX_SIZE: usize = 25 * 1024 * 1024;

impl Desk {
    /// Where the inbound SMTP listener listens and how it is set up, when `[desk] inbound`
    /// is set; reads and checks the certificate and key. Errors name the key at fault.
    pub fn inbound_listener(&self) -> anyhow::Result<Option<(SocketAddr, InboundConfig)>> {
        let tls = self.inbound_tls()?;
        let Some(at) = self.inbound else {
            if tls.is_some() {
                bail!("[desk] inbound_certificate is set but [desk] inbound is not");
            }
            return Ok(None);
        };
        let Some(address) = &self.address else {
            bail!("[desk] inbound needs [desk] address: the listener takes mail for it only");
        };
        let hostname = match &self.inbound_hostname {
            Some(h)
                if h.is_empty() || h.contains(|c: char| c.is_whitespace() || c.is_control()) =>
            {
                bail!("[desk] inbound_hostname: `{h}` is not a host name");
            }
            Some(h) => h.clone(),
            None => address
                .rsplit_once('@')
                .map(|(_, domain)| domain.to_owned())
                .unwrap_or_else(|| address.clone()),
        };
        let max_size = self.inbound_max_size.unwrap_or(DEFAULT_INBOUND_MAX_SIZE);
        if max_size < 1024 {
            bail!("[desk] inbound_max_size: {max_size} bytes is too small for any message");
        }
        let config = InboundConfig {
            address: address.clone(),
            hostname,
            max_size,
            tls,
        };
        Ok(Some((at, config)))
    }

    /// The TLS configuration of STARTTLS from `inbound_certificate` and `inbound_key`
    /// (both or neither).
    pub fn inbound_tls(&self) -> anyhow::Result<Option<Arc<rustls::ServerConfig>>> {
        match (&self.inbound_certificate, &self.inbound_key) {
            (None, None) => Ok(None),
            (Some(_), None) => bail!("[desk] inbound_certificate is set without inbound_key"),
            (None, Some(_)) => bail!("[desk] inbound_key is set without inbound_certificate"),
            (Some(cert), Some(key)) => server_config(cert, key).map(Some),
        }
    }
}

/// A rustls server configuration (ring, TLS 1.2 and 1.3) serving the chain in `cert` with
/// the key in `key`, both PEM.
fn server_config(cert: &Path, key: &Path) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let what = |key_name: &str, path: &Path| format!("[desk] {key_name} `{}`", path.display());
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| anyhow::anyhow!("{}: {e}", what("inbound_certificate", cert)))?;
    if chain.is_empty() {
        bail!(
            "{}: no certificate in it",
            what("inbound_certificate", cert)
        );
    }
    let private = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| anyhow::anyhow!("{}: {e}", what("inbound_key", key)))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .with_context(|| {
            format!(
                "{} and inbound_key `{}` do not make a TLS identity",
                what("inbound_certificate", cert),
                key.display()
            )
        })?;
    Ok(Arc::new(config))
}
