//! Tocsin's running system, without HTTP: the live state (inventory, observations, impact,
//! incident book, recipients), the ingestion pipeline with its group commit, replay and
//! reload, incident and notice decisions, staff notices, the outbox with its e-mail, webhook
//! and broadcast delivery, the archiving of what was sent, metrics counters, and the
//! operations the faces call (`ops`), each taking the acting [`Principal`] and answering a
//! typed result or a typed [`Refused`].
//!
//! It must never know axum, hyper's server side, HTML or the wire shapes of monitoring
//! systems: the HTTP face (`tocsin-web`) parses, calls one operation and renders.

mod apply;
mod archiving;
mod batch;
mod broadcast;
pub mod clock;
pub mod desk;
pub mod help;
pub mod inbound;
mod ingest;
mod lead;
mod metrics;
mod notices;
pub mod ops;
mod outbox;
pub mod planned;
pub mod principal;
mod recipients;
pub mod recur;
mod reload;
mod replay;
pub mod sla;
mod staff;
#[cfg(test)]
mod testing;
pub mod vault;
mod webhooks;

use std::sync::{Arc, Mutex};

use tocsin_model::alerts::{LabelIndex, Observations};
use tocsin_model::{Impact, Inventory};
use tocsin_store::{AccountStore, AnyStore, IncidentStore, Store, StoreError};

pub use apply::Standing;
pub use archiving::Archiver;
pub use ingest::{Incoming, Ingestor, Report, Target, Unmatched};
pub use metrics::Metrics;
pub use notices::{service_line, Incidents, Payload, PayloadService};
pub use ops::Refused;
pub use outbox::{Delivering, Kept, KeptMessages, Transport};
pub use principal::{Action, Principal, Role};
pub use recipients::Recipients;
pub use replay::{replay, restore};
pub use webhooks::refused_host;

/// Reads the wall clock for the edge of the system; the model never does.
pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since the Unix epoch, UTC.
    fn now_ms(&self) -> i64;

    /// The jumps of the wall clock this clock saw and did not follow (none for a clock that
    /// does not watch for them).
    fn jumps(&self) -> clock::ClockJumps {
        clock::ClockJumps::default()
    }
}

/// Reads the inventory again (from the file or directory the server was started with);
/// errors are the reader's diagnostics, one a line.
pub type ReloadFn = Arc<dyn Fn() -> Result<Inventory, String> + Send + Sync>;

/// What the running system is started with.
pub struct Config {
    /// The provider's inventory.
    pub inventory: Arc<Inventory>,
    /// The database.
    pub store: AnyStore,
    /// The wall clock.
    pub clock: Arc<dyn Clock>,
    /// How long a service must stay down before its customer is told.
    pub hold_down: std::time::Duration,
    /// How notices are delivered.
    pub delivering: Delivering,
    /// How to re-read the inventory (on SIGHUP and on request).
    pub reload: Option<ReloadFn>,
    /// Where raw alert bodies and sent messages are kept.
    pub archiver: Archiver,
    /// Broadcast (mass mail) notices sent per second at most.
    pub broadcast_per_second: u32,
    /// Staff addresses told when services lose redundancy without going down.
    pub staff: Vec<String>,
    /// Customers' own webhooks may point at private and reserved addresses (loopback, RFC
    /// 1918, link-local…); off, they are refused when saved and when delivered.
    pub allow_private_webhooks: bool,
    /// The provider's time zone (`[sla] time_zone`): notices give times in it beside UTC,
    /// recurring schedules follow its civil time.
    pub time_zone: jiff::tz::TimeZone,
    /// How months of service turn into credits (`[sla]`).
    pub sla: sla::SlaPolicy,
    /// How the support desk runs (`[desk]`).
    pub desk: desk::DeskPolicy,
    /// The desk's SMTP listener, bound, and how it presents itself (`[desk] inbound`).
    pub inbound: Option<(std::net::TcpListener, inbound::InboundConfig)>,
    /// The keys that seal secrets at rest (`[desk] key_file`).
    pub vault: Option<Arc<vault::Keyring>>,
}

