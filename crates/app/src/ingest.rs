//! Accepting alerts, on every instance: alerts handed over by requests are mapped to
//! vertices and appended to the shared log in one transaction per batch (group commit), with
//! their raw bodies archived beside. The applier (`apply.rs`) then applies them in log order
//! and answers the requests once this instance's engine reflects them.

use std::sync::{Arc, Mutex};

use tocsin_model::{Inventory, State};
use tocsin_store::{AlertStatus, AnyStore, LogStore};
use tokio::sync::{mpsc, oneshot};

use crate::apply::{Appended, Command, Entry, Reply};
use crate::archiving::Archiver;
use crate::batch::Batch;
use crate::metrics::Metrics;
use crate::Live;

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
    reply: Reply,
}

/// Hands alerts (and new inventories) to the pipeline.
#[derive(Clone)]
pub struct Ingestor {
    tx: mpsc::Sender<Job>,
    commands: mpsc::Sender<Command>,
}

/// What the accepting task works with.
pub(crate) struct Accepting {
    pub store: Arc<AnyStore>,
    pub live: Arc<Mutex<Live>>,
    pub archiver: Archiver,
    pub metrics: Arc<Metrics>,
}

impl Ingestor {
    /// Starts the accepting task, which hands what it appended to the applier behind
    /// `commands`; it ends once every `Ingestor` is dropped and it has drained.
    pub(crate) fn start(
        accepting: Accepting,
        commands: mpsc::Sender<Command>,
    ) -> (Ingestor, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(4096);
        let task = tokio::spawn(run(rx, accepting, commands.clone()));
        (Ingestor { tx, commands }, task)
    }

    /// Switches the running system to `inventory`, between two stretches of the log.
    pub async fn reload(&self, inventory: Arc<Inventory>) -> Result<(), String> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(Command::Reload(inventory, reply))
            .await
            .map_err(|_| "the server is shutting down".to_owned())?;
        answer
            .await
            .map_err(|_| "the ingestion pipeline stopped".to_owned())?
    }

    /// Tells the pipeline that maintenance windows were planned, moved or cancelled, so that
    /// it reads them again (other instances read them every few seconds).
    pub async fn planned(&self) {
        let _ = self.commands.send(Command::Planned).await;
    }

    /// Appends `alerts` to the log durably (and the raw `body` they came in to the archive);
    /// returns once they are durable and this instance's engine reflects them.
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

async fn run(mut rx: mpsc::Receiver<Job>, ctx: Accepting, commands: mpsc::Sender<Command>) {
    let mut jobs: Vec<Job> = Vec::new();
    while let Some(job) = rx.recv().await {
        jobs.push(job);
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        if let Some(appended) = append(&mut jobs, &ctx).await {
            if let Err(e) = commands.send(Command::Appended(appended)).await {
                // The applier is gone (shutting down): the alerts are durable all the same.
                if let Command::Appended(a) = e.0 {
                    a.answer();
                }
            }
        }
    }
}

/// Maps and appends one batch; answers its jobs with an error when it could not be made
/// durable, else hands them on.
async fn append(jobs: &mut Vec<Job>, ctx: &Accepting) -> Option<Appended> {
    // Map every alert while holding the state briefly; the write happens without it.
    let (
        Batch {
            mapped,
            rows,
            objects,
        },
        mapped_on,
    ) = {
        let Ok(live) = ctx.live.lock() else {
            fail(jobs, "internal state poisoned");
            return None;
        };
        let batch = crate::batch::map(
            jobs.iter().map(|j| (j.alerts.as_slice(), j.body.as_ref())),
            &live,
            &ctx.archiver,
        );
        // A reload may swap the inventory before the applier gets these: it then maps again.
        (batch, Arc::clone(&live.inventory))
    };
    // The raw bodies and the alerts are made durable side by side.
    let (archived, stored) = tokio::join!(ctx.archiver.put_all(objects), ctx.store.append(&rows));
    let ids = match stored {
        Ok(ids) if ids.len() == rows.len() => ids,
        Ok(ids) => {
            tracing::error!(
                alerts = rows.len(),
                ids = ids.len(),
                "the log answered a wrong count"
            );
            fail(
                jobs,
                "could not store the alerts: the log answered a wrong count",
            );
            return None;
        }
        Err(e) => {
            tracing::error!(error = %e, alerts = rows.len(), "could not store alerts");
            fail(jobs, &format!("could not store the alerts: {e}"));
            return None;
        }
    };
    if let Err(e) = archived {
        // The alerts are stored; the sender retries and the repeat is idempotent. They are
        // still applied: they are in the log, which every instance follows.
        tracing::error!(error = %e, "could not archive alert bodies");
        let why = format!("could not archive the request: {e}");
        let mut appended = entries(ids, rows, mapped, Vec::new(), mapped_on);
        appended.replies = jobs
            .drain(..)
            .map(|j| (j.reply, Err(why.clone())))
            .collect();
        return Some(appended);
    }
    let mut replies = Vec::with_capacity(jobs.len());
    let mut unmatched = 0;
    let mut mapped_iter = mapped.iter();
    for job in jobs.drain(..) {
        let mut report = Report::default();
        for a in &job.alerts {
            report.accepted += 1;
            if mapped_iter.next().is_none_or(Vec::is_empty) {
                report.count_unmatched(a);
            }
        }
        unmatched += report.unmatched_count;
        replies.push((job.reply, Ok(report)));
    }
    ctx.metrics
        .alerts
        .fetch_add(rows.len() as u64, std::sync::atomic::Ordering::Relaxed);
    ctx.metrics
        .unmatched
        .fetch_add(unmatched as u64, std::sync::atomic::Ordering::Relaxed);
    Some(entries(ids, rows, mapped, replies, mapped_on))
}

fn entries(
    ids: Vec<i64>,
    rows: Vec<tocsin_store::NewAlert>,
    mapped: Vec<Vec<tocsin_model::VertexId>>,
    replies: Vec<(Reply, Result<Report, String>)>,
    mapped_on: Arc<Inventory>,
) -> Appended {
    let entries = ids
        .into_iter()
        .zip(rows)
        .zip(mapped)
        .map(|((id, alert), vertices)| Entry {
            id,
            alert,
            vertices: Some(vertices),
        })
        .collect();
    Appended {
        entries,
        replies,
        mapped_on: Some(mapped_on),
    }
}

fn fail(jobs: &mut Vec<Job>, why: &str) {
    for job in jobs.drain(..) {
        let _ = job.reply.send(Err(why.to_owned()));
    }
}

/// What a firing alert asserts, read back from the log.
pub(crate) fn state_of(stored: &str) -> State {
    match stored {
        "down" => State::Down,
        "degraded" => State::Degraded,
        _ => State::Up,
    }
}

#[cfg(test)]
mod tests;
