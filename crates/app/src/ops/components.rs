//! Status-page components set by hand (`degraded_performance` / `under_maintenance`, with a
//! note) and maintenance windows planned, moved and cancelled (shift leads and up, audited).
//! A cancelled window is kept, marked, so that the calendar feed can tell subscribers it is
//! off.

use tocsin_model::time::human;
use tocsin_store::{AccountStore, ComponentStatus, Maintenance};

use super::Refused;
use crate::{Action, Principal, System};

/// The statuses staff may set by hand (`shared/spec/server.md`).
pub const MANUAL_STATUSES: [&str; 2] = ["degraded_performance", "under_maintenance"];

/// A maintenance window as planned: times in ms UTC, `None` where what was typed is not a
/// time.
#[derive(Debug, Clone, Default)]
pub struct MaintenancePlan {
    /// Public title.
    pub title: String,
    /// Public text.
    pub body: String,
    /// Component ids.
    pub components: Vec<String>,
    /// Start.
    pub starts_ms: Option<i64>,
    /// End.
    pub ends_ms: Option<i64>,
}

/// What is wrong with a window's times (`Ok` when they are a window still to end), naming the
/// field.
fn check_times(starts: Option<i64>, ends: Option<i64>, now: i64) -> Result<(i64, i64), Refused> {
    match (starts, ends) {
        (None, _) => Err(Refused::invalid(
            "starts",
            "starts: a date and time (UTC) such as 2026-11-22T22:00",
        )),
        (_, None) => Err(Refused::invalid(
            "ends",
            "ends: a date and time (UTC) such as 2026-11-23T02:00",
        )),
        (Some(s), Some(e)) if e <= s => Err(Refused::invalid(
            "ends",
            "ends: the window must end after it starts",
        )),
        (_, Some(e)) if e <= now => {
            Err(Refused::invalid("ends", "ends: the window is already over"))
        }
        (Some(s), Some(e)) => Ok((s, e)),
    }
}

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

    /// Plans a maintenance window; answers its id. Audited.
    pub async fn plan_maintenance(
        &self,
        who: &Principal,
        plan: &MaintenancePlan,
    ) -> Result<i64, Refused> {
        who.require(Action::Maintenance)?;
        let now = self.clock.now_ms();
        let title = plan.title.trim();
        if title.is_empty() {
            return Err(Refused::invalid(
                "title",
                "title: give the window a public title",
            ));
        }
        if plan.components.is_empty() {
            return Err(Refused::invalid(
                "components",
                "components: tick at least one component",
            ));
        }
        // Every id is checked under one short read of the live inventory.
        let unknown: Vec<String> = self.read(|live| {
            plan.components
                .iter()
                .filter(|c| {
                    !live
                        .inventory
                        .components
                        .iter()
                        .any(|k| &*k.id == c.as_str())
                })
                .map(|c| format!("`{c}`"))
                .collect()
        })?;
        if !unknown.is_empty() {
            return Err(Refused::invalid(
                "components",
                format!("components: unknown component {}", unknown.join(", ")),
            ));
        }
        let (starts_ms, ends_ms) = check_times(plan.starts_ms, plan.ends_ms, now)?;
        let mut components = plan.components.clone();
        components.sort_unstable();
        components.dedup();
        let m = Maintenance {
            id: 0,
            title: title.to_owned(),
            body: plan.body.trim().to_owned(),
            components,
            starts_ms,
            ends_ms,
            created_by: who.login.clone(),
            created_ms: now,
            cancelled_ms: None,
            sequence: 0,
            updated_ms: now,
        };
        let id = self.store.add_maintenance(&m).await?;
        let detail = format!(
            "{title} ({} – {}; {})",
            human(starts_ms),
            human(ends_ms),
            m.components.join(", ")
        );
        self.audit(
            who,
            "maintenance.plan",
            &format!("maintenance:{id}"),
            &detail,
        )
        .await;
        Ok(id)
    }

    /// Cancels window `id`; it stays in the calendar feed as cancelled. Audited.
    pub async fn cancel_maintenance(&self, who: &Principal, id: i64) -> Result<(), Refused> {
        who.require(Action::Maintenance)?;
        if !self
            .store
            .cancel_maintenance(id, self.clock.now_ms())
            .await?
        {
            return Err(Refused::NotFound(format!(
                "maintenance: there is no window {id} (cancelled already?)"
            )));
        }
        self.audit(who, "maintenance.cancel", &format!("maintenance:{id}"), "")
            .await;
        Ok(())
    }

    /// Gives window `id` new times; the calendar feed keeps the same event with a higher
    /// `SEQUENCE`, so subscribed calendars move it too. Audited with the old times.
    pub async fn move_maintenance(
        &self,
        who: &Principal,
        id: i64,
        starts_ms: Option<i64>,
        ends_ms: Option<i64>,
    ) -> Result<(), Refused> {
        who.require(Action::Maintenance)?;
        let now = self.clock.now_ms();
        // Only a window the console lists can be moved; the old times go to the audit trail.
        let gone = || {
            Refused::NotFound(format!(
                "maintenance: there is no window {id} to move (cancelled or over?)"
            ))
        };
        let window = self
            .store
            .maintenances(now - 86_400_000)
            .await?
            .into_iter()
            .find(|m| m.id == id && m.cancelled_ms.is_none())
            .ok_or_else(gone)?;
        let (starts, ends) = check_times(starts_ms, ends_ms, now)?;
        if window.starts_ms == starts && window.ends_ms == ends {
            return Err(Refused::invalid(
                "starts",
                "starts: the window already has these times",
            ));
        }
        if !self
            .store
            .reschedule_maintenance(id, starts, ends, now)
            .await?
        {
            // Cancelled by someone else since it was read.
            return Err(gone());
        }
        let detail = format!(
            "{}: {} – {} moved to {} – {}",
            window.title,
            human(window.starts_ms),
            human(window.ends_ms),
            human(starts),
            human(ends)
        );
        self.audit(
            who,
            "maintenance.move",
            &format!("maintenance:{id}"),
            &detail,
        )
        .await;
        Ok(())
    }
}
