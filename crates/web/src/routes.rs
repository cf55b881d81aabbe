//! The routes and their handlers.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::State as Ext;
use axum::http::StatusCode;
use axum::response::Html;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use tocsin_model::summary::Summary;
use tocsin_store::{IncidentRow, IncidentStore, Store};

use crate::auth::{act, Action, May, Staff, CSRF_HEADER};
use crate::error::ApiError;
use crate::ingest::Incoming;
use crate::{wire, App};

/// Every route of the server.
pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/alerts/alertmanager", post(alertmanager))
        .route("/api/v1/alerts", post(generic))
        .route("/api/v1/alerts/zabbix", post(zabbix))
        .route("/api/v1/alerts/unmatched", get(unmatched))
        .route("/api/v1/impact", get(impact))
        .route("/api/v1/incidents", get(incidents))
        .route("/api/v1/incidents/{id}", get(incident))
        .route("/api/v1/incidents/{id}/updates", post(add_update))
        .route("/api/v1/outbox", get(outbox))
        .route("/api/v1/broadcasts", post(crate::broadcast::post))
        .route("/demo/outbox", get(demo_outbox))
        .route("/metrics", get(metrics))
        .route("/api/v1/inventory/reload", post(reload))
        .merge(crate::status::routes(&app))
        .merge(crate::auth::routes())
        .merge(crate::console::routes().layer(axum::middleware::from_fn(crate::ui::html_errors)))
        .merge(crate::account::routes().layer(axum::middleware::from_fn(crate::ui::html_errors)))
        .with_state(app)
}

async fn healthz(Ext(app): Ext<Arc<App>>) -> impl IntoResponse {
    match app.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n"),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n")
        }
    }
}

/// The CSRF token a cookie-authenticated JSON request carries in its header.
pub(crate) fn csrf_header(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok())
}

fn rejected(app: &App, message: String) -> ApiError {
    app.metrics
        .rejected
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ApiError::bad_request(message)
}

/// Stores parsed alerts with their raw body and answers `202`, or `400` for a parse error.
async fn accept(
    app: &App,
    parsed: Result<Vec<Incoming>, String>,
    body: Bytes,
) -> Result<impl IntoResponse + use<>, ApiError> {
    let alerts = parsed.map_err(|e| rejected(app, e))?;
    let report = app
        .ingestor
        .submit(alerts, Some(body.to_vec()))
        .await
        .map_err(ApiError::unavailable)?;
    Ok((StatusCode::ACCEPTED, Json(report)))
}

async fn alertmanager(Ext(app): Ext<Arc<App>>, body: Bytes) -> Result<impl IntoResponse, ApiError> {
    accept(&app, wire::alertmanager(&body, app.clock.now_ms()), body).await
}

async fn generic(Ext(app): Ext<Arc<App>>, body: Bytes) -> Result<impl IntoResponse, ApiError> {
    accept(
        &app,
        wire::generic(&body, app.clock.now_ms()).map(|a| vec![a]),
        body,
    )
    .await
}

async fn zabbix(Ext(app): Ext<Arc<App>>, body: Bytes) -> Result<impl IntoResponse, ApiError> {
    accept(
        &app,
        wire::zabbix(&body, app.clock.now_ms()).map(|a| vec![a]),
        body,
    )
    .await
}

async fn unmatched(
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
async fn impact(Ext(app): Ext<Arc<App>>, Staff(_): Staff) -> Result<impl IntoResponse, ApiError> {
    let live = app
        .live
        .lock()
        .map_err(|_| ApiError::unavailable("internal state poisoned"))?;
    let s = Summary::of(&live.inventory, &live.impact);
    Ok(Json(serde_json::json!({
        "down": s.down,
        "degraded": s.degraded,
        "affected_customers": s.affected,
        "at_risk_customers": s.at_risk,
    })))
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

pub(crate) fn store_error(e: tocsin_store::StoreError) -> ApiError {
    tracing::warn!(error = %e, "database request failed");
    ApiError::unavailable(e.to_string())
}

async fn incidents(
    Ext(app): Ext<Arc<App>>,
    Staff(_): Staff,
) -> Result<impl IntoResponse, ApiError> {
    let list = app.store.incidents(100).await.map_err(store_error)?;
    let list: Vec<serde_json::Value> = list.iter().map(incident_json).collect();
    Ok(Json(serde_json::json!({ "incidents": list })))
}

async fn incident(
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

/// A public update or an internal note on an incident.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUpdate {
    status: String,
    body: String,
    #[serde(default = "yes")]
    public: bool,
}

fn yes() -> bool {
    true
}

const STATUSES: [&str; 4] = ["investigating", "identified", "monitoring", "resolved"];

async fn add_update(
    Ext(app): Ext<Arc<App>>,
    Staff(who): Staff,
    headers: axum::http::HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    who.check_csrf(csrf_header(&headers))?;
    let update: NewUpdate = wire::parse(&body).map_err(ApiError::bad_request)?;
    who.require(if update.public {
        Action::PublicUpdate
    } else {
        Action::Note
    })?;
    if !STATUSES.contains(&update.status.as_str()) {
        return Err(ApiError::bad_request(format!(
            "status: `{}` is not one of {}",
            update.status,
            STATUSES.join(", ")
        )));
    }
    if update.body.trim().is_empty() {
        return Err(ApiError::bad_request("body: an update needs some text"));
    }
    if app.store.incident(id).await.map_err(store_error)?.is_none() {
        return Err(ApiError::not_found(format!("no incident {id}")));
    }
    let seq = app
        .store
        .add_update(
            id,
            &update.status,
            &update.body,
            update.public,
            &who.login,
            app.clock.now_ms(),
        )
        .await
        .map_err(store_error)?;
    app.status_changed.notify_one();
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": seq }))))
}

async fn outbox(Ext(app): Ext<Arc<App>>, Staff(_): Staff) -> Result<impl IntoResponse, ApiError> {
    let counts = app.store.outbox_counts().await.map_err(store_error)?;
    let latest: Vec<serde_json::Value> = app
        .store
        .notices(200)
        .await
        .map_err(store_error)?
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
async fn demo_outbox(
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
async fn metrics(Ext(app): Ext<Arc<App>>, Staff(_): Staff) -> Result<impl IntoResponse, ApiError> {
    let (down, degraded, incidents) = {
        let live = app
            .live
            .lock()
            .map_err(|_| ApiError::unavailable("internal state poisoned"))?;
        let s = Summary::of(&live.inventory, &live.impact);
        (s.down.len(), s.degraded.len(), live.incidents.open_count())
    };
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
    ]);
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        text,
    ))
}

/// Re-reads the inventory; a broken one is refused with its diagnostics and the old one stays.
async fn reload(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::Reload>,
    headers: axum::http::HeaderMap,
) -> Result<impl IntoResponse, ApiError> {
    who.check_csrf(csrf_header(&headers))?;
    let inventory = crate::reload_inventory(&app)
        .await
        .map_err(ApiError::bad_request)?;
    Ok(Json(serde_json::json!({
        "vertices": inventory.graph.vertex_count(),
        "services": inventory.services.len(),
        "customers": inventory.customers.len(),
    })))
}
