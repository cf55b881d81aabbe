//! `GET /account/sla?month=YYYY-MM`: the month's availability of the customer's own services
//! against what their plans promise, and their compensation of every month with its amounts,
//! deadline, status and offers, the outage intervals behind it and the incidents they were
//! told about meanwhile (linking to `/account/incidents/{id}`) with the e-mails sent to the
//! customer's contacts during them and in the hour after (linking to
//! `/account/messages/{id}`, the archived message); `POST
//! /account/credits/{id}/choice` chooses an offer. Another customer's credit is the same 404
//! as one that does not exist; the operations decide it (`System::choose_credit`).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State as Ext};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use tocsin_app::ops::{CreditView, SlaReport};
use tocsin_app::sla::Month;
use tocsin_app::Refused;
use tocsin_model::inventory::Language;
use tocsin_model::time::{human, parse_utc, rfc3339};
use tocsin_model::Inventory;
use tocsin_store::{AccountStore, IncidentRow, IncidentStore, IncidentUpdate, SentNotice};

use super::i18n::{duration, texts, Texts};
use super::view::{self, IncidentView};
use super::{frame, language, render, unavailable, Customer};
use crate::App;

/// How many of the customer's latest incidents are looked at for the notices behind credits.
const LOOKED_AT: i64 = 200;

/// How many e-mails are looked at for each credit.
const MAILS_LOOKED_AT: i64 = 200;

/// E-mails sent this long after an outage interval ended still belong to it: the
/// all-clear and the updates that follow the repair.
pub(crate) const MAIL_AFTER_MS: i64 = 3_600_000;

/// `?month=YYYY-MM&done=chosen`.
#[derive(Deserialize, Default)]
pub(crate) struct MonthQuery {
    #[serde(default)]
    month: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// The choice form as submitted.
#[derive(Deserialize, Default)]
pub(crate) struct ChoiceForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    offer: String,
}

/// One of the customer's services in the month.
#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct LineView {
    pub id: String,
    pub name: String,
    pub availability: f64,
    pub sla: f64,
    pub below: bool,
    pub down: String,
    pub excluded: String,
    /// `gross currency`, when the month earns compensation.
    pub credit: Option<String>,
}

/// An offer of a credit with its value in words.
#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct OfferView {
    pub id: String,
    pub label: String,
    pub value: String,
    pub chosen: bool,
}

/// A counted down interval.
#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct IntervalView {
    pub from: String,
    pub from_iso: String,
    pub to: String,
    pub to_iso: String,
    pub length: String,
}

/// An e-mail sent to one of the customer's contacts.
#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct MailView {
    /// Its outbox number, the address of `/account/messages/{id}`.
    pub id: i64,
    pub to: String,
    /// `opened`, `resolved`, `maintenance`, `credit`, `broadcast` or the stored kind.
    pub kind: String,
    pub kind_label: String,
    pub language: String,
    /// When the SMTP server accepted it.
    pub sent: String,
    pub sent_iso: String,
    /// Whether the message was archived and can be read back.
    pub archived: bool,
}

/// A credit as the customer sees it.
#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct CreditPage {
    pub id: i64,
    pub service: String,
    pub month: String,
    pub net: String,
    pub vat: String,
    pub gross: String,
    pub currency: String,
    pub reverse_charge: bool,
    pub deadline: String,
    pub deadline_iso: String,
    pub status: String,
    pub status_label: String,
    /// A shift lead still decides on it.
    pub waiting: bool,
    /// The customer may (still) choose.
    pub open: bool,
    pub offers: Vec<OfferView>,
    pub intervals: Vec<IntervalView>,
    pub incidents: Vec<IncidentView>,
    /// E-mails sent during the intervals and in the hour after, oldest first.
    pub mails: Vec<MailView>,
}

/// A service's display name, or its id.
fn service_name(inventory: &Inventory, id: &str) -> String {
    inventory.graph.find(id).map_or_else(
        || id.to_owned(),
        |v| tocsin_app::service_line(inventory, v, 0, None).name,
    )
}

fn status_label(t: &Texts, status: &str) -> String {
    let s = t.sla;
    match status {
        "offered" => s.offered,
        "chosen" => s.chosen,
        "approved" => s.approved,
        "rejected" => s.rejected,
        "expired" => s.expired,
        other => other,
    }
    .to_owned()
}

