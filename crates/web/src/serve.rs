//! The accept loop of both faces, on hyper rather than `axum::serve`: hyper's automatic `Date`
//! header reads the machine's wall clock and panics when it reads before 1970 (seed 002), so
//! it is turned off and every answer is dated by the running system's clock instead
//! (`headers::Dated`). Everything else is what `axum::serve` did: HTTP/1 only (no route
//! upgrades a connection), `ConnectInfo<SocketAddr>`, accept errors logged and retried, and
//! on shutdown no new connection while those open finish their requests in flight.
//!
//! In front of hyper, a connection may first meet the routes' [`Shortcut`]: the status page
//! answers its plain `GET`s from bytes written once per rendering, with one vectored write,
//! as nginx answers a static file; everything else is hyper's, on the same connection, with
//! the bytes already read given back to it ([`Rewind`]). The shortcut's answers carry the
//! same headers the router's would: the layers' headers are taken from one answer of the
//! router at start, and `Date` from the same clock.
//!
//! That alone is not enough with hyper 1.12: its HTTP/1 connections still refresh a
//! per-thread date cache on every poll, and that cache's first filling panics under a wall
//! clock before 1970. [`warm_workers`] fills it on every runtime worker at start.

use std::convert::Infallible;
use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::body::Body;
use axum::extract::connect_info::IntoMakeServiceWithConnectInfo;
use axum::http::header::{CONNECTION, CONTENT_LENGTH, DATE, TRANSFER_ENCODING};
use axum::http::Request;
use axum::Router;
use bytes::{Buf, Bytes, BytesMut};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tocsin_app::Clock;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tower_service::Service;

use crate::headers::{http_date, Dated};

/// How long to wait before accepting again after the listener failed for a reason of its
/// own (out of file descriptors, say), so that a persistent error does not spin a core.
const ACCEPT_RETRY: Duration = Duration::from_secs(1);

/// The most headers the shortcut parses; a request with more goes to hyper.
const MAX_HEADERS: usize = 32;
/// The longest head the shortcut waits for; a longer one goes to hyper.
const MAX_HEAD: usize = 16 * 1024;
/// Room made in the read buffer before each read.
const READ_CHUNK: usize = 4096;
/// The most slices given to one vectored write.
const MAX_SLICES: usize = 64;

/// How long a worker waits at start for the others to take their share of the warming.
const WARM_WAIT: Duration = Duration::from_secs(2);

/// Fills hyper's per-thread date cache on every worker of the current runtime, while the wall
/// clock presumably reads right.
///
/// hyper 1.12 refreshes that cache at every poll of an HTTP/1 connection, even with
/// `auto_date_header(false)`; filling it the first time on a thread formats the wall clock
/// with `httpdate`, which panics before 1970, so a worker answering its first connection
/// under 1752 reset it, and every later one. Once filled, the cache is only refreshed when the
/// wall clock passes the second it holds, which a clock set back never does. Tokio starts its
/// workers with the runtime and never replaces them (no `block_in_place` here), so warming
/// them once at start covers every thread that will poll a connection. When the wall clock
/// already reads before 1970 at start, nothing can be warmed: that is logged.
pub(crate) async fn warm_workers() {
    let workers = tokio::runtime::Handle::current().metrics().num_workers();
    let arrived = Arc::new((Mutex::new(0_usize), Condvar::new()));
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let arrived = Arc::clone(&arrived);
            tokio::spawn(async move {
                let warmed = warm_this_thread();
                // Each task holds its worker until all have arrived, so that they run on as
                // many workers as there are: a blocked worker cannot take a second one.
                let (count, all) = &*arrived;
                let mut n = count.lock().unwrap_or_else(|e| e.into_inner());
                *n += 1;
                all.notify_all();
                let _ = all.wait_timeout_while(n, WARM_WAIT, |n| *n < workers);
                warmed
            })
        })
        .collect();
    let mut cold = 0;
    for task in tasks {
        if !matches!(task.await, Ok(true)) {
            cold += 1;
        }
    }
    if cold > 0 {
        tracing::error!(
            workers,
            cold,
            "the wall clock reads before 1970 or after 9999: HTTP/1 connections answered on \
             {cold} of {workers} workers will be reset until it is set right (hyper's \
             date cache)"
        );
    }
}

