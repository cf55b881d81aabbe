//! `/console/tickets`: the support desk's queue (staff) — the counts of active and breached
//! tickets, a tier filter, the tickets with a missed target first (marked), then by due time —
//! with a form to open a ticket for a customer (engineers), and `/console/canned-replies`, the
//! canned replies staff pick from when answering (shift leads add them). The console face of
//! `System::ticket_queue`, `open_ticket`, `canned_replies` and `add_canned_reply`, which the
//! JSON API calls too; one ticket's page is `ticket.rs`.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::Form;
use minijinja::{context, Value};
use serde::Deserialize;
use tocsin_app::desk::{DEPARTMENTS, PRIORITIES};
use tocsin_app::ops::NewTicket;
use tocsin_app::Refused;
use tocsin_store::{Ticket, NOTHING_DUE};

use super::{done, frame, render, when, Page};
use crate::auth::{act, May, Principal, Staff};
use crate::App;

/// How many tickets the queue lists.
const LISTED: i64 = 200;

/// The languages a canned reply is written in.
const LANGUAGES: [&str; 5] = ["en", "cs", "pl", "fr", "ru"];

/// `?tier=ID&done=…`.
#[derive(Deserialize, Default)]
pub(super) struct QueueQuery {
    #[serde(default)]
    tier: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// The form opening a ticket for a customer, as submitted.
#[derive(Deserialize, Default, Clone)]
pub(super) struct OpenForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    customer: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    priority: String,
    /// Service ids separated by spaces or commas.
    #[serde(default)]
    services: String,
}

/// One line of the queue.
pub(super) fn row(t: &Ticket) -> Value {
    context! {
        id => t.id,
        subject => t.subject,
        status => t.status,
        priority => t.priority,
        tier => t.tier,
        customer => t.customer,
        requester => t.requester,
        assignee => t.assignee,
        breached => t.breached,
        due => (t.due_ms != NOTHING_DUE).then(|| when(t.due_ms)),
        updated => when(t.updated_ms),
    }
}

/// Inventories with more customers than this get no list to pick from: the forms take the
/// customer's id typed.
const PICKED_CUSTOMERS: usize = 500;

/// The customers of the inventory, `(id, name)`, offered to the forms that name one; none when
/// there are too many to send with every page.
pub(super) fn customers(app: &App) -> Vec<(String, String)> {
    app.inventory()
        .map(|inventory| {
            if inventory.customers.len() > PICKED_CUSTOMERS {
                return Vec::new();
            }
            inventory
                .customers
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let id = u32::try_from(i).map_or("", |i| inventory.customer_id(i));
                    (id.to_owned(), c.name.to_string())
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn show_queue(
    app: &App,
    who: &Principal,
    tier: Option<&str>,
    form: OpenForm,
    error: Option<(StatusCode, String)>,
    flash: Option<&str>,
) -> Page {
    let tier = tier.filter(|t| !t.is_empty());
    let (list, active, breached) = app.ticket_queue(who, tier, LISTED).await?;
    let tickets: Vec<Value> = list.iter().map(row).collect();
    let tiers: Vec<&str> = app.desk.tiers().iter().map(|(id, _)| id.as_str()).collect();
    let (status, open_error) = match error {
        Some((status, message)) => (status, Some(message)),
        None => (StatusCode::OK, None),
    };
    Ok(render(
        "console/tickets.html",
        frame(who, "tickets", flash),
        context! {
            heading => "Support tickets",
            tickets,
            active,
            breached,
            cap => tocsin_app::ops::COUNT_CAP,
            tiers,
            tier,
            customers => customers(app),
            departments => DEPARTMENTS,
            priorities => PRIORITIES,
            open_error,
            form => context! {
                customer => form.customer,
                subject => form.subject,
                body => form.body,
                department => if form.department.is_empty() { "technical".to_owned() } else { form.department },
                priority => if form.priority.is_empty() { "normal".to_owned() } else { form.priority },
                services => form.services,
            },
        },
        status,
    ))
}

/// `GET /console/tickets?tier=ID` (staff).
pub(super) async fn queue(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Query(q): Query<QueueQuery>,
) -> Page {
    show_queue(
        &app,
        &who,
        q.tier.as_deref(),
        OpenForm::default(),
        None,
        q.done.as_deref(),
    )
    .await
}

/// The status a refusal of a form is shown with, or `None` when it is not the form's fault.
pub(super) fn form_status(refused: &Refused) -> Option<StatusCode> {
    match refused {
        Refused::Invalid { .. } => Some(StatusCode::BAD_REQUEST),
        Refused::Conflict(_) => Some(StatusCode::CONFLICT),
        _ => None,
    }
}

/// `POST /console/tickets` (engineers): opens a ticket for a customer.
pub(super) async fn open(
    State(app): State<Arc<App>>,
    May(who, _): May<act::AnswerTicket>,
    Form(form): Form<OpenForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    let new = NewTicket {
        customer: Some(form.customer.trim().to_owned()),
        subject: form.subject.clone(),
        body: form.body.clone(),
        department: form.department.clone(),
        priority: form.priority.clone(),
        services: super::ids(&form.services),
        attachments: Vec::new(),
    };
    match app.open_ticket(&who, new).await {
        Ok(t) => Ok(done(&format!("/console/tickets/{}", t.id), "ticket.open")),
        Err(refused) => match form_status(&refused) {
            Some(status) => {
                let error = Some((status, refused.to_string()));
                show_queue(&app, &who, None, form, error, None).await
            }
            None => Err(refused.into()),
        },
    }
}

/// The canned-reply form as submitted.
#[derive(Deserialize, Default, Clone)]
pub(super) struct CannedForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    language: String,
}

async fn show_canned(
    app: &App,
    who: &Principal,
    form: CannedForm,
    error: Option<String>,
    flash: Option<&str>,
) -> Page {
    let replies: Vec<Value> = app
        .canned_replies(who)
        .await?
        .into_iter()
        .map(|c| {
            context! {
                id => c.id,
                title => c.title,
                body => c.body,
                language => c.language,
                created_by => c.created_by,
                created => when(c.created_ms),
            }
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    Ok(render(
        "console/canned.html",
        frame(who, "tickets", flash),
        context! {
            heading => "Canned replies",
            replies,
            languages => LANGUAGES,
            canned_error => error,
            form => context! {
                title => form.title,
                body => form.body,
                language => if form.language.is_empty() { "en".to_owned() } else { form.language },
            },
        },
        status,
    ))
}

/// `GET /console/canned-replies` (staff; shift leads see the form to add one).
pub(super) async fn canned(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Query(q): Query<super::Done>,
) -> Page {
    show_canned(&app, &who, CannedForm::default(), None, q.done.as_deref()).await
}

/// `POST /console/canned-replies` (shift leads).
pub(super) async fn add_canned(
    State(app): State<Arc<App>>,
    May(who, _): May<act::CannedReplies>,
    Form(form): Form<CannedForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    match app
        .add_canned_reply(&who, &form.title, &form.body, &form.language)
        .await
    {
        Ok(_) => Ok(Redirect::to("/console/canned-replies?done=canned").into_response()),
        Err(Refused::Invalid { message, .. }) => {
            show_canned(&app, &who, form, Some(message), None).await
        }
        Err(other) => Err(other.into()),
    }
}
