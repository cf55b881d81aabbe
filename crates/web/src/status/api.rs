//! The Atlassian Statuspage v2 JSON shapes: `summary.json`, `status.json`,
//! `components.json` and `incidents.json`.

use serde_json::{json, Value};

use super::manual::MaintenanceView;
use super::snapshot::{IncidentView, Snapshot};
use super::time::rfc3339;
use super::Meta;

/// The page-wide indicator and its English description.
pub(crate) fn indicator(s: &Snapshot) -> &'static str {
    let counted: Vec<&str> = s
        .components
        .iter()
        .filter(|c| c.services > 0)
        .map(|c| c.status)
        .collect();
    if !counted.is_empty() && counted.iter().all(|&st| st == "major_outage") {
        "critical"
    } else if counted.contains(&"major_outage") {
        "major"
    } else if counted
        .iter()
        .any(|&st| st != "operational" && st != "under_maintenance")
    {
        "minor"
    } else if counted.contains(&"under_maintenance") {
        "maintenance"
    } else {
        "none"
    }
}

fn description(indicator: &str) -> &'static str {
    match indicator {
        "none" => "All Systems Operational",
        "minor" => "Partial System Outage",
        "major" => "Major Service Outage",
        "maintenance" => "Service Under Maintenance",
        _ => "All Services Down",
    }
}

/// The id of the group named `name`: stable as long as the name is.
pub(crate) fn group_id(name: &str) -> String {
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                '-'
            }
        })
        .collect();
    format!("group-{slug}")
}

/// The public headline of an incident: the components it touches, never internal names.
pub(crate) fn incident_name(s: &Snapshot, i: &IncidentView, disruption: &str) -> String {
    let names: Vec<&str> = i
        .components
        .iter()
        .filter_map(|&c| s.components.get(c))
        .map(|c| c.name.as_str())
        .collect();
    if names.is_empty() {
        disruption.to_owned()
    } else {
        format!("{disruption}: {}", names.join(", "))
    }
}

fn page(meta: &Meta) -> Value {
    json!({
        "id": meta.page_id,
        "name": meta.name,
        "url": meta.url,
        "time_zone": "Etc/UTC",
        "updated_at": rfc3339(meta.updated_ms),
    })
}

fn status(s: &Snapshot) -> Value {
    let i = indicator(s);
    json!({ "indicator": i, "description": description(i) })
}

fn components(s: &Snapshot, meta: &Meta) -> Vec<Value> {
    let mut out = Vec::new();
    let mut groups: Vec<(&str, Vec<usize>)> = Vec::new();
    for (i, c) in s.components.iter().enumerate() {
        if let Some(g) = &c.group {
            match groups.iter_mut().find(|(name, _)| name == g) {
                Some((_, members)) => members.push(i),
                None => groups.push((g, vec![i])),
            }
        }
    }
    for (i, c) in s.components.iter().enumerate() {
        let since = meta
            .component_since
            .get(i)
            .copied()
            .unwrap_or(meta.updated_ms);
        out.push(json!({
            "id": c.id,
            "name": c.name,
            "status": c.status,
            "created_at": rfc3339(meta.created_ms),
            "updated_at": rfc3339(since),
            "position": i + 1,
            "description": null,
            "showcase": true,
            "start_date": null,
            "group_id": c.group.as_deref().map(group_id),
            "page_id": meta.page_id,
            "group": false,
            "only_show_if_degraded": false,
        }));
    }
    for (n, (name, members)) in groups.iter().enumerate() {
        // A group shows the worst status of its members.
        let worst = WORST_FIRST
            .into_iter()
            .find(|w| members.iter().any(|&m| s.components[m].status == *w))
            .unwrap_or("operational");
        out.push(json!({
            "id": group_id(name),
            "name": name,
            "status": worst,
            "created_at": rfc3339(meta.created_ms),
            "updated_at": rfc3339(meta.updated_ms),
            "position": s.components.len() + n + 1,
            "description": null,
            "showcase": false,
            "start_date": null,
            "group_id": null,
            "page_id": meta.page_id,
            "group": true,
            "only_show_if_degraded": false,
            "components": members.iter().map(|&m| &s.components[m].id).collect::<Vec<_>>(),
        }));
    }
    out
}

/// Component statuses from the worst to the best but `operational`.
const WORST_FIRST: [&str; 4] = [
    "major_outage",
    "partial_outage",
    "degraded_performance",
    "under_maintenance",
];

