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

const THREE_CUSTOMERS: &str = "version: 1
nodes:
  - {id: sw-a, kind: switch}
customers:
  - {id: acme, contacts: [{email: ops@acme.example}]}
  - {id: globex, contacts: [{email: ops@globex.example}]}
  - {id: initech, contacts: [{email: ops@initech.example}]}
services:
  - {id: s-1, customer: acme, requires: [sw-a]}
  - {id: s-2, customer: globex, requires: [sw-a]}
  - {id: s-3, customer: initech, requires: [sw-a]}
";

/// A leader that died between two commits of a fan-out left a backlog: its successor writes
/// the deferred downs with the time they went down, announces them, queues the notice the
/// dead leader had not (initech's) and none twice (it had queued globex's), and settles the
/// backlog.
#[tokio::test]
async fn a_successor_writes_what_a_leader_deferred_and_died_before_writing() {
    use tocsin_store::{Applied, AssertionChange, IncidentChange, NewNotice};
    let inventory = Arc::new(tocsin_inventory::load_str("t.yaml", THREE_CUSTOMERS).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Arc::new(AnyStore::connect(&url).await.unwrap());
    store.migrate().await.unwrap();
    let ids = store
        .append(&[alert(AlertStatus::Firing, 1_000)])
        .await
        .unwrap();
    let down = |service: &str, customer: &str| IncidentChange::ServiceDown {
        id: 1,
        service: service.into(),
        customer: Some(customer.into()),
        at_ms: 1_000,
    };
    // The dead leader's first commit: acme's service and notice, the others' downs deferred.
    let epoch = store.raise_epoch().await.unwrap();
    store
        .commit_applied(&Applied {
            epoch,
            through: ids[0],
            assertions: &[AssertionChange::Replace {
                source: "generic".into(),
                fingerprint: "sw-a".into(),
                state: "down".into(),
                vertices: vec!["sw-a".into()],
                since_ms: 1_000,
            }],
            incidents: &[
                IncidentChange::Open {
                    id: 1,
                    title: "sw-a down".into(),
                    roots: vec!["sw-a".into()],
                    at_ms: 1_000,
                },
                down("s-1", "acme"),
                IncidentChange::Announce {
                    id: 1,
                    service: "s-1".into(),
                    customer: Some("acme".into()),
                },
            ],
            notices: &[NewNotice {
                incident_id: 1,
                customer: "acme".into(),
                contact: "ops@acme.example".into(),
                language: "en".into(),
                kind: "opened".into(),
                payload: "{}".into(),
                created_ms: 1_000,
            }],
            defer: &[down("s-2", "globex"), down("s-3", "initech")],
            settle: &[],
        })
        .await
        .unwrap();
    // Its second: globex's notice, its service not written yet.
    store
        .commit_applied(&Applied {
            epoch,
            through: ids[0],
            assertions: &[],
            incidents: &[],
            notices: &[NewNotice {
                incident_id: 1,
                customer: "globex".into(),
                contact: "ops@globex.example".into(),
                language: "en".into(),
                kind: "opened".into(),
                payload: "{}".into(),
                created_ms: 1_000,
            }],
            defer: &[],
            settle: &[],
        })
        .await
        .unwrap();

    let started = start(&store, &inventory, Arc::new(Fixed), 0).await;
    started.stop().await;
    let open = store.open_incidents().await.unwrap();
    assert_eq!(open.len(), 1);
    let services: Vec<(&str, Option<i64>, bool)> = open[0]
        .services
        .iter()
        .map(|s| (s.service.as_str(), s.down_since_ms, s.announced))
        .collect();
    assert_eq!(
        services,
        [
            ("s-1", Some(1_000), true),
            ("s-2", Some(1_000), true),
            ("s-3", Some(1_000), true)
        ]
    );
    let mut told: Vec<(String, String)> = store
        .notices(10)
        .await
        .unwrap()
        .into_iter()
        .map(|(row, _, _)| (row.notice.contact, row.notice.kind))
        .collect();
    told.sort();
    assert_eq!(
        told,
        [
            ("ops@acme.example".to_owned(), "opened".to_owned()),
            ("ops@globex.example".to_owned(), "opened".to_owned()),
            ("ops@initech.example".to_owned(), "opened".to_owned())
        ]
    );
    assert!(store.picture().await.unwrap().backlog.is_empty());
}

/// A fan-out larger than one commit's share is written whole: every service of every
/// customer, announced, every notice queued once, and no backlog left.
#[tokio::test]
async fn a_fan_out_written_in_chunks_is_written_whole() {
    const CUSTOMERS: usize = 3 * super::chunks::EACH;
    let mut yaml = String::from("version: 1\nnodes:\n  - {id: sw-a, kind: switch}\ncustomers:\n");
    for c in 0..CUSTOMERS {
        yaml.push_str(&format!(
            "  - {{id: c-{c}, contacts: [{{email: c{c}@x.example}}]}}\n"
        ));
    }
    yaml.push_str("services:\n");
    for c in 0..CUSTOMERS {
        for k in 0..2 {
            yaml.push_str(&format!(
                "  - {{id: s-{c}-{k}, customer: c-{c}, requires: [sw-a]}}\n"
            ));
        }
    }
    let inventory = Arc::new(tocsin_inventory::load_str("t.yaml", &yaml).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Arc::new(AnyStore::connect(&url).await.unwrap());
    store.migrate().await.unwrap();
    let started = start(&store, &inventory, Arc::new(Fixed), 0).await;
    let report = started
        .ingestor
        .submit(
            vec![crate::ingest::Incoming {
                source: "generic".into(),
                fingerprint: "sw-a".into(),
                status: AlertStatus::Firing,
                state: tocsin_model::State::Down,
                target: crate::ingest::Target::Node("sw-a".into()),
                received_ms: 1_000,
            }],
            None,
        )
        .await
        .unwrap();
    assert_eq!(report.accepted, 1);
    started.stop().await;
    let open = store.open_incidents().await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].services.len(), 2 * CUSTOMERS);
    assert!(open[0].services.iter().all(|s| s.announced));
    assert_eq!(
        store.outbox_counts().await.unwrap().queued,
        CUSTOMERS as i64
    );
    let notices = store.notices(CUSTOMERS as i64 + 1).await.unwrap();
    let contacts: std::collections::HashSet<String> = notices
        .into_iter()
        .map(|(row, _, _)| row.notice.contact)
        .collect();
    assert_eq!(contacts.len(), CUSTOMERS);
    assert!(store.picture().await.unwrap().backlog.is_empty());
}

/// Something that reports the thread it is freed on.
struct Freed(std::sync::mpsc::Sender<std::thread::ThreadId>);

impl Drop for Freed {
    fn drop(&mut self) {
        let _ = self.0.send(std::thread::current().id());
    }
}

/// The last hold on an inventory is freed on a blocking thread, never on the task letting
/// go; a hold that is not the last only goes.
#[tokio::test(flavor = "current_thread")]
async fn the_last_hold_is_freed_off_the_applier() {
    let (tx, rx) = std::sync::mpsc::channel();
    let held = Arc::new(Freed(tx));
    let other = Arc::clone(&held);
    super::let_go(held);
    assert!(rx.try_recv().is_err(), "freed while another held it");
    super::let_go(other);
    let on = tokio::task::spawn_blocking(move || rx.recv())
        .await
        .ok()
        .and_then(Result::ok);
    assert!(on.is_some(), "never freed");
    assert_ne!(on, Some(std::thread::current().id()));
}
