//! The support desk's policy and the glue between stored tickets and the model's SLA clocks:
//! which tier's targets apply, a ticket's log as the clocks read it, and what the queue and
//! the leader's breach timer keep of the clocks in the ticket row (the earliest due time of
//! a target neither met nor recorded as missed, and whether a target is missed now).

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use tocsin_model::calendar::Calendar;
use tocsin_model::ticket_clock::{clocks, Clocks, Event, Status, Targets};
use tocsin_store::{RecordedBreach, Ticket, TicketEvent, NOTHING_DUE};

/// Departments a ticket goes to.
pub const DEPARTMENTS: [&str; 4] = ["technical", "billing", "sales", "abuse"];
/// Priorities, lowest first.
pub const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];
/// Statuses, as the contract names them.
pub const STATUSES: [&str; 5] = [
    "open",
    "waiting_customer",
    "waiting_third_party",
    "resolved",
    "closed",
];

/// How the desk runs (`[desk]`).
#[derive(Debug, Clone)]
pub struct DeskPolicy {
    /// `From:` of desk e-mail and the address customers write to; `None`: the notices' sender.
    pub address: Option<String>,
    /// Tiers by id with their targets; the first is a customer's without a tier. Never empty.
    tiers: Vec<(String, Targets)>,
    /// Hardware replacement targets of tiers that name one, counted time in ms.
    replacements: Vec<(String, i64)>,
}

/// An OS intervention's first response target (seed 003: within 10 minutes).
pub const INTERVENTION_FIRST_RESPONSE_MS: i64 = 10 * 60_000;
/// How long a standard intervention takes (seed 003: 15–60 minutes); the upper bound is its
/// resolution target.
pub const STANDARD_INTERVENTION_MS: (i64, i64) = (15 * 60_000, 60 * 60_000);
/// How long a complex intervention takes (seed 003: 1–4 hours).
pub const COMPLEX_INTERVENTION_MS: (i64, i64) = (3_600_000, 4 * 3_600_000);
/// A hardware replacement's target when the tier names none.
pub const DEFAULT_REPLACEMENT_MS: i64 = 4 * 3_600_000;

impl Default for DeskPolicy {
    /// One tier, `standard`, around the clock: first response 1 h, next 4 h, resolution 3 d.
    fn default() -> Self {
        const HOUR: i64 = 3_600_000;
        DeskPolicy {
            address: None,
            tiers: vec![(
                "standard".to_owned(),
                Targets {
                    calendar: Calendar::Always,
                    first_response_ms: HOUR,
                    next_response_ms: 4 * HOUR,
                    resolution_ms: 72 * HOUR,
                },
            )],
            replacements: Vec::new(),
        }
    }
}

impl DeskPolicy {
    /// A policy with `tiers` (the default's when empty).
    pub fn new(address: Option<String>, tiers: Vec<(String, Targets)>) -> DeskPolicy {
        if tiers.is_empty() {
            DeskPolicy {
                address,
                ..DeskPolicy::default()
            }
        } else {
            DeskPolicy {
                address,
                tiers,
                replacements: Vec::new(),
            }
        }
    }

    /// The policy with hardware replacement targets for the tiers named (`[[desk.tiers]]
    /// replacement`).
    pub fn with_replacements(mut self, replacements: Vec<(String, i64)>) -> DeskPolicy {
        self.replacements = replacements;
        self
    }

    /// The hardware replacement target of tier `id`.
    pub fn replacement_ms(&self, id: &str) -> i64 {
        self.replacements
            .iter()
            .find(|(t, _)| t == id)
            .map_or(DEFAULT_REPLACEMENT_MS, |(_, ms)| *ms)
    }

    /// The targets of `ticket`: its tier's, except that an OS intervention answers within
    /// 10 minutes and is done within the hour (4 hours when `complex`), and a hardware
    /// ticket's resolution is the tier's replacement target. Counted in the tier's calendar.
    pub fn ticket_targets(&self, ticket: &Ticket, complex: bool) -> Cow<'_, Targets> {
        let tier = self.targets(&ticket.tier);
        match ticket.kind.as_str() {
            "intervention" => Cow::Owned(Targets {
                first_response_ms: INTERVENTION_FIRST_RESPONSE_MS,
                resolution_ms: if complex {
                    COMPLEX_INTERVENTION_MS.1
                } else {
                    STANDARD_INTERVENTION_MS.1
                },
                ..tier.clone()
            }),
            "hardware" => Cow::Owned(Targets {
                resolution_ms: self.replacement_ms(&ticket.tier),
                ..tier.clone()
            }),
            _ => Cow::Borrowed(tier),
        }
    }

    /// Every tier, the default first.
    pub fn tiers(&self) -> &[(String, Targets)] {
        &self.tiers
    }

    /// The tier a customer of inventory tier `tier` gets: that one when configured, else the
    /// first.
    pub fn tier_of(&self, tier: Option<&str>) -> &str {
        tier.and_then(|t| self.tiers.iter().find(|(id, _)| id == t))
            .unwrap_or(&self.tiers[0])
            .0
            .as_str()
    }

    /// The targets of tier `id` (the first tier's when it is no longer configured).
    pub fn targets(&self, id: &str) -> &Targets {
        &self
            .tiers
            .iter()
            .find(|(t, _)| t == id)
            .unwrap_or(&self.tiers[0])
            .1
    }
}

