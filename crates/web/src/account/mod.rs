//! The client area `/account`: a customer's services with their live state, the incidents
//! that concern them (their own services and the public updates only), their notification
//! preferences, a private Atom feed of their incidents and maintenance windows, a private
//! calendar of those windows, their services' monthly availability with the compensation
//! they choose, the e-mails sent to their contacts as archived, and their support tickets
//! with the OS interventions they authorise.
//!
//! Every page takes the [`Customer`] extractor, so an anonymous visitor is sent to the login
//! form and staff are refused before a handler runs; the customer id comes from the session,
//! never from the request. Whether an incident concerns the customer is decided in
//! `view::concerns`, and an incident that does not is answered exactly like one that does not
//! exist.

mod calendar;
mod feed;
mod i18n;
mod intervention_panel;
mod intervention_texts;
mod interventions;
#[cfg(test)]
mod mail_tests;
mod messages;
mod pages;
pub(crate) mod preferences;
mod sla;
#[cfg(test)]
mod sla_tests;
mod sla_texts;
#[cfg(test)]
mod tests;
mod ticket_texts;
mod tickets;
mod view;
#[cfg(test)]
mod window_tests;

use std::sync::{Arc, OnceLock};

use axum::extract::DefaultBodyLimit;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use minijinja::Environment;
use tocsin_model::inventory::Language;
use tocsin_model::Inventory;
use tocsin_store::{AccountStore, MaintenanceStore, Preferences};

use crate::auth::{secrets, Principal};
use crate::App;

pub(crate) use crate::auth::Customer;
pub(crate) use i18n::texts;

/// The client area's routes.
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/account", get(pages::overview))
        .route("/account/incidents/{id}", get(pages::incident))
        .route(
            "/account/preferences",
            get(preferences::form).post(preferences::submit),
        )
        .route("/account/sla", get(sla::page))
        .route(
            "/account/tickets",
            get(tickets::list)
                .post(tickets::create)
                .layer(DefaultBodyLimit::max(tickets::FORM_LIMIT)),
        )
        .route("/account/tickets/new", get(tickets::new))
        .route(
            "/account/tickets/intervention",
            get(interventions::form).post(interventions::submit),
        )
        .route("/account/tickets/{id}/revoke", post(interventions::revoke))
        .route(
            "/account/tickets/{id}/new-credentials",
            post(interventions::read_new),
        )
        .route("/account/tickets/{id}", get(tickets::detail))
        .route("/account/tickets/{id}/replies", post(tickets::reply))
        .route("/account/tickets/{id}/status", post(tickets::status))
        .route("/account/tickets/{id}/rating", post(tickets::rating))
        .route(
            "/account/tickets/{id}/attachments/{*key}",
            get(tickets::attachment),
        )
        .route("/account/credits/{id}/choice", post(sla::choose))
        .route("/account/messages/{id}", get(messages::message))
        .route("/account/feed/{file}", get(feed::atom))
        .route("/account/maintenance/{file}", get(calendar::ics_of))
}

/// The templates, compiled once.
fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = crate::ui::environment();
        for (name, text) in [
            (
                "account/overview.html",
                include_str!("../../templates/account/overview.html"),
            ),
            (
                "account/incident.html",
                include_str!("../../templates/account/incident.html"),
            ),
            (
                "account/preferences.html",
                include_str!("../../templates/account/preferences.html"),
            ),
            (
                "account/sla.html",
                include_str!("../../templates/account/sla.html"),
            ),
            (
                "account/credit_missing.html",
                include_str!("../../templates/account/credit_missing.html"),
            ),
            (
                "account/tickets.html",
                include_str!("../../templates/account/tickets.html"),
            ),
            (
                "account/ticket.html",
                include_str!("../../templates/account/ticket.html"),
            ),
            (
                "account/ticket_new.html",
                include_str!("../../templates/account/ticket_new.html"),
            ),
            (
                "account/intervention_new.html",
                include_str!("../../templates/account/intervention_new.html"),
            ),
            (
                "account/new_credentials.html",
                include_str!("../../templates/account/new_credentials.html"),
            ),
            (
                "account/missing.html",
                include_str!("../../templates/account/missing.html"),
            ),
            (
                "account/feed.xml",
                include_str!("../../templates/account/feed.xml"),
            ),
        ] {
            if let Err(e) = env.add_template(name, text) {
                tracing::error!(template = name, error = %e, "a client area template does not compile");
            }
        }
        env
    })
}

