//! Switching to a new inventory without stalling the log: the new live state is built off the
//! applier from one picture of the database, while the applier goes on applying alerts to the
//! current state; the applier then brings the new state to its own position and swaps it in.
//!
//! The leader's incidents are taken, at the swap, from the database once its writer has
//! committed everything (so incidents opened by alerts applied during the build are there),
//! and reconciled with the new graph through the same writer, fenced by its epoch.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tocsin_model::alerts::AlertKey;
use tocsin_model::{Inventory, State, VertexId};
use tocsin_store::{AccountStore, AlertStatus, AnyStore, LogStore, MaintenanceStore, NewAlert};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::writer::Write;
use super::{Applying, Entry, Standing, READ_AT_ONCE};
use crate::ingest::state_of;
use crate::notices::Incidents;
use crate::recipients::Recipients;
use crate::{Clock, Live};

/// Where a reload's answer goes.
pub(super) type Answer = oneshot::Sender<Result<(), String>>;

/// How many times the build reads the log the applier applied meanwhile before handing over:
/// each pass is shorter than the one before, and the swap applies what is left.
const CATCH_UP_PASSES: usize = 3;

/// Reloads asked for: the one being built, and those waiting for it.
#[derive(Default)]
pub(super) struct Reloads {
    building: Option<Building>,
    queued: VecDeque<(Arc<Inventory>, Answer)>,
}

/// A new state under construction.
struct Building {
    inventory: Arc<Inventory>,
    answer: Answer,
    task: JoinHandle<Result<Built, String>>,
}

/// The new state as built off the applier.
pub(super) struct Built {
    live: Live,
    /// The leader's position in the picture it was built from.
    pictured: i64,
}

/// Completes when the state being built is ready; never while none is.
pub(super) async fn built(reloads: &mut Reloads) -> Result<Built, String> {
    match reloads.building.as_mut() {
        Some(b) => (&mut b.task)
            .await
            .map_err(|e| format!("building the new state failed: {e}"))?,
        None => std::future::pending().await,
    }
}

impl Applying {
    /// A reload was asked for: its state is built in the background (after the one being
    /// built, if any).
    pub(super) fn reload(&mut self, inventory: Arc<Inventory>, answer: Answer) {
        if self.reloads.building.is_some() {
            self.reloads.queued.push_back((inventory, answer));
            return;
        }
        let task = tokio::spawn(build(
            Arc::clone(&self.parts.store),
            Arc::clone(&self.parts.standing),
            Arc::clone(&self.parts.clock),
            Arc::clone(&inventory),
            self.parts.hold_down_ms,
        ));
        self.reloads.building = Some(Building {
            inventory,
            answer,
            task,
        });
    }

