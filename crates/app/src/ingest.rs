//! The ingestion pipeline: alerts handed over by requests are mapped to vertices, written in
//! one transaction per batch (group commit), and only then applied to the observations and
//! the impact engine and acknowledged.

use std::sync::{Arc, Mutex};

use tocsin_model::alerts::AlertKey;
use tocsin_model::{Change, Inventory, State, VertexId};
use tocsin_store::{AlertStatus, AnyStore, IncidentChange, IncidentStore, NewNotice, Store};
use tokio::sync::{mpsc, oneshot};

use crate::archiving::Archiver;
use crate::batch::Batch;
use crate::metrics::Metrics;
use crate::replay::restore;
use crate::{Clock, Live};

/// How many requests' alerts may share one transaction.
const MAX_BATCH: usize = 512;

/// How many of a request's unmatched alerts its answer names; the rest are counted. The
/// answer stays small however many alerts a request carries, and the store lists them all.
const UNMATCHED_SAMPLE: usize = 20;

/// Which vertices an alert is about.
#[derive(Debug, Clone)]
pub enum Target {
    /// A vertex named outright (`tocsin_node`, or the generic endpoint's `node`).
    Node(String),
    /// Whatever vertices the alert's labels match.
    Labels(Vec<(String, String)>),
    /// The vertex named like the host, if there is one; else what the labels match.
    HostOrLabels(String, Vec<(String, String)>),
}

/// One alert as received, before mapping.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// `alertmanager`, `generic`, `zabbix`…
    pub source: String,
    /// Identity at the source.
    pub fingerprint: String,
    /// Firing or resolved.
    pub status: AlertStatus,
    /// What a firing alert asserts: down or degraded. Ignored when resolved.
    pub state: State,
    /// Which vertices.
    pub target: Target,
    /// When received (ms since the epoch).
    pub received_ms: i64,
}

/// An alert that matched no vertex.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Unmatched {
    /// Source.
    pub source: String,
    /// Identity at the source.
    pub fingerprint: String,
}

/// What became of a request's alerts.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Report {
    /// How many alerts were stored.
    pub accepted: usize,
    /// The first 20 of those that matched no vertex (stored all the same): a sample.
    pub unmatched: Vec<Unmatched>,
    /// How many matched no vertex.
    pub unmatched_count: usize,
}

impl Report {
    /// Counts an alert that matched no vertex, naming it while the sample has room.
    fn count_unmatched(&mut self, alert: &Incoming) {
        self.unmatched_count += 1;
        if self.unmatched.len() < UNMATCHED_SAMPLE {
            self.unmatched.push(Unmatched {
                source: alert.source.clone(),
                fingerprint: alert.fingerprint.clone(),
            });
        }
    }
}

struct Job {
    alerts: Vec<Incoming>,
    /// The request body as received, for the archive.
    body: Option<Vec<u8>>,
    reply: oneshot::Sender<Result<Report, String>>,
}

/// Hands alerts (and new inventories) to the pipeline.
#[derive(Clone)]
pub struct Ingestor {
    tx: mpsc::Sender<Job>,
    reloads: mpsc::Sender<Reload>,
}

impl Ingestor {
    /// Starts the pipeline task; it ends once every `Ingestor` is dropped and it has drained.
    pub(crate) fn start(parts: PipelineParts) -> (Ingestor, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(4096);
        let (reloads, reload_rx) = mpsc::channel(4);
        let (records, pending) = mpsc::unbounded_channel();
        let writer = tokio::spawn(write_records(
            pending,
            Arc::clone(&parts.store),
            parts.wake,
            Arc::clone(&parts.metrics),
        ));
        let ctx = Pipeline {
            store: parts.store,
            live: parts.live,
            clock: parts.clock,
            archiver: parts.archiver,
            staff: parts.staff,
            records,
            metrics: parts.metrics,
        };
        let task = tokio::spawn(async move {
            run(rx, reload_rx, ctx).await;
            // `run` dropped the last sender of records: the writer drains and stops.
            if let Err(e) = writer.await {
                tracing::error!(error = %e, "incident writer failed");
            }
        });
        (Ingestor { tx, reloads }, task)
    }

