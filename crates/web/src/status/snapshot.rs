//! What the public outputs show, gathered once per change from the live impact and the
//! database (incidents, component statuses and maintenance windows set by staff). Internal notes are dropped here, the one place updates enter the status module.

use std::sync::Arc;

use tocsin_model::inventory::{Language, NONE};
use tocsin_model::{Impact, Inventory, State, VertexId};
use tocsin_store::{ComponentStatus, IncidentRow, IncidentUpdate, Maintenance};

use super::manual::{self, MaintenanceView};
use super::time::DAY_MS;
use super::uptime::{self, DAYS};

/// How many incidents the outputs list (Statuspage's `incidents.json` shows 50).
pub(crate) const LISTED: usize = 50;

/// Which services are down now: what is taken from the live state under its lock.
pub(crate) struct LiveView {
    pub inventory: Arc<Inventory>,
    pub down: Vec<VertexId>,
}

impl LiveView {
    /// The down vertices of `impact`, cheaply (the engine keeps a list of those not up).
    pub(crate) fn of(inventory: &Arc<Inventory>, impact: &Impact) -> Self {
        // In no order: only counted per component. Taken under the live lock, so kept short.
        let down: Vec<VertexId> = impact
            .not_up()
            .iter()
            .copied()
            .filter(|&v| impact.state(v) == State::Down)
            .collect();
        LiveView {
            inventory: Arc::clone(inventory),
            down,
        }
    }

    /// Leaves out the services down only because of `quiet` vertices (sorted: the targets
    /// of maintenance windows in progress, members drained for an upgrade): they are down
    /// on purpose, so their components show the maintenance, not an outage. A service down
    /// for any other reason too still counts.
    pub(crate) fn planned(mut self, impact: &Impact, quiet: &[VertexId]) -> Self {
        if quiet.is_empty() {
            return self;
        }
        let inventory = &self.inventory;
        self.down.retain(|&v| {
            inventory.service_of(v).is_none()
                || !tocsin_model::incident::root_causes(impact, v)
                    .iter()
                    .all(|r| quiet.binary_search(r).is_ok())
        });
        self
    }
}

/// What the outputs are made from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Snapshot {
    /// In inventory order.
    pub components: Vec<ComponentView>,
    /// Newest first: the latest [`LISTED`] and every open one.
    pub incidents: Vec<IncidentView>,
    /// The last 90 UTC dates, oldest first.
    pub dates: Vec<String>,
    /// Maintenance windows that ended in the last [`manual::KEPT_MS`], are under way or are
    /// to come, by start.
    pub maintenances: Vec<MaintenanceView>,
}

/// A status-page component now and over the last 90 days.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ComponentView {
    pub id: String,
    pub name: String,
    pub group: Option<String>,
    /// `operational`, `partial_outage` or `major_outage` from the impact; or
    /// `degraded_performance`, `under_maintenance` set by staff (see `manual.rs`).
    pub status: &'static str,
    pub services: u32,
    pub down: u32,
    /// Down time summed over its services, per day, oldest first.
    pub down_ms: Vec<i64>,
    /// Uptime per day in percent, oldest first; `None` without services.
    pub daily: Vec<Option<f64>>,
    /// Uptime over the 90 days in percent.
    pub uptime: Option<f64>,
}

/// An incident as the public sees it: no customers, no internal names, no internal notes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IncidentView {
    pub id: i64,
    pub status: String,
    pub opened_ms: i64,
    pub resolved_ms: Option<i64>,
    pub updated_ms: i64,
    /// Indices into [`Snapshot::components`].
    pub components: Vec<usize>,
    /// `none`, `minor` or `major`.
    pub impact: &'static str,
    /// Public updates, newest first.
    pub updates: Vec<IncidentUpdate>,
}

/// What is read from the database.
pub(crate) struct Stored {
    /// The latest [`LISTED`] incidents and every open one, newest first.
    pub incidents: Vec<Arc<IncidentRow>>,
    /// Their public updates, oldest first.
    pub updates: Vec<Vec<IncidentUpdate>>,
    /// Older incidents for the uptime bars (those also listed are skipped).
    pub history: Vec<Arc<IncidentRow>>,
    /// Component statuses set by hand.
    pub component_statuses: Vec<ComponentStatus>,
    /// Maintenance windows ending after `now - manual::KEPT_MS`.
    pub maintenances: Vec<Maintenance>,
}

