//! The applier: one task per instance that applies the shared alert log, in its order, to
//! this instance's engine, so that every instance serves impact, status outputs, the console
//! and the client area from its own memory. While the instance leads, the applier also does
//! the ordered work: incident decisions, notices, timers, and what alerts assert, written by
//! the leader's writer together with how far the log is applied, fenced by the leader's epoch.
//!
//! A follower keeps its incident view current from the database (the leader's writes), and on
//! becoming leader rebuilds from one snapshot of the database: engine and incidents exactly
//! as the last leader left them at its applied position, then the rest of the log applied
//! with decisions. No alert is skipped or applied twice to the incident book.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tocsin_model::{Inventory, State, VertexId};
use tocsin_store::{
    AlertStatus, AnyStore, AssertionChange, LogStore, MaintenanceStore, NewAlert, Wake,
};
use tokio::sync::{mpsc, oneshot};

mod chunks;
mod follow;
mod roles;
mod switch;
#[cfg(test)]
mod tests;
mod writer;

use writer::Write;

use crate::ingest::Report;
use crate::metrics::Metrics;
use crate::{Clock, Live};

/// Where a request's answer goes.
pub(crate) type Reply = oneshot::Sender<Result<Report, String>>;

/// How many log entries one catch-up read brings.
const READ_AT_ONCE: i64 = 5_000;
/// How often the log is read even without a wake-up (notifications are lost across
/// reconnects), and a follower looks at how far the leader got.
const CATCH_UP_EVERY: Duration = Duration::from_secs(1);
/// How often the maintenance windows are read again even without being told (another
/// instance planned, moved or cancelled one), in ticks.
const WINDOWS_EVERY_TICKS: u32 = 5;

/// One alert of the log.
pub(crate) struct Entry {
    /// Its sequence number.
    pub id: i64,
    /// As stored.
    pub alert: NewAlert,
    /// Its vertices when this instance just mapped it; else found by name.
    pub vertices: Option<Vec<VertexId>>,
}

/// Alerts this instance appended, with the answers of the requests that brought them.
pub(crate) struct Appended {
    pub entries: Vec<Entry>,
    pub replies: Vec<(Reply, Result<Report, String>)>,
    /// The inventory the entries' vertices were mapped on.
    pub mapped_on: Option<Arc<Inventory>>,
}

impl Appended {
    /// The last sequence number appended.
    fn last(&self) -> i64 {
        self.entries.last().map_or(0, |e| e.id)
    }

    /// Answers the requests.
    pub(crate) fn answer(self) {
        for (reply, result) in self.replies {
            let _ = reply.send(result);
        }
    }
}

/// What the applier is handed by the rest of the instance.
pub(crate) enum Command {
    /// Alerts this instance appended.
    Appended(Appended),
    /// Switch to a new inventory.
    Reload(Arc<Inventory>, oneshot::Sender<Result<(), String>>),
    /// Maintenance windows changed: read them again.
    Planned,
}

/// What the election tells the applier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Elected {
    /// This instance now holds the leader lock, with this epoch.
    Lead(i64),
    /// It does not (any more).
    Follow,
}

/// The role and progress of this instance, for `/healthz` and the metrics.
#[derive(Debug, Default)]
pub struct Standing {
    leading: AtomicBool,
    applied: AtomicI64,
    epoch: AtomicI64,
}

impl Standing {
    /// Whether this instance does the ordered work now (it leads and has rebuilt).
    pub fn leading(&self) -> bool {
        self.leading.load(Ordering::Relaxed)
    }
    /// The last alert of the log this instance's engine reflects.
    pub fn applied(&self) -> i64 {
        self.applied.load(Ordering::Relaxed)
    }
    /// The epoch of the leadership this instance holds, or last saw.
    pub fn epoch(&self) -> i64 {
        self.epoch.load(Ordering::Relaxed)
    }
}

/// What applying a stretch of log decided (while leading).
struct Decided {
    leading: bool,
    assertions: Vec<AssertionChange>,
    incidents: Vec<tocsin_store::IncidentChange>,
    notices: Vec<tocsin_store::NewNotice>,
}

/// The leadership this instance holds.
struct Lead {
    epoch: i64,
    writer: mpsc::UnboundedSender<Write>,
    task: tokio::task::JoinHandle<()>,
}

impl Lead {
    /// Waits until the writer has committed everything sent to it before.
    async fn flushed(&self) -> Result<(), String> {
        let (flushed, done) = tokio::sync::oneshot::channel();
        self.writer
            .send(Write::Flush(flushed))
            .map_err(|_| "the incident writer stopped".to_owned())?;
        done.await
            .map_err(|_| "the incident writer stopped".to_owned())
    }
}