    /// Switches the pipeline to `inventory` between two batches of alerts.
    pub async fn reload(&self, inventory: Arc<Inventory>) -> Result<(), String> {
        let (reply, answer) = oneshot::channel();
        self.reloads
            .send(Reload { inventory, reply })
            .await
            .map_err(|_| "the server is shutting down".to_owned())?;
        answer
            .await
            .map_err(|_| "the ingestion pipeline stopped".to_owned())?
    }

    /// Stores `alerts` (and the raw `body` they came in, in the archive) durably and applies
    /// them; returns once they are on disk.
    pub async fn submit(
        &self,
        alerts: Vec<Incoming>,
        body: Option<Vec<u8>>,
    ) -> Result<Report, String> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job {
                alerts,
                body,
                reply,
            })
            .await
            .map_err(|_| "the server is shutting down".to_owned())?;
        answer
            .await
            .map_err(|_| "the ingestion pipeline stopped".to_owned())?
    }
}

async fn run(mut rx: mpsc::Receiver<Job>, mut reloads: mpsc::Receiver<Reload>, ctx: Pipeline) {
    let mut jobs: Vec<Job> = Vec::new();
    loop {
        let next_due = ctx.live.lock().ok().and_then(|l| l.incidents.next_due());
        let wait = next_due.map_or(std::time::Duration::from_secs(3600), |due| {
            let ms = (due - ctx.clock.now_ms()).clamp(0, 60_000);
            std::time::Duration::from_millis(ms as u64)
        });
        let job = tokio::select! {
            job = rx.recv() => job,
            Some(reload) = reloads.recv() => {
                let answer = self::reload(&ctx, reload.inventory).await;
                let _ = reload.reply.send(answer);
                continue;
            }
            _ = tokio::time::sleep(wait) => {
                step(&ctx, &[], ctx.clock.now_ms());
                continue;
            }
        };
        let Some(job) = job else { break };
        jobs.push(job);
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        commit(&mut jobs, &ctx).await;
    }
}

/// A new inventory to switch to, between two batches of alerts.
pub(crate) struct Reload {
    pub inventory: Arc<Inventory>,
    pub reply: oneshot::Sender<Result<(), String>>,
}

/// Switches to `inventory`: once every incident change so far is committed, the live state is
/// rebuilt from the database (what alerts assert, open incidents) against the new graph, by
/// vertex ids, and incidents are reconciled with it.
async fn reload(ctx: &Pipeline, inventory: Arc<Inventory>) -> Result<(), String> {
    let (flushed, done) = oneshot::channel();
    ctx.records
        .send(Write::Flush(flushed))
        .map_err(|_| "the incident writer stopped".to_owned())?;
    done.await
        .map_err(|_| "the incident writer stopped".to_owned())?;
    let (hold_down_ms, recipients) = {
        let live = ctx
            .live
            .lock()
            .map_err(|_| "internal state poisoned".to_owned())?;
        (
            live.incidents.hold_down_ms(),
            live.incidents.recipients().clone(),
        )
    };
    let mut live = restore(
        inventory,
        &ctx.store,
        hold_down_ms,
        ctx.clock.now_ms(),
        recipients,
    )
    .await
    .map_err(|e| e.to_string())?;
    let mut current = ctx
        .live
        .lock()
        .map_err(|_| "internal state poisoned".to_owned())?;
    // What customers chose while the new state was being built is kept: it is taken from
    // the state being replaced, at the moment it is replaced.
    *live.incidents.recipients_mut() = current.incidents.recipients().clone();
    *current = live;
    tracing::info!(
        vertices = current.inventory.graph.vertex_count(),
        services = current.inventory.services.len(),
        "inventory reloaded"
    );
    Ok(())
}

