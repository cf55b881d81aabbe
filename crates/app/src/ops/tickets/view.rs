//! A ticket as the API answers it and the pages show it (`shared/spec/desk.md`): times in
//! RFC 3339 UTC, the SLA clocks as of now, a customer's view without internal notes.

use serde::Serialize;
use tocsin_model::ticket_clock::Breach;
use tocsin_model::time::rfc3339;

use super::Read;
use tocsin_store::Intervention;

use crate::desk::{
    attachments_of, standing, DeskPolicy, COMPLEX_INTERVENTION_MS, INTERVENTION_FIRST_RESPONSE_MS,
    STANDARD_INTERVENTION_MS,
};

/// A ticket.
#[derive(Debug, Clone, Serialize)]
pub struct TicketView {
    /// Number.
    pub id: i64,
    /// `ticket`, `intervention` or `hardware`.
    pub kind: String,
    /// Customer id; `null` for mail from an unknown sender.
    pub customer: Option<String>,
    /// The address mail came from (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester: Option<String>,
    /// Subject.
    pub subject: String,
    /// Department.
    pub department: String,
    /// Priority.
    pub priority: String,
    /// Status.
    pub status: String,
    /// Support tier.
    pub tier: String,
    /// Service ids.
    pub services: Vec<String>,
    /// Linked open incidents.
    pub incidents: Vec<i64>,
    /// Assigned staff login (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// The ticket this one was merged into.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<i64>,
    /// Opened.
    pub created: String,
    /// Last changed.
    pub updated: String,
    /// The customer's rating, 1–5.
    pub rating: Option<i64>,
    /// The comment with it.
    pub rating_comment: Option<String>,
    /// The log (single-ticket reads only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventView>>,
    /// The SLA clocks.
    pub sla: SlaView,
    /// An OS intervention's authorisation and what became of its credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intervention: Option<InterventionView>,
}

/// An OS intervention as its ticket shows it; never a secret.
#[derive(Debug, Clone, Serialize)]
pub struct InterventionView {
    /// The customer's service worked on.
    pub server: String,
    /// The work asked for.
    pub action: String,
    /// `standard` or `complex`.
    pub complexity: String,
    /// What the customer allows.
    pub scope: String,
    /// When the authorisation runs out.
    pub expires: String,
    /// Backups confirmed by the customer.
    pub backups_confirmed: bool,
    /// Interruptions accepted by the customer.
    pub interruption_accepted: bool,
    /// The customer account that authorised it.
    pub authorised_by: String,
    /// When.
    pub authorised: String,
    /// When it was revoked.
    pub revoked: Option<String>,
    /// Not revoked, not expired, the ticket not closed.
    pub authorisation_holds: bool,
    /// `sealed` while held, `destroyed` after.
    pub credentials: String,
    /// When they were destroyed.
    pub credentials_destroyed: Option<String>,
    /// `none`, `waiting` (to be read once in the client area) or `read`.
    pub new_credentials: String,
    /// What was done, as sent to the customer at close.
    pub summary: Option<String>,
    /// The targets of seed 003, as shown: first response and the work itself.
    pub targets: InterventionTargets,
}

/// The targets an intervention is held to.
#[derive(Debug, Clone, Serialize)]
pub struct InterventionTargets {
    /// `10 min`.
    pub first_response: String,
    /// `15–60 min` (standard) or `1–4 h` (complex).
    pub intervention: String,
}

fn minutes(ms: i64) -> String {
    if ms % 3_600_000 == 0 {
        format!("{} h", ms / 3_600_000)
    } else {
        format!("{} min", ms / 60_000)
    }
}

fn intervention_view(i: &Intervention, t: &tocsin_store::Ticket, now: i64) -> InterventionView {
    let (low, high) = if i.complexity == "complex" {
        COMPLEX_INTERVENTION_MS
    } else {
        STANDARD_INTERVENTION_MS
    };
    let range = if low % 3_600_000 == 0 && high % 3_600_000 == 0 {
        format!("{}–{} h", low / 3_600_000, high / 3_600_000)
    } else {
        format!("{}–{} min", low / 60_000, high / 60_000)
    };
    let closed = matches!(t.status.as_str(), "resolved" | "closed");
    InterventionView {
        server: i.server.clone(),
        action: i.action.clone(),
        complexity: i.complexity.clone(),
        scope: i.scope.clone(),
        expires: rfc3339(i.expires_ms),
        backups_confirmed: i.backups_confirmed,
        interruption_accepted: i.interruption_accepted,
        authorised_by: i.authorised_by.clone(),
        authorised: rfc3339(i.authorised_ms),
        revoked: i.revoked_ms.map(rfc3339),
        authorisation_holds: !closed
            && i.revoked_ms.is_none()
            && now < i.expires_ms
            && i.credentials.is_some(),
        credentials: if i.credentials.is_some() {
            "sealed"
        } else {
            "destroyed"
        }
        .to_owned(),
        credentials_destroyed: i.purged_ms.map(rfc3339),
        new_credentials: match (&i.new_credentials, i.new_credentials_read_ms) {
            (Some(_), _) => "waiting",
            (None, Some(_)) => "read",
            (None, None) => "none",
        }
        .to_owned(),
        summary: i.summary.clone(),
        targets: InterventionTargets {
            first_response: minutes(INTERVENTION_FIRST_RESPONSE_MS),
            intervention: range,
        },
    }
}

