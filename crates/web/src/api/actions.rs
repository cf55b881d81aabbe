//! The API twins of the console's and the client area's actions: each handler checks the
//! session's CSRF header (a bearer token needs none), parses its JSON body, calls the same
//! operation of the running system as the form does and answers JSON. Routes that name their
//! action as a type ([`May`]) refuse a role before the body is read.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State as Ext};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use tocsin_app::ops::{Broadcast, Mark, NewShift, NewUpdate};
use tocsin_model::inventory::Language;
use tocsin_model::time::{parse_utc, rfc3339};
use tocsin_store::{AccountStore, Preferences};

use super::store_error;
use crate::auth::{act, csrf_header, Customer, May, Staff};
use crate::error::ApiError;
use crate::{wire, App};

pub(super) type Answer = Result<axum::response::Response, ApiError>;

pub(super) fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, ApiError> {
    wire::parse(body).map_err(ApiError::bad_request)
}

pub(super) fn ok(value: serde_json::Value) -> Answer {
    Ok(Json(value).into_response())
}

/// `POST /api/v1/incidents/{id}/updates`: a public update or an internal note.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    status: String,
    body: String,
    #[serde(default = "yes")]
    public: bool,
}

fn yes() -> bool {
    true
}

pub(super) async fn add_update(
    Ext(app): Ext<Arc<App>>,
    Staff(who): Staff,
    headers: HeaderMap,
    Path(id): Path<i64>,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let u: UpdateBody = parse(&body)?;
    let update = NewUpdate {
        status: Some(u.status),
        body: u.body,
        public: u.public,
    };
    let seq = app.post_update(&who, id, &update).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": seq }))).into_response())
}

/// `POST /api/v1/broadcasts`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BroadcastBody {
    subject: String,
    body: String,
    #[serde(default)]
    incident: Option<i64>,
}

pub(super) async fn broadcast(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::Broadcast>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let b: BroadcastBody = parse(&body)?;
    let queued = app
        .broadcast(
            &who,
            Broadcast {
                subject: b.subject,
                body: b.body,
                incident: b.incident,
            },
        )
        .await?;
    Ok((StatusCode::ACCEPTED, Json(queued)).into_response())
}

/// `POST /api/v1/inventory/reload`: a broken inventory is refused with its diagnostics and
/// the old one stays.
pub(super) async fn reload(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::Reload>,
    headers: HeaderMap,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let inventory = app.reload(&who).await?;
    ok(serde_json::json!({
        "vertices": inventory.graph.vertex_count(),
        "services": inventory.services.len(),
        "customers": inventory.customers.len(),
    }))
}

/// `?down=sw-a ~pdu-b`.
#[derive(Deserialize)]
pub(super) struct Scenario {
    #[serde(default)]
    down: String,
}

/// `GET /api/v1/whatif?down=…`: who a failure would hit on top of the live state.
pub(super) async fn what_if(
    Ext(app): Ext<Arc<App>>,
    Staff(who): Staff,
    Query(q): Query<Scenario>,
) -> Answer {
    let outcome = app.what_if(&who, &q.down)?;
    Ok(Json(outcome).into_response())
}

/// `GET /api/v1/marks`: the vertices marked by hand now, with who and why.
pub(super) async fn marks(Ext(app): Ext<Arc<App>>, Staff(who): Staff) -> Answer {
    let marks = app.marks(&who).await?;
    ok(serde_json::json!({ "marks": marks }))
}

/// `POST /api/v1/marks`: `{"vertex", "state": "down"|"degraded"|"up", "reason"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MarkBody {
    vertex: String,
    state: String,
    reason: String,
}

pub(super) async fn mark(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::MarkVertex>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let m: MarkBody = parse(&body)?;
    let mark = Mark {
        state: Mark::state_of(&m.state)?,
        vertex: m.vertex,
        reason: m.reason,
    };
    app.mark(&who, &mark).await?;
    ok(serde_json::json!({ "vertex": mark.vertex.trim(), "state": m.state }))
}

/// `GET /api/v1/components`: each status-page component's hand-set status, if any.
pub(super) async fn components(Ext(app): Ext<Arc<App>>, Staff(_): Staff) -> Answer {
    let set = app.store.component_statuses().await.map_err(store_error)?;
    let inventory = app.inventory()?;
    let list: Vec<serde_json::Value> = inventory
        .components
        .iter()
        .map(|c| {
            let by_hand = set.iter().find(|s| *s.component == *c.id);
            serde_json::json!({
                "id": c.id.to_string(),
                "name": c.name.to_string(),
                "group": c.group.as_deref(),
                "manual": by_hand.map(|s| serde_json::json!({
                    "status": s.status, "note": s.note, "set_by": s.set_by, "set_at": rfc3339(s.set_ms),
                })),
            })
        })
        .collect();
    ok(serde_json::json!({ "components": list }))
}

