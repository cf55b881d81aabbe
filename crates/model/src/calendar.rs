//! Business calendars for the support desk's SLA clocks (`shared/spec/desk.md`): an IANA
//! time zone, opening hours per weekday (several ranges a day), holidays, or all the time
//! (`24x7`). Time counts only inside the hours, outside the holidays, in the zone's civil
//! time — daylight-saving changes included, so 08:00 stays 08:00 after them.
//!
//! Pure functions: [`Calendar::counted`] measures the counted time between two instants and
//! [`Calendar::add`] finds when a target of counted time is reached. They walk civil days in
//! the zone and convert each range's ends with jiff; nothing reads the clock.

use std::collections::BTreeSet;

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::Timestamp;

/// Minutes in a day: a range may end at `24:00`.
const DAY_MINUTES: u16 = 24 * 60;
/// How far [`Calendar::add`] walks before deciding a target is never reached (a calendar
/// whose every day is closed or a holiday): ten years of days.
const HORIZON_DAYS: i32 = 3_660;

/// When time counts.
#[derive(Debug, Clone, PartialEq)]
pub enum Calendar {
    /// Always (`24x7`).
    Always,
    /// Opening hours in a zone.
    Hours(Hours),
}

/// Opening hours: per weekday, sorted disjoint ranges of minutes of the civil day; holidays
/// closed all day.
#[derive(Debug, Clone, PartialEq)]
pub struct Hours {
    zone: TimeZone,
    /// Monday first.
    week: [Vec<(u16, u16)>; 7],
    holidays: BTreeSet<Date>,
}

/// Why a calendar's text is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// A range is not `HH:MM-HH:MM` with the start before the end, within the day.
    #[error("`{0}` is not a range of the day such as 08:00-12:00 (start before end, up to 24:00)")]
    Range(String),
    /// Two ranges of one day overlap.
    #[error("`{0}` overlaps another range of the same day")]
    Overlap(String),
    /// A holiday is not a date.
    #[error("`{0}` is not a date such as 2026-12-24")]
    Holiday(String),
}

fn minutes(text: &str) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

impl Hours {
    /// Hours in `zone` from `week` (Monday first; each day's ranges as `HH:MM-HH:MM`; an
    /// empty day is closed) and `holidays` (`YYYY-MM-DD`).
    pub fn parse(
        zone: TimeZone,
        week: [&[&str]; 7],
        holidays: &[&str],
    ) -> Result<Hours, CalendarError> {
        let mut days: [Vec<(u16, u16)>; 7] = Default::default();
        for (day, ranges) in days.iter_mut().zip(week) {
            for &r in ranges {
                let bad = || CalendarError::Range(r.to_owned());
                let (a, b) = r.split_once('-').ok_or_else(bad)?;
                let (a, b) = (
                    minutes(a.trim()).ok_or_else(bad)?,
                    minutes(b.trim()).ok_or_else(bad)?,
                );
                if a >= b {
                    return Err(bad());
                }
                if day.iter().any(|&(s, e)| a < e && s < b) {
                    return Err(CalendarError::Overlap(r.to_owned()));
                }
                day.push((a, b));
            }
            day.sort_unstable();
        }
        let holidays = holidays
            .iter()
            .map(|h| {
                h.trim()
                    .parse::<Date>()
                    .map_err(|_| CalendarError::Holiday((*h).to_owned()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Hours {
            zone,
            week: days,
            holidays,
        })
    }

    /// The instant civil `date` at `minute` of the day is in the zone (a time that does not
    /// exist, in a spring-forward gap, is taken as the instant the gap ends).
    fn instant(&self, date: Date, minute: u16) -> i64 {
        let (date, minute) = if minute == DAY_MINUTES {
            (date.tomorrow().unwrap_or(date), 0)
        } else {
            (date, minute)
        };
        let time =
            Time::new((minute / 60) as i8, (minute % 60) as i8, 0, 0).unwrap_or(Time::midnight());
        let ambiguous = self.zone.to_ambiguous_timestamp(date.to_datetime(time));
        let at = match ambiguous.offset() {
            // The civil clock jumps over this time: it reads later from the jump on.
            AmbiguousOffset::Gap { .. } => ambiguous
                .earlier()
                .ok()
                .and_then(|before| self.zone.following(before).next().map(|t| t.timestamp())),
            // Unambiguous, or the first of the two times the clock reads it.
            _ => ambiguous.compatible().ok(),
        };
        at.map_or(i64::MAX, |t| t.as_millisecond())
    }

    /// The open spans of civil day `date`, as instants.
    fn spans(&self, date: Date) -> impl Iterator<Item = (i64, i64)> + '_ {
        let ranges: &[(u16, u16)] = if self.holidays.contains(&date) {
            &[]
        } else {
            &self.week[weekday(date.weekday())]
        };
        ranges
            .iter()
            .map(move |&(a, b)| (self.instant(date, a), self.instant(date, b)))
            .filter(|(a, b)| b > a)
    }

    fn date_of(&self, ms: i64) -> Date {
        Timestamp::from_millisecond(ms)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned_datetime(self.zone.clone())
            .date()
    }
}

fn weekday(w: Weekday) -> usize {
    w.to_monday_zero_offset() as usize
}

impl Calendar {
    /// The counted time in `[from, to)`, ms (0 when `to` is not after `from`).
    pub fn counted(&self, from: i64, to: i64) -> i64 {
        if to <= from {
            return 0;
        }
        let Calendar::Hours(h) = self else {
            return to - from;
        };
        // The day before too: a range of the previous civil day never reaches past its end,
        // but the zone's offset may put `from` early in a day whose date differs.
        let mut day = h.date_of(from).yesterday().unwrap_or(h.date_of(from));
        let last = h.date_of(to);
        let mut total = 0;
        while day <= last {
            for (a, b) in h.spans(day) {
                total += (b.min(to) - a.max(from)).max(0);
            }
            match day.tomorrow() {
                Ok(d) => day = d,
                Err(_) => break,
            }
        }
        total
    }

    /// The instant at which `amount` ms of counted time after `from` have passed: `from` when
    /// `amount` is 0, otherwise an instant inside the hours (at most a range's end, never the
    /// night's midnight); `i64::MAX` when the calendar never opens again within ten years.
    pub fn add(&self, from: i64, amount: i64) -> i64 {
        if amount <= 0 {
            return from;
        }
        let Calendar::Hours(h) = self else {
            return from.saturating_add(amount);
        };
        let mut left = amount;
        let first = h.date_of(from).yesterday().unwrap_or(h.date_of(from));
        let mut day = first;
        for _ in 0..HORIZON_DAYS {
            for (a, b) in h.spans(day) {
                let start = a.max(from);
                if b <= start {
                    continue;
                }
                if b - start >= left {
                    return start + left;
                }
                left -= b - start;
            }
            match day.tomorrow() {
                Ok(d) => day = d,
                Err(_) => break,
            }
        }
        i64::MAX
    }
}

#[cfg(test)]
pub(crate) mod tests;
