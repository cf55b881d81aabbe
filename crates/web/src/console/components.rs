//! `/console/components`: the status-page components with the status computed from the impact
//! and the one set by hand; setting and clearing `degraded_performance` / `under_maintenance`
//! with a note, and planning, moving and cancelling maintenance windows (shift leads and up,
//! audited). A cancelled window is kept, marked, so that the calendar feed can tell
//! subscribers it is off. The status renderer reads both from the database, so the public
//! outputs follow within 2 s.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Form;
use minijinja::{context, Value};
use serde::Deserialize;
use tocsin_app::ops::MaintenancePlan;
use tocsin_app::Refused;
use tocsin_model::inventory::NONE;
use tocsin_model::State as Vertex;
use tocsin_store::{AccountStore, MaintenanceStore};

use super::{done, frame, render, unavailable, when, Done, Page};
use crate::auth::{act, Action, May, Principal, Staff};
use crate::status::time::{datetime_local, parse_utc};
use crate::App;

/// The status form as submitted.
#[derive(Deserialize, Default, Clone)]
pub(super) struct StatusForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    component: String,
    /// `degraded_performance`, `under_maintenance` or `clear`.
    #[serde(default)]
    status: String,
    #[serde(default)]
    note: String,
}

/// The maintenance form as submitted; `components` repeats, one per ticked box.
#[derive(Default, Clone)]
pub(super) struct PlanForm {
    csrf: Option<String>,
    title: String,
    body: String,
    components: Vec<String>,
    /// Inventory vertex ids, separated by spaces, commas or lines.
    targets: String,
    /// Lead times, separated by commas (`168h, 24h`); empty: a day.
    notify: String,
    starts: String,
    ends: String,
}

impl PlanForm {
    /// From the form's pairs, keeping every `components` value (serde's form reader keeps one).
    fn of(pairs: Vec<(String, String)>) -> Self {
        let mut f = PlanForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "csrf" => f.csrf = Some(v),
                "title" => f.title = v,
                "body" => f.body = v,
                "components" => f.components.push(v),
                "targets" => f.targets = v,
                "notify" => f.notify = v,
                "starts" => f.starts = v,
                "ends" => f.ends = v,
                _ => {}
            }
        }
        f
    }
}

/// The form that moves one window, as submitted.
#[derive(Deserialize, Default, Clone)]
pub(super) struct MoveForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    starts: String,
    #[serde(default)]
    ends: String,
}

/// What the page shows again after an error: the form that failed and its message.
enum Again {
    Nothing,
    Status(StatusForm, String),
    Plan(PlanForm, String),
    /// The move form of one window.
    Move(i64, MoveForm, String),
}

async fn show(app: &App, who: &Principal, again: Again, flash: Option<&str>) -> Page {
    let now = app.clock.now_ms();
    let set = app.store.component_statuses().await.map_err(unavailable)?;
    let windows = app
        .store
        .maintenances(now - 86_400_000)
        .await
        .map_err(unavailable)?;
    let components: Vec<Value> = app.read(|live| {
        let inventory = &live.inventory;
        let mut services = vec![0u32; inventory.components.len()];
        let mut down = vec![0u32; inventory.components.len()];
        for s in &inventory.services {
            if let Some(n) = services.get_mut(s.component as usize) {
                *n += 1;
            }
        }
        for &v in live.impact.not_up() {
            if live.impact.state(v) != Vertex::Down {
                continue;
            }
            if let Some(s) = inventory.service_of(v).filter(|s| s.component != NONE) {
                if let Some(n) = down.get_mut(s.component as usize) {
                    *n += 1;
                }
            }
        }
        inventory
            .components
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let by_hand = set.iter().find(|s| *s.component == *c.id);
                context! {
                    id => c.id.to_string(),
                    name => c.name.to_string(),
                    group => c.group.as_deref().map(str::to_owned),
                    services => services[i],
                    down => down[i],
                    computed => crate::status::computed_status(down[i], services[i]),
                    manual => by_hand.map(|s| s.status.clone()),
                    note => by_hand.map(|s| s.note.clone()),
                    set_by => by_hand.map(|s| s.set_by.clone()),
                    set_at => by_hand.map(|s| when(s.set_ms)),
                }
            })
            .collect()
    })?;
    let (moving, move_error) = match &again {
        Again::Move(id, f, e) => (Some((*id, f.clone())), Some(e.clone())),
        _ => (None, None),
    };
    let windows: Vec<Value> = windows
        .into_iter()
        .map(|m| {
            // The move form shows the window's times, or what was typed when it was refused.
            let typed = moving.as_ref().filter(|(id, _)| *id == m.id).map(|(_, f)| f);
            context! {
                id => m.id,
                title => m.title,
                body => m.body,
                components => m.components.join(", "),
                targets => m.targets.join(", "),
                down => m.impact.down_services.len(),
                at_risk => m.impact.at_risk_services_total,
                affected => m.impact.affected_customers.len(),
                at_risk_customers => m.impact.at_risk_customers_total,
                starts => when(m.starts_ms),
                ends => when(m.ends_ms),
                starts_input => typed.map_or_else(|| datetime_local(m.starts_ms), |f| f.starts.clone()),
                ends_input => typed.map_or_else(|| datetime_local(m.ends_ms), |f| f.ends.clone()),
                state => tocsin_app::ops::window_status(&m, now).replace('_', " "),
                cancelled => m.cancelled_ms.is_some(),
                cancelled_at => m.cancelled_ms.map(when),
                upcoming => m.cancelled_ms.is_none() && now < m.ends_ms,
                moved => m.sequence > 0 && m.cancelled_ms.is_none(),
                by => m.created_by,
            }
        })
        .collect();
    let (status_form, status_error, plan_form, plan_error) = match again {
        Again::Nothing | Again::Move(..) => {
            (StatusForm::default(), None, PlanForm::default(), None)
        }
        Again::Status(f, e) => (f, Some(e), PlanForm::default(), None),
        Again::Plan(f, e) => (StatusForm::default(), None, f, Some(e)),
    };
    let code = if status_error.is_some() || plan_error.is_some() || move_error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let hour = 3_600_000;
    let next_hour = now - now.rem_euclid(hour) + hour;
    Ok(render(
        "console/components.html",
        frame(who, "components", flash),
        context! {
            heading => "Components and maintenance",
            components,
            windows,
            status_error,
            plan_error,
            move_error,
            move_id => moving.map(|(id, _)| id),
            status_form => context! {
                component => status_form.component, status => status_form.status, note => status_form.note,
            },
            plan_form => context! {
                title => plan_form.title,
                body => plan_form.body,
                components => plan_form.components,
                targets => plan_form.targets,
                notify => plan_form.notify,
                starts => if plan_form.starts.is_empty() { datetime_local(next_hour) } else { plan_form.starts },
                ends => if plan_form.ends.is_empty() { datetime_local(next_hour + hour) } else { plan_form.ends },
            },
        },
        code,
    ))
}