/// A component's status from how many of its services are down (`shared/spec/server.md`):
/// degraded services alone leave it operational.
pub(crate) fn component_status(down: u32, services: u32) -> &'static str {
    if down == 0 {
        "operational"
    } else if down < services {
        "partial_outage"
    } else {
        "major_outage"
    }
}

/// The uptime figures move on in steps of this much time, so that an ongoing outage
/// re-renders the outputs once a minute, not at every look.
const UPTIME_STEP_MS: i64 = 60_000;

/// Builds the snapshot at `now_ms`.
pub(crate) fn build(live: &LiveView, stored: &Stored, now_ms: i64) -> Snapshot {
    // A window starts and ends on time (the renderer looks every 2 s); uptime moves by steps.
    let exact_ms = now_ms;
    let now_ms = now_ms - now_ms.rem_euclid(UPTIME_STEP_MS);
    let inventory = &*live.inventory;
    let mut services = vec![0u32; inventory.components.len()];
    for s in &inventory.services {
        if let Some(n) = services.get_mut(s.component as usize) {
            *n += 1;
        }
    }
    let mut down = vec![0u32; inventory.components.len()];
    for &v in &live.down {
        if let Some(s) = inventory.service_of(v).filter(|s| s.component != NONE) {
            if let Some(n) = down.get_mut(s.component as usize) {
                *n += 1;
            }
        }
    }
    let daily_down = uptime::daily_down(
        inventory,
        stored.incidents.iter().chain(&stored.history).map(|r| &**r),
        now_ms,
    );
    let maintenances = manual::maintenances(inventory, &stored.maintenances, exact_ms);
    let set = manual::per_component(inventory, &stored.component_statuses, &maintenances);
    let components = inventory
        .components
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (by_hand, in_maintenance) = set.get(i).copied().unwrap_or((None, false));
            let n = services[i];
            let down_ms: Vec<i64> = daily_down.get(i).map_or(vec![0; DAYS], |d| d.to_vec());
            let daily = (0..DAYS)
                .map(|d| uptime::percent(down_ms[d], n, uptime::span_of_day(d, now_ms)))
                .collect();
            let span = (DAYS as i64 - 1) * DAY_MS + uptime::span_of_day(DAYS - 1, now_ms);
            ComponentView {
                id: c.id.to_string(),
                name: c.name.to_string(),
                group: c.group.as_deref().map(str::to_owned),
                status: manual::effective_status(
                    component_status(down[i], n),
                    by_hand,
                    in_maintenance,
                ),
                services: n,
                down: down[i],
                uptime: uptime::percent(down_ms.iter().sum(), n, span),
                down_ms,
                daily,
            }
        })
        .collect::<Vec<_>>();
    let incidents = stored
        .incidents
        .iter()
        .zip(&stored.updates)
        .map(|(row, updates)| incident_view(inventory, &services, row, updates))
        .collect();
    let first_day = now_ms.div_euclid(DAY_MS) - (DAYS as i64 - 1);
    Snapshot {
        components,
        incidents,
        dates: (0..DAYS as i64)
            .map(|d| super::time::date_of_day(first_day + d))
            .collect(),
        maintenances,
    }
}

fn incident_view(
    inventory: &Inventory,
    services: &[u32],
    row: &IncidentRow,
    updates: &[IncidentUpdate],
) -> IncidentView {
    let mut hit = vec![0u32; services.len()];
    for s in &row.services {
        if let Some(c) = uptime::component_of(inventory, &s.service) {
            if let Some(n) = hit.get_mut(c) {
                *n += 1;
            }
        }
    }
    let components: Vec<usize> = (0..hit.len()).filter(|&c| hit[c] > 0).collect();
    // Whether every service of a component was in the incident; not necessarily at once.
    let impact = if components.iter().any(|&c| hit[c] >= services[c]) {
        "major"
    } else if components.is_empty() {
        "none"
    } else {
        "minor"
    };
    let updated_ms = updates
        .iter()
        .map(|u| u.at_ms)
        .chain(row.resolved_ms)
        .fold(row.opened_ms, i64::max);
    IncidentView {
        id: row.id,
        status: row.status.clone(),
        opened_ms: row.opened_ms,
        resolved_ms: row.resolved_ms,
        updated_ms,
        components,
        impact,
        updates: updates.iter().rev().cloned().collect(),
    }
}