/// Polls a throwaway HTTP/1 connection once on this thread: its first step fills hyper's date
/// cache. False when that panicked.
fn warm_this_thread() -> bool {
    let (_client, server) = tokio::io::duplex(64);
    let service = hyper::service::service_fn(|_| async {
        Ok::<_, Infallible>(axum::response::Response::new(axum::body::Body::empty()))
    });
    let connection =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(server), service);
    let mut connection = std::pin::pin!(connection);
    let mut cx = Context::from_waker(Waker::noop());
    std::panic::catch_unwind(AssertUnwindSafe(|| connection.as_mut().poll(&mut cx))).is_ok()
}

/// Serves `router` on `listener` until `stopping` completes; then accepts nothing more and
/// returns once every open connection has finished the requests it had in flight.
///
/// Each connection first goes to the routes' [`Shortcut`] when they offer one: it answers the
/// plain requests it knows from bytes written once, and hands the connection to hyper, with
/// what it read, at the first request it does not.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    clock: Arc<dyn Clock>,
    stopping: impl Future<Output = ()>,
) {
    let mut make = router.into_make_service_with_connect_info::<SocketAddr>();
    let mut http1 = hyper::server::conn::http1::Builder::new();
    // hyper's date reads the wall clock; ours comes from `clock` (see `Dated`).
    http1.auto_date_header(false);
    let http1 = Arc::new(http1);
    let shortcut = offered(&mut make).await.map(Arc::new);
    // Every connection's task holds a receiver: the sender's `closed` is when all have ended.
    let (stop, _) = tokio::sync::watch::channel(false);
    let mut stopping = std::pin::pin!(stopping);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stopping => break,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) if is_connection_error(&e) => {
                // The client gave up before we took its connection: nothing to do.
                tracing::debug!(error = %e, "accept: connection gone");
                continue;
            }
            Err(e) => {
                tracing::error!(error = %e, "accept failed; retrying in a second");
                tokio::select! {
                    () = tokio::time::sleep(ACCEPT_RETRY) => continue,
                    () = &mut stopping => break,
                }
            }
        };
        // Answers leave in one write; Nagle would only hold a pipelined client's next one.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(%peer, error = %e, "TCP_NODELAY refused");
        }
        let service = match connected(&mut make, peer).await {
            Ok(s) => s,
            Err(never) => match never {},
        };
        let service = TowerToHyperService::new(Dated::new(service, Arc::clone(&clock)));
        let http1 = Arc::clone(&http1);
        let shortcut = shortcut.clone();
        let clock = Arc::clone(&clock);
        let mut stopping = stop.subscribe();
        tokio::spawn(async move {
            let mut stream = stream;
            let mut read = BytesMut::new();
            if let Some(shortcut) = shortcut {
                let mut fast = Fast {
                    stream: &mut stream,
                    read: &mut read,
                    clock: &*clock,
                    stopping: &mut stopping,
                };
                match fast.run(&shortcut).await {
                    Ok(Served::Handover) => {}
                    Ok(Served::Closed) => return,
                    Err(e) => {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                        return;
                    }
                }
            }
            let io = TokioIo::new(Rewind {
                read: read.freeze(),
                stream,
            });
            let connection = http1.serve_connection(io, service);
            let mut connection = std::pin::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                () = stopped(&mut stopping) => {
                    // Idle: closed now; a request in flight: answered, then closed.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = ended {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    stop.send_replace(true);
    stop.closed().await;
}

/// The router's service for one connection, with the peer's address as `ConnectInfo`.
async fn connected<M>(make: &mut M, peer: SocketAddr) -> Result<M::Response, Infallible>
where
    M: Service<SocketAddr, Error = Infallible>,
{
    poll_fn(|cx| make.poll_ready(cx)).await?;
    make.call(peer).await
}

/// Errors of one connection that the client closed before it was accepted, rather than of
/// the listener.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// A way for routes to answer their hottest requests before hyper and the router see them.
pub(crate) trait Shortcut: Send + Sync + 'static {
    /// The answerer of one connection (which may keep what it looked up last).
    fn open(self: Arc<Self>) -> Box<dyn Answerer>;
}

/// Answers the requests of one connection that a [`Shortcut`] knows.
pub(crate) trait Answerer: Send {
    /// For `request`, a complete `GET` or `HEAD` without body or upgrade: the head of the
    /// answer (status line and the route's own headers, without `Date`, the layers' headers
    /// and the blank line) and its body, exactly as the router would answer; `None` to leave
    /// the request, and the connection, to hyper.
    fn answer(&mut self, request: &httparse::Request<'_, '_>) -> Option<(&[u8], Option<&Bytes>)>;
}

/// The extension of the one request the accept loop sends at start to ask the routes for
/// their [`Shortcut`]; no client can set it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AskShortcut;

/// The extension of the answer to [`AskShortcut`] offering one.
#[derive(Clone)]
pub(crate) struct Offer(pub Arc<dyn Shortcut>);

/// A shortcut with the header lines the layers around the routes add to its answers.
struct Offered {
    shortcut: Arc<dyn Shortcut>,
    around: Vec<u8>,
}

/// Asks the router for its shortcut with a `GET /` carrying [`AskShortcut`]; the headers of
/// that answer but its framing are the ones the layers add (security headers), written out
/// once.
async fn offered(make: &mut IntoMakeServiceWithConnectInfo<Router, SocketAddr>) -> Option<Offered> {
    let Ok(mut service) = connected(make, SocketAddr::from(([0, 0, 0, 0], 0))).await;
    let mut request = Request::get("/").body(Body::empty()).ok()?;
    request.extensions_mut().insert(AskShortcut);
    let Ok(()) = poll_fn(|cx| Service::<Request<Body>>::poll_ready(&mut service, cx)).await;
    let Ok(response) = service.call(request).await;
    let Offer(shortcut) = response.extensions().get::<Offer>()?.clone();
    let mut around = Vec::new();
    // The router's own framing and date are not the layers': the shortcut writes its own.
    let framing = [CONTENT_LENGTH, TRANSFER_ENCODING, CONNECTION, DATE];
    for (name, value) in response.headers() {
        if framing.contains(name) {
            continue;
        }
        around.extend_from_slice(name.as_str().as_bytes());
        around.extend_from_slice(b": ");
        around.extend_from_slice(value.as_bytes());
        around.extend_from_slice(b"\r\n");
    }
    Some(Offered { shortcut, around })
}

/// Completes when the server stops (or has gone).
async fn stopped(stopping: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = stopping.wait_for(|&s| s).await;
}

/// How the shortcut left a connection.
enum Served {
    /// At a request for hyper, whose bytes are in the read buffer.
    Handover,
    /// Closed by the client, or idle at shutdown.
    Closed,
}

/// One connection while the shortcut answers it.
struct Fast<'a> {
    stream: &'a mut TcpStream,
    read: &'a mut BytesMut,
    clock: &'a dyn Clock,
    stopping: &'a mut tokio::sync::watch::Receiver<bool>,
}

