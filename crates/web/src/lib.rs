//! Tocsin's HTTP face: the alert endpoints and the JSON API, and behind them the ingestion
//! pipeline that makes every alert durable, then turns it into observations and impact.
//! The only crate that knows HTTP and the wire shapes of Alertmanager and friends.

mod account;
mod archiving;
pub mod auth;
mod batch;
mod broadcast;
mod console;
mod error;
mod ingest;
mod mask;
mod metrics;
mod notices;
mod outbox;
mod recipients;
mod replay;
mod routes;
mod staff;
pub mod status;
mod ui;
mod webhooks;
pub mod wire;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tocsin_model::alerts::{LabelIndex, Observations};
use tocsin_model::{Impact, Inventory};
use tocsin_store::{AccountStore, AnyStore, IncidentStore, Store};

pub use archiving::Archiver;
pub use ingest::{Incoming, Ingestor, Report, Target, Unmatched};
pub use notices::{Payload, PayloadService};
pub use outbox::{Delivering, Kept, Transport};

/// Reads the wall clock for the edge of the system; the model never does.
pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since the Unix epoch, UTC.
    fn now_ms(&self) -> i64;
}

/// Reads the inventory again (from the file or directory the server was started with);
/// errors are the reader's diagnostics, one a line.
pub type ReloadFn = Arc<dyn Fn() -> Result<Inventory, String> + Send + Sync>;

/// What the server needs to start.
pub struct Server {
    /// Where to listen.
    pub listen: SocketAddr,
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
    /// How to re-read the inventory (on SIGHUP and `POST /api/v1/inventory/reload`).
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
}

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The database failed at start.
    #[error(transparent)]
    Store(#[from] tocsin_store::StoreError),
    /// The listening socket could not be opened or failed.
    #[error("listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// What failed.
        source: std::io::Error,
    },
}

/// Live state shared by the request handlers and the ingestion task.
pub(crate) struct Live {
    pub inventory: Arc<Inventory>,
    pub labels: LabelIndex,
    pub observations: Observations,
    pub impact: Impact,
    pub incidents: notices::Incidents,
}

/// Shared by every request.
pub(crate) struct App {
    pub live: Arc<Mutex<Live>>,
    pub store: Arc<AnyStore>,
    pub ingestor: Ingestor,
    pub clock: Arc<dyn Clock>,
    pub kept: outbox::KeptMessages,
    pub demo: bool,
    pub metrics: Arc<metrics::Metrics>,
    pub reload: Option<ReloadFn>,
    /// The status page's public URL, when configured.
    pub public_url: Option<String>,
    /// Failed logins, per login and per address.
    pub limiter: auth::LoginLimiter,
    /// Whether session cookies are marked `Secure` (the public URL is HTTPS).
    pub secure_cookies: bool,
    /// Customers may save webhook URLs naming private and reserved addresses.
    pub allow_private_webhooks: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: auth::TrustedProxies,
    /// Woken when staff change what the public status outputs show (updates, component
    /// statuses, maintenance), so they are rendered again at once rather than at the next read.
    pub status_changed: Arc<tokio::sync::Notify>,
}

impl Server {
    /// Migrates the database, restores what alerts assert and opens the listening socket.
    pub async fn bind(self) -> Result<Bound, ServeError> {
        self.store.migrate().await?;
        let store = Arc::new(self.store);
        let hold_down_ms = self.hold_down.as_millis().min(i64::MAX as u128) as i64;
        let recipients = recipients::Recipients::from_preferences(&store.all_preferences().await?);
        let live = ingest::restore(
            Arc::clone(&self.inventory),
            &store,
            hold_down_ms,
            self.clock.now_ms(),
            recipients,
        )
        .await?;
        if matches!(&*store, AnyStore::Sqlite(_)) {
            // One instance owns an SQLite database: claims left by a crash are given back.
            let released = store.release_claims().await?;
            if released > 0 {
                tracing::info!(released, "notices claimed before a crash go out again");
            }
        }
        let listener = tokio::net::TcpListener::bind(self.listen)
            .await
            .map_err(|source| ServeError::Listen {
                addr: self.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| ServeError::Listen {
            addr: self.listen,
            source,
        })?;
        Ok(Bound {
            listener,
            addr,
            store,
            live,
            clock: self.clock,
            delivering: self.delivering,
            reload: self.reload,
            archiver: self.archiver,
            broadcast_per_second: self.broadcast_per_second,
            staff: self.staff,
            allow_private_webhooks: self.allow_private_webhooks,
            trusted_proxies: auth::TrustedProxies::default(),
        })
    }
}

/// A server whose socket is open, ready to serve.
pub struct Bound {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    store: Arc<AnyStore>,
    live: Live,
    clock: Arc<dyn Clock>,
    delivering: Delivering,
    reload: Option<ReloadFn>,
    archiver: Archiver,
    broadcast_per_second: u32,
    staff: Vec<String>,
    allow_private_webhooks: bool,
    trusted_proxies: auth::TrustedProxies,
}

impl Bound {
    /// The address actually listened on (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Attributes requests from these reverse proxies to the address in their
    /// `X-Forwarded-For` (login rate limits, audit).
    pub fn with_trusted_proxies(mut self, proxies: auth::TrustedProxies) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// Sets the status page URL the notices link to, once the address is known.
    pub fn with_public_url(mut self, url: String) -> Self {
        self.delivering.public_url = url;
        self
    }