/// What the pipeline task works with.
pub(crate) struct Pipeline {
    pub store: Arc<AnyStore>,
    pub live: Arc<Mutex<Live>>,
    pub clock: Arc<dyn Clock>,
    pub archiver: Archiver,
    pub staff: Arc<[String]>,
    /// To the incident writer.
    records: mpsc::UnboundedSender<Write>,
    metrics: Arc<Metrics>,
}

/// What the pipeline is started with.
pub(crate) struct PipelineParts {
    pub store: Arc<AnyStore>,
    pub live: Arc<Mutex<Live>>,
    pub clock: Arc<dyn Clock>,
    /// Wakes the outbox workers when notices were queued.
    pub wake: Arc<tokio::sync::Notify>,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Where raw bodies go.
    pub archiver: Archiver,
    /// Staff told about lost redundancy.
    pub staff: Arc<[String]>,
}

/// Incident changes and the notices they make due, on their way to the database.
type Record = (Vec<IncidentChange>, Vec<NewNotice>);

/// What the incident writer is handed.
enum Write {
    /// Commit these.
    Record(Record),
    /// Answer once everything handed over before is committed.
    Flush(oneshot::Sender<()>),
}

/// Takes engine changes (none for a timer tick) to incidents and due notices, and hands them
/// to the writer, which commits them in order while the pipeline goes on with the next alerts.
fn step(ctx: &Pipeline, changes: &[Change], now_ms: i64) {
    let (out, notices) = {
        let Ok(mut live) = ctx.live.lock() else {
            return;
        };
        let live = &mut *live;
        let (mut out, mut notices) = (Vec::new(), Vec::new());
        if changes.is_empty() {
            live.incidents
                .due(&live.inventory, now_ms, &mut out, &mut notices);
        } else {
            live.incidents.apply(
                &live.inventory,
                &live.impact,
                changes,
                now_ms,
                &mut out,
                &mut notices,
            );
        }
        (out, notices)
    };
    if out.is_empty() && notices.is_empty() {
        return;
    }
    if ctx.records.send(Write::Record((out, notices))).is_err() {
        tracing::error!(
            "incident writer stopped: changes lost until the next start reconciles them"
        );
    }
}

