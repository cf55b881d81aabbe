//! The API of rolling upgrades: plan one, list and read them, and do the next action of a
//! step. Steps are numbered from 1, as people count, in the paths and in the answers.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State as Ext};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use tocsin_app::ops::{NewUpgrade, RollingUpgrade};
use tocsin_model::time::rfc3339;

use crate::auth::{act, csrf_header, May, Staff};
use crate::error::ApiError;
use crate::{wire, App};

type Answer = Result<axum::response::Response, ApiError>;

/// Where a step stands, after the last action done on it.
fn step_state(last: Option<&str>) -> &'static str {
    match last {
        None => "waiting",
        Some("drain") => "drained",
        Some("upgrade") => "upgraded",
        Some("verify") => "verified",
        Some(_) => "returned",
    }
}

/// A plan and where it stands, as the API shows it.
pub(crate) fn upgrade_json(run: &RollingUpgrade) -> Value {
    let plan = &run.plan;
    let steps: Vec<Value> = plan
        .steps
        .iter()
        .zip(1i64..)
        .map(|(s, n)| {
            let actions: Vec<Value> = run
                .actions_of(n)
                .map(|a| json!({"action": a.action, "by": a.by, "at": rfc3339(a.at_ms)}))
                .collect();
            json!({
                "step": n,
                "member": s.member,
                "down_services": s.down_services,
                "at_risk_services": s.at_risk_services,
                "at_risk_total": s.at_risk_total,
                "state": step_state(run.actions_of(n).last().map(|a| a.action.as_str())),
                "actions": actions,
            })
        })
        .collect();
    let history: Vec<Value> = run
        .actions
        .iter()
        .map(|a| json!({"step": a.step, "action": a.action, "by": a.by, "at": rfc3339(a.at_ms)}))
        .collect();
    json!({
        "id": plan.id,
        "title": plan.title,
        "members": plan.members,
        "checklist": plan.checklist,
        "blocked": plan.blocked,
        "blocking_services": run.blocking_services(),
        "created_by": plan.created_by,
        "created": rfc3339(plan.created_ms),
        "steps": steps,
        "history": history,
        "current_step": run.next.as_ref().map(|n| n.step),
        "next": run.next,
        "done": run.done(),
    })
}

/// `POST /api/v1/upgrades`: `{"title", "members": [ID], "checklist": [TEXT]}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanBody {
    title: String,
    members: Vec<String>,
    #[serde(default)]
    checklist: Vec<String>,
}

pub(super) async fn plan(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::Upgrade>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let b: PlanBody = wire::parse(&body).map_err(ApiError::bad_request)?;
    let new = NewUpgrade {
        title: b.title,
        members: b.members,
        checklist: b.checklist,
    };
    let run = app.plan_upgrade(&who, new).await?;
    Ok((StatusCode::CREATED, Json(upgrade_json(&run))).into_response())
}

/// `GET /api/v1/upgrades`: the latest plans, newest first.
pub(super) async fn list(Ext(app): Ext<Arc<App>>, Staff(who): Staff) -> Answer {
    let list = app.upgrades(&who).await?;
    // Lists of plans count what each step puts at risk; one plan names it.
    let list: Vec<Value> = list
        .iter()
        .map(|run| {
            let mut plan = upgrade_json(run);
            if let Some(steps) = plan["steps"].as_array_mut() {
                for step in steps {
                    if let Some(step) = step.as_object_mut() {
                        step.remove("at_risk_services");
                    }
                }
            }
            plan
        })
        .collect();
    Ok(Json(json!({ "upgrades": list })).into_response())
}

/// `GET /api/v1/upgrades/{id}`.
pub(super) async fn one(Ext(app): Ext<Arc<App>>, Staff(who): Staff, Path(id): Path<i64>) -> Answer {
    let run = app.upgrade(&who, id).await?;
    Ok(Json(upgrade_json(&run)).into_response())
}

/// `POST /api/v1/upgrades/{id}/steps/{n}/{action}`: the plan as it stands after the action.
pub(super) async fn step(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::Upgrade>,
    headers: HeaderMap,
    Path((id, n, action)): Path<(i64, i64, String)>,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let run = app.upgrade_step(&who, id, n, &action).await?;
    Ok(Json(upgrade_json(&run)).into_response())
}