/// A ticket's log as its clocks read it: the events that move them, in order.
pub fn clock_log(events: &[TicketEvent]) -> Vec<(i64, Event)> {
    events
        .iter()
        .filter_map(|e| {
            let event = match e.kind.as_str() {
                "created" => Event::Created,
                "customer" => Event::Customer,
                "reply" | "summary" => Event::StaffReply,
                "note" => Event::Note,
                "status" => Event::Status(Status::parse(e.status.as_deref()?)?),
                _ => return None,
            };
            Some((e.at_ms, event))
        })
        .collect()
}

/// What the ticket row keeps of its clocks as of `now`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    /// The clocks.
    pub clocks: Clocks,
    /// The earliest due time of a target neither met nor recorded as missed.
    pub due_ms: i64,
    /// A target is missed and not met yet.
    pub breached: bool,
}

/// The clocks of a ticket with `events`, given the breaches `recorded` already, as of `now`.
pub fn standing(
    targets: &Targets,
    events: &[TicketEvent],
    recorded: &[RecordedBreach],
    now: i64,
) -> Standing {
    let c = clocks(targets, &clock_log(events), now);
    // Resolved or closed, unless a customer's message reopened it since.
    let done = c.resolved_at.is_some();
    let mut due = Vec::new();
    if c.first_response_at.is_none() && !done {
        due.push(("first_response", c.first_response_due));
    }
    if let Some(at) = c.next_response_due.filter(|_| !done) {
        due.push(("next_response", at));
    }
    if !c.paused && !done {
        due.push(("resolution", c.resolution_due));
    }
    let due_ms = due
        .into_iter()
        .filter(|&(target, at)| {
            !recorded
                .iter()
                .any(|r| r.target == target && r.due_ms == at)
        })
        .map(|(_, at)| at)
        .min()
        .unwrap_or(NOTHING_DUE);
    let breached = c.breaches.iter().any(|b| b.met_ms.is_none());
    Standing {
        clocks: c,
        due_ms,
        breached,
    }
}

/// An attachment as a ticket lists it (JSON in the event's `attachments`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Attachment {
    /// File name as sent.
    pub name: String,
    /// MIME type as sent.
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// Where the archive keeps it.
    pub key: String,
}

/// The attachments listed in `json` (none when unreadable).
pub fn attachments_of(json: &str) -> Vec<Attachment> {
    serde_json::from_str(json).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn ev(kind: &str, status: Option<&str>, at_ms: i64) -> TicketEvent {
        TicketEvent {
            id: 0,
            ticket: 1,
            kind: kind.into(),
            author: "a".into(),
            body: String::new(),
            public: true,
            status: status.map(str::to_owned),
            message_id: None,
            attachments: "[]".into(),
            at_ms,
        }
    }

    const H: i64 = 3_600_000;

    #[test]
    fn the_row_keeps_the_earliest_target_not_met_nor_recorded() {
        let policy = DeskPolicy::default();
        let t = policy.targets("standard");
        let log = [ev("created", None, 0)];
        let s = standing(t, &log, &[], 10);
        assert_eq!((s.due_ms, s.breached), (H, false));
        // Past the first response: missed; once recorded, the resolution is next.
        let s = standing(t, &log, &[], 2 * H);
        assert!(s.breached);
        assert_eq!(s.due_ms, H);
        let recorded = [RecordedBreach {
            ticket: 1,
            target: "first_response".into(),
            due_ms: H,
            recorded_ms: 2 * H,
        }];
        let s = standing(t, &log, &recorded, 2 * H);
        assert_eq!(s.due_ms, 72 * H);
        // Answered late: no longer breached now; a customer message starts the next response.
        let log = [
            ev("created", None, 0),
            ev("reply", None, 2 * H),
            ev("customer", None, 3 * H),
        ];
        let s = standing(t, &log, &recorded, 3 * H);
        assert!(!s.breached);
        assert_eq!(s.due_ms, 7 * H);
        // Waiting for the customer: the resolution clock pauses, nothing is due.
        let log = [
            ev("created", None, 0),
            ev("reply", None, H / 2),
            ev("status", Some("waiting_customer"), H / 2),
        ];
        assert_eq!(standing(t, &log, &[], H).due_ms, NOTHING_DUE);
        // Resolved: nothing is due.
        let log = [
            ev("created", None, 0),
            ev("status", Some("resolved"), H / 2),
        ];
        assert_eq!(standing(t, &log, &[], 5 * H).due_ms, NOTHING_DUE);
    }

    #[test]
    fn a_customer_without_a_configured_tier_gets_the_first() {
        let policy = DeskPolicy::default();
        assert_eq!(policy.tier_of(Some("gold")), "standard");
        assert_eq!(policy.tier_of(None), "standard");
    }
}
