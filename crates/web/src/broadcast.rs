//! Mass mail for a global problem: staff's message to every contact of every customer, queued
//! durably in one transaction and sent by its own worker at a bounded rate, apart from
//! incident notices.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State as Ext;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use tocsin_model::Inventory;
use tocsin_store::{IncidentStore, NewBroadcast, NewNotice};
use tokio::sync::watch;

use crate::error::ApiError;
use crate::notices::Payload;
use crate::outbox::{run_batch, Shared, LEASE_MS};
use crate::recipients::Recipients;
use crate::routes::store_error;
use crate::{wire, App};

/// Longest subject accepted, in characters.
const MAX_SUBJECT: usize = 200;
/// Longest text accepted, in bytes.
const MAX_BODY: usize = 64 * 1024;

/// `POST /api/v1/broadcasts`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    subject: String,
    body: String,
    #[serde(default)]
    incident: Option<i64>,
}

pub(crate) async fn post(
    Ext(app): Ext<Arc<App>>,
    crate::auth::May(who, _): crate::auth::May<crate::auth::act::Broadcast>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    who.check_csrf(crate::routes::csrf_header(&headers))?;
    let request: Request = wire::parse(&body).map_err(ApiError::bad_request)?;
    if request.subject.trim().is_empty() || request.subject.chars().count() > MAX_SUBJECT {
        return Err(ApiError::bad_request(format!(
            "subject: needs between 1 and {MAX_SUBJECT} characters"
        )));
    }
    if request.body.trim().is_empty() || request.body.len() > MAX_BODY {
        return Err(ApiError::bad_request(format!(
            "body: needs between 1 and {MAX_BODY} bytes of text"
        )));
    }
    if let Some(id) = request.incident {
        if app.store.incident(id).await.map_err(store_error)?.is_none() {
            return Err(ApiError::not_found(format!("incident: no incident {id}")));
        }
    }
    let (inventory, recipients) = match app.live.lock() {
        Ok(live) => (
            Arc::clone(&live.inventory),
            live.incidents.recipients().clone(),
        ),
        Err(_) => return Err(ApiError::unavailable("internal state poisoned")),
    };
    let now_ms = app.clock.now_ms();
    let notices = notices(
        &inventory,
        &recipients,
        &request.subject,
        &request.body,
        now_ms,
    );
    let (id, queued) = app
        .store
        .broadcast(
            &NewBroadcast {
                incident_id: request.incident,
                subject: request.subject,
                body: request.body,
                created_ms: now_ms,
            },
            &notices,
        )
        .await
        .map_err(store_error)?;
    app.metrics
        .queued
        .fetch_add(queued, std::sync::atomic::Ordering::Relaxed);
    tracing::info!(broadcast = id, queued, "broadcast queued");
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "id": id, "queued": queued })),
    ))
}

/// One notice per contact of every customer (the store keeps one per address): the contacts
/// and language a customer chose, else the inventory's.
fn notices(
    inventory: &Inventory,
    recipients: &Recipients,
    subject: &str,
    body: &str,
    now_ms: i64,
) -> Vec<NewNotice> {
    let mut out = Vec::new();
    for (c, customer) in inventory.customers.iter().enumerate() {
        let payload = Payload {
            title: subject.to_owned(),
            customer_name: customer.name.to_string(),
            services: Vec::new(),
            body: body.to_owned(),
            at_risk: 0,
        };
        let payload = serde_json::to_string(&payload).unwrap_or_default();
        let id = inventory.customer_id(c as u32);
        for (email, language) in recipients.mail(inventory, c as u32) {
            out.push(NewNotice {
                incident_id: 0,
                customer: id.to_owned(),
                contact: email,
                language: language.code().to_owned(),
                kind: "broadcast".to_owned(),
                payload: payload.clone(),
                created_ms: now_ms,
            });
        }
    }
    out
}

/// Sends broadcast rows at most `per_second` a second, one batch at a time, until `stop`.
pub(crate) async fn work(shared: Arc<Shared>, per_second: u32, mut stop: watch::Receiver<bool>) {
    let per_second = i64::from(per_second.max(1));
    let batch = per_second.min(64);
    loop {
        if *stop.borrow() {
            break;
        }
        let rows = match shared
            .store
            .claim_broadcasts(shared.clock.now_ms(), batch, LEASE_MS)
            .await
        {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(error = %e, "broadcasts: cannot claim notices");
                Vec::new()
            }
        };
        // After n messages, wait n / rate seconds: the rate holds whatever sending takes.
        let pause = if rows.is_empty() {
            Duration::from_secs(1)
        } else {
            let n = rows.len() as u64;
            run_batch(&shared, rows).await;
            Duration::from_millis(n * 1000 / per_second as u64)
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.changed() => {}
        }
    }
}
