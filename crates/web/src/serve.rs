//! The accept loop of both faces, on hyper rather than `axum::serve`: hyper's automatic `Date`
//! header reads the machine's wall clock and panics when it reads before 1970 (seed 002), so
//! it is turned off and every answer is dated by the running system's clock instead
//! (`headers::Dated`). Everything else is what `axum::serve` did: HTTP/1 only (no route
//! upgrades a connection), `ConnectInfo<SocketAddr>`, accept errors logged and retried, and
//! on shutdown no new connection while those open finish their requests in flight.
//!
//! That alone is not enough with hyper 1.12: its HTTP/1 connections still refresh a
//! per-thread date cache on every poll, and that cache's first filling panics under a wall
//! clock before 1970. [`warm_workers`] fills it on every runtime worker at start.

use std::convert::Infallible;
use std::future::{poll_fn, Future};
use std::io;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Waker};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tocsin_app::Clock;
use tokio::net::TcpListener;
use tower_service::Service;

use crate::headers::Dated;

/// How long to wait before accepting again after the listener failed for a reason of its
/// own (out of file descriptors, say), so that a persistent error does not spin a core.
const ACCEPT_RETRY: Duration = Duration::from_secs(1);

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
    let graceful = GracefulShutdown::new();
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
        let connection = http1.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
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
