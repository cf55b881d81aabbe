//! Incidents, their services, updates and the outbox of notices, as stored.

use std::sync::Arc;

use crate::Result;

/// A change to incidents, applied in order in one transaction with the notices it causes.
/// Service and customer ids are shared (`Arc<str>`): a fan-out makes 320,000 changes, each
/// copied into a commit's part and the backlog, and a customer's id is in each of its
/// services' changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentChange {
    /// A new incident.
    Open {
        /// Its number.
        id: i64,
        /// Headline.
        title: String,
        /// Root-cause vertex ids.
        roots: Vec<String>,
        /// When.
        at_ms: i64,
    },
    /// The root causes now.
    Roots {
        /// The incident.
        id: i64,
        /// Root-cause vertex ids.
        roots: Vec<String>,
    },
    /// A service went down (first time in this incident, or again).
    ServiceDown {
        /// The incident.
        id: i64,
        /// Service id.
        service: Arc<str>,
        /// Its customer's id.
        customer: Option<Arc<str>>,
        /// When.
        at_ms: i64,
    },
    /// A service came back up.
    ServiceUp {
        /// The incident.
        id: i64,
        /// Service id.
        service: Arc<str>,
        /// Total down time in this incident.
        down_total_ms: i64,
    },
    /// The customer of a service was told about it.
    Announce {
        /// The incident.
        id: i64,
        /// Service id.
        service: Arc<str>,
        /// Its customer's id (not written: it lets the leader write a fan-out's
        /// announcements in chunks of customers, each with its notices).
        customer: Option<Arc<str>>,
    },
    /// Every service is back up.
    Resolve {
        /// The incident.
        id: i64,
        /// When.
        at_ms: i64,
    },
}

/// A stored incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentRow {
    /// Its number.
    pub id: i64,
    /// `investigating`, `identified`, `monitoring` or `resolved`.
    pub status: String,
    /// Headline.
    pub title: String,
    /// Root-cause vertex ids.
    pub roots: Vec<String>,
    /// Opened at.
    pub opened_ms: i64,
    /// Resolved at.
    pub resolved_ms: Option<i64>,
    /// Its services.
    pub services: Vec<IncidentServiceRow>,
}

/// A stored incident without its services, and a number that moves whenever they change: what
/// a reader keeping the services of incidents needs to tell when to read them again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentHead {
    /// Its number.
    pub id: i64,
    /// `investigating`, `identified`, `monitoring` or `resolved`.
    pub status: String,
    /// Headline.
    pub title: String,
    /// Root-cause vertex ids.
    pub roots: Vec<String>,
    /// Opened at.
    pub opened_ms: i64,
    /// Resolved at.
    pub resolved_ms: Option<i64>,
    /// Moves (up) whenever a service of the incident is recorded or changes.
    pub revision: i64,
}

impl IncidentHead {
    /// The whole incident, with `services`.
    pub fn with_services(self, services: Vec<IncidentServiceRow>) -> IncidentRow {
        IncidentRow {
            id: self.id,
            status: self.status,
            title: self.title,
            roots: self.roots,
            opened_ms: self.opened_ms,
            resolved_ms: self.resolved_ms,
            services,
        }
    }
}

/// A service of a stored incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentServiceRow {
    /// Service id.
    pub service: String,
    /// Customer id.
    pub customer: Option<String>,
    /// Down since, while down.
    pub down_since_ms: Option<i64>,
    /// Down time of intervals already over.
    pub down_total_ms: i64,
    /// When it first went down in this incident.
    pub first_down_ms: i64,
    /// Whether its customer was told.
    pub announced: bool,
}

/// An update on an incident: public, or an internal note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentUpdate {
    /// Sequence number.
    pub id: i64,
    /// Status set by the update.
    pub status: String,
    /// Text.
    pub body: String,
    /// Shown to the public, or staff only.
    pub public: bool,
    /// Login of the staff member who wrote it (empty for updates from before accounts).
    pub author: String,
    /// When.
    pub at_ms: i64,
}

/// A notice to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    /// The incident.
    pub incident_id: i64,
    /// Customer id.
    pub customer: String,
    /// E-mail address.
    pub contact: String,
    /// Language code.
    pub language: String,
    /// `opened` or `resolved`.
    pub kind: String,
    /// Everything needed to render it, as JSON, fixed when queued so a retry renders the
    /// same message.
    pub payload: String,
    /// When it was queued.
    pub created_ms: i64,
}

/// Staff's message to every customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBroadcast {
    /// The incident it is about, if any.
    pub incident_id: Option<i64>,
    /// Subject line, as staff wrote it.
    pub subject: String,
    /// Text, as staff wrote it.
    pub body: String,
    /// When it was queued.
    pub created_ms: i64,
}

/// Outbox kinds of broadcast rows start with this; [`IncidentStore::claim_notices`] leaves
/// them to [`IncidentStore::claim_broadcasts`], so a mass mail never delays incident notices.
pub const BROADCAST_KIND: &str = "broadcast.";

/// A notice claimed from the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    /// Its number.
    pub id: i64,
    /// The notice.
    pub notice: NewNotice,
    /// Attempts so far, this one included.
    pub attempts: i64,
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Accepted by the server; the message is archived under the key.
    Sent {
        /// Archive key of the message bytes, if archived.
        message_key: Option<String>,
    },
    /// Try again at `next_ms`.
    Retry {
        /// When.
        next_ms: i64,
        /// Why it failed.
        error: String,
    },
    /// Will not be delivered; staff must look.
    Failed {
        /// Why.
        error: String,
    },
}

