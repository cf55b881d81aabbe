//! Support desk tickets as stored: the ticket row with what the desk computed of its clocks
//! (the queue's order), its event log, the targets recorded as missed, and canned replies.
//! The store computes nothing: the running system reads a ticket and its log, decides, and
//! writes the new state with the events it adds in one transaction, refused when the ticket
//! changed since it was read (its `version`), so two instances never overwrite each other.

use crate::incidents::NewNotice;
use crate::Result;

/// The text in a ticket notice's `kind` or `payload` that the store replaces by the id of
/// the ticket it belongs to (a ticket being opened has none yet).
pub const TICKET_ID_PLACEHOLDER: &str = "{ticket_id}";
/// The text replaced by the id of the first event written with the notice.
pub const EVENT_ID_PLACEHOLDER: &str = "{event_id}";
/// `due_ms` of a ticket with no target running.
pub const NOTHING_DUE: i64 = i64::MAX;

/// A ticket and what it stands at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// Its number (0 before it is stored).
    pub id: i64,
    /// `ticket`, `intervention` (work on the customer's server under their authorisation)
    /// or `hardware` (a hardware fault, with the tier's replacement target).
    pub kind: String,
    /// The customer's id; `None` for mail from an unknown sender, until staff assign one.
    pub customer: Option<String>,
    /// The address mail came from, for a ticket opened by e-mail.
    pub requester: Option<String>,
    /// Subject line.
    pub subject: String,
    /// `technical`, `billing`, `sales` or `abuse`.
    pub department: String,
    /// `low`, `normal`, `high` or `urgent`.
    pub priority: String,
    /// `open`, `waiting_customer`, `waiting_third_party`, `resolved` or `closed`.
    pub status: String,
    /// The support tier whose targets apply.
    pub tier: String,
    /// The customer's language for mail (`en`, `cs`, …).
    pub language: String,
    /// Service ids it is about.
    pub services: Vec<String>,
    /// Open incidents of those services when linked.
    pub incidents: Vec<i64>,
    /// Staff login it is assigned to.
    pub assignee: Option<String>,
    /// The ticket this one was merged into.
    pub merged_into: Option<i64>,
    /// The earliest due time of a target neither met nor missed; [`NOTHING_DUE`] if none.
    pub due_ms: i64,
    /// Some target was missed.
    pub breached: bool,
    /// The customer's satisfaction, 1–5.
    pub rating: Option<i64>,
    /// The customer's comment with the rating.
    pub rating_comment: Option<String>,
    /// When rated.
    pub rated_ms: Option<i64>,
    /// When opened.
    pub created_ms: i64,
    /// When last changed.
    pub updated_ms: i64,
    /// Grows with every write (0 before it is stored).
    pub version: i64,
}

impl Ticket {
    /// Neither resolved, closed nor merged: in the staff's queue.
    pub fn active(&self) -> bool {
        self.merged_into.is_none() && !matches!(self.status.as_str(), "resolved" | "closed")
    }
}

/// One entry of a ticket's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketEvent {
    /// Its number (0 before it is stored); ordering.
    pub id: i64,
    /// The ticket.
    pub ticket: i64,
    /// `created`, `customer`, `reply`, `note`, `status`, `assign`, `triage`, `merge`,
    /// `rating` or `link`.
    pub kind: String,
    /// Staff login, customer account login or e-mail address.
    pub author: String,
    /// Text (a message's body, a note, a change described).
    pub body: String,
    /// Seen by the customer (internal notes are not).
    pub public: bool,
    /// The status set (status events) or the ticket's status after the event.
    pub status: Option<String>,
    /// The e-mail `Message-ID` of the message, in or out, without brackets.
    pub message_id: Option<String>,
    /// Attachments, JSON `[{name, content_type, size, key}]`; the store does not read it.
    pub attachments: String,
    /// When, ms since the epoch.
    pub at_ms: i64,
}

/// How a write to a ticket ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    /// Written: the ticket's id and the ids of the events added, in order.
    Done {
        /// The ticket.
        ticket: i64,
        /// The events added.
        events: Vec<i64>,
    },
    /// The ticket changed since it was read (or is gone): nothing was written.
    Conflict,
    /// An event's `message_id` is already stored, on this ticket: nothing was written.
    Duplicate(i64),
}

