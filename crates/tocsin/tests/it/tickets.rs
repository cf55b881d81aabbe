//! Support tickets end to end (`shared/spec/desk.md`) against a real SMTP server: a customer
//! opens one about its own service (another's is refused naming it) and gets the
//! acknowledgement; staff answer in public (mailed, threaded under it) and in private (never
//! shown to the customer); waiting pauses the resolution clock and the customer's reply
//! reopens; a ticket about a service that is down is linked to its incident; another
//! customer's ticket is a 404; rating once resolved; a first response missed is recorded once
//! and mailed to the shift lead on duty and the assignee. Staff's assignment, triage, merge
//! and canned replies are in `tickets_staff.rs`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use crate::mail::{smtp_config, Keeper};
use crate::serve::{
    add_account, alertmanager, api_token, http, http_as, json_of, start, wait_for, PASSWORD,
};

pub(crate) const INVENTORY: &str = r#"version: 1
nodes:
  - {id: sw-a, kind: switch, labels: {instance: "sw-a:9100"}}
  - {id: hv-1, kind: hypervisor, requires: [sw-a]}
  - {id: hv-2, kind: hypervisor}
customers:
  - id: acme
    name: ACME s.r.o.
    tier: business
    contacts: [{email: ops@acme.example, language: cs}, {email: boss@acme.example, language: en}]
  - id: beta
    name: Beta sp. z o.o.
    contacts: [{email: it@beta.example, language: pl}]
services:
  - {id: vps-1, customer: acme, name: acme-web, requires: [hv-1]}
  - {id: vps-2, customer: acme, name: acme-db, requires: [hv-2]}
  - {id: vps-3, customer: beta, name: beta-shop, requires: [hv-2]}
"#;

pub(crate) const ACME: &str = "ops@acme.example";
pub(crate) const BETA: &str = "it@beta.example";
pub(crate) const ENGINEER: &str = "engineer@provider.test";
pub(crate) const LEAD: &str = "lead@provider.test";
pub(crate) const JUNIOR: &str = "junior@provider.test";

/// `[desk]` with a `business` tier whose first response is due after `first` (24x7) and a
/// `basic` one, the default.
pub(crate) fn desk(first: &str) -> String {
    format!(
        "[desk]\naddress = \"support@example.net\"\nkey_file = \"desk.key\"\n\
         [[desk.tiers]]\nid = \"basic\"\ncalendar = \"24x7\"\nfirst_response = \"8h\"\nnext_response = \"8h\"\nresolution = \"5d\"\n\
         [[desk.tiers]]\nid = \"business\"\ncalendar = \"24x7\"\nfirst_response = \"{first}\"\nnext_response = \"4h\"\nresolution = \"2d\"\n"
    )
}

pub(crate) fn users_add(config: &Path, login: &str, role: &str, email: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["users", "--config", config.to_str().unwrap(), "add", login])
        .args(["--role", role, "--email", email])
        .env("TOCSIN_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub(crate) struct Desk {
    pub(crate) _dir: tempfile::TempDir,
    /// The configuration file, to add accounts with.
    pub(crate) config: std::path::PathBuf,
    pub(crate) keeper: Keeper,
    pub(crate) server: crate::serve::Running,
    pub(crate) acme: String,
    pub(crate) beta: String,
    pub(crate) engineer: String,
    pub(crate) lead: String,
    pub(crate) junior: String,
}

/// A configuration in `dir` for the desk tests' inventory, with an archive, mail to a new
/// SMTP server (returned) and `[desk]` as [`desk`] writes it.
pub(crate) fn desk_config(dir: &Path, first: &str) -> (std::path::PathBuf, Keeper) {
    let keeper = Keeper::start(&dir.join("mail"), None);
    let config = smtp_config(
        dir,
        keeper.port,
        INVENTORY,
        "archive = \"archive\"\n",
        "0s",
        "",
    );
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&desk(first));
    std::fs::write(&config, text).unwrap();
    (config, keeper)
}

