//! `[sla]` as the running system holds it: the provider's zone and country, the VAT table,
//! the offers, the billing hook.

use std::fmt;
use std::str::FromStr;

use jiff::tz::TimeZone;
use tocsin_model::sla::Decimal;

/// The VAT table of seed 003 (percent by ISO 3166 country), the default of `[sla.vat]`.
/// Slovenia's rate is blank in the seed; 22 % is its standard rate.
pub const EU_VAT: &[(&str, &str)] = &[
    ("AT", "20"),
    ("BE", "21"),
    ("BG", "20"),
    ("HR", "25"),
    ("CY", "19"),
    ("CZ", "21"),
    ("DK", "25"),
    ("EE", "22"),
    ("FI", "24"),
    ("FR", "20"),
    ("DE", "19"),
    ("GR", "24"),
    ("HU", "27"),
    ("IE", "23"),
    ("IT", "22"),
    ("LV", "21"),
    ("LT", "21"),
    ("LU", "17"),
    ("MT", "18"),
    ("NL", "21"),
    ("PL", "23"),
    ("PT", "23"),
    ("RO", "19"),
    ("SK", "20"),
    ("SI", "22"),
    ("ES", "21"),
    ("SE", "25"),
];

/// A form of compensation the customer may choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// Its id (`credit`).
    pub id: String,
    /// What it gives.
    pub kind: OfferKind,
    /// Worth this many times the credit.
    pub multiplier: Decimal,
}

/// The kinds of offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferKind {
    /// The credit's gross amount (× multiplier) credited to the customer's account.
    AccountCredit,
    /// Free days of the service.
    ServiceDays,
}

impl OfferKind {
    /// The contract's name.
    pub fn as_str(self) -> &'static str {
        match self {
            OfferKind::AccountCredit => "account_credit",
            OfferKind::ServiceDays => "service_days",
        }
    }

    /// The kind named `name`.
    pub fn parse(name: &str) -> Option<OfferKind> {
        match name {
            "account_credit" => Some(OfferKind::AccountCredit),
            "service_days" => Some(OfferKind::ServiceDays),
            _ => None,
        }
    }
}

/// Where approved credits are POSTed for the provider's billing, signed like customers'
/// webhooks.
#[derive(Clone)]
pub struct BillingHook {
    /// The URL.
    pub url: String,
    /// The HMAC secret.
    pub secret: String,
}

impl fmt::Debug for BillingHook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BillingHook")
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// `[sla]`: how months are cut and credits are made.
#[derive(Debug, Clone)]
pub struct SlaPolicy {
    /// Months are calendar months in this zone.
    pub time_zone: TimeZone,
    /// The provider's country, for VAT.
    pub country: [u8; 2],
    /// Days after the month's end in which the customer chooses.
    pub claim_days: i64,
    /// Credits up to this percent of the month's price need no staff approval.
    pub auto_approve_percent: Decimal,
    /// Maintenance counts as announced when planned at least this long before it starts.
    pub maintenance_notice_ms: i64,
    /// VAT percent by country.
    pub vat: Vec<([u8; 2], Decimal)>,
    /// The forms of compensation, the first applied when the customer does not choose.
    pub offers: Vec<Offer>,
    /// Approved credits go here.
    pub billing: Option<BillingHook>,
}

impl Default for SlaPolicy {
    fn default() -> Self {
        SlaPolicy {
            time_zone: TimeZone::UTC,
            country: *b"CZ",
            claim_days: 30,
            auto_approve_percent: Decimal::from(30),
            maintenance_notice_ms: 86_400_000,
            vat: eu_vat(),
            offers: vec![
                Offer {
                    id: "credit".into(),
                    kind: OfferKind::AccountCredit,
                    multiplier: Decimal::ONE,
                },
                Offer {
                    id: "extension".into(),
                    kind: OfferKind::ServiceDays,
                    multiplier: Decimal::from_str("1.5").unwrap_or(Decimal::ONE),
                },
            ],
            billing: None,
        }
    }
}

/// [`EU_VAT`] as a table.
pub fn eu_vat() -> Vec<([u8; 2], Decimal)> {
    EU_VAT
        .iter()
        .filter_map(|(c, r)| {
            let c: [u8; 2] = c.as_bytes().try_into().ok()?;
            Some((c, Decimal::from_str(r).ok()?))
        })
        .collect()
}
