//! Calendar months in the provider's zone: their bounds follow daylight-saving changes.

use std::fmt;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// Year.
    pub year: i16,
    /// 1–12.
    pub month: i8,
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Month {
    /// `YYYY-MM`, or why not.
    pub fn parse(text: &str) -> Result<Month, String> {
        let bad = || format!("month: `{text}` is not a month such as 2026-10 (YYYY-MM)");
        let (y, m) = text.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i16 = y.parse().map_err(|_| bad())?;
        let month: i8 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || !(1970..=9998).contains(&year) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }

    /// The month `ms` falls in, in `zone`.
    pub fn of(ms: i64, zone: &TimeZone) -> Month {
        let z = Timestamp::from_millisecond(ms)
            .unwrap_or(Timestamp::UNIX_EPOCH)
            .to_zoned_datetime(zone.clone());
        Month {
            year: z.year(),
            month: z.month(),
        }
    }

    /// The month before.
    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    /// The month after.
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// Days in the month.
    pub fn days(self) -> u32 {
        Date::new(self.year, self.month, 1).map_or(30, |d| d.days_in_month() as u32)
    }

    /// Its first instant in `zone`, ms UTC.
    pub fn start_ms(self, zone: &TimeZone) -> i64 {
        Date::new(self.year, self.month, 1)
            .and_then(|d| d.to_zoned_datetime(zone.clone()))
            .map_or(0, |z| z.timestamp().as_millisecond())
    }

    /// `[start, end)` in `zone`, ms UTC: a month's length follows daylight-saving changes.
    pub fn bounds(self, zone: &TimeZone) -> (i64, i64) {
        (self.start_ms(zone), self.next().start_ms(zone))
    }

    /// The instant `days` civil days after the month's end, in `zone`.
    pub fn end_plus_days(self, days: i64, zone: &TimeZone) -> i64 {
        let end = self.next();
        Date::new(end.year, end.month, 1)
            .ok()
            .and_then(|d| d.checked_add(days.days()).ok())
            .and_then(|d| d.to_zoned_datetime(zone.clone()).ok())
            .map_or(i64::MAX, |z| z.timestamp().as_millisecond())
    }
}
