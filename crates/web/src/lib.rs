//! Tocsin's HTTP face: the alert endpoints and the JSON API, and behind them the ingestion
//! pipeline that makes every alert durable, then turns it into observations and impact.
//! The only crate that knows HTTP and the wire shapes of Alertmanager and friends.

mod error;
mod ingest;
mod routes;
pub mod wire;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tocsin_model::alerts::{LabelIndex, Observations};
use tocsin_model::{Impact, Inventory};
use tocsin_store::{AnyStore, Store};

pub use ingest::{Ingestor, Report};

/// Reads the wall clock for the edge of the system; the model never does.
pub trait Clock: Send + Sync + 'static {
    /// Milliseconds since the Unix epoch, UTC.
    fn now_ms(&self) -> i64;
}

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
}

/// Shared by every request.
pub(crate) struct App {
    pub live: Arc<Mutex<Live>>,
    pub store: Arc<AnyStore>,
    pub ingestor: Ingestor,
    pub clock: Arc<dyn Clock>,
}

impl Server {
    /// Migrates the database, restores what alerts assert and opens the listening socket.
    pub async fn bind(self) -> Result<Bound, ServeError> {
        self.store.migrate().await?;
        let store = Arc::new(self.store);
        let live = ingest::restore(Arc::clone(&self.inventory), &store).await?;
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
}

impl Bound {
    /// The address actually listened on (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` completes; then finishes the requests in flight and what they
    /// handed to the pipeline, and returns.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let addr = self.addr;
        let live = Arc::new(Mutex::new(self.live));
        let (ingestor, pipeline) = Ingestor::start(Arc::clone(&self.store), Arc::clone(&live));
        let app = Arc::new(App {
            live,
            store: self.store,
            ingestor,
            clock: self.clock,
        });
        tracing::info!(%addr, "listening on http://{addr}");
        let router = routes::router(Arc::clone(&app));
        let served = axum::serve(self.listener, router)
            .with_graceful_shutdown(shutdown)
            .await;
        // Requests are finished; dropping the last sender lets the pipeline drain and stop.
        drop(app);
        if let Err(e) = pipeline.await {
            tracing::error!(error = %e, "ingestion task failed");
        }
        tracing::info!("stopped");
        served.map_err(|source| ServeError::Listen { addr, source })
    }
}