/// What the applier is started with.
pub(crate) struct Applier {
    pub store: Arc<AnyStore>,
    pub live: Arc<Mutex<Live>>,
    pub clock: Arc<dyn Clock>,
    pub staff: Arc<[String]>,
    pub hold_down_ms: i64,
    /// Wakes the outbox workers when notices were queued.
    pub outbox: Arc<tokio::sync::Notify>,
    pub metrics: Arc<Metrics>,
    pub standing: Arc<Standing>,
    /// Tells the election to give the leadership up.
    pub resign: mpsc::UnboundedSender<()>,
}

/// The applier at work.
struct Applying {
    parts: Applier,
    /// The last alert the engine reflects.
    position: i64,
    lead: Option<Lead>,
    /// Writers that failed tell their epoch here.
    failed: (mpsc::UnboundedSender<i64>, mpsc::UnboundedReceiver<i64>),
    /// Answers waiting for the engine to reach their alerts.
    waiting: Vec<(i64, Appended)>,
    /// How far the leader had got when the incident view was last read (followers).
    leader_applied: i64,
    /// A rebuild failed: try again at the next tick.
    stale: bool,
    /// When the last alert applied happened, for the next one's time.
    last_at: i64,
    /// Ticks since the maintenance windows were last read.
    ticks: u32,
    /// New inventories whose state is being built beside.
    reloads: switch::Reloads,
}

impl Applier {
    /// Applies the log until `commands` closes, following the election and the wake-ups.
    pub(crate) async fn run(
        self,
        mut commands: mpsc::Receiver<Command>,
        mut elected: mpsc::Receiver<Elected>,
        mut wakes: mpsc::Receiver<Wake>,
    ) {
        let position = self.live.lock().map_or(0, |l| l.applied);
        self.standing.applied.store(position, Ordering::Relaxed);
        let mut a = Applying {
            parts: self,
            position,
            lead: None,
            failed: mpsc::unbounded_channel(),
            waiting: Vec::new(),
            leader_applied: position,
            stale: false,
            last_at: i64::MIN,
            ticks: 0,
            reloads: switch::Reloads::default(),
        };
        a.read_windows().await;
        a.catch_up().await;
        let mut tick = tokio::time::interval(CATCH_UP_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let wait = a.next_due().map_or(Duration::from_secs(3600), |due| {
                let ms = (due - a.parts.clock.now_ms()).clamp(0, 60_000);
                Duration::from_millis(ms as u64)
            });
            tokio::select! {
                command = commands.recv() => match command {
                    None => break,
                    Some(Command::Appended(appended)) => a.appended(appended).await,
                    Some(Command::Reload(inventory, reply)) => a.reload(inventory, reply),
                    Some(Command::Planned) => a.read_windows().await,
                },
                Some(e) = elected.recv() => match e {
                    Elected::Lead(epoch) => a.lead(epoch).await,
                    Elected::Follow => a.follow("the leader lock was lost").await,
                },
                Some(epoch) = a.failed.1.recv() => {
                    if a.lead.as_ref().is_some_and(|l| l.epoch == epoch) {
                        a.follow("the leader's writes failed").await;
                        let _ = a.parts.resign.send(());
                    }
                }
                Some(w) = wakes.recv() => {
                    let mut woken = vec![w];
                    while let Ok(w) = wakes.try_recv() {
                        woken.push(w);
                    }
                    a.woken(woken).await;
                }
                built = switch::built(&mut a.reloads) => a.switch(built).await,
                _ = tick.tick() => a.tick().await,
                _ = tokio::time::sleep(wait) => a.timers(),
            }
        }
        // Shutting down: what the writer holds is committed, within a bound.
        if let Some(lead) = a.lead.take() {
            drop(lead.writer);
            if tokio::time::timeout(Duration::from_secs(10), lead.task)
                .await
                .is_err()
            {
                tracing::warn!("incident writes still pending at shutdown: the next leader redoes them from the log");
            }
        }
        for (_, w) in a.waiting.drain(..) {
            w.answer();
        }
    }
}

impl Applying {
    fn leading(&self) -> bool {
        self.lead.is_some()
    }

    fn next_due(&self) -> Option<i64> {
        if !self.leading() {
            return None;
        }
        let now_ms = self.parts.clock.now_ms();
        self.parts.live.lock().ok().and_then(|l| {
            let due = l.incidents.next_due();
            let quiet = l.quiet.next_change(now_ms);
            due.into_iter().chain(quiet).min()
        })
    }