impl Fast<'_> {
    /// Answers every complete request read (pipelined ones in one write) until one is not
    /// the shortcut's, the client closes, or the server stops while the connection is idle.
    async fn run(&mut self, offered: &Offered) -> io::Result<Served> {
        let mut answerer = Arc::clone(&offered.shortcut).open();
        let mut out = Outgoing::default();
        let mut date = DateLine::default();
        loop {
            let handover = loop {
                let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let mut request = httparse::Request::new(&mut headers);
                let used = match request.parse(self.read) {
                    Ok(httparse::Status::Complete(used)) => used,
                    Ok(httparse::Status::Partial) => break false,
                    Err(_) => break true,
                };
                if !plain(&request) {
                    break true;
                }
                let head_only = request.method == Some("HEAD");
                let Some((head, body)) = answerer.answer(&request) else {
                    break true;
                };
                let body = body.filter(|_| !head_only);
                out.push(head, &offered.around, date.line(self.clock.now_ms()), body);
                self.read.advance(used);
            };
            out.flush(self.stream).await?;
            if handover || self.read.len() > MAX_HEAD {
                return Ok(Served::Handover);
            }
            let idle = self.read.is_empty();
            if idle && *self.stopping.borrow() {
                return Ok(Served::Closed);
            }
            self.read.reserve(READ_CHUNK);
            tokio::select! {
                read = self.stream.read_buf(self.read) => {
                    if read? == 0 {
                        // A request cut short is hyper's to judge.
                        return Ok(if self.read.is_empty() { Served::Closed } else { Served::Handover });
                    }
                }
                () = stopped(self.stopping), if idle => return Ok(Served::Closed),
            }
        }
    }
}

