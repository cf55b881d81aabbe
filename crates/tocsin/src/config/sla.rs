//! `[sla]`: the provider's zone and country, and how months of service turn into credits
//! (`shared/spec/sla.md`).

use std::time::Duration;

use anyhow::bail;
use serde::Deserialize;

use super::{duration, utc, zone, Secret};

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
