//! Planned work as the pipeline sees it: vertices down on purpose. A maintenance window on
//! inventory targets keeps its targets quiet from its start to its end; a member drained for
//! a rolling upgrade (an alert of source [`DRAIN_SOURCE`]) is quiet until it returns. Alerts
//! on quiet vertices are recorded and move the impact as always, but a service down only
//! because of quiet vertices opens no incident and notifies no customer
//! (`IncidentBook::set_quiet`); when the quiet ends, the leader reconciles, so services still
//! down then open incidents as usual.
//!
//! Also what planned work would do (the what-if of its targets, judged alone), and the times
//! and kinds of maintenance notices, which the outbox renders.

use std::collections::{BTreeMap, HashMap};

use jiff::tz::TimeZone;
use jiff::Timestamp;
use tocsin_model::alerts::{AlertKey, Observations};
use tocsin_model::inventory::NONE;
use tocsin_model::summary::Summary;
use tocsin_model::{Inventory, State, VertexId, WhatIf};
use tocsin_notify::NoticeKind;
use tocsin_store::{Maintenance, WindowImpact};

use crate::notices::PayloadWindow;

/// The source of the alerts that drain a member for an upgrade.
pub const DRAIN_SOURCE: &str = "upgrade";
/// Outbox kinds of maintenance notices start with this (`maintenance.ID.announced`).
pub const KIND_PREFIX: &str = "maintenance.";

/// The notice an outbox kind `maintenance.ID.WHAT[.…]` renders as.
pub fn notice_kind(kind: &str) -> Option<NoticeKind> {
    let rest = kind.strip_prefix(KIND_PREFIX)?;
    let (_, what) = rest.split_once('.')?;
    let what = what.split('.').next()?;
    Some(match what {
        "announced" => NoticeKind::MaintenanceAnnounced,
        "reminder" => NoticeKind::MaintenanceReminder,
        "moved" => NoticeKind::MaintenanceMoved,
        "cancelled" => NoticeKind::MaintenanceCancelled,
        _ => return None,
    })
}

/// A window that keeps its targets quiet while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct QuietWindow {
    targets: Vec<VertexId>,
    starts_ms: i64,
    ends_ms: i64,
}

/// The vertices down on purpose, over time.
#[derive(Debug, Default)]
pub struct Quiet {
    windows: Vec<QuietWindow>,
    /// Drain alerts now firing, and the members they drain.
    drains: HashMap<AlertKey, Vec<VertexId>>,
}

impl Quiet {
    /// The drains among the alerts `observations` holds (after a rebuild); no windows yet.
    pub fn from_observations(observations: &Observations) -> Self {
        let drains = observations
            .iter()
            .filter(|((source, _), _)| &**source == DRAIN_SOURCE)
            .map(|(key, (_, vertices))| (key.clone(), vertices.clone()))
            .collect();
        Quiet {
            windows: Vec::new(),
            drains,
        }
    }

    /// Takes the windows planned now: those with targets, not cancelled. Targets the
    /// inventory no longer has are left out. Answers whether anything changed.
    pub fn set_windows(&mut self, inventory: &Inventory, windows: &[Maintenance]) -> bool {
        let mut next: Vec<QuietWindow> = windows
            .iter()
            .filter(|m| m.cancelled_ms.is_none() && !m.targets.is_empty())
            .map(|m| QuietWindow {
                targets: m
                    .targets
                    .iter()
                    .filter_map(|t| inventory.graph.find(t))
                    .collect(),
                starts_ms: m.starts_ms,
                ends_ms: m.ends_ms,
            })
            .collect();
        next.sort_by_key(|w| (w.starts_ms, w.ends_ms));
        let changed = next != self.windows;
        self.windows = next;
        changed
    }

    /// An alert of the log: a drain while it fires, nothing once resolved.
    pub fn alert(&mut self, key: &AlertKey, firing: bool, vertices: &[VertexId]) {
        if &*key.0 != DRAIN_SOURCE {
            return;
        }
        if firing && !vertices.is_empty() {
            self.drains.insert(key.clone(), vertices.to_vec());
        } else {
            self.drains.remove(key);
        }
    }

    /// The vertices quiet at `at_ms`, sorted, without repeats.
    pub fn at(&self, at_ms: i64) -> Vec<VertexId> {
        let mut quiet: Vec<VertexId> = self
            .windows
            .iter()
            .filter(|w| w.starts_ms <= at_ms && at_ms < w.ends_ms)
            .flat_map(|w| w.targets.iter().copied())
            .chain(self.drains.values().flatten().copied())
            .collect();
        quiet.sort_unstable();
        quiet.dedup();
        quiet
    }

    /// The next moment after `after_ms` when a window starts or ends.
    pub fn next_change(&self, after_ms: i64) -> Option<i64> {
        self.windows
            .iter()
            .flat_map(|w| [w.starts_ms, w.ends_ms])
            .filter(|&t| t > after_ms)
            .min()
    }
}

/// What a window's targets down would do, computed on the graph alone.
#[derive(Debug, Clone, Default)]
pub struct TargetsImpact {
    /// The lists the window keeps.
    pub impact: WindowImpact,
    /// Components of the services that will be down, sorted.
    pub components: Vec<String>,
    /// Per affected customer (by number), its services that will be down.
    pub by_customer: BTreeMap<u32, Vec<VertexId>>,
}

