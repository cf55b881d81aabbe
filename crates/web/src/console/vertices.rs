//! `/console/vertices`: marking a vertex down (or degraded) by hand and lifting the mark, with
//! a required reason; and `/console/whatif`: who a failure would hit, computed on the side.
//!
//! A mark is an alert like any other, from the source `staff` with the fingerprint
//! `staff:VERTEX`: it goes through the ingestion pipeline, so it is durable before the page
//! answers, replayed after a restart, and lifted exactly by resolving that fingerprint —
//! monitoring's own alerts on the vertex are untouched. Every mark is audited with its reason.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Form;
use minijinja::{context, Value};
use serde::Deserialize;
use tocsin_app::ops::Mark;
use tocsin_app::Refused;
use tocsin_model::State as Vertex;
#[cfg(test)]
use tocsin_model::{Inventory, VertexId};

use super::{done, frame, render, when, Done, Page};
use crate::auth::{act, Action, May, Principal, Staff};
use crate::App;

#[cfg(test)]
pub(crate) use tocsin_app::ops::parse_scenario;

/// The mark form as submitted.
#[derive(Deserialize, Default, Clone)]
pub(super) struct MarkForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    vertex: String,
    /// `down`, `degraded` or `up` (lift the mark).
    #[serde(default)]
    state: String,
    #[serde(default)]
    reason: String,
}

async fn show(
    app: &App,
    who: &Principal,
    form: MarkForm,
    error: Option<String>,
    flash: Option<&str>,
) -> Page {
    let marks: Vec<Value> = app
        .marks(who)
        .await?
        .into_iter()
        .map(|m| {
            context! {
                vertex => m.vertex,
                state => m.state,
                since => when(m.since_ms),
                by => m.by,
                reason => m.reason,
            }
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(render(
        "console/vertices.html",
        frame(who, "vertices", flash),
        context! {
            heading => "Manual marks",
            marks,
            error,
            form => context! { vertex => form.vertex, state => form.state, reason => form.reason },
        },
        status,
    ))
}

/// `GET /console/vertices`.
pub(super) async fn page(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Query(q): Query<Done>,
) -> Page {
    who.require(Action::View)?;
    show(&app, &who, MarkForm::default(), None, q.done.as_deref()).await
}

/// `POST /console/vertices`: engineers and up.
pub(super) async fn mark(
    State(app): State<Arc<App>>,
    May(who, _): May<act::MarkVertex>,
    Form(form): Form<MarkForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    let mark = match Mark::state_of(&form.state) {
        Ok(state) => Mark {
            vertex: form.vertex.clone(),
            state,
            reason: form.reason.clone(),
        },
        Err(refused) => return again(&app, &who, form, refused).await,
    };
    if let Err(refused) = app.mark(&who, &mark).await {
        return again(&app, &who, form, refused).await;
    }
    Ok(done(
        "/console/vertices",
        mark.state.map_or("up", Vertex::as_str),
    ))
}

/// The form again with the refusal's message when it names a field; else the refusal.
async fn again(app: &App, who: &Principal, form: MarkForm, refused: Refused) -> Page {
    match refused {
        Refused::Invalid { message, .. } => show(app, who, form, Some(message), None).await,
        other => Err(other.into()),
    }
}

/// The what-if form: vertex ids to take down, `~ID` for degraded.
#[derive(Deserialize, Default)]
pub(super) struct WhatIfQuery {
    #[serde(default)]
    down: Option<String>,
}

/// `GET /console/whatif?down=sw-a`: the affected and at-risk customers and the services a
/// scenario would change, on top of the live state, which is only read.
pub(super) async fn what_if(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Query(q): Query<WhatIfQuery>,
) -> Page {
    who.require(Action::WhatIf)?;
    let text = q.down.unwrap_or_default();
    let mut ctx = context! { heading => "What if…?", down => text };
    let mut status = StatusCode::OK;
    if !text.trim().is_empty() {
        match app.what_if(&who, &text) {
            Err(Refused::Invalid { message: error, .. }) => {
                status = StatusCode::BAD_REQUEST;
                ctx = context! { error, ..ctx };
            }
            Err(other) => return Err(other.into()),
            Ok(result) => {
                ctx = context! { result => Value::from_serialize(&result), ..ctx };
            }
        }
    }
    Ok(render(
        "console/whatif.html",
        frame(&who, "whatif", None),
        ctx,
        status,
    ))
}

/// What `scenario` would do on top of `impact`, for the page.
#[cfg(test)]
pub(crate) fn outcome(
    inventory: &Inventory,
    impact: &tocsin_model::Impact,
    scenario: &[(VertexId, Vertex)],
) -> Value {
    Value::from_serialize(tocsin_app::ops::what_if_of(inventory, impact, scenario))
}