    /// The new state is built: swaps it in, answers the reload, starts the next one.
    pub(super) async fn switch(&mut self, built: Result<Built, String>) {
        let Some(Building {
            inventory, answer, ..
        }) = self.reloads.building.take()
        else {
            return;
        };
        // How long the applier stopped applying alerts for the switch, for the log.
        let started = tokio::time::Instant::now();
        let result = match built {
            Ok(built) => match self.swap(built).await {
                Ok(true) => Ok(()),
                // The roles moved under the build: the state is rebuilt here, as it once was.
                Ok(false) => self.reload_in_place(Arc::clone(&inventory)).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        if result.is_ok() {
            self.catch_up().await;
            tracing::info!(
                vertices = inventory.graph.vertex_count(),
                services = inventory.services.len(),
                applied = self.position,
                swap_ms = started.elapsed().as_millis() as u64,
                "inventory reloaded"
            );
        }
        match (&result, &self.lead) {
            // The reload is answered once what the leader reconciled is committed, as it was
            // when the switch stalled the log; the applier does not wait for it.
            (Ok(()), Some(lead)) => {
                let (flushed, done) = oneshot::channel();
                let _ = lead.writer.send(Write::Flush(flushed));
                tokio::spawn(async move {
                    let _ = done.await;
                    let _ = answer.send(result);
                });
            }
            _ => {
                let _ = answer.send(result);
            }
        }
        if let Some((inventory, answer)) = self.reloads.queued.pop_front() {
            self.reload(inventory, answer);
        }
    }

    /// Brings `built` to the applier's position and puts it in place of the current state;
    /// answers false when it cannot be used (a rebuild is pending, or the leader's database
    /// is not where its engine is).
    async fn swap(&mut self, built: Built) -> Result<bool, String> {
        let Built { mut live, pictured } = built;
        if self.stale {
            return Ok(false);
        }
        let store = Arc::clone(&self.parts.store);
        let mut view = None;
        if let Some(lead) = &self.lead {
            // Everything decided so far is committed first, so that the incidents read next
            // are exactly those of the applier's position.
            lead.flushed().await?;
            let v = store.incident_view().await.map_err(|e| e.to_string())?;
            if v.leadership.applied != self.position || live.applied > self.position {
                return Ok(false);
            }
            view = Some(v);
        }
        let tail = read_log(&store, live.applied, self.position).await?;
        let now_ms = self.parts.clock.now_ms();
        let (mut out, mut notices, mut settle) = (Vec::new(), Vec::new(), Vec::new());
        let shared = Arc::clone(&self.parts.live);
        let Ok(mut current) = shared.lock() else {
            return Err("internal state poisoned".to_owned());
        };
        follow(&mut live, tail);
        // Preferences saved during the build reached the current state, not the picture.
        let recipients = current.incidents.recipients().clone();
        match view {
            Some(view) => {
                live.incidents = Incidents::restore(
                    &live.inventory,
                    view.open_incidents,
                    view.last_incident_id,
                    self.parts.hold_down_ms,
                    recipients,
                    view.backlog,
                );
                // Its writer is flushed: a backlog left is a former leader's.
                (out, settle) = live.incidents.take_unwritten();
                // Services down on purpose stay out of incidents, as they did before.
                live.incidents.set_quiet(live.quiet.at(now_ms));
                live.incidents.reconcile(
                    &live.inventory,
                    &live.impact,
                    now_ms,
                    &mut out,
                    &mut notices,
                );
            }
            None => {
                *live.incidents.recipients_mut() = recipients;
                self.leader_applied = pictured;
            }
        }
        self.position = self.position.max(live.applied);
        live.applied = self.position;
        let old = std::mem::replace(&mut *current, live);
        drop(current);
        // A million services take a while to free: not on the applier.
        tokio::task::spawn_blocking(move || drop(old));
        self.parts
            .standing
            .applied
            .store(self.position, Ordering::Relaxed);
        // The windows are read again at the next tick: some may have changed during the build.
        self.ticks = super::WINDOWS_EVERY_TICKS;
        if !out.is_empty() || !notices.is_empty() || !settle.is_empty() {
            tracing::info!(
                changes = out.len(),
                notices = notices.len(),
                "incidents reconciled with the new inventory"
            );
            self.write(Write::Record {
                through: self.position,
                assertions: Vec::new(),
                incidents: out,
                notices,
                settle,
            });
        }
        Ok(true)
    }

    /// `entries`, whose vertices are found again by name when they were mapped on another
    /// inventory than the current state's (a reload swapped it in since).
    pub(super) fn mapped_here(
        &self,
        mut entries: Vec<Entry>,
        mapped_on: Option<&Arc<Inventory>>,
    ) -> Vec<Entry> {
        let here = self.inventory();
        if !mapped_on.is_some_and(|m| Arc::ptr_eq(m, &here)) {
            for e in &mut entries {
                e.vertices = None;
            }
        }
        entries
    }

    /// Switches to `inventory` on the applier, stalling the log meanwhile: the leader first
    /// commits what it holds, so the database is at its position; then the state is rebuilt
    /// against the new graph, by names.
    async fn reload_in_place(&mut self, inventory: Arc<Inventory>) -> Result<(), String> {
        let epoch = self.lead.as_ref().map(|l| l.epoch);
        if let Some(lead) = &self.lead {
            lead.flushed().await?;
        }
        self.rebuild(inventory, epoch).await
    }
}

/// Builds the live state against `inventory` from one picture of the database, then applies
/// what the applier applied meanwhile (read from the log), without decisions: those were made
/// on the current state and are in the database, or in the leader's writer.
async fn build(
    store: Arc<AnyStore>,
    standing: Arc<Standing>,
    clock: Arc<dyn Clock>,
    inventory: Arc<Inventory>,
    hold_down_ms: i64,
) -> Result<Built, String> {
    let failed = |e: tocsin_store::StoreError| e.to_string();
    let picture = store.picture().await.map_err(failed)?;
    let recipients = Recipients::from_preferences(&store.all_preferences().await.map_err(failed)?);
    let windows = store.maintenances(clock.now_ms()).await.map_err(failed)?;
    let pictured = picture.leadership.applied;
    let mut live = blocking(move || {
        let mut live = crate::replay::live_from(inventory, picture, hold_down_ms, recipients);
        live.quiet.set_windows(&live.inventory, &windows);
        live
    })
    .await?;
    #[cfg(test)]
    held().await;
    for _ in 0..CATCH_UP_PASSES {
        let upto = standing.applied();
        if upto <= live.applied {
            break;
        }
        let entries = read_log(&store, live.applied, upto).await?;
        live = blocking(move || {
            follow(&mut live, entries);
            live
        })
        .await?;
    }
    Ok(Built { live, pictured })
}

/// Runs `work` on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| format!("building the new state failed: {e}"))
}

/// The log entries after `after` up to `upto`, to be mapped by name.
async fn read_log(store: &AnyStore, after: i64, upto: i64) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    let mut read_to = after;
    while read_to < upto {
        let rows = store
            .log_after(read_to, READ_AT_ONCE)
            .await
            .map_err(|e| e.to_string())?;
        let Some(last) = rows.last().map(|r| r.id) else {
            break;
        };
        read_to = last;
        entries.extend(
            rows.into_iter()
                .take_while(|r| r.id <= upto)
                .map(|r| Entry {
                    id: r.id,
                    alert: r.alert,
                    vertices: None,
                }),
        );
    }
    Ok(entries)
}

