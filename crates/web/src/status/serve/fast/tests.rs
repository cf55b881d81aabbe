//! The shortcut's answers against the routes' own, and the accept loop around it: pipelined
//! and split requests, the hand-over to hyper with the bytes already read, `Date` from the
//! clock given, the layers' headers, and shutdown of an idle connection.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use tocsin_app::Clock;
use tocsin_model::inventory::Language;

use super::*;
use crate::serve::{AskShortcut, Offer};

#[test]
fn only_plain_targets_are_taken() {
    assert_eq!(target("/"), Some(("/", None)));
    assert_eq!(target("/?lang=cs"), Some(("/", Some("lang=cs"))));
    assert_eq!(target("/?"), Some(("/", Some(""))));
    assert_eq!(
        target("/index.cs.html?lang=en&x=1"),
        Some(("/index.cs.html", Some("lang=en&x=1")))
    );
    for odd in [
        "*",
        "http://status.example.net/",
        "/%69ndex.html",
        "/index.html#top",
        "/?lang=<cs>",
        "/?a=b?c",
        "",
    ] {
        assert_eq!(target(odd), None, "{odd}");
    }
}

/// A page big enough to be compressed, in a language's words.
fn page(words: &str) -> Vec<u8> {
    format!("<html>{}</html>", words.repeat(200)).into_bytes()
}

fn outputs() -> (
    Arc<Outputs>,
    tokio::sync::watch::Sender<Option<Arc<Rendered>>>,
) {
    let mut rendered = Rendered::new();
    for (language, words) in [(Language::En, "up "), (Language::Cs, "běží ")] {
        let which = Output::Page(language);
        let r = Resource::new(
            page(words),
            which.content_type(),
            784_111_777_000,
            "public, max-age=5",
            true,
        );
        rendered.insert(which, r);
    }
    let summary = Resource::new(
        b"{}".to_vec(),
        "application/json",
        0,
        "public, max-age=5",
        false,
    );
    rendered.insert(Output::Summary, summary);
    let (publish, latest) = tokio::sync::watch::channel(Some(Arc::new(rendered)));
    let fixed = vec![
        ("/index.html".to_owned(), Output::Page(Language::En)),
        ("/index.cs.html".to_owned(), Output::Page(Language::Cs)),
        ("/api/v2/summary.json".to_owned(), Output::Summary),
    ];
    let css = Resource::new(
        b"body{}".to_vec(),
        "text/css; charset=utf-8",
        0,
        "public, max-age=3600",
        false,
    );
    let openapi = Resource::new(
        b"{}".to_vec(),
        "application/json",
        0,
        "public, max-age=3600",
        false,
    );
    (
        Arc::new(Outputs::new(latest, &fixed, css, openapi)),
        publish,
    )
}

/// The shortcut's answer to a raw head, as (status, headers, body).
fn shortcut(answerer: &mut Box<dyn Answerer>, raw: &str) -> Option<(u16, HeaderMap, Vec<u8>)> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    assert!(request.parse(raw.as_bytes()).unwrap().is_complete());
    let (head, body) = answerer.answer(&request)?;
    let mut wire = head.to_vec();
    wire.extend_from_slice(b"\r\n");
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    assert!(response.parse(&wire).unwrap().is_complete());
    let mut map = HeaderMap::new();
    for h in response.headers.iter() {
        map.append(
            HeaderName::from_bytes(h.name.as_bytes()).unwrap(),
            HeaderValue::from_bytes(h.value).unwrap(),
        );
    }
    Some((
        response.code.unwrap(),
        map,
        body.map(|b| b.to_vec()).unwrap_or_default(),
    ))
}

/// The routes' answer to the same request, with `content-length` as hyper adds it.
fn routed(resource: &Resource, raw: &str) -> (u16, HeaderMap, Vec<u8>) {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut request = httparse::Request::new(&mut headers);
    request.parse(raw.as_bytes()).unwrap();
    let mut map = HeaderMap::new();
    for h in request.headers.iter() {
        map.append(
            HeaderName::from_bytes(h.name.as_bytes()).unwrap(),
            HeaderValue::from_bytes(h.value).unwrap(),
        );
    }
    let response = resource.answer(&map);
    let status = response.status().as_u16();
    let mut headers = response.headers().clone();
    let body = futures_body(response);
    if status == 200 {
        headers.insert("content-length", HeaderValue::from(body.len()));
    }
    (status, headers, body)
}

fn futures_body(response: Response) -> Vec<u8> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime
        .block_on(axum::body::to_bytes(response.into_body(), usize::MAX))
        .unwrap()
        .to_vec()
}