/// Live state shared by the faces (read) and the ingestion task (the one writer of the
/// observations and the impact).
pub struct Live {
    /// The inventory the state is computed on.
    pub inventory: Arc<Inventory>,
    /// Alert labels to vertices.
    pub labels: LabelIndex,
    /// What each alert asserts now.
    pub observations: Observations,
    /// The impact engine.
    pub impact: Impact,
    /// The incident book and who is told.
    pub incidents: Incidents,
    /// The last alert of the shared log this state reflects.
    pub applied: i64,
    /// Vertices down on purpose: maintenance windows running, members drained.
    pub quiet: planned::Quiet,
}

/// The running system, shared by every request of every face.
pub struct System {
    /// The live state; faces read it through [`System::read`] and never write it.
    pub(crate) live: Arc<Mutex<Live>>,
    /// The database.
    pub store: Arc<AnyStore>,
    /// The one way alerts enter.
    pub ingestor: Ingestor,
    /// The wall clock.
    pub clock: Arc<dyn Clock>,
    /// Notices kept instead of mailed (the demo, or a server without `[smtp]`).
    pub kept: KeptMessages,
    /// Whether notices are kept rather than mailed.
    pub demo: bool,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Customers' own webhooks may point at private addresses.
    pub allow_private_webhooks: bool,
    /// Woken when staff change what the public status outputs show (updates, component
    /// statuses, maintenance), so they are rendered again at once rather than at the next read.
    pub status_changed: Arc<tokio::sync::Notify>,
    /// Whether this instance leads, and how far it applied the log.
    pub standing: Arc<Standing>,
    /// The provider's time zone (`[sla] time_zone`).
    pub time_zone: jiff::tz::TimeZone,
    /// How months of service turn into credits (`[sla]`).
    pub sla: Arc<sla::SlaPolicy>,
    /// Wakes the leader's SLA timer (an outage was recorded).
    pub sla_wake: Arc<tokio::sync::Notify>,
    /// How the support desk runs (`[desk]`).
    pub desk: Arc<desk::DeskPolicy>,
    /// The keys that seal secrets at rest, when `[desk] key_file` is set.
    pub vault: Option<Arc<vault::Keyring>>,
    /// The archive of raw alerts and sent messages, read by the faces.
    pub archiver: Archiver,
    /// Wakes this instance's outbox workers when notices were queued.
    outbox_wake: Arc<tokio::sync::Notify>,
    reload: Option<ReloadFn>,
}

/// A system whose database is migrated and whose state is restored, not yet running.
pub struct Opened {
    store: Arc<AnyStore>,
    live: Live,
    clock: Arc<dyn Clock>,
    delivering: Delivering,
    reload: Option<ReloadFn>,
    archiver: Archiver,
    broadcast_per_second: u32,
    staff: Vec<String>,
    allow_private_webhooks: bool,
    hold_down_ms: i64,
    time_zone: jiff::tz::TimeZone,
    sla: sla::SlaPolicy,
    desk: desk::DeskPolicy,
    inbound: Option<(std::net::TcpListener, inbound::InboundConfig)>,
    vault: Option<Arc<vault::Keyring>>,
}

/// The system's background tasks, to be stopped once the faces are done.
pub struct Running {
    pipeline: tokio::task::JoinHandle<()>,
    applier: tokio::task::JoinHandle<()>,
    worker: tokio::task::JoinHandle<()>,
    stop: tokio::sync::watch::Sender<bool>,
    timers: Vec<tokio::task::JoinHandle<()>>,
}

