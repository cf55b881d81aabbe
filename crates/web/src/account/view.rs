//! What the client area shows, made from the inventory, the live impact and the stored
//! incidents, with no I/O: a customer's services with their state, and the incidents that
//! concern them cut down to their own services and public updates, under the title the public
//! status page gives them. Whether an incident concerns a customer is decided here, once, for
//! the pages and the feed alike; so is whether a maintenance window does, for the page, the
//! feed and the calendar.

use serde::Serialize;
use tocsin_model::inventory::{Language, NONE};
use tocsin_model::{Inventory, State, VertexId};
use tocsin_store::{IncidentRow, IncidentUpdate, Maintenance};

use super::i18n::{duration, status_label, texts, Texts};
use crate::status::time::{human, rfc3339};

/// One of the customer's services and how it is now.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct ServiceView {
    pub id: String,
    pub name: String,
    /// `up`, `degraded` or `down`.
    pub state: &'static str,
    /// The state in words.
    pub label: &'static str,
    /// A symbol beside the words, so that colour is never the only sign.
    pub symbol: &'static str,
}

/// An incident as one customer sees it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct IncidentView {
    pub id: i64,
    /// The public title, never the stored one, which names the provider's vertices.
    pub title: String,
    pub status: String,
    pub status_label: String,
    pub open: bool,
    pub started: String,
    pub started_iso: String,
    pub resolved: Option<String>,
    pub resolved_iso: Option<String>,
    /// When anything about it last changed, RFC 3339.
    pub updated_iso: String,
    /// Only this customer's services.
    pub services: Vec<AffectedView>,
    /// Public updates only, newest first.
    pub updates: Vec<UpdateView>,
}

/// One of the customer's services in an incident.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct AffectedView {
    pub name: String,
    pub down: bool,
    /// "down since 2026-11-22 10:00 UTC (5 min)" or "down for 5 min".
    pub text: String,
}

/// A public update.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct UpdateView {
    pub status_label: String,
    pub at: String,
    pub at_iso: String,
    pub body: String,
}

/// The number of customer `id` in `inventory`.
pub(crate) fn customer_number(inventory: &Inventory, id: &str) -> Option<u32> {
    inventory.customer_ids.find(id)
}

/// Customer `id`'s display name, or the id when the inventory no longer has them.
pub(crate) fn customer_name(inventory: &Inventory, id: &str) -> String {
    customer_number(inventory, id)
        .and_then(|c| inventory.customers.get(c as usize))
        .map_or_else(|| id.to_owned(), |c| c.name.to_string())
}

/// The vertices of customer number `c`'s services, in inventory order.
pub(crate) fn service_vertices(inventory: &Inventory, c: u32) -> Vec<VertexId> {
    if c == NONE {
        return Vec::new();
    }
    inventory
        .services
        .iter()
        .filter(|s| s.customer == c)
        .map(|s| s.vertex)
        .collect()
}

/// A service's display name, or its id.
fn service_name(inventory: &Inventory, id: &str) -> String {
    match inventory.graph.find(id) {
        Some(v) => tocsin_app::service_line(inventory, v, 0, None).name,
        None => id.to_owned(),
    }
}

/// The services of `vertices` with their states, as words and symbols.
pub(crate) fn services(
    inventory: &Inventory,
    vertices: &[VertexId],
    states: &[State],
    t: &'static Texts,
) -> Vec<ServiceView> {
    vertices
        .iter()
        .zip(states)
        .map(|(&v, &s)| {
            let (state, label, symbol) = match s {
                State::Up => ("up", t.up, "✓"),
                State::Degraded => ("degraded", t.degraded, "⚠"),
                State::Down => ("down", t.down, "✕"),
            };
            let line = tocsin_app::service_line(inventory, v, 0, None);
            ServiceView {
                id: line.id,
                name: line.name,
                state,
                label,
                symbol,
            }
        })
        .collect()
}

/// Whether a service of `customer` is part of `incident`: the one rule deciding what a
/// customer may see, taken from the stored rows (the customer when the service went down).
pub(crate) fn concerns(incident: &IncidentRow, customer: &str) -> bool {
    incident
        .services
        .iter()
        .any(|s| s.customer.as_deref() == Some(customer))
}

/// `incident` as `customer` sees it in `language`: titled as on the public status page (by
/// the components it touched, not by its root vertices), their services only, public updates
/// only (newest first). `None` when it does not concern them.
pub(crate) fn incident(
    inventory: &Inventory,
    incident: &IncidentRow,
    updates: &[IncidentUpdate],
    customer: &str,
    language: Language,
    now_ms: i64,
) -> Option<IncidentView> {
    if !concerns(incident, customer) {
        return None;
    }
    let t = texts(language);
    let services = incident
        .services
        .iter()
        .filter(|s| s.customer.as_deref() == Some(customer))
        .map(|s| {
            let name = service_name(inventory, &s.service);
            match s.down_since_ms {
                Some(since) => AffectedView {
                    name,
                    down: true,
                    text: format!(
                        "{} {} ({})",
                        t.down_since,
                        human(since),
                        duration(t, s.down_total_ms + (now_ms - since).max(0))
                    ),
                },
                None => AffectedView {
                    name,
                    down: false,
                    text: format!("{} {}", t.down_for, duration(t, s.down_total_ms)),
                },
            }
        })
        .collect();
    let public: Vec<&IncidentUpdate> = updates.iter().filter(|u| u.public).collect();
    let updated = public
        .iter()
        .map(|u| u.at_ms)
        .chain(incident.resolved_ms)
        .fold(incident.opened_ms, i64::max);
    Some(IncidentView {
        id: incident.id,
        title: crate::status::public_title(inventory, incident, language),
        status: incident.status.clone(),
        status_label: status_label(t, &incident.status),
        open: incident.resolved_ms.is_none(),
        started: human(incident.opened_ms),
        started_iso: rfc3339(incident.opened_ms),
        resolved: incident.resolved_ms.map(human),
        resolved_iso: incident.resolved_ms.map(rfc3339),
        updated_iso: rfc3339(updated),
        services,
        updates: public
            .iter()
            .rev()
            .map(|u| UpdateView {
                status_label: status_label(t, &u.status),
                at: human(u.at_ms),
                at_iso: rfc3339(u.at_ms),
                body: u.body.clone(),
            })
            .collect(),
    })
}

