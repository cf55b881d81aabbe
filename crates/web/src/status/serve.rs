//! Serving the status outputs from memory: each is rendered once per change of state, kept
//! with its `ETag` and `Last-Modified`, and answered without touching the database. A
//! background task watches the live impact cheaply every 500 ms, reads the database every
//! 2 s and at once when the impact changed (the incidents behind the uptime bars only every
//! minute, or on a change), and re-renders only when what the outputs show has changed:
//! component statuses staff set and maintenance windows are part of the snapshot, so their
//! changes show within one database read (2 s), and a window starting or ending within a
//! minute.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Weak};
use std::time::{Duration, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::RawQuery;
use axum::http::header::{
    ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH,
    LAST_MODIFIED, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tocsin_model::inventory::Language;

use super::page::{self, Links};
use super::snapshot::{self, LiveView, Snapshot};
use super::{i18n, output, Meta, Output, StatusError, OPENAPI, PAGE_ID, PAGE_NAME};
use crate::App;

/// How long clients and proxies may reuse a dynamic output without asking again.
const FRESH: &str = "public, max-age=5";
/// The same for outputs that change only with a new release.
const STATIC: &str = "public, max-age=3600";
/// How often the live impact is looked at.
const TICK: Duration = Duration::from_millis(500);
/// Ticks between database reads when the impact did not change (2 s).
const READ_EVERY: u32 = 4;
/// Ticks between reads of the incidents behind the uptime bars, unless the impact changed.
const HISTORY_EVERY: u32 = 120;
/// How long a request made before the first rendering waits for it.
const FIRST_WAIT: Duration = Duration::from_secs(5);

/// One output ready to send.
#[derive(Clone)]
struct Resource {
    body: Bytes,
    content_type: &'static str,
    etag: HeaderValue,
    last_modified: HeaderValue,
    modified_s: u64,
    cache_control: &'static str,
}

impl Resource {
    fn new(body: Vec<u8>, content_type: &'static str, at_ms: i64, cache: &'static str) -> Self {
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        body.hash(&mut h);
        let modified_s = u64::try_from(at_ms / 1000).unwrap_or(0);
        let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(modified_s));
        Resource {
            etag: HeaderValue::from_str(&format!("\"{:016x}\"", h.finish()))
                .unwrap_or(HeaderValue::from_static("\"0\"")),
            last_modified: HeaderValue::from_str(&date)
                .unwrap_or(HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT")),
            body: Bytes::from(body),
            content_type,
            modified_s,
            cache_control: cache,
        }
    }

    /// `304` when the client's copy is current, else the bytes.
    fn answer(&self, request: &HeaderMap, vary: bool) -> Response {
        let fresh = match request.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
            Some(tags) => tags.split(',').map(str::trim).any(|t| {
                t == "*" || t.strip_prefix("W/").unwrap_or(t).as_bytes() == self.etag.as_bytes()
            }),
            None => request
                .get(IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| httpdate::parse_http_date(v).ok())
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .is_some_and(|since| self.modified_s <= since.as_secs()),
        };
        let mut builder = Response::builder()
            .header(ETAG, self.etag.clone())
            .header(LAST_MODIFIED, self.last_modified.clone())
            .header(CACHE_CONTROL, self.cache_control);
        if vary {
            builder = builder.header(VARY, "Accept-Language");
        }
        let response = if fresh {
            builder.status(StatusCode::NOT_MODIFIED).body(Body::empty())
        } else {
            builder
                .header(CONTENT_TYPE, self.content_type)
                .body(Body::from(self.body.clone()))
        };
        response.unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    }
}

/// FNV-1a: a stable hash, so that an unchanged output keeps its `ETag` across restarts.
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x100_0000_01b3);
        }
    }
}

/// The outputs of one snapshot.
type Rendered = HashMap<Output, Resource>;

/// The latest outputs, published by the watcher; `None` until the first rendering.
type Latest = tokio::sync::watch::Receiver<Option<Arc<Rendered>>>;