    /// Alerts this instance appended: applied at once when they follow what the engine has,
    /// else read from the log with whatever other instances appended before them.
    async fn appended(&mut self, appended: Appended) {
        let last = appended.last();
        let Appended {
            entries,
            replies,
            mapped_on,
        } = appended;
        if entries.first().map(|e| e.id) == Some(self.position + 1) && !self.stale {
            let entries = self.mapped_here(entries, mapped_on.as_ref());
            self.apply(entries);
        } else if last > self.position {
            self.catch_up().await;
        }
        // After a reload a batch mapped on the old inventory may hold its last reference.
        if let Some(inventory) = mapped_on {
            let_go(inventory);
        }
        let appended = Appended {
            entries: Vec::new(),
            replies,
            mapped_on: None,
        };
        if self.position >= last {
            appended.answer();
        } else {
            self.waiting.push((last, appended));
        }
    }

    /// Reads and applies the log after the engine's position.
    async fn catch_up(&mut self) {
        if self.stale {
            return;
        }
        loop {
            let rows = match self
                .parts
                .store
                .log_after(self.position, READ_AT_ONCE)
                .await
            {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, position = self.position, "could not read the alert log; trying again shortly");
                    // Their alerts are durable: the requests are answered; the engine follows.
                    for (_, w) in self.waiting.drain(..) {
                        w.answer();
                    }
                    return;
                }
            };
            let full = rows.len() as i64 == READ_AT_ONCE;
            if rows.is_empty() {
                break;
            }
            self.apply(
                rows.into_iter()
                    .map(|r| Entry {
                        id: r.id,
                        alert: r.alert,
                        vertices: None,
                    })
                    .collect(),
            );
            if !full {
                break;
            }
        }
        let position = self.position;
        let (ready, still): (Vec<_>, Vec<_>) = self
            .waiting
            .drain(..)
            .partition(|(last, _)| *last <= position);
        self.waiting = still;
        for (_, w) in ready {
            w.answer();
        }
    }

    /// Applies `entries` (in log order, after the position) to the engine; while leading,
    /// also to the incident book, handing what follows to the writer.
    fn apply(&mut self, entries: Vec<Entry>) {
        let shared = Arc::clone(&self.parts.live);
        let Ok(mut live) = shared.lock() else {
            tracing::error!("live state poisoned: the log is no longer applied");
            return;
        };
        let decided = self.apply_locked(&mut live, entries);
        drop(live);
        self.decided(decided);
    }

    /// Applies `entries` to `live`, whose lock the caller holds; answers what the leader
    /// decided, for [`Applying::decided`] once the lock is released.
    fn apply_locked(&mut self, live: &mut Live, entries: Vec<Entry>) -> Decided {
        let now_ms = self.parts.clock.now_ms();
        let leading = self.leading();
        let mut assertions = Vec::new();
        let (mut out, mut notices) = (Vec::new(), Vec::new());
        let mut impact_changes = 0;
        {
            let mut changed = Vec::new();
            let mut state_changes = Vec::new();
            for e in entries {
                if e.id <= self.position {
                    continue;
                }
                switch::observe(live, &e.alert, e.vertices, &mut changed);
                let a = &e.alert;
                // When it happened: when the alert came (a new leader may apply a stretch of
                // log later), never before what was applied already nor after now.
                let at = a.received_ms.max(self.last_at).min(now_ms);
                self.last_at = at;
                self.position = e.id;
                if leading {
                    assertions.push(assertion_change(e.alert));
                }
                // Each alert's consequences are decided on the engine as that alert left it,
                // before the next one changes it again.
                for (v, obs) in changed.drain(..) {
                    let start = state_changes.len();
                    live.impact.observe(v, obs, &mut state_changes);
                    if leading && obs != State::Up {
                        notices.extend(crate::staff::degraded(
                            &live.inventory,
                            v,
                            &state_changes[start..],
                            &self.parts.staff,
                            at,
                        ));
                    }
                }
                if leading && !state_changes.is_empty() {
                    live.incidents.set_quiet(live.quiet.at(at));
                    live.incidents.apply(
                        &live.inventory,
                        &live.impact,
                        &state_changes,
                        at,
                        &mut out,
                        &mut notices,
                    );
                }
                impact_changes += state_changes.len();
                state_changes.clear();
            }
            live.applied = self.position;
        }
        if leading && impact_changes > 0 {
            tracing::info!(changes = impact_changes, "impact changed");
        }
        Decided {
            leading,
            assertions,
            incidents: out,
            notices,
        }
    }

    /// Publishes the position and hands what the leader decided to its writer.
    fn decided(&mut self, d: Decided) {
        self.parts
            .standing
            .applied
            .store(self.position, Ordering::Relaxed);
        if d.leading {
            self.write(Write::Record {
                through: self.position,
                assertions: d.assertions,
                incidents: d.incidents,
                notices: d.notices,
                settle: Vec::new(),
            });
        }
    }

    /// Hands a write to the leader's writer.
    fn write(&mut self, w: Write) {
        if let Some(lead) = &self.lead {
            if lead.writer.send(w).is_err() {
                // The writer stopped after a failure it reported: stepping down follows.
                tracing::error!("the leader's writer stopped");
            }
        }
    }

    /// Held-back notices that became due (leading only).
    fn timers(&mut self) {
        if !self.leading() {
            return;
        }
        let now_ms = self.parts.clock.now_ms();
        let (mut out, mut notices) = (Vec::new(), Vec::new());
        {
            let Ok(mut live) = self.parts.live.lock() else {
                return;
            };
            let live = &mut *live;
            live.incidents
                .due(&live.inventory, now_ms, &mut out, &mut notices);
            // A window started or ended: services still down once their causes are no
            // longer quiet open incidents now.
            let quiet = live.quiet.at(now_ms);
            if quiet != live.incidents.quiet() {
                live.incidents.set_quiet(quiet);
                live.incidents.reconcile(
                    &live.inventory,
                    &live.impact,
                    now_ms,
                    &mut out,
                    &mut notices,
                );
            }
        }
        if out.is_empty() && notices.is_empty() {
            return;
        }
        self.write(Write::Record {
            through: self.position,
            assertions: Vec::new(),
            incidents: out,
            notices,
            settle: Vec::new(),
        });
    }

    /// Once a second: the log is read whatever the notifications said; a follower reads the
    /// incident view again when the leader got further; the leader gives back the claims of
    /// instances that are gone.
    async fn tick(&mut self) {
        if self.stale {
            let inventory = self.inventory();
            let epoch = self.lead.as_ref().map(|l| l.epoch);
            if let Err(e) = self.rebuild(inventory, epoch).await {
                tracing::warn!(error = %e, "could not rebuild from the database; trying again shortly");
                return;
            }
        }
        self.catch_up().await;
        self.ticks += 1;
        if self.ticks >= WINDOWS_EVERY_TICKS {
            self.read_windows().await;
        }
        if !self.leading() {
            self.refresh_incidents(false).await;
            return;
        }
        // Notices a dead instance had claimed go out again now, not when their lease ends.
        match self.parts.store.release_orphaned_claims().await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(
                    notices = n,
                    "notices claimed by an instance that is gone go out again"
                );
                self.parts.outbox.notify_one();
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not look for notices claimed by instances that are gone")
            }
        }
    }
}