/// The what-if of `targets` down on top of nothing else (the inventory contract's semantics):
/// services down and at risk, their customers, the components of the services down. It reads
/// the graph only, so it runs outside the live lock.
pub fn targets_impact(inventory: &Inventory, targets: &[VertexId]) -> TargetsImpact {
    let scenario: Vec<(VertexId, State)> = targets.iter().map(|&v| (v, State::Down)).collect();
    let w = WhatIf::alone(&inventory.graph, &scenario);
    let summary = Summary::of_what_if(inventory, &w);
    let mut out = TargetsImpact::default();
    let mut components = Vec::new();
    for c in w.changes() {
        let Some(s) = inventory.service_of(c.vertex) else {
            continue;
        };
        let id = inventory.graph.name(c.vertex).to_owned();
        if c.to == State::Down {
            out.impact.down_services.push(id);
            if s.component != NONE {
                components.push(s.component);
            }
            if s.customer != NONE {
                out.by_customer
                    .entry(s.customer)
                    .or_default()
                    .push(c.vertex);
            }
        } else {
            out.impact.at_risk_services.push(id);
        }
    }
    out.impact.down_services.sort_unstable();
    out.impact.at_risk_services.sort_unstable();
    out.impact.affected_customers = summary.affected.iter().map(|c| (*c).to_owned()).collect();
    out.impact.at_risk_customers = summary.at_risk.iter().map(|c| (*c).to_owned()).collect();
    out.impact.at_risk_services_total = out.impact.at_risk_services.len();
    out.impact.at_risk_customers_total = out.impact.at_risk_customers.len();
    components.sort_unstable();
    components.dedup();
    out.components = components
        .iter()
        .filter_map(|&c| inventory.components.get(c as usize))
        .map(|c| c.id.to_string())
        .collect();
    out.components.sort_unstable();
    out
}

/// `ms` in `zone` as `2026-12-05 23:00`, with the zone's abbreviation when `abbreviated`.
fn civil(ms: i64, zone: &TimeZone, abbreviated: bool) -> String {
    let Ok(ts) = Timestamp::from_millisecond(ms) else {
        return ms.to_string();
    };
    let z = ts.to_zoned_datetime(zone.clone());
    if abbreviated {
        z.strftime("%Y-%m-%d %H:%M %Z").to_string()
    } else {
        z.strftime("%Y-%m-%d %H:%M").to_string()
    }
}

/// A window's times as its notices state them: in UTC, and in the provider's `zone` unless
/// that is UTC.
pub fn window_times(starts_ms: i64, ends_ms: i64, zone: &TimeZone) -> PayloadWindow {
    let utc = format!(
        "{} – {} UTC",
        civil(starts_ms, &TimeZone::UTC, false),
        civil(ends_ms, &TimeZone::UTC, false)
    );
    let name = zone.iana_name().unwrap_or("UTC");
    let local = if matches!(name, "UTC" | "Etc/UTC" | "Etc/UCT" | "UCT" | "Zulu") {
        String::new()
    } else {
        format!(
            "{} – {} ({name})",
            civil(starts_ms, zone, true),
            civil(ends_ms, zone, true)
        )
    };
    PayloadWindow {
        utc,
        local,
        previous: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_of_maintenance_notices() {
        assert_eq!(
            notice_kind("maintenance.7.announced"),
            Some(NoticeKind::MaintenanceAnnounced)
        );
        assert_eq!(
            notice_kind("maintenance.7.reminder.0.86400000"),
            Some(NoticeKind::MaintenanceReminder)
        );
        assert_eq!(
            notice_kind("maintenance.7.moved.2"),
            Some(NoticeKind::MaintenanceMoved)
        );
        assert_eq!(
            notice_kind("maintenance.7.cancelled"),
            Some(NoticeKind::MaintenanceCancelled)
        );
        assert_eq!(notice_kind("maintenance.7.exploded"), None);
        assert_eq!(notice_kind("opened"), None);
    }

    #[test]
    fn times_in_utc_and_in_the_providers_zone_across_daylight_saving() {
        let prague = TimeZone::get("Europe/Prague").unwrap();
        // 2026-03-28 22:00 UTC to 2026-03-29 02:00 UTC: Prague moves to summer time at 01:00 UTC.
        let t = window_times(1_774_735_200_000, 1_774_749_600_000, &prague);
        assert_eq!(t.utc, "2026-03-28 22:00 – 2026-03-29 02:00 UTC");
        assert_eq!(
            t.local,
            "2026-03-28 23:00 CET – 2026-03-29 04:00 CEST (Europe/Prague)"
        );
        let t = window_times(1_774_735_200_000, 1_774_749_600_000, &TimeZone::UTC);
        assert!(t.local.is_empty());
    }

    #[test]
    fn windows_and_drains_make_vertices_quiet() {
        let mut q = Quiet {
            windows: vec![QuietWindow {
                targets: vec![3, 1],
                starts_ms: 100,
                ends_ms: 200,
            }],
            drains: HashMap::new(),
        };
        assert!(q.at(99).is_empty());
        assert_eq!(q.at(100), [1, 3]);
        assert!(q.at(200).is_empty(), "the end is excluded");
        assert_eq!(q.next_change(0), Some(100));
        assert_eq!(q.next_change(100), Some(200));
        assert_eq!(q.next_change(200), None);
        let key: AlertKey = (DRAIN_SOURCE.into(), "upgrade:1:sw-a".into());
        q.alert(&key, true, &[5]);
        q.alert(&("staff".into(), "staff:x".into()), true, &[6]);
        assert_eq!(q.at(150), [1, 3, 5]);
        q.alert(&key, false, &[]);
        assert_eq!(q.at(300), Vec::<VertexId>::new());
    }
}
