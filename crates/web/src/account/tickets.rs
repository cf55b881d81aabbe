//! The customer's support tickets in the client area: `GET /account/tickets` (their own,
//! newest first), the new-ticket form (`GET /account/tickets/new`, `POST /account/tickets`,
//! multipart, with files and the help centre's suggestions while the subject is typed), and
//! one ticket (`GET /account/tickets/{id}`: the conversation without internal notes, a reply
//! form, closing, and once resolved or closed a rating). Every change calls the operation the
//! JSON API calls (`System::open_ticket`, `reply_ticket`, `set_ticket_status`,
//! `rate_ticket`), which checks the role and that the ticket is the customer's own; another
//! customer's ticket is the area's not-found page, like one that does not exist.

use std::sync::Arc;

use axum::extract::{Multipart, Path, State as Ext};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::{context, Value};
use serde::{Deserialize, Serialize};
use tocsin_app::desk::{DEPARTMENTS, PRIORITIES};
use tocsin_app::ops::{NewTicket, TicketView, Upload};
use tocsin_app::Refused;
use tocsin_model::inventory::Language;
use tocsin_store::AccountStore;

use super::i18n::texts;
use super::intervention_panel as interventions;
use super::intervention_texts::intervention_texts;
use super::ticket_texts::TicketTexts;
use super::view;
use super::{frame, language, not_found, render, Customer};
use crate::auth::Principal;
use crate::error::Refusal;
use crate::App;

/// The largest new-ticket form accepted: the attachments' 25 MiB with room for the text and
/// the multipart framing.
pub(super) const FORM_LIMIT: usize = 26 << 20;

/// The language of the customer's pages (their preference, else the browser's).
pub(super) async fn page_language(app: &App, customer: &str, headers: &HeaderMap) -> Language {
    let preferences = app.store.preferences(customer).await.ok().flatten();
    language(preferences.as_ref(), headers)
}

/// The label of a department, priority or status in the customer's language.
fn label(t: &TicketTexts, value: &str) -> String {
    match value {
        "technical" => t.technical,
        "billing" => t.billing,
        "sales" => t.sales,
        "abuse" => t.abuse,
        "low" => t.low,
        "normal" => t.normal,
        "high" => t.high,
        "urgent" => t.urgent,
        "open" => t.open,
        "waiting_customer" => t.waiting_customer,
        "waiting_third_party" => t.waiting_third_party,
        "resolved" => t.resolved,
        "closed" => t.closed,
        other => other,
    }
    .to_owned()
}

/// `(value, label)` of each of `values`.
fn choices(t: &TicketTexts, values: &[&str]) -> Vec<(String, String)> {
    values
        .iter()
        .map(|v| ((*v).to_owned(), label(t, v)))
        .collect()
}

/// A refusal of a form as the customer reads it: the field named in their language, then
/// the operation's own words.
pub(super) fn form_error(t: &TicketTexts, refused: &Refused) -> String {
    match refused {
        Refused::Invalid { field, message } => {
            let name = match *field {
                "subject" => t.subject,
                "body" => t.body,
                "department" => t.department,
                "priority" => t.priority,
                "services" => t.services,
                "attachments" => t.files,
                "score" => t.score,
                "comment" => t.comment,
                "status" => t.status,
                other => other,
            };
            format!("{} ({message})", t.check_field.replace("{}", name))
        }
        other => format!("{} ({other})", t.refused),
    }
}

/// A refusal the forms show beside them, with its status; others are answered as refusals.
pub(super) fn shown(refused: &Refused) -> Option<StatusCode> {
    match refused {
        Refused::Invalid { .. } => Some(StatusCode::BAD_REQUEST),
        Refused::Conflict(_) => Some(StatusCode::CONFLICT),
        Refused::Unavailable(_) => Some(StatusCode::SERVICE_UNAVAILABLE),
        _ => None,
    }
}

/// `GET /account/tickets`.
pub(crate) async fn list(Ext(app): Ext<Arc<App>>, who: Customer, headers: HeaderMap) -> Response {
    let l = page_language(&app, &who.customer, &headers).await;
    let t = texts(l).desk;
    let tickets = match app.tickets(&who.principal, None, None, None).await {
        Ok(list) => list,
        Err(e) => return Refusal::from(e).into_response(),
    };
    let rows: Vec<Value> = tickets
        .iter()
        .map(|k| {
            context! {
                id => k.id,
                subject => k.subject,
                status => k.status,
                status_label => label(t, &k.status),
                updated => human(&k.updated),
                updated_iso => k.updated,
            }
        })
        .collect();
    render(
        "account/tickets.html",
        context! { tickets => rows, it => intervention_texts(l), ..frame(l, &who.principal) },
        StatusCode::OK,
    )
}

