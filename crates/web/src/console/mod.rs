//! The staff console at `/console`: live impact, single points of failure, incidents with
//! public updates and internal notes, vertices marked down or up by hand, what-if before
//! planned work, component statuses and maintenance windows, SLA accounting with recorded
//! outages and credits to decide, the support desk's queue and tickets with canned replies
//! and OS interventions, the sealed envelopes, the outbox and the audit trail.
//!
//! Every page takes the [`Staff`](crate::auth::Staff) extractor; every form handler first
//! checks the role ([`Principal::require`]) and then the form's CSRF token, and shows forms
//! only to roles that may use them. Bad input renders the form again with an error naming the
//! field and stores nothing; a change done redirects (303) to its page with a fixed message.
//! Pages are minijinja templates (`templates/console/`), auto-escaped; the only script is the
//! ticket page's canned-reply picker (`/assets/canned.js`), which the forms do not need.

mod broadcast;
mod components;
mod drills;
mod envelopes;
mod incidents;
mod interventions;
mod logs;
mod overview;
mod shifts;
mod sla;

pub(crate) use shifts::AHEAD_MS as SHIFTS_AHEAD_MS;
mod spof;
mod ticket;
mod tickets;
mod upgrades;
mod vertices;

use std::sync::{Arc, OnceLock};

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use minijinja::{context, Environment, Value};
use serde::Deserialize;

use crate::auth::{Action, Principal, Refusal};
use crate::App;

/// What a console handler answers: a page, or a refusal (`403`, `503`…).
type Page = Result<Response, Refusal>;

/// Every console route.
pub(crate) fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/console", get(overview::page))
        .route("/console/spof", get(spof::page))
        .route("/console/incidents", get(incidents::list))
        .route("/console/incidents/{id}", get(incidents::detail))
        .route("/console/incidents/{id}/updates", post(incidents::post))
        .route(
            "/console/vertices",
            get(vertices::page).post(vertices::mark),
        )
        .route("/console/whatif", get(vertices::what_if))
        .route("/console/components", get(components::page))
        .route("/console/components/status", post(components::set_status))
        .route("/console/maintenance", post(components::plan))
        .route("/console/maintenance/{id}/cancel", post(components::cancel))
        .route(
            "/console/maintenance/{id}/move",
            post(components::reschedule),
        )
        .route(
            "/console/broadcast",
            get(broadcast::page).post(broadcast::send),
        )
        .route("/console/inventory/reload", post(broadcast::reload))
        .route("/console/shifts", get(shifts::page).post(shifts::add))
        .route(
            "/console/upgrades",
            get(upgrades::list).post(upgrades::plan),
        )
        .route("/console/upgrades/{id}", get(upgrades::run))
        .route(
            "/console/upgrades/{id}/steps/{n}/{action}",
            post(upgrades::step),
        )
        .route("/console/drills", get(drills::page).post(drills::plan))
        .route("/console/drills/{id}/results", post(drills::record))
        .route("/console/sla", get(sla::page))
        .route("/console/sla/outages", post(sla::record))
        .route("/console/credits/{id}/approve", post(sla::approve))
        .route("/console/credits/{id}/reject", post(sla::reject))
        .route("/console/tickets", get(tickets::queue).post(tickets::open))
        .route("/console/tickets/{id}", get(ticket::detail))
        .route("/console/tickets/{id}/replies", post(ticket::reply))
        .route("/console/tickets/{id}/status", post(ticket::status))
        .route("/console/tickets/{id}/assign", post(ticket::assign))
        .route("/console/tickets/{id}/triage", post(ticket::triage))
        .route("/console/tickets/{id}/merge", post(ticket::merge))
        .route("/console/tickets/{id}/reveal", post(interventions::reveal))
        .route("/console/tickets/{id}/work", post(interventions::work))
        .route(
            "/console/tickets/{id}/new-credentials",
            post(interventions::give_credentials),
        )
        .route(
            "/console/tickets/{id}/hardware",
            post(interventions::hardware),
        )
        .route(
            "/console/envelopes",
            get(envelopes::page).post(envelopes::seal),
        )
        .route("/console/envelopes/{id}/reseal", post(envelopes::reseal))
        .route("/console/envelopes/{id}/open", post(envelopes::open))
        .route(
            "/console/canned-replies",
            get(tickets::canned).post(tickets::add_canned),
        )
        .route("/assets/canned.js", get(canned_js))
        .route("/console/outbox", get(logs::outbox))
        .route("/console/audit", get(logs::audit))
        .layer(Extension(Arc::new(spof::Cache::default())))
}

