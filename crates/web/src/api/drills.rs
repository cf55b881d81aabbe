//! The drills register over JSON: `POST /api/v1/drills` (shift leads), `GET /api/v1/drills`
//! (staff), `POST /api/v1/drills/{id}/results` (engineers). Times are RFC 3339 UTC in and
//! out; the next occurrences are given in the provider's time zone too.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State as Ext};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use tocsin_app::ops::{duration_text, DrillView, NewDrill, NewDrillResult};
use tocsin_app::recur::in_zone;
use tocsin_model::time::{parse_utc, rfc3339};
use tocsin_store::{Drill, DrillResult};

use crate::auth::{act, csrf_header, May, Staff};
use crate::error::ApiError;
use crate::{wire, App};

type Answer = Result<axum::response::Response, ApiError>;

fn drill_json(d: &Drill) -> Value {
    json!({
        "id": d.id,
        "title": d.title,
        "targets": d.targets,
        "rrule": d.rrule,
        "start": rfc3339(d.start_ms),
        "duration": duration_text(d.duration_ms),
        "duration_ms": d.duration_ms,
        "announced": d.announced,
        "created_by": d.created_by,
        "created": rfc3339(d.created_ms),
    })
}

fn result_json(r: &DrillResult) -> Value {
    json!({
        "id": r.id,
        "drill": r.drill,
        "occurrence": rfc3339(r.occurrence_ms),
        "outcome": r.outcome,
        "started": rfc3339(r.started_ms),
        "ended": rfc3339(r.ended_ms),
        "notes": r.notes,
        "recorded_by": r.recorded_by,
        "recorded": rfc3339(r.recorded_ms),
    })
}

fn view_json(v: &DrillView, app: &App) -> Value {
    let mut d = drill_json(&v.drill);
    d["next"] = v.next.iter().map(|ms| Value::from(rfc3339(*ms))).collect();
    d["next_local"] = v
        .next
        .iter()
        .map(|ms| Value::from(in_zone(*ms, &app.time_zone)))
        .collect();
    d["overdue"] = v
        .overdue
        .iter()
        .map(|ms| Value::from(rfc3339(*ms)))
        .collect();
    d["results"] = v.results.iter().map(result_json).collect();
    d
}

/// `GET /api/v1/drills`: every drill with its next occurrences (up to 5, in UTC and in the
/// provider's zone), its overdue ones (past, without a result) and its results.
pub(super) async fn list(Ext(app): Ext<Arc<App>>, Staff(who): Staff) -> Answer {
    let views = app.drills(&who).await?;
    let list: Vec<Value> = views.iter().map(|v| view_json(v, &app)).collect();
    Ok(Json(json!({
        "time_zone": app.time_zone.iana_name().unwrap_or("UTC"),
        "drills": list,
    }))
    .into_response())
}

/// `POST /api/v1/drills` (shift leads): `{"title", "targets": [IDs], "rrule", "start",
/// "duration": "15m", "announced": bool}`; `201` with the drill and the what-if of its
/// targets down.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DrillBody {
    title: String,
    targets: Vec<String>,
    rrule: String,
    start: String,
    duration: String,
    #[serde(default)]
    announced: bool,
}

pub(super) async fn plan(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::PlanDrill>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let b: DrillBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    let planned = app
        .plan_drill(
            &who,
            NewDrill {
                title: b.title,
                targets: b.targets,
                rrule: b.rrule,
                start_ms: parse_utc(&b.start),
                duration: b.duration,
                announced: b.announced,
            },
        )
        .await?;
    let mut answer = drill_json(&planned.drill);
    answer["what_if"] = json!(planned.what_if);
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// `POST /api/v1/drills/{id}/results` (engineers): `{"occurrence", "outcome": "passed" |
/// "failed", "started", "ended", "notes"}`; `201` with the result, `409` when the occurrence
/// already has one.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResultBody {
    occurrence: String,
    outcome: String,
    started: String,
    ended: String,
    #[serde(default)]
    notes: String,
}

pub(super) async fn record(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::DrillResult>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let b: ResultBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    let result = app
        .record_drill_result(
            &who,
            id,
            NewDrillResult {
                occurrence_ms: parse_utc(&b.occurrence),
                outcome: b.outcome,
                started_ms: parse_utc(&b.started),
                ended_ms: parse_utc(&b.ended),
                notes: b.notes,
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(result_json(&result))).into_response())
}