#[test]
fn the_shortcut_answers_what_the_routes_answer() {
    let (outputs, _publish) = outputs();
    let rendered = outputs.latest.borrow().clone().unwrap();
    let mut answerer = Arc::clone(&outputs).open();
    let en = &rendered[&Output::Page(Language::En)];
    let cs = &rendered[&Output::Page(Language::Cs)];
    let mut tag = |coding: &str| {
        let raw = format!("GET / HTTP/1.1\r\nAccept-Encoding: {coding}\r\n\r\n");
        shortcut(&mut answerer, &raw).unwrap().1["etag"]
            .to_str()
            .unwrap()
            .to_owned()
    };
    let (identity, br) = (tag("identity"), tag("br"));
    assert_ne!(identity, br);
    let cases: Vec<(String, &Resource)> = [
        ("/", "", en),
        ("/", "Accept-Encoding: gzip, br\r\n", en),
        ("/", "Accept-Encoding: gzip\r\n", en),
        ("/", "Accept-Language: cs\r\n", cs),
        (
            "/",
            "Accept-Language: xx, cs;q=0.5\r\nAccept-Encoding: br\r\n",
            cs,
        ),
        ("/?lang=cs", "Accept-Language: en\r\n", cs),
        ("/?lang=xx", "", en),
        ("/index.cs.html", "", cs),
        ("/index.cs.html?lang=en", "", en),
        ("/index.html?lang=CS", "", cs),
        (
            "/api/v2/summary.json",
            "Accept-Encoding: br\r\n",
            &rendered[&Output::Summary],
        ),
        ("/assets/status.css", "", &outputs.css),
        (
            "/api/openapi.json",
            "If-None-Match: *\r\n",
            &outputs.openapi,
        ),
        ("/", &format!("If-None-Match: {identity}\r\n"), en),
        (
            "/",
            &format!("If-None-Match: \"a\", W/{br}\r\nAccept-Encoding: br\r\n"),
            en,
        ),
        ("/", &format!("If-None-Match: {br}\r\n"), en),
        (
            "/",
            "If-None-Match: \"a\"\r\nIf-Modified-Since: Fri, 31 Dec 9999 23:59:59 GMT\r\n",
            en,
        ),
        (
            "/",
            "If-Modified-Since: Fri, 31 Dec 9999 23:59:59 GMT\r\n",
            en,
        ),
        (
            "/",
            "If-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n",
            en,
        ),
        ("/", "If-Modified-Since: soon\r\n", en),
        ("/", "Accept-Encoding: br\r\nAccept-Encoding: gzip\r\n", en),
    ]
    .into_iter()
    .map(|(path, extra, r)| (format!("GET {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n"), r))
    .collect();
    let mut statuses = Vec::new();
    for (raw, resource) in &cases {
        let fast = shortcut(&mut answerer, raw).unwrap_or_else(|| panic!("{raw}"));
        assert_eq!(fast, routed(resource, raw), "{raw}");
        statuses.push(fast.0);
    }
    assert_eq!(
        statuses.iter().filter(|&&s| s == 304).count(),
        4,
        "{statuses:?}"
    );
    // What the routes do not serve the same way is left to them.
    for raw in [
        "GET /nowhere HTTP/1.1\r\n\r\n",
        "GET /index.pl.html HTTP/1.1\r\n\r\n",
        "GET /?lang=%3Ccs%3E HTTP/1.1\r\n\r\n",
    ] {
        let left = raw.contains("nowhere") || raw.contains(".pl.");
        assert_eq!(shortcut(&mut answerer, raw).is_none(), left, "{raw}");
    }
}

#[test]
fn a_new_rendering_is_answered_at_once_and_none_is_left_to_the_routes() {
    let (outputs, publish) = outputs();
    let mut answerer = Arc::clone(&outputs).open();
    let raw = "GET /api/v2/summary.json HTTP/1.1\r\n\r\n";
    assert_eq!(shortcut(&mut answerer, raw).unwrap().2, b"{}");
    let mut rendered = (**publish.borrow().as_ref().unwrap()).clone();
    let summary = Resource::new(
        b"{\"new\":1}".to_vec(),
        "application/json",
        0,
        "public, max-age=5",
        false,
    );
    rendered.insert(Output::Summary, summary);
    publish.send_replace(Some(Arc::new(rendered)));
    assert_eq!(shortcut(&mut answerer, raw).unwrap().2, b"{\"new\":1}");
    // Not rendered yet: the routes wait for it and say so.
    let mut cold = Arc::new(Outputs::new(
        tokio::sync::watch::channel(None).1,
        &[],
        outputs.css.clone(),
        outputs.openapi.clone(),
    ))
    .open();
    assert!(shortcut(&mut cold, "GET / HTTP/1.1\r\n\r\n").is_none());
    assert!(shortcut(&mut cold, "GET /assets/status.css HTTP/1.1\r\n\r\n").is_some());
}

/// A clock reading a fixed time.
struct At(i64);

impl Clock for At {
    fn now_ms(&self) -> i64 {
        self.0
    }
}

/// A shortcut answering `/fast` only.
struct Marker;

impl Shortcut for Marker {
    fn open(self: Arc<Self>) -> Box<dyn Answerer> {
        Box::new(MarkerConnection(Bytes::from_static(b"fast")))
    }
}

struct MarkerConnection(Bytes);

impl Answerer for MarkerConnection {
    fn answer(&mut self, request: &httparse::Request<'_, '_>) -> Option<(&[u8], Option<&Bytes>)> {
        (request.path == Some("/fast")).then_some((
            &b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n"[..],
            Some(&self.0),
        ))
    }
}

