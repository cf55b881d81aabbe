//! `tocsin migrate announce`: each wave of a plan becomes planned maintenance on its VMs,
//! made on the database beside a running server, which mails exactly the customers whose
//! services those VMs take down (a real SMTP server), once, however often the plan is
//! announced.

use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::mail::{smtp_config, Keeper};
use crate::serve::{http, json_of, start};

const INVENTORY: &str = r#"version: 1
nodes:
  - {id: hv-old, kind: hypervisor}
  - {id: vm-a, kind: vm, requires: [hv-old]}
  - {id: vm-b, kind: vm, requires: [hv-old]}
  - {id: vm-shared, kind: vm, requires: [hv-old]}
  - {id: vm-idle, kind: vm, requires: [hv-old]}
customers:
  - id: acme
    name: ACME s.r.o.
    contacts: [{email: ops@acme.example, language: cs}]
  - id: beta
    name: Beta sp. z o.o.
    contacts: [{email: it@beta.example, language: pl}]
  - id: gamma
    name: Gamma SA
    contacts: [{email: dsi@gamma.example, language: fr}]
services:
  - {id: web-a, customer: acme, name: acme-web, requires: [vm-a]}
  - {id: shop-b, customer: beta, name: beta-shop, requires: [vm-b]}
  - {id: mail-a, customer: acme, name: acme-mail, requires: [vm-shared]}
  - {id: mail-b, customer: beta, name: beta-mail, requires: [vm-shared]}
  - {id: dns-g, customer: gamma, name: gamma-dns, requires: [hv-old]}
"#;

fn at(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).unwrap().to_string()
}

fn announce(config: &std::path::Path, plan: &std::path::Path, json: bool) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tocsin"));
    cmd.args(["migrate", "announce", "--config"])
        .arg(config)
        .arg("--plan")
        .arg(plan);
    if json {
        cmd.arg("--json");
    }
    cmd.output().unwrap()
}

#[test]
fn each_wave_tells_exactly_the_customers_of_its_vms_once() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let config = smtp_config(
        dir.path(),
        keeper.port,
        INVENTORY,
        "",
        "0s",
        "[sla]\ntime_zone = \"Europe/Prague\"\n",
    );
    let server = start(&config);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let day = 86_400_000;
    let plan = json!({
        "waves": [
            {"start": at(now + 2 * day), "end": at(now + 2 * day + 3_600_000), "vms": [
                {"id": "vm-a", "start": at(now + 2 * day), "end": at(now + 2 * day + 1_500_000),
                 "downtime_seconds": 1500, "customers": ["acme"]},
                {"id": "vm-idle", "start": at(now + 2 * day), "end": at(now + 2 * day + 600_000),
                 "downtime_seconds": 600, "customers": []}]},
            {"start": at(now + 3 * day), "end": at(now + 3 * day + 7_200_000), "vms": [
                {"id": "vm-b", "start": at(now + 3 * day), "end": at(now + 3 * day + 3_600_000),
                 "downtime_seconds": 3600, "customers": ["beta"]},
                {"id": "vm-shared", "start": at(now + 3 * day), "end": at(now + 3 * day + 7_200_000),
                 "downtime_seconds": 7200, "customers": ["acme", "beta"]}]}
        ],
        "unplaceable": [{"id": "vm-huge", "reason": "too big"}]
    });
    let plan_file = dir.path().join("plan.json");
    std::fs::write(&plan_file, plan.to_string()).unwrap();

    let run = announce(&config, &plan_file, true);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let lines: Vec<Value> = String::from_utf8(run.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["affected_customers"], json!(["acme"]));
    assert_eq!(lines[0]["down_services"], json!(["web-a"]));
    assert_eq!(lines[1]["affected_customers"], json!(["acme", "beta"]));
    assert_eq!(
        lines[1]["down_services"],
        json!(["mail-a", "mail-b", "shop-b"])
    );

    // The server lists the windows; its outbox mails the announcements: acme for both waves,
    // beta for the second, gamma (on the old hypervisor, not on a moving VM) never.
    let (_, body) = http(&server.addr, "GET", "/api/v1/maintenance", "");
    let windows = json_of(&body);
    let titles: Vec<&str> = windows["maintenance"]
        .as_array()
        .unwrap_or_else(|| panic!("{windows}"))
        .iter()
        .map(|w| w["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        [
            "Migration to the new cloud, wave 1 of 2",
            "Migration to the new cloud, wave 2 of 2"
        ]
    );
    let mail = keeper.wait_for(3, Duration::from_secs(30));
    let mut to: Vec<&str> = mail.iter().map(|(r, _)| r.as_str()).collect();
    to.sort_unstable();
    assert_eq!(
        to,
        ["it@beta.example", "ops@acme.example", "ops@acme.example"],
        "{mail:?}"
    );
    assert!(mail.iter().all(|(_, m)| !m.contains("vm-idle")));

    // Announced again: nothing new is planned, so nobody is told twice.
    let again = announce(&config, &plan_file, false);
    assert!(again.status.success());
    let text = String::from_utf8(again.stdout).unwrap();
    assert_eq!(text.matches("(announced before)").count(), 2, "{text}");
    let (_, body) = http(&server.addr, "GET", "/api/v1/maintenance", "");
    assert_eq!(json_of(&body)["maintenance"].as_array().unwrap().len(), 2);

    // A file that is not a plan is refused with its position.
    std::fs::write(&plan_file, "{\"waves\": [{\"start\": 1}]}").unwrap();
    let bad = announce(&config, &plan_file, false);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains(&format!("{}:1:", plan_file.display())),
        "{err}"
    );
}