/// `POST /api/v1/components/{id}/status`: `{"status": "degraded_performance" |
/// "under_maintenance" | "clear", "note"}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    status: String,
    note: String,
}

pub(super) async fn component_status(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::ComponentStatus>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let s: StatusBody = parse(&body)?;
    app.set_component_status(&who, &id, &s.status, &s.note)
        .await?;
    ok(serde_json::json!({ "component": id, "status": s.status }))
}

fn preferences_json(p: &Preferences) -> serde_json::Value {
    serde_json::json!({
        "contacts": p.contacts,
        "language": p.language,
        "webhook_url": p.webhook_url,
        "webhook_secret_set": p.webhook_secret.is_some(),
        "feed": format!("/account/feed/{}.atom", p.feed_token),
    })
}

/// `GET /api/v1/account/preferences`: the customer's own (the secret never).
pub(super) async fn preferences(Ext(app): Ext<Arc<App>>, who: Customer) -> Answer {
    let p = crate::account::preferences_of(&app, &who.customer)
        .await
        .map_err(|_| ApiError::unavailable("the preferences could not be read"))?;
    ok(preferences_json(&p))
}

/// `PUT /api/v1/account/preferences`: `{"contacts": [...], "language", "webhook_url",
/// "webhook_secret"}`, checked as the client area's form is (messages in English); an
/// absent secret keeps the current one.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreferencesBody {
    #[serde(default)]
    contacts: Vec<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    webhook_url: Option<String>,
    #[serde(default)]
    webhook_secret: Option<String>,
}

pub(super) async fn save_preferences(
    Ext(app): Ext<Arc<App>>,
    who: Customer,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    who.principal.check_csrf(csrf_header(&headers))?;
    let b: PreferencesBody = parse(&body)?;
    let current = crate::account::preferences_of(&app, &who.customer)
        .await
        .map_err(|_| ApiError::unavailable("the preferences could not be read"))?;
    let form = crate::account::preferences::Submitted {
        contacts: b.contacts.join("\n"),
        language: b.language.unwrap_or_default(),
        webhook_url: b.webhook_url.unwrap_or_default(),
        webhook_secret: b.webhook_secret.unwrap_or_default(),
        ..Default::default()
    };
    let texts = crate::account::texts(Language::En);
    let now = app.clock.now_ms();
    let new = crate::account::preferences::validate(
        &form,
        &current,
        texts,
        now,
        app.allow_private_webhooks,
    )
    .map_err(|p| ApiError::bad_request(format!("{}: {}", p.field, p.message)))?;
    let detail = crate::account::preferences::summary(&current, &new);
    app.save_preferences(&who.principal, &new, &detail).await?;
    ok(preferences_json(&new))
}

fn shift_json(s: &tocsin_store::Shift) -> serde_json::Value {
    serde_json::json!({
        "id": s.id,
        "login": s.login,
        "start": rfc3339(s.starts_ms),
        "end": rfc3339(s.ends_ms),
        "lead": s.lead,
        "created_by": s.created_by,
    })
}

/// `GET /api/v1/shifts`: the shifts of the next 14 days, ongoing ones included, by start.
pub(super) async fn shifts(Ext(app): Ext<Arc<App>>, Staff(who): Staff) -> Answer {
    let now = app.clock.now_ms();
    let list = app
        .shifts(&who, now, now + crate::console::SHIFTS_AHEAD_MS)
        .await?;
    let list: Vec<serde_json::Value> = list.iter().map(shift_json).collect();
    ok(serde_json::json!({ "shifts": list }))
}

/// `GET /api/v1/shifts/now`: `{"lead": LOGIN | null, "on_duty": [LOGIN]}`.
pub(super) async fn shifts_now(Ext(app): Ext<Arc<App>>, Staff(who): Staff) -> Answer {
    let duty = app.on_duty(&who, app.clock.now_ms()).await?;
    ok(serde_json::json!({ "lead": duty.lead, "on_duty": duty.on_duty }))
}

/// `POST /api/v1/shifts` (admins): `{"login", "start", "end", "lead": bool}`, times in UTC
/// (`2026-11-22T22:00:00Z`); `201` with the shift, `409` for an overlapping lead shift.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ShiftBody {
    login: String,
    start: String,
    end: String,
    #[serde(default)]
    lead: bool,
}

pub(super) async fn add_shift(
    Ext(app): Ext<Arc<App>>,
    May(who, _): May<act::ManageShifts>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    who.check_csrf(csrf_header(&headers))?;
    let s: ShiftBody = parse(&body)?;
    let shift = NewShift {
        login: s.login,
        starts_ms: parse_utc(&s.start),
        ends_ms: parse_utc(&s.end),
        lead: s.lead,
    };
    let shift = app.add_shift(&who, shift).await?;
    Ok((StatusCode::CREATED, Json(shift_json(&shift))).into_response())
}
