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
mod help;
mod mask;
mod routes;
mod serve;
pub mod status;
mod ui;
pub mod wire;

use std::future::Future;
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
    /// The limit on failed logins, per login and address, per address, and per login (which
    /// only slows); its counters are in the database, shared by every instance.
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
            limiter: auth::LoginLimiter,
            trusted_proxies: self.trusted_proxies,
            alert_tokens: self.alert_tokens,
        });
        let faces = routes::faces(Arc::clone(&app));
        let clock = Arc::clone(&app.clock);
        // One signal stops both faces; each finishes its own requests in flight.
        let (stop, stopping) = tokio::sync::watch::channel(false);
        let signal = async move {
            shutdown.await;
            let _ = stop.send(true);
        };
        let stopped = |mut stopping: tokio::sync::watch::Receiver<bool>| async move {
            let _ = stopping.wait_for(|&s| s).await;
        };
        serve::warm_workers().await;
        // The main face's line comes first and alone says `listening on`: scripts wait for it.
        tracing::info!(%addr, "listening on http://{addr}");
        let everything = serve::serve(
            self.listener,
            faces.all,
            Arc::clone(&clock),
            stopped(stopping.clone()),
        );
        let public_face = async {
            let Some((listener, public_addr)) = public else {
                return;
            };
            tracing::info!(addr = %public_addr, "public face (status page and client area only) on http://{public_addr}");
            serve::serve(listener, faces.public, clock, stopped(stopping)).await;
        };
        tokio::join!(signal, everything, public_face);
        // Requests are finished; dropping the last handle lets the pipeline drain and stop.
        drop(app);
        running.stop().await;
        tracing::info!("stopped");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! The crate's own shape: data flows one way through its files.

    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// Every source file by its module path (`auth/login.rs` is `["auth", "login"]`).
    fn files(dir: &Path, prefix: &[String], out: &mut BTreeMap<Vec<String>, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                let mut p = prefix.to_vec();
                p.push(name);
                files(&path, &p, out);
            } else if path.extension().is_some_and(|e| e == "rs") && name != "tests" {
                let mut p = prefix.to_vec();
                if name != "mod" && name != "lib" {
                    p.push(name);
                }
                let text = std::fs::read_to_string(&path).unwrap();
                // Test modules may reach anywhere; only the code that ships counts.
                let text = text.split("#[cfg(test)]").next().unwrap_or("").to_owned();
                out.insert(p, text);
            }
        }
    }

    /// The identifier chains following `anchor` (`crate::` or `super::`), groups expanded.
    fn chains(text: &str, anchor: &str) -> Vec<Vec<String>> {
        let ident = |s: &str| -> (Vec<String>, usize) {
            let mut parts = Vec::new();
            let mut at = 0;
            loop {
                let rest = &s[at..];
                let n = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                if n == 0 {
                    break;
                }
                parts.push(rest[..n].to_owned());
                at += n;
                if s[at..].starts_with("::") && !s[at + 2..].starts_with('{') {
                    at += 2;
                } else {
                    break;
                }
            }
            (parts, at)
        };
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.find(anchor) {
            rest = &rest[i + anchor.len()..];
            let (head, used) = ident(rest);
            let after = &rest[used..];
            if let Some(group) = after.strip_prefix("::{") {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let (tail, _) = ident(item.trim());
                    out.push(head.iter().cloned().chain(tail).collect());
                }
            } else if head.is_empty() {
                if let Some(group) = rest.strip_prefix('{') {
                    let end = group.find('}').unwrap_or(group.len());
                    for item in group[..end].split(',') {
                        out.push(ident(item.trim()).0);
                    }
                }
            } else {
                out.push(head);
            }
        }
        out
    }

    #[test]
    fn no_import_loops() {
        let mut all = BTreeMap::new();
        files(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &[],
            &mut all,
        );
        // The file a path names: its longest prefix that is a module of ours.
        let resolve = |path: &[String]| -> Option<Vec<String>> {
            (0..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| all.contains_key(p))
        };
        let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
        for (module, text) in &all {
            let mut targets = Vec::new();
            for c in chains(text, "crate::") {
                targets.push(c);
            }
            for c in chains(text, "super::") {
                let mut p = module[..module.len().saturating_sub(1)].to_vec();
                p.extend(c);
                targets.push(p);
            }
            for t in targets {
                let Some(file) = resolve(&t) else { continue };
                // A module and its own children may use each other.
                if file.starts_with(module) || module.starts_with(&file) {
                    continue;
                }
                edges.entry(module.clone()).or_default().insert(file);
            }
        }
        // A loop is a file that reaches itself.
        let mut loops = Vec::new();
        for start in all.keys() {
            let mut seen = BTreeSet::new();
            let mut stack: Vec<Vec<String>> =
                edges.get(start).into_iter().flatten().cloned().collect();
            while let Some(m) = stack.pop() {
                if &m == start {
                    loops.push(start.join("/"));
                    break;
                }
                if seen.insert(m.clone()) {
                    stack.extend(edges.get(&m).into_iter().flatten().cloned());
                }
            }
        }
        assert!(edges.len() > 10, "the scan found too little: {edges:?}");
        assert!(
            loops.is_empty(),
            "files that import themselves back: {loops:?}\n{edges:#?}"
        );
    }
}
