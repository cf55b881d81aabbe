//! Conformance of the alert log and the leader's fenced writes.

use std::sync::atomic::{AtomicUsize, Ordering};

use tocsin_store::{
    AlertStatus, AnyStore, Applied, AssertionChange, Elector, IncidentChange, IncidentStore,
    LogStore, NewAlert, NewNotice, Store, StoreError,
};

fn alert(fp: &str, status: AlertStatus, vertices: &[&str]) -> NewAlert {
    NewAlert {
        source: "alertmanager".into(),
        fingerprint: fp.into(),
        status,
        state: if status == AlertStatus::Firing {
            "down"
        } else {
            "up"
        }
        .into(),
        vertices: vertices.iter().map(|v| v.to_string()).collect(),
        received_ms: 1_000,
        body_key: None,
    }
}

fn replace(fp: &str, vertex: &str) -> AssertionChange {
    AssertionChange::Replace {
        source: "alertmanager".into(),
        fingerprint: fp.into(),
        state: "down".into(),
        vertices: vec![vertex.into()],
        since_ms: 1_000,
    }
}

pub async fn the_log_is_read_in_order_after_a_position(s: &AnyStore) {
    let first = s
        .append(&[
            alert("a", AlertStatus::Firing, &["sw-a"]),
            alert("b", AlertStatus::Firing, &[]),
        ])
        .await
        .unwrap();
    let second = s
        .append(&[alert("a", AlertStatus::Resolved, &["sw-a"])])
        .await
        .unwrap();
    assert!(first[0] < first[1] && first[1] < second[0]);
    let all = s.log_after(0, 100).await.unwrap();
    let ids: Vec<i64> = all.iter().map(|r| r.id).collect();
    assert_eq!(ids, [first[0], first[1], second[0]]);
    assert_eq!(all[2].alert.status, AlertStatus::Resolved);
    assert_eq!(all[0].alert.vertices, ["sw-a"]);
    let after = s.log_after(first[0], 1).await.unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].id, first[1]);
    // Appending writes no consequence: the leader has applied nothing yet.
    assert_eq!(s.leadership().await.unwrap().applied, 0);
    assert!(s.assertions().await.unwrap().is_empty());
}

/// Many writers append at once while a reader follows the log from its last position: the
/// reader must see every alert, i.e. no alert ever becomes visible behind one already read.
pub async fn concurrent_appends_are_read_without_gaps(s: &AnyStore) {
    const WRITERS: usize = 6;
    let finished = AtomicUsize::new(0);
    let write = |w: usize| {
        let finished = &finished;
        async move {
            for i in 0..40 {
                let batch: Vec<NewAlert> = (0..(1 + i % 5))
                    .map(|k| alert(&format!("w{w}-{i}-{k}"), AlertStatus::Firing, &["sw"]))
                    .collect();
                s.append(&batch).await.unwrap();
            }
            finished.fetch_add(1, Ordering::SeqCst);
        }
    };
    let read = async {
        let mut seen = Vec::new();
        let mut position = 0;
        loop {
            let done = finished.load(Ordering::SeqCst) == WRITERS;
            for r in s.log_after(position, 1000).await.unwrap() {
                assert!(r.id > position);
                position = r.id;
                seen.push(r.id);
            }
            if done {
                return seen;
            }
            tokio::task::yield_now().await;
        }
    };
    let ((), (), (), (), (), (), seen) = tokio::join!(
        write(0),
        write(1),
        write(2),
        write(3),
        write(4),
        write(5),
        read
    );
    let all: Vec<i64> = s
        .log_after(0, 100_000)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(all.len(), WRITERS * (40 / 5) * (1 + 2 + 3 + 4 + 5));
    assert_eq!(
        seen, all,
        "the reader skipped alerts that became visible late"
    );
}

