//! The support desk's SLA clocks of one ticket (`shared/spec/desk.md`), computed from the
//! ticket's event log in its tier's [`Calendar`]: the first response, the next response to
//! the customer's latest unanswered message, and the resolution, paused while the ticket
//! waits for the customer or a third party and keeping the time it had used.
//!
//! Everything is recomputed from the log as of a given instant, so nothing is lost when a
//! target changes and nothing is kept that a restart could forget. Times that go backwards
//! in the log are taken as the latest time seen (the server's clock never does, a log
//! written under a jumping one might).

use crate::calendar::Calendar;

/// A tier's targets, in counted time (ms).
#[derive(Debug, Clone, PartialEq)]
pub struct Targets {
    /// When time counts.
    pub calendar: Calendar,
    /// From creation to the first public staff reply.
    pub first_response_ms: i64,
    /// From a customer's unanswered message to the next public staff reply.
    pub next_response_ms: i64,
    /// From creation to resolution, paused in the waiting states.
    pub resolution_ms: i64,
}

/// A ticket's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Staff have something to do.
    Open,
    /// Waiting for the customer: the resolution clock is paused.
    WaitingCustomer,
    /// Waiting for a third party: the resolution clock is paused.
    WaitingThirdParty,
    /// Solved: the clocks stop.
    Resolved,
    /// Closed: the clocks stop.
    Closed,
}

impl Status {
    /// The contract's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::WaitingCustomer => "waiting_customer",
            Status::WaitingThirdParty => "waiting_third_party",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }

    /// The status named `name`.
    pub fn parse(name: &str) -> Option<Status> {
        [
            Status::Open,
            Status::WaitingCustomer,
            Status::WaitingThirdParty,
            Status::Resolved,
            Status::Closed,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }

    fn paused(self) -> bool {
        matches!(self, Status::WaitingCustomer | Status::WaitingThirdParty)
    }

    fn done(self) -> bool {
        matches!(self, Status::Resolved | Status::Closed)
    }
}

/// What happened to a ticket, for its clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// Opened (the first event).
    Created,
    /// A message from the customer (a reply reopens a waiting or resolved ticket).
    Customer,
    /// A public reply from staff: a response.
    StaffReply,
    /// An internal note: not a response.
    Note,
    /// The status set to this.
    Status(Status),
}

/// Which target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The first response.
    FirstResponse,
    /// A next response.
    NextResponse,
    /// The resolution.
    Resolution,
}

impl Target {
    /// The contract's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Target::FirstResponse => "first_response",
            Target::NextResponse => "next_response",
            Target::Resolution => "resolution",
        }
    }
}

/// A target missed: due then, and met late at `met` (or not yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Breach {
    /// Which.
    pub target: Target,
    /// When it was due.
    pub due_ms: i64,
    /// When it was met after all, if it was.
    pub met_ms: Option<i64>,
}

/// A ticket's clocks as of an instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clocks {
    /// When the first response is (was) due.
    pub first_response_due: i64,
    /// When it came.
    pub first_response_at: Option<i64>,
    /// When the response to the customer's latest unanswered message is due, if one waits.
    pub next_response_due: Option<i64>,
    /// When the resolution is due: with the ticket paused, as if it resumed now.
    pub resolution_due: i64,
    /// When it was resolved (the latest resolution, if it stands).
    pub resolved_at: Option<i64>,
    /// Waiting for the customer or a third party.
    pub paused: bool,
    /// Counted time the resolution clock has used.
    pub resolution_used_ms: i64,
    /// Targets missed as of now, in the order they fell due.
    pub breaches: Vec<Breach>,
}

/// The clocks of a ticket whose `log` (time, event; the first one `Created`) is read as of
/// `now`.
pub fn clocks(targets: &Targets, log: &[(i64, Event)], now: i64) -> Clocks {
    let cal = &targets.calendar;
    let created = log.first().map_or(now, |&(at, _)| at);
    let mut latest = created;
    let mut status = Status::Open;
    // Spans in which the resolution clock ran; the last may still run (`running`).
    let mut ran: Vec<(i64, i64)> = Vec::new();
    let mut running: Option<i64> = Some(created);
    let mut first_response_at = None;
    let mut pending: Option<i64> = None;
    let mut answered: Vec<(i64, i64)> = Vec::new();
    let mut resolved_at = None;
    for &(at, event) in log {
        let at = at.max(latest);
        latest = at;
        let next = match event {
            Event::Created | Event::Note => status,
            Event::Customer => {
                pending.get_or_insert(at);
                if status.paused() || status.done() {
                    Status::Open
                } else {
                    status
                }
            }
            Event::StaffReply => {
                first_response_at.get_or_insert(at);
                if let Some(since) = pending.take() {
                    answered.push((since, at));
                }
                status
            }
            Event::Status(s) => s,
        };
        let runs = |s: Status| !s.paused() && !s.done();
        if runs(status) && !runs(next) {
            if let Some(since) = running.take() {
                ran.push((since, at));
            }
        } else if !runs(status) && runs(next) {
            running = Some(at);
        }
        if next.done() && !status.done() {
            resolved_at = Some(at);
        } else if !next.done() {
            resolved_at = None;
        }
        status = next;
    }
    let now = now.max(latest);
    let mut breaches = Vec::new();

    let first_response_due = cal.add(created, targets.first_response_ms);
    match first_response_at {
        Some(at) if at > first_response_due => breaches.push(Breach {
            target: Target::FirstResponse,
            due_ms: first_response_due,
            met_ms: Some(at),
        }),
        None if now > first_response_due => breaches.push(Breach {
            target: Target::FirstResponse,
            due_ms: first_response_due,
            met_ms: None,
        }),
        _ => {}
    }

    for &(since, at) in &answered {
        let due = cal.add(since, targets.next_response_ms);
        if at > due {
            breaches.push(Breach {
                target: Target::NextResponse,
                due_ms: due,
                met_ms: Some(at),
            });
        }
    }
    let next_response_due = pending.map(|since| cal.add(since, targets.next_response_ms));
    if let Some(due) = next_response_due.filter(|&due| now > due) {
        breaches.push(Breach {
            target: Target::NextResponse,
            due_ms: due,
            met_ms: None,
        });
    }

    // Resolution: the counted time of the spans it ran, then, if the target was not reached
    // in them, as if it ran on from where it is (now, when paused).
    let mut used = 0;
    let mut reached = None;
    for &(a, b) in ran.iter().chain(running.map(|a| (a, now)).as_slice()) {
        let due = cal.add(a, targets.resolution_ms - used);
        if reached.is_none() && due <= b {
            reached = Some(due);
        }
        used += cal.counted(a, b);
    }
    let resolution_due = reached.unwrap_or_else(|| {
        let resume = match running {
            Some(since) => since,
            None if status.done() => ran.last().map_or(now, |&(_, b)| b),
            None => now,
        };
        let used_before = used - running.map_or(0, |since| cal.counted(since, now));
        cal.add(resume, targets.resolution_ms - used_before)
    });
    if reached.is_some() && resolution_due < resolved_at.unwrap_or(now) {
        breaches.push(Breach {
            target: Target::Resolution,
            due_ms: resolution_due,
            met_ms: resolved_at,
        });
    }
    breaches.sort_by_key(|b| b.due_ms);
    Clocks {
        first_response_due,
        first_response_at,
        next_response_due,
        resolution_due,
        resolved_at,
        paused: status.paused(),
        resolution_used_ms: used,
        breaches,
    }
}

#[cfg(test)]
mod tests;
