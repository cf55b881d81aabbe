//! Status-page components set by hand (`degraded_performance` / `under_maintenance`, with a
//! note; shift leads and up, audited). Maintenance windows are in `maintenance.rs`.

use tocsin_store::{AccountStore, ComponentStatus};

use super::Refused;
use crate::{Action, Principal, System};

/// The statuses staff may set by hand (`shared/spec/server.md`).
pub const MANUAL_STATUSES: [&str; 2] = ["degraded_performance", "under_maintenance"];

impl System {
    fn known_component(&self, id: &str) -> Result<bool, Refused> {
        self.read(|live| live.inventory.components.iter().any(|c| &*c.id == id))
    }

    /// Sets a component's status by hand (`status` one of [`MANUAL_STATUSES`]), or clears it
    /// (`status` = `clear`), with a note; audited.
    pub async fn set_component_status(
        &self,
        who: &Principal,
        component: &str,
        status: &str,
        note: &str,
    ) -> Result<(), Refused> {
        who.require(Action::ComponentStatus)?;
        let (component, note) = (component.trim(), note.trim());
        let clear = status == "clear";
        if !self.known_component(component)? {
            return Err(Refused::invalid(
                "component",
                format!("component: unknown component id `{component}`"),
            ));
        }
        if !clear && !MANUAL_STATUSES.contains(&status) {
            return Err(Refused::invalid(
                "status",
                "status: choose degraded_performance, under_maintenance or clear",
            ));
        }
        if note.is_empty() {
            return Err(Refused::invalid(
                "note",
                "note: say why, for staff and the audit trail",
            ));
        }
        let row = ComponentStatus {
            component: component.to_owned(),
            status: status.to_owned(),
            note: note.to_owned(),
            set_by: who.login.clone(),
            set_ms: self.clock.now_ms(),
        };
        self.store
            .set_component_status(component, (!clear).then_some(&row))
            .await?;
        let action = if clear {
            "component.clear"
        } else {
            "component.status"
        };
        let detail = format!("{status}: {note}");
        self.audit(who, action, &format!("component:{component}"), &detail)
            .await;
        Ok(())
    }
}