/// The title the status page gives `row` in `language` (`api::incident_name` on its
/// snapshot): the components its services belong to, never the vertices at its root. The
/// client area titles incidents with it, having no snapshot to hand.
pub(crate) fn public_title(inventory: &Inventory, row: &IncidentRow, language: Language) -> String {
    let mut touched: Vec<usize> = row
        .services
        .iter()
        .filter_map(|s| uptime::component_of(inventory, &s.service))
        .collect();
    touched.sort_unstable();
    touched.dedup();
    let names: Vec<&str> = touched
        .iter()
        .filter_map(|&c| inventory.components.get(c))
        .map(|c| &*c.name)
        .collect();
    let disruption = super::i18n::texts(language).disruption;
    if names.is_empty() {
        disruption.to_owned()
    } else {
        format!("{disruption}: {}", names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_title_is_the_status_pages_in_every_language() {
        let inventory = Arc::new(
            tocsin_inventory::load_str(
                "t.yaml",
                r#"version: 1
nodes:
  - {id: leaf-dc1-p00-a, kind: switch}
customers:
  - {id: acme, name: ACME}
services:
  - {id: s-1, customer: acme, component: c-mail, requires: [leaf-dc1-p00-a]}
  - {id: s-2, customer: acme, component: c-vps, requires: [leaf-dc1-p00-a]}
  - {id: s-3, customer: acme, component: c-vps, requires: [leaf-dc1-p00-a]}
  - {id: s-4, customer: acme, requires: [leaf-dc1-p00-a]}
components:
  - {id: c-vps, name: Cloud VPS}
  - {id: c-mail, name: Mail}
"#,
            )
            .unwrap(),
        );
        let service = |id: &str| tocsin_store::IncidentServiceRow {
            service: id.into(),
            customer: Some("acme".into()),
            down_since_ms: Some(0),
            down_total_ms: 0,
            first_down_ms: 0,
            announced: true,
        };
        let row = |services: &[&str]| IncidentRow {
            id: 1,
            status: "investigating".into(),
            title: "leaf-dc1-p00-a (switch)".into(),
            roots: vec!["leaf-dc1-p00-a".into()],
            opened_ms: 0,
            resolved_ms: None,
            services: services.iter().map(|s| service(s)).collect(),
        };
        let impact = Impact::new(Arc::clone(&inventory.graph));
        let live = LiveView::of(&inventory, &impact);
        for services in [&["s-1", "s-3", "s-2"][..], &["s-4"], &[]] {
            let row = row(services);
            let stored = Stored {
                incidents: vec![Arc::new(row.clone())],
                updates: vec![vec![]],
                history: vec![],
                component_statuses: vec![],
                maintenances: vec![],
            };
            let snapshot = build(&live, &stored, 0);
            for l in Language::ALL {
                let page = super::super::api::incident_name(
                    &snapshot,
                    &snapshot.incidents[0],
                    super::super::i18n::texts(l).disruption,
                );
                assert_eq!(
                    public_title(&inventory, &row, l),
                    page,
                    "{services:?} {l:?}"
                );
            }
        }
        // In the inventory's order, which numbers components as first named (by `s-1`: `c-mail`).
        assert_eq!(
            public_title(&inventory, &row(&["s-1", "s-3"]), Language::En),
            "Service disruption: Mail, Cloud VPS"
        );
        assert_eq!(
            public_title(&inventory, &row(&["s-4"]), Language::Fr),
            "Perturbation des services"
        );
    }

    #[test]
    fn status_follows_the_spec() {
        assert_eq!(component_status(0, 3), "operational");
        assert_eq!(component_status(0, 0), "operational");
        assert_eq!(component_status(1, 3), "partial_outage");
        assert_eq!(component_status(3, 3), "major_outage");
    }
}