/// An RFC 3339 instant as the area shows times.
fn human(rfc3339: &str) -> String {
    tocsin_model::time::parse_utc(rfc3339)
        .map_or_else(|| rfc3339.to_owned(), tocsin_model::time::human)
}

/// The new-ticket form as last filled in.
#[derive(Debug, Default, Serialize)]
struct Draft {
    subject: String,
    body: String,
    department: String,
    priority: String,
    services: Vec<String>,
}

/// The customer's own services, `(id, name)`, for the form's checkboxes.
pub(super) fn own_services(app: &App, customer: &str) -> Vec<(String, String)> {
    let Ok(inventory) = app.inventory() else {
        return Vec::new();
    };
    let Some(c) = view::customer_number(&inventory, customer) else {
        return Vec::new();
    };
    view::service_vertices(&inventory, c)
        .into_iter()
        .map(|v| {
            let line = tocsin_app::service_line(&inventory, v, 0, None);
            (line.id, line.name)
        })
        .collect()
}

fn new_form(
    app: &App,
    who: &Customer,
    l: Language,
    draft: Draft,
    error: Option<(StatusCode, String)>,
) -> Response {
    let t = texts(l).desk;
    let (status, error) = match error {
        Some((s, e)) => (s, Some(e)),
        None => (StatusCode::OK, None),
    };
    render(
        "account/ticket_new.html",
        context! {
            services => own_services(app, &who.customer),
            departments => choices(t, &DEPARTMENTS),
            priorities => choices(t, &PRIORITIES),
            draft,
            form_error => error,
            it => intervention_texts(l),
            ..frame(l, &who.principal)
        },
        status,
    )
}

/// `GET /account/tickets/new`.
pub(crate) async fn new(Ext(app): Ext<Arc<App>>, who: Customer, headers: HeaderMap) -> Response {
    let l = page_language(&app, &who.customer, &headers).await;
    let draft = Draft {
        department: "technical".to_owned(),
        priority: "normal".to_owned(),
        ..Draft::default()
    };
    new_form(&app, &who, l, draft, None)
}

/// The new-ticket form read from its multipart body: the fields, the files and the token.
async fn read_form(
    multipart: &mut Multipart,
) -> Result<(Draft, Vec<Upload>, Option<String>), axum::extract::multipart::MultipartError> {
    let mut draft = Draft::default();
    let mut files = Vec::new();
    let mut csrf = None;
    while let Some(field) = multipart.next_field().await? {
        let name = field.name().unwrap_or("").to_owned();
        if name == "files" {
            let file_name = field.file_name().unwrap_or("").to_owned();
            let content_type = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_owned();
            let bytes = field.bytes().await?;
            // An empty file input still sends a part, without a name.
            if !file_name.is_empty() || !bytes.is_empty() {
                files.push(Upload {
                    name: file_name,
                    content_type,
                    bytes: bytes.to_vec(),
                });
            }
            continue;
        }
        let value = field.text().await?;
        match name.as_str() {
            "csrf" => csrf = Some(value),
            "subject" => draft.subject = value,
            "body" => draft.body = value,
            "department" => draft.department = value,
            "priority" => draft.priority = value,
            "services" => draft.services.push(value),
            _ => {}
        }
    }
    Ok((draft, files, csrf))
}

/// `POST /account/tickets` (multipart): opens a ticket.
pub(crate) async fn create(
    Ext(app): Ext<Arc<App>>,
    who: Customer,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Response {
    let l = page_language(&app, &who.customer, &headers).await;
    let t = texts(l).desk;
    let (draft, files, csrf) = match read_form(&mut multipart).await {
        Ok(read) => read,
        Err(e) => {
            tracing::info!(error = %e, "client area: a new-ticket form could not be read");
            let message = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                t.too_large.to_owned()
            } else {
                format!("{} ({e})", t.refused)
            };
            let error = Some((e.status(), message));
            return new_form(&app, &who, l, Draft::default(), error);
        }
    };
    if let Err(r) = who.principal.check_csrf(csrf.as_deref()) {
        return r.into_response();
    }
    let new = NewTicket {
        customer: None,
        subject: draft.subject.clone(),
        body: draft.body.clone(),
        department: draft.department.clone(),
        priority: draft.priority.clone(),
        services: draft.services.clone(),
        attachments: files,
    };
    match app.open_ticket(&who.principal, new).await {
        Ok(v) => Redirect::to(&format!("/account/tickets/{}?done=opened", v.id)).into_response(),
        Err(refused) => match shown(&refused) {
            Some(status) => {
                let error = Some((status, form_error(t, &refused)));
                new_form(&app, &who, l, draft, error)
            }
            None => Refusal::from(refused).into_response(),
        },
    }
}

