//! `/console/envelopes`: the sealed envelopes (`shared/spec/desk.md`, seed 001) — every
//! envelope's name, who sealed it and every opening with its reason, never a secret; admins
//! seal new ones and reseal old ones, and any member of staff opens one with a reason, which
//! mails every admin at once. The secret is shown on the opening's answer page only.
//! Each form calls the operation the JSON API calls (`System::seal_envelope`,
//! `reseal_envelope`, `open_envelope`); the role is checked before the body is read.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Form;
use minijinja::{context, Value};
use serde::Deserialize;
use tocsin_app::Refused;
use zeroize::Zeroizing;

use super::{done, frame, render, Done, Page};
use crate::auth::{act, May, Principal, Staff};
use crate::App;

/// A refused form of the page: which one (`seal`, or `open-{id}`/`reseal-{id}`), its status
/// and what the operation said.
struct Trouble {
    form: String,
    status: StatusCode,
    message: String,
}

/// The listing with the forms the role may use.
async fn show(
    app: &App,
    who: &Principal,
    trouble: Option<Trouble>,
    name: &str,
    flash: Option<&str>,
) -> Page {
    let envelopes = app.envelopes(who).await?;
    let (status, error_form, error) = match trouble {
        Some(t) => (t.status, Some(t.form), Some(t.message)),
        None => (StatusCode::OK, None, None),
    };
    Ok(render(
        "console/envelopes.html",
        frame(who, "envelopes", flash),
        context! {
            heading => "Sealed envelopes",
            envelopes => Value::from_serialize(&envelopes),
            error_form,
            form_error => error,
            name,
        },
        status,
    ))
}

/// `GET /console/envelopes` (staff).
pub(super) async fn page(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Query(q): Query<Done>,
) -> Page {
    show(&app, &who, None, "", q.done.as_deref()).await
}

/// The page again with `refused` beside `form`, or the refusal itself.
async fn refused(app: &App, who: &Principal, refused: Refused, form: String, name: &str) -> Page {
    let status = match &refused {
        Refused::Invalid { .. } => StatusCode::BAD_REQUEST,
        Refused::Conflict(_) => StatusCode::CONFLICT,
        _ => return Err(refused.into()),
    };
    let trouble = Trouble {
        form,
        status,
        message: refused.to_string(),
    };
    show(app, who, Some(trouble), name, None).await
}

/// The seal form: a name and the secret.
#[derive(Deserialize, Default)]
pub(super) struct SealForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    secret: Zeroizing<String>,
}

/// `POST /console/envelopes` (admins): seals a new envelope.
pub(super) async fn seal(
    State(app): State<Arc<App>>,
    May(who, _): May<act::SealEnvelope>,
    Form(form): Form<SealForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    match app.seal_envelope(&who, &form.name, &form.secret).await {
        Ok(_) => Ok(done("/console/envelopes", "envelope.sealed")),
        // The name is typed again beside the error; the secret never comes back.
        Err(r) => refused(&app, &who, r, "seal".to_owned(), &form.name).await,
    }
}

/// The reseal form: the new secret.
#[derive(Deserialize, Default)]
pub(super) struct ResealForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    secret: Zeroizing<String>,
}

/// `POST /console/envelopes/{id}/reseal` (admins): a new secret in the envelope.
pub(super) async fn reseal(
    State(app): State<Arc<App>>,
    May(who, _): May<act::SealEnvelope>,
    Path(id): Path<i64>,
    Form(form): Form<ResealForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    match app.reseal_envelope(&who, id, &form.secret).await {
        Ok(_) => Ok(done("/console/envelopes", "envelope.resealed")),
        Err(r) => refused(&app, &who, r, format!("reseal-{id}"), "").await,
    }
}

/// The open form: why.
#[derive(Deserialize, Default)]
pub(super) struct OpenForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    reason: String,
}

/// `POST /console/envelopes/{id}/open` (any staff): the secret, on this answer only; every
/// admin is mailed who opened it and why.
pub(super) async fn open(
    State(app): State<Arc<App>>,
    May(who, _): May<act::OpenEnvelope>,
    Path(id): Path<i64>,
    Form(form): Form<OpenForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    let secret = match app.open_envelope(&who, id, &form.reason).await {
        Ok(s) => s,
        Err(r) => return refused(&app, &who, r, format!("open-{id}"), "").await,
    };
    let name = app
        .envelopes(&who)
        .await?
        .into_iter()
        .find(|e| e.id == id)
        .map_or_else(|| format!("envelope {id}"), |e| e.name);
    Ok(render(
        "console/secret.html",
        frame(&who, "envelopes", None),
        context! {
            heading => format!("Envelope opened: {name}"),
            back => "/console/envelopes",
            back_label => "Back to the envelopes",
            warning => "Every admin has been mailed that you opened this envelope, and why. \
                        The secret is shown on this page only.",
            fields => vec![("Secret", secret.as_str(), true)],
        },
        StatusCode::OK,
    ))
}
