//! `/console/incidents`: the incidents, each with its services, and its timeline of public
//! updates and internal notes (each marked as such, with its author); shift leads publish
//! updates, every member of staff may add a note.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Form;
use minijinja::{context, Value};
use serde::Deserialize;
use tocsin_store::{IncidentRow, IncidentStore};

use super::{audit, done, frame, render, unavailable, when, Done, Page};
use crate::auth::{Action, Principal, Staff};
use crate::App;

/// The lifecycle of an incident, as updates set it.
pub(super) const STATUSES: [&str; 4] = ["investigating", "identified", "monitoring", "resolved"];

/// How many incidents the list shows.
const LISTED: i64 = 200;

fn summary(i: &IncidentRow) -> Value {
    context! {
        id => i.id,
        title => i.title,
        status => i.status,
        roots => i.roots.join(", "),
        opened => when(i.opened_ms),
        resolved => i.resolved_ms.map(when),
        services => i.services.len(),
        down => i.services.iter().filter(|s| s.down_since_ms.is_some()).count(),
    }
}

/// `GET /console/incidents`.
pub(super) async fn list(State(app): State<Arc<App>>, Staff(who): Staff) -> Page {
    who.require(Action::View)?;
    let incidents: Vec<Value> = app
        .store
        .incidents(LISTED)
        .await
        .map_err(unavailable)?
        .iter()
        .map(summary)
        .collect();
    Ok(render(
        "console/incidents.html",
        frame(&who, "incidents", None),
        context! { heading => "Incidents", incidents },
        StatusCode::OK,
    ))
}

/// What the forms of an incident's page last held, shown again with an error.
#[derive(Deserialize, Default, Clone)]
pub(super) struct UpdateForm {
    #[serde(default)]
    csrf: Option<String>,
    /// `public` (an update customers see) or `note` (staff only).
    #[serde(default)]
    kind: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    body: String,
}

async fn show(
    app: &App,
    who: &Principal,
    id: i64,
    form: UpdateForm,
    error: Option<String>,
    flash: Option<&str>,
) -> Page {
    let Some(i) = app.store.incident(id).await.map_err(unavailable)? else {
        return Ok(render(
            "console/incident.html",
            frame(who, "incidents", None),
            context! { heading => format!("Incident {id}"), missing => true },
            StatusCode::NOT_FOUND,
        ));
    };
    let updates: Vec<Value> = app
        .store
        .updates(id)
        .await
        .map_err(unavailable)?
        .into_iter()
        .rev()
        .map(|u| {
            context! {
                status => u.status,
                body => u.body,
                public => u.public,
                author => if u.author.is_empty() { "—".to_owned() } else { u.author },
                at => when(u.at_ms),
            }
        })
        .collect();
    let services: Vec<Value> = i
        .services
        .iter()
        .map(|s| {
            context! {
                service => s.service,
                customer => s.customer,
                down_since => s.down_since_ms.map(when),
                first_down => when(s.first_down_ms),
                down_minutes => (s.down_total_ms + 59_999) / 60_000,
                announced => s.announced,
            }
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let current = i.status.clone();
    Ok(render(
        "console/incident.html",
        frame(who, "incidents", flash),
        context! {
            heading => format!("Incident {id}: {}", i.title),
            incident => summary(&i),
            services,
            updates,
            statuses => STATUSES,
            error,
            form => context! {
                kind => form.kind,
                status => if form.status.is_empty() { current } else { form.status },
                body => form.body,
            },
        },
        status,
    ))
}

/// `GET /console/incidents/{id}`.
pub(super) async fn detail(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> Page {
    who.require(Action::View)?;
    show(
        &app,
        &who,
        id,
        UpdateForm::default(),
        None,
        q.done.as_deref(),
    )
    .await
}

/// `POST /console/incidents/{id}/updates`: a public update (shift lead and up) or an internal
/// note (every member of staff).
pub(super) async fn post(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Path(id): Path<i64>,
    Form(form): Form<UpdateForm>,
) -> Page {
    let public = match form.kind.as_str() {
        "public" => true,
        "note" => false,
        _ => {
            who.require(Action::Note)?;
            who.check_csrf(form.csrf.as_deref())?;
            let error = "kind: choose a public update or an internal note".to_owned();
            return show(&app, &who, id, form, Some(error), None).await;
        }
    };
    who.require(if public {
        Action::PublicUpdate
    } else {
        Action::Note
    })?;
    who.check_csrf(form.csrf.as_deref())?;
    let Some(incident) = app.store.incident(id).await.map_err(unavailable)? else {
        return show(&app, &who, id, form, None, None).await;
    };
    let body = form.body.trim();
    let status = if public {
        form.status.as_str()
    } else {
        // A note does not move the lifecycle; it is filed under the current status.
        incident.status.as_str()
    };
    let error = if body.is_empty() {
        Some("body: write the text of the update or note".to_owned())
    } else if !STATUSES.contains(&status) {
        Some(format!(
            "status: `{status}` is not one of {}",
            STATUSES.join(", ")
        ))
    } else {
        None
    };
    if error.is_some() {
        return show(&app, &who, id, form.clone(), error, None).await;
    }
    app.store
        .add_update(id, status, body, public, &who.login, app.clock.now_ms())
        .await
        .map_err(unavailable)?;
    let (action, code) = if public {
        ("incident.update", "update")
    } else {
        ("incident.note", "note")
    };
    audit(&app, &who, action, &format!("incident:{id}"), body).await;
    Ok(done(&format!("/console/incidents/{id}"), code))
}