    /// Serves until `shutdown` completes; then finishes the requests in flight and what they
    /// handed to the pipeline, and returns.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let addr = self.addr;
        let live = Arc::new(Mutex::new(self.live));
        let wake = Arc::new(tokio::sync::Notify::new());
        let metrics = Arc::new(metrics::Metrics::default());
        let (ingestor, pipeline) = Ingestor::start(ingest::PipelineParts {
            store: Arc::clone(&self.store),
            live: Arc::clone(&live),
            clock: Arc::clone(&self.clock),
            wake: Arc::clone(&wake),
            metrics: Arc::clone(&metrics),
            archiver: self.archiver.clone(),
            staff: self.staff.into(),
        });
        let kept = outbox::KeptMessages::default();
        let demo = matches!(self.delivering.transport, Transport::Keep);
        let public_url = Some(self.delivering.public_url.clone()).filter(|u| !u.is_empty());
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = tokio::spawn(outbox::work(
            outbox::Worker {
                store: Arc::clone(&self.store),
                delivering: self.delivering,
                clock: Arc::clone(&self.clock),
                wake,
                kept: Arc::clone(&kept),
                metrics: Arc::clone(&metrics),
                archiver: self.archiver,
                secrets: webhook_secrets(Arc::clone(&live)),
                allow_private_webhooks: self.allow_private_webhooks,
                broadcast_per_second: self.broadcast_per_second,
            },
            stopped,
        ));
        let app = Arc::new(App {
            live,
            store: self.store,
            ingestor,
            clock: self.clock,
            kept,
            demo,
            metrics,
            reload: self.reload,
            secure_cookies: public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://")),
            public_url,
            limiter: auth::LoginLimiter::default(),
            allow_private_webhooks: self.allow_private_webhooks,
            trusted_proxies: self.trusted_proxies,
            status_changed: Arc::new(tokio::sync::Notify::new()),
        });
        let hangups = tokio::spawn(reload_on_sighup(Arc::clone(&app)));
        let purge = tokio::spawn(auth::purge_expired_sessions(Arc::downgrade(&app)));
        tracing::info!(%addr, "listening on http://{addr}");
        let router = routes::router(Arc::clone(&app));
        let served = axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await;
        // Requests are finished; dropping the last sender lets the pipeline drain and stop.
        hangups.abort();
        let _ = hangups.await;
        purge.abort();
        let _ = purge.await;
        drop(app);
        if let Err(e) = pipeline.await {
            tracing::error!(error = %e, "ingestion task failed");
        }
        // Let the outbox finish the deliveries in flight, within a bound.
        let _ = stop.send(true);
        match tokio::time::timeout(std::time::Duration::from_secs(30), worker).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "outbox worker failed"),
            Err(_) => tracing::warn!(
                "outbox deliveries still in flight after 30 s: leaving them to the next start"
            ),
        }
        tracing::info!("stopped");
        served.map_err(|source| ServeError::Listen { addr, source })
    }
}

/// Looks a webhook's secret up in the live state (the customer's own webhook, else the
/// inventory's), by customer id and URL, so that secrets are never written to the outbox.
fn webhook_secrets(live: Arc<Mutex<Live>>) -> outbox::SecretLookup {
    Arc::new(move |customer: &str, url: &str| {
        let live = live.lock().ok()?;
        live.incidents
            .recipients()
            .secret(&live.inventory, customer, url)
    })
}

/// Re-reads the inventory and switches the pipeline to it; the error says why not.
pub(crate) async fn reload_inventory(app: &App) -> Result<Arc<Inventory>, String> {
    let Some(read) = app.reload.clone() else {
        return Err("this server has no inventory file to re-read".to_owned());
    };
    let inventory = tokio::task::spawn_blocking(move || read())
        .await
        .map_err(|e| format!("the reader failed: {e}"))??;
    let inventory = Arc::new(inventory);
    app.ingestor.reload(Arc::clone(&inventory)).await?;
    Ok(inventory)
}

async fn reload_on_sighup(app: Arc<App>) {
    let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
    else {
        return;
    };
    while hangups.recv().await.is_some() {
        match reload_inventory(&app).await {
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "SIGHUP: inventory not reloaded, the old one stays")
            }
        }
    }
}
