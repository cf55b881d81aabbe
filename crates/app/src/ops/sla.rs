//! SLA accounting as the faces and the leader's timers use it: outages staff record, the
//! month's account (staff: every service; a customer: its own), and the credits of final
//! months — offered once with an e-mail to the customer's contacts, chosen by the customer
//! until the deadline, approved at once when small or by a shift lead, expired to their first
//! offer, each step audited, approved ones POSTed to the provider's billing.

use serde_json::json;
use tocsin_model::inventory::NONE;
use tocsin_model::time::rfc3339;
use tocsin_model::Inventory;
use tocsin_store::{
    AnyStore, Credit, CreditChange, IncidentStore, MaintenanceStore, NewNotice, Outage, SlaStore,
    StoreError, CREDIT_APPROVED,
};

use super::Refused;
use crate::sla::{account_of, span, Account, Evidence, Month, RecordedOutage, SlaPolicy};
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

mod settle;
mod view;

pub use view::{credit_view, report, CreditAmounts, CreditView, OfferValue, SlaLine, SlaReport};

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
            let auto = Principal::automatic("auto");
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
}
