//! Planned maintenance (`shared/spec/operations.md`), shift leads and up, audited. A window
//! names inventory targets (the vertices the work takes down) and/or status-page components;
//! a window on components only is the simple case: it shows on the status page and in the
//! calendar, and nobody is mailed.
//!
//! For targets, the what-if is computed when the window is planned, on the graph with
//! everything up (planned work is judged alone, whatever fails meanwhile): the services that
//! will be down and their customers, who are told; the services only at risk, whose customers
//! are not. The announcement and one reminder per lead time still ahead are queued with the
//! window in one transaction, due when they should go out, so no timer is needed and any
//! instance delivers them; a move or a cancellation drops the reminders not yet due and
//! queues its own notice, to the customers told before. While the window runs its targets are
//! quiet for the pipeline (`planned.rs`). A cancelled window is kept, marked, so that
//! calendars learn it is off.

use std::collections::BTreeMap;

use tocsin_model::inventory::NONE;
use tocsin_model::time::human;
use tocsin_model::{Inventory, VertexId};
use tocsin_store::{DrillStore, Maintenance, MaintenanceStore};

use super::Refused;
use crate::planned::window_times;
use crate::{Action, Principal, System};
use notices::{reminders, Notices};

mod notices;
mod window;

pub use window::plan_maintenance_offline;

/// Lead times when the plan names none: a day before.
pub const DEFAULT_NOTIFY: &str = "24h";
/// The longest lead time taken.
const MAX_LEAD_MS: i64 = 366 * 86_400_000;
/// At most this many targets in one window.
const MAX_TARGETS: usize = 1000;
/// A window on targets must start in the future; this much slack covers a form typed to the
/// minute.
const START_SLACK_MS: i64 = 60_000;
/// How far ahead the occurrences of announced drills become planned maintenance: a week and a
/// day, so a weekly drill's next occurrence is always announced, then reminded at the lead
/// times.
pub const ANNOUNCE_DRILLS_AHEAD_MS: i64 = 8 * 86_400_000;

/// A maintenance window as planned: times in ms UTC, `None` where what was typed is not a
/// time.
#[derive(Debug, Clone, Default)]
pub struct MaintenancePlan {
    /// Public title.
    pub title: String,
    /// Public text.
    pub body: String,
    /// Status-page component ids (besides those of the services the targets take down).
    pub components: Vec<String>,
    /// Inventory vertex ids the work takes down.
    pub targets: Vec<String>,
    /// Start.
    pub starts_ms: Option<i64>,
    /// End.
    pub ends_ms: Option<i64>,
    /// Lead times of the reminders (`168h`, `24h`); `None`: [`DEFAULT_NOTIFY`].
    pub notify: Option<Vec<String>>,
}

/// Where a window stands at `now_ms`: `scheduled`, `in_progress`, `completed` or
/// `cancelled`.
pub fn window_status(m: &Maintenance, now_ms: i64) -> &'static str {
    if m.cancelled_ms.is_some() {
        "cancelled"
    } else if now_ms < m.starts_ms {
        "scheduled"
    } else if now_ms < m.ends_ms {
        "in_progress"
    } else {
        "completed"
    }
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

/// The lead times, in ms, largest first, without repeats.
fn lead_times(notify: Option<&[String]>) -> Result<Vec<i64>, Refused> {
    let default = [DEFAULT_NOTIFY.to_owned()];
    let typed = notify.unwrap_or(&default);
    let mut out = Vec::with_capacity(typed.len());
    for t in typed {
        let ms = humantime::parse_duration(t.trim())
            .ok()
            .and_then(|d| i64::try_from(d.as_millis()).ok())
            .filter(|&ms| ms > 0 && ms <= MAX_LEAD_MS)
            .ok_or_else(|| {
                Refused::invalid(
                    "notify",
                    format!(
                        "notify: `{t}` is not a lead time such as 168h or 24h (at most a year)"
                    ),
                )
            })?;
        out.push(ms);
    }
    out.sort_unstable_by(|a, b| b.cmp(a));
    out.dedup();
    Ok(out)
}

impl System {
    /// The contacts (address, language code) of each customer of `by_customer`, as the
    /// pipeline would mail them: the inventory's with the customers' own choices.
    fn contacts_of(
        &self,
        inventory: &Inventory,
        by_customer: &BTreeMap<u32, Vec<VertexId>>,
    ) -> Result<BTreeMap<u32, Vec<(String, String)>>, Refused> {
        self.read(|live| window::contacts(live.incidents.recipients(), inventory, by_customer))
    }

