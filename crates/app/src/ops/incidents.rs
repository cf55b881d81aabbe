//! Public updates and internal notes on an incident: an update moves the lifecycle and shows
//! on the status page, the client area and the feeds; a note stays with staff.

use tocsin_store::IncidentStore;

use super::Refused;
use crate::{Action, Principal, System};

/// The lifecycle of an incident, as updates name it.
pub const STATUSES: [&str; 4] = ["investigating", "identified", "monitoring", "resolved"];

/// An update or note as asked for.
#[derive(Debug, Clone)]
pub struct NewUpdate {
    /// One of [`STATUSES`]; a note without one is filed under the incident's current status.
    pub status: Option<String>,
    /// The text.
    pub body: String,
    /// Customers see it (shift leads and up) or staff only (everyone on staff).
    pub public: bool,
}

impl System {
    /// Adds a public update (shift lead and up) or an internal note (all staff) to incident
    /// `id`; answers the update's id. Audited.
    pub async fn post_update(
        &self,
        who: &Principal,
        id: i64,
        update: &NewUpdate,
    ) -> Result<i64, Refused> {
        who.require(if update.public {
            Action::PublicUpdate
        } else {
            Action::Note
        })?;
        let Some(incident) = self.store.incident(id).await? else {
            return Err(Refused::NotFound(format!("no incident {id}")));
        };
        let body = update.body.trim();
        let status = match (&update.status, update.public) {
            (Some(s), _) => s.as_str(),
            // A note does not move the lifecycle; it is filed under the current status.
            (None, false) => incident.status.as_str(),
            (None, true) => "",
        };
        if body.is_empty() {
            return Err(Refused::invalid(
                "body",
                "body: write the text of the update or note",
            ));
        }
        if !STATUSES.contains(&status) {
            return Err(Refused::invalid(
                "status",
                format!("status: `{status}` is not one of {}", STATUSES.join(", ")),
            ));
        }
        let seq = self
            .store
            .add_update(
                id,
                status,
                body,
                update.public,
                &who.login,
                self.clock.now_ms(),
            )
            .await?;
        let action = if update.public {
            "incident.update"
        } else {
            "incident.note"
        };
        self.audit(who, action, &format!("incident:{id}"), body)
            .await;
        Ok(seq)
    }
}