/// An answer read off the wire: status line, headers, body.
type WireAnswer = (String, Vec<(String, String)>, Vec<u8>);

/// Reads `n` answers (status line, headers, body), bodies absent where `heads` says HEAD.
fn answers(s: &mut TcpStream, heads: &[bool]) -> Vec<WireAnswer> {
    let mut raw = Vec::new();
    let mut out = Vec::new();
    let mut at = 0;
    for &head_only in heads {
        loop {
            let rest = &raw[at..];
            if let Some(end) = rest.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&rest[..end]).unwrap();
                let mut lines = head.split("\r\n");
                let status = lines.next().unwrap().to_owned();
                let headers: Vec<(String, String)> = lines
                    .map(|l| l.split_once(": ").unwrap())
                    .map(|(n, v)| (n.to_ascii_lowercase(), v.to_owned()))
                    .collect();
                let length = headers
                    .iter()
                    .find(|(n, _)| n == "content-length")
                    .filter(|_| !head_only)
                    .map_or(0, |(_, v)| v.parse().unwrap());
                if rest.len() >= end + 4 + length {
                    out.push((status, headers, rest[end + 4..end + 4 + length].to_vec()));
                    at += end + 4 + length;
                    break;
                }
            }
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap();
            assert!(n > 0, "closed after {} answers", out.len());
            raw.extend_from_slice(&buf[..n]);
        }
    }
    out
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Serves a router offering [`Marker`] with the clock at `now_ms`, and checks the accept loop
/// answers through the shortcut, hands over to hyper, and stops.
fn accept_loop(now_ms: i64, date: Option<&str>) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let router = Router::new()
        .route(
            "/",
            get(|request: Request| async move {
                let mut answer = Response::new(axum::body::Body::from("router"));
                if request.extensions().get::<AskShortcut>().is_some() {
                    answer.extensions_mut().insert(Offer(Arc::new(Marker)));
                }
                answer
            }),
        )
        .route("/router", get(|| async { "router" }))
        .layer(crate::headers::SecureLayer { https: true });
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopping) = tokio::sync::oneshot::channel::<()>();
    let served = runtime.spawn(crate::serve::serve(
        listener,
        router,
        Arc::new(At(now_ms)),
        async move {
            let _ = stopping.await;
        },
    ));
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_nodelay(true).unwrap();
    let wire = b"GET /fast HTTP/1.1\r\nHost: x\r\n\r\nHEAD /fast HTTP/1.1\r\n\r\nGET /fast HTTP/1.1\r\nConnection: keep-alive\r\n\r\n";
    for piece in wire.chunks(5) {
        s.write_all(piece).unwrap();
    }
    let fast = answers(&mut s, &[false, true, false]);
    for (status, headers, body) in &fast {
        assert_eq!(status, "HTTP/1.1 200 OK");
        assert_eq!(header(headers, "date"), date, "{headers:?}");
        assert_eq!(
            header(headers, "strict-transport-security"),
            Some("max-age=31536000")
        );
        assert_eq!(header(headers, "x-frame-options"), Some("DENY"));
        assert_eq!(header(headers, "content-length"), Some("4"));
        assert_eq!(
            headers.len(),
            6 + usize::from(date.is_some()),
            "{headers:?}"
        );
        assert!(body.is_empty() || body == b"fast");
    }
    assert_eq!(fast[0].2, b"fast");
    assert!(fast[1].2.is_empty(), "HEAD has no body");
    // A request the shortcut does not take goes to hyper with what was read after it; the
    // connection stays hyper's, where `/fast` is no route.
    s.write_all(b"GET /router HTTP/1.1\r\n\r\nGET /fast HTTP/1.1\r\n\r\nGET /?x HTTP/1.1\r\nContent-Length: 0\r\n\r\n").unwrap();
    let routed = answers(&mut s, &[false, false, false]);
    assert_eq!(routed[0].0, "HTTP/1.1 200 OK");
    assert_eq!(routed[0].2, b"router");
    assert_eq!(header(&routed[0].1, "date"), date);
    assert_eq!(routed[1].0, "HTTP/1.1 404 Not Found");
    assert_eq!(routed[2].2, b"router");
    // Stopping closes idle connections, the shortcut's and hyper's, and returns.
    let mut idle = TcpStream::connect(addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    idle.write_all(b"GET /fast HTTP/1.1\r\n\r\n").unwrap();
    assert_eq!(answers(&mut idle, &[false])[0].2, b"fast");
    stop.send(()).unwrap();
    runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(10), served)
            .await
            .expect("the accept loop stops")
            .unwrap();
    });
    for mut c in [s, idle] {
        assert_eq!(c.read(&mut [0u8; 16]).unwrap(), 0, "closed at shutdown");
    }
}

#[test]
fn the_accept_loop_answers_through_the_shortcut_and_hands_over_to_hyper() {
    accept_loop(784_111_777_000, Some("Sun, 06 Nov 1994 08:49:37 GMT"));
    // Before 1970 (seed 002) there is no honest date to give: none, and no panic.
    accept_loop(-6_858_216_000_000, None);
}
