//! Serving the status outputs from memory: each is rendered and compressed (gzip, brotli)
//! once per change of state, off the request workers, kept with its `ETag` and
//! `Last-Modified`, and answered without touching the database. A
//! background task watches the live impact cheaply every 500 ms, reads the database every
//! 2 s and at once when the impact changed (the incidents behind the uptime bars only every
//! minute, or on a change), and re-renders only when what the outputs show has changed:
//! component statuses staff set and maintenance windows are part of the snapshot, so their
//! changes show within one database read (2 s), and a window starting or ending within a
//! minute.
//!
//! The same outputs are offered to the accept loop as its shortcut (`fast.rs`), which answers
//! a surge's plain `GET`s from the bytes written here without going through the router.

mod fast;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Weak};
use std::time::Duration;

use axum::extract::Request;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tocsin_model::inventory::Language;

use super::page::{self, Links};
use super::reading::Reader;
use super::resource::{Fnv, Resource};
use super::snapshot::{self, LiveView, Snapshot};
use super::{i18n, output, Meta, Output, StatusError, OPENAPI, PAGE_ID, PAGE_NAME};
use crate::serve::{AskShortcut, Offer};
use crate::App;

/// How long clients and proxies may reuse a dynamic output without asking again.
const FRESH: &str = "public, max-age=5";
/// The same for outputs that change only with a new release.
const STATIC: &str = "public, max-age=3600";
/// How often the live impact is looked at.
const TICK: Duration = Duration::from_millis(500);
/// Ticks between database reads when the impact did not change (2 s).
const READ_EVERY: u32 = 4;
/// How long a request made before the first rendering waits for it.
const FIRST_WAIT: Duration = Duration::from_secs(5);

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
    /// The incidents read last, kept with their services.
    reader: Reader,
}

impl Renderer {
    fn new(created_ms: i64, url: String) -> Result<Self, StatusError> {
        Ok(Renderer {
            env: page::environment()?,
            created_ms,
            url,
            last: None,
            outputs: HashMap::new(),
            reader: Reader::default(),
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
                Some(old) if old.body.identity == body => old.clone(),
                _ => Resource::new(
                    body,
                    which.content_type(),
                    now_ms,
                    FRESH,
                    matches!(which, Output::Page(_)),
                ),
            };
            next.insert(which, resource);
        }
        self.outputs = next.clone();
        self.last = Some((snap, meta));
        Ok(Some(next))
    }

    /// Reads what the outputs show now, and when.
    async fn read(&mut self, app: &App) -> Result<(Snapshot, i64), StatusError> {
        let at = app.clock.now_ms();
        let live = app
            .read(|live| {
                LiveView::of(&live.inventory, &live.impact)
                    .planned(&live.impact, &live.quiet.at(at))
            })
            .map_err(|e| StatusError::Template(e.to_string()))?;
        let now_ms = app.clock.now_ms();
        let stored = self.reader.read(&app.store, now_ms).await?;
        Ok((snapshot::build(&live, &stored, now_ms), now_ms))
    }

    /// Reads what changed and renders anew if the outputs would differ. Rendering and
    /// compressing take tens of milliseconds, so they run on the blocking pool, away from the
    /// workers answering requests; `None` for the renderer when that task died.
    async fn refresh(mut self, app: &App) -> (Option<Self>, Result<Option<Rendered>, StatusError>) {
        let (snap, now_ms) = match self.read(app).await {
            Ok(read) => read,
            Err(e) => return (Some(self), Err(e)),
        };
        match tokio::task::spawn_blocking(move || {
            let rendered = self.update(snap, now_ms);
            (self, rendered)
        })
        .await
        {
            Ok((this, rendered)) => (Some(this), rendered),
            Err(e) => (None, Err(StatusError::Template(e.to_string()))),
        }
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
        let impact_moved = now != last;
        let changed = told || impact_moved;
        ticks += 1;
        if !(changed || ticks % READ_EVERY == 0 || publish.borrow().is_none()) {
            continue;
        }
        let r = match renderer.take() {
            Some(r) => r,
            None => match Renderer::new(
                app.clock.now_ms(),
                app.public_url.clone().unwrap_or_else(|| "/".to_owned()),
            ) {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "status page cannot render");
                    break;
                }
            },
        };
        let (back, refreshed) = r.refresh(&app).await;
        let Some(back) = back else {
            if let Err(e) = refreshed {
                tracing::error!(error = %e, "status page renderer died");
            }
            break;
        };
        renderer = Some(back);
        match refreshed {
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
            Some(r) => r.answer(request),
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

/// The page `/` answers: the language of `?lang=`, else of `Accept-Language`.
fn front_page(query: Option<&str>, accept_language: Option<&str>) -> Output {
    Output::Page(i18n::negotiate(lang_param(query), accept_language))
}

/// The output of a fixed path: the switcher's links are relative (`?lang=en`): on
/// `/index.cs.html` they ask for `/index.cs.html?lang=en`, which must be English, not the
/// path's Czech.
fn fixed_output(which: Output, query: Option<&str>) -> Output {
    match (which, lang_param(query)) {
        (Output::Page(_), Some(code)) => {
            Language::from_code(&code.to_ascii_lowercase()).map_or(which, Output::Page)
        }
        _ => which,
    }
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
        false,
    );
    let openapi = Resource::new(
        OPENAPI.as_bytes().to_vec(),
        "application/json",
        0,
        STATIC,
        false,
    );
    let mut fixed: Vec<(String, Output)> = Output::all()
        .into_iter()
        .map(|o| (format!("/{}", o.file()), o))
        .collect();
    fixed.push(("/index.en.html".to_owned(), Output::Page(Language::En)));
    let shortcut: Arc<dyn crate::serve::Shortcut> = Arc::new(fast::Outputs::new(
        latest.clone(),
        &fixed,
        css.clone(),
        openapi.clone(),
    ));
    let l = latest.clone();
    let mut router = Router::new()
        .route(
            "/",
            // The whole request rather than `HeaderMap`, which would copy every header.
            get(move |request: Request| {
                let latest = l.clone();
                let shortcut = Arc::clone(&shortcut);
                async move {
                    if request.extensions().get::<AskShortcut>().is_some() {
                        let mut offer = Response::new(axum::body::Body::empty());
                        offer.extensions_mut().insert(Offer(shortcut));
                        return offer;
                    }
                    let headers = request.headers();
                    let accept = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
                    let which = front_page(request.uri().query(), accept);
                    send(&latest, which, headers).await
                }
            }),
        )
        .route(
            "/assets/status.css",
            get(move |request: Request| async move { css.answer(request.headers()) }),
        )
        .route(
            "/api/openapi.json",
            get(move |request: Request| async move { openapi.answer(request.headers()) }),
        );
    for (path, which) in fixed {
        let l = latest.clone();
        router = router.route(
            &path,
            get(move |request: Request| {
                let latest = l.clone();
                let which = fixed_output(which, request.uri().query());
                async move { send(&latest, which, request.headers()).await }
            }),
        );
    }
    router
}
