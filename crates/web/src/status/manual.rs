//! What staff set by hand on the status outputs: a component's status (`degraded_performance`,
//! `under_maintenance`) and planned maintenance windows. How they combine with the status
//! computed from the impact is decided here, in one function.

use tocsin_model::Inventory;
use tocsin_store::{ComponentStatus, Maintenance};

/// The statuses staff may set by hand (`shared/spec/server.md`).
pub(crate) use tocsin_app::ops::MANUAL_STATUSES as MANUAL;

/// A component's public status from the one computed from its services, what staff set by
/// hand and whether a maintenance window concerning it is in progress.
///
/// An outage computed from the impact (`partial_outage`, `major_outage`) always shows: a
/// status page that hides services down behind a hand-set label, or behind a maintenance that
/// overran or went wrong, stops being trusted. A window in progress shows the maintenance
/// beside it. Without an outage, maintenance (by hand or by a window) is shown before a
/// hand-set `degraded_performance`, as it says more: the work explains the degradation.
pub(crate) fn effective_status(
    computed: &'static str,
    manual: Option<&str>,
    in_maintenance: bool,
) -> &'static str {
    if computed != "operational" {
        computed
    } else if in_maintenance || manual == Some("under_maintenance") {
        "under_maintenance"
    } else if manual == Some("degraded_performance") {
        "degraded_performance"
    } else {
        computed
    }
}

/// A maintenance window as the public sees it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MaintenanceView {
    pub id: i64,
    pub title: String,
    pub body: String,
    /// Indices into the snapshot's components; unknown ids (after a reload) are left out.
    pub components: Vec<usize>,
    pub starts_ms: i64,
    pub ends_ms: i64,
    pub created_ms: i64,
    /// When it was last planned, moved or cancelled.
    pub updated_ms: i64,
    /// How many times it was moved or cancelled: the calendar event's `SEQUENCE`.
    pub sequence: i64,
    /// Statuspage's words: `scheduled`, `in_progress` or `completed`; or `cancelled`, which
    /// only the calendar shows.
    pub status: &'static str,
}

impl MaintenanceView {
    /// Whether it is still to come or under way (a cancelled window never is).
    pub(crate) fn upcoming(&self) -> bool {
        matches!(self.status, "scheduled" | "in_progress")
    }

    /// Whether staff called it off.
    pub(crate) fn cancelled(&self) -> bool {
        self.status == "cancelled"
    }
}

/// How long a finished maintenance window stays in the calendar.
pub(crate) const KEPT_MS: i64 = 30 * super::time::DAY_MS;

/// The windows at `now_ms` (those whose planned end is over [`KEPT_MS`] ago left out), by
/// start then id. A cancelled window is `cancelled` whatever the time: the calendar keeps it
/// so that subscribers learn it is off, and nothing else shows it.
pub(crate) fn maintenances(
    inventory: &Inventory,
    windows: &[Maintenance],
    now_ms: i64,
) -> Vec<MaintenanceView> {
    let mut out: Vec<MaintenanceView> = windows
        .iter()
        .filter(|m| m.ends_ms >= now_ms - KEPT_MS)
        .map(|m| MaintenanceView {
            id: m.id,
            title: m.title.clone(),
            body: m.body.clone(),
            components: m
                .components
                .iter()
                .filter_map(|id| inventory.components.iter().position(|c| &*c.id == id))
                .collect(),
            starts_ms: m.starts_ms,
            ends_ms: m.ends_ms,
            created_ms: m.created_ms,
            updated_ms: m.updated_ms,
            sequence: m.sequence,
            status: tocsin_app::ops::window_status(m, now_ms),
        })
        .collect();
    out.sort_by_key(|m| (m.starts_ms, m.id));
    out
}

/// Per component (inventory order): the status set by hand, if any, and whether a window
/// concerning it is in progress.
pub(crate) fn per_component(
    inventory: &Inventory,
    set: &[ComponentStatus],
    windows: &[MaintenanceView],
) -> Vec<(Option<&'static str>, bool)> {
    let mut out = vec![(None, false); inventory.components.len()];
    for s in set {
        let status = MANUAL.into_iter().find(|m| *m == s.status);
        if let Some(i) = inventory
            .components
            .iter()
            .position(|c| *c.id == s.component)
        {
            out[i].0 = status;
        }
    }
    for w in windows.iter().filter(|w| w.status == "in_progress") {
        for &c in &w.components {
            if let Some(x) = out.get_mut(c) {
                x.1 = true;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_wins_over_anything_set_by_hand() {
        for manual in [
            None,
            Some("degraded_performance"),
            Some("under_maintenance"),
        ] {
            for window in [false, true] {
                assert_eq!(
                    effective_status("major_outage", manual, window),
                    "major_outage"
                );
                assert_eq!(
                    effective_status("partial_outage", manual, window),
                    "partial_outage"
                );
            }
        }
    }

    #[test]
    fn maintenance_shows_before_degraded_and_degraded_before_operational() {
        let op = "operational";
        assert_eq!(effective_status(op, None, false), "operational");
        assert_eq!(
            effective_status(op, Some("degraded_performance"), false),
            "degraded_performance"
        );
        assert_eq!(
            effective_status(op, Some("degraded_performance"), true),
            "under_maintenance"
        );
        assert_eq!(
            effective_status(op, Some("under_maintenance"), false),
            "under_maintenance"
        );
        assert_eq!(effective_status(op, None, true), "under_maintenance");
        // Anything else stored is ignored rather than shown.
        assert_eq!(effective_status(op, Some("bogus"), false), "operational");
    }

    #[test]
    fn windows_are_scheduled_in_progress_or_completed_and_only_known_components_count() {
        let inv = super::super::tests::inventory();
        let w = |id, starts_ms, ends_ms| Maintenance {
            id,
            title: "t".into(),
            body: "b".into(),
            components: vec!["vps-dc1".into(), "gone".into()],
            starts_ms,
            ends_ms,
            created_by: "lead".into(),
            created_ms: 0,
            cancelled_ms: None,
            sequence: 0,
            updated_ms: 0,
            ..Maintenance::default()
        };
        let views = maintenances(&inv, &[w(2, 200, 300), w(1, 50, 100), w(3, 90, 150)], 100);
        let got: Vec<(i64, &str)> = views.iter().map(|v| (v.id, v.status)).collect();
        assert_eq!(
            got,
            vec![(1, "completed"), (3, "in_progress"), (2, "scheduled")]
        );
        assert_eq!(views[0].components, vec![0]);
        let set = per_component(&inv, &[], &views);
        assert_eq!(set, vec![(None, true)]);

        // Cancelled while under way: no longer upcoming, and the component is not under
        // maintenance because of it.
        let mut called_off = w(3, 90, 150);
        called_off.cancelled_ms = Some(95);
        called_off.sequence = 1;
        let views = maintenances(&inv, &[called_off], 100);
        assert_eq!(views[0].status, "cancelled");
        assert!(views[0].cancelled() && !views[0].upcoming());
        assert_eq!(views[0].sequence, 1);
        assert_eq!(per_component(&inv, &[], &views), vec![(None, false)]);
    }
}
