//! `/console/sla`: a month's SLA account (staff) — the services with downtime first, with the
//! totals of the whole inventory — the credits waiting for a shift lead's decision with their
//! approve and reject forms, every credit of the month, the outages staff recorded and a form
//! to record one (engineers): the console face of the operations `/api/v1/sla`,
//! `/api/v1/outages` and `/api/v1/credits` call too.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use minijinja::context;
use serde::{Deserialize, Serialize};
use tocsin_app::ops::{CreditView, NewOutage, SlaLine, SlaReport};
use tocsin_app::sla::Month;
use tocsin_app::Refused;
use tocsin_model::sla::Decimal;
use tocsin_model::time::parse_utc;

use super::{frame, render, when, Page};
use crate::auth::{act, May, Principal, Staff};
use crate::App;

/// At most this many lines of the report are listed; the totals cover every service.
pub(super) const LISTED: usize = 500;

/// `?month=YYYY-MM&done=…`.
#[derive(Deserialize, Default)]
pub(super) struct MonthQuery {
    #[serde(default)]
    month: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

/// The outage form as submitted.
#[derive(Deserialize, Default, Clone)]
pub(super) struct OutageForm {
    #[serde(default)]
    csrf: Option<String>,
    /// Vertex ids separated by spaces or commas.
    #[serde(default)]
    down: String,
    #[serde(default)]
    degraded: String,
    /// `datetime-local`, UTC.
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    note: String,
    /// The month the page showed, to come back to.
    #[serde(default)]
    month: String,
}

/// An approve or reject form as submitted.
#[derive(Deserialize, Default, Clone)]
pub(super) struct ReasonForm {
    #[serde(default)]
    csrf: Option<String>,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    month: String,
}

/// What went wrong with a form, to show beside it.
enum Trouble {
    Outage(StatusCode, String),
    Decision(i64, StatusCode, String),
}

/// One line of the report as the console lists it.
#[derive(Debug, Serialize, PartialEq)]
pub(super) struct LineView {
    pub service: String,
    pub customer: String,
    pub plan: String,
    pub down: String,
    pub excluded: String,
    pub availability: f64,
    pub sla: f64,
    /// Below the promise.
    pub breached: bool,
    /// `net`, `vat`, `gross`, `currency`, `percent`, when the month earns a credit.
    pub credit: Option<tocsin_app::ops::CreditAmounts>,
}

/// The sums over every service of the month, listed or not.
#[derive(Debug, Serialize, PartialEq, Default)]
pub(super) struct Totals {
    pub services: usize,
    pub with_downtime: usize,
    pub with_credit: usize,
    /// `(currency, sum of net)`, by currency.
    pub net: Vec<(String, String)>,
    /// Lines left out of the list.
    pub not_listed: usize,
}

/// A duration for staff: `2 h 05 min 07 s`, `0 s`.
pub(super) fn seconds(s: i64) -> String {
    let s = s.max(0);
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    match (h, m) {
        (0, 0) => format!("{s} s"),
        (0, _) => format!("{m} min {s:02} s"),
        _ => format!("{h} h {m:02} min {s:02} s"),
    }
}

/// The lines worth a look first — credits, then by downtime, longest first, then by id — at
/// most `limit` of them, and the totals of all. A million services are not sorted: the first
/// `limit` are selected, then only those sorted.
pub(super) fn summarise(mut lines: Vec<SlaLine>, limit: usize) -> (Vec<LineView>, Totals) {
    let mut totals = Totals {
        services: lines.len(),
        ..Totals::default()
    };
    let mut net: BTreeMap<String, Decimal> = BTreeMap::new();
    for l in &lines {
        if l.down_seconds > 0 {
            totals.with_downtime += 1;
        }
        if let Some(c) = &l.credit {
            totals.with_credit += 1;
            let amount = c.net.parse::<Decimal>().unwrap_or_default();
            *net.entry(c.currency.clone()).or_default() += amount;
        }
    }
    totals.net = net
        .into_iter()
        .map(|(currency, sum)| (currency, sum.to_string()))
        .collect();
    let key = |l: &SlaLine| (l.credit.is_none(), std::cmp::Reverse(l.down_seconds));
    let order = |a: &SlaLine, b: &SlaLine| key(a).cmp(&key(b)).then(a.service.cmp(&b.service));
    if lines.len() > limit && limit > 0 {
        lines.select_nth_unstable_by(limit - 1, order);
    }
    lines.truncate(limit);
    lines.sort_by(order);
    totals.not_listed = totals.services - lines.len();
    let views = lines
        .into_iter()
        .map(|l| LineView {
            breached: l.availability < l.sla,
            service: l.service,
            customer: l.customer,
            plan: l.plan,
            down: seconds(l.down_seconds),
            excluded: seconds(l.excluded_seconds),
            availability: l.availability,
            sla: l.sla,
            credit: l.credit,
        })
        .collect();
    (views, totals)
}

/// Whether a credit waits for a shift lead: chosen (or expired to its first offer) and above
/// the automatic approval.
pub(super) fn waiting(c: &CreditView) -> bool {
    c.needs_approval && matches!(c.status.as_str(), "chosen" | "expired")
}

/// The page's values from what the operations answered; no I/O, so that it is tested alone.
pub(super) fn page_values(
    report: SlaReport,
    credits: &[CreditView],
    outages: &[tocsin_store::Outage],
) -> minijinja::Value {
    let month = Month::parse(&report.month).ok();
    let (lines, totals) = summarise(report.services, LISTED);
    // A month of a large inventory can hold thousands of credits: the first ones are listed,
    // with how many there are.
    let waiting_count = credits.iter().filter(|c| waiting(c)).count();
    let waiting: Vec<&CreditView> = credits.iter().filter(|c| waiting(c)).take(LISTED).collect();
    let month_count = credits.iter().filter(|c| c.month == report.month).count();
    let of_month: Vec<&CreditView> = credits
        .iter()
        .filter(|c| c.month == report.month)
        .take(LISTED)
        .collect();
    let outages: Vec<minijinja::Value> = outages
        .iter()
        .map(|o| {
            context! {
                id => o.id,
                down => o.down.join(", "),
                degraded => o.degraded.join(", "),
                start => when(o.start_ms),
                end => when(o.end_ms),
                length => seconds((o.end_ms - o.start_ms) / 1000),
                note => o.note,
                created_by => o.created_by,
            }
        })
        .collect();
    context! {
        heading => "SLA accounting",
        month => report.month,
        previous => month.map(|m| m.previous().to_string()),
        next => month.map(|m| m.next().to_string()),
        time_zone => report.time_zone,
        final_ => report.final_,
        lines,
        totals,
        listed => LISTED,
        waiting,
        waiting_count,
        credits => of_month,
        month_count,
        outages,
    }
}

async fn show(
    app: &App,
    who: &Principal,
    month: Option<&str>,
    form: OutageForm,
    trouble: Option<Trouble>,
    flash: Option<&str>,
) -> Page {
    let report = app.sla_report(who, month).await?;
    let credits = app.staff_credits(who, None).await?;
    let outages = app.recent_outages(who).await?;
    let (status, outage_error, decision_error, decision_id) = match trouble {
        Some(Trouble::Outage(status, message)) => (status, Some(message), None, None),
        Some(Trouble::Decision(id, status, message)) => (status, None, Some(message), Some(id)),
        None => (StatusCode::OK, None, None, None),
    };
    let values = page_values(report, &credits, &outages);
    Ok(render(
        "console/sla.html",
        frame(who, "sla", flash),
        context! {
            outage_error,
            decision_error,
            decision_id,
            form => context! {
                down => form.down,
                degraded => form.degraded,
                start => form.start,
                end => form.end,
                note => form.note,
            },
            ..values
        },
        status,
    ))
}

/// `GET /console/sla?month=YYYY-MM` (staff).
pub(super) async fn page(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Query(q): Query<MonthQuery>,
) -> Page {
    show(
        &app,
        &who,
        q.month.as_deref(),
        OutageForm::default(),
        None,
        q.done.as_deref(),
    )
    .await
}

/// Back to the month the form came from (only a well-formed month goes into the address).
fn back(month: &str, code: &str) -> Response {
    let to = match Month::parse(month) {
        Ok(m) => format!("/console/sla?month={m}&done={code}"),
        Err(_) => format!("/console/sla?done={code}"),
    };
    Redirect::to(&to).into_response()
}

/// A month the form carried, when it is one.
fn month_of(text: &str) -> Option<&str> {
    Month::parse(text).is_ok().then_some(text)
}

/// `POST /console/sla/outages` (engineers).
pub(super) async fn record(
    State(app): State<Arc<App>>,
    May(who, _): May<act::RecordOutage>,
    Form(form): Form<OutageForm>,
) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    let new = NewOutage {
        down: super::ids(&form.down),
        degraded: super::ids(&form.degraded),
        start_ms: parse_utc(&form.start),
        end_ms: parse_utc(&form.end),
        note: form.note.clone(),
    };
    let refused = match app.record_outage(&who, new).await {
        Ok(_) => return Ok(back(&form.month, "outage")),
        Err(Refused::Invalid { message, .. }) => Trouble::Outage(StatusCode::BAD_REQUEST, message),
        Err(other) => return Err(other.into()),
    };
    let month = month_of(&form.month).map(str::to_owned);
    show(&app, &who, month.as_deref(), form, Some(refused), None).await
}

