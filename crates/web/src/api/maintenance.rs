//! Planned maintenance over the API (`shared/spec/operations.md`): plan a window on
//! inventory targets and/or status-page components, read it with its what-if, move it,
//! cancel it. The contract's field names (`description`, `start`, `end`) and the console's
//! older ones (`body`, `starts`, `ends`) are both read.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State as Ext};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use tocsin_app::ops::{window_status, MaintenancePlan};
use tocsin_model::time::{parse_utc, rfc3339};
use tocsin_store::{Maintenance, MaintenanceStore};

use super::actions::{ok, parse, Answer};
use super::store_error;
use crate::auth::{act, csrf_header, May, Staff};
use crate::App;

/// A lead time as typed: whole hours as `24h`, else seconds.
fn lead(ms: i64) -> String {
    if ms % 3_600_000 == 0 {
        format!("{}h", ms / 3_600_000)
    } else {
        format!("{}s", ms / 1000)
    }
}

/// A window as the API shows it, with where it stands at `now_ms`. One window (`full`) names
/// what is only at risk; a list of windows counts it (after a core switch it is most of the
/// inventory).
pub(super) fn window_json(m: &Maintenance, now_ms: i64, full: bool) -> serde_json::Value {
    let mut w = serde_json::json!({
        "id": m.id,
        "title": m.title,
        "description": m.body,
        "body": m.body,
        "targets": m.targets,
        "components": m.components,
        "start": rfc3339(m.starts_ms),
        "end": rfc3339(m.ends_ms),
        "starts": rfc3339(m.starts_ms),
        "ends": rfc3339(m.ends_ms),
        "status": window_status(m, now_ms),
        "notify": m.notify_ms.iter().map(|&ms| lead(ms)).collect::<Vec<_>>(),
        "down_services": m.impact.down_services,
        "affected_customers": m.impact.affected_customers,
        "at_risk_services_total": m.impact.at_risk_services_total,
        "at_risk_customers_total": m.impact.at_risk_customers_total,
        "cancelled": m.cancelled_ms.map(rfc3339),
        "sequence": m.sequence,
        "created_by": m.created_by,
    });
    if full {
        w["at_risk_services"] = serde_json::json!(m.impact.at_risk_services);
        w["at_risk_customers"] = serde_json::json!(m.impact.at_risk_customers);
    }
    w
}

/// `GET /api/v1/maintenance`: windows that ended less than a day ago or later, cancelled
/// ones included.
pub(super) async fn list(Ext(app): Ext<Arc<App>>, Staff(_): Staff) -> Answer {
    let now = app.clock.now_ms();
    let windows = app
        .store
        .maintenances(now - 86_400_000)
        .await
        .map_err(store_error)?;
    let list: Vec<serde_json::Value> = windows.iter().map(|m| window_json(m, now, false)).collect();
    ok(serde_json::json!({ "maintenance": list }))
}

/// `GET /api/v1/maintenance/{id}`.
pub(super) async fn one(Ext(app): Ext<Arc<App>>, Staff(who): Staff, Path(id): Path<i64>) -> Answer {
    let m = app.maintenance(&who, id).await?;
    ok(window_json(&m, app.clock.now_ms(), true))
}

/// `POST /api/v1/maintenance`: `{"title", "description", "targets": [IDs], "components":
/// [IDs], "start", "end", "notify": ["168h", "24h"]}`, times in UTC
/// (`2026-11-22T22:00:00Z`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanBody {
    title: String,
    #[serde(default, alias = "body")]
    description: String,
    #[serde(default)]
    targets: Vec<String>,
    #[serde(default)]
    components: Vec<String>,
    #[serde(alias = "starts")]
    start: String,
    #[serde(alias = "ends")]
    end: String,
    #[serde(default)]
    notify: Option<Vec<String>>,
}

pub(super) async fn plan(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::Maintenance>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let p: PlanBody = parse(&body)?;
    let plan = MaintenancePlan {
        title: p.title,
        body: p.description,
        components: p.components,
        targets: p.targets,
        starts_ms: parse_utc(&p.start),
        ends_ms: parse_utc(&p.end),
        notify: p.notify,
    };
    let m = app.plan_maintenance(&who, &plan).await?;
    let window = window_json(&m, app.clock.now_ms(), true);
    Ok((StatusCode::CREATED, Json(window)).into_response())
}

/// `POST /api/v1/maintenance/{id}/move`: `{"start", "end"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveBody {
    #[serde(alias = "starts")]
    start: String,
    #[serde(alias = "ends")]
    end: String,
}

pub(super) async fn reschedule(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::Maintenance>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let m: MoveBody = parse(&body)?;
    app.move_maintenance(&who, id, parse_utc(&m.start), parse_utc(&m.end))
        .await?;
    let moved = app.maintenance(&who, id).await?;
    ok(window_json(&moved, app.clock.now_ms(), true))
}

/// `POST /api/v1/maintenance/{id}/cancel`: `{"reason"}` (optional), for the audit trail.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CancelBody {
    #[serde(default)]
    reason: String,
}

pub(super) async fn cancel(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::Maintenance>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let c: CancelBody = if body.iter().all(u8::is_ascii_whitespace) {
        CancelBody::default()
    } else {
        parse(&body)?
    };
    app.cancel_maintenance(&who, id, &c.reason).await?;
    let m = app.maintenance(&who, id).await?;
    let mut answer = window_json(&m, app.clock.now_ms(), true);
    answer["cancelled"] = serde_json::Value::Bool(true);
    answer["cancelled_at"] = m.cancelled_ms.map(rfc3339).into();
    ok(answer)
}
