//! Plain values of the VMs file: whole positive numbers and lengths of time (`5m`, `1h30m`).

/// `text` as a whole number above 0 (digits only).
pub(super) fn positive(text: &str) -> Option<u64> {
    let t = text.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok().filter(|&n| n > 0)
}

/// `text` as seconds: parts such as `1h`, `30m`, `45s` (or `min`) one after another, or a
/// plain number of seconds.
pub(super) fn duration_seconds(text: &str) -> Option<u64> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        return t.parse().ok();
    }
    let mut rest = t;
    let mut total: u64 = 0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        if digits == 0 {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let scale = match rest[..unit_len].trim() {
            "h" => 3600,
            "m" | "min" => 60,
            "s" => 1,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(scale)?)?;
        rest = rest[unit_len..].trim_start();
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_positive_numbers_only() {
        assert_eq!(positive("85899345920"), Some(85_899_345_920));
        for bad in ["0", "-5", "1.5", "", "1e9", "12 GB"] {
            assert_eq!(positive(bad), None, "{bad}");
        }
    }

    #[test]
    fn lengths_of_time() {
        assert_eq!(duration_seconds("5m"), Some(300));
        assert_eq!(duration_seconds("300"), Some(300));
        assert_eq!(duration_seconds("1h30m"), Some(5400));
        assert_eq!(duration_seconds("2min 5s"), Some(125));
        assert_eq!(duration_seconds("0s"), Some(0));
        for bad in ["", "m", "5 fortnights", "-5m", "1.5h"] {
            assert_eq!(duration_seconds(bad), None, "{bad}");
        }
    }
}
