//! Additions to the server contract for exposed installations: `[alerts] tokens` closes the
//! alert endpoints to whoever lacks one (before anything is read or stored), and
//! `listen_public` serves the public face alone on a second address. Without them the
//! contract's open endpoints are covered by `serve.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use crate::serve::{
    add_account, alertmanager, example_config, http, http_as, json_of, start, start_with_public,
    unsafe_sigterm, wait_for, PASSWORD,
};
use crate::session::{exchange, login, Reply};

const ALERTMANAGER_TOKEN: &str = "am-0123456789abcdef0123";
const ZABBIX_TOKEN: &str = "zbx-fedcba9876543210fedc";

/// The spec example's configuration with `top` before its first table and `tail` after it.
fn config(dir: &Path, top: &str, tail: &str) -> PathBuf {
    let path = example_config(dir, None, "http://status.example.net");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{top}{text}{tail}")).unwrap();
    path
}

/// `POST path` with `authorization` as the `Authorization` header (none when empty).
fn post(addr: &str, path: &str, authorization: &str, body: &str) -> Reply {
    let auth = if authorization.is_empty() {
        String::new()
    } else {
        format!("Authorization: {authorization}\r\n")
    };
    exchange(
        addr,
        "POST",
        path,
        &format!("{auth}Content-Type: application/json\r\n"),
        body,
    )
}

/// HTTP basic credentials, as `Basic BASE64(user:password)`.
fn basic(user: &str, password: &str) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = format!("{user}:{password}").into_bytes();
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | ((b as u32) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    format!("Basic {out}")
}

fn metric(addr: &str, name: &str) -> u64 {
    let (status, text) = http(addr, "GET", "/metrics", "");
    assert_eq!(status, 200, "{text}");
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
        .parse()
        .unwrap()
}

fn impact(addr: &str) -> Value {
    json_of(&http(addr, "GET", "/api/v1/impact", "").1)
}

