//! Signed webhooks: incident events POSTed as JSON to the URLs a customer gave, signed with
//! HMAC-SHA256 of the body under the customer's secret, with a verdict per delivery. A
//! webhook the customer set themselves goes through `guard` first: never into the
//! provider's network.

mod guard;

pub use guard::refused_host;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::Full;
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use serde_json::json;
use sha2::Sha256;
use tocsin_notify::Outcome;
use tocsin_store::OutboxRow;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::ClientConfig;

use crate::notices::Payload;
use crate::outbox::{Kept, Shared, Transport};
use crate::recipients::Origin;
use tocsin_model::time::rfc3339;

/// Outbox kinds of webhook rows: the notice kind with this prefix.
pub(crate) const KIND_PREFIX: &str = "webhook.";

/// A POST that takes longer than this is retried.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Sends webhook requests; one connection per request, as endpoints are many and rarely hot.
pub(crate) struct Hooks {
    tls: Option<Arc<ClientConfig>>,
    /// `[notify] allow_private_webhooks`: customers' own hooks may reach any address.
    allow_private: bool,
}

impl Hooks {
    /// Trusts the system's CA certificates; without any, `https://` hooks fail with a reason.
    /// Customers' own hooks may reach private and reserved addresses only when
    /// `allow_private`.
    pub fn new(allow_private: bool) -> Hooks {
        let tls = match tocsin_notify::tls_config(None) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(error = %e, "webhooks: no TLS trust store, https:// hooks will fail");
                None
            }
        };
        Hooks { tls, allow_private }
    }

    /// POSTs `body` to `url`, signed, and tells how it ended. A customer's own hook that
    /// resolves to a refused address fails for good, with nothing sent.
    pub async fn post(
        &self,
        url: &str,
        body: Vec<u8>,
        secret: &str,
        delivery: i64,
        origin: Origin,
    ) -> Outcome {
        let signature = signature(secret.as_bytes(), &body);
        let check = origin == Origin::Customer && !self.allow_private;
        let exchange = self.exchange(url, body, &signature, delivery, check);
        match tokio::time::timeout(TIMEOUT, exchange).await {
            Ok(Ok(status)) => verdict(status),
            Ok(Err(Fault::Retry(reason))) => Outcome::Retry { reason },
            Ok(Err(Fault::Fatal(reason))) => Outcome::Failed { reason },
            Err(_) => Outcome::Retry {
                reason: format!("webhook {url}: no answer within {} s", TIMEOUT.as_secs()),
            },
        }
    }

    async fn exchange(
        &self,
        url: &str,
        body: Vec<u8>,
        signature: &str,
        delivery: i64,
        check: bool,
    ) -> Result<u16, Fault> {
        let fatal = |why: String| Fault::Fatal(format!("webhook {url}: {why}"));
        let retry = |why: String| Fault::Retry(format!("webhook {url}: {why}"));
        let uri: Uri = url.parse().map_err(|e| fatal(format!("bad URL: {e}")))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(fatal("only http:// and https:// are supported".to_owned())),
        };
        let host = uri
            .host()
            .ok_or_else(|| fatal("no host".to_owned()))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        // Host and port only: credentials in the URL are never sent as the Host header.
        let authority = match (uri.host(), uri.port_u16()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => host.clone(),
        };
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let request = Request::post(path)
            .header("host", authority)
            .header("content-type", "application/json")
            .header("user-agent", "Tocsin-Webhook/1")
            .header("x-tocsin-signature", signature)
            .header("x-tocsin-delivery", delivery.to_string())
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| fatal(format!("cannot build the request: {e}")))?;
        // Resolved once: the connection goes to exactly the addresses checked, while TLS and
        // the Host header keep the name.
        let addresses =
            guard::addresses(&host, port, check)
                .await
                .map_err(|refusal| match refusal {
                    guard::Refusal::Lookup(why) => retry(why),
                    guard::Refusal::Forbidden(why) => fatal(why),
                })?;
        let tcp = connect(&addresses)
            .await
            .map_err(|e| retry(format!("cannot connect: {e}")))?;
        let _ = tcp.set_nodelay(true);
        if https {
            let config = self
                .tls
                .clone()
                .ok_or_else(|| fatal("no trusted CA certificates for https://".to_owned()))?;
            let name = ServerName::try_from(host.clone())
                .map_err(|e| fatal(format!("bad TLS server name: {e}")))?;
            let tls = tokio_rustls::TlsConnector::from(config)
                .connect(name, tcp)
                .await
                .map_err(|e| retry(format!("TLS handshake: {e}")))?;
            send(TokioIo::new(tls), request).await.map_err(retry)
        } else {
            send(TokioIo::new(tcp), request).await.map_err(retry)
        }
    }
}