impl Opened {
    /// Migrates the database and restores what alerts assert and the open incidents, as of
    /// the log position the leader applied; the rest of the log follows once started.
    pub async fn open(config: Config) -> Result<Opened, StoreError> {
        config.store.migrate().await?;
        let store = Arc::new(config.store);
        let hold_down_ms = config.hold_down.as_millis().min(i64::MAX as u128) as i64;
        let live = restore(Arc::clone(&config.inventory), &store, hold_down_ms).await?;
        if matches!(&*store, AnyStore::Sqlite(_)) {
            // One instance owns an SQLite database: claims left by a crash are given back.
            let released = store.release_claims().await?;
            if released > 0 {
                tracing::info!(released, "notices claimed before a crash go out again");
            }
        }
        Ok(Opened {
            store,
            live,
            clock: config.clock,
            delivering: config.delivering,
            reload: config.reload,
            archiver: config.archiver,
            broadcast_per_second: config.broadcast_per_second,
            staff: config.staff,
            allow_private_webhooks: config.allow_private_webhooks,
            hold_down_ms,
            time_zone: config.time_zone,
            sla: config.sla,
            desk: config.desk,
            inbound: config.inbound,
            vault: config.vault,
        })
    }

    /// Sets the status page URL the notices link to, once the address is known.
    pub fn with_public_url(mut self, url: String) -> Self {
        self.delivering.public_url = url;
        self
    }

    /// The status page URL notices link to, empty when unknown.
    pub fn public_url(&self) -> &str {
        &self.delivering.public_url
    }

    /// Starts accepting alerts, the applier with the election, the outbox workers and the
    /// timers.
    pub fn start(self) -> (Arc<System>, Running) {
        let Opened {
            store,
            live,
            clock,
            delivering,
            reload,
            archiver,
            broadcast_per_second,
            staff,
            allow_private_webhooks,
            hold_down_ms,
            time_zone,
            sla,
            desk,
            inbound,
            vault,
        } = self;
        let live = Arc::new(Mutex::new(live));
        let wake = Arc::new(tokio::sync::Notify::new());
        let metrics = Arc::new(Metrics::default());
        let Pipeline {
            ingestor,
            standing,
            accepting: pipeline,
            applier,
            election,
            listener,
        } = Pipeline::start(PipelineParts {
            store: Arc::clone(&store),
            live: Arc::clone(&live),
            clock: Arc::clone(&clock),
            staff: staff.into(),
            hold_down_ms,
            outbox: Arc::clone(&wake),
            metrics: Arc::clone(&metrics),
            archiver: archiver.clone(),
        });
        let kept = KeptMessages::default();
        let outbox_wake = Arc::clone(&wake);
        let demo = matches!(delivering.transport, Transport::Keep);
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let inbound_stop = stopped.clone();
        let worker = tokio::spawn(outbox::work(
            outbox::Worker {
                store: Arc::clone(&store),
                delivering,
                clock: Arc::clone(&clock),
                wake,
                kept: Arc::clone(&kept),
                metrics: Arc::clone(&metrics),
                archiver: archiver.clone(),
                secrets: webhook_secrets(Arc::clone(&live), sla.billing.clone()),
                allow_private_webhooks,
                broadcast_per_second,
            },
            stopped,
        ));
        let system = Arc::new(System {
            live,
            store,
            ingestor,
            clock,
            kept,
            demo,
            metrics,
            allow_private_webhooks,
            status_changed: Arc::new(tokio::sync::Notify::new()),
            standing,
            time_zone,
            sla: Arc::new(sla),
            sla_wake: Arc::new(tokio::sync::Notify::new()),
            desk: Arc::new(desk),
            vault,
            archiver,
            outbox_wake,
            reload,
        });
        let mut timers = vec![
            election,
            listener,
            tokio::spawn(reload::on_sighup(Arc::downgrade(&system))),
            tokio::spawn(purge_expired_sessions(Arc::downgrade(&system))),
            tokio::spawn(announce_drills(Arc::downgrade(&system))),
            tokio::spawn(settle_credits(
                Arc::downgrade(&system),
                Arc::clone(&system.sla_wake),
            )),
            tokio::spawn(ops::breach_timer(Arc::downgrade(&system))),
        ];
        if let Some((listener, config)) = inbound {
            timers.push(ops::spawn_inbound(
                Arc::downgrade(&system),
                listener,
                config,
                inbound_stop,
            ));
        }
        let running = Running {
            pipeline,
            applier,
            worker,
            stop,
            timers,
        };
        (system, running)
    }
}