impl Applying {
    /// Reads the maintenance windows not yet over into the quiet schedule; the leader then
    /// brings incidents in line at once (a window cancelled while it ran).
    async fn read_windows(&mut self) {
        self.ticks = 0;
        let now_ms = self.parts.clock.now_ms();
        let windows = match self.parts.store.maintenances(now_ms).await {
            Ok(w) => w,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the maintenance windows; trying again shortly");
                return;
            }
        };
        let changed = match self.parts.live.lock() {
            Ok(mut live) => {
                let live = &mut *live;
                live.quiet.set_windows(&live.inventory, &windows)
            }
            Err(_) => false,
        };
        if changed {
            self.timers();
        }
    }
}

/// What an alert of the log asserts from now on, as `assertions` stores it.
fn assertion_change(a: NewAlert) -> AssertionChange {
    match a.status {
        AlertStatus::Firing if a.state != "up" && !a.vertices.is_empty() => {
            AssertionChange::Replace {
                source: a.source,
                fingerprint: a.fingerprint,
                state: a.state,
                vertices: a.vertices,
                since_ms: a.received_ms,
            }
        }
        _ => AssertionChange::Withdraw {
            source: a.source,
            fingerprint: a.fingerprint,
        },
    }
}

/// Lets go of `held`; when this was the last hold on it, it is freed on a blocking thread.
/// Freeing an inventory of a million services takes about 0.1 s: done by the applier (the
/// last alert batch mapped on the old inventory held it after a reload), it stopped alerts
/// for that long (`scripts/bench/reload`).
pub(crate) fn let_go<T: Send + Sync + 'static>(held: Arc<T>) {
    if let Some(last) = Arc::into_inner(held) {
        tokio::task::spawn_blocking(move || drop(last));
    }
}