/// A maintenance window in Statuspage's `scheduled_maintenances` shape: an incident with
/// `impact: maintenance`, `scheduled_for` and `scheduled_until`, its description as the one
/// update.
fn maintenance(s: &Snapshot, m: &MaintenanceView, meta: &Meta) -> Value {
    let id = format!("maintenance-{}", m.id);
    let touched: Vec<Value> = m
        .components
        .iter()
        .filter_map(|&c| s.components.get(c))
        .map(|c| json!({"id": c.id, "name": c.name, "status": c.status}))
        .collect();
    // A move is an update of the window; so is its start.
    let updated = if m.status == "scheduled" {
        m.updated_ms
    } else {
        m.starts_ms.max(m.updated_ms)
    };
    json!({
        "id": id,
        "name": m.title,
        "status": m.status,
        "impact": "maintenance",
        "created_at": rfc3339(m.created_ms),
        "updated_at": rfc3339(updated),
        "monitoring_at": null,
        "resolved_at": (m.status == "completed").then(|| rfc3339(m.ends_ms)),
        "started_at": rfc3339(m.starts_ms),
        "scheduled_for": rfc3339(m.starts_ms),
        "scheduled_until": rfc3339(m.ends_ms),
        "shortlink": format!("{}#maintenance-{}", meta.url, m.id),
        "page_id": meta.page_id,
        "incident_updates": [{
            "id": format!("{id}-0"),
            "status": "scheduled",
            "body": m.body,
            "incident_id": id,
            "created_at": rfc3339(m.created_ms),
            "updated_at": rfc3339(m.created_ms),
            "display_at": rfc3339(m.created_ms),
            "affected_components": null,
        }],
        "components": touched,
    })
}

fn incident(s: &Snapshot, i: &IncidentView, meta: &Meta) -> Value {
    let id = i.id.to_string();
    let updates: Vec<Value> = i
        .updates
        .iter()
        .map(|u| {
            json!({
                "id": format!("{}-{}", i.id, u.id),
                "status": u.status,
                "body": u.body,
                "incident_id": id,
                "created_at": rfc3339(u.at_ms),
                "updated_at": rfc3339(u.at_ms),
                "display_at": rfc3339(u.at_ms),
                "affected_components": null,
            })
        })
        .collect();
    let monitoring_at = i
        .updates
        .iter()
        .filter(|u| u.status == "monitoring")
        .map(|u| u.at_ms)
        .min();
    let touched: Vec<Value> = i
        .components
        .iter()
        .filter_map(|&c| s.components.get(c))
        .map(|c| json!({"id": c.id, "name": c.name, "status": c.status}))
        .collect();
    json!({
        "id": id,
        "name": incident_name(s, i, "Service disruption"),
        "status": i.status,
        "impact": i.impact,
        "created_at": rfc3339(i.opened_ms),
        "updated_at": rfc3339(i.updated_ms),
        "started_at": rfc3339(i.opened_ms),
        "monitoring_at": monitoring_at.map(rfc3339),
        "resolved_at": i.resolved_ms.map(rfc3339),
        "shortlink": format!("{}#incident-{}", meta.url, i.id),
        "page_id": meta.page_id,
        "incident_updates": updates,
        "components": touched,
    })
}

/// `summary.json`: everything at once; incidents are the unresolved ones.
pub(crate) fn summary(s: &Snapshot, meta: &Meta) -> Value {
    let open: Vec<Value> = s
        .incidents
        .iter()
        .filter(|i| i.resolved_ms.is_none())
        .map(|i| incident(s, i, meta))
        .collect();
    json!({
        "page": page(meta),
        "status": status(s),
        "components": components(s, meta),
        "incidents": open,
        "scheduled_maintenances": s
            .maintenances
            .iter()
            .filter(|m| m.upcoming())
            .map(|m| maintenance(s, m, meta))
            .collect::<Vec<_>>(),
    })
}

/// `status.json`.
pub(crate) fn status_only(s: &Snapshot, meta: &Meta) -> Value {
    json!({ "page": page(meta), "status": status(s) })
}

/// `components.json`.
pub(crate) fn components_only(s: &Snapshot, meta: &Meta) -> Value {
    json!({ "page": page(meta), "components": components(s, meta) })
}

/// `incidents.json`: the latest incidents, resolved or not.
pub(crate) fn incidents(s: &Snapshot, meta: &Meta) -> Value {
    let all: Vec<Value> = s.incidents.iter().map(|i| incident(s, i, meta)).collect();
    json!({ "page": page(meta), "incidents": all })
}
