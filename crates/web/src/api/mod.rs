//! The JSON API under `/api/v1/` for staff and customers' scripts: every action the console
//! and the client area offer has its twin here, calling the same operation of the running
//! system (same role check, same audit entry), with `Authorization: Bearer TOKEN` or a
//! session plus `X-CSRF-Token`. Reads are in `reads`, actions in `actions`.

mod actions;
mod drills;
pub(crate) mod help;
mod interventions;
mod maintenance;
mod reads;
mod sla;
mod tickets;
mod upgrades;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use axum::Router;

use crate::error::ApiError;
use crate::App;

/// The largest JSON body that carries files (base64 makes 25 MiB of files ~34 MiB).
const FILES_BODY: usize = 36 << 20;

/// The staff and customer JSON API's routes (the alert endpoints are in `routes`).
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v1/alerts/unmatched", get(reads::unmatched))
        .route("/api/v1/impact", get(reads::impact))
        .route("/api/v1/whatif", get(actions::what_if))
        .route("/api/v1/incidents", get(reads::incidents))
        .route("/api/v1/incidents/{id}", get(reads::incident))
        .route("/api/v1/incidents/{id}/updates", post(actions::add_update))
        .route("/api/v1/marks", get(actions::marks).post(actions::mark))
        .route("/api/v1/components", get(actions::components))
        .route(
            "/api/v1/components/{id}/status",
            post(actions::component_status),
        )
        .route(
            "/api/v1/maintenance",
            get(maintenance::list).post(maintenance::plan),
        )
        .route("/api/v1/maintenance/{id}", get(maintenance::one))
        .route(
            "/api/v1/maintenance/{id}/move",
            post(maintenance::reschedule),
        )
        .route("/api/v1/maintenance/{id}/cancel", post(maintenance::cancel))
        .route(
            "/api/v1/shifts",
            get(actions::shifts).post(actions::add_shift),
        )
        .route("/api/v1/shifts/now", get(actions::shifts_now))
        .route("/api/v1/upgrades", get(upgrades::list).post(upgrades::plan))
        .route("/api/v1/upgrades/{id}", get(upgrades::one))
        .route(
            "/api/v1/upgrades/{id}/steps/{n}/{action}",
            post(upgrades::step),
        )
        .route("/api/v1/drills", get(drills::list).post(drills::plan))
        .route("/api/v1/drills/{id}/results", post(drills::record))
        .route("/api/v1/sla", get(sla::report))
        .route(
            "/api/v1/outages",
            get(sla::outages).post(sla::record_outage),
        )
        .route("/api/v1/credits", get(sla::credits))
        .route("/api/v1/credits/{id}/approve", post(sla::approve))
        .route("/api/v1/credits/{id}/reject", post(sla::reject))
        .route("/api/v1/account/sla", get(sla::account_report))
        .route("/api/v1/account/credits", get(sla::account_credits))
        .route("/api/v1/account/credits/{id}/choice", post(sla::choose))
        .route(
            "/api/v1/tickets",
            get(tickets::list)
                .post(tickets::open)
                .layer(DefaultBodyLimit::max(FILES_BODY)),
        )
        .route("/api/v1/tickets/queue", get(tickets::queue))
        .route("/api/v1/tickets/{id}", get(tickets::one))
        .route(
            "/api/v1/tickets/{id}/replies",
            post(tickets::reply).layer(DefaultBodyLimit::max(FILES_BODY)),
        )
        .route("/api/v1/tickets/{id}/status", post(tickets::status))
        .route("/api/v1/tickets/{id}/rating", post(tickets::rating))
        .route("/api/v1/tickets/{id}/assign", post(tickets::assign))
        .route("/api/v1/tickets/{id}/triage", post(tickets::triage))
        .route("/api/v1/tickets/{id}/merge", post(tickets::merge))
        .route(
            "/api/v1/tickets/{id}/credentials/reveal",
            post(interventions::reveal),
        )
        .route(
            "/api/v1/tickets/{id}/authorisation",
            delete(interventions::revoke),
        )
        .route("/api/v1/tickets/{id}/work", post(interventions::work))
        .route(
            "/api/v1/tickets/{id}/new-credentials",
            get(interventions::read_credentials).post(interventions::give_credentials),
        )
        .route(
            "/api/v1/tickets/{id}/hardware",
            post(interventions::hardware),
        )
        .route(
            "/api/v1/envelopes",
            get(interventions::envelopes).post(interventions::seal),
        )
        .route(
            "/api/v1/envelopes/{id}/open",
            post(interventions::open_envelope),
        )
        .route("/api/v1/envelopes/{id}/reseal", post(interventions::reseal))
        .route(
            "/api/v1/tickets/{id}/attachments/{*key}",
            get(tickets::attachment),
        )
        .route(
            "/api/v1/canned-replies",
            get(tickets::canned).post(tickets::add_canned),
        )
        .route("/api/v1/outbox", get(reads::outbox))
        .route("/api/v1/broadcasts", post(actions::broadcast))
        .route(
            "/api/v1/account/preferences",
            get(actions::preferences).put(actions::save_preferences),
        )
        .route("/demo/outbox", get(reads::demo_outbox))
        .route("/metrics", get(reads::metrics))
        .route("/api/v1/inventory/reload", post(actions::reload))
}

/// A database failure as an API error (`503`), logged once here.
fn store_error(e: tocsin_store::StoreError) -> ApiError {
    tracing::warn!(error = %e, "database request failed");
    ApiError::unavailable(e.to_string())
}
