//! `/console/tickets/{id}`: one ticket for staff — its fields, SLA clocks, linked services and
//! incidents, the whole log with internal notes marked and attachments to download — and
//! the forms acting on it: a reply or internal note (with a canned reply to start from), the
//! status, the assignee (shift leads), triage and merging. Each form posts to its own route,
//! which calls the operation the JSON API calls (`System::reply_ticket`, `set_ticket_status`,
//! `assign_ticket`, `triage_ticket`, `merge_ticket`) and comes back here with a message; a
//! refused form is shown again beside its error, which names the field. An OS intervention's
//! panel and forms (`console/intervention.html`) post to the routes of `interventions`.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Form;
use minijinja::{context, Value};
use serde::Deserialize;
use tocsin_app::desk::{DEPARTMENTS, PRIORITIES, STATUSES};
use tocsin_app::ops::{TicketView, Triage};
use tocsin_app::ops::{ACCESS_METHODS, COMPLEXITIES};
use tocsin_app::{Action, Refused};
use tocsin_store::AccountStore;

use super::tickets::{customers, form_status};
use super::{done, frame, render, unavailable, Done, Page};
use crate::auth::{act, May, Principal, Staff};
use crate::App;

/// Which form a refusal belongs to, and what it said.
pub(super) struct Trouble {
    pub(super) form: &'static str,
    pub(super) status: StatusCode,
    pub(super) message: String,
}

/// What the forms last held, shown again with an error.
#[derive(Default)]
pub(super) struct Held {
    reply: Option<ReplyForm>,
    triage: Option<TriageForm>,
    into: Option<String>,
    /// An intervention form's fields (never a secret), as `iv` to the template.
    intervention: Option<Value>,
}

impl Held {
    /// What an intervention form held (never a secret), shown again beside its error.
    pub(super) fn intervention(fields: Value) -> Held {
        Held {
            intervention: Some(fields),
            ..Held::default()
        }
    }
}

/// The logins a ticket may be assigned to: staff accounts not disabled.
async fn staff_logins(app: &App, who: &Principal) -> Result<Vec<String>, crate::auth::Refusal> {
    if !who.role.may(Action::AssignTicket) {
        return Ok(Vec::new());
    }
    Ok(app
        .store
        .accounts()
        .await
        .map_err(unavailable)?
        .into_iter()
        .filter(|a| a.role != "customer" && !a.disabled)
        .map(|a| a.login)
        .collect())
}

/// The ticket's page, with a refused form's error and what it held.
pub(super) async fn show(
    app: &App,
    who: &Principal,
    id: i64,
    held: Held,
    trouble: Option<Trouble>,
    flash: Option<&str>,
) -> Page {
    let t: TicketView = match app.ticket_view(who, id).await {
        Ok(t) => t,
        Err(Refused::NotFound(_)) => {
            return Ok(render(
                "console/ticket.html",
                frame(who, "tickets", None),
                context! { heading => format!("Ticket T-{id}"), missing => true },
                StatusCode::NOT_FOUND,
            ))
        }
        Err(other) => return Err(other.into()),
    };
    let canned: Vec<Value> = app
        .canned_replies(who)
        .await?
        .into_iter()
        .map(|c| context! { title => c.title, body => c.body, language => c.language })
        .collect();
    let staff = staff_logins(app, who).await?;
    let (status, error_form, error) = match trouble {
        Some(t) => (t.status, Some(t.form), Some(t.message)),
        None => (StatusCode::OK, None, None),
    };
    let reply = held.reply.unwrap_or_default();
    let triage = held.triage.unwrap_or_default();
    Ok(render(
        "console/ticket.html",
        frame(who, "tickets", flash),
        context! {
            heading => format!("T-{}: {}", t.id, t.subject),
            active => !matches!(t.status.as_str(), "resolved" | "closed") && t.merged_into.is_none(),
            ticket => Value::from_serialize(&t),
            canned,
            staff,
            customers => customers(app),
            statuses => STATUSES,
            departments => DEPARTMENTS,
            priorities => PRIORITIES,
            error_form,
            form_error => error,
            reply => context! { body => reply.body, kind => reply.kind },
            triage => context! {
                customer => triage.customer,
                department => triage.department,
                priority => triage.priority,
                services => triage.services,
            },
            into => held.into,
            iv => held.intervention,
            accesses => ACCESS_METHODS,
            complexities => COMPLEXITIES,
        },
        status,
    ))
}

/// `GET /console/tickets/{id}` (staff).
pub(super) async fn detail(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> Page {
    show(&app, &who, id, Held::default(), None, q.done.as_deref()).await
}

/// After a form: back to the ticket (`to`, which a merge changes) with its message, or the
/// page again with the refusal beside `form`.
async fn answer(
    app: &App,
    who: &Principal,
    id: i64,
    result: Result<TicketView, Refused>,
    code: &str,
    form: &'static str,
    held: Held,
) -> Page {
    match result {
        Ok(t) => Ok(done(&format!("/console/tickets/{}", t.id), code)),
        Err(refused) => match form_status(&refused) {
            Some(status) => {
                let trouble = Trouble {
                    form,
                    status,
                    message: refused.to_string(),
                };
                show(app, who, id, held, Some(trouble), None).await
            }
            None => Err(refused.into()),
        },
    }
}

/// The reply form: `kind` is `public` (mailed to the customer) or `note` (staff only).
#[derive(Deserialize, Default, Clone)]
pub(super) struct ReplyForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    body: String,
}

