//! SLA accounting as the faces and the leader's timers use it: outages staff record, the
//! month's account (staff: every service; a customer: its own), and the credits of final
//! months — offered once with an e-mail to the customer's contacts, chosen by the customer
//! until the deadline, approved at once when small or by a shift lead, expired to their first
//! offer, each step audited, approved ones POSTed to the provider's billing.

use std::str::FromStr;

use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use serde_json::json;
use tocsin_model::inventory::NONE;
use tocsin_model::sla::{minor_digits, round_money, service_days, Currency, Decimal};
use tocsin_model::time::rfc3339;
use tocsin_model::Inventory;
use tocsin_store::{
    AnyStore, Credit, CreditChange, IncidentStore, MaintenanceStore, NewCredit, NewNotice, Outage,
    SlaStore, StoreError, CREDIT_APPROVED, CREDIT_ID_PLACEHOLDER,
};

use super::Refused;
use crate::sla::{
    account_of, span, Account, Evidence, Month, OfferKind, RecordedOutage, SlaPolicy,
};
use crate::{Action, Principal, System};

/// Outbox kinds of credit notices start with this (`sla.credit.ID.offered`).
pub const CREDIT_KIND_PREFIX: &str = "sla.credit.";
/// The outbox kind of the billing webhook of an approved credit starts with this.
pub const BILLING_KIND_PREFIX: &str = "webhook.billing.";
/// The customer field of billing webhook rows: the provider, not a customer.
pub const BILLING_CUSTOMER: &str = "";
/// The longest note on a recorded outage.
const MAX_NOTE: usize = 10_000;
/// At most this many vertices in one recorded outage.
const MAX_VERTICES: usize = 10_000;
/// The longest reason of a decision.
const MAX_REASON: usize = 2_000;

/// An outage as staff typed it: `None` where a time was not one.
#[derive(Debug, Clone, Default)]
pub struct NewOutage {
    /// Vertex ids observed down.
    pub down: Vec<String>,
    /// Vertex ids observed degraded.
    pub degraded: Vec<String>,
    /// Start, ms.
    pub start_ms: Option<i64>,
    /// End, ms.
    pub end_ms: Option<i64>,
    /// Why.
    pub note: String,
}

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