/// `GET /console/components`.
pub(super) async fn page(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Query(q): Query<Done>,
) -> Page {
    who.require(Action::View)?;
    show(&app, &who, Again::Nothing, q.done.as_deref()).await
}

/// `POST /console/components/status`: sets or clears a component's status by hand.
pub(super) async fn set_status(
    State(app): State<Arc<App>>,
    May(who, _): May<act::ComponentStatus>,
    Form(form): Form<StatusForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    let changed = app
        .set_component_status(&who, &form.component, &form.status, &form.note)
        .await;
    match changed {
        Ok(()) if form.status == "clear" => Ok(done("/console/components", "cleared")),
        Ok(()) => Ok(done("/console/components", "status")),
        Err(Refused::Invalid { message, .. }) => {
            show(&app, &who, Again::Status(form, message), None).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /console/maintenance`: plans a window.
pub(super) async fn plan(
    State(app): State<Arc<App>>,
    May(who, _): May<act::Maintenance>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Page {
    let form = PlanForm::of(pairs);
    who.check_csrf(form.csrf.as_deref())?;
    let notify = super::ids(&form.notify);
    let plan = MaintenancePlan {
        title: form.title.clone(),
        body: form.body.clone(),
        components: form.components.clone(),
        targets: super::ids(&form.targets),
        starts_ms: parse_utc(&form.starts),
        ends_ms: parse_utc(&form.ends),
        notify: (!notify.is_empty()).then_some(notify),
    };
    match app.plan_maintenance(&who, &plan).await {
        Ok(_) => Ok(done("/console/components", "planned")),
        Err(Refused::Invalid { message, .. }) => {
            show(&app, &who, Again::Plan(form, message), None).await
        }
        Err(other) => Err(other.into()),
    }
}

/// The cancel form.
#[derive(Deserialize, Default)]
pub(super) struct CancelForm {
    #[serde(default)]
    csrf: Option<String>,
    /// Why, for the audit trail.
    #[serde(default)]
    reason: String,
}

/// `POST /console/maintenance/{id}/cancel`.
pub(super) async fn cancel(
    State(app): State<Arc<App>>,
    May(who, _): May<act::Maintenance>,
    Path(id): Path<i64>,
    Form(form): Form<CancelForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    match app.cancel_maintenance(&who, id, &form.reason).await {
        Ok(()) => Ok(done("/console/components", "cancelled")),
        Err(Refused::NotFound(e) | Refused::Invalid { message: e, .. }) => {
            show(&app, &who, Again::Plan(PlanForm::default(), e), None).await
        }
        Err(other) => Err(other.into()),
    }
}

/// `POST /console/maintenance/{id}/move`: gives a window new times. The calendar feed keeps
/// the same event with a higher `SEQUENCE`, so subscribed calendars move it too.
pub(super) async fn reschedule(
    State(app): State<Arc<App>>,
    May(who, _): May<act::Maintenance>,
    Path(id): Path<i64>,
    Form(form): Form<MoveForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    let (starts, ends) = (parse_utc(&form.starts), parse_utc(&form.ends));
    match app.move_maintenance(&who, id, starts, ends).await {
        Ok(()) => Ok(done("/console/components", "moved")),
        Err(Refused::NotFound(e) | Refused::Invalid { message: e, .. }) => {
            show(&app, &who, Again::Move(id, form, e), None).await
        }
        Err(other) => Err(other.into()),
    }
}