/// `POST /console/tickets/{id}/replies`: a public reply (engineers) or an internal note
/// (every member of staff; the operation checks which).
pub(super) async fn reply(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Path(id): Path<i64>,
    Form(form): Form<ReplyForm>,
) -> Page {
    who.require(Action::Note)?;
    who.check_csrf(form.csrf.as_deref())?;
    let public = match form.kind.as_str() {
        "public" => true,
        "note" => false,
        _ => {
            let trouble = Trouble {
                form: "reply",
                status: StatusCode::BAD_REQUEST,
                message: "kind: choose a public reply or an internal note".to_owned(),
            };
            let held = Held {
                reply: Some(form),
                ..Held::default()
            };
            return show(&app, &who, id, held, Some(trouble), None).await;
        }
    };
    let result = app
        .reply_ticket(&who, id, &form.body, public, Vec::new())
        .await;
    let code = if public { "ticket.reply" } else { "note" };
    let held = Held {
        reply: Some(form),
        ..Held::default()
    };
    answer(&app, &who, id, result, code, "reply", held).await
}

/// The status form.
#[derive(Deserialize, Default)]
pub(super) struct StatusForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    status: String,
    /// What was done: required to close an intervention.
    #[serde(default)]
    summary: String,
}

/// `POST /console/tickets/{id}/status` (engineers).
pub(super) async fn status(
    State(app): State<Arc<App>>,
    May(who, _): May<act::AnswerTicket>,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    let result = app
        .set_ticket_status(&who, id, &form.status, Some(form.summary.as_str()))
        .await;
    answer(
        &app,
        &who,
        id,
        result,
        "ticket.status",
        "status",
        Held::default(),
    )
    .await
}

/// The assignment form.
#[derive(Deserialize, Default)]
pub(super) struct AssignForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    login: String,
}

/// `POST /console/tickets/{id}/assign` (shift leads).
pub(super) async fn assign(
    State(app): State<Arc<App>>,
    May(who, _): May<act::AssignTicket>,
    Path(id): Path<i64>,
    Form(form): Form<AssignForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    let result = app.assign_ticket(&who, id, &form.login).await;
    answer(
        &app,
        &who,
        id,
        result,
        "ticket.assign",
        "assign",
        Held::default(),
    )
    .await
}

/// The triage form: an empty field leaves that part as it is; services are ids separated by
/// spaces or commas, replacing the list (`-` empties it).
#[derive(Deserialize, Default, Clone)]
pub(super) struct TriageForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    customer: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    services: String,
}

/// A field of the triage form: `None` when left empty.
fn given(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// `POST /console/tickets/{id}/triage` (engineers).
pub(super) async fn triage(
    State(app): State<Arc<App>>,
    May(who, _): May<act::AnswerTicket>,
    Path(id): Path<i64>,
    Form(form): Form<TriageForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    let services = match form.services.trim() {
        "" => None,
        "-" => Some(Vec::new()),
        list => Some(super::ids(list)),
    };
    let change = Triage {
        customer: given(&form.customer),
        department: given(&form.department),
        priority: given(&form.priority),
        services,
    };
    let result = app.triage_ticket(&who, id, change).await;
    let held = Held {
        triage: Some(form),
        ..Held::default()
    };
    answer(&app, &who, id, result, "ticket.triage", "triage", held).await
}

/// The merge form.
#[derive(Deserialize, Default)]
pub(super) struct MergeForm {
    #[serde(default)]
    csrf: Option<String>,
    /// The ticket to merge into: `42` or `T-42`.
    #[serde(default)]
    into: String,
}

/// `POST /console/tickets/{id}/merge` (engineers): this ticket's messages move into another;
/// the answer is that one's page.
pub(super) async fn merge(
    State(app): State<Arc<App>>,
    May(who, _): May<act::AnswerTicket>,
    Path(id): Path<i64>,
    Form(form): Form<MergeForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    let typed = form.into.trim();
    let number = typed
        .strip_prefix("T-")
        .or_else(|| typed.strip_prefix("t-"))
        .unwrap_or(typed);
    let held = Held {
        into: Some(form.into.clone()),
        ..Held::default()
    };
    let result = match number.parse::<i64>() {
        Ok(into) => app.merge_ticket(&who, id, into).await,
        Err(_) => Err(Refused::invalid(
            "into",
            format!("into: `{typed}` is not a ticket number"),
        )),
    };
    answer(&app, &who, id, result, "ticket.merge", "merge", held).await
}
