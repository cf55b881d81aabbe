//! What a queued notice renders from: the payload written into its outbox row.

use serde::{Deserialize, Serialize};

/// What a queued notice renders from, fixed when it is queued.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Payload {
    /// Headline of the incident.
    pub title: String,
    /// The customer's display name.
    pub customer_name: String,
    /// The customer's affected services.
    pub services: Vec<PayloadService>,
    /// Staff's text of a broadcast (whose subject is `title`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
    /// Customers at risk, in a staff notice of lost redundancy.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub at_risk: u64,
    /// A maintenance window's times, as its notices state them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<PayloadWindow>,
    /// An SLA credit offered (credit notices only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<PayloadCredit>,
}

/// An SLA credit in its notice (see [`tocsin_notify::CreditLines`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PayloadCredit {
    /// The credit's id (the store writes it in when the credit is made).
    pub id: String,
    /// Service id.
    pub service_id: String,
    /// Its display name.
    pub service_name: String,
    /// `YYYY-MM`.
    pub month: String,
    /// Counted downtime, s.
    pub down_seconds: i64,
    /// `99.8123 %`.
    pub availability: String,
    /// `99.9 %`.
    pub sla: String,
    /// Amounts.
    pub net: String,
    /// VAT.
    pub vat: String,
    /// Gross.
    pub gross: String,
    /// ISO 4217.
    pub currency: String,
    /// No VAT charged.
    pub reverse_charge: bool,
    /// The deadline, ms.
    pub deadline_ms: i64,
    /// (id, kind, value), in order.
    pub offers: Vec<(String, String, String)>,
}

/// A maintenance window's times in a notice (see [`tocsin_notify::WindowTimes`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PayloadWindow {
    /// In UTC.
    pub utc: String,
    /// In the provider's zone; empty when that is UTC.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub local: String,
    /// The times before a move, in UTC.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub previous: String,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// One service in a notice.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PayloadService {
    /// Service id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Start of the (last) outage, ms.
    pub down_since_ms: i64,
    /// End of it, ms; with `down_since_ms` it spans the total down time in the incident.
    pub back_up_ms: Option<i64>,
}
