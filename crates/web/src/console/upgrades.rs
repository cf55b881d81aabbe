//! `/console/upgrades`: rolling-upgrade plans (staff read them, engineers plan them) and
//! `/console/upgrades/{id}`, the run page: each step with its what-if, a blocked plan with the
//! services it would take down, one button for the next action only, and the history. The
//! console face of the operations `/api/v1/upgrades` calls too.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Form;
use minijinja::{context, Value};
use serde::Deserialize;
use tocsin_app::ops::{NewUpgrade, RollingUpgrade};
use tocsin_app::Refused;

use super::{done, frame, render, when, Done, Page};
use crate::auth::{act, May, Principal, Staff};
use crate::App;

/// What the checklist suggests before the work.
const SUGGESTED_CHECKLIST: &str = "changelog read\ntested in the lab\nport names compared";

/// The planning form as submitted.
#[derive(Deserialize, Clone)]
pub(super) struct PlanForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    title: String,
    /// Vertex ids separated by spaces, commas or lines, in order.
    #[serde(default)]
    members: String,
    /// One line each.
    #[serde(default)]
    checklist: String,
}

impl Default for PlanForm {
    fn default() -> Self {
        PlanForm {
            csrf: None,
            title: String::new(),
            members: String::new(),
            checklist: SUGGESTED_CHECKLIST.to_owned(),
        }
    }
}

/// A step's button: only the CSRF token.
#[derive(Deserialize)]
pub(super) struct StepForm {
    #[serde(default)]
    csrf: Option<String>,
}

/// Where a plan stands, in a few words.
fn standing(run: &RollingUpgrade) -> String {
    if run.plan.blocked {
        "blocked".to_owned()
    } else {
        match &run.next {
            None => "done".to_owned(),
            Some(n) => format!("next: {} of step {} ({})", n.action, n.step, n.member),
        }
    }
}

async fn show_list(
    app: &App,
    who: &Principal,
    form: PlanForm,
    error: Option<String>,
    flash: Option<&str>,
) -> Page {
    let list = app.upgrades(who).await?;
    let rows: Vec<Value> = list
        .iter()
        .map(|run| {
            context! {
                id => run.plan.id,
                title => run.plan.title,
                members => run.plan.members.join(", "),
                blocked => run.plan.blocked,
                standing => standing(run),
                created_by => run.plan.created_by,
                created => when(run.plan.created_ms),
            }
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(render(
        "console/upgrades.html",
        frame(who, "upgrades", flash),
        context! {
            heading => "Rolling upgrades",
            error,
            plans => rows,
            form => context! {
                title => form.title,
                members => form.members,
                checklist => form.checklist,
            },
        },
        status,
    ))
}

/// `GET /console/upgrades`.
pub(super) async fn list(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Query(q): Query<Done>,
) -> Page {
    show_list(&app, &who, PlanForm::default(), None, q.done.as_deref()).await
}

/// `POST /console/upgrades` (engineers and up).
pub(super) async fn plan(
    State(app): State<Arc<App>>,
    May(who, _): May<act::Upgrade>,
    Form(form): Form<PlanForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    let new = NewUpgrade {
        title: form.title.clone(),
        members: super::ids(&form.members),
        checklist: form.checklist.lines().map(str::to_owned).collect(),
    };
    match app.plan_upgrade(&who, new).await {
        Ok(run) => Ok(done(
            &format!("/console/upgrades/{}", run.plan.id),
            "upgrade.plan",
        )),
        Err(Refused::Invalid { message, .. }) => {
            show_list(&app, &who, form, Some(message), None).await
        }
        Err(other) => Err(other.into()),
    }
}

async fn show_run(
    app: &App,
    who: &Principal,
    id: i64,
    error: Option<(StatusCode, String)>,
    flash: Option<&str>,
) -> Page {
    let run = app.upgrade(who, id).await?;
    let plan = &run.plan;
    let steps: Vec<Value> = plan
        .steps
        .iter()
        .zip(1i64..)
        .map(|(s, n)| {
            let actions: Vec<Value> = run
                .actions_of(n)
                .map(|a| context! { action => a.action, by => a.by, at => when(a.at_ms) })
                .collect();
            context! {
                n,
                member => s.member,
                down => s.down_services,
                at_risk => s.at_risk_services,
                current => run.next.as_ref().is_some_and(|x| x.step == n),
                actions,
            }
        })
        .collect();
    let history: Vec<Value> = run
        .actions
        .iter()
        .map(|a| {
            let member = usize::try_from(a.step - 1)
                .ok()
                .and_then(|i| plan.members.get(i))
                .map_or("", String::as_str);
            context! { step => a.step, member, action => a.action, by => a.by, at => when(a.at_ms) }
        })
        .collect();
    let (status, error) = match error {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::OK, None),
    };
    Ok(render(
        "console/upgrade.html",
        frame(who, "upgrades", flash),
        context! {
            heading => format!("Upgrade {}: {}", plan.id, plan.title),
            error,
            plan => context! {
                id => plan.id,
                title => plan.title,
                blocked => plan.blocked,
                blocking => run.blocking_services(),
                created_by => plan.created_by,
                created => when(plan.created_ms),
                done => run.done(),
            },
            checklist => plan.checklist,
            steps,
            next => run.next,
            history,
        },
        status,
    ))
}

/// `GET /console/upgrades/{id}`.
pub(super) async fn run(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> Page {
    show_run(&app, &who, id, None, q.done.as_deref()).await
}

/// `POST /console/upgrades/{id}/steps/{n}/{action}` (engineers and up).
pub(super) async fn step(
    State(app): State<Arc<App>>,
    May(who, _): May<act::Upgrade>,
    Path((id, n, action)): Path<(i64, i64, String)>,
    Form(form): Form<StepForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    match app.upgrade_step(&who, id, n, &action).await {
        Ok(_) => Ok(done(
            &format!("/console/upgrades/{id}"),
            &format!("upgrade.{action}"),
        )),
        Err(Refused::Invalid { message, .. }) => {
            show_run(
                &app,
                &who,
                id,
                Some((StatusCode::BAD_REQUEST, message)),
                None,
            )
            .await
        }
        Err(Refused::Conflict(message)) => {
            show_run(&app, &who, id, Some((StatusCode::CONFLICT, message)), None).await
        }
        Err(other) => Err(other.into()),
    }
}
