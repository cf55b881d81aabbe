use super::*;
use crate::calendar::tests::{at, office, text, H, MIN};

fn targets(calendar: Calendar) -> Targets {
    Targets {
        calendar,
        first_response_ms: 30 * MIN,
        next_response_ms: 4 * H,
        resolution_ms: 10 * H,
    }
}

#[test]
fn a_first_response_in_time_is_no_breach_and_a_late_one_is_one() {
    let t = targets(Calendar::Always);
    let t0 = at("2026-12-01T10:00:00Z");
    let on_time = clocks(
        &t,
        &[(t0, Event::Created), (t0 + 20 * MIN, Event::StaffReply)],
        t0 + 5 * H,
    );
    assert_eq!(on_time.first_response_due, t0 + 30 * MIN);
    assert_eq!(on_time.first_response_at, Some(t0 + 20 * MIN));
    assert!(on_time.breaches.is_empty());
    // Unanswered past the due time: one breach, not met; answered later: the same one, met.
    let late = clocks(&t, &[(t0, Event::Created)], t0 + 40 * MIN);
    assert_eq!(
        late.breaches,
        vec![Breach {
            target: Target::FirstResponse,
            due_ms: t0 + 30 * MIN,
            met_ms: None
        }]
    );
    let met = clocks(
        &t,
        &[(t0, Event::Created), (t0 + 50 * MIN, Event::StaffReply)],
        t0 + 2 * H,
    );
    assert_eq!(
        met.breaches,
        vec![Breach {
            target: Target::FirstResponse,
            due_ms: t0 + 30 * MIN,
            met_ms: Some(t0 + 50 * MIN)
        }]
    );
    // An internal note is no response.
    let noted = clocks(
        &t,
        &[(t0, Event::Created), (t0 + 10 * MIN, Event::Note)],
        t0 + 40 * MIN,
    );
    assert_eq!(noted.first_response_at, None);
    assert_eq!(noted.breaches.len(), 1);
}

#[test]
fn a_customers_follow_up_never_moves_the_first_response_target() {
    // zammad#5177: the update (next response) target overrode the first response's.
    let t = targets(Calendar::Always);
    let t0 = at("2026-12-01T10:00:00Z");
    let c = clocks(
        &t,
        &[(t0, Event::Created), (t0 + 10 * MIN, Event::Customer)],
        t0 + 15 * MIN,
    );
    assert_eq!(c.first_response_due, t0 + 30 * MIN);
    assert_eq!(c.next_response_due, Some(t0 + 10 * MIN + 4 * H));
    // One staff reply answers both.
    let c = clocks(
        &t,
        &[
            (t0, Event::Created),
            (t0 + 10 * MIN, Event::Customer),
            (t0 + 20 * MIN, Event::StaffReply),
        ],
        t0 + 30 * H,
    );
    assert_eq!(c.next_response_due, None);
    assert!(
        c.breaches.iter().all(|b| b.target == Target::Resolution),
        "{c:?}"
    );
}

#[test]
fn a_ticket_opened_outside_hours_is_not_overdue_at_once() {
    // osTicket#6739: overdue at once with some schedules. Saturday 2026-12-05 10:00 Prague.
    let t = targets(office());
    let created = at("2026-12-05T09:00:00Z");
    let c = clocks(&t, &[(created, Event::Created)], created + 20 * H);
    assert!(c.breaches.is_empty(), "{c:?}");
    assert_eq!(text(c.first_response_due), "2026-12-07T07:30:00Z");
    // 10 business hours: Monday's 8 and 2 on Tuesday.
    assert_eq!(text(c.resolution_due), "2026-12-08T09:00:00Z");
}

#[test]
fn targets_keep_the_civil_hours_after_the_autumn_change() {
    // grafana/oncall#3261: an hour off after DST. Friday 2026-10-23 16:30 CEST.
    let t = targets(office());
    let created = at("2026-10-23T14:30:00Z");
    let c = clocks(&t, &[(created, Event::Created)], created);
    // 30 minutes: Friday's last half hour → due at 17:00 CEST that Friday.
    assert_eq!(text(c.first_response_due), "2026-10-23T15:00:00Z");
    let c = clocks(
        &Targets {
            first_response_ms: H,
            ..t
        },
        &[(created, Event::Created)],
        created,
    );
    // An hour: half on Friday, half on Monday from 08:00 CET (07:00Z).
    assert_eq!(text(c.first_response_due), "2026-10-26T07:30:00Z");
}