/// `POST /console/credits/{id}/approve` (shift leads).
pub(super) async fn approve(
    State(app): State<Arc<App>>,
    May(who, _): May<act::DecideCredit>,
    Path(id): Path<i64>,
    Form(form): Form<ReasonForm>,
) -> Page {
    decide(&app, &who, id, form, true).await
}

/// `POST /console/credits/{id}/reject` (shift leads).
pub(super) async fn reject(
    State(app): State<Arc<App>>,
    May(who, _): May<act::DecideCredit>,
    Path(id): Path<i64>,
    Form(form): Form<ReasonForm>,
) -> Page {
    decide(&app, &who, id, form, false).await
}

async fn decide(app: &App, who: &Principal, id: i64, form: ReasonForm, approve: bool) -> Page {
    who.check_csrf(form.csrf.as_deref())?;
    let refused = match app.decide_credit(who, id, approve, &form.reason).await {
        Ok(c) => {
            let code = if approve {
                "credit.approved"
            } else {
                "credit.rejected"
            };
            return Ok(back(&c.month, code));
        }
        Err(Refused::Invalid { message, .. }) => {
            Trouble::Decision(id, StatusCode::BAD_REQUEST, message)
        }
        Err(Refused::Conflict(message)) => Trouble::Decision(id, StatusCode::CONFLICT, message),
        Err(other) => return Err(other.into()),
    };
    let month = month_of(&form.month).map(str::to_owned);
    show(
        app,
        who,
        month.as_deref(),
        OutageForm::default(),
        Some(refused),
        None,
    )
    .await
}