/// The month's lines of the customer's services, in the report's order (by id).
pub(crate) fn lines(inventory: &Inventory, report: &SlaReport, t: &Texts) -> Vec<LineView> {
    report
        .services
        .iter()
        .map(|l| LineView {
            id: l.service.clone(),
            name: service_name(inventory, &l.service),
            availability: l.availability,
            sla: l.sla,
            below: l.availability < l.sla,
            down: duration(t, l.down_seconds * 1000),
            excluded: duration(t, l.excluded_seconds * 1000),
            credit: l
                .credit
                .as_ref()
                .map(|c| format!("{} {}", c.gross, c.currency)),
        })
        .collect()
}

/// Whether `[from, to)` meets any of `intervals`.
fn overlaps(intervals: &[(i64, i64)], from: i64, to: i64) -> bool {
    intervals.iter().any(|&(a, b)| from < b && a < to)
}

/// The incidents of `rows` in which `service` of `customer` was hit while one of `intervals`
/// lasted, as the customer sees them, with the public updates posted during the intervals.
pub(crate) fn incidents_during(
    inventory: &Inventory,
    rows: &[(IncidentRow, Vec<IncidentUpdate>)],
    customer: &str,
    service: &str,
    intervals: &[(i64, i64)],
    language: Language,
    now_ms: i64,
) -> Vec<IncidentView> {
    rows.iter()
        .filter(|(row, _)| {
            row.services
                .iter()
                .any(|s| s.service == service && s.customer.as_deref() == Some(customer))
                && overlaps(intervals, row.opened_ms, row.resolved_ms.unwrap_or(now_ms))
        })
        .filter_map(|(row, updates)| {
            let told: Vec<IncidentUpdate> = updates
                .iter()
                .filter(|u| overlaps(intervals, u.at_ms, u.at_ms + 1))
                .cloned()
                .collect();
            view::incident(inventory, row, &told, customer, language, now_ms)
        })
        .collect()
}

/// The family of an outbox kind (`maintenance.7.announced` is `maintenance`) with its label.
fn mail_kind(t: &Texts, kind: &str) -> (String, String) {
    let s = t.sla;
    let (family, label) = match kind {
        "opened" => ("opened", s.mail_opened),
        "resolved" => ("resolved", s.mail_resolved),
        k if k.starts_with(tocsin_app::planned::KIND_PREFIX) => ("maintenance", s.mail_maintenance),
        k if k.starts_with(tocsin_app::ops::CREDIT_KIND_PREFIX) => ("credit", s.mail_credit),
        k if k.starts_with(tocsin_store::BROADCAST_KIND) => ("broadcast", s.mail_broadcast),
        other => (other, other),
    };
    (family.to_owned(), label.to_owned())
}

/// The e-mails among `sent` that the server accepted during one of `intervals` or within
/// [`MAIL_AFTER_MS`] after it ended, oldest first, as the customer sees them in `t`'s language.
pub(crate) fn mails_during(
    sent: &[SentNotice],
    intervals: &[(i64, i64)],
    t: &Texts,
) -> Vec<MailView> {
    let widened: Vec<(i64, i64)> = intervals
        .iter()
        .map(|&(from, to)| (from, to.saturating_add(MAIL_AFTER_MS)))
        .collect();
    sent.iter()
        .filter(|n| overlaps(&widened, n.sent_ms, n.sent_ms + 1))
        .map(|n| {
            let (kind, kind_label) = mail_kind(t, &n.kind);
            MailView {
                id: n.id,
                to: n.contact.clone(),
                kind,
                kind_label,
                language: n.language.clone(),
                sent: human(n.sent_ms),
                sent_iso: rfc3339(n.sent_ms),
                archived: n.message_key.is_some(),
            }
        })
        .collect()
}

