//! SLA accounting as stored: outages staff recorded for what monitoring missed, the credits
//! of final months with the customer's choice and staff's decision, and the alert reads the
//! availability timeline is built from. The store computes nothing: amounts, offers and
//! deadlines arrive computed; it keeps one credit per service and month and lets each
//! credit change state only along `offered → chosen → approved | rejected` (or `offered →
//! expired → approved | rejected`), each change decided by one conditional write so that
//! several instances never both make it.

use crate::incidents::NewNotice;
use crate::{AlertRow, Result};

/// The text in a credit notice's `kind` or `payload` that [`SlaStore::offer_credits`]
/// replaces by the new credit's id.
pub const CREDIT_ID_PLACEHOLDER: &str = "{credit_id}";

/// A credit offered, waiting for the customer's choice.
pub const CREDIT_OFFERED: &str = "offered";
/// A credit chosen by its customer, waiting for staff approval.
pub const CREDIT_CHOSEN: &str = "chosen";
/// A credit approved: automatically when chosen (small ones) or by staff.
pub const CREDIT_APPROVED: &str = "approved";
/// A credit rejected by staff.
pub const CREDIT_REJECTED: &str = "rejected";
/// A credit not chosen by its deadline: its default offer applies, staff decide.
pub const CREDIT_EXPIRED: &str = "expired";

/// An outage recorded by staff: its vertices held down or degraded from start to end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outage {
    /// Id (0 before it is stored).
    pub id: i64,
    /// Vertex ids observed down, in the order given.
    pub down: Vec<String>,
    /// Vertex ids observed degraded, in the order given.
    pub degraded: Vec<String>,
    /// Start, ms since the epoch.
    pub start_ms: i64,
    /// End, ms since the epoch (after the start).
    pub end_ms: i64,
    /// Why, as staff wrote it.
    pub note: String,
    /// Who recorded it.
    pub created_by: String,
    /// When it was recorded.
    pub created_ms: i64,
}

/// A credit to offer: everything computed when its month became final.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCredit {
    /// Service id.
    pub service: String,
    /// Its customer's id.
    pub customer: String,
    /// The month, `YYYY-MM`.
    pub month: String,
    /// Percent of the month's price, a decimal string.
    pub percent: String,
    /// Net amount in the currency's minor units.
    pub net_minor: i64,
    /// VAT in minor units.
    pub vat_minor: i64,
    /// Net plus VAT in minor units.
    pub gross_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// VAT rate in percent, a decimal string.
    pub vat_rate: String,
    /// Whether VAT is reverse charged (the rate is then 0).
    pub reverse_charge: bool,
    /// The month's length, seconds.
    pub month_seconds: i64,
    /// The month's counted downtime, seconds.
    pub down_seconds: i64,
    /// The offers the customer chooses from, JSON; the store does not read it.
    pub offers: String,
    /// The offer that applies when the customer does not choose by the deadline.
    pub default_offer: String,
    /// Whether staff must approve it once chosen.
    pub needs_approval: bool,
    /// Until when the customer chooses, ms since the epoch (exclusive).
    pub deadline_ms: i64,
    /// When it was offered.
    pub created_ms: i64,
}

/// A stored credit and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credit {
    /// Its number.
    pub id: i64,
    /// What was offered.
    pub credit: NewCredit,
    /// `offered`, `chosen`, `approved`, `rejected` or `expired` (the `CREDIT_*` constants).
    pub status: String,
    /// The offer chosen, or applied at the deadline.
    pub choice: Option<String>,
    /// When the customer chose.
    pub chosen_ms: Option<i64>,
    /// Staff's reason for approving or rejecting.
    pub reason: Option<String>,
    /// Who decided: a staff login, or `auto` for a credit approved when chosen.
    pub decided_by: Option<String>,
    /// When it was decided.
    pub decided_ms: Option<i64>,
}

