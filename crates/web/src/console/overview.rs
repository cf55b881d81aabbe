//! `/console`: the live impact at a glance — counts, affected and at-risk customers, the
//! vertices not up, and the open incidents.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use minijinja::context;
use serde::Serialize;
use tocsin_model::summary::Summary;
use tocsin_model::Inventory;
use tocsin_store::IncidentStore;

use super::{frame, poisoned, render, unavailable, when, Done, Page};
use crate::auth::{Action, Staff};
use crate::App;

/// How many customers and vertices a list shows before "and N more".
pub(super) const SHOWN: usize = 200;

#[derive(Serialize)]
pub(super) struct CustomerRow {
    pub id: String,
    pub name: String,
}

#[derive(Serialize)]
struct VertexRow {
    id: String,
    kind: String,
}

/// A customer id with its display name.
pub(super) fn customer(inventory: &Inventory, id: &str) -> CustomerRow {
    let name = inventory
        .customer_ids
        .find(id)
        .and_then(|c| inventory.customers.get(c as usize))
        .map(|c| c.name.to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| id.to_owned());
    CustomerRow {
        id: id.to_owned(),
        name,
    }
}

/// The first [`SHOWN`] customers of `ids` and how many more there are.
pub(super) fn customers(inventory: &Inventory, ids: &[&str]) -> (Vec<CustomerRow>, usize) {
    let shown = ids
        .iter()
        .take(SHOWN)
        .map(|id| customer(inventory, id))
        .collect();
    (shown, ids.len().saturating_sub(SHOWN))
}

fn vertices(inventory: &Inventory, ids: &[&str], room: usize) -> Vec<VertexRow> {
    ids.iter()
        .take(room)
        .map(|id| VertexRow {
            id: (*id).to_owned(),
            kind: inventory
                .graph
                .find(id)
                .map(|v| inventory.kind_of(v).to_owned())
                .unwrap_or_default(),
        })
        .collect()
}

/// `GET /console`.
pub(super) async fn page(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Query(q): Query<Done>,
) -> Page {
    who.require(Action::View)?;
    let live = {
        let live = app.live.lock().map_err(|_| poisoned())?;
        let inventory = Arc::clone(&live.inventory);
        let s = Summary::of(&live.inventory, &live.impact);
        let counts = context! {
            down => s.down.len(),
            degraded => s.degraded.len(),
            services_down => s.services.0,
            services_degraded => s.services.1,
            affected => s.affected.len(),
            at_risk => s.at_risk.len(),
        };
        let (affected, more_affected) = customers(&inventory, &s.affected);
        let (at_risk, more_at_risk) = customers(&inventory, &s.at_risk);
        let down = vertices(&inventory, &s.down, SHOWN);
        let degraded = vertices(&inventory, &s.degraded, SHOWN.saturating_sub(down.len()));
        let more_vertices = s.down.len() + s.degraded.len() - down.len() - degraded.len();
        context! {
            counts, affected, more_affected, at_risk, more_at_risk, down, degraded, more_vertices,
        }
    };
    let incidents: Vec<_> = app
        .store
        .open_incidents()
        .await
        .map_err(unavailable)?
        .into_iter()
        .map(|i| {
            context! {
                id => i.id,
                title => i.title,
                status => i.status,
                opened => when(i.opened_ms),
                services => i.services.len(),
                down => i.services.iter().filter(|s| s.down_since_ms.is_some()).count(),
            }
        })
        .collect();
    Ok(render(
        "console/overview.html",
        frame(&who, "overview", q.done.as_deref()),
        context! { heading => "Live impact", incidents, ..live },
        StatusCode::OK,
    ))
}
