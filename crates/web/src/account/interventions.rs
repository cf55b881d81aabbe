//! OS interventions in the client area (`shared/spec/desk.md`, seed 003): the customer asks
//! for one and authorises it on a form (`GET`/`POST /account/tickets/intervention`: one of
//! their own servers, the work, the scope, how long it holds, the administrator account and
//! the two confirmations), follows it on the ticket's page (`intervention_panel`),
//! revokes it at once (`POST /account/tickets/{id}/revoke`) and reads the new credentials the
//! engineer set, once (`POST /account/tickets/{id}/new-credentials`, never a `GET`: reading
//! them is a change, and its answer is the only place they are shown). Every change calls the
//! operation the JSON API calls (`System::open_intervention`, `revoke_authorisation`,
//! `read_new_credentials`). Secrets arrive in zeroizing strings and a refused form never
//! shows them again.

use std::sync::Arc;

use axum::extract::{Path, State as Ext};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};
use tocsin_app::desk::PRIORITIES;
use tocsin_app::ops::{Authorisation, Credentials, NewIntervention, NewTicket};
use tocsin_app::Refused;
use tocsin_model::inventory::Language;
use tocsin_model::time::{parse_utc, rfc3339};
use zeroize::Zeroizing;

use super::i18n::texts;
use super::intervention_texts::{intervention_texts, InterventionTexts};
use super::ticket_texts::TicketTexts;
use super::tickets::{after, form_error, language_and_id, own_services, page_language, shown};
use super::{frame, not_found, render, Customer};
use crate::error::Refusal;
use crate::App;

/// The quick choices of how long an authorisation holds, in hours.
const QUICK_HOURS: [(&str, i64); 3] = [("4h", 4), ("8h", 8), ("24h", 24)];
const HOUR_MS: i64 = 3_600_000;

/// The request form as sent.
#[derive(Deserialize, Default)]
pub(crate) struct RequestForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    server: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    username: Zeroizing<String>,
    /// `password` or `ssh_key`.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    password: Zeroizing<String>,
    #[serde(default)]
    ssh_key: Zeroizing<String>,
    /// `4h`, `8h`, `24h`, or `until` for [`RequestForm::expires`].
    #[serde(default)]
    valid: String,
    /// A `datetime-local` value, read as UTC.
    #[serde(default)]
    expires: String,
    #[serde(default)]
    backups_confirmed: Option<String>,
    #[serde(default)]
    interruption_accepted: Option<String>,
}

/// What the form shows again after a refusal: everything but the credentials.
#[derive(Serialize, Default)]
struct Draft {
    server: String,
    subject: String,
    action: String,
    scope: String,
    body: String,
    priority: String,
    kind: String,
    valid: String,
    expires: String,
    backups_confirmed: bool,
    interruption_accepted: bool,
}

/// The authorisation's end as RFC 3339: a quick choice counted from `now_ms`, else the typed
/// `datetime-local` value read as UTC. A value that is no time is passed on as typed, for the
/// operation to refuse naming the field.
fn expiry(valid: &str, typed: &str, now_ms: i64) -> String {
    let quick = QUICK_HOURS
        .iter()
        .find(|(v, _)| *v == valid)
        .map(|(_, h)| now_ms + h * HOUR_MS);
    match quick.or_else(|| parse_utc(typed)) {
        Some(ms) => rfc3339(ms),
        None => typed.trim().to_owned(),
    }
}

/// A refusal of the request form: the field named in the customer's language.
fn request_error(t: &TicketTexts, it: &InterventionTexts, refused: &Refused) -> String {
    if let Refused::Invalid { field, message } = refused {
        let name = match *field {
            "server" => it.server,
            "action" => it.action,
            "authorisation.scope" => it.scope,
            "authorisation.expires" => it.expires,
            "authorisation" => it.confirmations,
            "credentials" => it.access,
            _ => return form_error(t, refused),
        };
        return format!("{} ({message})", t.check_field.replace("{}", name));
    }
    form_error(t, refused)
}

/// The request form, with what was typed and the error of a refusal.
fn request_page(
    app: &App,
    who: &Customer,
    l: Language,
    draft: &Draft,
    error: Option<(StatusCode, String)>,
) -> Response {
    let t = texts(l).desk;
    let it = intervention_texts(l);
    let (status, error) = match error {
        Some((s, e)) => (s, Some(e)),
        None => (StatusCode::OK, None),
    };
    let priorities: Vec<(&str, &str)> = PRIORITIES
        .iter()
        .map(|p| {
            let label = match *p {
                "low" => t.low,
                "normal" => t.normal,
                "high" => t.high,
                "urgent" => t.urgent,
                other => other,
            };
            (*p, label)
        })
        .collect();
    let quick: Vec<(&str, &str)> = QUICK_HOURS
        .iter()
        .zip([it.hours_4, it.hours_8, it.hours_24])
        .map(|((v, _), label)| (*v, label))
        .collect();
    render(
        "account/intervention_new.html",
        context! {
            servers => own_services(app, &who.customer),
            priorities,
            quick,
            draft => Value::from_serialize(draft),
            form_error => error,
            it,
            ..frame(l, &who.principal)
        },
        status,
    )
}

/// `GET /account/tickets/intervention`: the request form, valid for 8 hours unless changed.
pub(crate) async fn form(Ext(app): Ext<Arc<App>>, who: Customer, headers: HeaderMap) -> Response {
    let l = page_language(&app, &who.customer, &headers).await;
    let now = app.clock.now_ms();
    let draft = Draft {
        priority: "high".to_owned(),
        kind: "password".to_owned(),
        valid: "8h".to_owned(),
        expires: tocsin_model::time::datetime_local(now + 8 * HOUR_MS),
        ..Draft::default()
    };
    request_page(&app, &who, l, &draft, None)
}