/// How a change to a credit ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreditChange {
    /// Done: the credit as it is now.
    Done(Credit),
    /// No such credit (or, for a customer's choice, not one of theirs).
    NotFound,
    /// The credit's state does not allow it: the credit as it stands, unchanged.
    Conflict(Credit),
}

/// Outages, credits and the alert reads of SLA accounting. Every method is one transaction.
#[allow(async_fn_in_trait)]
pub trait SlaStore {
    /// Records an outage (`id` is not read); returns its id.
    async fn add_outage(&self, outage: &Outage) -> Result<i64>;
    /// The outages overlapping `[from_ms, to_ms)` (start before `to_ms`, end after
    /// `from_ms`), by id.
    async fn outages_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<Outage>>;
    /// The latest `limit` outages recorded, newest first.
    async fn recent_outages(&self, limit: i64) -> Result<Vec<Outage>>;
    /// Offers credits in one transaction. Each credit whose service and month has no credit
    /// yet is stored as `offered` and its notices are queued in the outbox (as
    /// [`crate::IncidentStore::record`] queues them) with every [`CREDIT_ID_PLACEHOLDER`] in
    /// their `kind` and `payload` replaced by the new credit's id; a credit of a service and
    /// month that has one already writes nothing, nor do its notices. Answers, per input in
    /// order, the new id or `None`. Several instances offering at once get no error: the
    /// unique key decides, and credits are inserted in (service, month) order so that two
    /// such transactions never wait on each other in a cycle.
    async fn offer_credits(
        &self,
        credits: &[(NewCredit, Vec<NewNotice>)],
    ) -> Result<Vec<Option<i64>>>;
    /// Credit `id`, if there is one.
    async fn credit(&self, id: i64) -> Result<Option<Credit>>;
    /// The credits of `customer`, in `status`, of `month`, each filter only when given; by id.
    async fn credits(
        &self,
        customer: Option<&str>,
        status: Option<&str>,
        month: Option<&str>,
    ) -> Result<Vec<Credit>>;
    /// The customer's choice of `offer` at `at_ms`: `NotFound` unless credit `id` is
    /// `customer`'s; `Conflict` unless it is offered or chosen and its deadline is after
    /// `at_ms`. Sets the choice and `chosen_ms`; the status becomes `chosen` when it needs
    /// approval, else `approved`, decided by `auto` at `at_ms`. The offer is not checked
    /// against the credit's offers (the store does not read them).
    async fn choose_credit(
        &self,
        id: i64,
        customer: &str,
        offer: &str,
        at_ms: i64,
    ) -> Result<CreditChange>;
    /// Staff's decision: approves or rejects a chosen or expired credit, with the reason, who
    /// and when; `Conflict` from any other status, `NotFound` for an unknown id.
    async fn decide_credit(
        &self,
        id: i64,
        approve: bool,
        reason: &str,
        by: &str,
        at_ms: i64,
    ) -> Result<CreditChange>;
    /// Every offered credit whose deadline is at or before `at_ms` becomes `expired` with its
    /// default offer as the choice; answers those, as they are now, by id. A credit is
    /// answered to exactly one caller however many instances call at once; calling again
    /// answers nothing new.
    async fn expire_credits(&self, at_ms: i64) -> Result<Vec<Credit>>;
    /// Replaces the amounts of credit `id` (percent, net, VAT, gross, rate, reverse charge,
    /// downtime, offers, default offer, whether it needs approval) by those of `credit`, only
    /// while it is `offered`: an outage recorded late changed its month. True when revised.
    async fn revise_credit(&self, id: i64, credit: &NewCredit) -> Result<bool>;
    /// For each (source, fingerprint), its latest alert (highest id) received before
    /// `before_ms`; by id. Unmatched alerts included.
    async fn alerts_latest_before(&self, before_ms: i64) -> Result<Vec<AlertRow>>;
    /// The alerts received in `[from_ms, to_ms)`, by id.
    async fn alerts_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<AlertRow>>;
}
