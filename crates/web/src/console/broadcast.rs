//! `/console/broadcast`: mail every customer about a global problem (shift leads and up), and
//! reload the inventory (admins): the console faces of the operations the JSON API's
//! `POST /api/v1/broadcasts` and `POST /api/v1/inventory/reload` call too.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Form;
use minijinja::context;
use serde::Deserialize;
use tocsin_app::ops::Broadcast;
use tocsin_app::Refused;

use super::{done, frame, render, Done, Page};
use crate::auth::{act, Action, May, Principal, Staff};
use crate::App;

/// The broadcast form as submitted.
#[derive(Deserialize, Default, Clone)]
pub(super) struct BroadcastForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    /// An incident number, or empty.
    #[serde(default)]
    incident: String,
}

fn show(who: &Principal, form: BroadcastForm, error: Option<String>, flash: Option<&str>) -> Page {
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(render(
        "console/broadcast.html",
        frame(who, "broadcast", flash),
        context! {
            heading => "Broadcast",
            error,
            form => context! { subject => form.subject, body => form.body, incident => form.incident },
        },
        status,
    ))
}

/// `GET /console/broadcast`.
pub(super) async fn page(Staff(who): Staff, Query(q): Query<Done>) -> Page {
    who.require(Action::View)?;
    show(&who, BroadcastForm::default(), None, q.done.as_deref())
}

/// `POST /console/broadcast`.
pub(super) async fn send(
    State(app): State<Arc<App>>,
    May(who, _): May<act::Broadcast>,
    Form(form): Form<BroadcastForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    let incident = match form.incident.trim() {
        "" => None,
        n => match n.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                let e = format!("incident: `{n}` is not an incident number");
                return show(&who, form, Some(e), None);
            }
        },
    };
    let broadcast = Broadcast {
        subject: form.subject.clone(),
        body: form.body.clone(),
        incident,
    };
    match app.broadcast(&who, broadcast).await {
        Ok(_) => Ok(done("/console/broadcast", "broadcast")),
        Err(Refused::Invalid { message, .. } | Refused::NotFound(message)) => {
            show(&who, form, Some(message), None)
        }
        Err(other) => Err(other.into()),
    }
}

/// The reload form: only its CSRF token.
#[derive(Deserialize, Default)]
pub(super) struct ReloadForm {
    #[serde(default)]
    csrf: Option<String>,
}

/// `POST /console/inventory/reload`.
pub(super) async fn reload(
    State(app): State<Arc<App>>,
    May(who, _): May<act::Reload>,
    Form(form): Form<ReloadForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    match app.reload(&who).await {
        Ok(_) => Ok(done("/console/broadcast", "reloaded")),
        Err(Refused::Invalid { message, .. }) => show(
            &who,
            BroadcastForm::default(),
            Some(format!(
                "inventory: not reloaded, the current one stays:\n{message}"
            )),
            None,
        ),
        Err(other) => Err(other.into()),
    }
}
