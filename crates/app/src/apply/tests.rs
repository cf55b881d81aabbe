//! The applier on an SQLite store: what a leader decides for a stretch of log written while
//! no instance was applying it.

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
