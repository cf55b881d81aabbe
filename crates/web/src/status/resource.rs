//! One status output ready to send: its bytes in every coding, its validators and headers,
//! all made when it is rendered, so that answering a request only picks and copies handles.
//! The head of every answer is also written out once as HTTP/1.1 bytes, for the accept
//! loop's shortcut (`fast.rs`), from the same headers the router's answer carries.

use std::hash::{Hash, Hasher};
use std::time::{Duration, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE,
    IF_NONE_MATCH, LAST_MODIFIED, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;

use super::encoding::{Coding, Encoded};

/// The status lines of the two answers a resource gives.
const OK_LINE: &[u8] = b"HTTP/1.1 200 OK\r\n";
const NOT_MODIFIED_LINE: &[u8] = b"HTTP/1.1 304 Not Modified\r\n";

/// Room for our headers, the security layer's and the server's (`Date`, `Content-Length`),
/// so that none of them grows the map.
const HEADERS: usize = 16;

/// One output ready to send.
#[derive(Clone)]
pub(super) struct Resource {
    pub body: Encoded,
    content_type: HeaderValue,
    /// A strong tag per coding (identity, gzip, br): the representations differ.
    etags: [HeaderValue; 3],
    last_modified: HeaderValue,
    modified_s: u64,
    cache_control: HeaderValue,
    vary: Option<HeaderValue>,
    /// Per coding (identity, gzip, br), the HTTP/1.1 head of the full answer and of the
    /// `304`: status line and the headers of [`Resource::headers`], with `content-length` for
    /// the full one, as hyper writes them; without `Date`, the layers' headers and the blank
    /// line.
    wire: [[Bytes; 2]; 3],
}

/// Which answer a request gets: the coding and whether the client's copy is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Choice {
    coding: Coding,
    fresh: bool,
}

/// The request headers the choice depends on (the first of each, as `HeaderMap::get`).
#[derive(Default, Clone, Copy)]
pub(super) struct Asked<'a> {
    pub accept_encoding: Option<&'a [u8]>,
    pub if_none_match: Option<&'a [u8]>,
    pub if_modified_since: Option<&'a [u8]>,
}

impl<'a> Asked<'a> {
    fn of(request: &'a HeaderMap) -> Self {
        Asked {
            accept_encoding: request.get(ACCEPT_ENCODING).map(HeaderValue::as_bytes),
            if_none_match: request.get(IF_NONE_MATCH).map(HeaderValue::as_bytes),
            if_modified_since: request.get(IF_MODIFIED_SINCE).map(HeaderValue::as_bytes),
        }
    }
}

/// A header value as text, under the rule of `HeaderValue::to_str` (visible ASCII and tabs).
pub(super) fn visible(value: &[u8]) -> Option<&str> {
    value
        .iter()
        .all(|&b| b == b'\t' || (0x20..0x7f).contains(&b))
        .then(|| std::str::from_utf8(value).ok())
        .flatten()
}

fn slot(coding: Coding) -> usize {
    match coding {
        Coding::Identity => 0,
        Coding::Gzip => 1,
        Coding::Br => 2,
    }
}