fn refused(reply: &Reply, what: &str) {
    assert_eq!(reply.status, 401, "{what}: {}", reply.body);
    let error = json_of(&reply.body)["error"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(!error.is_empty(), "{what}: {}", reply.body);
    let challenge = reply.header("www-authenticate").unwrap_or("");
    assert!(challenge.starts_with("Bearer"), "{what}: {challenge:?}");
}

#[test]
fn alert_tokens_refuse_alerts_without_one_before_storing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(
        dir.path(),
        "archive = \"archive\"\n",
        &format!("[alerts]\ntokens = [\"{ALERTMANAGER_TOKEN}\", \"{ZABBIX_TOKEN}\"]\n"),
    );
    let server = start(&config);
    let addr = server.addr.clone();
    let sw_a_down = alertmanager(
        "firing",
        json!({"alertname": "SwitchDown", "instance": "sw-a.mgmt:9100"}),
        "fp-sw-a",
    );

    // Anonymous: refused, counted, and nothing of it is stored or applied.
    let reply = post(&addr, "/api/v1/alerts/alertmanager", "", &sw_a_down);
    refused(&reply, "anonymous alertmanager");
    assert_eq!(metric(&addr, "tocsin_alert_requests_unauthorized_total"), 1);
    assert_eq!(impact(&addr)["down"], json!([]));
    let unmatched = json_of(&http(&addr, "GET", "/api/v1/alerts/unmatched", "").1);
    assert_eq!(unmatched["unmatched"], json!([]), "{unmatched}");

    // Refused before the body is parsed: a malformed one is 401, not 400.
    refused(
        &post(&addr, "/api/v1/alerts", "", "not json"),
        "anonymous malformed",
    );
    // An alert that maps to nothing is not kept as unmatched either.
    let mystery = alertmanager("firing", json!({"instance": "nowhere:9100"}), "fp-x");
    refused(
        &post(&addr, "/api/v1/alerts/alertmanager", "", &mystery),
        "anonymous unmatched",
    );
    // Wrong credentials: a staff API token is not an alert token; a wrong password, a
    // token as basic auth's user name, another scheme.
    let (status, body) = http(&addr, "POST", "/api/v1/alerts/zabbix", "{}");
    assert_eq!(status, 401, "staff token: {body}");
    for (authorization, what) in [
        (basic("zabbix", "not-the-token-at-all"), "wrong password"),
        (basic(ZABBIX_TOKEN, ""), "token as user name"),
        (format!("Bearer {ZABBIX_TOKEN}x"), "token with a suffix"),
        (format!("Token {ZABBIX_TOKEN}"), "unknown scheme"),
    ] {
        refused(
            &post(&addr, "/api/v1/alerts/zabbix", &authorization, "{}"),
            what,
        );
    }
    assert_eq!(metric(&addr, "tocsin_alert_requests_unauthorized_total"), 8);
    assert_eq!(metric(&addr, "tocsin_alert_requests_rejected_total"), 0);
    assert_eq!(metric(&addr, "tocsin_alerts_received_total"), 0);
    assert_eq!(impact(&addr)["down"], json!([]));
    let unmatched = json_of(&http(&addr, "GET", "/api/v1/alerts/unmatched", "").1);
    assert_eq!(unmatched["unmatched"], json!([]), "{unmatched}");

    // Alertmanager's `authorization` (Bearer): accepted, and it takes sw-a down.
    let reply = post(
        &addr,
        "/api/v1/alerts/alertmanager",
        &format!("Bearer {ALERTMANAGER_TOKEN}"),
        &sw_a_down,
    );
    assert_eq!(reply.status, 202, "{}", reply.body);
    assert_eq!(
        impact(&addr)["down"],
        json!(["hv-08", "sw-a", "vm-2", "vps-2"])
    );
    // Basic auth with the token as password, any user name: Zabbix and the generic alert.
    let reply = post(
        &addr,
        "/api/v1/alerts/zabbix",
        &basic("zabbix", ZABBIX_TOKEN),
        r#"{"event_id": "7", "event_value": "1", "host": "x", "tags": [{"tag": "tocsin_node", "value": "pdu-a"}]}"#,
    );
    assert_eq!(reply.status, 202, "{}", reply.body);
    let reply = post(
        &addr,
        "/api/v1/alerts",
        &basic("anyone", ALERTMANAGER_TOKEN),
        r#"{"node": "pdu-b", "state": "down", "source": "t", "id": "1"}"#,
    );
    assert_eq!(reply.status, 202, "{}", reply.body);
    let down = impact(&addr)["down"].clone();
    for v in ["pdu-a", "pdu-b", "sw-a"] {
        assert!(down.as_array().unwrap().contains(&json!(v)), "{down}");
    }
    // With a token, a malformed body is still the contract's 400.
    let reply = post(
        &addr,
        "/api/v1/alerts",
        &format!("Bearer {ZABBIX_TOKEN}"),
        "not json",
    );
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(metric(&addr, "tocsin_alert_requests_unauthorized_total"), 8);
    assert_eq!(metric(&addr, "tocsin_alerts_received_total"), 3);

    // The archive holds the three accepted bodies and nothing of the refused ones.
    let mut server = server;
    unsafe_sigterm(&server.child);
    assert!(server.child.wait().unwrap().success());
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["archive", "--dir"])
        .arg(dir.path().join("archive"))
        .args(["ls", "--prefix", "alerts/"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = String::from_utf8(out.stdout).unwrap();
    assert_eq!(listed.lines().count(), 3, "{listed}");
}

#[test]
fn the_public_face_serves_only_the_status_page_client_area_and_login() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), "listen_public = \"127.0.0.1:0\"\n", "");
    add_account(&config, "it@acme.example", "customer", Some("acme"));
    let (server, public) = start_with_public(&config);
    let main = server.addr.clone();
    assert_ne!(main, public);

    // Staff and monitoring routes do not exist on the public face, whatever is presented
    // (`http` sends the administrator's API token there too).
    for (method, path, body) in [
        ("GET", "/api/v1/impact", ""),
        ("GET", "/api/v1/alerts/unmatched", ""),
        ("GET", "/api/v1/incidents", ""),
        ("GET", "/console", ""),
        ("GET", "/metrics", ""),
        ("GET", "/demo/outbox", ""),
        (
            "POST",
            "/api/v1/alerts",
            r#"{"node": "hv-07", "state": "down", "source": "t", "id": "1"}"#,
        ),
        ("POST", "/api/v1/alerts/alertmanager", "{}"),
        ("POST", "/api/v1/alerts/zabbix", "{}"),
        ("POST", "/api/v1/inventory/reload", ""),
    ] {
        let (status, reply) = http(&public, method, path, body);
        assert_eq!(status, 404, "{method} {path} on the public face: {reply}");
        let (status, _) = http_as(&public, method, path, body, None);
        assert_eq!(status, 404, "anonymous {method} {path} on the public face");
    }
    // Nothing was taken in there.
    assert_eq!(impact(&main)["down"], json!([]));

    // The main address serves everything, as without `listen_public`; alerts are open (no
    // `[alerts] tokens`), as the contract has them.
    assert_eq!(http(&main, "GET", "/api/v1/impact", "").0, 200);
    assert_eq!(http(&main, "GET", "/console", "").0, 200);
    assert_eq!(http(&main, "GET", "/metrics", "").0, 200);
    let (status, body) = http_as(
        &main,
        "POST",
        "/api/v1/alerts",
        r#"{"node": "hv-07", "state": "down", "source": "t", "id": "1"}"#,
        None,
    );
    assert_eq!(status, 202, "{body}");

    // The public face shows what the one running system knows.
    for path in [
        "/",
        "/index.html",
        "/api/v2/summary.json",
        "/history.atom",
        "/maintenance.ics",
        "/api/openapi.json",
        "/assets/status.css",
        "/assets/app.css",
        "/healthz",
        "/login",
    ] {
        let (status, body) = http_as(&public, "GET", path, "", None);
        assert_eq!(status, 200, "GET {path} on the public face: {body}");
    }
    wait_for(
        &public,
        "/api/v2/summary.json",
        "vps-dc1 in major outage on the public face",
        Duration::from_secs(20),
        |body| {
            serde_json::from_str::<Value>(body).is_ok_and(|s| {
                s["components"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|c| c["status"] == "major_outage")
            })
        },
    );
    // Customers log in and use the client area there.
    let customer = login(&public, "it@acme.example", PASSWORD)
        .unwrap_or_else(|r| panic!("customer login on the public face: {} {}", r.status, r.body));
    let account = customer.get("/account");
    assert_eq!(account.status, 200, "{}", account.body);
    assert!(account.body.contains("acme-web"), "{}", account.body);
}