/// A target recorded as missed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedBreach {
    /// The ticket.
    pub ticket: i64,
    /// `first_response`, `next_response` or `resolution`.
    pub target: String,
    /// When it was due.
    pub due_ms: i64,
    /// When it was recorded.
    pub recorded_ms: i64,
}

/// A reply staff reuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannedReply {
    /// Its number (0 before it is stored).
    pub id: i64,
    /// Short title staff pick it by.
    pub title: String,
    /// Its text.
    pub body: String,
    /// Its language.
    pub language: String,
    /// Who wrote it.
    pub created_by: String,
    /// When.
    pub created_ms: i64,
}

/// Which tickets to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketFilter {
    /// Only this status.
    pub status: Option<String>,
    /// Only this customer's.
    pub customer: Option<String>,
    /// Only ids below this (the next page, newest first).
    pub before: Option<i64>,
    /// At most this many.
    pub limit: i64,
}

/// Tickets, their logs and canned replies. Every method is one transaction.
#[allow(async_fn_in_trait)]
pub trait TicketStore {
    /// Writes `ticket` and appends `events` to its log in one transaction, and queues
    /// `notices` in the outbox with [`TICKET_ID_PLACEHOLDER`] and [`EVENT_ID_PLACEHOLDER`]
    /// replaced. A ticket with id 0 is inserted (its version becomes 1); otherwise it is
    /// updated only if its stored version is still `ticket.version`, which then grows by
    /// one. An event whose `message_id` is stored already writes nothing at all and answers
    /// the ticket that has it.
    async fn save_ticket(
        &self,
        ticket: &Ticket,
        events: &[TicketEvent],
        notices: &[NewNotice],
    ) -> Result<Saved>;
    /// Stores tickets made elsewhere (an import from another desk) with their logs, in one
    /// transaction, without notices; `id` and `version` are not read. Answers their ids.
    async fn import_tickets(&self, tickets: &[(Ticket, Vec<TicketEvent>)]) -> Result<Vec<i64>>;
    /// Merges ticket `from` into `into`: moves `from`'s events to `into`, writes both rows
    /// (each refused unless its version is as read, `from` marked `merged_into`) and appends
    /// `events` to `into`.
    async fn merge_tickets(
        &self,
        into: &Ticket,
        from: &Ticket,
        events: &[TicketEvent],
    ) -> Result<Saved>;
    /// Ticket `id`.
    async fn ticket(&self, id: i64) -> Result<Option<Ticket>>;
    /// Ticket `id`'s log, in order.
    async fn ticket_events(&self, id: i64) -> Result<Vec<TicketEvent>>;
    /// The logs of tickets `ids` in one read per 1,000 tickets: each ticket's events together
    /// and in order (a list of tickets costs no read per ticket).
    async fn ticket_events_of(&self, ids: &[i64]) -> Result<Vec<TicketEvent>>;
    /// Tickets, newest first.
    async fn tickets(&self, filter: &TicketFilter) -> Result<Vec<Ticket>>;
    /// The staff queue: active tickets (of `tier`, or all), missed targets first, then by due
    /// time, at most `limit`.
    async fn ticket_queue(&self, tier: Option<&str>, limit: i64) -> Result<Vec<Ticket>>;
    /// How many active tickets there are, in all and with a missed target, each counted up
    /// to `cap` at most (an exact count of every active ticket reads them all).
    async fn ticket_counts(&self, cap: i64) -> Result<(i64, i64)>;
    /// The ticket holding a message with one of these `Message-ID`s, the latest if several.
    async fn ticket_by_message(&self, message_ids: &[String]) -> Result<Option<i64>>;
    /// Active tickets whose `due_ms` is at or before `at_ms`, earliest first, at most `limit`.
    async fn tickets_due(&self, at_ms: i64, limit: i64) -> Result<Vec<Ticket>>;
    /// Records missed targets of one ticket, each once; queues each one's notices with it.
    /// Answers those recorded now (not before).
    async fn record_breaches(
        &self,
        breaches: &[(RecordedBreach, Vec<NewNotice>)],
    ) -> Result<Vec<RecordedBreach>>;
    /// The missed targets recorded for ticket `id`.
    async fn ticket_breaches(&self, id: i64) -> Result<Vec<RecordedBreach>>;
    /// Stores a canned reply; returns its id.
    async fn add_canned_reply(&self, reply: &CannedReply) -> Result<i64>;
    /// Every canned reply, by title.
    async fn canned_replies(&self) -> Result<Vec<CannedReply>>;
}
