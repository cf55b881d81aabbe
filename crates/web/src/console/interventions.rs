//! The forms of an OS intervention on `/console/tickets/{id}` (`shared/spec/desk.md`): the
//! assigned engineer reveals the customer's credentials (`POST …/reveal`, shown once on the
//! answer page and never in a URL), logs each access and action (`…/work`), gives the
//! customer new credentials to read once in the client area (`…/new-credentials`) and turns
//! a hardware fault into a hardware ticket (`…/hardware`, whose page is the answer). Each
//! calls the operation the JSON API calls; the role is checked before the body is read (the
//! reveal's by the operation, which records every attempt), and a refusal is shown on the
//! ticket's page beside its form. Secrets are held in zeroizing
//! strings and never kept to show a refused form again.

use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Form;
use minijinja::context;
use serde::Deserialize;
use tocsin_app::ops::Credentials;
use tocsin_app::Refused;
use zeroize::Zeroizing;

use super::ticket::{show, Held, Trouble};
use super::{done, frame, render, Page};
use crate::auth::{act, Action, May, Principal, Staff};
use crate::App;

/// A form with nothing but its token.
#[derive(Deserialize, Default)]
pub(super) struct TokenForm {
    #[serde(default)]
    csrf: Option<String>,
}

/// The status of a refusal the ticket's page shows beside a form; others are answered as
/// refusals of their own (`404`, `503`).
fn shown(refused: &Refused) -> Option<StatusCode> {
    match refused {
        Refused::Invalid { .. } => Some(StatusCode::BAD_REQUEST),
        Refused::Conflict(_) => Some(StatusCode::CONFLICT),
        Refused::Forbidden(_) => Some(StatusCode::FORBIDDEN),
        Refused::Gone(_) => Some(StatusCode::GONE),
        _ => None,
    }
}

/// The ticket's page with `refused` beside `form`, or the refusal itself.
async fn refused_on_page(
    app: &App,
    who: &Principal,
    id: i64,
    refused: Refused,
    form: &'static str,
    held: Held,
) -> Page {
    match shown(&refused) {
        Some(status) => {
            let trouble = Trouble {
                form,
                status,
                message: refused.to_string(),
            };
            show(app, who, id, held, Some(trouble), None).await
        }
        None => Err(refused.into()),
    }
}

/// After a form: the page of the ticket answered (the hardware ticket for that form) with its
/// message, or this ticket's page with the refusal beside `form`.
async fn after(
    app: &App,
    who: &Principal,
    id: i64,
    result: Result<tocsin_app::ops::TicketView, Refused>,
    code: &str,
    form: &'static str,
    held: Held,
) -> Page {
    match result {
        Ok(t) => Ok(done(&format!("/console/tickets/{}", t.id), code)),
        Err(refused) => refused_on_page(app, who, id, refused, form, held).await,
    }
}

/// `POST /console/tickets/{id}/reveal` (engineers; the operation lets only the assigned one
/// through while the authorisation holds): the credentials, on this answer only. Every
/// attempt, allowed or refused, is on the customer's timeline and in the audit trail, so this
/// route takes any member of staff and leaves the refusal of a role that may not intervene
/// (`403`, whatever the body) to the operation, which records it; the API's route does the
/// same. The token is still checked before the operation runs.
pub(super) async fn reveal(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Path(id): Path<i64>,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Page {
    let csrf = form.ok().and_then(|Form(f)| f.csrf);
    who.check_csrf(csrf.as_deref())?;
    match app.reveal_credentials(&who, id).await {
        Ok(c) => Ok(render(
            "console/secret.html",
            frame(&who, "tickets", None),
            context! {
                heading => format!("T-{id}: credentials"),
                back => format!("/console/tickets/{id}"),
                back_label => format!("Back to T-{id}"),
                warning => "This reveal is recorded on the customer's timeline and in the audit \
                            trail. The credentials are shown on this page only: do not copy them \
                            anywhere else, and reveal again when you need them again.",
                fields => credential_fields(&c),
            },
            StatusCode::OK,
        )),
        // A role without the reveal form is answered with the refusal alone.
        Err(refused) if !who.role.may(Action::Intervene) => Err(refused.into()),
        Err(refused) => refused_on_page(&app, &who, id, refused, "reveal", Held::default()).await,
    }
}

/// `(label, value, multi-line)` of each part of `c`, for the answer page.
fn credential_fields(c: &Credentials) -> Vec<(&'static str, String, bool)> {
    let mut fields = vec![("User name", c.username.to_string(), false)];
    if let Some(p) = &c.password {
        fields.push(("Password", p.to_string(), false));
    }
    if let Some(k) = &c.ssh_key {
        fields.push(("SSH private key", k.to_string(), true));
    }
    fields
}

/// The work-log form.
#[derive(Deserialize, Default)]
pub(super) struct WorkForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    access: String,
    #[serde(default)]
    note: String,
    /// Empty leaves the intervention's complexity as it is.
    #[serde(default)]
    complexity: String,
}

/// `POST /console/tickets/{id}/work` (the assigned engineer): one access and what was done.
pub(super) async fn work(
    State(app): State<Arc<App>>,
    May(who, _): May<act::Intervene>,
    Path(id): Path<i64>,
    Form(form): Form<WorkForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    let complexity = Some(form.complexity.trim()).filter(|c| !c.is_empty());
    let result = app
        .record_work(&who, id, &form.access, &form.note, complexity)
        .await;
    let held = Held::intervention(context! {
        access => form.access,
        note => form.note,
        complexity => form.complexity,
    });
    after(&app, &who, id, result, "ticket.work", "work", held).await
}

/// The new-credentials form: a user name with a password or an SSH key, as `kind` says.
#[derive(Deserialize, Default)]
pub(super) struct CredentialsForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    username: Zeroizing<String>,
    /// `password` or `ssh_key`.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    password: Zeroizing<String>,
    #[serde(default)]
    ssh_key: Zeroizing<String>,
}

/// `POST /console/tickets/{id}/new-credentials` (the assigned engineer): the credentials set
/// during the work, sealed until the customer reads them once in the client area.
pub(super) async fn give_credentials(
    State(app): State<Arc<App>>,
    May(who, _): May<act::Intervene>,
    Path(id): Path<i64>,
    Form(form): Form<CredentialsForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    let kind = form.kind.clone();
    let credentials =
        Credentials::from_form(&form.kind, form.username, form.password, form.ssh_key);
    let result = app.give_new_credentials(&who, id, credentials).await;
    let held = Held::intervention(context! { kind });
    after(
        &app,
        &who,
        id,
        result,
        "ticket.credentials",
        "new_credentials",
        held,
    )
    .await
}

/// The hardware-fault form.
#[derive(Deserialize, Default)]
pub(super) struct HardwareForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    note: String,
}

/// `POST /console/tickets/{id}/hardware` (engineers): opens a hardware ticket for the fault,
/// linked to this one; the answer is the new ticket's page.
pub(super) async fn hardware(
    State(app): State<Arc<App>>,
    May(who, _): May<act::Intervene>,
    Path(id): Path<i64>,
    Form(form): Form<HardwareForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    let result = app.hardware_ticket(&who, id, &form.note).await;
    let held = Held::intervention(context! { hardware_note => form.note });
    after(&app, &who, id, result, "ticket.hardware", "hardware", held).await
}
