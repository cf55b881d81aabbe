//! SLA accounting over JSON (`shared/spec/sla.md`): outages engineers record, the month's
//! report for staff and for a customer's own services, credits the customer chooses and shift
//! leads approve or reject.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State as Ext};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use tocsin_app::ops::NewOutage;
use tocsin_model::time::parse_utc;

use crate::auth::{act, csrf_header, Customer, May, Staff};
use crate::error::ApiError;
use crate::{wire, App};

type Answer = Result<axum::response::Response, ApiError>;

/// `?month=YYYY-MM` (default: the current month in `[sla] time_zone`).
#[derive(Deserialize)]
pub(super) struct MonthQuery {
    #[serde(default)]
    month: Option<String>,
}

/// `?status=S`.
#[derive(Deserialize)]
pub(super) struct StatusQuery {
    #[serde(default)]
    status: Option<String>,
}

/// `GET /api/v1/sla?month=YYYY-MM` (staff).
pub(super) async fn report(
    Ext(app): Ext<Arc<App>>,
    Staff(who): Staff,
    Query(q): Query<MonthQuery>,
) -> Answer {
    let r = app.sla_report(&who, q.month.as_deref()).await?;
    Ok(Json(r).into_response())
}

/// `GET /api/v1/account/sla?month=YYYY-MM` (customer): its own services only.
pub(super) async fn account_report(
    Ext(app): Ext<Arc<App>>,
    who: Customer,
    Query(q): Query<MonthQuery>,
) -> Answer {
    let r = app.account_sla(&who.customer, q.month.as_deref()).await?;
    Ok(Json(r).into_response())
}

/// `POST /api/v1/outages` (engineers): `{"down": [IDs], "degraded": [IDs], "start", "end",
/// "note"}` → `201 {"id"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OutageBody {
    #[serde(default)]
    down: Vec<String>,
    #[serde(default)]
    degraded: Vec<String>,
    start: String,
    end: String,
    #[serde(default)]
    note: String,
}

pub(super) async fn record_outage(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::RecordOutage>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let b: OutageBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    let id = app
        .record_outage(
            &who,
            NewOutage {
                down: b.down,
                degraded: b.degraded,
                start_ms: parse_utc(&b.start),
                end_ms: parse_utc(&b.end),
                note: b.note,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))).into_response())
}

/// `GET /api/v1/outages` (staff): the latest recorded outages, newest first.
pub(super) async fn outages(Ext(app): Ext<Arc<App>>, Staff(who): Staff) -> Answer {
    let list = app.recent_outages(&who).await?;
    let list: Vec<_> = list
        .iter()
        .map(|o| {
            json!({
                "id": o.id,
                "down": o.down,
                "degraded": o.degraded,
                "start": tocsin_model::time::rfc3339(o.start_ms),
                "end": tocsin_model::time::rfc3339(o.end_ms),
                "note": o.note,
                "created_by": o.created_by,
                "created": tocsin_model::time::rfc3339(o.created_ms),
            })
        })
        .collect();
    Ok(Json(json!({ "outages": list })).into_response())
}

/// `GET /api/v1/account/credits` (customer).
pub(super) async fn account_credits(Ext(app): Ext<Arc<App>>, who: Customer) -> Answer {
    let credits = app.customer_credits(&who.customer).await?;
    Ok(Json(json!({ "credits": credits })).into_response())
}

/// `POST /api/v1/account/credits/{id}/choice` (customer): `{"offer": ID}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChoiceBody {
    offer: String,
}

pub(super) async fn choose(
    Ext(app): Ext<Arc<App>>,
    who: Customer,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Answer {
    who.principal.check_csrf(csrf_header(&headers))?;
    let b: ChoiceBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    let c = app.choose_credit(&who.principal, id, &b.offer).await?;
    Ok(Json(c).into_response())
}

/// `GET /api/v1/credits?status=S` (staff).
pub(super) async fn credits(
    Ext(app): Ext<Arc<App>>,
    Staff(who): Staff,
    Query(q): Query<StatusQuery>,
) -> Answer {
    let credits = app.staff_credits(&who, q.status.as_deref()).await?;
    Ok(Json(json!({ "credits": credits })).into_response())
}

/// `POST /api/v1/credits/{id}/approve` and `/reject` (shift leads): `{"reason": TEXT}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReasonBody {
    reason: String,
}

pub(super) async fn approve(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::DecideCredit>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Answer {
    decide(app, who, headers, id, body, true).await
}

pub(super) async fn reject(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::DecideCredit>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Answer {
    decide(app, who, headers, id, body, false).await
}

async fn decide(
    app: Arc<App>,
    who: crate::auth::Principal,
    headers: HeaderMap,
    id: i64,
    body: Bytes,
    approve: bool,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let b: ReasonBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    let c = app.decide_credit(&who, id, approve, &b.reason).await?;
    Ok(Json(c).into_response())
}
