//! The staff API's reads: impact, incidents, the outbox, unmatched alerts, metrics and the
//! demo's mailbox. Each takes [`Staff`]; none writes.

use std::sync::Arc;

use axum::extract::State as Ext;
use axum::extract::{Path, Query};
use axum::response::{Html, IntoResponse};
use axum::Json;
use tocsin_model::summary::Summary;
use tocsin_store::{IncidentRow, IncidentStore, Store};

use super::store_error;
use crate::auth::Staff;
use crate::error::ApiError;
use crate::App;

pub(super) async fn unmatched(
    Ext(app): Ext<Arc<App>>,
    Staff(_): Staff,
) -> Result<impl IntoResponse, ApiError> {
    let rows = app
        .store
        .unmatched(1000)
        .await
        .map_err(|e| ApiError::unavailable(e.to_string()))?;
    let list: Vec<serde_json::Value> = rows
        .into_iter()
        .map(|r| {
            serde_json::json!({
                "seq": r.id,
                "source": r.alert.source,
                "fingerprint": r.alert.fingerprint,
                "status": r.alert.status.as_str(),
                "received_ms": r.alert.received_ms,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "unmatched": list })))
}

/// Current impact: the contract's four sorted lists.
pub(super) async fn impact(
    Ext(app): Ext<Arc<App>>,
    Staff(_): Staff,
) -> Result<impl IntoResponse, ApiError> {
    let lists = app.read(|live| {
        let s = Summary::of(&live.inventory, &live.impact);
        serde_json::json!({
            "down": s.down,
            "degraded": s.degraded,
            "affected_customers": s.affected,
            "at_risk_customers": s.at_risk,
        })
    })?;
    Ok(Json(lists))
}

fn incident_json(i: &IncidentRow) -> serde_json::Value {
    let services: Vec<serde_json::Value> = i
        .services
        .iter()
        .map(|s| {
            serde_json::json!({
                "service": s.service,
                "customer": s.customer,
                "down": s.down_since_ms.is_some(),
                "down_since_ms": s.down_since_ms,
                "down_total_ms": s.down_total_ms,
                "first_down_ms": s.first_down_ms,
                "announced": s.announced,
            })
        })
        .collect();
    serde_json::json!({
        "id": i.id,
        "status": i.status,
        "title": i.title,
        "roots": i.roots,
        "opened_ms": i.opened_ms,
        "resolved_ms": i.resolved_ms,
        "services": services,
    })
}

pub(super) async fn incidents(
    Ext(app): Ext<Arc<App>>,
    Staff(_): Staff,
) -> Result<impl IntoResponse, ApiError> {
    let list = app.store.incidents(100).await.map_err(store_error)?;
    let list: Vec<serde_json::Value> = list.iter().map(incident_json).collect();
    Ok(Json(serde_json::json!({ "incidents": list })))
}

pub(super) async fn incident(
    Ext(app): Ext<Arc<App>>,
    Staff(_): Staff,
    Path(id): Path<i64>,
) -> Result<impl IntoResponse, ApiError> {
    let Some(i) = app.store.incident(id).await.map_err(store_error)? else {
        return Err(ApiError::not_found(format!("no incident {id}")));
    };
    let updates: Vec<serde_json::Value> = app
        .store
        .updates(id)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(|u| serde_json::json!({"id": u.id, "status": u.status, "body": u.body, "public": u.public, "at_ms": u.at_ms}))
        .collect();
    let mut body = incident_json(&i);
    body["updates"] = serde_json::Value::from(updates);
    Ok(Json(body))
}

/// Notices `GET /api/v1/outbox` lists by default, and at most.
const OUTBOX_LATEST: i64 = 200;

/// `?latest=N`: how many of the latest notices to list beside the counts (0 to 200).
#[derive(serde::Deserialize)]
pub(super) struct OutboxQuery {
    #[serde(default)]
    latest: Option<i64>,
}

