//! Mass mail for a global problem, end to end against a real SMTP server: every contact of
//! every customer gets exactly one copy, framed in their language, at a bounded rate.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use crate::mail::{smtp_config, Keeper};
use crate::serve::{http, json_of, start};

const INVENTORY: &str = r#"version: 1
nodes:
  - {id: sw-a, kind: switch}
customers:
  - id: acme
    name: ACME s.r.o.
    contacts: [{email: ops@acme.example, language: cs}, {email: boss@acme.example, language: en}]
  - id: beta
    name: Beta sp. z o.o.
    contacts: [{email: it@beta.example, language: pl}]
  - id: gamma
    name: Gamma SARL
    contacts: [{email: noc@gamma.example, language: fr}, {email: ops@acme.example, language: cs}]
  - id: delta
    name: Delta
    contacts: [{email: admin@delta.example, language: ru}]
  - id: idle
    name: No services
    contacts: [{email: idle@idle.example}]
services:
  - {id: vps-1, customer: acme, requires: [sw-a]}
"#;

fn config(dir: &Path, smtp_port: u16) -> PathBuf {
    config_with(dir, smtp_port, INVENTORY, 3)
}

fn config_with(dir: &Path, smtp_port: u16, inventory: &str, per_second: u32) -> PathBuf {
    smtp_config(
        dir,
        smtp_port,
        inventory,
        "",
        "0s",
        &format!("broadcast_per_second = {per_second}\n"),
    )
}

#[test]
fn every_contact_gets_exactly_one_copy_in_their_language() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let server = start(&config(dir.path(), keeper.port));
    let message = json!({
        "subject": "Planned maintenance of the Prague network",
        "body": "Tonight from 22:00 UTC we replace the core routers.\n\nExpect two short interruptions.",
    });
    let (status, body) = http(
        &server.addr,
        "POST",
        "/api/v1/broadcasts",
        &message.to_string(),
    );
    assert_eq!(status, 202, "{body}");
    // ops@acme.example is a contact of two customers: one copy.
    assert_eq!(json_of(&body)["queued"], json!(6));

    let got = keeper.wait_for(6, Duration::from_secs(60));
    let mut to: Vec<&str> = got.iter().map(|(t, _)| t.as_str()).collect();
    to.sort();
    assert_eq!(
        to,
        [
            "admin@delta.example",
            "boss@acme.example",
            "idle@idle.example",
            "it@beta.example",
            "noc@gamma.example",
            "ops@acme.example",
        ]
    );
    for (to, m) in &got {
        assert!(
            m.contains("Subject: Planned maintenance of the Prague network"),
            "{to}: {m}"
        );
        assert!(m.contains("Auto-Submitted: auto-generated"), "{to}");
    }
    let cs = &got.iter().find(|(t, _)| t == "ops@acme.example").unwrap().1;
    assert!(cs.contains("Content-Language: cs"), "{cs}");

    // A second broadcast is another message: one more copy each, no more.
    let (status, _) = http(
        &server.addr,
        "POST",
        "/api/v1/broadcasts",
        &json!({"subject": "All clear", "body": "Done."}).to_string(),
    );
    assert_eq!(status, 202);
    assert_eq!(keeper.wait_for(12, Duration::from_secs(60)).len(), 12);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(keeper.messages().len(), 12, "no duplicates later");
    let outbox = json_of(&http(&server.addr, "GET", "/api/v1/outbox", "").1);
    assert_eq!(outbox["counts"]["sent"], json!(12));
}

#[test]
fn malformed_broadcasts_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let server = start(&config(dir.path(), keeper.port));
    let post = |body: &str| http(&server.addr, "POST", "/api/v1/broadcasts", body);
    let (status, body) = post(r#"{"body": "x"}"#);
    assert_eq!(status, 400);
    assert!(body.contains("subject"), "{body}");
    let (status, body) = post(r#"{"subject": "x", "body": "  "}"#);
    assert_eq!(status, 400);
    assert!(body.contains("body"), "{body}");
    let (status, body) = post(r#"{"subject": "x", "body": "y", "incident": 99}"#);
    assert_eq!(status, 404);
    assert!(body.contains("no incident 99"), "{body}");
    let outbox = json_of(&http(&server.addr, "GET", "/api/v1/outbox", "").1);
    assert_eq!(outbox["counts"]["queued"], json!(0));
}

#[test]
fn incident_notices_do_not_wait_behind_a_mass_mail() {
    // 40 customers at 2 broadcast copies a second: the mass mail takes about 20 s.
    let mut inventory = String::from(
        "version: 1\nnodes:\n  - {id: sw-a, kind: switch}\ncustomers:\n  - {id: hit, contacts: [{email: hit@hit.example}]}\n",
    );
    for i in 0..40 {
        inventory.push_str(&format!(
            "  - {{id: c{i}, contacts: [{{email: c{i}@x.example}}]}}\n"
        ));
    }
    inventory.push_str("services:\n  - {id: vps-1, customer: hit, requires: [sw-a]}\n");
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let server = start(&config_with(dir.path(), keeper.port, &inventory, 2));
    let (status, body) = http(
        &server.addr,
        "POST",
        "/api/v1/broadcasts",
        &json!({"subject": "Global problem", "body": "We are on it."}).to_string(),
    );
    assert_eq!(status, 202, "{body}");
    assert_eq!(json_of(&body)["queued"], json!(41));
    let alert = crate::serve::alertmanager(
        "firing",
        json!({"alertname": "SwitchDown", "tocsin_node": "sw-a"}),
        "fp-sw-a",
    );
    assert_eq!(
        http(&server.addr, "POST", "/api/v1/alerts/alertmanager", &alert).0,
        202
    );
    // The incident notice arrives while most of the mass mail is still queued.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let got = loop {
        let got = keeper.messages();
        let incident = got
            .iter()
            .any(|(to, m)| to == "hit@hit.example" && !m.contains("Subject: Global problem"));
        if incident || std::time::Instant::now() > deadline {
            break got;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let copies = got
        .iter()
        .filter(|(_, m)| m.contains("Subject: Global problem"))
        .count();
    assert!(
        got.iter()
            .any(|(to, m)| to == "hit@hit.example" && !m.contains("Subject: Global problem")),
        "no incident notice"
    );
    assert!(
        copies < 41,
        "the incident notice waited for all {copies} copies"
    );
}
