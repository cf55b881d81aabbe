//! Calendar arithmetic on unix seconds (UTC) for the `Date` header and the texts.
//!
//! The crate never reads the clock: every instant arrives as unix seconds in the notice.

/// A UTC calendar instant broken into fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// 0 = Monday … 6 = Sunday.
    pub weekday: u32,
}

/// Seconds of the earliest and latest instants an RFC 5322 date can carry (years 1000–9999;
/// the grammar wants four digits).
const EARLIEST: i64 = -30_610_224_000;
const LATEST: i64 = 253_402_300_799;

/// Breaks `unix` seconds into a UTC calendar date, or `None` outside years 1000–9999.
pub(crate) fn civil(unix: i64) -> Option<Civil> {
    if !(EARLIEST..=LATEST).contains(&unix) {
        return None;
    }
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (year, month, day) = tocsin_model::time::civil_from_days(days);
    // 1970-01-01 was a Thursday (3 when Monday is 0).
    let weekday = (days + 3).rem_euclid(7);
    Some(Civil {
        year,
        month,
        day,
        hour: u32::try_from(secs / 3600).ok()?,
        minute: u32::try_from(secs % 3600 / 60).ok()?,
        second: u32::try_from(secs % 60).ok()?,
        weekday: u32::try_from(weekday).ok()?,
    })
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The RFC 5322 `date-time` of `unix` seconds, in UTC: `Sun, 22 Nov 2026 16:11:51 +0000`.
pub(crate) fn rfc5322(unix: i64) -> Option<String> {
    let c = civil(unix)?;
    let weekday = WEEKDAYS.get(usize::try_from(c.weekday).ok()?)?;
    let month = MONTHS.get(usize::try_from(c.month).ok()?.checked_sub(1)?)?;
    Some(format!(
        "{weekday}, {:02} {month} {:04} {:02}:{:02}:{:02} +0000",
        c.day, c.year, c.hour, c.minute, c.second
    ))
}

/// A short, language-neutral UTC timestamp for the texts: `2026-11-22 16:11 UTC`.
pub(crate) fn short_utc(unix: i64) -> Option<String> {
    let c = civil(unix)?;
    Some(format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        c.year, c.month, c.day, c.hour, c.minute
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(
            rfc5322(0).as_deref(),
            Some("Thu, 01 Jan 1970 00:00:00 +0000")
        );
        assert_eq!(
            rfc5322(1_795_363_911).as_deref(),
            Some("Sun, 22 Nov 2026 16:11:51 +0000")
        );
        assert_eq!(
            rfc5322(951_782_400).as_deref(),
            Some("Tue, 29 Feb 2000 00:00:00 +0000")
        );
        // Seed 002 moves the clock back to 1752: the date must still be written, not refused.
        assert_eq!(
            rfc5322(-6_857_222_400).as_deref(),
            Some("Thu, 14 Sep 1752 00:00:00 +0000")
        );
        assert_eq!(
            short_utc(1_795_363_911).as_deref(),
            Some("2026-11-22 16:11 UTC")
        );
    }

    #[test]
    fn range_edges() {
        assert_eq!(
            rfc5322(LATEST).as_deref(),
            Some("Fri, 31 Dec 9999 23:59:59 +0000")
        );
        assert_eq!(
            rfc5322(EARLIEST).as_deref(),
            Some("Wed, 01 Jan 1000 00:00:00 +0000")
        );
        assert_eq!(rfc5322(LATEST + 1), None);
        assert_eq!(rfc5322(EARLIEST - 1), None);
        assert_eq!(rfc5322(i64::MIN), None);
    }

    #[test]
    fn agrees_with_day_counting() {
        // Walk day by day over four centuries and check each date follows the previous one.
        let mut prev = civil(EARLIEST).unwrap_or_else(|| unreachable!());
        let mut t = EARLIEST + 86_400;
        while t < -30_610_224_000 + 146_097 * 86_400 {
            let c = civil(t).unwrap_or_else(|| unreachable!());
            assert_eq!(c.weekday, (prev.weekday + 1) % 7);
            if c.day == 1 {
                assert!(c.month == prev.month % 12 + 1);
                let len = match prev.month {
                    2 if (prev.year % 4 == 0 && prev.year % 100 != 0) || prev.year % 400 == 0 => 29,
                    2 => 28,
                    4 | 6 | 9 | 11 => 30,
                    _ => 31,
                };
                assert_eq!(prev.day, len, "{prev:?}");
            } else {
                assert_eq!(c.day, prev.day + 1);
            }
            prev = c;
            t += 86_400;
        }
    }
}
