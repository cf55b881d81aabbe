//! Every route of the server, in two faces: everything on `listen`, and on `listen_public`
//! only what the public and customers use. Also the alert endpoints monitoring posts to.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as Ext;
use axum::http::StatusCode;
use axum::middleware::from_fn;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tocsin_app::Incoming;
use tocsin_store::Store;

use crate::error::ApiError;
use crate::{wire, App};

/// The routers of the two faces, sharing one running system.
pub(crate) struct Faces {
    /// Every route: alerts in, the staff API and console, metrics, and the public face.
    pub all: Router,
    /// The public face alone: status page and outputs, health, login, client area.
    pub public: Router,
}

/// Both faces, built from the same route groups (the status routes' renderer runs once).
pub(crate) fn faces(app: Arc<App>) -> Faces {
    let public = public(&app);
    let all = public
        .clone()
        .merge(alerts(&app))
        .merge(crate::api::routes())
        .merge(crate::help::staff_routes())
        .merge(crate::console::routes().layer(from_fn(crate::ui::html_errors)));
    Faces {
        all: finish(all, &app),
        public: finish(public, &app),
    }
}

/// What the public and customers use; nothing here is for staff or monitoring.
fn public(app: &Arc<App>) -> Router<Arc<App>> {
    Router::new()
        .route("/healthz", get(healthz))
        .merge(crate::status::routes(app))
        .merge(crate::auth::routes())
        .merge(crate::help::public_routes())
        .merge(crate::account::routes().layer(from_fn(crate::ui::html_errors)))
}

/// The alert endpoints, behind the alert tokens when there are any.
fn alerts(app: &Arc<App>) -> Router<Arc<App>> {
    Router::new()
        .route("/api/v1/alerts/alertmanager", post(alertmanager))
        .route("/api/v1/alerts", post(generic))
        .route("/api/v1/alerts/zabbix", post(zabbix))
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(app),
            crate::alert_auth::require,
        ))
}

/// The security headers around every answer, and the shared state.
fn finish(router: Router<Arc<App>>, app: &Arc<App>) -> Router {
    router
        .layer(crate::headers::SecureLayer {
            https: app.secure_cookies,
        })
        .with_state(Arc::clone(app))
}

/// `200` with this instance's role and how far it applied the alert log, when the database
/// answers; `503` when it does not (a load balancer then sends requests elsewhere).
async fn healthz(Ext(app): Ext<Arc<App>>) -> Response {
    let standing = &app.standing;
    let role = if standing.leading() {
        "leader"
    } else {
        "follower"
    };
    let (status, database) = match app.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "unreachable")
        }
    };
    let body = serde_json::json!({
        "role": role,
        "applied": standing.applied(),
        "epoch": standing.epoch(),
        "database": database,
    });
    (status, Json(body)).into_response()
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
