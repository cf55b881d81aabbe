//! `GET /account/feed/{token}.atom`: a customer's private Atom feed of the incidents that
//! concern them, with their services and the public updates only, and of the maintenance
//! windows that concern them (one entry each, updated when the window is moved or cancelled,
//! linking to their calendar). Feed readers cannot log in, so the unguessable token (made in
//! the preferences) is the credential; an unknown one is a 404 like any other missing page.

use std::sync::Arc;

use axum::extract::{Path, State as Ext};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, REFERRER_POLICY};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use tocsin_store::{AccountStore, IncidentStore};

use super::view::{self, xml_safe, IncidentView};
use super::{calendar_path, customer_by_token, env, i18n, language, unavailable, windows_of};
use crate::status::time::rfc3339;
use crate::App;

/// How many of the customer's latest incidents the feed carries.
const ENTRIES: i64 = 50;

/// `GET /account/feed/{token}.atom`.
pub(crate) async fn atom(
    Ext(app): Ext<Arc<App>>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Response {
    let (customer, token) = match customer_by_token(&app, &file, ".atom").await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let preferences = match app.store.preferences(&customer).await {
        Ok(p) => p,
        Err(e) => return unavailable(e),
    };
    let l = language(preferences.as_ref(), &headers);
    let t = i18n::texts(l);
    let rows = match app.store.customer_incidents(&customer, ENTRIES).await {
        Ok(rows) => rows,
        Err(e) => return unavailable(e),
    };
    let Ok(inventory) = app.inventory() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response();
    };
    let now = app.clock.now_ms();
    let mut incidents: Vec<IncidentView> = Vec::with_capacity(rows.len());
    for row in &rows {
        let updates = match app.store.updates(row.id).await {
            Ok(u) => u,
            Err(e) => return unavailable(e),
        };
        if let Some(mut i) = view::incident(&inventory, row, &updates, &customer, l, now) {
            i.title = xml_safe(&i.title);
            for u in &mut i.updates {
                u.body = xml_safe(&u.body);
            }
            incidents.push(i);
        }
    }
    let mut windows = match windows_of(&app, &inventory, &customer, now).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    for w in &mut windows {
        w.title = xml_safe(&w.title);
        w.body = xml_safe(&w.body);
    }
    let name = view::customer_name(&inventory, &customer);
    let base = app
        .public_url
        .as_deref()
        .unwrap_or("")
        .trim_end_matches('/')
        .to_owned();
    // RFC 3339 in UTC, all of one width: they sort as the instants do.
    let updated = incidents
        .iter()
        .map(|i| i.updated_iso.clone())
        .chain(windows.iter().map(|w| w.updated_iso.clone()))
        .max()
        .unwrap_or_else(|| rfc3339(preferences.as_ref().map_or(0, |p| p.updated_ms)));
    let ctx = minijinja::context! {
        lang => l.code(),
        t,
        name => xml_safe(&name),
        provider => "Tocsin",
        feed_id => format!("urn:tocsin:account:{}", xml_safe(&customer)),
        self_href => format!("{base}/account/feed/{token}.atom"),
        calendar_href => format!("{base}{}", calendar_path(&token)),
        base,
        updated,
        incidents,
        windows,
    };
    match env()
        .get_template("account/feed.xml")
        .and_then(|t| t.render(ctx))
    {
        Ok(xml) => (
            [
                (CONTENT_TYPE, "application/atom+xml; charset=utf-8"),
                // Private to whoever holds the token: never kept by a shared cache.
                (CACHE_CONTROL, "private, max-age=60"),
                (REFERRER_POLICY, "no-referrer"),
            ],
            xml,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "the private feed template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "feed template failed").into_response()
        }
    }
}
