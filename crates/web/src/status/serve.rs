//! Serving the status outputs from memory: each is rendered once per change of state, kept
//! with its `ETag` and `Last-Modified`, and answered without touching the database. A
//! background task watches the live impact cheaply every 500 ms and reads the database at
//! most every 2 s (at once when the impact changed), re-rendering only when what the outputs
//! show has changed.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
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

/// What the routes share: the latest outputs and what made them.
#[derive(Default)]
pub(crate) struct Cache {
    current: RwLock<Option<Arc<Rendered>>>,
    /// Held while the first render runs, so a burst of first requests renders once.
    first: tokio::sync::Mutex<Option<Renderer>>,
}

/// Remembers the last snapshot and outputs, to render only on change and to keep the
/// `ETag` and `Last-Modified` of outputs whose bytes did not change.
struct Renderer {
    env: minijinja::Environment<'static>,
    created_ms: i64,
    last: Option<(Snapshot, Meta)>,
    outputs: Rendered,
}

impl Renderer {
    fn new(created_ms: i64) -> Result<Self, StatusError> {
        Ok(Renderer {
            env: page::environment()?,
            created_ms,
            last: None,
            outputs: HashMap::new(),
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
            url: "/".to_owned(),
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
}

/// A cheap picture of the live impact: which vertices are not up, and how.
fn fingerprint(app: &App) -> Option<(usize, u64)> {
    let live = app.live.lock().ok()?;
    let not_up = live.impact.not_up();
    // Order-independent, as the engine keeps the list in no order.
    let sum = not_up.iter().fold(0u64, |acc, &v| {
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        (v, live.impact.state(v) as u8).hash(&mut h);
        acc.wrapping_add(h.finish())
    });
    Some((not_up.len(), sum))
}

/// Gathers a snapshot: the live part under the lock, then the database without it.
async fn gather(app: &App) -> Result<Snapshot, StatusError> {
    let live = {
        let live = app
            .live
            .lock()
            .map_err(|_| StatusError::Template("internal state poisoned".to_owned()))?;
        LiveView::of(&live.inventory, &live.impact)
    };
    let stored = snapshot::read(&app.store).await?;
    Ok(snapshot::build(&live, &stored, app.clock.now_ms()))
}

async fn refresh(renderer: &mut Renderer, app: &App, cache: &Cache) -> Result<(), StatusError> {
    let snap = gather(app).await?;
    if let Some(rendered) = renderer.update(snap, app.clock.now_ms())? {
        if let Ok(mut current) = cache.current.write() {
            *current = Some(Arc::new(rendered));
        }
    }
    Ok(())
}

/// Keeps the outputs current until the server is gone.
async fn watch(app: Weak<App>, cache: Arc<Cache>, mut renderer: Renderer) {
    let mut last = None;
    let mut ticks = 0;
    let mut interval = tokio::time::interval(TICK);
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        // A weak handle, so that this task never keeps the server from shutting down.
        let Some(app) = app.upgrade() else { break };
        let now = fingerprint(&app);
        ticks += 1;
        if now != last || ticks >= READ_EVERY {
            ticks = 0;
            last = now;
            if let Err(e) = refresh(&mut renderer, &app, &cache).await {
                tracing::warn!(error = %e, "status page: keeping the last rendering");
            }
        }
    }
}

/// The latest outputs; the first call renders them and starts the watcher.
async fn current(app: &Arc<App>, cache: &Arc<Cache>) -> Result<Arc<Rendered>, StatusError> {
    if let Some(r) = cache.current.read().ok().and_then(|c| c.clone()) {
        return Ok(r);
    }
    let mut first = cache.first.lock().await;
    if let Some(r) = cache.current.read().ok().and_then(|c| c.clone()) {
        return Ok(r);
    }
    let mut renderer = match first.take() {
        Some(r) => r,
        None => Renderer::new(app.clock.now_ms())?,
    };
    if let Err(e) = refresh(&mut renderer, app, cache).await {
        *first = Some(renderer);
        return Err(e);
    }
    tokio::spawn(watch(Arc::downgrade(app), Arc::clone(cache), renderer));
    cache
        .current
        .read()
        .ok()
        .and_then(|c| c.clone())
        .ok_or_else(|| StatusError::Template("no rendering".to_owned()))
}

async fn send(app: &Arc<App>, cache: &Arc<Cache>, which: Output, request: &HeaderMap) -> Response {
    match current(app, cache).await {
        Ok(rendered) => match rendered.get(&which) {
            Some(r) => r.answer(request, matches!(which, Output::Page(_))),
            None => StatusCode::NOT_FOUND.into_response(),
        },
        Err(e) => {
            tracing::warn!(error = %e, "status page unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "status page unavailable, try again shortly\n",
            )
                .into_response()
        }
    }
}

#[derive(serde::Deserialize)]
struct LangQuery {
    lang: Option<String>,
}

/// The public routes: `/`, `/index[.LANG].html`, `/api/v2/*.json`, `/history.atom`,
/// `/maintenance.ics`, `/api/openapi.json` and `/assets/status.css`.
pub(crate) fn routes() -> Router<Arc<App>> {
    let cache = Arc::new(Cache::default());
    let css = Resource::new(
        page::CSS.as_bytes().to_vec(),
        "text/css; charset=utf-8",
        0,
        STATIC,
    );
    let openapi = Resource::new(OPENAPI.as_bytes().to_vec(), "application/json", 0, STATIC);
    let c = Arc::clone(&cache);
    let mut router = Router::new()
        .route(
            "/",
            get(
                move |State(app): State<Arc<App>>,
                      Query(q): Query<LangQuery>,
                      headers: HeaderMap| {
                    let cache = Arc::clone(&c);
                    async move {
                        let accept = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
                        let language = i18n::negotiate(q.lang.as_deref(), accept);
                        send(&app, &cache, Output::Page(language), &headers).await
                    }
                },
            ),
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
        let c = Arc::clone(&cache);
        router = router.route(
            &path,
            get(move |State(app): State<Arc<App>>, headers: HeaderMap| {
                let cache = Arc::clone(&c);
                async move { send(&app, &cache, which, &headers).await }
            }),
        );
    }
    router
}
