//! Maintenance windows: planned, moved and cancelled by staff (a cancelled one is kept,
//! marked, so that calendars learn it is off), with the notices each change queues in the same
//! transaction, due when they should go out.

use crate::Result;

/// A planned maintenance window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Maintenance {
    /// Id (0 before it is stored).
    pub id: i64,
    /// Public title.
    pub title: String,
    /// Public description.
    pub body: String,
    /// Component ids it concerns.
    pub components: Vec<String>,
    /// Start, ms since the epoch.
    pub starts_ms: i64,
    /// End, ms since the epoch.
    pub ends_ms: i64,
    /// Who planned it.
    pub created_by: String,
    /// When it was planned.
    pub created_ms: i64,
    /// When it was called off; a cancelled window is kept so that calendars learn of it.
    pub cancelled_ms: Option<i64>,
    /// How many times it was changed (moved or cancelled) since planned: the calendar
    /// event's `SEQUENCE`.
    pub sequence: i64,
    /// When it was last planned, moved or cancelled.
    pub updated_ms: i64,
    /// Inventory vertices the work takes down; empty for a window on components only.
    pub targets: Vec<String>,
    /// Lead times of the reminders before the start, ms.
    pub notify_ms: Vec<i64>,
    /// Who the targets down would hit, computed when the window was planned.
    pub impact: WindowImpact,
    /// The announced drill and the occurrence (ms) it was planned for; a drill has one
    /// window per occurrence.
    pub drill: Option<(i64, i64)>,
}

/// The what-if of a window's targets down on top of nothing else: each list sorted. The
/// lists of what is only at risk are read with one window ([`MaintenanceStore::maintenance`]);
/// lists of windows carry their totals only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WindowImpact {
    /// Services that will be down.
    pub down_services: Vec<String>,
    /// Services that will run without redundancy (empty in lists of windows).
    pub at_risk_services: Vec<String>,
    /// Customers with a service that will be down: they are told.
    pub affected_customers: Vec<String>,
    /// Customers with services only at risk: they are not told (empty in lists of windows).
    pub at_risk_customers: Vec<String>,
    /// How many services are at risk.
    pub at_risk_services_total: usize,
    /// How many customers are at risk.
    pub at_risk_customers_total: usize,
}

/// A notice about a maintenance window, sent when due: the announcement at once, reminders
/// at their lead times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueNotice {
    /// Customer id.
    pub customer: String,
    /// E-mail address.
    pub contact: String,
    /// Language code.
    pub language: String,
    /// What it is, after `maintenance.ID.`: `announced`, `reminder.…`, `moved.…`,
    /// `cancelled`; with the window's id and the contact it is the notice's identity.
    pub kind: String,
    /// Everything needed to render it, as JSON.
    pub payload: String,
    /// When it goes out.
    pub due_ms: i64,
}

/// The outbox kind of notice `suffix` of window `id`.
pub fn maintenance_kind(id: i64, suffix: &str) -> String {
    format!("maintenance.{id}.{suffix}")
}

/// Maintenance windows. Every method is one transaction.
#[allow(async_fn_in_trait)]
pub trait MaintenanceStore {
    /// Plans a maintenance window and queues its notices, in one transaction; returns its id.
    /// It starts at sequence 0, not cancelled, updated when created (`cancelled_ms`,
    /// `sequence` and `updated_ms` are not read).
    async fn add_maintenance(
        &self,
        maintenance: &Maintenance,
        notices: &[DueNotice],
    ) -> Result<i64>;
    /// Windows ending at or after `from_ms`, cancelled ones included, by start.
    async fn maintenances(&self, from_ms: i64) -> Result<Vec<Maintenance>>;
    /// Window `id`, if there is one.
    async fn maintenance(&self, id: i64) -> Result<Option<Maintenance>>;
    /// Marks a window cancelled at `at_ms` and bumps its sequence, drops its notices not yet
    /// due and queues `notices`, in one transaction; false (nothing done) when there is none
    /// with this id or it was cancelled already.
    async fn cancel_maintenance(&self, id: i64, at_ms: i64, notices: &[DueNotice]) -> Result<bool>;
    /// Moves a window to `starts_ms`..`ends_ms` at `at_ms` and bumps its sequence, drops its
    /// notices not yet due and queues `notices`, in one transaction; false (nothing done)
    /// when there is none with this id or it was cancelled.
    async fn reschedule_maintenance(
        &self,
        id: i64,
        starts_ms: i64,
        ends_ms: i64,
        at_ms: i64,
        notices: &[DueNotice],
    ) -> Result<bool>;
}
