//! `/console`: the live impact at a glance — counts, affected and at-risk customers, the
//! vertices not up, and the open incidents.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use minijinja::context;
use serde::Serialize;
use tocsin_app::ops::{customers, SHOWN};
use tocsin_model::summary::Summary;
use tocsin_model::Inventory;
use tocsin_store::IncidentStore;

use super::{frame, render, unavailable, when, Done, Page};
use crate::auth::{Action, Staff};
use crate::App;

#[derive(Serialize)]
struct VertexRow {
    id: String,
    kind: String,
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
    let live = app.read(|live| {
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
    })?;
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