/// One of the customer's services a maintenance window concerns.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct WindowService {
    pub id: String,
    pub name: String,
}

/// A maintenance window as one customer sees it: its public title and text, its times and
/// their own services only, never its targets, another customer's service or any other
/// vertex of the provider.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct WindowView {
    pub id: i64,
    pub title: String,
    pub body: String,
    /// `scheduled`, `in_progress`, `completed` or `cancelled`.
    pub status: &'static str,
    pub starts_ms: i64,
    pub ends_ms: i64,
    pub created_ms: i64,
    /// When it was last planned, moved or cancelled.
    pub updated_ms: i64,
    /// How many times it was moved or cancelled.
    pub sequence: i64,
    pub starts_iso: String,
    pub ends_iso: String,
    pub updated_iso: String,
    pub created_iso: String,
    /// `2026-12-05 22:00 – 2026-12-06 02:00 UTC`, as the e-mails say it.
    pub utc: String,
    /// The same in the provider's time zone, naming it; empty when that is UTC.
    pub local: String,
    /// Whether `services` will be down (a window on inventory targets), rather than only
    /// belong to the window's components (a window on components only).
    pub down: bool,
    pub services: Vec<WindowService>,
}

impl WindowView {
    /// Still to come or under way, and not called off.
    pub(crate) fn upcoming(&self) -> bool {
        matches!(self.status, "scheduled" | "in_progress")
    }

    /// Called off by staff.
    pub(crate) fn cancelled(&self) -> bool {
        self.status == "cancelled"
    }
}

/// Whether window `m` concerns `customer`, whose services are `own` (their vertices, read once
/// for all windows), and which of their services: the services that will be down when the
/// customer is among the affected ones of its what-if (`true`); for a window without targets,
/// their services in its components (`false`). A customer whose services are only at risk is
/// not concerned, as they are never told. The services are those of the what-if stored at
/// planning (what the e-mails said), kept only while the inventory still gives them to this
/// customer.
pub(crate) fn window_services(
    inventory: &Inventory,
    m: &Maintenance,
    customer: &str,
    own: &[VertexId],
) -> Option<(bool, Vec<VertexId>)> {
    if m.impact.affected_customers.iter().any(|a| a == customer) {
        let number = customer_number(inventory, customer);
        let down = m
            .impact
            .down_services
            .iter()
            .filter_map(|id| inventory.graph.find(id))
            .filter(|&v| {
                inventory
                    .service_of(v)
                    .is_some_and(|s| Some(s.customer) == number)
            })
            .collect();
        return Some((true, down));
    }
    if !m.targets.is_empty() {
        return None;
    }
    let in_components: Vec<VertexId> = own
        .iter()
        .copied()
        .filter(|&v| {
            inventory
                .service_of(v)
                .and_then(|s| inventory.components.get(s.component as usize))
                .is_some_and(|k| m.components.iter().any(|id| **id == *k.id))
        })
        .collect();
    (!in_components.is_empty()).then_some((false, in_components))
}

/// How a window's start and end are written for people: in UTC, and in the provider's time
/// zone (empty when that is UTC); the running system's zone in the faces, a fixed one in tests.
pub(crate) type WindowTimes<'a> = &'a dyn Fn(i64, i64) -> (String, String);

/// Window `m` as `customer` (whose services are `own`) sees it at `now_ms`; `None` when it
/// does not concern them.
pub(crate) fn window(
    inventory: &Inventory,
    m: &Maintenance,
    customer: &str,
    own: &[VertexId],
    times: WindowTimes<'_>,
    now_ms: i64,
) -> Option<WindowView> {
    let (down, vertices) = window_services(inventory, m, customer, own)?;
    let (utc, local) = times(m.starts_ms, m.ends_ms);
    Some(WindowView {
        id: m.id,
        title: m.title.clone(),
        body: m.body.clone(),
        status: tocsin_app::ops::window_status(m, now_ms),
        starts_ms: m.starts_ms,
        ends_ms: m.ends_ms,
        created_ms: m.created_ms,
        updated_ms: m.updated_ms,
        sequence: m.sequence,
        starts_iso: rfc3339(m.starts_ms),
        ends_iso: rfc3339(m.ends_ms),
        updated_iso: rfc3339(m.updated_ms),
        created_iso: rfc3339(m.created_ms),
        utc,
        local,
        down,
        services: vertices
            .iter()
            .map(|&v| {
                let line = tocsin_app::service_line(inventory, v, 0, None);
                WindowService {
                    id: line.id,
                    name: line.name,
                }
            })
            .collect(),
    })
}

/// Characters XML 1.0 cannot carry, dropped from text bound for the feed.
pub(crate) fn xml_safe(s: &str) -> String {
    s.chars()
        .filter(|&c| (c as u32) >= 0x20 || matches!(c, '\t' | '\n' | '\r'))
        .collect()
}