/// `?done=…` after a change.
#[derive(Deserialize, Default)]
pub(crate) struct DoneQuery {
    #[serde(default)]
    done: Option<String>,
}

/// The message after a change, from a fixed list.
fn flash(t: &TicketTexts, code: &str) -> Option<&'static str> {
    Some(match code {
        "opened" => t.opened_flash,
        "replied" => t.replied_flash,
        "closed" => t.closed_flash,
        "rated" => t.rated_flash,
        _ => return None,
    })
}

/// The conversation as the customer reads it: who wrote each message in their words.
fn conversation(t: &TicketTexts, who: &Principal, ticket: &TicketView) -> Vec<Value> {
    ticket
        .events
        .iter()
        .flatten()
        .map(|e| {
            let mine = e.author == who.login;
            let author = match e.kind.as_str() {
                _ if mine => t.you.to_owned(),
                "created" | "customer" | "rating" => e.author.clone(),
                _ => t.support.to_owned(),
            };
            let body = if e.kind == "status" {
                let status = e.status.as_deref().unwrap_or("");
                t.status_changed.replace("{}", &label(t, status))
            } else {
                e.body.clone()
            };
            context! {
                id => e.id,
                kind => e.kind,
                staff => matches!(e.kind.as_str(), "reply" | "status") && !mine,
                author,
                body,
                at => human(&e.at),
                at_iso => e.at,
                attachments => Value::from_serialize(&e.attachments),
            }
        })
        .collect()
}

/// The ticket's page, with the error of a form when one was refused.
async fn show(
    app: &App,
    who: &Customer,
    l: Language,
    id: i64,
    error: Option<(StatusCode, &'static str, String)>,
    flash_code: Option<&str>,
) -> Response {
    let t = texts(l).desk;
    let ticket = match app.ticket_view(&who.principal, id).await {
        Ok(v) => v,
        Err(Refused::NotFound(_)) => return not_found(l, &who.principal),
        Err(other) => return Refusal::from(other).into_response(),
    };
    let (status, error_form, error) = match error {
        Some((s, form, e)) => (s, Some(form), Some(e)),
        None => (StatusCode::OK, None, None),
    };
    let services = own_services(app, &who.customer)
        .into_iter()
        .filter(|(id, _)| ticket.services.contains(id))
        .map(|(_, name)| name)
        .collect::<Vec<_>>();
    let closed = ticket.status == "closed" || ticket.merged_into.is_some();
    let finished = matches!(ticket.status.as_str(), "resolved" | "closed");
    render(
        "account/ticket.html",
        context! {
            ticket => context! {
                id => ticket.id,
                subject => ticket.subject,
                status => ticket.status,
                status_label => label(t, &ticket.status),
                department => label(t, &ticket.department),
                priority => label(t, &ticket.priority),
                created => human(&ticket.created),
                created_iso => ticket.created,
                rating => ticket.rating,
                rating_comment => ticket.rating_comment,
                services,
            },
            events => conversation(t, &who.principal, &ticket),
            closed,
            rateable => finished && ticket.rating.is_none() && ticket.merged_into.is_none(),
            scores => [1, 2, 3, 4, 5],
            error_form,
            form_error => error,
            flash => flash_code.and_then(|c| flash(t, c).or_else(|| interventions::flash(l, c))),
            intervention => interventions::panel(l, &ticket),
            it => intervention_texts(l),
            ..frame(l, &who.principal)
        },
        status,
    )
}

/// `GET /account/tickets/{id}`.
pub(crate) async fn detail(
    Ext(app): Ext<Arc<App>>,
    who: Customer,
    headers: HeaderMap,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<DoneQuery>,
) -> Response {
    let (l, id) = match language_and_id(&app, &who, &headers, &id).await {
        Ok(found) => found,
        Err(missing) => return missing,
    };
    show(&app, &who, l, id, None, q.done.as_deref()).await
}

/// The page's language, and the ticket number in the path; a number that is not one is the
/// area's not-found page, as a ticket that is not the customer's.
pub(super) async fn language_and_id(
    app: &App,
    who: &Customer,
    headers: &HeaderMap,
    id: &str,
) -> Result<(Language, i64), Response> {
    let l = page_language(app, &who.customer, headers).await;
    match id.parse::<i64>() {
        Ok(id) => Ok((l, id)),
        Err(_) => Err(not_found(l, &who.principal)),
    }
}

/// After a form: back to the ticket with its message, the page again with the error beside
/// `form`, or the area's not-found page.
pub(super) async fn after(
    app: &App,
    who: &Customer,
    l: Language,
    id: i64,
    result: Result<TicketView, Refused>,
    form: &'static str,
    code: &str,
) -> Response {
    match result {
        Ok(_) => Redirect::to(&format!("/account/tickets/{id}?done={code}")).into_response(),
        Err(Refused::NotFound(_)) => not_found(l, &who.principal),
        Err(refused) => match shown(&refused) {
            Some(status) => {
                let message = form_error(texts(l).desk, &refused);
                show(app, who, l, id, Some((status, form, message)), None).await
            }
            None => Refusal::from(refused).into_response(),
        },
    }
}

/// The reply form.
#[derive(Deserialize, Default)]
pub(crate) struct ReplyForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    body: String,
}