/// Applies `entries` after `live.applied` to its engine only, without decisions.
pub(super) fn follow(live: &mut Live, entries: Vec<Entry>) {
    let (mut changed, mut changes) = (Vec::new(), Vec::new());
    for e in entries {
        if e.id <= live.applied {
            continue;
        }
        observe(live, &e.alert, e.vertices, &mut changed);
        for (v, obs) in changed.drain(..) {
            live.impact.observe(v, obs, &mut changes);
        }
        changes.clear();
        live.applied = e.id;
    }
}

/// What `alert` changes of the observations (and the quiet set); `vertices` when it was just
/// mapped on this state's inventory, else found by name.
pub(super) fn observe(
    live: &mut Live,
    alert: &NewAlert,
    vertices: Option<Vec<VertexId>>,
    changed: &mut Vec<(VertexId, State)>,
) {
    let key: AlertKey = (
        alert.source.as_str().into(),
        alert.fingerprint.as_str().into(),
    );
    match alert.status {
        AlertStatus::Firing => {
            let vertices: Vec<VertexId> = vertices.unwrap_or_else(|| {
                alert
                    .vertices
                    .iter()
                    .filter_map(|n| live.inventory.graph.find(n))
                    .collect()
            });
            let state = state_of(&alert.state);
            live.quiet.alert(&key, state != State::Up, &vertices);
            live.observations.assert(key, state, vertices, changed);
        }
        AlertStatus::Resolved => {
            live.quiet.alert(&key, false, &[]);
            live.observations.withdraw(&key, changed)
        }
    }
}

/// Tests hold builds here, once pictured, to submit alerts while one surely is in progress.
#[cfg(test)]
pub(super) static HOLD: std::sync::Mutex<Option<Arc<tokio::sync::Semaphore>>> =
    std::sync::Mutex::new(None);

#[cfg(test)]
async fn held() {
    let gate = HOLD.lock().ok().and_then(|h| h.clone());
    if let Some(gate) = gate {
        let _ = gate.acquire().await;
    }
}
