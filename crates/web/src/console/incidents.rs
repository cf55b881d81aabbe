//! `/console/incidents`: the incidents, each with its services, and its timeline of public
//! updates and internal notes (each marked as such, with its author); shift leads publish
//! updates, every member of staff may add a note.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Form;
use minijinja::{context, Value};
use serde::Deserialize;
use tocsin_app::ops::{NewUpdate, STATUSES};
use tocsin_app::Refused;
use tocsin_store::{IncidentRow, IncidentStore};

use super::{done, frame, render, unavailable, when, Done, Page};
use crate::auth::{Action, Principal, Staff};
use crate::App;

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
    who.check_csrf(form.csrf.as_deref())?;
    let update = NewUpdate {
        status: public.then(|| form.status.clone()),
        body: form.body.clone(),
        public,
    };
    match app.post_update(&who, id, &update).await {
        Ok(_) => Ok(done(
            &format!("/console/incidents/{id}"),
            if public { "update" } else { "note" },
        )),
        Err(Refused::Invalid { message, .. }) => {
            show(&app, &who, id, form, Some(message), None).await
        }
        Err(Refused::NotFound(_)) => show(&app, &who, id, form, None, None).await,
        Err(other) => Err(other.into()),
    }
}
