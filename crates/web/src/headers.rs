//! The security headers of every answer, added in one layer around all routes so that no
//! route can forget them: a content security policy, no framing, no content sniffing, a
//! referrer policy, HSTS when the public URL is HTTPS, and `no-store` on staff and client
//! answers. A header a handler set itself is left alone (the private feed's `no-referrer`,
//! the public outputs' caching and validators). Also the `Date` of every answer, from the
//! running system's clock rather than the machine's wall clock, which may read 1752.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, UNIX_EPOCH};

use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, DATE,
    REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use tocsin_app::Clock;

/// The pages have no inline script and no inline style (the few scripts are files under
/// `/assets/`): everything comes from this site, nothing may frame them, and forms post only
/// here.
const CSP: &str = "default-src 'self'; object-src 'none'; base-uri 'none'; \
                   frame-ancestors 'none'; form-action 'self'";
/// Not `no-referrer`: with it, browsers send `Origin: null` on our own form posts, which the
/// cross-origin check refuses; `same-origin` still tells other sites nothing.
const REFERRER: &str = "same-origin";
/// A year, the usual value; without `includeSubDomains`, which is the provider's decision.
const HSTS: &str = "max-age=31536000";

/// Paths whose answers are for one signed-in person (or for an alert sender) and must not
/// be kept by browsers or proxies.
const PRIVATE: [&str; 6] = [
    "/console", "/account", "/login", "/logout", "/metrics", "/demo",
];

/// The layer adding the headers to whatever the routes answered. A service of our own
/// rather than `middleware::from_fn`: the status page answers tens of thousands of requests a
/// second in a surge, and this adds no allocation or boxed future to any of them.
#[derive(Clone, Copy)]
pub(crate) struct SecureLayer {
    /// The public URL is HTTPS: only then is HSTS promised.
    pub https: bool,
}

impl<S> tower_layer::Layer<S> for SecureLayer {
    type Service = Secure<S>;

    fn layer(&self, inner: S) -> Secure<S> {
        Secure {
            inner,
            https: self.https,
        }
    }
}

/// [`SecureLayer`]'s service.
#[derive(Clone)]
pub(crate) struct Secure<S> {
    inner: S,
    https: bool,
}

impl<S, B> tower_service::Service<Request<B>> for Secure<S>
where
    S: tower_service::Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Secured<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let private = is_private(request.uri().path());
        Secured {
            inner: self.inner.call(request),
            private,
            https: self.https,
        }
    }
}

pin_project_lite::pin_project! {
    /// The inner answer, headers added once it is ready.
    pub(crate) struct Secured<F> {
        #[pin]
        inner: F,
        private: bool,
        https: bool,
    }
}

impl<F, E> Future for Secured<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = std::task::ready!(this.inner.poll(cx))?;
        add(response.headers_mut(), *this.private, *this.https);
        Poll::Ready(Ok(response))
    }
}

fn is_private(path: &str) -> bool {
    path.starts_with("/api/v1/")
        || PRIVATE.iter().any(|p| {
            path.strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
}

fn add(headers: &mut HeaderMap, private: bool, https: bool) {
    let mut keep_or_set = |name: HeaderName, value: &'static str| {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    };
    keep_or_set(CONTENT_SECURITY_POLICY, CSP);
    keep_or_set(X_FRAME_OPTIONS, "DENY");
    keep_or_set(X_CONTENT_TYPE_OPTIONS, "nosniff");
    keep_or_set(REFERRER_POLICY, REFERRER);
    if https {
        keep_or_set(STRICT_TRANSPORT_SECURITY, HSTS);
    }
    if private {
        keep_or_set(CACHE_CONTROL, "no-store");
    }
}

/// The first instant an IMF-fixdate cannot write (year 10000), in milliseconds.
const DATE_END_MS: i64 = 253_402_300_800_000;

/// The `Date` header for `now_ms` (an IMF-fixdate), or none when the format cannot express
/// it (before 1970 or from year 10000): RFC 9110 wants no `Date` rather than a wrong one.
pub(crate) fn http_date(now_ms: i64) -> Option<HeaderValue> {
    if !(0..DATE_END_MS).contains(&now_ms) {
        return None;
    }
    let at = UNIX_EPOCH + Duration::from_millis(u64::try_from(now_ms).ok()?);
    HeaderValue::from_str(&httpdate::fmt_http_date(at)).ok()
}

/// A service dating every answer of `S` by the running system's clock, read when the answer
/// is ready; a `Date` the handler set is kept. Used by the accept loop, around everything.
#[derive(Clone)]
pub(crate) struct Dated<S> {
    inner: S,
    clock: Arc<dyn Clock>,
}

impl<S> Dated<S> {
    pub(crate) fn new(inner: S, clock: Arc<dyn Clock>) -> Self {
        Self { inner, clock }
    }
}

impl<S, B> tower_service::Service<Request<B>> for Dated<S>
where
    S: tower_service::Service<Request<B>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Dating<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        Dating {
            inner: self.inner.call(request),
            clock: Arc::clone(&self.clock),
        }
    }
}

