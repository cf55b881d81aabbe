//! Lost redundancy tells staff only: a failing component that leaves services degraded but
//! none down mails the configured staff once per failure, and no customer.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::json;

use crate::mail::{smtp_config, Keeper};
use crate::serve::{alertmanager, http, start};

const INVENTORY: &str = r#"version: 1
nodes:
  - {id: sw-a, kind: switch}
  - {id: sw-b, kind: switch}
  - {id: sw-c, kind: switch}
  - {id: hv-1, kind: hypervisor, requires: [sw-c]}
  - {id: hv-2, kind: hypervisor, requires: [{any: [sw-a, sw-b]}]}
customers:
  - id: acme
    name: ACME s.r.o.
    contacts: [{email: ops@acme.example, language: cs}]
  - id: gamma
    name: Gamma SARL
    contacts: [{email: noc@gamma.example, language: fr}]
  - id: delta
    name: Delta
    contacts: [{email: admin@delta.example, language: ru}]
services:
  - {id: vps-1, customer: acme, name: acme-web, requires: [hv-1]}
  - {id: vps-3, customer: gamma, name: gamma-mail, requires: [hv-2]}
  - {id: vps-4, customer: delta, name: delta-db, requires: [hv-2]}
  - {id: vps-5, customer: delta, name: delta-web, requires: [hv-2]}
"#;

fn config(dir: &Path, smtp_port: u16) -> PathBuf {
    smtp_config(
        dir,
        smtp_port,
        INVENTORY,
        "",
        "0s",
        "staff = [\"noc@provider.example\"]\n",
    )
}

fn switch(node: &str, status: &str) -> String {
    alertmanager(
        status,
        json!({"alertname": "SwitchDown", "tocsin_node": node}),
        &format!("fp-{node}"),
    )
}

#[test]
fn degraded_services_mail_staff_once_and_customers_never() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let server = start(&config(dir.path(), keeper.port));
    let post = |body: &str| http(&server.addr, "POST", "/api/v1/alerts/alertmanager", body).0;
    assert_eq!(post(&switch("sw-a", "firing")), 202);
    let got = keeper.wait_for(1, Duration::from_secs(30));
    assert_eq!(got.len(), 1);
    let (to, message) = &got[0];
    assert_eq!(to, "noc@provider.example");
    assert!(
        message.contains("Subject: Lost redundancy: sw-a (switch) (3 services degraded)"),
        "{message}"
    );
    // Two customers at risk (gamma, delta), written in the staff's summary.
    let unfolded = message.replace("=\r\n", "").replace("=\n", "");
    assert!(unfolded.contains("2 customers are at risk"), "{message}");
    // Alertmanager repeats the alert: nothing more.
    assert_eq!(post(&switch("sw-a", "firing")), 202);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(keeper.messages().len(), 1, "customers get nothing");

    // An outage that takes a service down tells its customer, not the staff channel.
    assert_eq!(post(&switch("sw-c", "firing")), 202);
    let got = keeper.wait_for(2, Duration::from_secs(30));
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].0, "ops@acme.example");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(keeper.messages().len(), 2);

    // The same switch failing again later is a new episode: staff hear of it again.
    assert_eq!(post(&switch("sw-a", "resolved")), 202);
    assert_eq!(post(&switch("sw-a", "firing")), 202);
    let got = keeper.wait_for(3, Duration::from_secs(30));
    assert_eq!(got.len(), 3);
    assert_eq!(got[2].0, "noc@provider.example");
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(keeper.messages().len(), 3);
}
