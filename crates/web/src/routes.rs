//! Every route of the server, and the alert endpoints monitoring posts to.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as Ext;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use tocsin_app::Incoming;
use tocsin_store::Store;

use crate::error::ApiError;
use crate::{wire, App};

/// Every route of the server.
pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/v1/alerts/alertmanager", post(alertmanager))
        .route("/api/v1/alerts", post(generic))
        .route("/api/v1/alerts/zabbix", post(zabbix))
        .merge(crate::api::routes())
        .merge(crate::status::routes(&app))
        .merge(crate::auth::routes())
        .merge(crate::console::routes().layer(axum::middleware::from_fn(crate::ui::html_errors)))
        .merge(crate::account::routes().layer(axum::middleware::from_fn(crate::ui::html_errors)))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&app),
            crate::headers::secure,
        ))
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
    let report = app.ingest(alerts, Some(body.to_vec())).await?;
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