pin_project_lite::pin_project! {
    /// [`Dated`]'s answer, dated once it is ready.
    pub(crate) struct Dating<F> {
        #[pin]
        inner: F,
        clock: Arc<dyn Clock>,
    }
}

impl<F, E> Future for Dating<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut response = std::task::ready!(this.inner.poll(cx))?;
        let headers = response.headers_mut();
        if !headers.contains_key(DATE) {
            if let Some(date) = http_date(this.clock.now_ms()) {
                headers.insert(DATE, date);
            }
        }
        Poll::Ready(Ok(response))
    }
}

/// A file as a download, never shown by the browser whatever its type; its name is kept to
/// letters, digits and `.-_` so that it cannot break the header.
pub(crate) fn download(name: &str, bytes: Vec<u8>) -> Response {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staff_and_client_paths_are_private_public_outputs_are_not() {
        for private in [
            "/api/v1/impact",
            "/api/v1/alerts/alertmanager",
            "/console",
            "/console/incidents/3",
            "/account",
            "/account/feed/abc.atom",
            "/login",
            "/logout",
            "/metrics",
            "/demo/outbox",
        ] {
            assert!(is_private(private), "{private}");
        }
        for public in [
            "/",
            "/index.fr.html",
            "/api/v2/summary.json",
            "/api/openapi.json",
            "/history.atom",
            "/maintenance.ics",
            "/assets/status.css",
            "/assets/app.css",
            "/healthz",
            "/consoles",
            "/api/v1",
        ] {
            assert!(!is_private(public), "{public}");
        }
    }

    #[test]
    fn headers_are_added_without_overwriting_the_handlers() {
        let mut h = HeaderMap::new();
        h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
        h.insert(
            CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=60"),
        );
        add(&mut h, true, false);
        assert_eq!(h[REFERRER_POLICY], "no-referrer");
        assert_eq!(h[CACHE_CONTROL], "private, max-age=60");
        assert_eq!(h[X_FRAME_OPTIONS], "DENY");
        assert_eq!(h[X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(h.get(STRICT_TRANSPORT_SECURITY).is_none());
        let csp = h[CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.starts_with("default-src 'self';"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");

        let mut h = HeaderMap::new();
        add(&mut h, true, true);
        assert_eq!(h[CACHE_CONTROL], "no-store");
        assert_eq!(h[STRICT_TRANSPORT_SECURITY], "max-age=31536000");
        assert_eq!(h[REFERRER_POLICY], "same-origin");

        let mut h = HeaderMap::new();
        add(&mut h, false, true);
        assert!(h.get(CACHE_CONTROL).is_none(), "public answers keep theirs");
    }

    #[test]
    fn dates_are_imf_fixdates_or_nothing() {
        let date = |ms| http_date(ms).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            date(784_111_777_000).unwrap(),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(
            date(784_111_777_999).unwrap(),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        assert_eq!(date(0).unwrap(), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            date(DATE_END_MS - 1).unwrap(),
            "Fri, 31 Dec 9999 23:59:59 GMT"
        );
        // 1752-09-02 12:00 (seed 002), just before the epoch, year 10000 and the extremes.
        for never in [-6_858_216_000_000, -1, DATE_END_MS, i64::MIN, i64::MAX] {
            assert_eq!(date(never), None, "{never}");
        }
    }

    /// A clock reading a fixed time.
    struct At(i64);

    impl Clock for At {
        fn now_ms(&self) -> i64 {
            self.0
        }
    }

    /// A service answering at once, with the headers given.
    #[derive(Clone)]
    struct Answer(HeaderMap);

    impl tower_service::Service<Request<()>> for Answer {
        type Response = Response;
        type Error = std::convert::Infallible;
        type Future = std::future::Ready<Result<Response, Self::Error>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: Request<()>) -> Self::Future {
            let mut response = Response::new(axum::body::Body::empty());
            *response.headers_mut() = self.0.clone();
            std::future::ready(Ok(response))
        }
    }

    /// The headers `Dated` answers with, over `inner`, at `now_ms`.
    fn dated(inner: HeaderMap, now_ms: i64) -> HeaderMap {
        use tower_service::Service;
        let mut service = Dated::new(Answer(inner), Arc::new(At(now_ms)));
        let future = std::pin::pin!(service.call(Request::new(())));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match future.poll(&mut cx) {
            Poll::Ready(Ok(response)) => response.headers().clone(),
            Poll::Ready(Err(never)) => match never {},
            Poll::Pending => panic!("an answer ready at once is dated at once"),
        }
    }

    #[test]
    fn answers_are_dated_by_the_clock_given_never_by_the_wall_clock() {
        let h = dated(HeaderMap::new(), 784_111_777_000);
        assert_eq!(h[DATE], "Sun, 06 Nov 1994 08:49:37 GMT");
        // Before 1970 there is no honest date to give: none, and no panic.
        let h = dated(HeaderMap::new(), -6_858_216_000_000);
        assert!(h.get(DATE).is_none(), "{h:?}");
        // A handler's own date stays.
        let mut own = HeaderMap::new();
        own.insert(
            DATE,
            HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"),
        );
        let h = dated(own, 784_111_777_000);
        assert_eq!(h[DATE], "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(h.get_all(DATE).iter().count(), 1);
    }

    /// Whether an HTML text has an event handler attribute (` onclick=`, ` onload=`…).
    fn has_event_handler(text: &str) -> bool {
        text.match_indices(" on").any(|(i, _)| {
            let rest = &text[i + 3..];
            let name = rest.len()
                - rest
                    .trim_start_matches(|c: char| c.is_ascii_lowercase())
                    .len();
            name > 0 && rest[name..].starts_with('=')
        })
    }

    /// `text` without the scripts loaded from our own `/assets/` with nothing inline, which
    /// the policy allows (`script-src` falls back to `'self'`).
    fn without_asset_scripts(text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find("<script src=\"/assets/") {
            out.push_str(&rest[..at]);
            let tag = &rest[at..];
            let Some(end) = tag.find("</script>") else {
                out.push_str(tag);
                return out;
            };
            let opening = &tag[..end];
            if opening.ends_with('>') && opening.matches('>').count() == 1 {
                rest = &tag[end + "</script>".len()..];
            } else {
                // Something inline between the tags: left for the check to find.
                out.push_str(&tag[..end]);
                rest = &tag[end..];
            }
        }
        out.push_str(rest);
        out
    }

    #[test]
    fn no_template_needs_inline_script_or_style() {
        // The policy allows neither; a page that starts using them must change it knowingly.
        // Scripts served from `/assets/` are not inline.
        assert_eq!(
            without_asset_scripts("a<script src=\"/assets/x.js\" defer></script>b"),
            "ab"
        );
        assert!(
            without_asset_scripts("<script src=\"/assets/x.js\">alert(1)</script>")
                .contains("<script")
        );
        let mut seen = 0;
        let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                let text =
                    without_asset_scripts(&std::fs::read_to_string(&path).unwrap().to_lowercase());
                seen += 1;
                for inline in ["<script", "<style", "style=", "javascript:"] {
                    assert!(!text.contains(inline), "{}: {inline}", path.display());
                }
                assert!(!has_event_handler(&text), "{}", path.display());
            }
        }
        assert!(seen > 10, "templates not found");
        assert!(has_event_handler("<body onload=\"x()\">"));
        assert!(!has_event_handler("<p>one=two on the page</p>"));
        let external = "<p><script src=\"/assets/a.js\" defer></script></p>";
        assert_eq!(without_asset_scripts(external), "<p></p>");
        let inline = "<script src=\"/assets/a.js\">alert(1)</script>";
        assert!(without_asset_scripts(inline).contains("<script"));
    }
}