fn amount_text(minor: i64, currency: &str) -> String {
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

fn to_minor(amount: Decimal, currency: Currency) -> i64 {
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

/// Reads from `store` what the account of `month` needs, as of `now_ms`.
pub async fn evidence(
    store: &AnyStore,
    inventory: &Inventory,
    policy: &SlaPolicy,
    month: Month,
    now_ms: i64,
) -> Result<Evidence, StoreError> {
    let (from, to) = span(inventory, month, &policy.time_zone, now_ms);
    let (start, end) = month.bounds(&policy.time_zone);
    let before = store.alerts_latest_before(from).await?;
    let during = store.alerts_between(from, to).await?;
    let find = |ids: &[String]| -> Vec<u32> {
        ids.iter()
            .filter_map(|id| inventory.graph.find(id))
            .collect()
    };
    let outages = store
        .outages_between(from, to)
        .await?
        .iter()
        .map(|o| RecordedOutage {
            id: o.id,
            down: find(&o.down),
            degraded: find(&o.degraded),
            start_ms: o.start_ms,
            end_ms: o.end_ms,
        })
        .collect();
    let windows = store
        .maintenances(start)
        .await?
        .into_iter()
        .filter(|w| w.starts_ms < end)
        .collect();
    Ok(Evidence {
        before,
        during,
        outages,
        windows,
    })
}

/// The account of `month` computed from `store` against `inventory`, as of `now_ms`, of
/// customer `only`'s services when given; the replay runs on a blocking thread.
pub async fn month_account(
    store: &AnyStore,
    inventory: std::sync::Arc<Inventory>,
    policy: std::sync::Arc<SlaPolicy>,
    month: Month,
    now_ms: i64,
    only: Option<&str>,
) -> Result<Account, StoreError> {
    let only = only.map(|c| inventory.customer_ids.find(c).unwrap_or(NONE));
    let e = evidence(store, &inventory, &policy, month, now_ms).await?;
    tokio::task::spawn_blocking(move || account_of(&inventory, &policy, month, &e, now_ms, only))
        .await
        .map_err(|e| StoreError::Corrupt(format!("the SLA account failed: {e}")))
}

impl System {
    fn inventory_now(&self) -> Result<std::sync::Arc<Inventory>, Refused> {
        self.read(|live| std::sync::Arc::clone(&live.inventory))
    }

    fn month_or_now(&self, month: Option<&str>) -> Result<Month, Refused> {
        match month {
            Some(m) if !m.is_empty() => Month::parse(m).map_err(|e| Refused::invalid("month", e)),
            _ => Ok(Month::of(self.clock.now_ms(), &self.sla.time_zone)),
        }
    }

    /// The month's account of every service with a plan (staff) — `GET /api/v1/sla`.
    pub async fn sla_report(
        &self,
        who: &Principal,
        month: Option<&str>,
    ) -> Result<SlaReport, Refused> {
        who.require(Action::View)?;
        self.month_report(month, None).await
    }

    /// The same for the customer's own services — `GET /api/v1/account/sla`.
    pub async fn account_sla(
        &self,
        customer: &str,
        month: Option<&str>,
    ) -> Result<SlaReport, Refused> {
        self.month_report(month, Some(customer)).await
    }

    /// The report of `month` (the current one by default) as of now, of `customer`'s services
    /// only when given.
    async fn month_report(
        &self,
        month: Option<&str>,
        customer: Option<&str>,
    ) -> Result<SlaReport, Refused> {
        let month = self.month_or_now(month)?;
        let inventory = self.inventory_now()?;
        let a = month_account(
            &self.store,
            std::sync::Arc::clone(&inventory),
            std::sync::Arc::clone(&self.sla),
            month,
            self.clock.now_ms(),
            customer,
        )
        .await?;
        Ok(report(&inventory, &self.sla, &a, customer))
    }

    /// Records an outage monitoring missed (engineer and up); audited as `outage.record`.
    pub async fn record_outage(&self, who: &Principal, o: NewOutage) -> Result<i64, Refused> {
        who.require(Action::RecordOutage)?;
        let now = self.clock.now_ms();
        let inventory = self.inventory_now()?;
        if o.down.is_empty() && o.degraded.is_empty() {
            return Err(Refused::invalid(
                "down",
                "down: name at least one vertex observed down (or degraded)",
            ));
        }
        for (field, ids) in [("down", &o.down), ("degraded", &o.degraded)] {
            if ids.len() > MAX_VERTICES {
                return Err(Refused::invalid(
                    field,
                    format!("{field}: at most {MAX_VERTICES} vertices"),
                ));
            }
            if let Some(bad) = ids.iter().find(|id| inventory.graph.find(id).is_none()) {
                return Err(Refused::invalid(
                    field,
                    format!("{field}: `{bad}` is not a vertex of the inventory"),
                ));
            }
        }
        let start = o
            .start_ms
            .ok_or_else(|| Refused::invalid("start", "start: an RFC 3339 time is needed"))?;
        let end = o
            .end_ms
            .ok_or_else(|| Refused::invalid("end", "end: an RFC 3339 time is needed"))?;
        if end <= start {
            return Err(Refused::invalid("end", "end: must be after start"));
        }
        if end > now {
            return Err(Refused::invalid(
                "end",
                "end: is in the future; record an outage once it is over",
            ));
        }
        if o.note.chars().count() > MAX_NOTE {
            return Err(Refused::invalid(
                "note",
                format!("note: at most {MAX_NOTE} characters"),
            ));
        }
        let id = self
            .store
            .add_outage(&Outage {
                id: 0,
                down: o.down.clone(),
                degraded: o.degraded.clone(),
                start_ms: start,
                end_ms: end,
                note: o.note.clone(),
                created_by: who.login.clone(),
                created_ms: now,
            })
            .await?;
        let detail = format!(
            "down [{}] degraded [{}] {} – {}",
            o.down.join(", "),
            o.degraded.join(", "),
            rfc3339(start),
            rfc3339(end)
        );
        self.audit(who, "outage.record", &format!("outage:{id}"), &detail)
            .await;
        self.sla_wake.notify_one();
        Ok(id)
    }

    /// The outages recorded lately, newest first (staff).
    pub async fn recent_outages(&self, who: &Principal) -> Result<Vec<Outage>, Refused> {
        who.require(Action::View)?;
        Ok(self.store.recent_outages(200).await?)
    }

    /// The customer's credits, by id.
    pub async fn customer_credits(&self, customer: &str) -> Result<Vec<CreditView>, Refused> {
        let credits = self.store.credits(Some(customer), None, None).await?;
        Ok(credits.iter().map(credit_view).collect())
    }

    /// Credits, of `status` when given (staff).
    pub async fn staff_credits(
        &self,
        who: &Principal,
        status: Option<&str>,
    ) -> Result<Vec<CreditView>, Refused> {
        who.require(Action::View)?;
        if let Some(s) = status.filter(|s| !s.is_empty()) {
            if !["offered", "chosen", "approved", "rejected", "expired"].contains(&s) {
                return Err(Refused::invalid(
                    "status",
                    format!("status: `{s}` is not offered, chosen, approved, rejected or expired"),
                ));
            }
        }
        let credits = self
            .store
            .credits(None, status.filter(|s| !s.is_empty()), None)
            .await?;
        Ok(credits.iter().map(credit_view).collect())
    }

    /// The customer chooses `offer` for credit `id`; another customer's credit is not found.
    /// Audited as `credit.choose` (and `credit.approve` by `auto` when small).
    pub async fn choose_credit(
        &self,
        who: &Principal,
        id: i64,
        offer: &str,
    ) -> Result<CreditView, Refused> {
        who.require(Action::OwnCredits)?;
        let customer = who.customer.clone().unwrap_or_default();
        let Some(c) = self.store.credit(id).await? else {
            return Err(Refused::NotFound(format!("no credit {id}")));
        };
        if c.credit.customer != customer {
            return Err(Refused::NotFound(format!("no credit {id}")));
        }
        let offers: Vec<OfferValue> = serde_json::from_str(&c.credit.offers).unwrap_or_default();
        if !offers.iter().any(|o| o.id == offer) {
            let ids: Vec<&str> = offers.iter().map(|o| o.id.as_str()).collect();
            return Err(Refused::invalid(
                "offer",
                format!("offer: `{offer}` is not one of {}", ids.join(", ")),
            ));
        }
        let now = self.clock.now_ms();
        let c = match self.store.choose_credit(id, &customer, offer, now).await? {
            CreditChange::Done(c) => c,
            CreditChange::NotFound => return Err(Refused::NotFound(format!("no credit {id}"))),
            CreditChange::Conflict(c) => {
                return Err(Refused::Conflict(if c.credit.deadline_ms <= now {
                    format!("credit {id}: the deadline has passed")
                } else {
                    format!("credit {id} is {} already", c.status)
                }))
            }
        };
        self.audit(who, "credit.choose", &format!("credit:{id}"), offer)
            .await;
        if c.status == CREDIT_APPROVED {
            let auto = Principal {
                login: "auto".into(),
                role: crate::Role::Admin,
                customer: None,
            };
            self.audit(
                &auto,
                "credit.approve",
                &format!("credit:{id}"),
                "within auto_approve_percent",
            )
            .await;
            self.bill(&c).await;
        }
        Ok(credit_view(&c))
    }

    /// A shift lead approves or rejects a credit the customer chose (or let expire), with a
    /// reason; audited as `credit.approve` or `credit.reject`.
    pub async fn decide_credit(
        &self,
        who: &Principal,
        id: i64,
        approve: bool,
        reason: &str,
    ) -> Result<CreditView, Refused> {
        who.require(Action::DecideCredit)?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Refused::invalid("reason", "reason: say why"));
        }
        if reason.chars().count() > MAX_REASON {
            return Err(Refused::invalid(
                "reason",
                format!("reason: at most {MAX_REASON} characters"),
            ));
        }
        let now = self.clock.now_ms();
        let c = match self
            .store
            .decide_credit(id, approve, reason, &who.login, now)
            .await?
        {
            CreditChange::Done(c) => c,
            CreditChange::NotFound => return Err(Refused::NotFound(format!("no credit {id}"))),
            CreditChange::Conflict(c) => {
                return Err(Refused::Conflict(format!(
                    "credit {id} is {}: only a chosen or expired credit is decided",
                    c.status
                )))
            }
        };
        let action = if approve {
            "credit.approve"
        } else {
            "credit.reject"
        };
        self.audit(who, action, &format!("credit:{id}"), reason)
            .await;
        if approve {
            self.bill(&c).await;
        }
        Ok(credit_view(&c))
    }

    /// Queues the billing webhook of an approved (or applied) credit.
    async fn bill(&self, c: &Credit) {
        let Some(hook) = &self.sla.billing else {
            return;
        };
        let view = credit_view(c);
        let body = json!({
            "event": "credit.approved",
            "credit": view,
        });
        let notice = NewNotice {
            incident_id: 0,
            customer: BILLING_CUSTOMER.to_owned(),
            contact: hook.url.clone(),
            language: "en".to_owned(),
            kind: format!("{BILLING_KIND_PREFIX}credit.{}", c.id),
            payload: body.to_string(),
            created_ms: self.clock.now_ms(),
        };
        if let Err(e) = self.store.record(&[], &[notice]).await {
            tracing::error!(error = %e, credit = c.id, "billing webhook not queued");
        }
        self.outbox_wake.notify_one();
    }

    /// Offers the credits of the last month once it is final (and its longest `min_outage`
    /// past), with an e-mail to each customer's contacts, unless that month is `settled`
    /// already; answers how many were new and the month settled. Run by the leader every
    /// minute and when an outage is recorded; the store keeps one credit per service and month.
    pub(crate) async fn offer_credits(
        &self,
        settled: Option<Month>,
    ) -> Result<(usize, Option<Month>), StoreError> {
        let now = self.clock.now_ms();
        let policy = std::sync::Arc::clone(&self.sla);
        let zone = &policy.time_zone;
        let month = Month::of(now, zone).previous();
        if settled == Some(month) {
            return Ok((0, settled));
        }
        let Ok(inventory) = self.inventory_now() else {
            return Ok((0, settled));
        };
        let (_, to) = span(&inventory, month, zone, i64::MAX);
        if now < to {
            return Ok((0, settled));
        }
        let a = month_account(
            &self.store,
            std::sync::Arc::clone(&inventory),
            std::sync::Arc::clone(&policy),
            month,
            now,
            None,
        )
        .await?;
        let recipients = self.read(|live| live.incidents.recipients().clone()).ok();
        let deadline = month.end_plus_days(policy.claim_days, zone);
        let mut batch: Vec<(NewCredit, Vec<NewNotice>)> = Vec::new();
        let existing: std::collections::HashMap<String, Credit> = self
            .store
            .credits(None, None, Some(&month.to_string()))
            .await?
            .into_iter()
            .map(|c| (c.credit.service.clone(), c))
            .collect();
        let mut revise: Vec<(i64, NewCredit)> = Vec::new();
        for line in a.lines(&inventory, &policy) {
            let Some(amounts) = line.credit else {
                continue;
            };
            let service_id = inventory.graph.name(line.vertex);
            let Some(s) = inventory.service_of(line.vertex) else {
                continue;
            };
            let plan = &inventory.plans[line.plan as usize];
            let offers: Vec<OfferValue> = policy
                .offers
                .iter()
                .map(|o| OfferValue {
                    id: o.id.clone(),
                    kind: o.kind.as_str().to_owned(),
                    value: match o.kind {
                        OfferKind::AccountCredit => {
                            json!(round_money(amounts.gross * o.multiplier, plan.currency)
                                .to_string())
                        }
                        OfferKind::ServiceDays => json!(service_days(
                            amounts.net,
                            o.multiplier,
                            plan.price,
                            month.days()
                        )),
                    },
                })
                .collect();
            let customer = if s.customer == NONE {
                String::new()
            } else {
                inventory.customer_id(s.customer).to_owned()
            };
            let credit = NewCredit {
                service: service_id.to_owned(),
                customer: customer.clone(),
                month: month.to_string(),
                percent: amounts.percent.normalize().to_string(),
                net_minor: to_minor(amounts.net, plan.currency),
                vat_minor: to_minor(amounts.vat, plan.currency),
                gross_minor: to_minor(amounts.gross, plan.currency),
                currency: plan.currency.code().to_owned(),
                vat_rate: amounts.vat_rule.rate.normalize().to_string(),
                reverse_charge: amounts.vat_rule.reverse_charge,
                month_seconds: line.month_s,
                down_seconds: line.down_s,
                offers: serde_json::to_string(&offers).unwrap_or_else(|_| "[]".into()),
                default_offer: offers.first().map(|o| o.id.clone()).unwrap_or_default(),
                needs_approval: amounts.percent > policy.auto_approve_percent,
                deadline_ms: deadline,
                created_ms: now,
            };
            if let Some(old) = existing.get(service_id) {
                let o = &old.credit;
                let changed = (o.net_minor, o.down_seconds, &o.offers, o.needs_approval)
                    != (
                        credit.net_minor,
                        credit.down_seconds,
                        &credit.offers,
                        credit.needs_approval,
                    );
                if changed && old.status == tocsin_store::CREDIT_OFFERED {
                    revise.push((old.id, credit));
                }
                continue;
            }
            let notices = match (&recipients, s.customer) {
                (Some(r), c) if c != NONE => credit_notices(&inventory, r, c, &line, &credit, plan),
                _ => Vec::new(),
            };
            batch.push((credit, notices));
        }
        let system = Principal {
            login: "system".into(),
            role: crate::Role::Admin,
            customer: None,
        };
        for (id, credit) in &revise {
            if self.store.revise_credit(*id, credit).await? {
                let detail = format!(
                    "{} {} net {} {} after outages recorded late",
                    credit.service,
                    credit.month,
                    amount_text(credit.net_minor, &credit.currency),
                    credit.currency
                );
                self.audit(&system, "credit.revise", &format!("credit:{id}"), &detail)
                    .await;
            }
        }
        if batch.is_empty() {
            return Ok((0, Some(month)));
        }
        let mut made = 0;
        for chunk in batch.chunks(500) {
            let ids = self.store.offer_credits(chunk).await?;
            for ((credit, _), id) in chunk.iter().zip(ids) {
                let Some(id) = id else { continue };
                made += 1;
                self.audit(
                    &system,
                    "credit.offer",
                    &format!("credit:{id}"),
                    &format!(
                        "{} {} net {} {}",
                        credit.service,
                        credit.month,
                        amount_text(credit.net_minor, &credit.currency),
                        credit.currency
                    ),
                )
                .await;
            }
        }
        self.outbox_wake.notify_one();
        tracing::info!(month = %month, offered = made, "SLA credits offered");
        Ok((made, Some(month)))
    }

    /// Credits not chosen by their deadline take their first offer: audited as
    /// `credit.expire`; those small enough need no approval and go to billing.
    pub(crate) async fn expire_credits(&self) -> Result<usize, StoreError> {
        let now = self.clock.now_ms();
        let expired = self.store.expire_credits(now).await?;
        let system = Principal {
            login: "system".into(),
            role: crate::Role::Admin,
            customer: None,
        };
        for c in &expired {
            self.audit(
                &system,
                "credit.expire",
                &format!("credit:{}", c.id),
                c.choice.as_deref().unwrap_or(""),
            )
            .await;
            if !c.credit.needs_approval {
                self.bill(c).await;
            }
        }
        Ok(expired.len())
    }
}

