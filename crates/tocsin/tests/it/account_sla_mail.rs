//! The e-mails behind a customer's SLA credits, read back in the client area: an incident's
//! e-mails go out through a real SMTP server with the archive on, and
//! `/account/messages/{id}` finds each one for its own customer only — another customer's,
//! an unknown or a malformed id is the 404 of a page that does not exist. Which e-mails the
//! SLA page lists under a credit is the store's `customer_notices` (its conformance test) and
//! the page's rendering (the web crate's unit tests): credits are for last month, while the
//! alerts here are accepted now.

use std::time::Duration;

use serde_json::Value;

use crate::mail::{smtp_config, Keeper};
use crate::serve::{add_account, api_token, http_as, json_of, start, wait_for, Running};

const INVENTORY: &str = r#"version: 1
nodes:
  - {id: hv-1, kind: hypervisor}
  - {id: hv-2, kind: hypervisor}
customers:
  - id: acme
    name: ACME s.r.o.
    contacts: [{email: ops@acme.example, language: cs}, {email: boss@acme.example, language: en}]
  - id: beta
    name: Beta sp. z o.o.
    contacts: [{email: it@beta.example, language: pl}]
services:
  - {id: vps-1, customer: acme, name: acme-web, requires: [hv-1]}
  - {id: vps-2, customer: beta, name: beta-shop, requires: [hv-2]}
"#;

/// A server whose hv-1 went down: acme's two contacts were mailed. Returns the server, the
/// keeper, the customers' tokens (acme, beta) and acme's sent outbox rows.
struct Setup {
    server: Running,
    _keeper: Keeper,
    acme: String,
    beta: String,
    sent: Vec<i64>,
    _dir: tempfile::TempDir,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let config = smtp_config(
        dir.path(),
        keeper.port,
        INVENTORY,
        "archive = \"archive\"\n",
        "0s",
        "",
    );
    add_account(&config, "jana@acme.example", "customer", Some("acme"));
    add_account(&config, "ola@beta.example", "customer", Some("beta"));
    let acme = api_token(&config, "jana@acme.example");
    let beta = api_token(&config, "ola@beta.example");
    let server = start(&config);
    let (status, body) = http_as(
        &server.addr,
        "POST",
        "/api/v1/alerts",
        r#"{"node":"hv-1","state":"down","source":"t","id":"a1"}"#,
        None,
    );
    assert_eq!(status, 202, "{body}");
    let sent_of = |body: &str| -> Vec<i64> {
        let outbox: Value = json_of(body);
        let mut ids: Vec<i64> = outbox["latest"]
            .as_array()
            .map(|rows| {
                rows.iter()
                    .filter(|r| r["customer"] == "acme" && r["state"] == "sent")
                    .filter_map(|r| r["id"].as_i64())
                    .collect()
            })
            .unwrap_or_default();
        ids.sort();
        ids
    };
    let body = wait_for(
        &server.addr,
        "/api/v1/outbox",
        "acme's two e-mails sent",
        Duration::from_secs(20),
        |b| sent_of(b).len() == 2,
    );
    let sent = sent_of(&body);
    assert_eq!(keeper.wait_for(2, Duration::from_secs(5)).len(), 2);
    Setup {
        server,
        _keeper: keeper,
        acme,
        beta,
        sent,
        _dir: dir,
    }
}

#[test]
fn a_sent_email_is_found_for_its_own_customer_only() {
    let s = setup();
    let addr = &s.server.addr;
    for &id in &s.sent {
        let path = format!("/account/messages/{id}");
        let (status, body) = http_as(addr, "GET", &path, "", Some(&s.beta));
        assert_eq!(status, 404, "another customer's e-mail {id}: {body:.300}");
        assert!(!body.contains("acme"), "{body:.300}");
        // Its own customer is not told it does not exist.
        let (status, body) = http_as(addr, "GET", &path, "", Some(&s.acme));
        assert_ne!(status, 404, "acme's own e-mail {id}: {body:.300}");
        // Nobody logged in is sent to the login form.
        assert_eq!(http_as(addr, "GET", &path, "", None).0, 303);
    }
    for path in [
        "/account/messages/999999",
        "/account/messages/0",
        "/account/messages/-1",
        "/account/messages/x1",
    ] {
        let (status, body) = http_as(addr, "GET", path, "", Some(&s.acme));
        assert_eq!(status, 404, "{path}: {body:.300}");
    }
}

/// An own archived e-mail is read back: the archived message's
/// plain-text part, decoded.
#[test]
fn an_own_archived_email_is_read_back_as_its_text_part() {
    let s = setup();
    for &id in &s.sent {
        let (status, body) = http_as(
            &s.server.addr,
            "GET",
            &format!("/account/messages/{id}"),
            "",
            Some(&s.acme),
        );
        assert_eq!(status, 200, "{body:.300}");
        assert!(
            !body.contains("Content-Type:"),
            "the text part only: {body:.300}"
        );
        assert!(
            body.contains("acme-web"),
            "the notice names the service: {body:.300}"
        );
    }
}