/// The language of a customer's pages: the notice language they chose, else the browser's.
fn language(preferences: Option<&Preferences>, headers: &HeaderMap) -> Language {
    if let Some(l) = preferences
        .and_then(|p| p.language.as_deref())
        .and_then(Language::from_code)
    {
        return l;
    }
    let accept = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    crate::status::negotiate(None, accept)
}

/// What every page of the area says around its content: the language, its words and who is
/// logged in, with the token the log-out form carries.
fn frame(l: Language, who: &Principal) -> minijinja::Value {
    minijinja::context! {
        lang => l.code(),
        t => i18n::texts(l),
        who => who.login,
        csrf => who.csrf(),
    }
}

/// Renders a page of the area. Its pages link to the private feed, whose address is its
/// token: the headers layer's `Referrer-Policy: same-origin` keeps it from other sites, while
/// the browser still names our own origin on the forms' posts, which the origin check needs
/// (`no-referrer` made Chromium send `Origin: null` and the save was refused).
fn render(name: &str, ctx: minijinja::Value, status: StatusCode) -> Response {
    crate::ui::render_with(env(), name, ctx, status)
}

/// The area's 404: what is not there, or not the customer's, in the customer's language.
fn not_found(l: Language, who: &Principal) -> Response {
    render("account/missing.html", frame(l, who), StatusCode::NOT_FOUND)
}

/// The database could not answer.
fn unavailable(e: tocsin_store::StoreError) -> Response {
    tracing::warn!(error = %e, "client area: database request failed");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "the database cannot be reached; try again in a moment",
    )
        .into_response()
}

/// A customer's preferences; on their first visit, empty ones (the inventory's values apply)
/// with a new private feed token, so that the feed can be linked at once.
pub(crate) async fn preferences_of(app: &App, customer: &str) -> Result<Preferences, Response> {
    if let Some(p) = app.store.preferences(customer).await.map_err(unavailable)? {
        return Ok(p);
    }
    let fresh = Preferences {
        feed_token: secrets::random_token().map_err(|e| {
            tracing::error!(error = %e, "no randomness for a feed token");
            (StatusCode::SERVICE_UNAVAILABLE, "no randomness available").into_response()
        })?,
        updated_ms: app.clock.now_ms(),
        ..Preferences::default()
    };
    app.store
        .set_preferences(customer, &fresh)
        .await
        .map_err(unavailable)?;
    Ok(fresh)
}

/// A private token is 64 hex digits; anything else is not looked up.
const TOKEN_LEN: usize = 64;

/// The answer to a private address that names no customer.
fn no_such_feed() -> Response {
    (StatusCode::NOT_FOUND, "no such feed\n").into_response()
}

/// The customer whose private token names `file` (`TOKEN.ext`), and the token. Feed readers
/// and calendars cannot log in, so the unguessable token (made in the preferences) is the
/// credential of both the feed and the calendar; an unknown one is a 404 like any other
/// missing page.
async fn customer_by_token(app: &App, file: &str, ext: &str) -> Result<(String, String), Response> {
    let Some(token) = file
        .strip_suffix(ext)
        .filter(|t| t.len() == TOKEN_LEN && t.bytes().all(|b| b.is_ascii_hexdigit()))
    else {
        return Err(no_such_feed());
    };
    match app.store.customer_by_feed_token(token).await {
        Ok(Some(c)) => Ok((c, token.to_owned())),
        Ok(None) => Err(no_such_feed()),
        Err(e) => Err(unavailable(e)),
    }
}

/// The maintenance windows that concern `customer`, as they see them at `now_ms`, by start:
/// every one a calendar keeps (ending in the last 30 days or later), cancelled ones included.
async fn windows_of(
    app: &App,
    inventory: &Inventory,
    customer: &str,
    now_ms: i64,
) -> Result<Vec<view::WindowView>, Response> {
    let stored = app
        .store
        .maintenances(now_ms - crate::status::feeds::KEPT_MS)
        .await
        .map_err(unavailable)?;
    let times = |starts_ms, ends_ms| {
        let w = tocsin_app::planned::window_times(starts_ms, ends_ms, &app.time_zone);
        (w.utc, w.local)
    };
    let own = view::customer_number(inventory, customer)
        .map(|c| view::service_vertices(inventory, c))
        .unwrap_or_default();
    Ok(stored
        .iter()
        .filter_map(|m| view::window(inventory, m, customer, &own, &times, now_ms))
        .collect())
}

/// The calendar's address beside the feed's: the same token.
fn calendar_path(token: &str) -> String {
    format!("/account/maintenance/{token}.ics")
}