/// What the pipeline of an instance is started with.
pub(crate) struct PipelineParts {
    pub store: Arc<AnyStore>,
    pub live: Arc<Mutex<Live>>,
    pub clock: Arc<dyn Clock>,
    pub staff: Arc<[String]>,
    pub hold_down_ms: i64,
    /// Wakes the outbox workers when notices were queued.
    pub outbox: Arc<tokio::sync::Notify>,
    pub metrics: Arc<Metrics>,
    pub archiver: Archiver,
}

/// An instance's pipeline: accepting alerts, the applier, the election and the listener.
pub(crate) struct Pipeline {
    pub ingestor: Ingestor,
    pub standing: Arc<Standing>,
    pub accepting: tokio::task::JoinHandle<()>,
    pub applier: tokio::task::JoinHandle<()>,
    pub election: tokio::task::JoinHandle<()>,
    pub listener: tokio::task::JoinHandle<()>,
}

impl Pipeline {
    /// Starts the tasks, wired to one another.
    pub(crate) fn start(parts: PipelineParts) -> Pipeline {
        let standing = Arc::new(Standing::default());
        let (commands, commanded) = tokio::sync::mpsc::channel(64);
        let (elected_tx, elected) = tokio::sync::mpsc::channel(4);
        let (wakes_tx, wakes) = tokio::sync::mpsc::channel(1024);
        let (resign, resigned) = tokio::sync::mpsc::unbounded_channel();
        let applier = tokio::spawn(
            apply::Applier {
                store: Arc::clone(&parts.store),
                live: Arc::clone(&parts.live),
                clock: parts.clock,
                staff: parts.staff,
                hold_down_ms: parts.hold_down_ms,
                outbox: parts.outbox,
                metrics: Arc::clone(&parts.metrics),
                standing: Arc::clone(&standing),
                resign,
            }
            .run(commanded, elected, wakes),
        );
        let (ingestor, accepting) = Ingestor::start(
            ingest::Accepting {
                store: Arc::clone(&parts.store),
                live: parts.live,
                archiver: parts.archiver,
                metrics: parts.metrics,
            },
            commands,
        );
        let election = tokio::spawn(lead::elect(Arc::clone(&parts.store), elected_tx, resigned));
        let listener = tokio::spawn(lead::listen(parts.store, wakes_tx));
        Pipeline {
            ingestor,
            standing,
            accepting,
            applier,
            election,
            listener,
        }
    }
}

impl Running {
    /// Once every handle on the [`System`] is dropped: lets the pipeline drain what it was
    /// handed, then the outbox finish the deliveries in flight, within a bound.
    pub async fn stop(self) {
        if let Err(e) = self.pipeline.await {
            tracing::error!(error = %e, "ingestion task failed");
        }
        if let Err(e) = self.applier.await {
            tracing::error!(error = %e, "the applier failed");
        }
        // The election ends with the applier, which gives the leader lock up.
        for t in self.timers {
            t.abort();
            let _ = t.await;
        }
        let _ = self.stop.send(true);
        match tokio::time::timeout(std::time::Duration::from_secs(30), self.worker).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "outbox worker failed"),
            Err(_) => tracing::warn!(
                "outbox deliveries still in flight after 30 s: leaving them to the next start"
            ),
        }
    }
}

