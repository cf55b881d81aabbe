//! The status outputs as the accept loop's shortcut: a plain `GET` or `HEAD` of `/`, of a
//! fixed output path, of the style sheet or of the OpenAPI document is answered from the head
//! bytes each [`Resource`] wrote when it was rendered and its shared body, choosing the
//! language, coding and `304` exactly as the routes do (the same functions). Anything it is
//! not sure of (another path, an odd query, no rendering yet) is left to the router.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;

use super::super::resource::{visible, Asked, Resource};
use super::{fixed_output, front_page, Latest, Rendered};
use crate::serve::{Answerer, Shortcut};
use crate::status::Output;

/// What the shortcut answers from.
pub(super) struct Outputs {
    latest: Latest,
    /// The fixed paths of the snapshot's outputs.
    fixed: HashMap<String, Output>,
    css: Resource,
    openapi: Resource,
}

impl Outputs {
    pub(super) fn new(
        latest: Latest,
        fixed: &[(String, Output)],
        css: Resource,
        openapi: Resource,
    ) -> Self {
        Outputs {
            latest,
            fixed: fixed.iter().cloned().collect(),
            css,
            openapi,
        }
    }
}

impl Shortcut for Outputs {
    fn open(self: Arc<Self>) -> Box<dyn Answerer> {
        let latest = self.latest.clone();
        Box::new(Connection {
            outputs: self,
            latest,
            current: None,
        })
    }
}

/// One connection's answerer; it keeps the rendering it used last and looks for a newer one
/// with one atomic read per request.
struct Connection {
    outputs: Arc<Outputs>,
    latest: Latest,
    current: Option<Arc<Rendered>>,
}

/// What the routes look at in a request.
#[derive(Default)]
struct Seen<'a> {
    asked: Asked<'a>,
    accept_language: Option<&'a [u8]>,
}

impl Answerer for Connection {
    fn answer(&mut self, request: &httparse::Request<'_, '_>) -> Option<(&[u8], Option<&Bytes>)> {
        let (path, query) = target(request.path?)?;
        let mut seen = Seen::default();
        for h in request.headers.iter() {
            let slot = if h.name.eq_ignore_ascii_case("accept-encoding") {
                &mut seen.asked.accept_encoding
            } else if h.name.eq_ignore_ascii_case("accept-language") {
                &mut seen.accept_language
            } else if h.name.eq_ignore_ascii_case("if-none-match") {
                &mut seen.asked.if_none_match
            } else if h.name.eq_ignore_ascii_case("if-modified-since") {
                &mut seen.asked.if_modified_since
            } else {
                continue;
            };
            // The first of each, as `HeaderMap::get` gives the routes.
            slot.get_or_insert(h.value);
        }
        let resource = match path {
            "/assets/status.css" => &self.outputs.css,
            "/api/openapi.json" => &self.outputs.openapi,
            _ => {
                let which = if path == "/" {
                    front_page(query, seen.accept_language.and_then(visible))
                } else {
                    fixed_output(*self.outputs.fixed.get(path)?, query)
                };
                if self.current.is_none() || self.latest.has_changed().unwrap_or(false) {
                    self.current = self.latest.borrow_and_update().clone();
                }
                self.current.as_ref()?.get(&which)?
            }
        };
        Some(resource.wire(seen.asked))
    }
}

/// The path and query of a request target in origin form, when both are plain enough that
/// the router would surely read them the same: no percent-encoding or odd bytes in the path
/// (the fixed paths have none), and only unreserved characters, `=`, `&`, `%` and `+` in the
/// query.
fn target(target: &str) -> Option<(&str, Option<&str>)> {
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let plain_path = path.starts_with('/')
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-._".contains(&b));
    let plain_query = query.is_none_or(|q| {
        q.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~=&%+".contains(&b))
    });
    (plain_path && plain_query).then_some((path, query))
}

#[cfg(test)]
mod tests;
