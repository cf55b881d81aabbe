//! Mass mail for a global problem (shift leads and up): staff's message to every contact of
//! every customer, queued durably in one transaction; its own worker sends it at a bounded
//! rate, apart from incident notices. Audited.

use std::sync::Arc;

use tocsin_store::{IncidentStore, NewBroadcast};

use super::Refused;
use crate::{Action, Principal, System};

/// Longest subject accepted, in characters.
const MAX_SUBJECT: usize = 200;
/// Longest text accepted, in bytes.
const MAX_BODY: usize = 64 * 1024;

/// A broadcast as asked for.
#[derive(Debug, Clone)]
pub struct Broadcast {
    /// The e-mail's subject.
    pub subject: String,
    /// Its text.
    pub body: String,
    /// The incident it is about, if any.
    pub incident: Option<i64>,
}

/// A broadcast queued.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Queued {
    /// The broadcast's id.
    pub id: i64,
    /// Notices queued (one per address).
    pub queued: u64,
}

impl System {
    /// Queues `broadcast` to every contact of every customer.
    pub async fn broadcast(
        &self,
        who: &Principal,
        broadcast: Broadcast,
    ) -> Result<Queued, Refused> {
        who.require(Action::Broadcast)?;
        if broadcast.subject.trim().is_empty() || broadcast.subject.chars().count() > MAX_SUBJECT {
            return Err(Refused::invalid(
                "subject",
                format!("subject: needs between 1 and {MAX_SUBJECT} characters"),
            ));
        }
        if broadcast.body.trim().is_empty() || broadcast.body.len() > MAX_BODY {
            return Err(Refused::invalid(
                "body",
                format!("body: needs between 1 and {MAX_BODY} bytes of text"),
            ));
        }
        if let Some(id) = broadcast.incident {
            if self.store.incident(id).await?.is_none() {
                return Err(Refused::NotFound(format!("incident: no incident {id}")));
            }
        }
        let (inventory, recipients) = {
            let live = self.lock()?;
            (
                Arc::clone(&live.inventory),
                live.incidents.recipients().clone(),
            )
        };
        let now_ms = self.clock.now_ms();
        let notices = crate::broadcast::notices(
            &inventory,
            &recipients,
            &broadcast.subject,
            &broadcast.body,
            now_ms,
        );
        let subject = broadcast.subject.clone();
        let (id, queued) = self
            .store
            .broadcast(
                &NewBroadcast {
                    incident_id: broadcast.incident,
                    subject: broadcast.subject,
                    body: broadcast.body,
                    created_ms: now_ms,
                },
                &notices,
            )
            .await?;
        self.metrics
            .queued
            .fetch_add(queued, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(broadcast = id, queued, "broadcast queued");
        self.audit(
            who,
            "broadcast.queue",
            &format!("broadcast:{id}"),
            &format!("{subject} ({queued} notices)"),
        )
        .await;
        Ok(Queued { id, queued })
    }
}