/// Looks a webhook's secret up in the live state (the customer's own webhook, else the
/// inventory's), by customer id and URL, so that secrets are never written to the outbox.
fn webhook_secrets(
    live: Arc<Mutex<Live>>,
    billing: Option<sla::BillingHook>,
) -> outbox::SecretLookup {
    Arc::new(move |customer: &str, url: &str| {
        if customer == ops::BILLING_CUSTOMER {
            // The provider's billing system, as `[sla]` names it.
            return billing
                .as_ref()
                .filter(|b| b.url == url)
                .map(|b| (b.secret.clone(), recipients::Origin::Inventory));
        }
        let live = live.lock().ok()?;
        live.incidents
            .recipients()
            .secret(&live.inventory, customer, url)
    })
}

impl System {
    /// Reads the live state under its lock, briefly, for a face to render: `read` gets a
    /// shared reference only, so no face can change what the pipeline owns.
    pub fn read<R>(&self, read: impl FnOnce(&Live) -> R) -> Result<R, Refused> {
        let live = self.lock()?;
        Ok(read(&live))
    }

    /// The live state under its lock, or a refusal when a panic poisoned it.
    pub(crate) fn lock(&self) -> Result<std::sync::MutexGuard<'_, Live>, Refused> {
        self.live
            .lock()
            .map_err(|_| Refused::Unavailable("internal state poisoned".to_owned()))
    }
}

/// Once a minute, and when an outage is recorded, on the leader: the credits of the last
/// month once final are offered (once each), and those past their deadline expire.
async fn settle_credits(system: std::sync::Weak<System>, wake: Arc<tokio::sync::Notify>) {
    const EVERY: std::time::Duration = std::time::Duration::from_secs(60);
    // Checked every second so that a new leader settles at once; run at most once a minute
    // unless woken.
    let mut check = tokio::time::interval(std::time::Duration::from_secs(1));
    let mut last: Option<tokio::time::Instant> = None;
    let mut woken = false;
    const QUIET: std::time::Duration = std::time::Duration::from_secs(2);
    let mut quiet_since = tokio::time::Instant::now();
    // The month whose credits are offered: not computed again until an outage is recorded.
    let mut settled = None;
    loop {
        tokio::select! {
            _ = check.tick() => {}
            () = wake.notified() => {
                woken = true;
                quiet_since = tokio::time::Instant::now();
            }
        }
        let Some(system) = system.upgrade() else {
            return;
        };
        // Staff record outages one after another: settle once they pause.
        let due = (woken && quiet_since.elapsed() >= QUIET)
            || (!woken && last.is_none_or(|t| t.elapsed() >= EVERY));
        if !due || !system.standing.leading() {
            continue;
        }
        let woken_now = std::mem::take(&mut woken);
        last = Some(tokio::time::Instant::now());
        let offered = system
            .offer_credits(if woken_now { None } else { settled })
            .await;
        let expired = system.expire_credits().await;
        match (offered, expired) {
            (Ok((n, month)), Ok(_)) => {
                settled = month;
                system
                    .metrics
                    .credits_offered
                    .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
                system
                    .metrics
                    .sla_runs
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(error = %e, "SLA credits not settled; tried again in a minute");
            }
        }
    }
}

/// Forgets expired sessions every hour while the server runs.
/// Once a minute, on the leader: the occurrences of announced drills coming within
/// [`ops::ANNOUNCE_DRILLS_AHEAD_MS`] become planned maintenance, once each.
async fn announce_drills(system: std::sync::Weak<System>) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        every.tick().await;
        let Some(system) = system.upgrade() else {
            return;
        };
        if system.standing.leading() {
            system.announce_drills().await;
        }
    }
}

async fn purge_expired_sessions(system: std::sync::Weak<System>) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every.tick().await;
        let Some(system) = system.upgrade() else {
            return;
        };
        match system.store.purge_sessions(system.clock.now_ms()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "expired sessions forgotten"),
            Err(e) => tracing::warn!(error = %e, "expired sessions not purged"),
        }
        if let Err(e) =
            tocsin_store::LimitStore::purge_login_failures(&*system.store, system.clock.now_ms())
                .await
        {
            tracing::warn!(error = %e, "ended login-failure windows not purged")
        }
    }
}
