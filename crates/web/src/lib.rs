//! Tocsin's HTTP face: routing, extractors and sessions, CSRF, rate limits, the wire shapes of
//! Alertmanager, Zabbix and the generic alert, JSON and HTML rendering (status outputs, staff
//! console, client area) and error rendering. Handlers parse, call one operation of the
//! running system (`tocsin-app`) and render; the running system lives apart from HTTP.

mod account;
mod alert_auth;
mod api;
pub mod auth;
mod console;
mod error;
mod headers;
mod mask;
mod routes;
pub mod status;
mod ui;
pub mod wire;

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;

use tocsin_app::{Opened, System};

pub use alert_auth::AlertTokens;

/// What the server needs to start: where to listen and the running system's configuration.
pub struct Server {
    /// Where to listen: every route.
    pub listen: SocketAddr,
    /// Where to serve only the public face (status page and outputs, health, login, client
    /// area), for an address the internet reaches while `listen` stays internal.
    pub listen_public: Option<SocketAddr>,
    /// The running system behind the face.
    pub system: tocsin_app::Config,
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

/// Shared by every request: the running system, and what only the HTTP face needs.
pub(crate) struct App {
    /// The running system; handlers call its operations.
    pub system: Arc<System>,
    /// The status page's public URL, when configured.
    pub public_url: Option<String>,
    /// Failed logins, per login and address, per address, and per login (which only slows).
    pub limiter: auth::LoginLimiter,
    /// Whether session cookies are marked `Secure` (the public URL is HTTPS).
    pub secure_cookies: bool,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: auth::TrustedProxies,
    /// The tokens the alert endpoints demand; none leaves them open.
    pub alert_tokens: AlertTokens,
}

impl std::ops::Deref for App {
    type Target = System;

    fn deref(&self) -> &System {
        &self.system
    }
}

/// Opens a listening socket; returns it with the address actually bound.
async fn listen(addr: SocketAddr) -> Result<(tokio::net::TcpListener, SocketAddr), ServeError> {
    let failed = |source| ServeError::Listen { addr, source };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(failed)?;
    let bound = listener.local_addr().map_err(failed)?;
    Ok((listener, bound))
}

impl Server {
    /// Migrates the database, restores what alerts assert and opens the listening sockets.
    pub async fn bind(self) -> Result<Bound, ServeError> {
        let opened = Opened::open(self.system).await?;
        let (listener, addr) = listen(self.listen).await?;
        let public = match self.listen_public {
            Some(a) => Some(listen(a).await?),
            None => None,
        };
        Ok(Bound {
            listener,
            addr,
            public,
            opened,
            trusted_proxies: auth::TrustedProxies::default(),
            alert_tokens: AlertTokens::default(),
        })
    }
}

/// A server whose sockets are open, ready to serve.
pub struct Bound {
    listener: tokio::net::TcpListener,
    addr: SocketAddr,
    public: Option<(tokio::net::TcpListener, SocketAddr)>,
    opened: Opened,
    trusted_proxies: auth::TrustedProxies,
    alert_tokens: AlertTokens,
}

impl Bound {
    /// The address actually listened on (useful with port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The public face's address actually listened on, when there is one.
    pub fn public_addr(&self) -> Option<SocketAddr> {
        self.public.as_ref().map(|(_, a)| *a)
    }

    /// Demands one of `tokens` on the alert endpoints (none: they stay open).
    pub fn with_alert_tokens(mut self, tokens: AlertTokens) -> Self {
        self.alert_tokens = tokens;
        self
    }

    /// Attributes requests from these reverse proxies to the address in their
    /// `X-Forwarded-For` (login rate limits, audit).
    pub fn with_trusted_proxies(mut self, proxies: auth::TrustedProxies) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// Sets the status page URL the notices link to, once the address is known.
    pub fn with_public_url(mut self, url: String) -> Self {
        self.opened = self.opened.with_public_url(url);
        self
    }

    /// Serves until `shutdown` completes; then finishes the requests in flight on both
    /// faces and what they handed to the running system, and returns.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServeError> {
        let addr = self.addr;
        let public = self.public;
        let public_url = Some(self.opened.public_url().to_owned()).filter(|u| !u.is_empty());
        let (system, running) = self.opened.start();
        let app = Arc::new(App {
            system,
            secure_cookies: public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://")),
            public_url,
            limiter: auth::LoginLimiter::default(),
            trusted_proxies: self.trusted_proxies,
            alert_tokens: self.alert_tokens,
        });
        let faces = routes::faces(Arc::clone(&app));
        // One signal stops both faces; each finishes its own requests in flight.
        let (stop, stopping) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        let stopped = |mut stopping: tokio::sync::watch::Receiver<bool>| async move {
            let _ = stopping.wait_for(|&s| s).await;
        };
        // The main face's line comes first and alone says `listening on`: scripts wait for it.
        tracing::info!(%addr, "listening on http://{addr}");
        let everything = axum::serve(
            self.listener,
            faces
                .all
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stopped(stopping.clone()));
        let public_face = async {
            let Some((listener, public_addr)) = public else {
                return Ok(());
            };
            tracing::info!(addr = %public_addr, "public face (status page and client area only) on http://{public_addr}");
            axum::serve(
                listener,
                faces
                    .public
                    .into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(stopped(stopping))
            .await
            .map_err(|source| ServeError::Listen {
                addr: public_addr,
                source,
            })
        };
        let (served, served_public) = tokio::join!(everything.into_future(), public_face);
        // Requests are finished; dropping the last handle lets the pipeline drain and stop.
        drop(app);
        running.stop().await;
        tracing::info!("stopped");
        served.map_err(|source| ServeError::Listen { addr, source })?;
        served_public
    }
}