/// Remembers the last snapshot and outputs, to render only on change and to keep the
/// `ETag` and `Last-Modified` of outputs whose bytes did not change.
struct Renderer {
    env: minijinja::Environment<'static>,
    created_ms: i64,
    /// The status page's public URL (`/` when not configured).
    url: String,
    last: Option<(Snapshot, Meta)>,
    outputs: Rendered,
    /// The incidents behind the uptime bars, re-read only now and then.
    history: Vec<tocsin_store::IncidentRow>,
}

impl Renderer {
    fn new(created_ms: i64, url: String) -> Result<Self, StatusError> {
        Ok(Renderer {
            env: page::environment()?,
            created_ms,
            url,
            last: None,
            outputs: HashMap::new(),
            history: Vec::new(),
        })
    }

    /// New outputs when `snap` differs from the last one.
    fn update(&mut self, snap: Snapshot, now_ms: i64) -> Result<Option<Rendered>, StatusError> {
        if self.last.as_ref().is_some_and(|(s, _)| *s == snap) {
            return Ok(None);
        }
        let since = snap
            .components
            .iter()
            .enumerate()
            .map(|(i, c)| match &self.last {
                Some((s, m))
                    if s.components.get(i).map(|p| (&p.id, p.status))
                        == Some((&c.id, c.status)) =>
                {
                    m.component_since.get(i).copied().unwrap_or(now_ms)
                }
                Some(_) => now_ms,
                None => self.created_ms,
            })
            .collect();
        let meta = Meta {
            page_id: PAGE_ID.to_owned(),
            name: PAGE_NAME.to_owned(),
            url: self.url.clone(),
            created_ms: self.created_ms,
            updated_ms: now_ms,
            component_since: since,
        };
        let mut next = HashMap::new();
        for which in Output::all() {
            let body = output(&self.env, &snap, &meta, which, Links::Query)?;
            let resource = match self.outputs.get(&which) {
                Some(old) if old.body == body => old.clone(),
                _ => Resource::new(body, which.content_type(), now_ms, FRESH),
            };
            next.insert(which, resource);
        }
        self.outputs = next.clone();
        self.last = Some((snap, meta));
        Ok(Some(next))
    }

    /// Reads what changed and renders anew if the outputs would differ.
    async fn refresh(&mut self, app: &App, history: bool) -> Result<Option<Rendered>, StatusError> {
        let at = app.clock.now_ms();
        let live = app
            .read(|live| {
                LiveView::of(&live.inventory, &live.impact)
                    .planned(&live.impact, &live.quiet.at(at))
            })
            .map_err(|e| StatusError::Template(e.to_string()))?;
        if history || self.history.is_empty() {
            self.history = snapshot::read_history(&app.store).await?;
        }
        let now_ms = app.clock.now_ms();
        let stored = snapshot::read(&app.store, &self.history, now_ms).await?;
        self.update(snapshot::build(&live, &stored, now_ms), now_ms)
    }
}

/// A cheap picture of the live impact: which vertices are not up, and how.
fn fingerprint(app: &App) -> Option<(usize, u64)> {
    app.read(|live| {
        let not_up = live.impact.not_up();
        // Order-independent, as the engine keeps the list in no order.
        let sum = not_up.iter().fold(0u64, |acc, &v| {
            let mut h = Fnv(0xcbf2_9ce4_8422_2325);
            (v, live.impact.state(v) as u8).hash(&mut h);
            acc.wrapping_add(h.finish())
        });
        (not_up.len(), sum)
    })
    .ok()
}

/// Renders the outputs and keeps them current until the server is gone. It holds the server
/// only weakly, so it never keeps it from shutting down.
async fn watch(app: Weak<App>, publish: tokio::sync::watch::Sender<Option<Arc<Rendered>>>) {
    let mut renderer: Option<Renderer> = None;
    let mut last = None;
    let mut ticks = 0u32;
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let Some(woken) = app.upgrade().map(|a| Arc::clone(&a.status_changed)) else {
        return;
    };
    loop {
        let told = tokio::select! {
            _ = interval.tick() => false,
            _ = woken.notified() => true,
        };
        let Some(app) = app.upgrade() else { break };
        if publish.is_closed() {
            break;
        }
        let now = fingerprint(&app);
        // Outage history follows the impact only; staff changes need a read, not history.
        let impact_moved = now != last;
        let changed = told || impact_moved;
        ticks += 1;
        if !(changed || ticks % READ_EVERY == 0 || publish.borrow().is_none()) {
            continue;
        }
        let r = match renderer.as_mut() {
            Some(r) => r,
            None => match Renderer::new(
                app.clock.now_ms(),
                app.public_url.clone().unwrap_or_else(|| "/".to_owned()),
            ) {
                Ok(r) => renderer.insert(r),
                Err(e) => {
                    tracing::error!(error = %e, "status page cannot render");
                    break;
                }
            },
        };
        let history = impact_moved || ticks % HISTORY_EVERY == 0;
        match r.refresh(&app, history).await {
            Ok(Some(rendered)) => {
                publish.send_replace(Some(Arc::new(rendered)));
                last = now;
            }
            Ok(None) => last = now,
            Err(e) => tracing::warn!(error = %e, "status page: keeping the last rendering"),
        }
    }
}