/// `POST /account/tickets/{id}/replies`.
pub(crate) async fn reply(
    Ext(app): Ext<Arc<App>>,
    who: Customer,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<ReplyForm>,
) -> Response {
    if let Err(r) = who.principal.check_csrf(form.csrf.as_deref()) {
        return r.into_response();
    }
    let (l, id) = match language_and_id(&app, &who, &headers, &id).await {
        Ok(found) => found,
        Err(missing) => return missing,
    };
    let result = app
        .reply_ticket(&who.principal, id, &form.body, true, Vec::new())
        .await;
    after(&app, &who, l, id, result, "reply", "replied").await
}

/// The close form.
#[derive(Deserialize, Default)]
pub(crate) struct StatusForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    status: String,
}

/// `POST /account/tickets/{id}/status`: a customer resolves or closes their ticket.
pub(crate) async fn status(
    Ext(app): Ext<Arc<App>>,
    who: Customer,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Response {
    if let Err(r) = who.principal.check_csrf(form.csrf.as_deref()) {
        return r.into_response();
    }
    let (l, id) = match language_and_id(&app, &who, &headers, &id).await {
        Ok(found) => found,
        Err(missing) => return missing,
    };
    let result = app
        .set_ticket_status(&who.principal, id, &form.status, None)
        .await;
    after(&app, &who, l, id, result, "status", "closed").await
}

/// The rating form.
#[derive(Deserialize, Default)]
pub(crate) struct RatingForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    score: String,
    #[serde(default)]
    comment: String,
}

/// `POST /account/tickets/{id}/rating`.
pub(crate) async fn rating(
    Ext(app): Ext<Arc<App>>,
    who: Customer,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<RatingForm>,
) -> Response {
    if let Err(r) = who.principal.check_csrf(form.csrf.as_deref()) {
        return r.into_response();
    }
    let (l, id) = match language_and_id(&app, &who, &headers, &id).await {
        Ok(found) => found,
        Err(missing) => return missing,
    };
    // A score that is not a number is refused by the operation like one out of range.
    let score = form.score.trim().parse::<i64>().unwrap_or(0);
    let result = app
        .rate_ticket(&who.principal, id, score, &form.comment)
        .await;
    after(&app, &who, l, id, result, "rating", "rated").await
}

/// `GET /account/tickets/{id}/attachments/{*key}`: a file of the customer's ticket, from a
/// message they see, as a download.
pub(crate) async fn attachment(
    Ext(app): Ext<Arc<App>>,
    who: Customer,
    headers: HeaderMap,
    Path((id, key)): Path<(String, String)>,
) -> Response {
    let (l, id) = match language_and_id(&app, &who, &headers, &id).await {
        Ok(found) => found,
        Err(missing) => return missing,
    };
    match app.ticket_attachment(&who.principal, id, &key).await {
        Ok((a, bytes)) => crate::headers::download(&a.name, bytes),
        Err(Refused::NotFound(_)) => not_found(l, &who.principal),
        Err(other) => Refusal::from(other).into_response(),
    }
}
