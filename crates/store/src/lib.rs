//! Tocsin's database: SQLite (WAL) embedded by default, PostgreSQL when several instances
//! share one. What is stored: every alert received, and what each alert currently asserts.
//! One conformance suite (`tests/it`) runs against both backends.

mod accounts;
mod backlog;
mod drills;
mod help;
mod incidents;
mod interventions;
mod limits;
mod maintenance;
mod migrate;
mod sla;
mod sql;
mod sql_accounts;
mod sql_changes;
mod sql_drills;
mod sql_incidents;
mod sql_maintenance;
mod sql_services;
mod sql_sla;
mod sql_upgrades;
mod tickets;
mod upgrades;

use std::str::FromStr;

pub use accounts::{
    Account, AccountStore, AuditEntry, ComponentStatus, NewAccount, OnDuty, Preferences, Session,
    Shift, ShiftOverlap,
};
pub use drills::{Drill, DrillResult, DrillStore};
pub use help::{HelpArticle, HelpHit, HelpListing, HelpSearch, HelpStore};
pub use incidents::{
    Delivery, IncidentChange, IncidentHead, IncidentRow, IncidentServiceRow, IncidentStore,
    IncidentUpdate, NewBroadcast, NewNotice, OutboxCounts, OutboxRow, SentNotice, BROADCAST_KIND,
};
pub use interventions::{Envelope, EnvelopeOpening, Intervention, InterventionStore};
pub use limits::{FailureWindow, LimitStore};
pub use maintenance::{maintenance_kind, DueNotice, Maintenance, MaintenanceStore, WindowImpact};
pub use sla::{
    Credit, CreditChange, NewCredit, Outage, SlaStore, CREDIT_APPROVED, CREDIT_CHOSEN,
    CREDIT_EXPIRED, CREDIT_ID_PLACEHOLDER, CREDIT_OFFERED, CREDIT_REJECTED,
};
pub use sql::{PgStore, SqliteStore};
pub use tickets::{
    CannedReply, RecordedBreach, Saved, Ticket, TicketEvent, TicketFilter, TicketStore,
    EVENT_ID_PLACEHOLDER, NOTHING_DUE, TICKET_ID_PLACEHOLDER,
};
pub use upgrades::{PlannedStep, UpgradeAction, UpgradePlan, UpgradeStore};

/// What can go wrong with the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is not one this store understands.
    #[error("database URL `{0}`: expected sqlite://PATH, sqlite::memory: or postgres://…")]
    Url(String),
    /// The database answered with an error or could not be reached.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// A row held something this version cannot read.
    #[error("stored data: {0}")]
    Corrupt(String),
    /// A leader's write came after another leader took over: nothing was written.
    #[error("refused: the leader of epoch {epoch} was replaced by a newer one")]
    Fenced {
        /// The epoch of the refused writer.
        epoch: i64,
    },
    /// The database did not answer in time.
    #[error("database: no answer in time ({0})")]
    Timeout(&'static str),
}

/// Result of a store operation.
pub type Result<T> = std::result::Result<T, StoreError>;

/// Whether an alert says a problem started or ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertStatus {
    /// The problem is there.
    Firing,
    /// The problem is gone.
    Resolved,
}

impl AlertStatus {
    /// Name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Firing => "firing",
            AlertStatus::Resolved => "resolved",
        }
    }
}

impl FromStr for AlertStatus {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "firing" => Ok(AlertStatus::Firing),
            "resolved" => Ok(AlertStatus::Resolved),
            other => Err(StoreError::Corrupt(format!("alert status `{other}`"))),
        }
    }
}

/// An alert to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    /// Where it came from: `alertmanager`, `generic`, `zabbix`, `staff`.
    pub source: String,
    /// Identity of the alert at its source; its resolution carries the same.
    pub fingerprint: String,
    /// Firing or resolved.
    pub status: AlertStatus,
    /// What it says of its vertices: `down`, `degraded` or `up`.
    pub state: String,
    /// The inventory vertices it maps to; empty when it maps to none.
    pub vertices: Vec<String>,
    /// When it was received, in milliseconds since the Unix epoch (UTC).
    pub received_ms: i64,
    /// Archive key of the raw request body, if archived.
    pub body_key: Option<String>,
}