/// The first of `addresses` that accepts a connection, tried in the resolver's order.
async fn connect(addresses: &[SocketAddr]) -> std::io::Result<tokio::net::TcpStream> {
    let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "no address");
    for address in addresses {
        match tokio::net::TcpStream::connect(address).await {
            Ok(tcp) => return Ok(tcp),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// Why a request did not get a status.
enum Fault {
    Retry(String),
    Fatal(String),
}

async fn send<T>(io: T, request: Request<Full<Bytes>>) -> Result<u16, String>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| format!("HTTP handshake: {e}"))?;
    let driver = tokio::spawn(connection);
    let answer = sender.send_request(request).await;
    driver.abort();
    answer
        .map(|r| r.status().as_u16())
        .map_err(|e| format!("request failed: {e}"))
}

/// 2xx delivered; 429 and 5xx again later; anything else refused for good.
fn verdict(status: u16) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered,
        429 | 500..=599 => Outcome::Retry {
            reason: format!("webhook answered {status}"),
        },
        _ => Outcome::Failed {
            reason: format!("webhook answered {status}"),
        },
    }
}

/// Webhook requests of one batch open at the same time (a batch may hold hundreds).
const POSTS_AT_ONCE: usize = 64;

/// POSTs a batch of webhook rows and gives each its outcome.
pub(crate) async fn post_all(rows: Vec<OutboxRow>, shared: Arc<Shared>) -> Vec<(i64, Outcome)> {
    // Side by side, so one slow endpoint costs the batch one time-out, not one per row; at
    // most `POSTS_AT_ONCE` connections open per batch.
    let open = Arc::new(tokio::sync::Semaphore::new(POSTS_AT_ONCE));
    let mut posts = tokio::task::JoinSet::new();
    for row in rows {
        let shared = Arc::clone(&shared);
        let open = Arc::clone(&open);
        posts.spawn(async move {
            let _open = open.acquire_owned().await;
            (row.id, post_one(&row, &shared).await)
        });
    }
    let mut results = Vec::new();
    while let Some(done) = posts.join_next().await {
        match done {
            Ok(result) => results.push(result),
            // The row's lease runs out and it goes again.
            Err(e) => tracing::error!(error = %e, "webhook task failed"),
        }
    }
    results
}