pub(crate) fn desk_server(first: &str) -> Desk {
    let dir = tempfile::tempdir().unwrap();
    let (config, keeper) = desk_config(dir.path(), first);
    add_account(&config, ACME, "customer", Some("acme"));
    add_account(&config, BETA, "customer", Some("beta"));
    users_add(&config, ENGINEER, "engineer", "eng@ops.example");
    users_add(&config, LEAD, "shift_lead", "lead@ops.example");
    add_account(&config, JUNIOR, "junior", None);
    let tokens = [ACME, BETA, ENGINEER, LEAD, JUNIOR].map(|l| api_token(&config, l));
    let server = start(&config);
    let [acme, beta, engineer, lead, junior] = tokens;
    Desk {
        _dir: dir,
        config,
        keeper,
        server,
        acme,
        beta,
        engineer,
        lead,
        junior,
    }
}

pub(crate) fn call(addr: &str, token: &str, method: &str, path: &str, body: Value) -> (u16, Value) {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let (status, text) = http_as(addr, method, path, &body, Some(token));
    let value = if text.is_empty() {
        Value::Null
    } else {
        json_of(&text)
    };
    (status, value)
}

pub(crate) fn header<'a>(message: &'a str, name: &str) -> Option<&'a str> {
    message.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[test]
fn a_ticket_is_opened_answered_in_a_thread_paused_reopened_and_rated() {
    let d = desk_server("30m");
    let addr = &d.server.addr;

    // Another customer's service is refused, naming it; bad fields name themselves.
    let (status, body) = call(
        addr,
        &d.acme,
        "POST",
        "/api/v1/tickets",
        json!({"subject": "Slow", "body": "It is slow", "services": ["vps-3"]}),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("vps-3"), "{body}");
    let (status, body) = call(
        addr,
        &d.acme,
        "POST",
        "/api/v1/tickets",
        json!({"subject": "Slow", "body": "x", "priority": "asap"}),
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"].as_str().unwrap().starts_with("priority"),
        "{body}"
    );

    let (status, t) = call(
        addr,
        &d.acme,
        "POST",
        "/api/v1/tickets",
        json!({"subject": "Web is slow", "body": "Since 10:00 the shop is slow.",
               "department": "technical", "priority": "high", "services": ["vps-2"],
               "attachments": [{"name": "trace.txt", "content_type": "text/plain", "data": "dHJhY2Ux"}]}),
    );
    assert_eq!(status, 201, "{t}");
    let id = t["id"].as_i64().unwrap();
    assert_eq!(t["customer"], "acme");
    assert_eq!(t["tier"], "business");
    assert_eq!(t["status"], "open");
    assert_eq!(t["services"], json!(["vps-2"]));
    assert_eq!(t["sla"]["paused"], false);
    assert!(t["sla"]["first_response_at"].is_null());
    let created = t["created"].as_str().unwrap();
    let due = t["sla"]["first_response_due"].as_str().unwrap();
    let minutes = |a: &str, b: &str| {
        let a: jiff::Timestamp = a.parse().unwrap();
        let b: jiff::Timestamp = b.parse().unwrap();
        (b - a).as_mins()
    };
    assert_eq!(minutes(created, due), 30, "{t}");
    // The attachment is listed and downloads as it was sent.
    let key = t["events"][0]["attachments"][0]["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, file) = http_as(
        addr,
        "GET",
        &format!("/api/v1/tickets/{id}/attachments/{key}"),
        "",
        Some(&d.acme),
    );
    assert_eq!((status, file.as_str()), (200, "trace1"));

    // Another customer sees neither the ticket nor its file.
    assert_eq!(
        call(
            addr,
            &d.beta,
            "GET",
            &format!("/api/v1/tickets/{id}"),
            Value::Null
        )
        .0,
        404
    );
    let (status, _) = http_as(
        addr,
        "GET",
        &format!("/api/v1/tickets/{id}/attachments/{key}"),
        "",
        Some(&d.beta),
    );
    assert_eq!(status, 404);
    let (_, list) = call(addr, &d.beta, "GET", "/api/v1/tickets", Value::Null);
    assert_eq!(list["tickets"], json!([]));

    // The acknowledgement goes to both contacts, tagged with the ticket.
    let mail = d.keeper.wait_for(2, Duration::from_secs(20));
    assert_eq!(mail.len(), 2, "{mail:?}");
    let ack = &mail[0].1;
    let subject = header(ack, "Subject").unwrap();
    assert!(subject.contains(&format!("[#T-{id}]")), "{subject}");
    let ack_id = header(ack, "Message-ID").unwrap().to_owned();

    // An internal note and a public reply: the customer sees only the reply, which is the
    // first response and is mailed threaded under the acknowledgement.
    let (status, _) = call(
        addr,
        &d.junior,
        "POST",
        &format!("/api/v1/tickets/{id}/replies"),
        json!({"body": "Customer runs an old PHP.", "public": false}),
    );
    assert_eq!(status, 201);
    // A junior may not answer the customer.
    let (status, _) = call(
        addr,
        &d.junior,
        "POST",
        &format!("/api/v1/tickets/{id}/replies"),
        json!({"body": "Hello", "public": true}),
    );
    assert_eq!(status, 403);
    let (status, t) = call(
        addr,
        &d.engineer,
        "POST",
        &format!("/api/v1/tickets/{id}/replies"),
        json!({"body": "We are looking at it.", "public": true}),
    );
    assert_eq!(status, 201, "{t}");
    assert!(t["sla"]["first_response_at"].is_string(), "{t}");
    let mail = d.keeper.wait_for(4, Duration::from_secs(20));
    assert_eq!(mail.len(), 4, "{mail:?}");
    let reply = &mail[2].1;
    assert!(reply.contains("We are looking at it."), "{reply}");
    assert_eq!(
        header(reply, "In-Reply-To"),
        Some(ack_id.as_str()),
        "{reply}"
    );
    assert!(
        header(reply, "References").unwrap().contains(&ack_id),
        "{reply}"
    );
    assert!(header(reply, "Subject")
        .unwrap()
        .contains(&format!("[#T-{id}]")));
    let (_, seen) = call(
        addr,
        &d.acme,
        "GET",
        &format!("/api/v1/tickets/{id}"),
        Value::Null,
    );
    let kinds: Vec<&str> = seen["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "reply"], "{seen}");
    assert!(!seen.to_string().contains("old PHP"));
    let (_, staff) = call(
        addr,
        &d.junior,
        "GET",
        &format!("/api/v1/tickets/{id}"),
        Value::Null,
    );
    assert!(staff.to_string().contains("old PHP"));

    // Waiting for the customer pauses the resolution clock; their reply reopens the ticket.
    let (status, t) = call(
        addr,
        &d.engineer,
        "POST",
        &format!("/api/v1/tickets/{id}/status"),
        json!({"status": "waiting_customer"}),
    );
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["sla"]["paused"], true);
    let (status, t) = call(
        addr,
        &d.acme,
        "POST",
        &format!("/api/v1/tickets/{id}/replies"),
        json!({"body": "Still slow."}),
    );
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["status"], "open");
    assert_eq!(t["sla"]["paused"], false);
    assert!(t["sla"]["next_response_due"].is_string(), "{t}");

    // Rating waits for the resolution, and is given once.
    let rate = |token: &str| {
        call(
            addr,
            token,
            "POST",
            &format!("/api/v1/tickets/{id}/rating"),
            json!({"score": 5, "comment": "Quick"}),
        )
    };
    assert_eq!(rate(&d.acme).0, 409);
    let (status, _) = call(
        addr,
        &d.engineer,
        "POST",
        &format!("/api/v1/tickets/{id}/status"),
        json!({"status": "resolved"}),
    );
    assert_eq!(status, 200);
    let (status, t) = rate(&d.acme);
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["rating"], 5);
    assert_eq!(rate(&d.acme).0, 409);
    assert_eq!(rate(&d.engineer).0, 403);

    // Staff list by status and customer; the customer lists its own.
    let (_, list) = call(
        addr,
        &d.junior,
        "GET",
        "/api/v1/tickets?status=resolved&customer=acme",
        Value::Null,
    );
    assert_eq!(list["tickets"].as_array().unwrap().len(), 1, "{list}");
    assert!(list["tickets"][0].get("events").is_none());
    // The list reads all its tickets' logs at once; what it shows of each is what the
    // ticket's own page shows, but the log.
    let (_, mut one) = call(
        addr,
        &d.junior,
        "GET",
        &format!("/api/v1/tickets/{id}"),
        Value::Null,
    );
    assert!(
        one["events"].as_array().is_some_and(|e| e.len() > 2),
        "{one}"
    );
    one.as_object_mut().unwrap().remove("events");
    assert_eq!(list["tickets"][0], one);
    let (_, list) = call(addr, &d.acme, "GET", "/api/v1/tickets", Value::Null);
    assert_eq!(list["tickets"][0]["id"], id);
}