pub async fn a_former_leaders_write_is_fenced(s: &AnyStore) {
    let ids = s
        .append(&[
            alert("a", AlertStatus::Firing, &["sw-a"]),
            alert("b", AlertStatus::Firing, &["sw-b"]),
        ])
        .await
        .unwrap();
    let old = s.raise_epoch().await.unwrap();
    let opened = [IncidentChange::Open {
        id: 1,
        title: "sw-a down".into(),
        roots: vec!["sw-a".into()],
        at_ms: 1_000,
    }];
    let told = [NewNotice {
        incident_id: 1,
        customer: "acme".into(),
        contact: "ops@acme.example".into(),
        language: "en".into(),
        kind: "opened".into(),
        payload: "{}".into(),
        created_ms: 1_000,
    }];
    s.commit_applied(&Applied {
        epoch: old,
        through: ids[0],
        assertions: &[replace("a", "sw-a")],
        incidents: &opened,
        notices: &told,
        defer: &[],
        settle: &[],
    })
    .await
    .unwrap();
    let new = s.raise_epoch().await.unwrap();
    assert!(new > old);
    // The former leader's late write changes nothing.
    let late = s
        .commit_applied(&Applied {
            epoch: old,
            through: ids[1],
            assertions: &[replace("b", "sw-b")],
            incidents: &[IncidentChange::Resolve {
                id: 1,
                at_ms: 2_000,
            }],
            notices: &[],
            defer: &[],
            settle: &[],
        })
        .await;
    assert!(
        matches!(late, Err(StoreError::Fenced { epoch }) if epoch == old),
        "{late:?}"
    );
    let picture = s.picture().await.unwrap();
    assert_eq!(picture.leadership.epoch, new);
    assert_eq!(picture.leadership.applied, ids[0]);
    let asserted: Vec<&str> = picture
        .assertions
        .iter()
        .map(|a| a.vertex.as_str())
        .collect();
    assert_eq!(asserted, ["sw-a"]);
    assert_eq!(picture.open_incidents.len(), 1);
    assert_eq!(picture.last_incident_id, 1);
    assert_eq!(s.outbox_counts().await.unwrap().queued, 1);
    // The new leader's write goes through; the position never moves back.
    s.commit_applied(&Applied {
        epoch: new,
        through: ids[1],
        assertions: &[
            replace("b", "sw-b"),
            AssertionChange::Withdraw {
                source: "alertmanager".into(),
                fingerprint: "a".into(),
            },
        ],
        incidents: &[IncidentChange::ServiceDown {
            id: 1,
            service: "vps-1".into(),
            customer: Some("acme".into()),
            at_ms: 1_500,
        }],
        notices: &[],
        defer: &[],
        settle: &[],
    })
    .await
    .unwrap();
    s.commit_applied(&Applied {
        epoch: new,
        through: ids[0],
        assertions: &[],
        incidents: &[],
        notices: &[],
        defer: &[],
        settle: &[],
    })
    .await
    .unwrap();
    let picture = s.picture().await.unwrap();
    assert_eq!(picture.leadership.applied, ids[1]);
    let asserted: Vec<&str> = picture
        .assertions
        .iter()
        .map(|a| a.vertex.as_str())
        .collect();
    assert_eq!(asserted, ["sw-b"]);
    assert_eq!(picture.open_incidents[0].services.len(), 1);
    assert_eq!(picture.open_incidents[0].services[0].service, "vps-1");
}

/// Service downs a leader defers to later commits are in the picture, with the time each
/// went down, until a commit settles their backlog; a former leader's backlog is fenced like
/// the rest of its write.
pub async fn deferred_downs_are_kept_until_settled(s: &AnyStore) {
    let ids = s
        .append(&[alert("a", AlertStatus::Firing, &["sw-a"])])
        .await
        .unwrap();
    let epoch = s.raise_epoch().await.unwrap();
    let down = |service: &str, customer: Option<&str>, at_ms| IncidentChange::ServiceDown {
        id: 1,
        service: service.into(),
        customer: customer.map(Into::into),
        at_ms,
    };
    let written = [
        IncidentChange::Open {
            id: 1,
            title: "sw-a down".into(),
            roots: vec!["sw-a".into()],
            at_ms: 1_000,
        },
        down("vps-1", Some("acme"), 1_000),
    ];
    let deferred = [
        down("vps-2", Some("globex"), 1_000),
        down("lb-1", None, 1_001),
    ];
    let backlog = s
        .commit_applied(&Applied {
            epoch,
            through: ids[0],
            assertions: &[replace("a", "sw-a")],
            incidents: &written,
            notices: &[],
            defer: &deferred,
            settle: &[],
        })
        .await
        .unwrap()
        .expect("a backlog number");
    let picture = s.picture().await.unwrap();
    assert_eq!(picture.backlog.len(), 1);
    assert_eq!(picture.backlog[0].id, backlog);
    assert_eq!(picture.backlog[0].downs, deferred);
    assert_eq!(s.incident_view().await.unwrap().backlog, picture.backlog);
    let services: Vec<&str> = picture.open_incidents[0]
        .services
        .iter()
        .map(|s| s.service.as_str())
        .collect();
    assert_eq!(services, ["vps-1"], "deferred downs are not written yet");
    // A former leader cannot settle (nor add to) the backlog.
    let new = s.raise_epoch().await.unwrap();
    let late = s
        .commit_applied(&Applied {
            epoch,
            through: ids[0],
            assertions: &[],
            incidents: &deferred,
            notices: &[],
            defer: &deferred,
            settle: &[backlog],
        })
        .await;
    assert!(matches!(late, Err(StoreError::Fenced { .. })), "{late:?}");
    assert_eq!(s.picture().await.unwrap().backlog.len(), 1);
    // Its successor writes the downs and settles the backlog in one commit.
    let none = s
        .commit_applied(&Applied {
            epoch: new,
            through: ids[0],
            assertions: &[],
            incidents: &deferred,
            notices: &[],
            defer: &[],
            settle: &[backlog],
        })
        .await
        .unwrap();
    assert_eq!(none, None);
    let picture = s.picture().await.unwrap();
    assert!(picture.backlog.is_empty());
    let mut services: Vec<(&str, Option<i64>)> = picture.open_incidents[0]
        .services
        .iter()
        .map(|s| (s.service.as_str(), s.down_since_ms))
        .collect();
    services.sort();
    assert_eq!(
        services,
        [
            ("lb-1", Some(1_001)),
            ("vps-1", Some(1_000)),
            ("vps-2", Some(1_000))
        ]
    );
}

