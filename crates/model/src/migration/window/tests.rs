//! Windows as written, and their expansion across Europe/Prague's daylight-saving changes.

use jiff::civil::{date, Weekday};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::*;

fn prague() -> TimeZone {
    TimeZone::get("Europe/Prague").unwrap()
}

fn utc(text: &str) -> i64 {
    text.parse::<Timestamp>().unwrap().as_second()
}

fn expand(text: &str, from: Date, days: i32) -> Vec<(i64, i64)> {
    let mut out = Vec::new();
    Window::parse(text)
        .unwrap()
        .expand(&prague(), from, days, &mut out);
    out.into_iter().map(|i| (i.start, i.end)).collect()
}

#[test]
fn weekly_windows_with_and_without_a_closing_day() {
    assert_eq!(
        Window::parse("Sat 22:00-Sun 06:00"),
        Ok(Window::Weekly {
            day: Weekday::Saturday,
            minute: 22 * 60,
            length: 8 * 60
        })
    );
    assert_eq!(
        Window::parse(" tue 01:00-04:00 "),
        Ok(Window::Weekly {
            day: Weekday::Tuesday,
            minute: 60,
            length: 180
        })
    );
    // Without a closing day, an end before the start is the next morning.
    assert_eq!(
        Window::parse("Fri 22:00-02:00"),
        Ok(Window::Weekly {
            day: Weekday::Friday,
            minute: 22 * 60,
            length: 240
        })
    );
    // With one, the first such day after the start: two nights and the day between.
    assert_eq!(
        Window::parse("Sat 22:00-Mon 06:00"),
        Ok(Window::Weekly {
            day: Weekday::Saturday,
            minute: 22 * 60,
            length: 32 * 60
        })
    );
    assert_eq!(
        Window::parse("Sunday 20:00-24:00"),
        Ok(Window::Weekly {
            day: Weekday::Sunday,
            minute: 20 * 60,
            length: 240
        })
    );
}

#[test]
fn absolute_windows_in_civil_time() {
    assert_eq!(
        Window::parse("2026-12-05T20:00/2026-12-06T08:00"),
        Ok(Window::Once {
            start: date(2026, 12, 5).at(20, 0, 0, 0),
            end: date(2026, 12, 6).at(8, 0, 0, 0),
        })
    );
}

#[test]
fn malformed_windows_are_refused_with_the_reason() {
    for (text, why) in [
        ("Sat 25:00-Sun 06:00", "its start is not HH:MM"),
        ("Xyz 22:00-06:00", "unknown weekday"),
        ("Sat 22:00", "no `-`"),
        ("Sat 22:00-Sun 6", "its end is not HH:MM"),
        ("22:00-06:00", "its start is not a weekday and a time"),
        ("Sat 24:00-Sun 06:00", "its start is not HH:MM"),
        (
            "2026-12-06T08:00/2026-12-05T20:00",
            "it ends before it starts",
        ),
        (
            "2026-12-32T08:00/2026-12-05T20:00",
            "its start is not a date",
        ),
        ("Sat 22:00-Sun 06:00 extra", "its end is not a time"),
    ] {
        let err = Window::parse(text).unwrap_err();
        assert!(err.why.starts_with(why), "{text}: {}", err.why);
        assert!(err.to_string().contains(text), "{err}");
    }
}

#[test]
fn the_autumn_change_night_is_an_hour_longer() {
    // Sunday 2026-10-25 03:00 CEST becomes 02:00 CET.
    let nights = expand("Sat 22:00-Sun 06:00", date(2026, 10, 19), 14);
    assert_eq!(
        nights,
        vec![
            (utc("2026-10-24T20:00:00Z"), utc("2026-10-25T05:00:00Z")),
            (utc("2026-10-31T21:00:00Z"), utc("2026-11-01T05:00:00Z")),
        ]
    );
    assert_eq!(nights[0].1 - nights[0].0, 9 * 3600);
    assert_eq!(nights[1].1 - nights[1].0, 8 * 3600);
}

#[test]
fn the_spring_change_night_is_an_hour_shorter() {
    // Sunday 2026-03-29 02:00 CET becomes 03:00 CEST.
    let nights = expand("Sat 22:00-Sun 06:00", date(2026, 3, 23), 7);
    assert_eq!(
        nights,
        vec![(utc("2026-03-28T21:00:00Z"), utc("2026-03-29T04:00:00Z"))]
    );
}

#[test]
fn a_time_in_the_gap_is_the_end_of_the_gap_and_a_time_read_twice_its_first_reading() {
    // 02:30 does not exist on 2026-03-29: the window opens when the clock jumps to 03:00 CEST.
    assert_eq!(
        expand("Sun 02:30-05:00", date(2026, 3, 23), 7),
        vec![(utc("2026-03-29T01:00:00Z"), utc("2026-03-29T03:00:00Z"))]
    );
    // 02:30 happens twice on 2026-10-25: first in CEST.
    assert_eq!(
        expand("Sun 02:30-04:00", date(2026, 10, 19), 7),
        vec![(utc("2026-10-25T00:30:00Z"), utc("2026-10-25T03:00:00Z"))]
    );
    assert_eq!(
        expand("2026-10-25T01:00/2026-10-25T02:30", date(2026, 10, 19), 7),
        vec![(utc("2026-10-24T23:00:00Z"), utc("2026-10-25T00:30:00Z"))]
    );
}

#[test]
fn occurrences_are_cut_to_the_horizon() {
    // From a Sunday: Saturday night's occurrence is open from the first midnight on.
    assert_eq!(
        expand("Sat 22:00-Sun 06:00", date(2026, 12, 6), 1),
        vec![(utc("2026-12-05T23:00:00Z"), utc("2026-12-06T05:00:00Z"))]
    );
    // Ninety days hold thirteen Saturday nights from a Tuesday.
    assert_eq!(
        expand("Sat 22:00-Sun 06:00", date(2026, 12, 1), 90).len(),
        13
    );
    // An absolute window after the horizon is not there.
    assert_eq!(
        expand("2027-06-05T20:00/2027-06-06T08:00", date(2026, 12, 1), 90),
        vec![]
    );
}