/// The latest outputs; before the first rendering, waits for it a little.
async fn current(latest: &Latest) -> Option<Arc<Rendered>> {
    if let Some(r) = latest.borrow().clone() {
        return Some(r);
    }
    let mut rx = latest.clone();
    let waited = tokio::time::timeout(FIRST_WAIT, rx.wait_for(Option::is_some)).await;
    match waited {
        Ok(Ok(r)) => r.clone(),
        _ => None,
    }
}

async fn send(latest: &Latest, which: Output, request: &HeaderMap) -> Response {
    match current(latest).await {
        Some(rendered) => match rendered.get(&which) {
            Some(r) => r.answer(request, matches!(which, Output::Page(_))),
            None => StatusCode::NOT_FOUND.into_response(),
        },
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            [(axum::http::header::RETRY_AFTER, "5")],
            "the status page is not rendered yet, try again shortly\n",
        )
            .into_response(),
    }
}

/// The value of `lang` in a query string, if any.
fn lang_param(query: Option<&str>) -> Option<&str> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "lang")
        .map(|(_, v)| v)
}

/// The public routes: `/`, `/index[.LANG].html`, `/api/v2/*.json`, `/history.atom`,
/// `/maintenance.ics`, `/api/openapi.json` and `/assets/status.css`. Starts the task that
/// renders them (when called inside a Tokio runtime, as the server does).
pub(crate) fn routes(app: &Arc<App>) -> Router<Arc<App>> {
    let (publish, latest) = tokio::sync::watch::channel(None);
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(watch(Arc::downgrade(app), publish));
    }
    let css = Resource::new(
        page::CSS.as_bytes().to_vec(),
        "text/css; charset=utf-8",
        0,
        STATIC,
    );
    let openapi = Resource::new(OPENAPI.as_bytes().to_vec(), "application/json", 0, STATIC);
    let l = latest.clone();
    let mut router = Router::new()
        .route(
            "/",
            get(move |RawQuery(query): RawQuery, headers: HeaderMap| {
                let latest = l.clone();
                async move {
                    let accept = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
                    let language = i18n::negotiate(lang_param(query.as_deref()), accept);
                    send(&latest, Output::Page(language), &headers).await
                }
            }),
        )
        .route(
            "/assets/status.css",
            get(move |h: HeaderMap| async move { css.answer(&h, false) }),
        )
        .route(
            "/api/openapi.json",
            get(move |h: HeaderMap| async move { openapi.answer(&h, false) }),
        );
    let mut fixed: Vec<(String, Output)> = Output::all()
        .into_iter()
        .map(|o| (format!("/{}", o.file()), o))
        .collect();
    fixed.push(("/index.en.html".to_owned(), Output::Page(Language::En)));
    for (path, which) in fixed {
        let l = latest.clone();
        router = router.route(
            &path,
            get(move |RawQuery(query): RawQuery, headers: HeaderMap| {
                let latest = l.clone();
                // The switcher's links are relative (`?lang=en`): on `/index.cs.html` they ask
                // for `/index.cs.html?lang=en`, which must be English, not the path's Czech.
                let which = match (which, lang_param(query.as_deref())) {
                    (Output::Page(_), Some(code)) => {
                        Language::from_code(&code.to_ascii_lowercase()).map_or(which, Output::Page)
                    }
                    _ => which,
                };
                async move { send(&latest, which, &headers).await }
            }),
        );
    }
    router
}
