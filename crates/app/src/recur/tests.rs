use super::*;
use tocsin_model::time::{parse_utc, rfc3339};

fn zone(name: &str) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(name).unwrap()
}

fn at(s: &str) -> i64 {
    parse_utc(s).unwrap()
}

fn shown(list: &[i64]) -> Vec<String> {
    list.iter().map(|ms| rfc3339(*ms)).collect()
}

#[test]
fn first_tuesdays_keep_ten_o_clock_in_prague_across_daylight_saving() {
    // 2026-12-01 is the first Tuesday of December, 10:00 in Prague (CET, UTC+1).
    let r = Recurrence::new(
        "FREQ=MONTHLY;BYDAY=1TU",
        at("2026-12-01T09:00:00Z"),
        &zone("Europe/Prague"),
    )
    .unwrap();
    let got = r.between(at("2026-12-01T00:00:00Z"), at("2028-01-01T00:00:00Z"), 6);
    assert_eq!(
        shown(&got),
        [
            "2026-12-01T09:00:00Z",
            "2027-01-05T09:00:00Z",
            "2027-02-02T09:00:00Z",
            "2027-03-02T09:00:00Z",
            // Summer time from 2027-03-28: still 10:00 in Prague.
            "2027-04-06T08:00:00Z",
            "2027-05-04T08:00:00Z",
        ]
    );
    // And back to winter time after 2027-10-31.
    let got = r.between(at("2027-10-01T00:00:00Z"), at("2028-01-01T00:00:00Z"), 5);
    assert_eq!(
        shown(&got),
        [
            "2027-10-05T08:00:00Z",
            "2027-11-02T09:00:00Z",
            "2027-12-07T09:00:00Z",
        ]
    );
}

#[test]
fn civil_time_in_the_zone_carries_its_offset() {
    let prague = zone("Europe/Prague");
    assert_eq!(
        in_zone(at("2026-12-01T09:00:00Z"), &prague),
        "2026-12-01T10:00:00+01:00"
    );
    assert_eq!(
        in_zone(at("2027-04-06T08:00:00Z"), &prague),
        "2027-04-06T10:00:00+02:00"
    );
    assert_eq!(
        in_zone(at("2027-04-06T08:00:00Z"), &jiff::tz::TimeZone::UTC),
        "2027-04-06T08:00:00+00:00"
    );
}

#[test]
fn the_window_includes_its_start_excludes_its_end_and_stops_at_the_limit() {
    let r = Recurrence::new(
        "FREQ=DAILY",
        at("2026-01-01T06:00:00Z"),
        &jiff::tz::TimeZone::UTC,
    )
    .unwrap();
    let day = 86_400_000;
    let from = at("2026-01-03T06:00:00Z");
    assert_eq!(r.between(from, from + 2 * day, 10), [from, from + day]);
    assert_eq!(r.between(from, from + 20 * day, 3).len(), 3);
    assert_eq!(r.between(from, from, 10), Vec::<i64>::new());
    assert_eq!(r.between(from, from + day, 0), Vec::<i64>::new());
    // Nothing before the first occurrence.
    assert_eq!(
        r.between(0, at("2026-01-02T00:00:00Z"), 10),
        [at("2026-01-01T06:00:00Z")]
    );
}

#[test]
fn count_and_until_end_the_rule() {
    let start = at("2026-01-01T06:00:00Z");
    let r = Recurrence::new("FREQ=WEEKLY;COUNT=3", start, &jiff::tz::TimeZone::UTC).unwrap();
    assert_eq!(r.between(0, i64::MAX, 100).len(), 3);
    let r = Recurrence::new(
        "RRULE:FREQ=DAILY;UNTIL=20260105T060000Z",
        start,
        &jiff::tz::TimeZone::UTC,
    )
    .unwrap();
    assert_eq!(r.between(0, i64::MAX, 100).len(), 5);
}

#[test]
fn an_occurrence_is_recognised_exactly() {
    let r = Recurrence::new(
        "FREQ=MONTHLY;BYDAY=1TU",
        at("2026-12-01T09:00:00Z"),
        &zone("Europe/Prague"),
    )
    .unwrap();
    assert!(r.is_occurrence(at("2027-04-06T08:00:00Z")));
    assert!(!r.is_occurrence(at("2027-04-06T09:00:00Z")));
    assert!(!r.is_occurrence(at("2027-04-06T08:00:00Z") + 1));
    assert!(!r.is_occurrence(at("2027-04-13T08:00:00Z")));
    // Before the first occurrence nothing is one.
    assert!(!r.is_occurrence(at("2026-11-03T09:00:00Z")));
}

