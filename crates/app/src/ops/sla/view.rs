//! The SLA's wire shapes: the month's report as `GET /api/v1/sla` answers it, and credits as
//! customers and staff read them.

use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use tocsin_model::inventory::NONE;
use tocsin_model::sla::{minor_digits, Currency, Decimal};
use tocsin_model::time::rfc3339;
use tocsin_model::Inventory;
use tocsin_store::Credit;

use crate::sla::{Account, SlaPolicy};

/// A credit's amounts in a report (`credit` of `GET /api/v1/sla`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CreditAmounts {
    /// Percent of the month's price.
    pub percent: f64,
    /// Net, in minor units (`"1.20"`).
    pub net: String,
    /// VAT percent applied.
    pub vat_rate: f64,
    /// Whether the customer accounts for the VAT.
    pub reverse_charge: bool,
    /// VAT.
    pub vat: String,
    /// Net plus VAT.
    pub gross: String,
    /// ISO 4217.
    pub currency: String,
}

/// One service's month in a report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SlaLine {
    /// Service id.
    pub service: String,
    /// Customer id.
    pub customer: String,
    /// Plan id.
    pub plan: String,
    /// The month's length, s.
    pub month_seconds: i64,
    /// Counted downtime after exclusions, s.
    pub down_seconds: i64,
    /// Downtime left out as announced maintenance, s.
    pub excluded_seconds: i64,
    /// Percent, four decimals.
    pub availability: f64,
    /// The plan's promise, percent.
    pub sla: f64,
    /// What the month earns.
    pub credit: Option<CreditAmounts>,
    /// The counted down intervals within the month, `[start, end]` in RFC 3339 (not in the
    /// staff report's contract; the client area shows them).
    #[serde(skip)]
    pub down: Vec<(i64, i64)>,
}

/// `GET /api/v1/sla`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SlaReport {
    /// `YYYY-MM`.
    pub month: String,
    /// `[sla] time_zone`.
    pub time_zone: String,
    /// The month has ended.
    #[serde(rename = "final")]
    pub final_: bool,
    /// Every service with a plan (of the customer, for a customer), by id.
    pub services: Vec<SlaLine>,
}

/// An offer of a credit, with what it is worth.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct OfferValue {
    /// The offer's id.
    pub id: String,
    /// `account_credit` or `service_days`.
    pub kind: String,
    /// An amount (`"1.45"`) or a number of days.
    pub value: serde_json::Value,
}

/// A credit as customers and staff read it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CreditView {
    /// Id.
    pub id: i64,
    /// Service id.
    pub service: String,
    /// Customer id.
    pub customer: String,
    /// `YYYY-MM`.
    pub month: String,
    /// Percent of the month's price.
    pub percent: f64,
    /// Amounts.
    pub net: String,
    /// VAT.
    pub vat: String,
    /// Gross.
    pub gross: String,
    /// ISO 4217.
    pub currency: String,
    /// VAT percent.
    pub vat_rate: f64,
    /// Reverse charge.
    pub reverse_charge: bool,
    /// Downtime counted, s.
    pub down_seconds: i64,
    /// RFC 3339.
    pub deadline: String,
    /// `offered`, `chosen`, `approved`, `rejected`, `expired`.
    pub status: String,
    /// What the customer may choose, in order.
    pub offers: Vec<OfferValue>,
    /// The offer chosen (or applied at the deadline).
    pub choice: Option<String>,
    /// Whether a shift lead decides.
    pub needs_approval: bool,
    /// Staff's reason.
    pub reason: Option<String>,
    /// Who decided.
    pub decided_by: Option<String>,
}

pub(super) fn amount_text(minor: i64, currency: &str) -> String {
    let digits = Currency::from_code(currency).map_or(2, minor_digits);
    Decimal::new(minor, digits).to_string()
}

fn number(text: &str) -> f64 {
    Decimal::from_str(text)
        .ok()
        .and_then(|d| d.to_f64())
        .unwrap_or(0.0)
}

/// A stored credit as read.
pub fn credit_view(c: &Credit) -> CreditView {
    let n = &c.credit;
    CreditView {
        id: c.id,
        service: n.service.clone(),
        customer: n.customer.clone(),
        month: n.month.clone(),
        percent: number(&n.percent),
        net: amount_text(n.net_minor, &n.currency),
        vat: amount_text(n.vat_minor, &n.currency),
        gross: amount_text(n.gross_minor, &n.currency),
        currency: n.currency.clone(),
        vat_rate: number(&n.vat_rate),
        reverse_charge: n.reverse_charge,
        down_seconds: n.down_seconds,
        deadline: rfc3339(n.deadline_ms),
        status: c.status.clone(),
        offers: serde_json::from_str(&n.offers).unwrap_or_default(),
        choice: c.choice.clone(),
        needs_approval: n.needs_approval,
        reason: c.reason.clone(),
        decided_by: c.decided_by.clone(),
    }
}

pub(super) fn to_minor(amount: Decimal, currency: Currency) -> i64 {
    let digits = minor_digits(currency);
    (amount * Decimal::from(10i64.pow(digits)))
        .trunc()
        .to_i64()
        .unwrap_or(i64::MAX)
}

fn dec_f64(d: Decimal) -> f64 {
    d.normalize().to_f64().unwrap_or(0.0)
}

/// The report of `account` against `inventory`, of `customer`'s services only when given.
pub fn report(
    inventory: &Inventory,
    policy: &SlaPolicy,
    account: &Account,
    customer: Option<&str>,
) -> SlaReport {
    let customer_no = customer.map(|c| inventory.customer_ids.find(c).unwrap_or(NONE));
    let services = account
        .lines(inventory, policy)
        .filter_map(|l| {
            let s = inventory.service_of(l.vertex)?;
            if customer_no.is_some_and(|c| c != s.customer) {
                return None;
            }
            let plan = &inventory.plans[l.plan as usize];
            Some(SlaLine {
                service: inventory.graph.name(l.vertex).to_owned(),
                customer: if s.customer == NONE {
                    String::new()
                } else {
                    inventory.customer_id(s.customer).to_owned()
                },
                plan: plan.id.to_string(),
                month_seconds: l.month_s,
                down_seconds: l.down_s,
                excluded_seconds: l.excluded_s,
                availability: dec_f64(l.availability),
                sla: dec_f64(plan.sla),
                credit: l.credit.map(|a| CreditAmounts {
                    percent: dec_f64(a.percent.round_dp_with_strategy(
                        4,
                        rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                    )),
                    net: a.net.to_string(),
                    vat_rate: dec_f64(a.vat_rule.rate),
                    reverse_charge: a.vat_rule.reverse_charge,
                    vat: a.vat.to_string(),
                    gross: a.gross.to_string(),
                    currency: plan.currency.code().to_owned(),
                }),
                down: l.down,
            })
        })
        .collect();
    SlaReport {
        month: account.month.to_string(),
        time_zone: policy.time_zone.iana_name().unwrap_or("UTC").to_owned(),
        final_: account.final_,
        services,
    }
}