/// A `GET` or `HEAD` in HTTP/1.1 without body, upgrade, expectation or connection option
/// other than keep-alive: the only requests the shortcut may answer.
fn plain(request: &httparse::Request<'_, '_>) -> bool {
    request.version == Some(1)
        && matches!(request.method, Some("GET" | "HEAD"))
        && request.headers.iter().all(|h| {
            let is = |name: &str| h.name.eq_ignore_ascii_case(name);
            if is("connection") {
                h.value.eq_ignore_ascii_case(b"keep-alive")
            } else {
                !(is("content-length") || is("transfer-encoding") || is("upgrade") || is("expect"))
            }
        })
}

/// The answers waiting to be written: their heads one after the other in one buffer, each
/// followed by its body (shared, not copied).
#[derive(Default)]
struct Outgoing {
    head: Vec<u8>,
    /// Where in `head` each body goes, and the body.
    parts: Vec<(usize, Bytes)>,
}

impl Outgoing {
    fn push(&mut self, head: &[u8], around: &[u8], date: &[u8], body: Option<&Bytes>) {
        self.head.extend_from_slice(head);
        self.head.extend_from_slice(around);
        self.head.extend_from_slice(date);
        self.head.extend_from_slice(b"\r\n");
        if let Some(body) = body.filter(|b| !b.is_empty()) {
            self.parts.push((self.head.len(), body.clone()));
        }
    }

    /// Writes everything with as few vectored writes as the socket takes.
    async fn flush(&mut self, stream: &mut TcpStream) -> io::Result<()> {
        if self.parts.last().map_or(0, |p| p.0) < self.head.len() {
            self.parts.push((self.head.len(), Bytes::new()));
        }
        let total = self.head.len() + self.parts.iter().map(|p| p.1.len()).sum::<usize>();
        let mut done = 0;
        while done < total {
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            let mut n = 0;
            let mut skip = done;
            let mut start = 0;
            'fill: for (end, body) in &self.parts {
                for piece in [&self.head[start..*end], &body[..]] {
                    if skip >= piece.len() {
                        skip -= piece.len();
                        continue;
                    }
                    if n == MAX_SLICES {
                        break 'fill;
                    }
                    slices[n] = IoSlice::new(&piece[skip..]);
                    skip = 0;
                    n += 1;
                }
                start = *end;
            }
            let written = stream.write_vectored(&slices[..n]).await?;
            if written == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            done += written;
        }
        self.head.clear();
        self.parts.clear();
        Ok(())
    }
}

/// The `Date` line of the running system's clock, formatted once a second.
#[derive(Default)]
struct DateLine {
    second: Option<i64>,
    line: Vec<u8>,
}

impl DateLine {
    /// `date: …` with its line end, or nothing when the clock cannot be written (see
    /// `http_date`), as `Dated` does.
    fn line(&mut self, now_ms: i64) -> &[u8] {
        let second = now_ms.div_euclid(1000);
        if self.second != Some(second) {
            self.second = Some(second);
            self.line.clear();
            if let Some(date) = http_date(now_ms) {
                self.line.extend_from_slice(b"date: ");
                self.line.extend_from_slice(date.as_bytes());
                self.line.extend_from_slice(b"\r\n");
            }
        }
        &self.line
    }
}

/// A connection handed to hyper: the bytes the shortcut read first, then the socket.
struct Rewind {
    read: Bytes,
    stream: TcpStream,
}

impl AsyncRead for Rewind {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.read.is_empty() {
            return Pin::new(&mut this.stream).poll_read(cx, buf);
        }
        let n = buf.remaining().min(this.read.len());
        buf.put_slice(&this.read[..n]);
        this.read.advance(n);
        if this.read.is_empty() {
            // Lets the read buffer go.
            this.read = Bytes::new();
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Rewind {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