#[test]
fn a_bad_rule_is_an_error_naming_rrule() {
    let start = at("2026-12-01T09:00:00Z");
    for bad in [
        "",
        "FREQ=SOMETIMES",
        "BYDAY=1TU",
        "FREQ=MONTHLY;BYDAY=9XX",
        "FREQ=DAILY\nEXDATE:20261202T090000Z",
        "DTSTART:20261201T090000Z",
    ] {
        let e = Recurrence::new(bad, start, &zone("Europe/Prague")).unwrap_err();
        assert!(matches!(e, RecurError::Rule(_)), "{bad:?}: {e:?}");
        assert!(e.to_string().starts_with("rrule: "), "{bad:?}: {e}");
    }
}

#[test]
fn a_rule_of_every_second_is_bounded() {
    let r = Recurrence::new("FREQ=SECONDLY", 0, &jiff::tz::TimeZone::UTC).unwrap();
    // Years after the start: the expansion gives up rather than walk every second.
    assert_eq!(
        r.between(at("2026-01-01T00:00:00Z"), i64::MAX, 5),
        Vec::<i64>::new()
    );
    assert_eq!(r.between(0, i64::MAX, 3), [0, 1000, 2000]);
}

/// The expansion of `rule` from `start_ms` in `zone` over [`after_ms`, `before_ms`) by
/// python-dateutil, an implementation independent of the `rrule` crate.
fn dateutil(rule: &str, start_ms: i64, zone: &str, after_ms: i64, before_ms: i64) -> Vec<i64> {
    const SCRIPT: &str = r#"
import sys
from datetime import datetime, timezone
from zoneinfo import ZoneInfo
from dateutil.rrule import rrulestr
rule, start, zone, after, before = sys.argv[1:]
dtstart = datetime.fromtimestamp(int(start) // 1000, tz=timezone.utc).astimezone(ZoneInfo(zone))
for d in rrulestr(rule, dtstart=dtstart):
    ms = int(d.timestamp()) * 1000
    if ms >= int(before):
        break
    if ms >= int(after):
        print(ms)
"#;
    let out = std::process::Command::new("python3")
        .args(["-c", SCRIPT, rule])
        .arg(start_ms.to_string())
        .arg(zone)
        .arg(after_ms.to_string())
        .arg(before_ms.to_string())
        .output();
    let out = match out {
        Ok(out) => out,
        Err(e) => panic!(
            "python3 is needed to check the RRULE expansion against python-dateutil \
             (install python3 and python3-dateutil, as scripts/test does): {e}"
        ),
    };
    assert!(
        out.status.success(),
        "python3 with python-dateutil and zoneinfo is needed to check the RRULE expansion \
         (install python3-dateutil, as scripts/test does): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().parse::<i64>().unwrap())
        .collect()
}

#[test]
fn expansion_agrees_with_python_dateutil_across_prague_daylight_saving_changes() {
    let prague = zone("Europe/Prague");
    // 2026 and 2027: four changes (last Sundays of March and October).
    let after = at("2026-01-01T00:00:00Z");
    let before = at("2028-01-01T00:00:00Z");
    let cases = [
        ("FREQ=MONTHLY;BYDAY=1TU", "2026-01-06T09:00:00Z"),
        ("FREQ=MONTHLY;BYDAY=-1SU", "2026-01-25T09:30:00Z"),
        ("FREQ=WEEKLY;BYDAY=MO,TH", "2026-01-05T13:15:00Z"),
        ("FREQ=DAILY;INTERVAL=3", "2026-01-02T05:00:00Z"),
        (
            "FREQ=YEARLY;BYMONTH=3,10;BYDAY=-1SU",
            "2026-03-29T01:00:00Z",
        ),
        (
            "FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=14",
            "2026-01-31T22:00:00Z",
        ),
        (
            "FREQ=WEEKLY;INTERVAL=2;UNTIL=20271101T000000Z",
            "2026-02-02T16:45:00Z",
        ),
    ];
    for (rule, start) in cases {
        let start = at(start);
        let ours = Recurrence::new(rule, start, &prague)
            .unwrap()
            .between(after, before, 10_000);
        let theirs = dateutil(rule, start, "Europe/Prague", after, before);
        assert!(ours.len() >= 4, "{rule}: {}", ours.len());
        assert_eq!(
            shown(&ours),
            shown(&theirs),
            "{rule} from {}",
            rfc3339(start)
        );
    }
}