/// A recorded alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRow {
    /// Sequence number: alerts are ordered by it, not by clock.
    pub id: i64,
    /// The alert as received.
    pub alert: NewAlert,
}

/// A change to what alerts assert, written in the same transaction as the alerts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssertionChange {
    /// From now on `fingerprint` at `source` asserts `state` of exactly `vertices`.
    Replace {
        /// Source of the alert.
        source: String,
        /// Identity of the alert.
        fingerprint: String,
        /// `down` or `degraded`.
        state: String,
        /// Vertices asserted.
        vertices: Vec<String>,
        /// Since when, ms since the epoch.
        since_ms: i64,
    },
    /// `fingerprint` at `source` asserts nothing any more.
    Withdraw {
        /// Source of the alert.
        source: String,
        /// Identity of the alert.
        fingerprint: String,
    },
}

/// One vertex asserted by one alert.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Assertion {
    /// Source of the alert.
    pub source: String,
    /// Identity of the alert.
    pub fingerprint: String,
    /// The vertex.
    pub vertex: String,
    /// `down` or `degraded`.
    pub state: String,
    /// Since when, ms since the epoch.
    pub since_ms: i64,
}

/// What Tocsin needs of a database. Every method is one transaction.
#[allow(async_fn_in_trait)]
pub trait Store {
    /// Brings the schema up to date; safe to call from several instances at once.
    async fn migrate(&self) -> Result<()>;
    /// Whether the database answers.
    async fn ping(&self) -> Result<()>;
    /// Records `alerts` and applies `changes` atomically and durably, and counts the log as
    /// applied through them, as a leader that applied them at once would; returns the alerts'
    /// sequence numbers in order. For tools and tests: a running server appends alerts with
    /// [`LogStore::append`] and its leader applies them with [`LogStore::commit_applied`].
    async fn ingest(&self, alerts: &[NewAlert], changes: &[AssertionChange]) -> Result<Vec<i64>>;
    /// Everything currently asserted, sorted.
    async fn assertions(&self) -> Result<Vec<Assertion>>;
    /// The latest alerts that mapped to no vertex, newest first.
    async fn unmatched(&self, limit: i64) -> Result<Vec<AlertRow>>;
    /// How many alerts were recorded.
    async fn alert_count(&self) -> Result<i64>;
}

/// The store chosen by the database URL.
pub enum AnyStore {
    /// Embedded SQLite.
    Sqlite(SqliteStore),
    /// PostgreSQL server.
    Postgres(PgStore),
}

impl AnyStore {
    /// Connects to `url` (`sqlite://PATH`, `sqlite::memory:`, `postgres://…`).
    pub async fn connect(url: &str) -> Result<AnyStore> {
        if url.starts_with("sqlite:") {
            Ok(AnyStore::Sqlite(SqliteStore::connect(url).await?))
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(AnyStore::Postgres(PgStore::connect(url).await?))
        } else {
            Err(StoreError::Url(url.to_owned()))
        }
    }
}

macro_rules! dispatch {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            AnyStore::Sqlite($s) => $e,
            AnyStore::Postgres($s) => $e,
        }
    };
}

mod log;
mod sql_help;
mod sql_incident_heads;
mod sql_interventions;
mod sql_outbox;
mod sql_tickets;
pub use log::{channel, Applied, Backlog, Elector, Leadership, Listener, LogStore, Picture, Wake};

impl Store for AnyStore {
    async fn migrate(&self) -> Result<()> {
        dispatch!(self, s => s.migrate().await)
    }
    async fn ping(&self) -> Result<()> {
        dispatch!(self, s => s.ping().await)
    }
    async fn ingest(&self, alerts: &[NewAlert], changes: &[AssertionChange]) -> Result<Vec<i64>> {
        dispatch!(self, s => s.ingest(alerts, changes).await)
    }
    async fn assertions(&self) -> Result<Vec<Assertion>> {
        dispatch!(self, s => s.assertions().await)
    }
    async fn unmatched(&self, limit: i64) -> Result<Vec<AlertRow>> {
        dispatch!(self, s => s.unmatched(limit).await)
    }
    async fn alert_count(&self) -> Result<i64> {
        dispatch!(self, s => s.alert_count().await)
    }
}

