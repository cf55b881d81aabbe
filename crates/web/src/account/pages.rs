//! `GET /account` (the customer's services with their live state, open incidents concerning
//! them first, then resolved ones, then the maintenance windows ahead that concern them) and
//! `GET /account/incidents/{id}` (one of their incidents with its public timeline; anything
//! else is a 404).

use std::sync::Arc;

use axum::extract::{Path, State as Ext};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use tocsin_model::{Inventory, State};
use tocsin_store::{AccountStore, IncidentStore};

use super::view::{self, IncidentView, ServiceView};
use super::{
    calendar_path, frame, i18n, language, not_found, preferences_of, render, unavailable,
    windows_of, Customer,
};
use crate::App;

/// How many of a customer's latest incidents the overview looks at.
const LOOKED_AT: i64 = 50;
/// How many resolved incidents it lists.
const RESOLVED_LISTED: usize = 20;

/// The inventory now, the customer's display name and their services with their states.
///
/// The services are found outside the live lock (a scan of the inventory), and their states
/// read under it, briefly; an inventory switched in between is read again.
fn live_services(
    app: &App,
    customer: &str,
    t: &'static i18n::Texts,
) -> Option<(Arc<Inventory>, String, Vec<ServiceView>)> {
    for _ in 0..3 {
        let inventory = app.inventory().ok()?;
        let number = view::customer_number(&inventory, customer);
        let name = number
            .and_then(|c| inventory.customers.get(c as usize))
            .map_or_else(|| customer.to_owned(), |c| c.name.to_string());
        let vertices = number
            .map(|c| view::service_vertices(&inventory, c))
            .unwrap_or_default();
        let states: Option<Vec<State>> = app
            .read(|live| {
                Arc::ptr_eq(&live.inventory, &inventory)
                    .then(|| vertices.iter().map(|&v| live.impact.state(v)).collect())
            })
            .ok()?;
        let Some(states) = states else {
            continue;
        };
        let services = view::services(&inventory, &vertices, &states, t);
        return Some((inventory, name, services));
    }
    None
}

/// `GET /account`.
pub(crate) async fn overview(
    Ext(app): Ext<Arc<App>>,
    Customer {
        principal,
        customer,
    }: Customer,
    headers: HeaderMap,
) -> Response {
    let preferences = match preferences_of(&app, &customer).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let l = language(Some(&preferences), &headers);
    let t = i18n::texts(l);
    let Some((inventory, name, services)) = live_services(&app, &customer, t) else {
        return busy();
    };
    let rows = match app.store.customer_incidents(&customer, LOOKED_AT).await {
        Ok(rows) => rows,
        Err(e) => return unavailable(e),
    };
    let now = app.clock.now_ms();
    let (mut open, mut resolved): (Vec<IncidentView>, Vec<IncidentView>) = rows
        .iter()
        .filter_map(|row| view::incident(&inventory, row, &[], &customer, l, now))
        .partition(|i| i.open);
    // Oldest open incident first: it has lasted longest.
    open.sort_by_key(|i| i.id);
    resolved.truncate(RESOLVED_LISTED);
    let mut maintenance = match windows_of(&app, &inventory, &customer, now).await {
        Ok(w) => w,
        Err(r) => return r,
    };
    maintenance.retain(view::WindowView::upcoming);
    let degraded = services.iter().any(|s| s.state == "degraded");
    render(
        "account/overview.html",
        minijinja::context! {
            name,
            services,
            degraded,
            open,
            resolved,
            maintenance,
            feed => format!("/account/feed/{}.atom", preferences.feed_token),
            calendar => calendar_path(&preferences.feed_token),
            ..frame(l, &principal)
        },
        StatusCode::OK,
    )
}

/// `GET /account/incidents/{id}`: only an incident in which one of the customer's services
/// was hit; any other id, existing or not, is the same 404.
pub(crate) async fn incident(
    Ext(app): Ext<Arc<App>>,
    Customer {
        principal,
        customer,
    }: Customer,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let preferences = match app.store.preferences(&customer).await {
        Ok(p) => p,
        Err(e) => return unavailable(e),
    };
    let l = language(preferences.as_ref(), &headers);
    let missing = || not_found(l, &principal);
    let Ok(id) = id.parse::<i64>() else {
        return missing();
    };
    let row = match app.store.incident(id).await {
        Ok(Some(row)) if view::concerns(&row, &customer) => row,
        Ok(_) => return missing(),
        Err(e) => return unavailable(e),
    };
    let updates = match app.store.updates(id).await {
        Ok(u) => u,
        Err(e) => return unavailable(e),
    };
    let Ok(inventory) = app.inventory() else {
        return busy();
    };
    let Some(incident) =
        view::incident(&inventory, &row, &updates, &customer, l, app.clock.now_ms())
    else {
        return missing();
    };
    render(
        "account/incident.html",
        minijinja::context! { incident, ..frame(l, &principal) },
        StatusCode::OK,
    )
}

/// The live state could not be read (poisoned, or switched repeatedly).
fn busy() -> Response {
    use axum::response::IntoResponse;
    (
        StatusCode::SERVICE_UNAVAILABLE,
        "the live state cannot be read; try again in a moment",
    )
        .into_response()
}
