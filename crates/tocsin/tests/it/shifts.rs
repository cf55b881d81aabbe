//! Shifts, end to end: an administrator plans lead shifts over the API (an overlapping one is
//! refused with `409`), `GET /api/v1/shifts/now` names the lead, and when an incident opens the
//! lead on duty gets exactly one e-mail while customers get their usual notices.

use std::process::Command;
use std::time::Duration;

use serde_json::json;

use crate::mail::{smtp_config, Keeper};
use crate::serve::{add_account, alertmanager, http, json_of, start, ADMIN, PASSWORD};
use crate::session::login;

const INVENTORY: &str = r#"version: 1
nodes:
  - {id: sw-a, kind: switch, labels: {instance: "sw-a:9100"}}
  - {id: hv-1, kind: hypervisor, requires: [sw-a]}
customers:
  - id: acme
    name: ACME s.r.o.
    contacts: [{email: ops@acme.example, language: en}]
services:
  - {id: vps-1, customer: acme, name: acme-web, requires: [hv-1]}
"#;

const LEAD: &str = "lead@provider.test";

fn users_add(config: &std::path::Path, login: &str, email: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["users", "--config", config.to_str().unwrap(), "add", login])
        .args(["--role", "admin", "--email", email])
        .env("TOCSIN_PASSWORD", PASSWORD)
        .output()
        .unwrap()
}

fn shift(login: &str, start: &str, end: &str, lead: bool) -> String {
    json!({"login": login, "start": start, "end": end, "lead": lead}).to_string()
}

#[test]
fn the_lead_on_duty_is_mailed_once_when_an_incident_opens() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let config = smtp_config(dir.path(), keeper.port, INVENTORY, "", "0s", "");

    let bad = users_add(&config, "someone@provider.test", "not an address");
    assert!(!bad.status.success());
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(stderr.contains("--email"), "{stderr}");
    let out = users_add(&config, LEAD, "lead@ops.example");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let server = start(&config);
    let addr = &server.addr;
    let forever = ("2000-01-01T00:00:00Z", "2999-01-01T00:00:00Z");
    let (status, body) = http(
        addr,
        "POST",
        "/api/v1/shifts",
        &shift(LEAD, forever.0, forever.1, true),
    );
    assert_eq!(status, 201, "{body}");
    let added = json_of(&body);
    assert_eq!(
        (added["login"].as_str(), added["lead"].as_bool()),
        (Some(LEAD), Some(true))
    );
    assert_eq!(added["start"], "2000-01-01T00:00:00Z");

    // Another lead shift overlapping it is refused; a shift that does not lead is not.
    let overlapping = shift(ADMIN, "2020-01-01T00:00:00Z", "2030-01-01T00:00:00Z", true);
    let (status, body) = http(addr, "POST", "/api/v1/shifts", &overlapping);
    assert_eq!(status, 409, "{body}");
    assert!(body.contains(LEAD), "{body}");
    let helping = shift(ADMIN, "2020-01-01T00:00:00Z", "2999-01-01T00:00:00Z", false);
    assert_eq!(http(addr, "POST", "/api/v1/shifts", &helping).0, 201);
    // Bad input is refused naming the field.
    let (status, body) = http(
        addr,
        "POST",
        "/api/v1/shifts",
        &shift("nobody@provider.test", forever.0, forever.1, false),
    );
    assert_eq!(status, 400, "{body}");
    assert!(json_of(&body)["error"]
        .as_str()
        .unwrap()
        .starts_with("login"));
    let (status, body) = http(
        addr,
        "POST",
        "/api/v1/shifts",
        &shift(ADMIN, forever.1, forever.0, false),
    );
    assert_eq!(status, 400, "{body}");
    assert!(json_of(&body)["error"].as_str().unwrap().starts_with("end"));

    let (status, body) = http(addr, "GET", "/api/v1/shifts/now", "");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        json_of(&body),
        json!({"lead": LEAD, "on_duty": [LEAD, ADMIN]})
    );
    let (status, body) = http(addr, "GET", "/api/v1/shifts", "");
    assert_eq!(status, 200, "{body}");
    assert_eq!(json_of(&body)["shifts"].as_array().unwrap().len(), 2);
    let (status, body) = http(addr, "GET", "/console/shifts", "");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains(LEAD), "{body}");

    let firing = alertmanager(
        "firing",
        json!({"alertname": "SwitchDown", "instance": "sw-a:9100"}),
        "fp-sw-a",
    );
    assert_eq!(
        http(addr, "POST", "/api/v1/alerts/alertmanager", &firing).0,
        202
    );
    // Alertmanager repeats the firing alert; nobody is told twice.
    assert_eq!(
        http(addr, "POST", "/api/v1/alerts/alertmanager", &firing).0,
        202
    );
    keeper.wait_for(2, Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(1500));
    let got = keeper.messages();
    let mut to: Vec<&str> = got.iter().map(|(to, _)| to.as_str()).collect();
    to.sort();
    assert_eq!(to, ["lead@ops.example", "ops@acme.example"]);
    let lead = &got
        .iter()
        .find(|(to, _)| to == "lead@ops.example")
        .unwrap()
        .1;
    assert!(
        lead.contains("Message-ID: <incident-1.lead-opened."),
        "{lead}"
    );
    assert!(lead.contains("Subject: Incident 1 opened: "), "{lead}");
    let customer = &got
        .iter()
        .find(|(to, _)| to == "ops@acme.example")
        .unwrap()
        .1;
    assert!(
        customer.contains("Message-ID: <incident-1.opened."),
        "{customer}"
    );
    assert!(customer.contains("acme-web"), "{customer}");
}

#[test]
fn the_console_plans_shifts_for_admins_only() {
    let dir = tempfile::tempdir().unwrap();
    let config = crate::serve::example_config(dir.path(), None, "http://status.example.net");
    add_account(&config, "junior@provider.test", "junior", None);
    let server = start(&config);
    let addr = server.addr.as_str();
    let admin = login(addr, ADMIN, PASSWORD).unwrap_or_else(|r| panic!("{}", r.body));
    let junior =
        login(addr, "junior@provider.test", PASSWORD).unwrap_or_else(|r| panic!("{}", r.body));

    let page = junior.get("/console/shifts");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(!page.body.contains("action=\"/console/shifts\""));
    let lead = [
        ("login", ADMIN),
        ("start", "2026-11-22T06:00"),
        ("end", "2026-11-22T18:00"),
        ("lead", "on"),
    ];
    assert_eq!(
        junior
            .post_form("/console/broadcast", "/console/shifts", &lead)
            .status,
        403
    );

    // A field error renders the form again with what was typed.
    let bad = admin.post_form(
        "/console/shifts",
        "/console/shifts",
        &[
            ("login", ADMIN),
            ("start", "tomorrow"),
            ("end", "2026-11-22T18:00"),
        ],
    );
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert!(bad.body.contains("start: a date and time"), "{}", bad.body);
    assert!(bad.body.contains("2026-11-22T18:00"), "{}", bad.body);

    let planned = admin.post_form("/console/shifts", "/console/shifts", &lead);
    assert_eq!(planned.status, 303, "{}", planned.body);
    assert_eq!(
        planned.header("location"),
        Some("/console/shifts?done=shift")
    );
    let again = admin.post_form("/console/shifts", "/console/shifts", &lead);
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(
        again.body.contains("a lead shift overlaps"),
        "{}",
        again.body
    );

    let audit = junior.get("/console/audit").body;
    assert!(audit.contains("<td>shift.add</td>"), "{audit}");
}
