//! The applier on an SQLite store: what a leader decides for a stretch of log written while
//! no instance was applying it, and alerts applied while an inventory reloads.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use tocsin_store::{AlertStatus, AnyStore, IncidentStore, LogStore, NewAlert, Store};

use crate::testing::{applied_through, start};
use crate::Clock;

struct Fixed;

impl Clock for Fixed {
    fn now_ms(&self) -> i64 {
        60_000
    }
}

const INVENTORY: &str = "version: 1
nodes:
  - {id: sw-a, kind: switch}
customers:
  - {id: acme, contacts: []}
services:
  - {id: s-1, customer: acme, requires: [sw-a]}
  - {id: s-2, customer: acme, requires: [sw-a]}
";

fn alert(status: AlertStatus, received_ms: i64) -> NewAlert {
    NewAlert {
        source: "generic".into(),
        fingerprint: "sw-a".into(),
        status,
        state: if status == AlertStatus::Firing {
            "down"
        } else {
            "up"
        }
        .into(),
        vertices: vec!["sw-a".into()],
        received_ms,
        body_key: None,
    }
}

/// A switch down and up again within one stretch of log (what a new leader finds after a
/// takeover): one incident, rooted at the switch, opened and resolved when the alerts came.
#[tokio::test]
async fn a_stretch_of_log_is_decided_alert_by_alert_at_the_alerts_times() {
    let inventory = Arc::new(tocsin_inventory::load_str("t.yaml", INVENTORY).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Arc::new(AnyStore::connect(&url).await.unwrap());
    store.migrate().await.unwrap();
    let ids = store
        .append(&[
            alert(AlertStatus::Firing, 1_000),
            alert(AlertStatus::Resolved, 2_500),
            alert(AlertStatus::Firing, 4_000),
        ])
        .await
        .unwrap();

    let started = start(&store, &inventory, Arc::new(Fixed), 0).await;
    applied_through(&store, ids[2]).await;
    let mut incidents = store.incidents(10).await.unwrap();
    incidents.sort_by_key(|i| i.id);
    let shown: Vec<(Vec<String>, i64, Option<i64>)> = incidents
        .iter()
        .map(|i| (i.roots.clone(), i.opened_ms, i.resolved_ms))
        .collect();
    assert_eq!(
        shown,
        [
            (vec!["sw-a".to_owned()], 1_000, Some(2_500)),
            (vec!["sw-a".to_owned()], 4_000, None),
        ]
    );
    assert_eq!(incidents[0].services.len(), 2);
    assert_eq!(incidents[0].services[0].down_total_ms, 1_500);
    // What the leader wrote is what a rebuild finds: the switch down, one incident open.
    let asserted: Vec<String> = store
        .assertions()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.vertex)
        .collect();
    assert_eq!(asserted, ["sw-a"]);
    assert_eq!(store.open_incidents().await.unwrap().len(), 1);
    started.stop().await;

    // Started again on the same database, nothing is decided twice.
    let again = start(&store, &inventory, Arc::new(Fixed), 0).await;
    applied_through(&store, ids[2]).await;
    assert_eq!(store.incidents(10).await.unwrap().len(), 2);
    assert_eq!(store.outbox_counts().await.unwrap().queued, 0);
    again.stop().await;
}

/// `switches` switches and `services` services spread over them, one customer per hundred;
/// with `extra`, one more service on `sw-3`.
fn provider(switches: usize, services: usize, extra: bool) -> String {
    let mut yaml = String::from("version: 1\nnodes:\n");
    for s in 0..switches {
        yaml.push_str(&format!("  - {{id: sw-{s}, kind: switch}}\n"));
    }
    yaml.push_str("customers:\n");
    for c in 0..services.div_ceil(100) {
        yaml.push_str(&format!("  - {{id: c-{c}, contacts: []}}\n"));
    }
    yaml.push_str("services:\n");
    for i in 0..services {
        let (c, s) = (i / 100, i % switches);
        yaml.push_str(&format!(
            "  - {{id: svc-{i}, customer: c-{c}, requires: [sw-{s}]}}\n"
        ));
    }
    if extra {
        yaml.push_str("  - {id: extra, customer: c-0, requires: [sw-3]}\n");
    }
    yaml
}

fn switch_alert(switch: usize, down: bool) -> Vec<crate::ingest::Incoming> {
    vec![crate::ingest::Incoming {
        source: "generic".into(),
        fingerprint: format!("sw-{switch}"),
        status: if down {
            AlertStatus::Firing
        } else {
            AlertStatus::Resolved
        },
        state: tocsin_model::State::Down,
        target: crate::ingest::Target::Node(format!("sw-{switch}")),
        received_ms: 1_000,
    }]
}

/// Alerts submitted while an inventory reloads (its state held once pictured) are applied
/// during the reload, not after it; once it is done, the open incidents are those of what is
/// down on the new graph, including a service only the new inventory has, under a switch
/// down since before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_go_on_being_applied_while_an_inventory_reloads() {
    const SWITCHES: usize = 100;
    const SERVICES: usize = 5_000;
    const DURING: usize = 20;
    let old = Arc::new(
        tocsin_inventory::load_str("old.yaml", &provider(SWITCHES, SERVICES, false)).unwrap(),
    );
    let new = Arc::new(
        tocsin_inventory::load_str("new.yaml", &provider(SWITCHES, SERVICES, true)).unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Arc::new(AnyStore::connect(&url).await.unwrap());
    store.migrate().await.unwrap();
    let started = start(&store, &old, Arc::new(Fixed), 0).await;
    let mut down = [false; SWITCHES];
    started
        .ingestor
        .submit(switch_alert(3, true), None)
        .await
        .unwrap();
    down[3] = true;
    // Its incident is written before the reload starts, so the reload waits for nothing.
    let applied = started.live.lock().unwrap().applied;
    applied_through(&store, applied).await;

    let ingestor = started.ingestor.clone();
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    *super::switch::HOLD.lock().unwrap() = Some(Arc::clone(&gate));
    let reload = tokio::spawn(async move { ingestor.reload(new).await });
    for k in 0..DURING {
        // Every switch but sw-3 goes down and comes back in turn.
        let switch = [0, 1, 2, 4, 5, 6, 7, 8, 9][k % 9];
        let report = started
            .ingestor
            .submit(switch_alert(switch, !down[switch]), None)
            .await
            .unwrap();
        assert_eq!(report.accepted, 1);
        down[switch] = !down[switch];
        assert!(!reload.is_finished(), "the reload ended before alert {k}");
    }
    gate.add_permits(1);
    reload.await.unwrap().unwrap();

    let (applied, services) = {
        let live = started.live.lock().unwrap();
        (live.applied, live.inventory.services.len())
    };
    assert_eq!(services, SERVICES + 1);
    applied_through(&store, applied).await;
    let mut open: Vec<String> = store
        .open_incidents()
        .await
        .unwrap()
        .into_iter()
        .flat_map(|i| i.services)
        .filter(|s| s.down_since_ms.is_some())
        .map(|s| s.service)
        .collect();
    open.sort();
    let mut expected: Vec<String> = (0..SERVICES)
        .filter(|i| down[i % SWITCHES])
        .map(|i| format!("svc-{i}"))
        .chain(std::iter::once("extra".to_owned()))
        .collect();
    expected.sort();
    assert_eq!(open.len(), expected.len());
    assert_eq!(open, expected);
    started.stop().await;
}