#[test]
fn waiting_pauses_the_resolution_and_keeps_what_it_used() {
    // osTicket#3034: no pause at all. 24x7, resolution 10 h.
    let t = targets(Calendar::Always);
    let t0 = at("2026-12-01T00:00:00Z");
    let log = [
        (t0, Event::Created),
        (t0 + 20 * MIN, Event::StaffReply),
        (t0 + 2 * H, Event::Status(Status::WaitingCustomer)),
    ];
    // Paused for 5 h so far: 2 h used, due 8 h from now as if it resumed now.
    let c = clocks(&t, &log, t0 + 7 * H);
    assert!(c.paused);
    assert_eq!(c.resolution_used_ms, 2 * H);
    assert_eq!(c.resolution_due, t0 + 7 * H + 8 * H);
    assert!(c.breaches.is_empty());
    // The customer answers after 5 h: the ticket reopens and the clock runs on from 2 h.
    let mut log = log.to_vec();
    log.push((t0 + 7 * H, Event::Customer));
    let c = clocks(&t, &log, t0 + 8 * H);
    assert!(!c.paused);
    assert_eq!(c.resolution_used_ms, 3 * H);
    assert_eq!(c.resolution_due, t0 + 15 * H);
    // Resolved after the due time: one resolution breach, met then.
    log.push((t0 + 16 * H, Event::Status(Status::Resolved)));
    let c = clocks(&t, &log, t0 + 20 * H);
    assert_eq!(c.resolved_at, Some(t0 + 16 * H));
    assert_eq!(c.resolution_used_ms, 11 * H);
    let resolution: Vec<_> = c
        .breaches
        .iter()
        .filter(|b| b.target == Target::Resolution)
        .collect();
    assert_eq!(
        resolution,
        vec![&Breach {
            target: Target::Resolution,
            due_ms: t0 + 15 * H,
            met_ms: Some(t0 + 16 * H)
        }]
    );
}

#[test]
fn changing_the_targets_keeps_the_paused_time() {
    // GLPI#15605: paused time lost when the SLA changed. The clocks come from the log, so a
    // new target keeps every hour used and every hour paused.
    let t0 = at("2026-12-01T00:00:00Z");
    let log = [
        (t0, Event::Created),
        (t0 + 3 * H, Event::Status(Status::WaitingThirdParty)),
        (t0 + 9 * H, Event::Status(Status::Open)),
    ];
    let now = t0 + 10 * H;
    let short = clocks(&targets(Calendar::Always), &log, now);
    let long = clocks(
        &Targets {
            resolution_ms: 20 * H,
            ..targets(Calendar::Always)
        },
        &log,
        now,
    );
    assert_eq!(short.resolution_used_ms, 4 * H);
    assert_eq!(long.resolution_used_ms, 4 * H);
    assert_eq!(short.resolution_due, t0 + 16 * H);
    assert_eq!(long.resolution_due, t0 + 26 * H);
}

#[test]
fn a_log_whose_times_go_back_never_makes_a_clock_negative() {
    // Seed 002: an entry written under a clock an hour back (or in 1752).
    let t = targets(Calendar::Always);
    let t0 = at("2026-12-01T00:00:00Z");
    let log = [
        (t0, Event::Created),
        (t0 + 10 * MIN, Event::StaffReply),
        (t0 + H, Event::Status(Status::WaitingCustomer)),
        (at("1752-09-02T12:00:00Z"), Event::Customer),
        (t0 + 2 * H, Event::Status(Status::Resolved)),
    ];
    let c = clocks(&t, &log, t0 - 3 * H);
    assert_eq!(c.resolution_used_ms, 2 * H);
    assert!(c.breaches.is_empty());
    assert_eq!(c.resolved_at, Some(t0 + 2 * H));
}