/// `credit` as the customer sees it in `language`, with the counted `intervals` of its service
/// in its month and the incidents among `rows` they were told about meanwhile.
pub(crate) fn credit_page(
    inventory: &Inventory,
    credit: &CreditView,
    intervals: &[(i64, i64)],
    rows: &[(IncidentRow, Vec<IncidentUpdate>)],
    language: Language,
    now_ms: i64,
) -> CreditPage {
    let t = texts(language);
    let deadline_ms = parse_utc(&credit.deadline).unwrap_or(0);
    let offers = credit
        .offers
        .iter()
        .map(|o| {
            let (label, value) = match (o.kind.as_str(), &o.value) {
                ("account_credit", serde_json::Value::String(v)) => {
                    (t.sla.account_credit, format!("{v} {}", credit.currency))
                }
                ("service_days", v) => (t.sla.service_days, format!("{v} {}", t.sla.days)),
                (kind, serde_json::Value::String(v)) => (kind, v.clone()),
                (kind, v) => (kind, v.to_string()),
            };
            OfferView {
                id: o.id.clone(),
                label: label.to_owned(),
                value,
                chosen: credit.choice.as_deref() == Some(o.id.as_str()),
            }
        })
        .collect();
    CreditPage {
        id: credit.id,
        service: service_name(inventory, &credit.service),
        month: credit.month.clone(),
        net: credit.net.clone(),
        vat: credit.vat.clone(),
        gross: credit.gross.clone(),
        currency: credit.currency.clone(),
        reverse_charge: credit.reverse_charge,
        deadline: human(deadline_ms),
        deadline_iso: rfc3339(deadline_ms),
        status: credit.status.clone(),
        status_label: status_label(t, &credit.status),
        waiting: credit.needs_approval && credit.status == "chosen",
        open: matches!(credit.status.as_str(), "offered" | "chosen") && now_ms < deadline_ms,
        offers,
        intervals: intervals
            .iter()
            .map(|&(from, to)| IntervalView {
                from: human(from),
                from_iso: rfc3339(from),
                to: human(to),
                to_iso: rfc3339(to),
                length: duration(t, to - from),
            })
            .collect(),
        incidents: incidents_during(
            inventory,
            rows,
            &credit.customer,
            &credit.service,
            intervals,
            language,
            now_ms,
        ),
        mails: Vec::new(),
    }
}

/// What went wrong, to show at the top of the page.
enum Trouble {
    /// The month asked for is not one (the sentence, in the page's language).
    Month(String),
    /// The choice of credit `id` was refused: a conflict (`409`) or not an offer (`400`).
    Choice { id: i64, conflict: bool },
}

/// `GET /account/sla`.
pub(crate) async fn page(
    Ext(app): Ext<Arc<App>>,
    who: Customer,
    headers: HeaderMap,
    Query(q): Query<MonthQuery>,
) -> Response {
    let saved = q.done.as_deref() == Some("chosen");
    show(&app, who, &headers, q.month.as_deref(), None, saved).await
}

/// `POST /account/credits/{id}/choice`.
pub(crate) async fn choose(
    Ext(app): Ext<Arc<App>>,
    who: Customer,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<ChoiceForm>,
) -> Response {
    if let Err(r) = who.principal.check_csrf(form.csrf.as_deref()) {
        return r.into_response();
    }
    let Ok(id) = id.parse::<i64>() else {
        return missing(&app, &who, &headers).await;
    };
    match app.choose_credit(&who.principal, id, &form.offer).await {
        Ok(c) => {
            let month = Month::parse(&c.month).map_or_else(|_| String::new(), |m| m.to_string());
            Redirect::to(&format!("/account/sla?month={month}&done=chosen")).into_response()
        }
        Err(Refused::NotFound(_)) => missing(&app, &who, &headers).await,
        Err(Refused::Invalid { .. }) => {
            let trouble = Trouble::Choice {
                id,
                conflict: false,
            };
            show(&app, who, &headers, None, Some(trouble), false).await
        }
        Err(Refused::Conflict(_)) => {
            let trouble = Trouble::Choice { id, conflict: true };
            show(&app, who, &headers, None, Some(trouble), false).await
        }
        Err(other) => crate::error::Refusal::from(other).into_response(),
    }
}

async fn page_language(app: &App, customer: &str, headers: &HeaderMap) -> Language {
    let preferences = app.store.preferences(customer).await.ok().flatten();
    language(preferences.as_ref(), headers)
}

/// The 404 of a credit that is not the customer's.
async fn missing(app: &App, who: &Customer, headers: &HeaderMap) -> Response {
    let l = page_language(app, &who.customer, headers).await;
    render(
        "account/credit_missing.html",
        frame(l, &who.principal),
        StatusCode::NOT_FOUND,
    )
}