/// One entry of the log.
#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    /// Number.
    pub id: i64,
    /// `created`, `customer`, `reply`, `note`, `status`, `assign`, `triage`, `merge`,
    /// `rating`.
    pub kind: String,
    /// Who.
    pub author: String,
    /// Text.
    pub body: String,
    /// Seen by the customer.
    pub public: bool,
    /// The status set, or the ticket's after the event.
    pub status: Option<String>,
    /// When.
    pub at: String,
    /// Files.
    pub attachments: Vec<AttachmentView>,
}

/// A file on a message.
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentView {
    /// Name.
    pub name: String,
    /// MIME type.
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// The archive key, which the download URL names.
    pub key: String,
}

/// The SLA clocks.
#[derive(Debug, Clone, Serialize)]
pub struct SlaView {
    /// When the first response is (was) due.
    pub first_response_due: String,
    /// When it came.
    pub first_response_at: Option<String>,
    /// When the next response is due, if one is awaited.
    pub next_response_due: Option<String>,
    /// When the resolution is due (paused: as if it resumed now).
    pub resolution_due: String,
    /// Waiting for the customer or a third party.
    pub paused: bool,
    /// Targets missed.
    pub breaches: Vec<BreachView>,
}

/// A target missed.
#[derive(Debug, Clone, Serialize)]
pub struct BreachView {
    /// `first_response`, `next_response` or `resolution`.
    pub target: String,
    /// When it was due.
    pub due: String,
    /// When it was met after all.
    pub at: Option<String>,
}

fn breach_view(b: &Breach) -> BreachView {
    BreachView {
        target: b.target.as_str().to_owned(),
        due: rfc3339(b.due_ms),
        at: b.met_ms.map(rfc3339),
    }
}

/// The view of a ticket read, for staff or its customer, with its log or without, as of `now`.
pub(super) fn ticket_view(
    read: &Read,
    desk: &DeskPolicy,
    staff: bool,
    with_events: bool,
    now: i64,
) -> TicketView {
    let t = &read.ticket;
    let s = standing(&read.targets(desk), &read.events, &read.recorded, now);
    let c = &s.clocks;
    let events = with_events.then(|| {
        read.events
            .iter()
            .filter(|e| staff || e.public)
            .filter(|e| staff || !matches!(e.kind.as_str(), "assign" | "triage" | "merge"))
            .map(|e| EventView {
                id: e.id,
                kind: e.kind.clone(),
                author: e.author.clone(),
                body: e.body.clone(),
                public: e.public,
                status: e.status.clone(),
                at: rfc3339(e.at_ms),
                attachments: attachments_of(&e.attachments)
                    .into_iter()
                    .map(|a| AttachmentView {
                        name: a.name,
                        content_type: a.content_type,
                        size: a.size,
                        key: a.key,
                    })
                    .collect(),
            })
            .collect()
    });
    TicketView {
        id: t.id,
        kind: t.kind.clone(),
        customer: t.customer.clone(),
        requester: t.requester.clone().filter(|_| staff),
        subject: t.subject.clone(),
        department: t.department.clone(),
        priority: t.priority.clone(),
        status: t.status.clone(),
        tier: t.tier.clone(),
        services: t.services.clone(),
        incidents: t.incidents.clone(),
        assignee: t.assignee.clone().filter(|_| staff),
        merged_into: t.merged_into,
        created: rfc3339(t.created_ms),
        updated: rfc3339(t.updated_ms),
        rating: t.rating,
        rating_comment: t.rating_comment.clone(),
        events,
        sla: SlaView {
            first_response_due: rfc3339(c.first_response_due),
            first_response_at: c.first_response_at.map(rfc3339),
            next_response_due: c.next_response_due.map(rfc3339),
            resolution_due: rfc3339(c.resolution_due),
            paused: c.paused,
            breaches: c.breaches.iter().map(breach_view).collect(),
        },
        intervention: read
            .intervention
            .as_ref()
            .map(|i| intervention_view(i, t, now)),
    }
}
