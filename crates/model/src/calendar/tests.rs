use proptest::prelude::*;

use super::*;

pub(crate) const H: i64 = 3_600_000;
pub(crate) const MIN: i64 = 60_000;

pub(crate) fn at(text: &str) -> i64 {
    text.parse::<Timestamp>().unwrap().as_millisecond()
}

pub(crate) fn text(ms: i64) -> String {
    Timestamp::from_millisecond(ms).unwrap().to_string()
}

/// The spec's office: Prague, 08:00-12:00 and 13:00-17:00 on weekdays, Christmas off.
pub(crate) fn office() -> Calendar {
    let day: &[&str] = &["08:00-12:00", "13:00-17:00"];
    Calendar::Hours(
        Hours::parse(
            TimeZone::get("Europe/Prague").unwrap(),
            [day, day, day, day, day, &[], &[]],
            &["2026-12-24", "2026-12-25", "2026-12-26"],
        )
        .unwrap(),
    )
}

#[test]
fn a_target_waits_over_the_lunch_break() {
    // Tuesday 2026-12-01 11:45 in Prague (10:45Z) + 30 min: 15 before lunch, 15 after.
    let due = office().add(at("2026-12-01T10:45:00Z"), 30 * MIN);
    assert_eq!(text(due), "2026-12-01T12:15:00Z");
}

#[test]
fn a_target_waits_over_the_weekend_and_never_falls_at_midnight() {
    // Friday 16:30 Prague + 4 h: 30 min on Friday, 3.5 h from Monday 08:00.
    let due = office().add(at("2026-12-04T15:30:00Z"), 4 * H);
    assert_eq!(text(due), "2026-12-07T10:30:00Z");
    // Asked at night, a target counts from the next opening, not from midnight (zammad#4432).
    let due = office().add(at("2026-12-07T23:30:00Z"), 30 * MIN);
    assert_eq!(text(due), "2026-12-08T07:30:00Z");
}

#[test]
fn holidays_are_the_zones_days_not_utcs() {
    // 2026-12-23 23:30Z is already the 24th in Prague: a holiday (zammad#3706 was a day off).
    let c = office();
    assert_eq!(
        c.counted(at("2026-12-23T23:30:00Z"), at("2026-12-27T00:00:00Z")),
        0
    );
    // The 23rd itself is a working Wednesday: 8 hours.
    assert_eq!(
        c.counted(at("2026-12-22T23:00:00Z"), at("2026-12-23T23:00:00Z")),
        8 * H
    );
    // A ticket on the 23rd at 16:00 Prague with 2 h to go: 1 h that day, the rest on Monday 28th.
    let due = c.add(at("2026-12-23T15:00:00Z"), 2 * H);
    assert_eq!(text(due), "2026-12-28T08:00:00Z");
}