/// The outbox's counts and its latest notices. A dashboard (or the fan-out benchmark) that
/// follows a fan-out asks `?latest=0` for the counts alone.
pub(super) async fn outbox(
    Ext(app): Ext<Arc<App>>,
    Staff(_): Staff,
    Query(q): Query<OutboxQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let limit = q.latest.unwrap_or(OUTBOX_LATEST);
    if !(0..=OUTBOX_LATEST).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "latest: {limit} is not between 0 and {OUTBOX_LATEST}"
        )));
    }
    let counts = app.store.outbox_counts().await.map_err(store_error)?;
    let listed = match limit {
        0 => Vec::new(),
        n => app.store.notices(n).await.map_err(store_error)?,
    };
    let latest: Vec<serde_json::Value> = listed
        .into_iter()
        .map(|(row, state, error)| {
            // Any staff token reads this; a customer's webhook URL is their credential.
            serde_json::json!({
                "id": row.id, "incident": row.notice.incident_id, "customer": row.notice.customer,
                "contact": crate::mask::mask_contact(&row.notice.contact), "kind": row.notice.kind,
                "state": state, "attempts": row.attempts,
                "last_error": error.as_deref().map(crate::mask::mask_urls),
            })
        })
        .collect();
    Ok(Json(
        serde_json::json!({ "counts": counts, "latest": latest }),
    ))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The demo's "mailbox": every notice it would have sent, newest first. Staff only: it holds
/// customers' addresses (a `serve` without `[smtp]` keeps its notices here too).
pub(super) async fn demo_outbox(
    Ext(app): Ext<Arc<App>>,
    Staff(_): Staff,
) -> Result<impl IntoResponse, ApiError> {
    if !app.demo {
        return Err(ApiError::not_found(
            "the demo outbox exists only under `tocsin demo`",
        ));
    }
    let kept = app
        .kept
        .lock()
        .map_err(|_| ApiError::unavailable("internal state poisoned"))?;
    let mut page = String::from("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Tocsin demo outbox</title></head><body><h1>Notices the demo sent</h1>");
    if kept.is_empty() {
        page.push_str(
            "<p>None yet. Fail a switch with the <code>curl</code> line the demo printed.</p>",
        );
    }
    for k in kept.iter().rev() {
        page.push_str(&format!(
            "<h2>#{} to {}</h2><pre>{}</pre>",
            k.id,
            escape(&k.to),
            escape(&k.message)
        ));
    }
    page.push_str("</body></html>");
    Ok(Html(page))
}

/// Prometheus text exposition.
pub(super) async fn metrics(
    Ext(app): Ext<Arc<App>>,
    Staff(_): Staff,
) -> Result<impl IntoResponse, ApiError> {
    let (down, degraded, incidents) = app.read(|live| {
        let s = Summary::of(&live.inventory, &live.impact);
        (s.down.len(), s.degraded.len(), live.incidents.open_count())
    })?;
    let counts = app.store.outbox_counts().await.map_err(store_error)?;
    let text = app.metrics.render(&[
        ("tocsin_vertices_down", "Vertices down now.", down as f64),
        (
            "tocsin_vertices_degraded",
            "Vertices running without some redundancy now.",
            degraded as f64,
        ),
        (
            "tocsin_incidents_open",
            "Incidents open now.",
            incidents as f64,
        ),
        (
            "tocsin_outbox_queued",
            "Notices waiting to be sent, retries included.",
            counts.queued as f64,
        ),
        (
            "tocsin_outbox_failed",
            "Notices given up, for staff to look at.",
            counts.failed as f64,
        ),
        (
            "tocsin_leader",
            "1 while this instance does the ordered work (incidents, notices, timers), else 0.",
            if app.standing.leading() { 1.0 } else { 0.0 },
        ),
        (
            "tocsin_log_applied",
            "The last alert of the shared log this instance's engine reflects.",
            app.standing.applied() as f64,
        ),
    ]);
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        text,
    ))
}
