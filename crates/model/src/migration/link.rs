//! Link speeds as people write them (`10Gbit/s`, `500Mbit/s`, `1.5Gbit/s`, `100MB/s`, with
//! decimal prefixes) and lengths of time as the plan shows them (`3h05m`).

/// Why a link speed's text is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a link speed such as 10Gbit/s, 500Mbit/s, 1.5Gbit/s or 100MB/s")]
pub struct LinkError(pub String);

/// The speed `text` names, in bits per second (a whole, positive number).
pub fn parse_link(text: &str) -> Result<u64, LinkError> {
    let bad = || LinkError(text.to_owned());
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .ok_or_else(bad)?;
    let (number, unit) = (&t[..split], t[split..].trim_start());
    let (prefix, rest) = match unit.chars().next() {
        Some('k' | 'K') => (3u32, &unit[1..]),
        Some('M') => (6, &unit[1..]),
        Some('G') => (9, &unit[1..]),
        Some('T') => (12, &unit[1..]),
        _ => (0, unit),
    };
    let bits_per_unit: u128 = match rest {
        "bit/s" | "bps" | "b/s" => 1,
        "B/s" | "Bps" => 8,
        _ => return Err(bad()),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() || fraction.contains('.') || fraction.len() > 12 {
        return Err(bad());
    }
    let digits = format!("{whole}{fraction}");
    let mantissa: u128 = digits.parse().map_err(|_| bad())?;
    let scale = 10u128.pow(fraction.len() as u32);
    let total = mantissa
        .checked_mul(10u128.pow(prefix))
        .and_then(|v| v.checked_mul(bits_per_unit))
        .ok_or_else(bad)?;
    // Fractions of a bit per second would make durations depend on rounding.
    if total % scale != 0 {
        return Err(bad());
    }
    match u64::try_from(total / scale) {
        Ok(bits) if bits > 0 => Ok(bits),
        _ => Err(bad()),
    }
}

/// How many seconds a disk of `disk_bytes` takes on one of `streams` equal shares of a link of
/// `link` bit/s, rounded up, plus `overhead` seconds.
pub fn downtime_seconds(disk_bytes: u64, link: u64, streams: u32, overhead: u64) -> u64 {
    let bits = u128::from(disk_bytes) * 8 * u128::from(streams.max(1));
    let link = u128::from(link.max(1));
    let transfer = bits.div_ceil(link);
    u64::try_from(transfer)
        .unwrap_or(u64::MAX)
        .saturating_add(overhead)
}

/// `seconds` as hours, minutes and seconds, leaving out zero parts: `3h05m`, `2h`, `45m`,
/// `1m30s`.
pub fn show_duration(seconds: i64) -> String {
    let (h, m, s) = (seconds / 3600, seconds % 3600 / 60, seconds % 60);
    match (h, m, s) {
        (0, 0, s) => format!("{s}s"),
        (0, m, 0) => format!("{m}m"),
        (0, m, s) => format!("{m}m{s:02}s"),
        (h, 0, 0) => format!("{h}h"),
        (h, m, 0) => format!("{h}h{m:02}m"),
        (h, m, s) => format!("{h}h{m:02}m{s:02}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_speeds_in_bits_and_bytes_with_decimal_prefixes() {
        assert_eq!(parse_link("10Gbit/s"), Ok(10_000_000_000));
        assert_eq!(parse_link("500Mbit/s"), Ok(500_000_000));
        assert_eq!(parse_link("1.5Gbit/s"), Ok(1_500_000_000));
        assert_eq!(parse_link("100MB/s"), Ok(800_000_000));
        assert_eq!(parse_link(" 25 Gbps "), Ok(25_000_000_000));
        assert_eq!(parse_link("64kbit/s"), Ok(64_000));
    }

    #[test]
    fn link_speeds_that_are_not_refused() {
        for bad in [
            "",
            "fast",
            "10",
            "10Gbit",
            "0Gbit/s",
            "1.2.3Gbit/s",
            "Gbit/s",
            "0.5bit/s",
            "-1Gbit/s",
            "10Xbit/s",
        ] {
            assert!(parse_link(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn downtime_is_the_share_of_the_link_rounded_up_plus_overhead() {
        // 10 GB on a 10 Gbit/s link in 4 streams: 80 Gbit at 2.5 Gbit/s = 32 s.
        assert_eq!(
            downtime_seconds(10_000_000_000, 10_000_000_000, 4, 300),
            332
        );
        // One byte more needs a whole second more.
        assert_eq!(
            downtime_seconds(10_000_000_001, 10_000_000_000, 4, 300),
            333
        );
        assert_eq!(downtime_seconds(0, 1, 1, 0), 0);
    }

    #[test]
    fn durations_leave_out_zero_parts() {
        assert_eq!(show_duration(3 * 3600 + 5 * 60), "3h05m");
        assert_eq!(show_duration(2 * 3600), "2h");
        assert_eq!(show_duration(45 * 60), "45m");
        assert_eq!(show_duration(90), "1m30s");
        assert_eq!(show_duration(3600 + 1), "1h00m01s");
        assert_eq!(show_duration(7), "7s");
    }
}
