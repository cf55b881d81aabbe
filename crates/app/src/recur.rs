//! Recurring schedules (drills): an RFC 5545 RRULE expanded from its first occurrence in the
//! provider's time zone, always over a bounded window. The `rrule` crate does the expansion
//! (it speaks chrono); this adapter speaks epoch milliseconds and the zone by its IANA name,
//! so chrono never leaks past this file. Occurrences keep their civil time across daylight
//! saving changes: a drill at 10:00 in Prague is at 09:00 UTC in winter, 08:00 in summer.

use std::str::FromStr;

use chrono::TimeZone as _;
use rrule::{RRule, RRuleSet, Tz, Unvalidated};

/// How many candidate occurrences one expansion looks at, at most, before giving up: a rule
/// of every second since years ago must not hold a request for minutes.
const MAX_EXAMINED: usize = 200_000;

/// Why a rule cannot be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecurError {
    /// The rule is not an RFC 5545 RRULE, or not one that can start at its start.
    #[error("rrule: {0}")]
    Rule(String),
    /// The provider's time zone has no IANA name the expansion knows.
    #[error("time zone: {0}")]
    Zone(String),
}

/// A rule ready to expand: `FREQ=MONTHLY;BYDAY=1TU` from its first occurrence, in a zone.
#[derive(Debug, Clone)]
pub struct Recurrence {
    set: RRuleSet,
}

impl Recurrence {
    /// Parses `rule` (the RRULE value, `RRULE:` in front allowed) recurring from `start_ms`
    /// in `zone`. Occurrences are whole seconds: milliseconds of `start_ms` are dropped.
    pub fn new(
        rule: &str,
        start_ms: i64,
        zone: &jiff::tz::TimeZone,
    ) -> Result<Recurrence, RecurError> {
        let tz = chrono_zone(zone)?;
        let text = rule.trim();
        let text = text.strip_prefix("RRULE:").unwrap_or(text);
        // One property value only: other lines (DTSTART, EXDATE…) would change the meaning of
        // what is stored as one rule.
        if text.is_empty() || text.contains(['\n', '\r', ':']) {
            return Err(RecurError::Rule(format!(
                "`{rule}` is not one RFC 5545 recurrence rule such as FREQ=MONTHLY;BYDAY=1TU"
            )));
        }
        let parsed = RRule::<Unvalidated>::from_str(text)
            .map_err(|e| RecurError::Rule(format!("`{rule}`: {e}")))?;
        let dt_start = tz
            .timestamp_opt(start_ms.div_euclid(1000), 0)
            .single()
            .ok_or_else(|| RecurError::Rule(format!("start {start_ms} ms is out of range")))?;
        let set = parsed
            .build(dt_start)
            .map_err(|e| RecurError::Rule(format!("`{rule}`: {e}")))?;
        Ok(Recurrence { set })
    }

    /// The occurrences at or after `after_ms` and before `before_ms`, in order, at most
    /// `limit` of them.
    pub fn between(&self, after_ms: i64, before_ms: i64, limit: usize) -> Vec<i64> {
        let mut found = Vec::new();
        if limit == 0 || before_ms <= after_ms {
            return found;
        }
        for (examined, at) in (&self.set).into_iter().enumerate() {
            let ms = at.timestamp_millis();
            if ms >= before_ms || examined >= MAX_EXAMINED {
                break;
            }
            if ms >= after_ms {
                found.push(ms);
                if found.len() >= limit {
                    break;
                }
            }
        }
        found
    }

    /// Whether `at_ms` is exactly one of the occurrences.
    pub fn is_occurrence(&self, at_ms: i64) -> bool {
        self.between(at_ms, at_ms.saturating_add(1), 1) == [at_ms]
    }
}

/// `ms` as civil time in `zone` with its offset, `2026-12-01T10:00:00+01:00`; RFC 3339 UTC
/// when out of range.
pub fn in_zone(ms: i64, zone: &jiff::tz::TimeZone) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t
            .to_zoned_datetime(zone.clone())
            .strftime("%Y-%m-%dT%H:%M:%S%:z")
            .to_string(),
        Err(_) => tocsin_model::time::rfc3339(ms),
    }
}

/// The zone as the expansion knows it, by its IANA name.
fn chrono_zone(zone: &jiff::tz::TimeZone) -> Result<Tz, RecurError> {
    let name = zone.iana_name().ok_or_else(|| {
        RecurError::Zone("the provider's time zone has no IANA name (such as Europe/Prague)".into())
    })?;
    if name == "UTC" {
        return Ok(Tz::UTC);
    }
    chrono_tz::Tz::from_str(name)
        .map(Tz::Tz)
        .map_err(|_| RecurError::Zone(format!("`{name}` is unknown to the recurrence rules")))
}

#[cfg(test)]
mod tests;
