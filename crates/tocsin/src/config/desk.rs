//! `[desk]`: the support desk's address, calendars and tiers (`shared/spec/desk.md`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use serde::Deserialize;

use super::{duration, zone};

/// `[desk]`. The address, the inbound listener and the key are accepted and checked for
/// form now; the desk's mail and credentials (later parts of issue 13) use them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct Desk {
    /// `From:` of desk e-mail; the inbound address.
    #[serde(default)]
    pub address: Option<String>,
    /// The SMTP listener the provider's MTA relays support mail to.
    #[serde(default)]
    pub inbound: Option<SocketAddr>,
    /// The key for credentials at rest.
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// Business calendars by id (`[desk.calendars.office]`).
    #[serde(default)]
    pub calendars: std::collections::BTreeMap<String, CalendarConfig>,
    /// Support tiers, the first the default (`[[desk.tiers]]`).
    #[serde(default)]
    pub tiers: Vec<TierConfig>,
}

/// `[desk.calendars.ID]`: opening hours per weekday in a zone, and holidays.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarConfig {
    /// IANA zone.
    #[serde(deserialize_with = "zone")]
    pub time_zone: jiff::tz::TimeZone,
    #[serde(default)]
    mon: Vec<String>,
    #[serde(default)]
    tue: Vec<String>,
    #[serde(default)]
    wed: Vec<String>,
    #[serde(default)]
    thu: Vec<String>,
    #[serde(default)]
    fri: Vec<String>,
    #[serde(default)]
    sat: Vec<String>,
    #[serde(default)]
    sun: Vec<String>,
    /// Closed all day (`YYYY-MM-DD`, in the calendar's zone).
    #[serde(default)]
    pub holidays: Vec<String>,
}

/// `[[desk.tiers]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierConfig {
    /// The inventory's `customers[].tier`.
    pub id: String,
    /// A calendar id, or `24x7`.
    pub calendar: String,
    /// Targets in counted time.
    #[serde(deserialize_with = "duration")]
    pub first_response: Duration,
    #[serde(deserialize_with = "duration")]
    pub next_response: Duration,
    #[serde(deserialize_with = "duration")]
    pub resolution: Duration,
}

impl Desk {
    /// Every tier with its calendar and targets, in order (the first is the default), checked.
    pub fn tiers(&self) -> anyhow::Result<Vec<(String, tocsin_model::ticket_clock::Targets)>> {
        use tocsin_model::calendar::{Calendar, Hours};
        let ms = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        if let Some(a) = &self.address {
            if !a.contains('@') || a.trim() != a {
                bail!("[desk] address: `{a}` is not an e-mail address");
            }
        }
        let mut out: Vec<(String, tocsin_model::ticket_clock::Targets)> = Vec::new();
        for (i, t) in self.tiers.iter().enumerate() {
            let what = format!("[[desk.tiers]] #{} (`{}`)", i + 1, t.id);
            if t.id.trim().is_empty() {
                bail!("{what}: id is empty");
            }
            if out.iter().any(|(id, _)| *id == t.id) {
                bail!("{what}: id `{}` is used twice", t.id);
            }
            let calendar = if t.calendar == "24x7" {
                Calendar::Always
            } else {
                let Some(c) = self.calendars.get(&t.calendar) else {
                    bail!(
                        "{what}: calendar `{}` is neither 24x7 nor one of [desk.calendars]",
                        t.calendar
                    );
                };
                fn day(v: &[String]) -> Vec<&str> {
                    v.iter().map(String::as_str).collect()
                }
                let week = [
                    day(&c.mon),
                    day(&c.tue),
                    day(&c.wed),
                    day(&c.thu),
                    day(&c.fri),
                    day(&c.sat),
                    day(&c.sun),
                ];
                let holidays: Vec<&str> = c.holidays.iter().map(String::as_str).collect();
                let hours = Hours::parse(
                    c.time_zone.clone(),
                    [
                        &week[0], &week[1], &week[2], &week[3], &week[4], &week[5], &week[6],
                    ],
                    &holidays,
                )
                .map_err(|e| anyhow::anyhow!("[desk.calendars.{}]: {e}", t.calendar))?;
                Calendar::Hours(hours)
            };
            out.push((
                t.id.clone(),
                tocsin_model::ticket_clock::Targets {
                    calendar,
                    first_response_ms: ms(t.first_response),
                    next_response_ms: ms(t.next_response),
                    resolution_ms: ms(t.resolution),
                },
            ));
        }
        Ok(out)
    }
}
