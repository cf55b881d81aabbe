//! OS interventions and sealed envelopes as stored (`shared/spec/desk.md`). The store holds
//! secrets only as the running system sealed them (bytes it cannot read) and computes
//! nothing: an intervention changes with its ticket in one transaction, refused like any
//! ticket write when the ticket moved since it was read.

use crate::incidents::NewNotice;
use crate::tickets::{Saved, Ticket, TicketEvent};
use crate::Result;

/// A customer's authorisation of work on their server, and the credentials it hands over.
#[derive(Clone, PartialEq, Eq)]
pub struct Intervention {
    /// The ticket (0 while it is being opened).
    pub ticket: i64,
    /// The customer's service the work is on.
    pub server: String,
    /// The work asked for.
    pub action: String,
    /// `standard` (15–60 min) or `complex` (1–4 h), as the engineer judged it.
    pub complexity: String,
    /// What the customer allows.
    pub scope: String,
    /// When the authorisation runs out, ms since the epoch.
    pub expires_ms: i64,
    /// The customer confirmed that current backups exist.
    pub backups_confirmed: bool,
    /// The customer accepted interruptions of the service.
    pub interruption_accepted: bool,
    /// The customer account that authorised it.
    pub authorised_by: String,
    /// When.
    pub authorised_ms: i64,
    /// The customer account that revoked it.
    pub revoked_by: Option<String>,
    /// When it was revoked.
    pub revoked_ms: Option<i64>,
    /// Random and unique: what the sealed values are bound to.
    pub seal_ref: String,
    /// The credentials, sealed; `None` once destroyed.
    pub credentials: Option<Vec<u8>>,
    /// When the credentials were destroyed.
    pub purged_ms: Option<i64>,
    /// New credentials the engineer set, sealed, until the customer reads them.
    pub new_credentials: Option<Vec<u8>>,
    /// When they were given.
    pub new_credentials_ms: Option<i64>,
    /// When the customer read them (they are destroyed then).
    pub new_credentials_read_ms: Option<i64>,
    /// What was done, sent to the customer at close.
    pub summary: Option<String>,
}

impl std::fmt::Debug for Intervention {
    // The sealed values are shown by length only: they are no use in a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Intervention")
            .field("ticket", &self.ticket)
            .field("server", &self.server)
            .field("complexity", &self.complexity)
            .field("expires_ms", &self.expires_ms)
            .field("revoked_ms", &self.revoked_ms)
            .field("credentials", &self.credentials.as_ref().map(Vec::len))
            .field("purged_ms", &self.purged_ms)
            .field(
                "new_credentials",
                &self.new_credentials.as_ref().map(Vec::len),
            )
            .finish_non_exhaustive()
    }
}

/// A secret an admin sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct Envelope {
    /// Its number (0 before it is stored).
    pub id: i64,
    /// What it holds, named (unique).
    pub name: String,
    /// Random and unique: what the sealed secret is bound to.
    pub seal_ref: String,
    /// The secret, sealed.
    pub secret: Vec<u8>,
    /// The admin who sealed it (last).
    pub sealed_by: String,
    /// When.
    pub sealed_ms: i64,
}

impl std::fmt::Debug for Envelope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Envelope")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("secret", &self.secret.len())
            .field("sealed_by", &self.sealed_by)
            .field("sealed_ms", &self.sealed_ms)
            .finish_non_exhaustive()
    }
}

/// Who opened an envelope, when and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeOpening {
    /// Its number (0 before it is stored).
    pub id: i64,
    /// The envelope.
    pub envelope: i64,
    /// Staff login.
    pub opened_by: String,
    /// The reason given.
    pub reason: String,
    /// When, ms since the epoch.
    pub at_ms: i64,
}

/// Interventions and envelopes. Every method is one transaction.
#[allow(async_fn_in_trait)]
pub trait InterventionStore {
    /// Writes `ticket` with `events` and `notices` as [`crate::TicketStore::save_ticket`]
    /// does, and `intervention` as the ticket's (its `ticket` is not read), in the same
    /// transaction: nothing is written when the ticket moved since it was read.
    async fn save_intervention(
        &self,
        ticket: &Ticket,
        intervention: &Intervention,
        events: &[TicketEvent],
        notices: &[NewNotice],
    ) -> Result<Saved>;
    /// The intervention of ticket `id`.
    async fn intervention(&self, id: i64) -> Result<Option<Intervention>>;
    /// The interventions of those of tickets `ids` that have one, by ticket: a list of
    /// tickets in one query rather than one a ticket.
    async fn interventions_of(&self, ids: &[i64]) -> Result<Vec<Intervention>>;
    /// Interventions still holding credentials whose authorisation ran out at `at_ms`,
    /// earliest first, at most `limit`: their tickets' ids.
    async fn interventions_expired(&self, at_ms: i64, limit: i64) -> Result<Vec<i64>>;
    /// Stores a new envelope (`id` is not read), or replaces the sealed secret of envelope
    /// `id` (its name kept); its id, or `None` when the name is another envelope's or there
    /// is no envelope `id`.
    async fn seal_envelope(&self, envelope: &Envelope) -> Result<Option<i64>>;
    /// Records `opening` and queues `notices` in one transaction, then answers the envelope
    /// (with its sealed secret); `None` when there is no such envelope (nothing written).
    async fn open_envelope(
        &self,
        opening: &EnvelopeOpening,
        notices: &[NewNotice],
    ) -> Result<Option<Envelope>>;
    /// Every envelope by name, with its openings, newest first; the sealed secrets are left
    /// out (empty).
    async fn envelopes(&self) -> Result<Vec<(Envelope, Vec<EnvelopeOpening>)>>;
}