impl Resource {
    /// `body` compressed both ways, tagged by its hash and dated `at_ms`. `by_language` adds
    /// `Accept-Language` to `Vary`.
    pub(super) fn new(
        body: Vec<u8>,
        content_type: &'static str,
        at_ms: i64,
        cache: &'static str,
        by_language: bool,
    ) -> Self {
        let mut h = Fnv(0xcbf2_9ce4_8422_2325);
        body.hash(&mut h);
        let hash = h.finish();
        let modified_s = u64::try_from(at_ms / 1000).unwrap_or(0);
        let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(modified_s));
        let tag = |suffix: &str| {
            HeaderValue::from_str(&format!("\"{hash:016x}{suffix}\""))
                .unwrap_or(HeaderValue::from_static("\"0\""))
        };
        let body = Encoded::new(Bytes::from(body));
        let compressed = body.gzip.is_some() || body.br.is_some();
        let vary = match (by_language, compressed) {
            (true, true) => Some("Accept-Language, Accept-Encoding"),
            (true, false) => Some("Accept-Language"),
            (false, true) => Some("Accept-Encoding"),
            (false, false) => None,
        };
        let mut resource = Resource {
            etags: [tag(""), tag("-gzip"), tag("-br")],
            last_modified: HeaderValue::from_str(&date)
                .unwrap_or(HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT")),
            body,
            content_type: HeaderValue::from_static(content_type),
            modified_s,
            cache_control: HeaderValue::from_static(cache),
            vary: vary.map(HeaderValue::from_static),
            wire: Default::default(),
        };
        resource.wire = [Coding::Identity, Coding::Gzip, Coding::Br].map(|coding| {
            [false, true].map(|fresh| {
                let choice = Choice { coding, fresh };
                let mut head = Vec::with_capacity(256);
                head.extend_from_slice(if fresh { NOT_MODIFIED_LINE } else { OK_LINE });
                for (name, value) in &resource.headers(choice) {
                    head.extend_from_slice(name.as_str().as_bytes());
                    head.extend_from_slice(b": ");
                    head.extend_from_slice(value.as_bytes());
                    head.extend_from_slice(b"\r\n");
                }
                if !fresh {
                    let length = resource.body.get(coding).1.len();
                    head.extend_from_slice(format!("content-length: {length}\r\n").as_bytes());
                }
                Bytes::from(head)
            })
        });
        resource
    }

    /// The variant a request accepts, and whether the client's copy of it is current.
    pub(super) fn choose(&self, asked: Asked<'_>) -> Choice {
        let (coding, _) = self.body.choose(asked.accept_encoding);
        let etag = &self.etags[slot(coding)];
        let fresh = match asked.if_none_match {
            Some(tags) => tags.split(|&b| b == b',').any(|t| {
                let t = t.trim_ascii();
                t == b"*" || t.strip_prefix(b"W/").unwrap_or(t) == etag.as_bytes()
            }),
            None => asked
                .if_modified_since
                .and_then(visible)
                .and_then(|v| httpdate::parse_http_date(v).ok())
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .is_some_and(|since| self.modified_s <= since.as_secs()),
        };
        Choice { coding, fresh }
    }

    /// The headers of the answer chosen (validators, caching, and for a full answer the type
    /// and coding).
    fn headers(&self, choice: Choice) -> HeaderMap {
        let mut headers = HeaderMap::with_capacity(HEADERS);
        headers.insert(ETAG, self.etags[slot(choice.coding)].clone());
        headers.insert(LAST_MODIFIED, self.last_modified.clone());
        headers.insert(CACHE_CONTROL, self.cache_control.clone());
        if let Some(vary) = &self.vary {
            headers.insert(VARY, vary.clone());
        }
        if !choice.fresh {
            headers.insert(CONTENT_TYPE, self.content_type.clone());
            if let Some(token) = choice.coding.token() {
                headers.insert(CONTENT_ENCODING, HeaderValue::from_static(token));
            }
        }
        headers
    }

    /// The answer as HTTP/1.1 bytes: its head written once (see `wire`), and the body, none
    /// for a `304`.
    pub(super) fn wire(&self, asked: Asked<'_>) -> (&[u8], Option<&Bytes>) {
        let choice = self.choose(asked);
        let head = &self.wire[slot(choice.coding)][usize::from(choice.fresh)];
        let body = (!choice.fresh).then(|| self.body.get(choice.coding).1);
        (head, body)
    }

    /// `304` when the client's copy of the variant it accepts is current, else its bytes.
    pub(super) fn answer(&self, request: &HeaderMap) -> Response {
        let choice = self.choose(Asked::of(request));
        let mut response = if choice.fresh {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            r
        } else {
            Response::new(Body::from(self.body.get(choice.coding).1.clone()))
        };
        *response.headers_mut() = self.headers(choice);
        response
    }
}

/// FNV-1a: a stable hash, so that an unchanged output keeps its `ETag` across restarts.
pub(super) struct Fnv(pub u64);

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