/// A notice the SMTP server accepted, as its customer may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentNotice {
    /// Its outbox number.
    pub id: i64,
    /// The incident it is about (0 for a credit or maintenance notice, as queued).
    pub incident_id: i64,
    /// E-mail address it went to.
    pub contact: String,
    /// `opened`, `resolved`, `maintenance…`, `credit…`, `broadcast.N`…
    pub kind: String,
    /// Language code.
    pub language: String,
    /// When the server accepted it.
    pub sent_ms: i64,
    /// Archive key of the message bytes, when archived.
    pub message_key: Option<String>,
}

/// How many notices are in each state.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct OutboxCounts {
    /// Waiting to be sent (first try or retry).
    pub queued: i64,
    /// Claimed by a worker.
    pub sending: i64,
    /// Delivered.
    pub sent: i64,
    /// Given up.
    pub failed: i64,
    /// Queued after at least one failed attempt.
    pub retrying: i64,
}

/// Incidents and the outbox.
#[allow(async_fn_in_trait)]
pub trait IncidentStore {
    /// The highest incident number used so far (0 when none).
    async fn last_incident_id(&self) -> Result<i64>;
    /// Applies `changes` and queues `notices` in one transaction. A notice whose
    /// (incident, contact, kind) is queued already is not queued twice.
    async fn record(&self, changes: &[IncidentChange], notices: &[NewNotice]) -> Result<()>;
    /// Open incidents with their services.
    async fn open_incidents(&self) -> Result<Vec<IncidentRow>>;
    /// Latest incidents, open or not, newest first.
    async fn incidents(&self, limit: i64) -> Result<Vec<IncidentRow>>;
    /// One incident.
    async fn incident(&self, id: i64) -> Result<Option<IncidentRow>>;
    /// The latest `limit` incidents and every open one, newest first, without their services.
    async fn incident_heads(&self, limit: i64) -> Result<Vec<IncidentHead>>;
    /// The services of incident `id`, in the order they first went down.
    async fn incident_services(&self, id: i64) -> Result<Vec<IncidentServiceRow>>;
    /// The latest `limit` incidents in which a service of `customer` went down, newest first,
    /// with all their services (callers keep only the customer's own).
    async fn customer_incidents(&self, customer: &str, limit: i64) -> Result<Vec<IncidentRow>>;
    /// Adds an update; a public one may also set the status.
    async fn add_update(
        &self,
        id: i64,
        status: &str,
        body: &str,
        public: bool,
        author: &str,
        at_ms: i64,
    ) -> Result<i64>;
    /// Updates of an incident, oldest first.
    async fn updates(&self, id: i64) -> Result<Vec<IncidentUpdate>>;
    /// Claims up to `limit` notices due at `now_ms` (queued and due, or claimed by a worker
    /// whose lease ran out) for `lease_ms`; broadcasts are not among them.
    async fn claim_notices(&self, now_ms: i64, limit: i64, lease_ms: i64)
        -> Result<Vec<OutboxRow>>;
    /// Claims like [`IncidentStore::claim_notices`], broadcast rows only.
    async fn claim_broadcasts(
        &self,
        now_ms: i64,
        limit: i64,
        lease_ms: i64,
    ) -> Result<Vec<OutboxRow>>;
    /// Records `broadcast` and queues `notices` (their kind set to `broadcast.<id>`, so each
    /// contact gets one copy) in one transaction; returns its id and the notices queued.
    async fn broadcast(
        &self,
        broadcast: &NewBroadcast,
        notices: &[NewNotice],
    ) -> Result<(i64, u64)>;
    /// Records how deliveries ended.
    async fn finish_notices(&self, results: &[(i64, Delivery)], now_ms: i64) -> Result<()>;
    /// Extends to `lease_ms` the lease of those of the claimed notices `ids` that still hold
    /// the lease `held_ms` they were claimed (or last renewed) with: a worker still sending
    /// keeps its claim, and a notice someone else has claimed since is left to them. Returns
    /// how many were extended.
    async fn renew_claims(&self, ids: &[i64], held_ms: i64, lease_ms: i64) -> Result<u64>;
    /// Gives every claimed notice back (for a single instance starting after a crash).
    async fn release_claims(&self) -> Result<u64>;
    /// Counts by state.
    async fn outbox_counts(&self) -> Result<OutboxCounts>;
    /// The latest notices, newest first, with their state and last error.
    async fn notices(&self, limit: i64) -> Result<Vec<(OutboxRow, String, Option<String>)>>;
    /// The first `limit` e-mails to `customer`'s contacts that the server accepted in
    /// `[from_ms, to_ms)`, oldest first; queued, retried and failed ones are not among them,
    /// nor the customer's webhook deliveries (kinds `webhook.…`), which are no e-mails.
    async fn customer_notices(
        &self,
        customer: &str,
        from_ms: i64,
        to_ms: i64,
        limit: i64,
    ) -> Result<Vec<SentNotice>>;
    /// Sent e-mail `id` when it went to `customer`'s contacts; another customer's, an unsent,
    /// a webhook delivery or an unknown one is `None` alike.
    async fn customer_notice(&self, customer: &str, id: i64) -> Result<Option<SentNotice>>;
}
