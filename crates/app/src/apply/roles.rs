//! Changes of role and of inventory: taking the lead, stepping down, and the rebuild from
//! one snapshot of the database that each begins with.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tocsin_model::Inventory;
use tocsin_store::{AccountStore, Applied, LogStore, MaintenanceStore};
use tokio::sync::mpsc;

use super::writer::{lead_notices, write_records};
use super::{Applying, Entry, Lead, READ_AT_ONCE};
use crate::recipients::Recipients;

impl Applying {
    /// Becomes the leader of `epoch`: rebuilds from the database exactly as the last leader
    /// left it, reconciles, and goes on with the rest of the log with decisions.
    pub(super) async fn lead(&mut self, epoch: i64) {
        self.parts.standing.epoch.store(epoch, Ordering::Relaxed);
        if let Some(old) = self.lead.take() {
            drop(old.writer);
        }
        // The writer first: the stretch of log the rebuild applies again is decided on.
        let (writer, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(write_records(
            epoch,
            Arc::clone(&self.parts.store),
            rx,
            Arc::clone(&self.parts.outbox),
            Arc::clone(&self.parts.metrics),
            self.failed.0.clone(),
        ));
        self.lead = Some(Lead {
            epoch,
            writer,
            task,
        });
        let inventory = self.inventory();
        if let Err(e) = self.rebuild(inventory, Some(epoch)).await {
            tracing::error!(error = %e, epoch, "could not take the lead: giving it up");
            self.lead = None;
            self.stale = true;
            let _ = self.parts.resign.send(());
            return;
        }
        self.parts.standing.leading.store(true, Ordering::Relaxed);
        tracing::info!(
            epoch,
            applied = self.position,
            "leading: applying the log with decisions"
        );
        self.catch_up().await;
    }

    /// Stops leading (if it did) and rebuilds the incident view from the database.
    pub(super) async fn follow(&mut self, why: &str) {
        let Some(lead) = self.lead.take() else {
            return;
        };
        self.parts.standing.leading.store(false, Ordering::Relaxed);
        tracing::warn!(epoch = lead.epoch, why, "stepping down: following the log");
        // Its pending writes are refused by the fencing once another leader came.
        drop(lead.writer);
        let inventory = self.inventory();
        match self.rebuild(inventory, None).await {
            Ok(()) => self.catch_up().await,
            Err(e) => {
                tracing::warn!(error = %e, "could not rebuild from the database; trying again shortly");
                self.stale = true;
            }
        }
    }

    pub(super) fn inventory(&self) -> Arc<Inventory> {
        match self.parts.live.lock() {
            Ok(l) => Arc::clone(&l.inventory),
            Err(p) => Arc::clone(&p.get_ref().inventory),
        }
    }

    /// Rebuilds the live state from one snapshot of the database, against `inventory`; as
    /// the leader of `epoch`, also reconciles incidents with it and writes that, fenced.
    pub(super) async fn rebuild(
        &mut self,
        inventory: Arc<Inventory>,
        epoch: Option<i64>,
    ) -> Result<(), String> {
        let store = &self.parts.store;
        let picture = store.picture().await.map_err(|e| e.to_string())?;
        let recipients = Recipients::from_preferences(
            &store.all_preferences().await.map_err(|e| e.to_string())?,
        );
        let through = picture.leadership.applied;
        let mut live =
            crate::replay::live_from(inventory, picture, self.parts.hold_down_ms, recipients);
        let now_ms = self.parts.clock.now_ms();
        let windows = store
            .maintenances(now_ms)
            .await
            .map_err(|e| e.to_string())?;
        live.quiet.set_windows(&live.inventory, &windows);
        if let Some(epoch) = epoch {
            // Downs the last leader decided and died before writing come first.
            let (mut out, settle) = live.incidents.take_unwritten();
            let mut notices = Vec::new();
            // Services down on purpose stay out of incidents, as they did for the last leader.
            live.incidents.set_quiet(live.quiet.at(now_ms));
            live.incidents.reconcile(
                &live.inventory,
                &live.impact,
                self.parts.clock.now_ms(),
                &mut out,
                &mut notices,
            );
            notices.extend(lead_notices(store, &out).await);
            store
                .commit_applied(&Applied {
                    epoch,
                    through,
                    assertions: &[],
                    incidents: &out,
                    notices: &notices,
                    defer: &[],
                    settle: &settle,
                })
                .await
                .map_err(|e| e.to_string())?;
            if !notices.is_empty() {
                self.parts.outbox.notify_one();
            }
            if !out.is_empty() {
                tracing::info!(
                    changes = out.len(),
                    notices = notices.len(),
                    "incidents reconciled with the log"
                );
            }
        }
        // What the state being replaced reflects already is read now and applied to the new
        // one under the same lock as the switch, so that no reader sees the state go back.
        let mut ahead = Vec::new();
        let mut read_to = through;
        while read_to < self.position && !self.stale {
            let rows = store
                .log_after(read_to, READ_AT_ONCE)
                .await
                .map_err(|e| e.to_string())?;
            let Some(last) = rows.last().map(|r| r.id) else {
                break;
            };
            read_to = last;
            ahead.extend(rows.into_iter().map(|r| Entry {
                id: r.id,
                alert: r.alert,
                vertices: None,
            }));
        }
        let shared = Arc::clone(&self.parts.live);
        let Ok(mut current) = shared.lock() else {
            return Err("internal state poisoned".to_owned());
        };
        *current = live;
        self.position = through;
        self.leader_applied = through;
        self.stale = false;
        self.last_at = i64::MIN;
        let decided = self.apply_locked(&mut current, ahead);
        drop(current);
        self.decided(decided);
        Ok(())
    }
}