#[test]
fn opening_hours_stay_civil_across_both_daylight_saving_changes() {
    let c = office();
    // Friday 2026-10-23 16:00 CEST (14:00Z) + 2 h: 1 h on Friday, then Monday 26th 08:00 CET
    // (07:00Z): the hours follow the civil clock after the change (grafana/oncall#3261).
    assert_eq!(
        text(c.add(at("2026-10-23T14:00:00Z"), 2 * H)),
        "2026-10-26T08:00:00Z"
    );
    // And in spring: Friday 2026-03-27 16:00 CET (15:00Z) + 2 h → Monday 08:00 CEST (06:00Z).
    assert_eq!(
        text(c.add(at("2026-03-27T15:00:00Z"), 2 * H)),
        "2026-03-30T07:00:00Z"
    );
    // A calendar open all day, every day: the October Sunday has 25 hours, March's 23.
    let all: &[&str] = &["00:00-24:00"];
    let always_open = Calendar::Hours(
        Hours::parse(TimeZone::get("Europe/Prague").unwrap(), [all; 7], &[]).unwrap(),
    );
    assert_eq!(
        always_open.counted(at("2026-10-24T22:00:00Z"), at("2026-10-25T23:00:00Z")),
        25 * H
    );
    assert_eq!(
        always_open.counted(at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z")),
        23 * H
    );
    // A range whose start falls in the spring gap (02:30 does not exist) starts when it ends.
    let night: &[&str] = &["02:30-04:00"];
    let n = Calendar::Hours(
        Hours::parse(TimeZone::get("Europe/Prague").unwrap(), [night; 7], &[]).unwrap(),
    );
    assert_eq!(
        n.counted(at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z")),
        H
    );
}

#[test]
fn always_counts_everything() {
    assert_eq!(Calendar::Always.add(1_000, 5 * H), 1_000 + 5 * H);
    assert_eq!(Calendar::Always.counted(0, 7 * H), 7 * H);
    assert_eq!(Calendar::Always.counted(7 * H, 0), 0);
}

#[test]
fn a_calendar_that_never_opens_never_reaches_a_target() {
    let closed = Calendar::Hours(Hours::parse(TimeZone::UTC, [&[] as &[&str]; 7], &[]).unwrap());
    assert_eq!(closed.add(0, MIN), i64::MAX);
    assert_eq!(closed.add(0, 0), 0);
}

#[test]
fn bad_ranges_and_holidays_are_named() {
    let zone = TimeZone::UTC;
    let parse = |day: &[&str], holidays: &[&str]| {
        Hours::parse(zone.clone(), [day, &[], &[], &[], &[], &[], &[]], holidays)
    };
    for bad in [
        "8:00-12:00",
        "12:00-08:00",
        "08:00-24:30",
        "08:00",
        "08:00-08:00",
        "25:00-26:00",
    ] {
        assert_eq!(
            parse(&[bad], &[]),
            Err(CalendarError::Range(bad.into())),
            "{bad}"
        );
    }
    assert_eq!(
        parse(&["08:00-12:00", "11:00-13:00"], &[]),
        Err(CalendarError::Overlap("11:00-13:00".into()))
    );
    assert_eq!(
        parse(&[], &["2026-02-30"]),
        Err(CalendarError::Holiday("2026-02-30".into()))
    );
    assert!(parse(&["13:00-17:00", "08:00-12:00"], &["2026-12-24"]).is_ok());
}

proptest! {
    /// `add` and `counted` are each other's inverse, and a due time is inside the hours.
    #[test]
    fn add_and_counted_agree(start in 0i64..(400 * 24), amount in 0i64..(200 * 60)) {
        let c = office();
        let from = at("2026-01-01T00:00:00Z") + start * H + (start % 7) * 13 * MIN;
        let amount = amount * MIN;
        let due = c.add(from, amount);
        prop_assert!(due >= from);
        prop_assert_eq!(c.counted(from, due), amount);
        if amount > 0 {
            // A minute before the due time, less than the whole amount had counted.
            prop_assert!(c.counted(from, due - MIN) < amount);
            // The due time is within opening hours: the minute before it counts.
            prop_assert_eq!(c.counted(due - MIN, due), MIN);
        }
    }
}

#[test]
fn a_month_ends_at_the_zones_midnight_not_utcs() {
    // zammad#5865 counted by UTC months. Monday 2026-11-30 16:50 in Prague (15:50Z) + 30 min:
    // 10 min in November, 20 on Tuesday 1 December from 08:00 CET (07:00Z).
    let c = office();
    assert_eq!(
        text(c.add(at("2026-11-30T15:50:00Z"), 30 * MIN)),
        "2026-12-01T07:20:00Z"
    );
    // 2026-11-30 23:30Z is already 1 December in Prague: November's working time ends at
    // its own midnight, so the hour before UTC's midnight counts nothing.
    assert_eq!(
        c.counted(at("2026-11-30T23:00:00Z"), at("2026-12-01T00:00:00Z")),
        0
    );
    // November in Prague: 21 working days of 8 hours, whatever UTC's month says.
    assert_eq!(
        c.counted(at("2026-10-31T23:00:00Z"), at("2026-11-30T23:00:00Z")),
        21 * 8 * H
    );
}
