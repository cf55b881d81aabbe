//! `/console`: the live impact at a glance — counts, affected and at-risk customers, the
//! vertices not up, and the open incidents — with a warning when the wall clock jumped.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use minijinja::context;
use serde::Serialize;
use tocsin_app::ops::{customers, SHOWN};
use tocsin_model::summary::Summary;
use tocsin_model::time::rfc3339;
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

/// `1 h 0 min 5 s`, a length of time for people (days past 24 hours).
fn span(ms: i64) -> String {
    let s = ms.unsigned_abs() / 1000;
    let (d, h, m, s) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    let mut out = String::new();
    if d > 0 {
        out.push_str(&format!("{d} d "));
    }
    if d > 0 || h > 0 {
        out.push_str(&format!("{h} h "));
    }
    if d > 0 || h > 0 || m > 0 {
        out.push_str(&format!("{m} min "));
    }
    out.push_str(&format!("{s} s"));
    out
}

/// The wall clock's jumps the system's clock saw, newest first, for the warning.
fn clock_jumps(app: &App) -> (u64, Vec<minijinja::Value>) {
    let jumps = app.clock.jumps();
    let rows = jumps
        .recent
        .iter()
        .map(|j| {
            let size = j.size_ms();
            let offset = j.offset_ms();
            context! {
                detected => rfc3339(j.detected_ms),
                from => rfc3339(j.from_ms),
                to => rfc3339(j.wall_ms),
                size => format!("{} {}", span(size), if size < 0 { "back" } else { "forward" }),
                offset => if offset.abs() < 1000 {
                    "agrees again".to_owned()
                } else {
                    format!("{} {}", span(offset), if offset < 0 { "behind" } else { "ahead" })
                },
            }
        })
        .collect();
    (jumps.total, rows)
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
    let (clock_jumps_total, clock_jumps) = clock_jumps(&app);
    Ok(render(
        "console/overview.html",
        frame(&who, "overview", q.done.as_deref()),
        context! { heading => "Live impact", incidents, clock_jumps, clock_jumps_total, ..live },
        StatusCode::OK,
    ))
}

#[cfg(test)]
mod tests {
    use super::span;

    #[test]
    fn spans_read_from_the_largest_unit_present() {
        assert_eq!(span(0), "0 s");
        assert_eq!(span(-999), "0 s");
        assert_eq!(span(5_400), "5 s");
        assert_eq!(span(-3_600_000), "1 h 0 min 0 s");
        assert_eq!(span(61_000), "1 min 1 s");
        assert_eq!(span(2 * 86_400_000 + 3_000), "2 d 0 h 0 min 3 s");
    }
}
