//! The public status page and its machine-readable twins (Statuspage v2 JSON, Atom,
//! iCalendar, OpenAPI), rendered once per change of state and served from memory, and the
//! static export of the same outputs to a directory.
//!
//! Data flows one way: the live impact (under its lock, briefly) and the database (incidents
//! and their public updates, component statuses and maintenance windows staff set) make a
//! [`snapshot::Snapshot`]; every output is rendered from it
//! by [`outputs`]; the server keeps the bytes with their `ETag` (see `serve.rs`), the export
//! writes them to files.

mod api;
mod encoding;
pub(crate) mod feeds;
mod i18n;
mod manual;
mod page;
mod reading;
mod resource;
mod restore;
mod serve;
mod snapshot;
pub(crate) use tocsin_model::time;
mod uptime;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tocsin_model::inventory::Language;
use tocsin_model::Inventory;
use tocsin_store::{AnyStore, StoreError};

pub(crate) use i18n::negotiate;
pub(crate) use serve::routes;
pub(crate) use snapshot::component_status as computed_status;
pub(crate) use snapshot::public_title;

use tocsin_app::Clock;

/// What the outputs say about the page itself.
#[derive(Debug, Clone)]
pub(crate) struct Meta {
    pub page_id: String,
    pub name: String,
    /// The page's public URL, or `/` when the server does not know it.
    pub url: String,
    /// When these outputs were first rendered (process start or export).
    pub created_ms: i64,
    /// When what they show last changed.
    pub updated_ms: i64,
    /// Per component, when its status last changed as far as this renderer saw.
    pub component_since: Vec<i64>,
}

/// The page's name until the configuration carries one.
const PAGE_NAME: &str = "Tocsin";
/// The page id in the JSON outputs.
const PAGE_ID: &str = "tocsin";

/// One output of a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Output {
    Page(Language),
    Summary,
    Status,
    Components,
    Incidents,
    Atom,
    Ics,
}

impl Output {
    /// Every output that depends on the snapshot.
    pub(crate) fn all() -> Vec<Output> {
        let mut all: Vec<Output> = Language::ALL.into_iter().map(Output::Page).collect();
        all.extend([
            Output::Summary,
            Output::Status,
            Output::Components,
            Output::Incidents,
            Output::Atom,
            Output::Ics,
        ]);
        all
    }

    /// Where the export writes it, relative to its directory.
    pub(crate) fn file(self) -> String {
        match self {
            Output::Page(Language::En) => "index.html".to_owned(),
            Output::Page(l) => format!("index.{}.html", l.code()),
            Output::Summary => "api/v2/summary.json".to_owned(),
            Output::Status => "api/v2/status.json".to_owned(),
            Output::Components => "api/v2/components.json".to_owned(),
            Output::Incidents => "api/v2/incidents.json".to_owned(),
            Output::Atom => "history.atom".to_owned(),
            Output::Ics => "maintenance.ics".to_owned(),
        }
    }

    /// Its media type.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Output::Page(_) => "text/html; charset=utf-8",
            Output::Atom => "application/atom+xml; charset=utf-8",
            Output::Ics => "text/calendar; charset=utf-8",
            _ => "application/json",
        }
    }
}

/// Why the outputs could not be made.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A template failed; a build defect.
    #[error("status page template: {0}")]
    Template(String),
    /// A JSON output failed to serialise; a build defect.
    #[error("status JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A file of the export could not be written.
    #[error("write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

impl From<minijinja::Error> for StatusError {
    fn from(e: minijinja::Error) -> Self {
        StatusError::Template(e.to_string())
    }
}

/// Renders one output of `s`.
pub(crate) fn output(
    env: &minijinja::Environment<'static>,
    s: &snapshot::Snapshot,
    meta: &Meta,
    which: Output,
    links: page::Links,
) -> Result<Vec<u8>, StatusError> {
    Ok(match which {
        Output::Page(l) => page::render(env, s, meta, l, links)?.into_bytes(),
        Output::Summary => serde_json::to_vec(&api::summary(s, meta))?,
        Output::Status => serde_json::to_vec(&api::status_only(s, meta))?,
        Output::Components => serde_json::to_vec(&api::components_only(s, meta))?,
        Output::Incidents => serde_json::to_vec(&api::incidents(s, meta))?,
        Output::Atom => feeds::atom(s, meta).into_bytes(),
        Output::Ics => feeds::ics(s, meta).into_bytes(),
    })
}

/// The OpenAPI 3 description of the server's JSON API.
pub(crate) const OPENAPI: &str = include_str!("../../templates/status/openapi.json");

/// Writes the public status page as static files into `out` (`shared/spec/server.md`,
/// "Static export"): the same renderer as `GET /`, with the impact restored from `store` as
/// the server restores it, but read-only. Files whose bytes did not change are left alone.
/// Returns the files written, relative to `out`.
pub async fn export(
    inventory: Arc<Inventory>,
    store: &AnyStore,
    clock: &dyn Clock,
    public_url: Option<&str>,
    out: &Path,
) -> Result<Vec<String>, StatusError> {
    let impact = restore::impact(&inventory, store).await?;
    let now_ms = clock.now_ms();
    let mut quiet = tocsin_app::planned::Quiet::default();
    quiet.set_windows(
        &inventory,
        &tocsin_store::MaintenanceStore::maintenances(store, now_ms).await?,
    );
    let live = snapshot::LiveView::of(&inventory, &impact).planned(&impact, &quiet.at(now_ms));
    let stored = reading::Reader::default().read(store, now_ms).await?;
    let snap = snapshot::build(&live, &stored, now_ms);
    let meta = Meta {
        page_id: PAGE_ID.to_owned(),
        name: PAGE_NAME.to_owned(),
        url: public_url.unwrap_or("/").to_owned(),
        created_ms: now_ms,
        updated_ms: now_ms,
        component_since: vec![now_ms; snap.components.len()],
    };
    let env = page::environment()?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for which in Output::all() {
        files.push((
            which.file(),
            output(&env, &snap, &meta, which, page::Links::Files)?,
        ));
    }
    files.push((
        "assets/status.css".to_owned(),
        page::CSS.as_bytes().to_vec(),
    ));
    files.push(("api/openapi.json".to_owned(), OPENAPI.as_bytes().to_vec()));
    let mut written = Vec::new();
    for (name, bytes) in files {
        let path = out.join(&name);
        if std::fs::read(&path).is_ok_and(|old| old == bytes) {
            continue;
        }
        write_atomically(&path, &bytes).map_err(|source| StatusError::Write {
            path: path.clone(),
            source,
        })?;
        written.push(name);
    }
    Ok(written)
}

/// Writes through a temporary file and a rename, so a web server serving `out` never sends
/// half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests;