    /// The customers told of window `m` (its services down, by customer), from what was
    /// computed when it was planned, against the inventory now.
    fn told_of(inventory: &Inventory, m: &Maintenance) -> BTreeMap<u32, Vec<VertexId>> {
        let mut by_customer: BTreeMap<u32, Vec<VertexId>> = BTreeMap::new();
        for id in &m.impact.down_services {
            let Some(v) = inventory.graph.find(id) else {
                continue;
            };
            if let Some(s) = inventory.service_of(v).filter(|s| s.customer != NONE) {
                by_customer.entry(s.customer).or_default().push(v);
            }
        }
        by_customer
    }

    /// Plans a maintenance window, queues its notices, and answers it as stored. Audited.
    pub async fn plan_maintenance(
        &self,
        who: &Principal,
        plan: &MaintenancePlan,
    ) -> Result<Maintenance, Refused> {
        who.require(Action::Maintenance)?;
        self.plan_window(who, plan, None).await
    }

    /// Makes the occurrences of announced drills starting within
    /// [`ANNOUNCE_DRILLS_AHEAD_MS`] planned maintenance (`shared/spec/operations.md`: "an
    /// announced one is planned maintenance for its occurrence"), one window per occurrence
    /// (the store's unique key keeps it so across leaders). Run by the leader every minute and
    /// when a drill is planned; audited as done by the drill.
    pub async fn announce_drills(&self) {
        let now = self.clock.now_ms();
        let (drills, existing) = match (
            self.store.drills().await,
            self.store.maintenances(now).await,
        ) {
            (Ok(d), Ok(m)) => (d, m),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "announced drills not planned as maintenance; trying again shortly");
                return;
            }
        };
        let planned: std::collections::HashSet<(i64, i64)> =
            existing.iter().filter_map(|m| m.drill).collect();
        for d in drills.into_iter().filter(|d| d.announced) {
            let Ok(rule) = crate::recur::Recurrence::new(&d.rrule, d.start_ms, &self.time_zone)
            else {
                continue;
            };
            for at in rule.between(now + START_SLACK_MS, now + ANNOUNCE_DRILLS_AHEAD_MS, 40) {
                if planned.contains(&(d.id, at)) {
                    continue;
                }
                let plan = MaintenancePlan {
                    title: d.title.clone(),
                    body: String::new(),
                    components: Vec::new(),
                    targets: d.targets.clone(),
                    starts_ms: Some(at),
                    ends_ms: Some(at + d.duration_ms),
                    notify: None,
                };
                let by = Principal::automatic(format!("drill:{}", d.id));
                if let Err(e) = self.plan_window(&by, &plan, Some((d.id, at))).await {
                    tracing::warn!(drill = d.id, occurrence = at, error = %e, "an announced drill's occurrence was not planned as maintenance");
                }
            }
        }
    }

    /// Plans a window for `who` (whose role was checked), for an occurrence of a drill when
    /// `drill` says which, on the live inventory with the customers' choices of recipients.
    async fn plan_window(
        &self,
        who: &Principal,
        plan: &MaintenancePlan,
        drill: Option<(i64, i64)>,
    ) -> Result<Maintenance, Refused> {
        let (inventory, recipients) = self.read(|live| {
            (
                std::sync::Arc::clone(&live.inventory),
                live.incidents.recipients().clone(),
            )
        })?;
        let planning = window::Planning {
            store: &self.store,
            inventory,
            recipients: &recipients,
            time_zone: &self.time_zone,
            now: self.clock.now_ms(),
        };
        let (m, queued) = planning.plan(who, plan, drill).await?;
        self.status_changed.notify_one();
        self.planned(queued).await;
        Ok(m)
    }

    /// Tells the pipeline the windows changed and wakes the outbox for notices due now.
    async fn planned(&self, queued: bool) {
        self.ingestor.planned().await;
        if queued {
            self.outbox_wake.notify_one();
        }
    }

    /// Window `id`, for staff.
    pub async fn maintenance(&self, who: &Principal, id: i64) -> Result<Maintenance, Refused> {
        who.require(Action::View)?;
        self.store
            .maintenance(id)
            .await?
            .ok_or_else(|| Refused::NotFound(format!("maintenance: there is no window {id}")))
    }

    /// Cancels window `id`; it stays in the calendar feed as cancelled, and the customers
    /// told of it are told it is off. Audited with the reason.
    pub async fn cancel_maintenance(
        &self,
        who: &Principal,
        id: i64,
        reason: &str,
    ) -> Result<(), Refused> {
        who.require(Action::Maintenance)?;
        let now = self.clock.now_ms();
        let gone = || {
            Refused::NotFound(format!(
                "maintenance: there is no window {id} (cancelled already?)"
            ))
        };
        let window = self
            .store
            .maintenance(id)
            .await?
            .filter(|m| m.cancelled_ms.is_none())
            .ok_or_else(gone)?;
        let inventory = self.read(|live| std::sync::Arc::clone(&live.inventory))?;
        let mut notices = Vec::new();
        // Nobody is told of the end of a window that is over.
        if window.ends_ms > now {
            let told = Self::told_of(&inventory, &window);
            let contacts = self.contacts_of(&inventory, &told)?;
            let n = Notices {
                inventory: &inventory,
                window: &window,
                times: window_times(window.starts_ms, window.ends_ms, &self.time_zone),
            };
            n.each(&contacts, &told, "cancelled", now, &mut notices);
        }
        if !self.store.cancel_maintenance(id, now, &notices).await? {
            return Err(gone());
        }
        self.audit(
            who,
            "maintenance.cancel",
            &format!("maintenance:{id}"),
            reason.trim(),
        )
        .await;
        self.planned(!notices.is_empty()).await;
        Ok(())
    }

    /// Gives window `id` new times; the calendar feed keeps the same event with a higher
    /// `SEQUENCE`, so subscribed calendars move it too; the customers told of it are told of
    /// the new times, and reminders follow them. Audited with the old times.
    pub async fn move_maintenance(
        &self,
        who: &Principal,
        id: i64,
        starts_ms: Option<i64>,
        ends_ms: Option<i64>,
    ) -> Result<(), Refused> {
        who.require(Action::Maintenance)?;
        let now = self.clock.now_ms();
        // Only a window still to end can be moved; the old times go to the audit trail.
        let gone = || {
            Refused::NotFound(format!(
                "maintenance: there is no window {id} to move (cancelled or over?)"
            ))
        };
        let window = self
            .store
            .maintenance(id)
            .await?
            .filter(|m| m.cancelled_ms.is_none() && m.ends_ms > now - 86_400_000)
            .ok_or_else(gone)?;
        let (starts, ends) = check_times(starts_ms, ends_ms, now)?;
        if window.starts_ms == starts && window.ends_ms == ends {
            return Err(Refused::invalid(
                "starts",
                "starts: the window already has these times",
            ));
        }
        // A running window may be extended; a new start in the past is refused.
        if !window.targets.is_empty() && starts != window.starts_ms && starts < now - START_SLACK_MS
        {
            return Err(Refused::invalid(
                "starts",
                "starts: the new start is in the past",
            ));
        }
        let inventory = self.read(|live| std::sync::Arc::clone(&live.inventory))?;
        let moved = Maintenance {
            starts_ms: starts,
            ends_ms: ends,
            sequence: window.sequence + 1,
            ..window.clone()
        };
        let told = Self::told_of(&inventory, &moved);
        let contacts = self.contacts_of(&inventory, &told)?;
        let mut times = window_times(starts, ends, &self.time_zone);
        times.previous = window_times(window.starts_ms, window.ends_ms, &self.time_zone).utc;
        let n = Notices {
            inventory: &inventory,
            window: &moved,
            times,
        };
        let mut notices = Vec::new();
        let round = moved.sequence;
        n.each(
            &contacts,
            &told,
            &format!("moved.{round}"),
            now,
            &mut notices,
        );
        reminders(&n, &contacts, &told, round, now, &mut notices);
        if !self
            .store
            .reschedule_maintenance(id, starts, ends, now, &notices)
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
        self.planned(!notices.is_empty()).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_times_are_durations_largest_first() {
        assert_eq!(lead_times(None).unwrap(), [86_400_000]);
        let typed = ["24h".to_owned(), "168h".to_owned(), "24h".to_owned()];
        assert_eq!(lead_times(Some(&typed)).unwrap(), [604_800_000, 86_400_000]);
        for bad in ["soon", "0s", "400days"] {
            let e = lead_times(Some(&[bad.to_owned()])).unwrap_err();
            assert!(e.to_string().starts_with("notify: "), "{e}");
        }
    }
}
