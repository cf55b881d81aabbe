//! Customers' downtime windows (`shared/spec/migration.md`): weekly ranges such as
//! `Sat 22:00-Sun 06:00` and absolute ones such as `2026-12-05T20:00/2026-12-06T08:00`, in
//! civil time of one zone, expanded into UTC intervals over a horizon of civil days.
//!
//! Daylight-saving changes are counted as elapsed time: `Sat 22:00-Sun 06:00` over the autumn
//! change is 9 h long, over the spring change 7 h. A civil time that does not exist (in a
//! spring-forward gap) is taken as the instant the gap ends; one that the clock reads twice
//! (in an autumn fold) as its first reading. Both ends of a window follow the same rule, as
//! the desk's business calendars do (`calendar.rs`).

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::ToSpan;

use super::Interval;

const DAY_MINUTES: i32 = 24 * 60;
const WEEK_MINUTES: i32 = 7 * DAY_MINUTES;

/// One window as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Window {
    /// Every week: from a weekday and minute of the day, for a length in minutes (up to a week).
    Weekly {
        /// The weekday it opens on.
        day: Weekday,
        /// Minute of that day it opens at.
        minute: i32,
        /// How long it stays open, minutes of civil time.
        length: i32,
    },
    /// Once, between two civil date-times.
    Once {
        /// When it opens.
        start: DateTime,
        /// When it closes (after `start`).
        end: DateTime,
    },
}

/// Why a window's text is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{text}` is not a window: {why} (expected `Sat 22:00-Sun 06:00`, `Tue 01:00-04:00` or `2026-12-05T20:00/2026-12-06T08:00`)")]
pub struct WindowError {
    /// The text given.
    pub text: String,
    /// What is wrong with it.
    pub why: String,
}

fn weekday(text: &str) -> Option<Weekday> {
    let days = [
        ("monday", Weekday::Monday),
        ("tuesday", Weekday::Tuesday),
        ("wednesday", Weekday::Wednesday),
        ("thursday", Weekday::Thursday),
        ("friday", Weekday::Friday),
        ("saturday", Weekday::Saturday),
        ("sunday", Weekday::Sunday),
    ];
    let lower = text.to_ascii_lowercase();
    days.iter()
        .find(|(name, _)| lower == *name || lower == name[..3])
        .map(|&(_, d)| d)
}

/// `HH:MM` as minutes of the day; `24:00` only where `end` allows it.
fn minute_of_day(text: &str, end: bool) -> Option<i32> {
    let (h, m) = text.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    let ok = (0..60).contains(&m) && ((0..24).contains(&h) || (end && h == 24 && m == 0));
    ok.then_some(h * 60 + m)
}

fn day_index(d: Weekday) -> i32 {
    i32::from(d.to_monday_zero_offset())
}

impl Window {
    /// Reads one window.
    pub fn parse(text: &str) -> Result<Window, WindowError> {
        let fail = |why: &str| WindowError {
            text: text.to_owned(),
            why: why.to_owned(),
        };
        let t = text.trim();
        if let Some((a, b)) = t.split_once('/') {
            let start: DateTime = a
                .trim()
                .parse()
                .map_err(|_| fail("its start is not a date and time such as 2026-12-05T20:00"))?;
            let end: DateTime = b
                .trim()
                .parse()
                .map_err(|_| fail("its end is not a date and time such as 2026-12-06T08:00"))?;
            if end <= start {
                return Err(fail("it ends before it starts"));
            }
            return Ok(Window::Once { start, end });
        }
        let (a, b) = t
            .split_once('-')
            .ok_or_else(|| fail("no `-` between its start and end"))?;
        let mut first = a.split_whitespace();
        let (Some(day), Some(at), None) = (first.next(), first.next(), first.next()) else {
            return Err(fail(
                "its start is not a weekday and a time such as `Sat 22:00`",
            ));
        };
        let day = weekday(day).ok_or_else(|| fail("unknown weekday (Mon, Tue, … Sun)"))?;
        let minute = minute_of_day(at, false).ok_or_else(|| fail("its start is not HH:MM"))?;
        let start = day_index(day) * DAY_MINUTES + minute;
        let mut second = b.split_whitespace();
        let end = match (second.next(), second.next(), second.next()) {
            (Some(at), None, None) => {
                let m = minute_of_day(at, true).ok_or_else(|| fail("its end is not HH:MM"))?;
                let end = day_index(day) * DAY_MINUTES + m;
                // `Fri 22:00-02:00` closes the next day.
                if end <= start {
                    end + DAY_MINUTES
                } else {
                    end
                }
            }
            (Some(d), Some(at), None) => {
                let d = weekday(d).ok_or_else(|| fail("unknown weekday (Mon, Tue, … Sun)"))?;
                let m = minute_of_day(at, true).ok_or_else(|| fail("its end is not HH:MM"))?;
                let end = day_index(d) * DAY_MINUTES + m;
                // The first such time after the start: `Sat 22:00-Mon 06:00` spans two nights.
                if end <= start {
                    end + WEEK_MINUTES
                } else {
                    end
                }
            }
            _ => return Err(fail("its end is not a time, or a weekday and a time")),
        };
        Ok(Window::Weekly {
            day,
            minute,
            length: end - start,
        })
    }