impl IncidentStore for AnyStore {
    async fn last_incident_id(&self) -> Result<i64> {
        dispatch!(self, s => s.last_incident_id().await)
    }
    async fn record(&self, changes: &[IncidentChange], notices: &[NewNotice]) -> Result<()> {
        dispatch!(self, s => s.record(changes, notices).await)
    }
    async fn open_incidents(&self) -> Result<Vec<IncidentRow>> {
        dispatch!(self, s => s.open_incidents().await)
    }
    async fn incidents(&self, limit: i64) -> Result<Vec<IncidentRow>> {
        dispatch!(self, s => s.incidents(limit).await)
    }
    async fn incident(&self, id: i64) -> Result<Option<IncidentRow>> {
        dispatch!(self, s => s.incident(id).await)
    }
    async fn incident_heads(&self, limit: i64) -> Result<Vec<IncidentHead>> {
        dispatch!(self, s => s.incident_heads(limit).await)
    }
    async fn incident_services(&self, id: i64) -> Result<Vec<IncidentServiceRow>> {
        dispatch!(self, s => s.incident_services(id).await)
    }
    async fn customer_incidents(&self, customer: &str, limit: i64) -> Result<Vec<IncidentRow>> {
        dispatch!(self, s => s.customer_incidents(customer, limit).await)
    }
    async fn add_update(
        &self,
        id: i64,
        status: &str,
        body: &str,
        public: bool,
        author: &str,
        at_ms: i64,
    ) -> Result<i64> {
        dispatch!(self, s => s.add_update(id, status, body, public, author, at_ms).await)
    }
    async fn updates(&self, id: i64) -> Result<Vec<IncidentUpdate>> {
        dispatch!(self, s => s.updates(id).await)
    }
    async fn claim_notices(
        &self,
        now_ms: i64,
        limit: i64,
        lease_ms: i64,
    ) -> Result<Vec<OutboxRow>> {
        dispatch!(self, s => s.claim_notices(now_ms, limit, lease_ms).await)
    }
    async fn claim_broadcasts(
        &self,
        now_ms: i64,
        limit: i64,
        lease_ms: i64,
    ) -> Result<Vec<OutboxRow>> {
        dispatch!(self, s => s.claim_broadcasts(now_ms, limit, lease_ms).await)
    }
    async fn broadcast(
        &self,
        broadcast: &NewBroadcast,
        notices: &[NewNotice],
    ) -> Result<(i64, u64)> {
        dispatch!(self, s => s.broadcast(broadcast, notices).await)
    }
    async fn finish_notices(&self, results: &[(i64, Delivery)], now_ms: i64) -> Result<()> {
        dispatch!(self, s => s.finish_notices(results, now_ms).await)
    }
    async fn renew_claims(&self, ids: &[i64], held_ms: i64, lease_ms: i64) -> Result<u64> {
        dispatch!(self, s => s.renew_claims(ids, held_ms, lease_ms).await)
    }
    async fn release_claims(&self) -> Result<u64> {
        dispatch!(self, s => s.release_claims().await)
    }
    async fn outbox_counts(&self) -> Result<OutboxCounts> {
        dispatch!(self, s => s.outbox_counts().await)
    }
    async fn notices(&self, limit: i64) -> Result<Vec<(OutboxRow, String, Option<String>)>> {
        dispatch!(self, s => s.notices(limit).await)
    }
    async fn customer_notices(
        &self,
        customer: &str,
        from_ms: i64,
        to_ms: i64,
        limit: i64,
    ) -> Result<Vec<SentNotice>> {
        dispatch!(self, s => s.customer_notices(customer, from_ms, to_ms, limit).await)
    }
    async fn customer_notice(&self, customer: &str, id: i64) -> Result<Option<SentNotice>> {
        dispatch!(self, s => s.customer_notice(customer, id).await)
    }
}