/// Notices claimed by an instance whose election session is gone are given back at once;
/// while its session lives, they stay its own. SQLite has one instance and gives nothing back.
pub async fn claims_of_instances_that_are_gone_are_given_back(s: &AnyStore) {
    let notices: Vec<NewNotice> = ["a@x.example", "b@x.example"]
        .iter()
        .map(|to| NewNotice {
            incident_id: 1,
            customer: "acme".into(),
            contact: (*to).into(),
            language: "en".into(),
            kind: "opened".into(),
            payload: "{}".into(),
            created_ms: 1_000,
        })
        .collect();
    s.record(&[], &notices).await.unwrap();
    let mut elector = Elector::new(s);
    elector.try_lead(s).await.unwrap();
    assert_eq!(s.claim_notices(1_000, 1, 60_000).await.unwrap().len(), 1);
    // Alive: nothing is taken from it.
    assert_eq!(s.release_orphaned_claims().await.unwrap(), 0);
    elector.resign();
    let given_back = if matches!(s, AnyStore::Postgres(_)) {
        // The session ends asynchronously: the lock goes with it within moments.
        let mut n = 0;
        for _ in 0..100 {
            n = s.release_orphaned_claims().await.unwrap();
            if n > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        n
    } else {
        s.release_orphaned_claims().await.unwrap()
    };
    let expected = u64::from(matches!(s, AnyStore::Postgres(_)));
    assert_eq!(given_back, expected);
    // Given back: claimed again at once, long before the lease ends.
    assert_eq!(
        s.claim_notices(1_001, 10, 60_000).await.unwrap().len(),
        1 + expected as usize
    );
}

/// Service changes are written in multi-row statements; the order and the meaning stay those
/// of one statement a change: a service down again keeps its first time, a run never changes
/// one row twice, and a notice queued twice is queued once.
pub async fn service_changes_in_runs_keep_their_order(s: &AnyStore) {
    let down = |service: &str, at_ms: i64| IncidentChange::ServiceDown {
        id: 1,
        service: service.into(),
        customer: Some("acme".into()),
        at_ms,
    };
    let announce = |service: &str| IncidentChange::Announce {
        id: 1,
        service: service.into(),
        customer: Some("acme".into()),
    };
    let mut changes = vec![IncidentChange::Open {
        id: 1,
        title: "sw-a down".into(),
        roots: vec!["sw-a".into()],
        at_ms: 1_000,
    }];
    changes.extend((0..1_500).map(|i| down(&format!("vps-{i}"), 1_000)));
    changes.push(down("vps-0", 1_500));
    changes.extend((0..1_500).map(|i| announce(&format!("vps-{i}"))));
    changes.push(IncidentChange::ServiceUp {
        id: 1,
        service: "vps-1".into(),
        down_total_ms: 700,
    });
    changes.push(down("vps-1", 2_000));
    let notice = NewNotice {
        incident_id: 1,
        customer: "acme".into(),
        contact: "ops@acme.example".into(),
        language: "en".into(),
        kind: "opened".into(),
        payload: "{}".into(),
        created_ms: 1_000,
    };
    s.record(&changes, &[notice.clone(), notice]).await.unwrap();
    let open = s.open_incidents().await.unwrap();
    let services = &open[0].services;
    assert_eq!(services.len(), 1_500);
    assert!(services.iter().all(|x| x.announced));
    let of = |name: &str| services.iter().find(|x| x.service == name).unwrap();
    assert_eq!(
        (of("vps-0").first_down_ms, of("vps-0").down_since_ms),
        (1_000, Some(1_500))
    );
    assert_eq!(
        (
            of("vps-1").first_down_ms,
            of("vps-1").down_since_ms,
            of("vps-1").down_total_ms
        ),
        (1_000, Some(2_000), 700)
    );
    assert_eq!(of("vps-1499").customer.as_deref(), Some("acme"));
    assert_eq!(s.outbox_counts().await.unwrap().queued, 1);
}
