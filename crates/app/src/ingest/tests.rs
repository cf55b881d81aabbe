//! The pipeline on an in-memory database: what alerts that match no vertex leave in memory,
//! in the store and in the answer.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use tocsin_model::State;
use tocsin_store::{AlertStatus, AnyStore, Store};

use super::{Incoming, Target, UNMATCHED_SAMPLE};
use crate::replay::replay;
use crate::testing::{applied_through, start};
use crate::Clock;

struct Fixed;

impl Clock for Fixed {
    fn now_ms(&self) -> i64 {
        1_000
    }
}

const INVENTORY: &str = "version: 1
nodes:
  - {id: sw-a, kind: switch, labels: {instance: 'sw-a:9100'}}
customers:
  - {id: acme, contacts: []}
services:
  - {id: s-1, customer: acme, requires: [sw-a]}
";

fn alert(fingerprint: &str, status: AlertStatus, instance: &str) -> Incoming {
    Incoming {
        source: "alertmanager".into(),
        fingerprint: fingerprint.into(),
        status,
        state: State::Down,
        target: Target::Labels(vec![("instance".into(), instance.into())]),
        received_ms: 1_000,
    }
}

#[tokio::test]
async fn unmatched_alerts_are_stored_and_counted_but_not_held() {
    let inventory = Arc::new(tocsin_inventory::load_str("t.yaml", INVENTORY).unwrap());
    let sw_a = inventory.graph.find("sw-a").unwrap();
    let store = Arc::new(AnyStore::connect("sqlite::memory:").await.unwrap());
    store.migrate().await.unwrap();
    let started = start(&store, &inventory, Arc::new(Fixed), 0).await;
    let (ingestor, live) = (&started.ingestor, &started.live);

    let mut alerts: Vec<Incoming> = (0..500)
        .map(|i| alert(&format!("u{i}"), AlertStatus::Firing, "nowhere:9100"))
        .collect();
    alerts.push(alert("m", AlertStatus::Firing, "sw-a:9100"));
    let report = ingestor.submit(alerts, None).await.unwrap();
    assert_eq!(report.accepted, 501);
    assert_eq!(report.unmatched_count, 500);
    assert_eq!(report.unmatched.len(), UNMATCHED_SAMPLE);
    assert_eq!(report.unmatched[0].fingerprint, "u0");
    assert_eq!(report.unmatched[UNMATCHED_SAMPLE - 1].fingerprint, "u19");
    {
        let live = live.lock().unwrap();
        assert_eq!(
            live.observations.alerts(),
            1,
            "only the matched alert is held"
        );
        assert_eq!(live.observations.of(sw_a), State::Down);
    }
    // All stored and listed; only the matched alert asserts anything, once the leader wrote.
    applied_through(&store, 501).await;
    assert_eq!(store.unmatched(1000).await.unwrap().len(), 500);
    let asserted: Vec<String> = store
        .assertions()
        .await
        .unwrap()
        .into_iter()
        .map(|a| format!("{} {}", a.fingerprint, a.vertex))
        .collect();
    assert_eq!(asserted, ["m sw-a"]);

    // The resolution of an unmatched alert is accepted and stored, and changes nothing.
    let report = ingestor
        .submit(
            vec![alert("u7", AlertStatus::Resolved, "nowhere:9100")],
            None,
        )
        .await
        .unwrap();
    assert_eq!((report.accepted, report.unmatched_count), (1, 1));
    assert_eq!(store.alert_count().await.unwrap(), 502);
    {
        let live = live.lock().unwrap();
        assert_eq!(live.observations.alerts(), 1);
        assert_eq!(live.observations.of(sw_a), State::Down);
    }

    // What a start replays holds none of them either.
    applied_through(&store, 502).await;
    let (observations, impact) = replay(&inventory, &store).await.unwrap();
    assert_eq!(observations.alerts(), 1);
    assert_eq!(impact.state(sw_a), State::Down);

    started.stop().await;
}
