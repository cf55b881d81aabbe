//! `/console/shifts`: who is on duty now and the shifts of the next fortnight (staff), and a
//! form to plan a shift (admins): the console face of the operations `POST /api/v1/shifts`
//! and `GET /api/v1/shifts/now` call too.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Form;
use minijinja::context;
use serde::Deserialize;
use tocsin_app::ops::NewShift;
use tocsin_app::Refused;
use tocsin_model::time::parse_utc;

use super::{done, frame, render, when, Done, Page};
use crate::auth::{act, May, Principal, Staff};
use crate::App;

/// How far ahead the list of shifts looks.
pub(crate) const AHEAD_MS: i64 = 14 * 86_400_000;

/// The shift form as submitted.
#[derive(Deserialize, Default, Clone)]
pub(super) struct ShiftForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    login: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    lead: Option<String>,
}

async fn show(
    app: &App,
    who: &Principal,
    form: ShiftForm,
    error: Option<(StatusCode, String)>,
    flash: Option<&str>,
) -> Page {
    let now = app.clock.now_ms();
    let duty = app.on_duty(who, now).await?;
    let shifts = app.shifts(who, now, now + AHEAD_MS).await?;
    let rows: Vec<_> = shifts
        .iter()
        .map(|s| {
            context! {
                login => s.login,
                starts => when(s.starts_ms),
                ends => when(s.ends_ms),
                lead => s.lead,
                created_by => s.created_by,
            }
        })
        .collect();
    let (status, error) = match error {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::OK, None),
    };
    Ok(render(
        "console/shifts.html",
        frame(who, "shifts", flash),
        context! {
            heading => "Shifts",
            error,
            lead => duty.lead,
            on_duty => duty.on_duty,
            shifts => rows,
            form => context! {
                login => form.login,
                start => form.start,
                end => form.end,
                lead => form.lead.is_some(),
            },
        },
        status,
    ))
}

/// `GET /console/shifts`.
pub(super) async fn page(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Query(q): Query<Done>,
) -> Page {
    show(&app, &who, ShiftForm::default(), None, q.done.as_deref()).await
}

/// `POST /console/shifts` (admins).
pub(super) async fn add(
    State(app): State<Arc<App>>,
    May(who, _): May<act::ManageShifts>,
    Form(form): Form<ShiftForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    let shift = NewShift {
        login: form.login.clone(),
        starts_ms: parse_utc(&form.start),
        ends_ms: parse_utc(&form.end),
        lead: form.lead.is_some(),
    };
    match app.add_shift(&who, shift).await {
        Ok(_) => Ok(done("/console/shifts", "shift")),
        Err(Refused::Invalid { message, .. }) => {
            show(
                &app,
                &who,
                form,
                Some((StatusCode::BAD_REQUEST, message)),
                None,
            )
            .await
        }
        Err(Refused::Conflict(message)) => {
            show(
                &app,
                &who,
                form,
                Some((StatusCode::CONFLICT, message)),
                None,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}