/// `POST /account/tickets/intervention`: opens the intervention with its authorisation.
pub(crate) async fn submit(
    Ext(app): Ext<Arc<App>>,
    who: Customer,
    headers: HeaderMap,
    Form(form): Form<RequestForm>,
) -> Response {
    if let Err(r) = who.principal.check_csrf(form.csrf.as_deref()) {
        return r.into_response();
    }
    let l = page_language(&app, &who.customer, &headers).await;
    let draft = Draft {
        server: form.server,
        subject: form.subject,
        action: form.action,
        scope: form.scope,
        body: form.body,
        priority: form.priority,
        kind: form.kind,
        valid: form.valid,
        expires: form.expires,
        backups_confirmed: form.backups_confirmed.is_some(),
        interruption_accepted: form.interruption_accepted.is_some(),
    };
    let credentials =
        Credentials::from_form(&draft.kind, form.username, form.password, form.ssh_key);
    let new = NewIntervention {
        ticket: NewTicket {
            customer: None,
            subject: draft.subject.clone(),
            body: draft.body.clone(),
            department: "technical".to_owned(),
            priority: draft.priority.clone(),
            services: Vec::new(),
            attachments: Vec::new(),
        },
        server: draft.server.clone(),
        action: draft.action.clone(),
        credentials: Some(credentials),
        authorisation: Some(Authorisation {
            scope: draft.scope.clone(),
            expires: expiry(&draft.valid, &draft.expires, app.clock.now_ms()),
            backups_confirmed: draft.backups_confirmed,
            interruption_accepted: draft.interruption_accepted,
        }),
    };
    match app.open_intervention(&who.principal, new).await {
        Ok(v) => {
            Redirect::to(&format!("/account/tickets/{}?done=intervention", v.id)).into_response()
        }
        Err(refused) => match shown(&refused) {
            Some(status) => {
                let message = request_error(texts(l).desk, intervention_texts(l), &refused);
                request_page(&app, &who, l, &draft, Some((status, message)))
            }
            None => Refusal::from(refused).into_response(),
        },
    }
}

/// A form with nothing but its token.
#[derive(Deserialize, Default)]
pub(crate) struct TokenForm {
    #[serde(default)]
    csrf: Option<String>,
}

/// `POST /account/tickets/{id}/revoke`: the authorisation ends at once and the credentials
/// are destroyed.
pub(crate) async fn revoke(
    Ext(app): Ext<Arc<App>>,
    who: Customer,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<TokenForm>,
) -> Response {
    if let Err(r) = who.principal.check_csrf(form.csrf.as_deref()) {
        return r.into_response();
    }
    let (l, id) = match language_and_id(&app, &who, &headers, &id).await {
        Ok(found) => found,
        Err(missing) => return missing,
    };
    let result = app.revoke_authorisation(&who.principal, id).await;
    after(&app, &who, l, id, result, "revoke", "revoked").await
}

/// `POST /account/tickets/{id}/new-credentials`: the new credentials, on this answer only;
/// once read, the page says they are gone (`410`).
pub(crate) async fn read_new(
    Ext(app): Ext<Arc<App>>,
    who: Customer,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<TokenForm>,
) -> Response {
    if let Err(r) = who.principal.check_csrf(form.csrf.as_deref()) {
        return r.into_response();
    }
    let (l, id) = match language_and_id(&app, &who, &headers, &id).await {
        Ok(found) => found,
        Err(missing) => return missing,
    };
    let it = intervention_texts(l);
    let (status, fields) = match app.read_new_credentials(&who.principal, id).await {
        Ok(c) => {
            let mut fields = vec![(it.username, c.username.to_string(), false)];
            if let Some(p) = &c.password {
                fields.push((it.password, p.to_string(), false));
            }
            if let Some(k) = &c.ssh_key {
                fields.push((it.ssh_key, k.to_string(), true));
            }
            (StatusCode::OK, Some(fields))
        }
        Err(Refused::Gone(_)) => (StatusCode::GONE, None),
        Err(Refused::NotFound(_)) => return not_found(l, &who.principal),
        Err(other) => return Refusal::from(other).into_response(),
    };
    render(
        "account/new_credentials.html",
        context! { id, fields, it, ..frame(l, &who.principal) },
        status,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-11-22T10:00:00Z.
    const NOW: i64 = 1_795_341_600_000;

    #[test]
    fn quick_choices_count_from_now_and_a_typed_time_is_utc() {
        assert_eq!(expiry("4h", "", NOW), "2026-11-22T14:00:00Z");
        assert_eq!(
            expiry("24h", "2030-01-01T00:00", NOW),
            "2026-11-23T10:00:00Z"
        );
        assert_eq!(
            expiry("until", "2026-11-22T18:30", NOW),
            "2026-11-22T18:30:00Z"
        );
        // Not a time: passed on as typed, for the operation to refuse naming the field.
        assert_eq!(expiry("until", " tomorrow ", NOW), "tomorrow");
        assert_eq!(expiry("", "", NOW), "");
    }

    #[test]
    fn the_form_gives_the_secret_its_kind_names_only() {
        let z = |s: &str| Zeroizing::new(s.to_owned());
        let c = Credentials::from_form("ssh_key", z("root"), z("typed first"), z("KEY"));
        assert_eq!(c.password, None);
        assert_eq!(c.ssh_key.as_deref().map(String::as_str), Some("KEY"));
        let c = Credentials::from_form("password", z("root"), z("pw"), z("left over"));
        assert_eq!(c.password.as_deref().map(String::as_str), Some("pw"));
        assert_eq!(c.ssh_key, None);
        assert_eq!(c.username.as_str(), "root");
    }
}
