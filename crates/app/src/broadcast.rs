//! Mass mail for a global problem: staff's message to every contact of every customer, queued
//! durably in one transaction (`ops::broadcast`) and sent by its own worker at a bounded rate,
//! apart from incident notices.

use std::sync::Arc;
use std::time::Duration;

use tocsin_model::Inventory;
use tocsin_store::{IncidentStore, NewNotice};
use tokio::sync::watch;

use crate::notices::Payload;
use crate::outbox::{run_batch, Shared, LEASE_MS};
use crate::recipients::Recipients;

/// One notice per contact of every customer (the store keeps one per address): the contacts
/// and language a customer chose, else the inventory's.
pub(crate) fn notices(
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
            window: None,
            credit: None,
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
        let now = shared.clock.now_ms();
        let rows = match shared.store.claim_broadcasts(now, batch, LEASE_MS).await {
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
            run_batch(&shared, rows, now + LEASE_MS).await;
            Duration::from_millis(n * 1000 / per_second as u64)
        };
        tokio::select! {
            _ = tokio::time::sleep(pause) => {}
            _ = stop.changed() => {}
        }
    }
}
