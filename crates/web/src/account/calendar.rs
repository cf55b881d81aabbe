//! `GET /account/maintenance/{token}.ics`: a customer's private calendar of the maintenance
//! windows that concern them (RFC 5545), with the same token as their private feed, since
//! calendars cannot log in either. Each event says which of the customer's own services the
//! work takes down, by id and name, and nothing of the provider's topology. It is written by
//! the public calendar's writer (`status::feeds::calendar`): the same folding, escaping,
//! `SEQUENCE` and cancelled events kept 30 days after their end.

use std::sync::Arc;

use axum::extract::{Path, State as Ext};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, REFERRER_POLICY};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tocsin_store::AccountStore;

use super::i18n::{self, Texts};
use super::view::{self, WindowView};
use super::{customer_by_token, language, unavailable, windows_of};
use crate::status::feeds::{calendar, CalendarEvent};
use crate::App;

/// The event of window `w` in `customer`'s calendar, in the words of `t`.
fn event(w: &WindowView, customer: &str, t: &Texts) -> CalendarEvent {
    let mut description = w.body.clone();
    if !w.services.is_empty() {
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(if w.down { t.will_be_down } else { t.concerned });
        description.push(':');
        for s in &w.services {
            description.push_str("\n- ");
            description.push_str(&s.name);
            if s.name != s.id {
                description.push_str(&format!(" ({})", s.id));
            }
        }
    }
    if !w.local.is_empty() {
        description.push_str(&format!("\n\n{}\n{}", w.utc, w.local));
    }
    CalendarEvent {
        // Not the public calendar's UID: this event says more (the customer's services), and
        // a calendar subscribed to both must keep them apart.
        uid: format!("maintenance-{}.{customer}@tocsin", w.id),
        summary: if w.cancelled() {
            format!("{}: {}", t.cancelled, w.title)
        } else {
            w.title.clone()
        },
        description,
        cancelled: w.cancelled(),
        created_ms: w.created_ms,
        updated_ms: w.updated_ms,
        sequence: w.sequence,
        starts_ms: w.starts_ms,
        ends_ms: w.ends_ms,
    }
}

/// `customer`'s calendar, named after them (`name`), of `windows` (those that concern them),
/// written at `now_ms`.
pub(super) fn ics(
    name: &str,
    customer: &str,
    windows: &[WindowView],
    t: &Texts,
    now_ms: i64,
) -> String {
    let events: Vec<CalendarEvent> = windows.iter().map(|w| event(w, customer, t)).collect();
    calendar(&format!("{name}: {}", t.maintenance_entry), now_ms, &events)
}

/// `GET /account/maintenance/{token}.ics`.
pub(crate) async fn ics_of(
    Ext(app): Ext<Arc<App>>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    let (customer, _) = match customer_by_token(&app, &file, ".ics").await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let preferences = match app.store.preferences(&customer).await {
        Ok(p) => p,
        Err(e) => return unavailable(e),
    };
    let t = i18n::texts(language(preferences.as_ref(), &headers));
    let Ok(inventory) = app.inventory() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response();
    };
    let now = app.clock.now_ms();
    let windows = match windows_of(&app, &inventory, &customer, now).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    let name = view::customer_name(&inventory, &customer);
    (
        [
            (CONTENT_TYPE, "text/calendar; charset=utf-8"),
            // Private to whoever holds the token: never kept by a shared cache.
            (CACHE_CONTROL, "private, max-age=60"),
            (REFERRER_POLICY, "no-referrer"),
        ],
        ics(&name, &customer, &windows, t, now),
    )
        .into_response()
}