impl AccountStore for AnyStore {
    async fn create_account(&self, a: &NewAccount<'_>) -> Result<Option<i64>> {
        dispatch!(self, s => s.create_account(a).await)
    }
    async fn set_password(&self, login: &str, hash: &str) -> Result<bool> {
        dispatch!(self, s => s.set_password(login, hash).await)
    }
    async fn set_disabled(&self, login: &str, disabled: bool) -> Result<bool> {
        dispatch!(self, s => s.set_disabled(login, disabled).await)
    }
    async fn account_by_login(&self, login: &str) -> Result<Option<Account>> {
        dispatch!(self, s => s.account_by_login(login).await)
    }
    async fn accounts(&self) -> Result<Vec<Account>> {
        dispatch!(self, s => s.accounts().await)
    }
    async fn create_session(
        &self,
        token_hash: &str,
        account_id: i64,
        csrf: &str,
        created_ms: i64,
        expires_ms: i64,
    ) -> Result<()> {
        dispatch!(self, s => s.create_session(token_hash, account_id, csrf, created_ms, expires_ms).await)
    }
    async fn session(&self, token_hash: &str, now_ms: i64) -> Result<Option<Session>> {
        dispatch!(self, s => s.session(token_hash, now_ms).await)
    }
    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        dispatch!(self, s => s.delete_session(token_hash).await)
    }
    async fn purge_sessions(&self, now_ms: i64) -> Result<u64> {
        dispatch!(self, s => s.purge_sessions(now_ms).await)
    }
    async fn create_token(
        &self,
        token_hash: &str,
        account_id: i64,
        name: &str,
        created_ms: i64,
    ) -> Result<()> {
        dispatch!(self, s => s.create_token(token_hash, account_id, name, created_ms).await)
    }
    async fn token_account(&self, token_hash: &str) -> Result<Option<Account>> {
        dispatch!(self, s => s.token_account(token_hash).await)
    }
    async fn audit(
        &self,
        at_ms: i64,
        actor: &str,
        action: &str,
        target: &str,
        detail: &str,
    ) -> Result<i64> {
        dispatch!(self, s => s.audit(at_ms, actor, action, target, detail).await)
    }
    async fn audit_log(&self, limit: i64, target: Option<&str>) -> Result<Vec<AuditEntry>> {
        dispatch!(self, s => s.audit_log(limit, target).await)
    }
    async fn preferences(&self, customer: &str) -> Result<Option<Preferences>> {
        dispatch!(self, s => s.preferences(customer).await)
    }
    async fn all_preferences(&self) -> Result<Vec<(String, Preferences)>> {
        dispatch!(self, s => s.all_preferences().await)
    }
    async fn set_preferences(&self, customer: &str, p: &Preferences) -> Result<()> {
        dispatch!(self, s => s.set_preferences(customer, p).await)
    }
    async fn customer_by_feed_token(&self, token: &str) -> Result<Option<String>> {
        dispatch!(self, s => s.customer_by_feed_token(token).await)
    }
    async fn component_statuses(&self) -> Result<Vec<ComponentStatus>> {
        dispatch!(self, s => s.component_statuses().await)
    }
    async fn set_component_status(
        &self,
        component: &str,
        status: Option<&ComponentStatus>,
    ) -> Result<()> {
        dispatch!(self, s => s.set_component_status(component, status).await)
    }
    async fn add_shift(&self, shift: &Shift) -> Result<std::result::Result<i64, ShiftOverlap>> {
        dispatch!(self, s => s.add_shift(shift).await)
    }
    async fn shifts(&self, from_ms: i64, to_ms: i64) -> Result<Vec<Shift>> {
        dispatch!(self, s => s.shifts(from_ms, to_ms).await)
    }
    async fn on_duty(&self, at_ms: i64) -> Result<OnDuty> {
        dispatch!(self, s => s.on_duty(at_ms).await)
    }
}

impl UpgradeStore for AnyStore {
    async fn add_upgrade(&self, plan: &UpgradePlan) -> Result<i64> {
        dispatch!(self, s => s.add_upgrade(plan).await)
    }
    async fn upgrades(&self, limit: i64) -> Result<Vec<UpgradePlan>> {
        dispatch!(self, s => s.upgrades(limit).await)
    }
    async fn upgrade(&self, id: i64) -> Result<Option<UpgradePlan>> {
        dispatch!(self, s => s.upgrade(id).await)
    }
    async fn record_upgrade_action(&self, action: &UpgradeAction) -> Result<bool> {
        dispatch!(self, s => s.record_upgrade_action(action).await)
    }
    async fn upgrade_actions(&self, plan_id: i64) -> Result<Vec<UpgradeAction>> {
        dispatch!(self, s => s.upgrade_actions(plan_id).await)
    }
}