/// The console's templates, compiled once.
fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = crate::ui::environment();
        // Times the operations answer in RFC 3339 (the ticket's view) shown like the others.
        env.add_filter("when", |rfc3339: String| {
            tocsin_model::time::parse_utc(&rfc3339).map_or(rfc3339, when)
        });
        for (name, text) in TEMPLATES {
            if let Err(e) = env.add_template(name, text) {
                tracing::error!(template = name, error = %e, "a console template does not compile");
            }
        }
        env
    })
}

const TEMPLATES: [(&str, &str); 22] = [
    (
        "console/broadcast.html",
        include_str!("../../templates/console/broadcast.html"),
    ),
    (
        "console/layout.html",
        include_str!("../../templates/console/layout.html"),
    ),
    (
        "console/overview.html",
        include_str!("../../templates/console/overview.html"),
    ),
    (
        "console/spof.html",
        include_str!("../../templates/console/spof.html"),
    ),
    (
        "console/incidents.html",
        include_str!("../../templates/console/incidents.html"),
    ),
    (
        "console/incident.html",
        include_str!("../../templates/console/incident.html"),
    ),
    (
        "console/vertices.html",
        include_str!("../../templates/console/vertices.html"),
    ),
    (
        "console/whatif.html",
        include_str!("../../templates/console/whatif.html"),
    ),
    (
        "console/components.html",
        include_str!("../../templates/console/components.html"),
    ),
    (
        "console/outbox.html",
        include_str!("../../templates/console/outbox.html"),
    ),
    (
        "console/audit.html",
        include_str!("../../templates/console/audit.html"),
    ),
    (
        "console/shifts.html",
        include_str!("../../templates/console/shifts.html"),
    ),
    (
        "console/upgrades.html",
        include_str!("../../templates/console/upgrades.html"),
    ),
    (
        "console/upgrade.html",
        include_str!("../../templates/console/upgrade.html"),
    ),
    (
        "console/drills.html",
        include_str!("../../templates/console/drills.html"),
    ),
    (
        "console/sla.html",
        include_str!("../../templates/console/sla.html"),
    ),
    (
        "console/tickets.html",
        include_str!("../../templates/console/tickets.html"),
    ),
    (
        "console/ticket.html",
        include_str!("../../templates/console/ticket.html"),
    ),
    (
        "console/canned.html",
        include_str!("../../templates/console/canned.html"),
    ),
    (
        "console/intervention.html",
        include_str!("../../templates/console/intervention.html"),
    ),
    (
        "console/envelopes.html",
        include_str!("../../templates/console/envelopes.html"),
    ),
    (
        "console/secret.html",
        include_str!("../../templates/console/secret.html"),
    ),
];

/// The canned-reply picker of a ticket's page: the one script of the console, served from
/// here because the pages' policy allows no inline script.
const CANNED_JS: &str = include_str!("../../templates/console/canned.js");

/// `GET /assets/canned.js`.
async fn canned_js() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        CANNED_JS,
    )
}