#[test]
fn a_ticket_about_a_service_that_is_down_is_linked_to_its_incident() {
    let d = desk_server("30m");
    let addr = &d.server.addr;
    let alert = alertmanager(
        "firing",
        json!({"alertname": "SwitchDown", "instance": "sw-a:9100"}),
        "fp-sw-a",
    );
    assert_eq!(
        http(addr, "POST", "/api/v1/alerts/alertmanager", &alert).0,
        202
    );
    let incidents = wait_for(
        addr,
        "/api/v1/incidents",
        "an incident",
        Duration::from_secs(20),
        |b| {
            json_of(b)["incidents"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        },
    );
    let incident = json_of(&incidents)["incidents"][0]["id"].as_i64().unwrap();
    let (status, t) = call(
        addr,
        &d.acme,
        "POST",
        "/api/v1/tickets",
        json!({"subject": "Web down", "body": "Down!", "services": ["vps-1", "vps-2"]}),
    );
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["incidents"], json!([incident]));
}

#[test]
fn a_missed_first_response_is_recorded_once_and_mailed_to_the_lead_and_the_assignee() {
    let d = desk_server("2s");
    let addr = &d.server.addr;
    let forever = ("2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z");
    // The administrator plans the shift.
    let (status, body) = http(
        addr,
        "POST",
        "/api/v1/shifts",
        &json!({"login": LEAD, "start": forever.0, "end": forever.1, "lead": true}).to_string(),
    );
    assert_eq!(status, 201, "{body}");
    let (status, t) = call(
        addr,
        &d.acme,
        "POST",
        "/api/v1/tickets",
        json!({"subject": "Down", "body": "Please"}),
    );
    assert_eq!(status, 201, "{t}");
    let id = t["id"].as_i64().unwrap();
    assert_eq!(
        call(
            addr,
            &d.lead,
            "POST",
            &format!("/api/v1/tickets/{id}/assign"),
            json!({"login": ENGINEER})
        )
        .0,
        200
    );
    let body = wait_for(
        addr,
        &format!("/api/v1/tickets/{id}"),
        "a breach",
        Duration::from_secs(20),
        |b| {
            json_of(b)["sla"]["breaches"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
        },
    );
    let t = json_of(&body);
    assert_eq!(t["sla"]["breaches"][0]["target"], "first_response");
    assert!(t["sla"]["breaches"][0]["at"].is_null());
    // Two acknowledgements, then one breach mail each to the lead and the assignee.
    let mail = d.keeper.wait_for(4, Duration::from_secs(20));
    let mut to: Vec<&str> = mail.iter().skip(2).map(|(to, _)| to.as_str()).collect();
    to.sort();
    assert_eq!(to, ["eng@ops.example", "lead@ops.example"], "{mail:?}");
    // The queue shows it missed, first; no second mail follows.
    let (_, q) = call(addr, &d.junior, "GET", "/api/v1/tickets/queue", Value::Null);
    assert_eq!(q["breached"], 1, "{q}");
    assert_eq!(q["tickets"][0]["breached"], true);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(d.keeper.messages().len(), 4);
    let (_, metrics) = http(addr, "GET", "/metrics", "");
    assert!(
        metrics.contains("tocsin_ticket_breaches_total 1"),
        "{metrics}"
    );
}
