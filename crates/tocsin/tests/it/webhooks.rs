//! Customer webhooks end to end: `tocsin serve` POSTs signed incident events to real local
//! HTTP servers, retries one that answers 500 first, and never writes the secret to the outbox.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::mail::{smtp_config, Keeper};
use crate::serve::{alertmanager, http, start};

/// One request a hook server received.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Received {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A tiny HTTP server on a thread: records each request and answers with the next status of
/// `statuses` (the last one repeats).
pub(crate) struct HookServer {
    pub port: u16,
    pub got: Arc<Mutex<Vec<Received>>>,
}

impl HookServer {
    pub(crate) fn start(statuses: Vec<u16>) -> HookServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&got);
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let mut headers = Vec::new();
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap();
                    let h = h.trim_end();
                    if h.is_empty() {
                        break;
                    }
                    let (k, v) = h.split_once(':').unwrap();
                    headers.push((k.trim().to_owned(), v.trim().to_owned()));
                }
                let len: usize = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .map_or(0, |(_, v)| v.parse().unwrap());
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                assert!(line.starts_with("POST /hook HTTP/1.1"), "{line}");
                seen.lock().unwrap().push(Received { headers, body });
                let status = statuses[n.min(statuses.len() - 1)];
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        });
        HookServer { port, got }
    }

    pub(crate) fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.got.lock().unwrap().clone();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn expected_signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn config(dir: &Path, smtp_port: u16, good: u16, flaky: u16) -> PathBuf {
    let inventory = format!(
        r#"version: 1
nodes:
  - {{id: sw-a, kind: switch, labels: {{instance: "sw-a:9100"}}}}
  - {{id: hv-1, kind: hypervisor, requires: [sw-a]}}
customers:
  - id: acme
    name: ACME s.r.o.
    contacts: [{{email: ops@acme.example, language: cs}}]
    webhooks:
      - {{url: "http://127.0.0.1:{good}/hook", secret: acme-secret-1}}
  - id: beta
    name: Beta
    contacts: [{{email: it@beta.example}}]
    webhooks: [{{url: "http://127.0.0.1:{flaky}/hook", secret: beta-secret-2}}]
services:
  - {{id: vps-1, customer: acme, name: acme-web, component: cloud, requires: [hv-1]}}
  - {{id: vps-2, customer: beta, name: beta-shop, requires: [hv-1]}}
components:
  - {{id: cloud, name: Cloud VPS Prague}}
"#
    );
    smtp_config(dir, smtp_port, &inventory, "", "0s", "")
}

fn sw_a(status: &str) -> String {
    alertmanager(
        status,
        json!({"alertname": "SwitchDown", "instance": "sw-a:9100"}),
        "fp-sw-a",
    )
}

#[test]
fn webhooks_get_signed_events_and_a_500_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let good = HookServer::start(vec![200]);
    let flaky = HookServer::start(vec![500, 200]);
    let server = start(&config(dir.path(), keeper.port, good.port, flaky.port));
    let post = |body: &str| http(&server.addr, "POST", "/api/v1/alerts/alertmanager", body).0;
    assert_eq!(post(&sw_a("firing")), 202);

    let opened = good.wait_for(1, Duration::from_secs(30));
    assert_eq!(opened.len(), 1);
    let r = &opened[0];
    assert_eq!(r.header("content-type"), Some("application/json"));
    let host = format!("127.0.0.1:{}", good.port);
    assert_eq!(r.header("host"), Some(host.as_str()));
    assert_eq!(
        r.header("x-tocsin-signature").unwrap(),
        expected_signature("acme-secret-1", &r.body)
    );
    assert!(r
        .header("x-tocsin-delivery")
        .unwrap()
        .parse::<i64>()
        .is_ok());
    let event: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(event["event"], json!("incident.opened"));
    assert_eq!(event["customer"], json!("acme"));
    assert_eq!(event["incident"]["id"], json!(1));
    // Customers are told what the status page calls it, never the provider's vertices.
    assert_eq!(event["incident"]["title"], json!("Cloud VPS Prague"));
    assert_eq!(event["services"][0]["id"], json!("vps-1"));
    assert_eq!(event["services"][0]["name"], json!("acme-web"));
    assert!(event["services"][0]["down_since"].is_string());
    assert_eq!(event["services"][0]["back_up_at"], Value::Null);
    assert_eq!(
        event["services"].as_array().unwrap().len(),
        1,
        "only acme's"
    );

    // The flaky hook answered 500, then gets the same delivery again and accepts it.
    let tries = flaky.wait_for(2, Duration::from_secs(30));
    assert_eq!(tries.len(), 2);
    assert_eq!(tries[0].body, tries[1].body);
    assert_eq!(
        tries[0].header("x-tocsin-delivery"),
        tries[1].header("x-tocsin-delivery")
    );
    assert_eq!(
        tries[1].header("x-tocsin-signature").unwrap(),
        expected_signature("beta-secret-2", &tries[1].body)
    );

    assert_eq!(post(&sw_a("resolved")), 202);
    let all = good.wait_for(2, Duration::from_secs(30));
    assert_eq!(all.len(), 2);
    let resolved: Value = serde_json::from_slice(&all[1].body).unwrap();
    assert_eq!(resolved["event"], json!("incident.resolved"));
    assert!(resolved["services"][0]["back_up_at"].is_string());
    assert_eq!(
        all[1].header("x-tocsin-signature").unwrap(),
        expected_signature("acme-secret-1", &all[1].body)
    );
    assert_eq!(flaky.wait_for(3, Duration::from_secs(30)).len(), 3);

    // E-mail still goes to the contacts; the secrets are nowhere in the outbox.
    assert_eq!(keeper.wait_for(4, Duration::from_secs(30)).len(), 4);
    let (_, outbox) = http(&server.addr, "GET", "/api/v1/outbox?limit=100", "");
    // Both hooks are listed, their URLs masked to scheme, host and port for staff.
    for port in [good.port, flaky.port] {
        let masked = format!("http://127.0.0.1:{port}/…");
        assert!(outbox.contains(&masked), "{masked}: {outbox}");
    }
    assert!(!outbox.contains("/hook"), "{outbox}");
    assert!(!outbox.contains("secret-"), "{outbox}");
    for file in ["t.db", "t.db-wal"] {
        let bytes = std::fs::read(dir.path().join(file)).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("acme-secret-1") && !text.contains("beta-secret-2"),
            "{file}"
        );
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(good.got.lock().unwrap().len(), 2, "no duplicates later");
}

#[test]
fn a_hook_answering_404_fails_for_good() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let good = HookServer::start(vec![200]);
    let gone = HookServer::start(vec![404]);
    let server = start(&config(dir.path(), keeper.port, good.port, gone.port));
    let post = |body: &str| http(&server.addr, "POST", "/api/v1/alerts/alertmanager", body).0;
    assert_eq!(post(&sw_a("firing")), 202);
    assert_eq!(gone.wait_for(1, Duration::from_secs(30)).len(), 1);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, outbox) = http(&server.addr, "GET", "/api/v1/outbox?limit=100", "");
        if outbox.contains("webhook answered 404") {
            break;
        }
        assert!(Instant::now() < deadline, "{outbox}");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(gone.got.lock().unwrap().len(), 1, "not retried");
}
