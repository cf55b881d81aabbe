//! `/console/outbox` (notices by state and the latest ones) and `/console/audit` (who did what
//! by hand, newest first, optionally about one target). Every role may read them, so
//! customers' webhook URLs show masked (`crate::mask`): the URL is the webhook's credential.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use minijinja::{context, Value};
use serde::Deserialize;
use tocsin_store::{AccountStore, IncidentStore};

use super::{frame, render, unavailable, when, Page};
use crate::auth::{Action, Staff};
use crate::mask::{mask_contact, mask_urls};
use crate::App;

/// How many notices and audit entries a page lists.
const LATEST: i64 = 200;

/// `GET /console/outbox`.
pub(super) async fn outbox(State(app): State<Arc<App>>, Staff(who): Staff) -> Page {
    who.require(Action::View)?;
    let counts = app.store.outbox_counts().await.map_err(unavailable)?;
    let notices: Vec<Value> = app
        .store
        .notices(LATEST)
        .await
        .map_err(unavailable)?
        .into_iter()
        .map(|(row, state, error)| {
            let n = row.notice;
            context! {
                id => row.id,
                // Broadcasts and staff notices belong to no incident (0).
                incident => (n.incident_id > 0).then_some(n.incident_id),
                kind => n.kind,
                customer => Some(n.customer).filter(|c| !c.is_empty()),
                contact => mask_contact(&n.contact),
                state,
                attempts => row.attempts,
                // A failed delivery names the webhook's URL.
                error => error.as_deref().map(mask_urls),
            }
        })
        .collect();
    Ok(render(
        "console/outbox.html",
        frame(&who, "outbox", None),
        context! { heading => "Outbox", counts, notices },
        StatusCode::OK,
    ))
}

#[derive(Deserialize, Default)]
pub(super) struct AuditQuery {
    #[serde(default)]
    target: Option<String>,
}

/// `GET /console/audit`.
pub(super) async fn audit(
    State(app): State<Arc<App>>,
    Staff(who): Staff,
    Query(q): Query<AuditQuery>,
) -> Page {
    who.require(Action::View)?;
    let target = q
        .target
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    let entries: Vec<Value> = app
        .store
        .audit_log(LATEST, target.as_deref())
        .await
        .map_err(unavailable)?
        .into_iter()
        .map(|e| {
            context! {
                at => when(e.at_ms),
                actor => e.actor,
                action => e.action,
                // A customer's preferences are audited with their webhook's URL.
                target => mask_urls(&e.target),
                detail => mask_urls(&e.detail),
            }
        })
        .collect();
    Ok(render(
        "console/audit.html",
        frame(&who, "audit", None),
        context! { heading => "Audit trail", entries, target },
        StatusCode::OK,
    ))
}
