//! The routes and their handlers.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as Ext;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use tocsin_model::summary::Summary;
use tocsin_store::Store;

use crate::error::ApiError;
use crate::{wire, App};

/// Every route of the server.
pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/alerts/alertmanager", post(alertmanager))
        .route("/api/v1/alerts", post(generic))
        .route("/api/v1/alerts/unmatched", get(unmatched))
        .route("/api/v1/impact", get(impact))
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

async fn alertmanager(Ext(app): Ext<Arc<App>>, body: Bytes) -> Result<impl IntoResponse, ApiError> {
    let alerts = wire::alertmanager(&body, app.clock.now_ms()).map_err(ApiError::bad_request)?;
    let report = app
        .ingestor
        .submit(alerts)
        .await
        .map_err(ApiError::unavailable)?;
    Ok((StatusCode::ACCEPTED, Json(report)))
}

async fn generic(Ext(app): Ext<Arc<App>>, body: Bytes) -> Result<impl IntoResponse, ApiError> {
    let alert = wire::generic(&body, app.clock.now_ms()).map_err(ApiError::bad_request)?;
    let report = app
        .ingestor
        .submit(vec![alert])
        .await
        .map_err(ApiError::unavailable)?;
    Ok((StatusCode::ACCEPTED, Json(report)))
}

async fn unmatched(Ext(app): Ext<Arc<App>>) -> Result<impl IntoResponse, ApiError> {
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
async fn impact(Ext(app): Ext<Arc<App>>) -> Result<impl IntoResponse, ApiError> {
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
