//! One status output ready to send: its bytes in every coding, its validators and headers,
//! all made when it is rendered, so that answering a request only picks and copies handles.

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
        Resource {
            etags: [tag(""), tag("-gzip"), tag("-br")],
            last_modified: HeaderValue::from_str(&date)
                .unwrap_or(HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT")),
            body,
            content_type: HeaderValue::from_static(content_type),
            modified_s,
            cache_control: HeaderValue::from_static(cache),
            vary: vary.map(HeaderValue::from_static),
        }
    }

    /// `304` when the client's copy of the variant it accepts is current, else its bytes.
    pub(super) fn answer(&self, request: &HeaderMap) -> Response {
        let accept = request.get(ACCEPT_ENCODING).map(HeaderValue::as_bytes);
        let (coding, bytes) = self.body.choose(accept);
        let etag = &self.etags[match coding {
            Coding::Identity => 0,
            Coding::Gzip => 1,
            Coding::Br => 2,
        }];
        let fresh = match request.get(IF_NONE_MATCH) {
            Some(tags) => tags.as_bytes().split(|&b| b == b',').any(|t| {
                let t = t.trim_ascii();
                t == b"*" || t.strip_prefix(b"W/").unwrap_or(t) == etag.as_bytes()
            }),
            None => request
                .get(IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| httpdate::parse_http_date(v).ok())
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .is_some_and(|since| self.modified_s <= since.as_secs()),
        };
        let mut headers = HeaderMap::with_capacity(HEADERS);
        headers.insert(ETAG, etag.clone());
        headers.insert(LAST_MODIFIED, self.last_modified.clone());
        headers.insert(CACHE_CONTROL, self.cache_control.clone());
        if let Some(vary) = &self.vary {
            headers.insert(VARY, vary.clone());
        }
        let mut response = if fresh {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            r
        } else {
            headers.insert(CONTENT_TYPE, self.content_type.clone());
            if let Some(token) = coding.token() {
                headers.insert(CONTENT_ENCODING, HeaderValue::from_static(token));
            }
            Response::new(Body::from(bytes.clone()))
        };
        *response.headers_mut() = headers;
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
