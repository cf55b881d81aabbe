//! A ticket as the API answers it and the pages show it (`shared/spec/desk.md`): times in
//! RFC 3339 UTC, the SLA clocks as of now, a customer's view without internal notes.

use serde::Serialize;
use tocsin_model::ticket_clock::Breach;
use tocsin_model::time::rfc3339;

use super::Read;
use crate::desk::{attachments_of, standing, DeskPolicy};

/// A ticket.
#[derive(Debug, Clone, Serialize)]
pub struct TicketView {
    /// Number.
    pub id: i64,
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
    let s = standing(desk.targets(&t.tier), &read.events, &read.recorded, now);
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
    }
}
