//! Instants (milliseconds since the Unix epoch, UTC) written the ways the public formats need:
//! RFC 3339 for JSON and Atom, iCalendar's basic form, a short human form, and day numbers.

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// Year, month, day of the proleptic Gregorian calendar for a day number since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

struct Parts {
    year: i64,
    month: u32,
    day: u32,
    hour: i64,
    minute: i64,
    second: i64,
}

fn parts(ms: i64) -> Parts {
    let days = ms.div_euclid(DAY_MS);
    let in_day = ms.rem_euclid(DAY_MS) / 1000;
    let (year, month, day) = civil_from_days(days);
    Parts {
        year,
        month,
        day,
        hour: in_day / 3600,
        minute: in_day / 60 % 60,
        second: in_day % 60,
    }
}

/// `2026-11-22T10:00:00Z`.
pub fn rfc3339(ms: i64) -> String {
    let p = parts(ms);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        p.year, p.month, p.day, p.hour, p.minute, p.second
    )
}

/// `20261122T100000Z`, iCalendar's UTC date-time.
pub fn ical(ms: i64) -> String {
    let p = parts(ms);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        p.year, p.month, p.day, p.hour, p.minute, p.second
    )
}

/// `2026-11-22 10:00 UTC`, for people.
pub fn human(ms: i64) -> String {
    let p = parts(ms);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        p.year, p.month, p.day, p.hour, p.minute
    )
}

/// `2026-11-22`, the UTC date of day number `day` since 1970-01-01.
pub fn date_of_day(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Day number since 1970-01-01 of a proleptic Gregorian date (Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Reads `2026-11-22T10:00` (an HTML `datetime-local` value, seconds and a trailing `Z`
/// allowed, a space for the `T` too) as UTC; `None` when it is no such instant.
pub fn parse_utc(s: &str) -> Option<i64> {
    let s = s.trim().trim_end_matches('Z');
    let (date, time) = s.split_once(['T', ' '])?;
    let mut d = date.split('-');
    let year: i64 = d.next()?.parse().ok()?;
    let month: u32 = d.next()?.parse().ok()?;
    let day: u32 = d.next()?.parse().ok()?;
    let mut t = time.split(':');
    let hour: i64 = t.next()?.parse().ok()?;
    let minute: i64 = t.next()?.parse().ok()?;
    let second: i64 = t.next().map_or(Some(0), |x| x.parse().ok())?;
    if d.next().is_some() || t.next().is_some() || !(1000..=9999).contains(&year) {
        return None;
    }
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    if hour < 0 || minute < 0 || second < 0 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000)
}

/// `2026-11-22T10:00`, the value an HTML `datetime-local` input shows for an instant (UTC).
pub fn datetime_local(ms: i64) -> String {
    rfc3339(ms)[..16].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        // 2026-11-22T10:00:00Z
        let t = 1_795_341_600_000;
        assert_eq!(rfc3339(t), "2026-11-22T10:00:00Z");
        assert_eq!(ical(t + 61_000), "20261122T100101Z");
        assert_eq!(human(t), "2026-11-22 10:00 UTC");
        assert_eq!(date_of_day(t / DAY_MS), "2026-11-22");
        assert_eq!(rfc3339(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1000), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn form_instants_read_back() {
        let t = 1_795_341_600_000;
        assert_eq!(parse_utc("2026-11-22T10:00"), Some(t));
        assert_eq!(parse_utc("2026-11-22 10:00:01Z"), Some(t + 1000));
        assert_eq!(parse_utc(&datetime_local(t)), Some(t));
        assert_eq!(parse_utc("2000-02-29T00:00"), Some(951_782_400_000));
        for bad in [
            "",
            "2026-11-22",
            "2026-02-29T10:00",
            "2026-13-01T00:00",
            "2026-11-22T24:00",
            "x-y-zT1:2",
            "2026-11-22T10:00:00:00",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
        for day in (-800..800).map(|d| d * 97) {
            let ms = day * DAY_MS + 3_723_000;
            assert_eq!(parse_utc(&rfc3339(ms)), Some(ms), "{}", rfc3339(ms));
        }
    }
}