impl DrillStore for AnyStore {
    async fn add_drill(&self, drill: &Drill) -> Result<i64> {
        dispatch!(self, s => s.add_drill(drill).await)
    }
    async fn drills(&self) -> Result<Vec<Drill>> {
        dispatch!(self, s => s.drills().await)
    }
    async fn drill(&self, id: i64) -> Result<Option<Drill>> {
        dispatch!(self, s => s.drill(id).await)
    }
    async fn add_drill_result(&self, result: &DrillResult) -> Result<Option<i64>> {
        dispatch!(self, s => s.add_drill_result(result).await)
    }
    async fn drill_results(&self, from_ms: i64) -> Result<Vec<DrillResult>> {
        dispatch!(self, s => s.drill_results(from_ms).await)
    }
}

impl MaintenanceStore for AnyStore {
    async fn add_maintenance(&self, m: &Maintenance, notices: &[DueNotice]) -> Result<i64> {
        dispatch!(self, s => s.add_maintenance(m, notices).await)
    }
    async fn maintenances(&self, from_ms: i64) -> Result<Vec<Maintenance>> {
        dispatch!(self, s => s.maintenances(from_ms).await)
    }
    async fn maintenance(&self, id: i64) -> Result<Option<Maintenance>> {
        dispatch!(self, s => s.maintenance(id).await)
    }
    async fn cancel_maintenance(&self, id: i64, at_ms: i64, notices: &[DueNotice]) -> Result<bool> {
        dispatch!(self, s => s.cancel_maintenance(id, at_ms, notices).await)
    }
    async fn reschedule_maintenance(
        &self,
        id: i64,
        starts_ms: i64,
        ends_ms: i64,
        at_ms: i64,
        notices: &[DueNotice],
    ) -> Result<bool> {
        dispatch!(self, s => s.reschedule_maintenance(id, starts_ms, ends_ms, at_ms, notices).await)
    }
}

impl SlaStore for AnyStore {
    async fn add_outage(&self, outage: &Outage) -> Result<i64> {
        dispatch!(self, s => s.add_outage(outage).await)
    }
    async fn outages_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<Outage>> {
        dispatch!(self, s => s.outages_between(from_ms, to_ms).await)
    }
    async fn recent_outages(&self, limit: i64) -> Result<Vec<Outage>> {
        dispatch!(self, s => s.recent_outages(limit).await)
    }
    async fn offer_credits(
        &self,
        credits: &[(NewCredit, Vec<NewNotice>)],
    ) -> Result<Vec<Option<i64>>> {
        dispatch!(self, s => s.offer_credits(credits).await)
    }
    async fn credit(&self, id: i64) -> Result<Option<Credit>> {
        dispatch!(self, s => s.credit(id).await)
    }
    async fn credits(
        &self,
        customer: Option<&str>,
        status: Option<&str>,
        month: Option<&str>,
    ) -> Result<Vec<Credit>> {
        dispatch!(self, s => s.credits(customer, status, month).await)
    }
    async fn choose_credit(
        &self,
        id: i64,
        customer: &str,
        offer: &str,
        at_ms: i64,
    ) -> Result<CreditChange> {
        dispatch!(self, s => s.choose_credit(id, customer, offer, at_ms).await)
    }
    async fn decide_credit(
        &self,
        id: i64,
        approve: bool,
        reason: &str,
        by: &str,
        at_ms: i64,
    ) -> Result<CreditChange> {
        dispatch!(self, s => s.decide_credit(id, approve, reason, by, at_ms).await)
    }
    async fn expire_credits(&self, at_ms: i64) -> Result<Vec<Credit>> {
        dispatch!(self, s => s.expire_credits(at_ms).await)
    }
    async fn revise_credit(&self, id: i64, credit: &NewCredit) -> Result<bool> {
        dispatch!(self, s => s.revise_credit(id, credit).await)
    }
    async fn alerts_latest_before(&self, before_ms: i64) -> Result<Vec<AlertRow>> {
        dispatch!(self, s => s.alerts_latest_before(before_ms).await)
    }
    async fn alerts_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<AlertRow>> {
        dispatch!(self, s => s.alerts_between(from_ms, to_ms).await)
    }
}
