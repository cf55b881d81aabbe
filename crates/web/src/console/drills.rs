//! `/console/drills`: the emergency drills register (staff) with each drill's next
//! occurrences in the provider's time zone and UTC and its overdue ones flagged, a form to
//! plan a drill (shift leads) and one per drill to record what came of an occurrence
//! (engineers): the console face of the operations `/api/v1/drills` calls too.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Form;
use minijinja::{context, Value};
use serde::Deserialize;
use tocsin_app::ops::{duration_text, NewDrill, NewDrillResult, OUTCOMES};
use tocsin_app::recur::in_zone;
use tocsin_app::Refused;
use tocsin_model::time::{datetime_local, parse_utc};

use super::{done, frame, render, when, Done, Page};
use crate::auth::{act, May, Principal, Staff};
use crate::App;

/// The plan form as submitted.
#[derive(Deserialize, Default, Clone)]
pub(super) struct PlanForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    title: String,
    /// Vertex ids separated by spaces or commas.
    #[serde(default)]
    targets: String,
    #[serde(default)]
    rrule: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    duration: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    announced: Option<String>,
}

/// A result form as submitted.
#[derive(Deserialize, Default, Clone)]
pub(super) struct ResultForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    occurrence: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    started: String,
    #[serde(default)]
    ended: String,
    #[serde(default)]
    notes: String,
}

/// What went wrong with a form, to show beside it.
enum Trouble {
    Plan(StatusCode, String),
    Result(i64, StatusCode, String),
}

async fn show(
    app: &App,
    who: &Principal,
    plan: PlanForm,
    result: Option<(i64, ResultForm)>,
    trouble: Option<Trouble>,
    flash: Option<&str>,
) -> Page {
    let views = app.drills(who).await?;
    let zone = app.time_zone.iana_name().unwrap_or("UTC").to_owned();
    let instant = |ms: &i64| context! { local => in_zone(*ms, &app.time_zone), utc => when(*ms), input => datetime_local(*ms) };
    let rows: Vec<Value> = views
        .iter()
        .map(|v| {
            let d = &v.drill;
            // The form of the drill whose result was refused keeps what was typed; the others
            // offer the oldest overdue occurrence.
            let form = match &result {
                Some((id, f)) if *id == d.id => context! {
                    occurrence => f.occurrence, outcome => f.outcome, started => f.started,
                    ended => f.ended, notes => f.notes,
                },
                _ => {
                    let first = v.overdue.first().map(|ms| datetime_local(*ms));
                    context! { occurrence => first.clone().unwrap_or_default(), outcome => "passed", started => first.clone().unwrap_or_default(), ended => first.unwrap_or_default(), notes => "" }
                }
            };
            context! {
                id => d.id,
                title => d.title,
                targets => d.targets.join(", "),
                rrule => d.rrule,
                start => instant(&d.start_ms),
                duration => duration_text(d.duration_ms),
                announced => d.announced,
                created_by => d.created_by,
                next => v.next.iter().map(instant).collect::<Vec<_>>(),
                overdue => v.overdue.iter().map(instant).collect::<Vec<_>>(),
                results => v.results.iter().map(|r| context! {
                    occurrence => when(r.occurrence_ms),
                    outcome => r.outcome,
                    started => when(r.started_ms),
                    ended => when(r.ended_ms),
                    notes => r.notes,
                    recorded_by => r.recorded_by,
                }).collect::<Vec<_>>(),
                form,
            }
        })
        .collect();
    let (status, plan_error, result_error, result_id) = match trouble {
        Some(Trouble::Plan(status, message)) => (status, Some(message), None, None),
        Some(Trouble::Result(id, status, message)) => (status, None, Some(message), Some(id)),
        None => (StatusCode::OK, None, None, None),
    };
    Ok(render(
        "console/drills.html",
        frame(who, "drills", flash),
        context! {
            heading => "Emergency drills",
            zone,
            drills => rows,
            outcomes => OUTCOMES,
            plan_error,
            result_error,
            result_id,
            form => context! {
                title => plan.title,
                targets => plan.targets,
                rrule => plan.rrule,
                start => plan.start,
                duration => plan.duration,
                announced => plan.announced.is_some(),
            },
        },
        status,
    ))
}

/// `GET /console/drills`.
pub(super) async fn page(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Query(q): Query<Done>,
) -> Page {
    show(
        &app,
        &who,
        PlanForm::default(),
        None,
        None,
        q.done.as_deref(),
    )
    .await
}