/// One webhook row: its body, its secret from the live inventory, then the POST (or, in the
/// demo, the body kept for `/demo/outbox`).
async fn post_one(row: &OutboxRow, shared: &Shared) -> Outcome {
    let (hooks, secrets, delivering, kept) = (
        &shared.hooks,
        &shared.secrets,
        &shared.delivering,
        &shared.kept,
    );
    let url = &row.notice.contact;
    let body = match body(row) {
        Ok(b) => b,
        Err(reason) => {
            tracing::error!(outbox = row.id, %reason, "cannot build webhook body");
            return Outcome::Failed { reason };
        }
    };
    let Some((secret, origin)) = secrets(&row.notice.customer, url) else {
        let reason = format!(
            "webhook {url}: customer `{}` no longer has it in the inventory",
            row.notice.customer
        );
        return Outcome::Failed { reason };
    };
    let outcome = match &delivering.transport {
        Transport::Smtp(_) => hooks.post(url, body, &secret, row.id, origin).await,
        Transport::Keep => {
            if let Ok(mut kept) = kept.lock() {
                kept.push_back(Kept {
                    id: row.id,
                    to: url.clone(),
                    message: String::from_utf8_lossy(&body).into_owned(),
                });
                while kept.len() > 500 {
                    kept.pop_front();
                }
            }
            Outcome::Delivered
        }
    };
    if let Outcome::Failed { reason } | Outcome::Retry { reason } = &outcome {
        tracing::warn!(outbox = row.id, %reason, "webhook not delivered");
    }
    outcome
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `secret`.
pub(crate) fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(m) => m,
        // HMAC takes keys of any length; this arm is never taken.
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The JSON body of a webhook row: the event, the incident and the customer's services.
pub(crate) fn body(row: &OutboxRow) -> Result<Vec<u8>, String> {
    if row.notice.kind.starts_with(crate::ops::BILLING_KIND_PREFIX) {
        // Written whole when the credit was approved.
        return Ok(row.notice.payload.clone().into_bytes());
    }
    let payload: Payload = serde_json::from_str(&row.notice.payload)
        .map_err(|e| format!("outbox row {}: unreadable payload: {e}", row.id))?;
    let event = match row.notice.kind.strip_prefix(KIND_PREFIX) {
        Some(k @ ("opened" | "resolved")) => format!("incident.{k}"),
        _ => {
            return Err(format!(
                "outbox row {}: unknown webhook kind `{}`",
                row.id, row.notice.kind
            ))
        }
    };
    let services: Vec<_> = payload
        .services
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "name": s.name,
                "down_since": rfc3339(s.down_since_ms),
                "back_up_at": s.back_up_ms.map(rfc3339),
            })
        })
        .collect();
    let value = json!({
        "event": event,
        "incident": {"id": row.notice.incident_id, "title": payload.title},
        "customer": row.notice.customer,
        "services": services,
    });
    serde_json::to_vec(&value).map_err(|e| format!("outbox row {}: {e}", row.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_rfc_4231_test_case_2() {
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn verdicts_by_status() {
        assert_eq!(verdict(204), Outcome::Delivered);
        assert!(matches!(verdict(500), Outcome::Retry { .. }));
        assert!(matches!(verdict(429), Outcome::Retry { .. }));
        assert!(matches!(verdict(404), Outcome::Failed { .. }));
        assert!(matches!(verdict(301), Outcome::Failed { .. }));
    }

    #[tokio::test]
    async fn a_customers_hook_into_the_providers_network_fails_for_good() {
        let hooks = Hooks::new(false);
        let post = |url: &'static str, origin| hooks.post(url, b"{}".to_vec(), "s", 1, origin);
        for url in [
            "http://127.0.0.1:9/hook",
            "http://localhost:9/hook",
            "https://[::1]:9/hook",
            "http://169.254.169.254/latest/meta-data/",
            "http://0x7f000001:9/",
        ] {
            let Outcome::Failed { reason } = post(url, Origin::Customer).await else {
                panic!("{url} not refused");
            };
            assert!(
                reason.starts_with(&format!("webhook {url}: refused: host `")),
                "{reason}"
            );
        }
        // The provider's own hooks, and customers' with the switch on, are only connected to
        // (nothing listens on port 9: a connection error, retried).
        let outcome = post("http://127.0.0.1:9/hook", Origin::Inventory).await;
        assert!(matches!(outcome, Outcome::Retry { .. }), "{outcome:?}");
        let allowed = Hooks::new(true);
        let outcome = allowed
            .post(
                "http://127.0.0.1:9/hook",
                b"{}".to_vec(),
                "s",
                1,
                Origin::Customer,
            )
            .await;
        assert!(matches!(outcome, Outcome::Retry { .. }), "{outcome:?}");
    }
}
