//! The bench's NetBox on the loopback: token check, NetBox's pagination and filters over the
//! generated answers, and a count of requests and bytes served per endpoint.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::{Query as UriQuery, State};
use axum::http::{header, HeaderMap, HeaderName, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::answers::{Answers, Query};

/// Requests and bytes served for one endpoint.
#[derive(Default)]
struct Tally {
    requests: AtomicU64,
    bytes: AtomicU64,
}

impl Tally {
    fn add(&self, bytes: usize) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

struct Shared {
    answers: Answers,
    token: String,
    /// One tally per endpoint, then `/api/status/`'s, then the refused and unknown requests'.
    tallies: Vec<Tally>,
    busy_ns: AtomicU64,
}

/// What the server served, read when the importer is done.
#[derive(Debug, Default)]
pub(super) struct Served {
    pub(super) requests: u64,
    pub(super) bytes: u64,
    /// Requests refused (bad token, bad query) or for paths the bench does not serve.
    pub(super) refused: u64,
    /// Time spent cutting pages, so a reader sees whether the server weighed on the run.
    pub(super) busy_seconds: f64,
    /// `(path, requests, bytes)` for each endpoint, `/api/status/` last.
    pub(super) per_endpoint: Vec<(&'static str, u64, u64)>,
}

/// A running bench NetBox; it stops when dropped with its runtime, or with [`Server::stop`].
pub(super) struct Server {
    pub(super) addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Server {
    /// Binds 127.0.0.1 on a free port and serves `answers` to holders of `token`.
    pub(super) async fn start(answers: Answers, token: String) -> std::io::Result<Server> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let tallies = (0..answers.endpoints.len() + 2)
            .map(|_| Tally::default())
            .collect();
        let shared = Arc::new(Shared {
            answers,
            token,
            tallies,
            busy_ns: AtomicU64::new(0),
        });
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(Arc::clone(&shared));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let serving = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serving.await {
                tracing::error!(error = %e, "bench netbox server failed");
            }
        });
        Ok(Server {
            addr,
            shared,
            stop: Some(stop),
        })
    }

    pub(super) fn served(&self) -> Served {
        let s = &self.shared;
        let n = s.answers.endpoints.len();
        let paths = s
            .answers
            .endpoints
            .iter()
            .map(|e| e.path)
            .chain(std::iter::once("/api/status/"));
        let per_endpoint: Vec<(&'static str, u64, u64)> = paths
            .zip(&s.tallies)
            .map(|(p, t)| {
                let r = t.requests.load(Ordering::Relaxed);
                (p, r, t.bytes.load(Ordering::Relaxed))
            })
            .collect();
        Served {
            requests: per_endpoint.iter().map(|e| e.1).sum(),
            bytes: per_endpoint.iter().map(|e| e.2).sum(),
            refused: s.tallies[n + 1].requests.load(Ordering::Relaxed),
            busy_seconds: s.busy_ns.load(Ordering::Relaxed) as f64 / 1e9,
            per_endpoint,
        }
    }

    pub(super) fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn reply(status: StatusCode, body: Vec<u8>) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (HeaderName::from_static("api-version"), "4.2"),
        ],
        body,
    )
        .into_response()
}

fn detail(status: StatusCode, text: &str) -> Response {
    reply(
        status,
        serde_json::json!({ "detail": text })
            .to_string()
            .into_bytes(),
    )
}

impl Shared {
    /// NetBox's token check: `Token KEY`, or `Bearer KEY` for a v2 key (`nbt_…`).
    fn authorise(&self, headers: &HeaderMap) -> Result<(), &'static str> {
        let Some(value) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return Err("Authentication credentials were not provided.");
        };
        let (scheme, key) = value.split_once(' ').unwrap_or((value, ""));
        let v2 = self.token.starts_with("nbt_");
        let known = (scheme.eq_ignore_ascii_case("token")
            || (v2 && scheme.eq_ignore_ascii_case("bearer")))
            && key.trim() == self.token;
        if known {
            Ok(())
        } else {
            Err("Invalid token")
        }
    }
}

async fn answer(State(s): State<Arc<Shared>>, headers: HeaderMap, uri: Uri) -> Response {
    let refused = &s.tallies[s.answers.endpoints.len() + 1];
    if let Err(text) = s.authorise(&headers) {
        refused.add(0);
        return detail(StatusCode::FORBIDDEN, text);
    }
    let path = uri.path();
    if path == "/api/status/" {
        s.tallies[s.answers.endpoints.len()].add(s.answers.status.len());
        return reply(StatusCode::OK, s.answers.status.clone());
    }
    let Some((n, endpoint)) = s
        .answers
        .endpoints
        .iter()
        .enumerate()
        .find(|(_, e)| e.path == path)
    else {
        refused.add(0);
        return detail(StatusCode::NOT_FOUND, "Not found.");
    };
    let params = match UriQuery::<Vec<(String, String)>>::try_from_uri(&uri) {
        Ok(UriQuery(p)) => p,
        Err(e) => {
            refused.add(0);
            return detail(StatusCode::BAD_REQUEST, &e.body_text());
        }
    };
    let query = match Query::parse(&params, endpoint.filter(), s.answers.max_page_size) {
        Ok(q) => q,
        Err(text) => {
            refused.add(0);
            return detail(StatusCode::BAD_REQUEST, &text);
        }
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let base = format!("http://{host}");
    let started = std::time::Instant::now();
    let mut body = Vec::with_capacity(query.limit() * 2048);
    endpoint.page(&query, &base, &mut body);
    let spent = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    s.busy_ns.fetch_add(spent, Ordering::Relaxed);
    s.tallies[n].add(body.len());
    reply(StatusCode::OK, body)
}