/// `POST /console/drills` (shift leads).
pub(super) async fn plan(
    State(app): State<Arc<App>>,
    May(who, _): May<act::PlanDrill>,
    Form(form): Form<PlanForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    let new = NewDrill {
        title: form.title.clone(),
        targets: super::ids(&form.targets),
        rrule: form.rrule.clone(),
        start_ms: parse_utc(&form.start),
        duration: form.duration.clone(),
        announced: form.announced.is_some(),
    };
    let refused = match app.plan_drill(&who, new).await {
        Ok(_) => return Ok(done("/console/drills", "drill")),
        Err(Refused::Invalid { message, .. }) => Trouble::Plan(StatusCode::BAD_REQUEST, message),
        Err(other) => return Err(other.into()),
    };
    show(&app, &who, form, None, Some(refused), None).await
}

/// `POST /console/drills/{id}/results` (engineers).
pub(super) async fn record(
    State(app): State<Arc<App>>,
    May(who, _): May<act::DrillResult>,
    Path(id): Path<i64>,
    Form(form): Form<ResultForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    let new = NewDrillResult {
        occurrence_ms: parse_utc(&form.occurrence),
        outcome: form.outcome.clone(),
        started_ms: parse_utc(&form.started),
        ended_ms: parse_utc(&form.ended),
        notes: form.notes.clone(),
    };
    let refused = match app.record_drill_result(&who, id, new).await {
        Ok(_) => return Ok(done("/console/drills", "drill_result")),
        Err(Refused::Invalid { message, .. }) => {
            Trouble::Result(id, StatusCode::BAD_REQUEST, message)
        }
        Err(Refused::Conflict(message)) => Trouble::Result(id, StatusCode::CONFLICT, message),
        Err(other) => return Err(other.into()),
    };
    show(
        &app,
        &who,
        PlanForm::default(),
        Some((id, form)),
        Some(refused),
        None,
    )
    .await
}

#[cfg(test)]
mod tests {
    use minijinja::context;

    use super::super::{env, frame};
    use crate::auth::{Principal, Role, Via};

    const HOSTILE: &str = "<script>alert(1)</script>";

    fn page(role: Role) -> String {
        let who = Principal {
            who: tocsin_app::Principal {
                login: "<b>eve</b>".into(),
                role,
                customer: None,
            },
            via: Via::Session {
                csrf: "tok\"en".into(),
                token_hash: "h".into(),
            },
        };
        let at = context! { local => "2026-12-01T10:00:00+01:00", utc => "2026-12-01 09:00 UTC", input => "2026-12-01T09:00" };
        let drill = context! {
            id => 7, title => HOSTILE, targets => HOSTILE, rrule => HOSTILE, start => at.clone(),
            duration => "15m", announced => true, created_by => HOSTILE,
            next => vec![at.clone()], overdue => vec![at.clone()],
            results => vec![context! { occurrence => "t", outcome => "failed", started => "t", ended => "t", notes => HOSTILE, recorded_by => HOSTILE }],
            form => context! { occurrence => HOSTILE, outcome => "passed", started => "", ended => "", notes => HOSTILE },
        };
        let page = context! {
            heading => "D", zone => "Europe/Prague", drills => vec![drill], outcomes => tocsin_app::ops::OUTCOMES,
            plan_error => HOSTILE, result_error => HOSTILE, result_id => 7,
            form => context! { title => HOSTILE, targets => HOSTILE, rrule => HOSTILE, start => "", duration => HOSTILE, announced => true },
        };
        let frame = frame(&who, "drills", Some("drill"));
        env()
            .get_template("console/drills.html")
            .unwrap()
            .render(context! { ..frame, ..page })
            .unwrap()
    }

    #[test]
    fn the_drills_page_escapes_flags_overdue_and_shows_forms_by_role() {
        for role in [Role::Junior, Role::Engineer, Role::ShiftLead, Role::Admin] {
            let out = page(role);
            assert!(!out.contains("<script>"), "{out}");
            assert!(out.contains("&lt;script&gt;"), "{out}");
            assert!(out.contains("Drill planned."), "the flash");
            assert!(out.contains("class=\"overdue\""), "{out}");
            assert!(out.contains("2026-12-01T10:00:00+01:00"), "zone time");
            assert!(out.contains("2026-12-01 09:00 UTC"), "UTC time");
            assert!(out.contains("announced"), "{out}");
            assert_eq!(
                out.contains("action=\"/console/drills\""),
                role >= Role::ShiftLead,
                "{role:?}"
            );
            assert_eq!(
                out.contains("action=\"/console/drills/7/results\""),
                role >= Role::Engineer,
                "{role:?}"
            );
        }
    }
}