/// Commits incident changes and notices in order, several steps per transaction when they
/// queue up. The alerts behind them are durable already: a crash before a commit here is
/// repaired at the next start by reconciling incidents with the restored impact.
async fn write_records(
    mut rx: mpsc::UnboundedReceiver<Write>,
    store: Arc<AnyStore>,
    wake: Arc<tokio::sync::Notify>,
    metrics: Arc<Metrics>,
) {
    while let Some(first) = rx.recv().await {
        let (mut out, mut notices) = (Vec::new(), Vec::new());
        let mut flushes = Vec::new();
        for w in std::iter::once(first).chain(std::iter::from_fn(|| rx.try_recv().ok())) {
            match w {
                Write::Record((o, n)) => {
                    out.extend(o);
                    notices.extend(n);
                }
                Write::Flush(done) => flushes.push(done),
            }
        }
        if !out.is_empty() || !notices.is_empty() {
            commit_records(&store, &out, &notices).await;
        }
        if !notices.is_empty() {
            tracing::info!(notices = notices.len(), "notices queued");
            metrics
                .queued
                .fetch_add(notices.len() as u64, std::sync::atomic::Ordering::Relaxed);
            wake.notify_one();
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

async fn commit_records(store: &AnyStore, out: &[IncidentChange], notices: &[NewNotice]) {
    let mut delay = std::time::Duration::from_millis(100);
    for attempt in 1.. {
        match store.record(out, notices).await {
            Ok(()) => return,
            Err(e) if attempt < 6 => {
                tracing::warn!(error = %e, attempt, "could not record incident changes; retrying");
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            Err(e) => {
                tracing::error!(error = %e, "could not record incident changes; the next start reconciles them");
                return;
            }
        }
    }
}

/// One alert resolved against the inventory.
struct Mapped<'a> {
    incoming: &'a Incoming,
    vertices: Vec<VertexId>,
}

async fn commit(jobs: &mut Vec<Job>, ctx: &Pipeline) {
    let (store, live) = (&ctx.store, &ctx.live);
    // Map every alert while holding the state briefly; the write happens without it.
    let Batch {
        mapped,
        rows,
        changes,
        objects,
    } = {
        let Ok(live) = live.lock() else {
            return fail(jobs, "internal state poisoned");
        };
        crate::batch::map(
            jobs.iter().map(|j| (j.alerts.as_slice(), j.body.as_ref())),
            &live,
            &ctx.archiver,
        )
    };
    // The raw bodies and the alerts are made durable side by side.
    let (archived, stored) =
        tokio::join!(ctx.archiver.put_all(objects), store.ingest(&rows, &changes));
    if let Err(e) = stored {
        tracing::error!(error = %e, alerts = rows.len(), "could not store alerts");
        return fail(jobs, &format!("could not store the alerts: {e}"));
    }
    if let Err(e) = archived {
        // The alerts are stored; the sender retries and the repeat is idempotent.
        tracing::error!(error = %e, "could not archive alert bodies");
        return fail(jobs, &format!("could not archive the request: {e}"));
    }
    // Durable: now apply, in the order written.
    let now_ms = ctx.clock.now_ms();
    let mut reports: Vec<Report> = Vec::with_capacity(jobs.len());
    let mut state_changes = Vec::new();
    let mut staff_notices = Vec::new();
    {
        let Ok(mut live) = live.lock() else {
            return fail(jobs, "internal state poisoned");
        };
        let live = &mut *live;
        let mut changed = Vec::new();
        let mut mapped = mapped.into_iter();
        for job in jobs.iter() {
            let mut report = Report::default();
            for a in &job.alerts {
                let m = Mapped {
                    incoming: a,
                    vertices: mapped.next().unwrap_or_default(),
                };
                report.accepted += 1;
                if m.vertices.is_empty() {
                    report.count_unmatched(a);
                }
                let key: AlertKey = (
                    m.incoming.source.as_str().into(),
                    m.incoming.fingerprint.as_str().into(),
                );
                // An alert of no vertex is not held (nor written as asserting anything): it
                // withdraws whatever its fingerprint asserted before.
                match a.status {
                    AlertStatus::Firing => {
                        live.observations
                            .assert(key, a.state, m.vertices, &mut changed)
                    }
                    AlertStatus::Resolved => live.observations.withdraw(&key, &mut changed),
                }
            }
            reports.push(report);
        }
        for (v, obs) in changed {
            let start = state_changes.len();
            live.impact.observe(v, obs, &mut state_changes);
            if obs != State::Up {
                staff_notices.extend(crate::staff::degraded(
                    &live.inventory,
                    v,
                    &state_changes[start..],
                    &ctx.staff,
                    now_ms,
                ));
            }
        }
        if !state_changes.is_empty() {
            tracing::info!(changes = state_changes.len(), "impact changed");
        }
    }
    let unmatched: usize = reports.iter().map(|r| r.unmatched_count).sum();
    ctx.metrics
        .alerts
        .fetch_add(rows.len() as u64, std::sync::atomic::Ordering::Relaxed);
    ctx.metrics
        .unmatched
        .fetch_add(unmatched as u64, std::sync::atomic::Ordering::Relaxed);
    // Acknowledge first: the alerts are durable; incidents follow from them.
    for (job, report) in jobs.drain(..).zip(reports) {
        let _ = job.reply.send(Ok(report));
    }
    if !state_changes.is_empty() {
        step(ctx, &state_changes, now_ms);
    }
    if !staff_notices.is_empty()
        && ctx
            .records
            .send(Write::Record((Vec::new(), staff_notices)))
            .is_err()
    {
        tracing::error!("incident writer stopped: staff notices lost");
    }
}

fn fail(jobs: &mut Vec<Job>, why: &str) {
    for job in jobs.drain(..) {
        let _ = job.reply.send(Err(why.to_owned()));
    }
}

#[cfg(test)]
mod tests;