/// What every console page shows: who is logged in, the CSRF token for its forms, which
/// section it is, which actions the role may take, and a message after a change.
fn frame(who: &Principal, section: &str, done: Option<&str>) -> Value {
    let may = |a: Action| who.role.may(a);
    context! {
        who => who.login,
        role => who.role.as_str(),
        csrf => who.csrf(),
        section,
        flash => done.and_then(flash),
        may => context! {
            note => may(Action::Note),
            mark => may(Action::MarkVertex),
            publish => may(Action::PublicUpdate),
            component_status => may(Action::ComponentStatus),
            maintenance => may(Action::Maintenance),
            broadcast => may(Action::Broadcast),
            reload => may(Action::Reload),
            shifts => may(Action::ManageShifts),
            upgrade => may(Action::Upgrade),
            plan_drill => may(Action::PlanDrill),
            drill_result => may(Action::DrillResult),
            record_outage => may(Action::RecordOutage),
            decide_credit => may(Action::DecideCredit),
            answer_ticket => may(Action::AnswerTicket),
            assign_ticket => may(Action::AssignTicket),
            canned_replies => may(Action::CannedReplies),
            intervene => may(Action::Intervene),
            seal_envelope => may(Action::SealEnvelope),
            open_envelope => may(Action::OpenEnvelope),
        },
    }
}

/// Renders `name` with the frame and the page's own values.
fn render(name: &str, frame: Value, page: Value, status: StatusCode) -> Response {
    let ctx = context! { ..frame, ..page };
    if status == StatusCode::OK {
        crate::ui::render(env(), name, ctx)
    } else {
        crate::ui::render_with(env(), name, ctx, status)
    }
}

/// `?done=…` after a redirect: which change was made, from a fixed list so that a link can
/// never put words of its own on a console page.
#[derive(Deserialize, Default)]
pub(crate) struct Done {
    #[serde(default)]
    done: Option<String>,
}

fn flash(code: &str) -> Option<&'static str> {
    Some(match code {
        "update" => "Public update published.",
        "note" => "Internal note added.",
        "down" => "Vertex marked down.",
        "degraded" => "Vertex marked degraded.",
        "up" => "Manual mark lifted.",
        "status" => "Component status set.",
        "cleared" => "Component status cleared.",
        "planned" => "Maintenance window planned.",
        "cancelled" => "Maintenance window cancelled.",
        "moved" => "Maintenance window moved.",
        "broadcast" => "Broadcast queued: every customer's contacts will get it.",
        "reloaded" => "Inventory reloaded.",
        "shift" => "Shift planned.",
        "upgrade.plan" => "Upgrade planned.",
        "upgrade.drain" => "Member drained: marked down until it returns.",
        "upgrade.upgrade" => "Upgrade of the member recorded.",
        "upgrade.verify" => "Verification of the member recorded.",
        "upgrade.return" => "Member returned: its mark is lifted.",
        "drill" => "Drill planned.",
        "drill_result" => "Drill result recorded.",
        "outage" => "Outage recorded: the month's account counts it.",
        "credit.approved" => "Credit approved: it goes to billing.",
        "credit.rejected" => "Credit rejected.",
        "ticket.open" => "Ticket opened: the customer's contacts are told.",
        "ticket.reply" => "Reply sent to the customer.",
        "ticket.status" => "Status set.",
        "ticket.assign" => "Ticket assigned.",
        "ticket.triage" => "Ticket triaged.",
        "ticket.merge" => "Ticket merged into this one.",
        "canned" => "Canned reply saved.",
        "ticket.work" => "Work logged on the customer's timeline.",
        "ticket.credentials" => {
            "New credentials given: the customer reads them once in the client area."
        }
        "ticket.hardware" => "Hardware ticket opened for the fault.",
        "envelope.sealed" => "Envelope sealed.",
        "envelope.resealed" => "Envelope resealed with the new secret.",
        _ => return None,
    })
}

/// After a change: back to `to` with its message.
fn done(to: &str, code: &str) -> Response {
    Redirect::to(&format!("{to}?done={code}")).into_response()
}

/// A database failure as a refusal (`503`), logged once here.
fn unavailable(e: tocsin_store::StoreError) -> Refusal {
    tracing::warn!(error = %e, "console: database request failed");
    Refusal::Unavailable(e.to_string())
}

/// An instant for staff: `2026-11-22 10:00 UTC`.
/// The ids typed in one text field, separated by spaces, commas or lines.
fn ids(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

fn when(ms: i64) -> String {
    crate::status::time::human(ms)
}

#[cfg(test)]
mod tests;