/// The e-mails telling customer `c`'s contacts of `credit`, in their languages.
fn credit_notices(
    inventory: &Inventory,
    recipients: &crate::recipients::Recipients,
    c: u32,
    line: &crate::sla::Line,
    credit: &NewCredit,
    plan: &tocsin_model::sla::Plan,
) -> Vec<NewNotice> {
    let Some(customer) = inventory.customers.get(c as usize) else {
        return Vec::new();
    };
    let service_name = inventory
        .service_of(line.vertex)
        .filter(|s| s.name != NONE)
        .map_or_else(
            || credit.service.clone(),
            |s| inventory.texts.get(s.name).to_owned(),
        );
    let offers: Vec<OfferValue> = serde_json::from_str(&credit.offers).unwrap_or_default();
    let payload = crate::notices::Payload {
        title: String::new(),
        customer_name: customer.name.to_string(),
        services: Vec::new(),
        body: String::new(),
        at_risk: 0,
        window: None,
        credit: Some(crate::notices::PayloadCredit {
            id: CREDIT_ID_PLACEHOLDER.to_owned(),
            service_id: credit.service.clone(),
            service_name,
            month: credit.month.clone(),
            down_seconds: credit.down_seconds,
            availability: format!("{} %", line.availability),
            sla: format!("{} %", plan.sla.normalize()),
            net: amount_text(credit.net_minor, &credit.currency),
            vat: amount_text(credit.vat_minor, &credit.currency),
            gross: amount_text(credit.gross_minor, &credit.currency),
            currency: credit.currency.clone(),
            reverse_charge: credit.reverse_charge,
            deadline_ms: credit.deadline_ms,
            offers: offers
                .into_iter()
                .map(|o| {
                    let value = match o.value {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (o.id, o.kind, value)
                })
                .collect(),
        }),
    };
    let payload = serde_json::to_string(&payload).unwrap_or_default();
    recipients
        .mail(inventory, c)
        .into_iter()
        .map(|(email, language)| NewNotice {
            incident_id: 0,
            customer: credit.customer.clone(),
            contact: email,
            language: language.code().to_owned(),
            kind: format!("{CREDIT_KIND_PREFIX}{CREDIT_ID_PLACEHOLDER}.offered"),
            payload: payload.clone(),
            created_ms: credit.created_ms,
        })
        .collect()
}