    /// The window's occurrences that overlap the civil days `from` up to `from + days`
    /// (exclusive) in `zone`, as UTC intervals cut to those days, in time order.
    pub fn expand(&self, zone: &TimeZone, from: Date, days: i32, out: &mut Vec<Interval>) {
        let Some(horizon) = horizon(zone, from, days) else {
            return;
        };
        let mut push = |start: DateTime, end: DateTime| {
            if let (Some(s), Some(e)) = (instant(zone, start), instant(zone, end)) {
                let (s, e) = (s.max(horizon.start), e.min(horizon.end));
                if e > s {
                    out.push(Interval { start: s, end: e });
                }
            }
        };
        match self {
            Window::Once { start, end } => push(*start, *end),
            Window::Weekly {
                day,
                minute,
                length,
            } => {
                // A week before `from` too: an occurrence opened then may still be open.
                let Ok(mut date) = from.checked_sub(7.days()) else {
                    return;
                };
                let ahead = (day_index(*day) - day_index(date.weekday())).rem_euclid(7);
                let Ok(first) = date.checked_add(ahead.days()) else {
                    return;
                };
                date = first;
                for _ in 0..(days / 7 + 3) {
                    let open = date.to_datetime(time_of(*minute));
                    let close_minute = *minute + *length;
                    let close_date = date
                        .checked_add((close_minute / DAY_MINUTES).days())
                        .unwrap_or(date);
                    let close = close_date.to_datetime(time_of(close_minute % DAY_MINUTES));
                    push(open, close);
                    match date.checked_add(7.days()) {
                        Ok(d) => date = d,
                        Err(_) => break,
                    }
                }
            }
        }
    }
}

fn time_of(minute: i32) -> Time {
    Time::new((minute / 60) as i8, (minute % 60) as i8, 0, 0).unwrap_or(Time::midnight())
}

/// The UTC seconds of civil midnight starting `from` and of `days` days later.
pub(crate) fn horizon(zone: &TimeZone, from: Date, days: i32) -> Option<Interval> {
    let start = instant(zone, from.to_datetime(Time::midnight()))?;
    let last = from.checked_add(days.days()).ok()?;
    let end = instant(zone, last.to_datetime(Time::midnight()))?;
    Some(Interval { start, end })
}

/// The instant civil `at` is in `zone`, in UTC seconds: a time in a gap is the instant the gap
/// ends, a time read twice is its first reading.
pub(crate) fn instant(zone: &TimeZone, at: DateTime) -> Option<i64> {
    let ambiguous = zone.to_ambiguous_timestamp(at);
    let ts = match ambiguous.offset() {
        AmbiguousOffset::Gap { .. } => ambiguous
            .earlier()
            .ok()
            .and_then(|before| zone.following(before).next().map(|t| t.timestamp())),
        AmbiguousOffset::Fold { .. } => ambiguous.earlier().ok(),
        AmbiguousOffset::Unambiguous { .. } => ambiguous.compatible().ok(),
    }?;
    Some(ts.as_second())
}

#[cfg(test)]
mod tests;