/// Renders the page, with what went wrong when something did.
async fn show(
    app: &App,
    who: Customer,
    headers: &HeaderMap,
    month: Option<&str>,
    trouble: Option<Trouble>,
    saved: bool,
) -> Response {
    let Customer {
        principal,
        customer,
    } = who;
    let l = page_language(app, &customer, headers).await;
    let t = texts(l);
    let Ok(inventory) = app.inventory() else {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "the live state cannot be read; try again in a moment",
        )
            .into_response();
    };
    let now = app.clock.now_ms();
    let (report, mut trouble) = match app.account_sla(&customer, month).await {
        Ok(r) => (Some(r), trouble),
        Err(Refused::Invalid { .. }) => (
            None,
            Some(Trouble::Month(
                t.sla.bad_month.replace("{}", month.unwrap_or("")),
            )),
        ),
        Err(other) => return crate::error::Refusal::from(other).into_response(),
    };
    let credits = match app.customer_credits(&customer).await {
        Ok(c) => c,
        Err(other) => return crate::error::Refusal::from(other).into_response(),
    };
    // The counted intervals of each credit's month, one account per month.
    let mut months: BTreeMap<String, SlaReport> = BTreeMap::new();
    for c in &credits {
        if months.contains_key(&c.month) {
            continue;
        }
        match app.account_sla(&customer, Some(&c.month)).await {
            Ok(r) => {
                months.insert(c.month.clone(), r);
            }
            Err(other) => return crate::error::Refusal::from(other).into_response(),
        }
    }
    let rows = if credits.is_empty() {
        Vec::new()
    } else {
        match app.store.customer_incidents(&customer, LOOKED_AT).await {
            Ok(r) => r,
            Err(e) => return unavailable(e),
        }
    };
    let mut with_updates = Vec::with_capacity(rows.len());
    for row in rows {
        let hit = credits.iter().any(|c| {
            let intervals = intervals_of(&months, c);
            row.services.iter().any(|s| s.service == c.service)
                && overlaps(&intervals, row.opened_ms, row.resolved_ms.unwrap_or(now))
        });
        if !hit {
            continue;
        }
        let updates = match app.store.updates(row.id).await {
            Ok(u) => u,
            Err(e) => return unavailable(e),
        };
        with_updates.push((row, updates));
    }
    let mut credit_pages: Vec<CreditPage> = Vec::with_capacity(credits.len());
    for c in &credits {
        let intervals = intervals_of(&months, c);
        let mut page = credit_page(&inventory, c, &intervals, &with_updates, l, now);
        page.mails = match mails_of(app, &customer, &intervals, t).await {
            Ok(m) => m,
            Err(e) => return unavailable(e),
        };
        credit_pages.push(page);
    }
    let (status, error, error_id) = match trouble.take() {
        Some(Trouble::Month(m)) => (StatusCode::BAD_REQUEST, Some(m), None),
        Some(Trouble::Choice { id, conflict: true }) => (
            StatusCode::CONFLICT,
            Some(t.sla.too_late.to_owned()),
            Some(id),
        ),
        Some(Trouble::Choice { id, .. }) => (
            StatusCode::BAD_REQUEST,
            Some(t.sla.bad_offer.to_owned()),
            Some(id),
        ),
        None => (StatusCode::OK, None, None),
    };
    let shown = report.as_ref().and_then(|r| Month::parse(&r.month).ok());
    render(
        "account/sla.html",
        minijinja::context! {
            month => shown.map(|m| m.to_string()),
            previous => shown.map(|m| m.previous().to_string()),
            next => shown.map(|m| m.next().to_string()),
            final_ => report.as_ref().is_some_and(|r| r.final_),
            time_zone => report.as_ref().map(|r| r.time_zone.clone()),
            lines => report.as_ref().map(|r| lines(&inventory, r, t)).unwrap_or_default(),
            credits => credit_pages,
            error,
            error_id,
            saved,
            ..frame(l, &principal)
        },
        status,
    )
}

/// The e-mails sent to `customer`'s contacts during `intervals` and the hour after each,
/// read from the outbox in one query spanning them all.
async fn mails_of(
    app: &App,
    customer: &str,
    intervals: &[(i64, i64)],
    t: &Texts,
) -> Result<Vec<MailView>, tocsin_store::StoreError> {
    let (Some(from), Some(to)) = (
        intervals.iter().map(|i| i.0).min(),
        intervals.iter().map(|i| i.1).max(),
    ) else {
        return Ok(Vec::new());
    };
    let sent = app
        .store
        .customer_notices(
            customer,
            from,
            to.saturating_add(MAIL_AFTER_MS),
            MAILS_LOOKED_AT,
        )
        .await?;
    Ok(mails_during(&sent, intervals, t))
}

/// The counted down intervals of `credit`'s service in its month.
fn intervals_of(months: &BTreeMap<String, SlaReport>, credit: &CreditView) -> Vec<(i64, i64)> {
    months
        .get(&credit.month)
        .and_then(|r| r.services.iter().find(|l| l.service == credit.service))
        .map(|l| l.down.clone())
        .unwrap_or_default()
}
