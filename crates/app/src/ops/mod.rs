//! The operations the faces call. Each takes the acting [`Principal`], checks its
//! [`Action`](crate::Action) with [`Principal::require`] — the one role check, whichever face
//! the request came through — does the work through the pipeline or the store, writes the
//! one audit entry, and answers a typed result or a typed [`Refused`]. The console's forms and
//! the JSON API under `/api/v1/` are two renderings of the same calls.

mod broadcast;
mod components;
mod drills;
mod envelopes;
mod help;
mod incidents;
mod maintenance;
mod preferences;
mod shifts;
mod sla;
mod tickets;
mod upgrades;
mod vertices;

pub use crate::planned::{targets_impact, TargetsImpact};
pub use broadcast::{Broadcast, Queued};
pub use components::MANUAL_STATUSES;
pub use drills::{
    duration_text, DrillView, DrillWhatIf, NewDrill, NewDrillResult, PlannedDrill, OUTCOMES,
};
pub use envelopes::{envelope_notice, EnvelopeView, OpeningView, ENVELOPE_KIND_PREFIX};
pub use help::{
    article_of, language, search as search_help_articles, ArticleDraft, FoundArticle, Voter,
    DEFAULT_FOUND, MAX_FOUND,
};
pub use incidents::{NewUpdate, STATUSES};
pub use maintenance::{
    plan_maintenance_offline, window_status, MaintenancePlan, ANNOUNCE_DRILLS_AHEAD_MS,
    DEFAULT_NOTIFY,
};
pub use shifts::NewShift;
pub use sla::{
    credit_view, evidence, month_account, report, CreditAmounts, CreditView, NewOutage, OfferValue,
    SlaLine, SlaReport, BILLING_CUSTOMER, BILLING_KIND_PREFIX, CREDIT_KIND_PREFIX,
};
pub use tickets::{
    breach_timer, message_domain, outgoing_ticket, reveal_refusal, spawn_inbound, ticket_notice,
    Authorisation, Credentials, DeskDrop, EventView, InterventionTargets, InterventionView,
    NewIntervention, NewTicket, Received, SlaView, TicketView, Triage, Upload, ACCESS_METHODS,
    COMPLEXITIES, COUNT_CAP, LIST_LIMIT, TICKET_KIND_PREFIX,
};
pub use upgrades::{
    drain_fingerprint, NewUpgrade, NextAction, RollingUpgrade, DRAIN_SOURCE, UPGRADE_ACTIONS,
};
pub use vertices::{
    customers, fingerprint, parse_scenario, what_if_of, CustomerRow, Mark, MarkRow, ServiceRow,
    WhatIfOutcome, MARK_SOURCE, SHOWN,
};

use std::sync::Arc;

use tocsin_model::Inventory;
use tocsin_store::{AccountStore, StoreError};

use crate::{Action, Incoming, Principal, Report, System};

/// Why an operation was not done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The principal's role may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The request names something wrong: the field, and a sentence naming it.
    #[error("{message}")]
    Invalid {
        /// The field at fault, as the form and the JSON body name it.
        field: &'static str,
        /// What is wrong with it, a sentence that starts with the field's name.
        message: String,
    },
    /// No such thing.
    #[error("{0}")]
    NotFound(String),
    /// It contradicts something already there (an overlapping lead shift).
    #[error("{0}")]
    Conflict(String),
    /// The system could not do it now (database, shutting down).
    #[error("{0}")]
    Unavailable(String),
    /// It was there and is destroyed for good (credentials purged at close).
    #[error("{0}")]
    Gone(String),
}

impl Refused {
    /// A refusal of `field`, with its message.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Refused {
        Refused::Invalid {
            field,
            message: message.into(),
        }
    }
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Refused {
        tracing::warn!(error = %e, "database request failed");
        Refused::Unavailable(e.to_string())
    }
}

impl System {
    /// Appends to the audit trail after a change was made; a failure is logged with what was
    /// done, so that the change is never silent. Every staff change goes through here, so this
    /// is also where the public status outputs are told to render again.
    pub(crate) async fn audit(&self, who: &Principal, action: &str, target: &str, detail: &str) {
        self.status_changed.notify_one();
        let at = self.clock.now_ms();
        if let Err(e) = self
            .store
            .audit(at, &who.login, action, target, detail)
            .await
        {
            tracing::error!(error = %e, actor = %who.login, action, target, detail, "audit entry not stored");
        }
    }

    /// Wakes this instance's outbox workers: notices were queued.
    pub(crate) fn wake_outbox(&self) {
        self.outbox_wake.notify_one();
    }

    /// The inventory the live state runs on now.
    pub fn inventory(&self) -> Result<Arc<Inventory>, Refused> {
        Ok(Arc::clone(&self.lock()?.inventory))
    }

    /// Stores `alerts` from monitoring (and the raw `body` they came in, in the archive)
    /// durably and applies them; answers once they are on disk.
    pub async fn ingest(
        &self,
        alerts: Vec<Incoming>,
        body: Option<Vec<u8>>,
    ) -> Result<Report, Refused> {
        self.ingestor
            .submit(alerts, body)
            .await
            .map_err(Refused::Unavailable)
    }

    /// Re-reads the inventory and switches to it (admins); a broken one is refused with its
    /// diagnostics and the old one stays.
    pub async fn reload(&self, who: &Principal) -> Result<Arc<Inventory>, Refused> {
        who.require(Action::Reload)?;
        let inventory = self
            .reload_inventory()
            .await
            .map_err(|e| Refused::invalid("inventory", e))?;
        let detail = format!(
            "{} vertices, {} services, {} customers",
            inventory.graph.vertex_count(),
            inventory.services.len(),
            inventory.customers.len()
        );
        self.audit(who, "inventory.reload", "inventory", &detail)
            .await;
        Ok(inventory)
    }
}
