//! Conformance of incidents and the outbox.

use tocsin_store::{AnyStore, Delivery, IncidentChange, IncidentStore, NewBroadcast, NewNotice};

fn notice(incident: i64, contact: &str, kind: &str, at: i64) -> NewNotice {
    NewNotice {
        incident_id: incident,
        customer: "acme".into(),
        contact: contact.into(),
        language: "cs".into(),
        kind: kind.into(),
        payload: format!("{{\"at\": {at}}}"),
        created_ms: at,
    }
}

fn open(id: i64) -> Vec<IncidentChange> {
    vec![
        IncidentChange::Open {
            id,
            title: "sw-a down".into(),
            roots: vec!["sw-a".into()],
            at_ms: 100,
        },
        IncidentChange::ServiceDown {
            id,
            service: "vps-1".into(),
            customer: Some("acme".into()),
            at_ms: 100,
        },
        IncidentChange::ServiceDown {
            id,
            service: "vps-2".into(),
            customer: None,
            at_ms: 150,
        },
    ]
}

pub async fn incidents_record_services_and_resolution(s: &AnyStore) {
    assert_eq!(s.last_incident_id().await.unwrap(), 0);
    s.record(&open(1), &[]).await.unwrap();
    assert_eq!(s.last_incident_id().await.unwrap(), 1);
    let open_now = s.open_incidents().await.unwrap();
    assert_eq!(open_now.len(), 1);
    assert_eq!(open_now[0].roots, vec!["sw-a".to_string()]);
    assert_eq!(open_now[0].status, "investigating");
    let services: Vec<&str> = open_now[0]
        .services
        .iter()
        .map(|s| s.service.as_str())
        .collect();
    assert_eq!(services, ["vps-1", "vps-2"]);
    s.record(
        &[
            IncidentChange::Announce {
                id: 1,
                service: "vps-1".into(),
                customer: Some("acme".into()),
            },
            IncidentChange::ServiceUp {
                id: 1,
                service: "vps-1".into(),
                down_total_ms: 900,
            },
            // A flap: vps-1 down again in the same incident keeps its total.
            IncidentChange::ServiceDown {
                id: 1,
                service: "vps-1".into(),
                customer: Some("acme".into()),
                at_ms: 2000,
            },
            IncidentChange::Roots {
                id: 1,
                roots: vec!["pdu-a".into(), "sw-a".into()],
            },
        ],
        &[],
    )
    .await
    .unwrap();
    let i = s.incident(1).await.unwrap().unwrap();
    let vps1 = &i.services[0];
    assert_eq!(
        (
            vps1.down_since_ms,
            vps1.down_total_ms,
            vps1.first_down_ms,
            vps1.announced
        ),
        (Some(2000), 900, 100, true)
    );
    assert_eq!(i.roots.len(), 2);
    s.record(&[IncidentChange::Resolve { id: 1, at_ms: 3000 }], &[])
        .await
        .unwrap();
    assert!(s.open_incidents().await.unwrap().is_empty());
    let all = s.incidents(10).await.unwrap();
    assert_eq!(
        (all[0].status.as_str(), all[0].resolved_ms),
        ("resolved", Some(3000))
    );
    assert!(s.incident(99).await.unwrap().is_none());
}

/// Incident 1 opened with a notice to each of two contacts.
async fn queue_two(s: &AnyStore) {
    s.record(
        &open(1),
        &[
            notice(1, "a@x", "opened", 10),
            notice(1, "b@x", "opened", 10),
        ],
    )
    .await
    .unwrap();
}

pub async fn notices_are_queued_once_claimed_and_finished(s: &AnyStore) {
    queue_two(s).await;
    // The same (incident, contact, kind) again — e.g. after a crash and replay — is ignored.
    s.record(
        &[],
        &[
            notice(1, "a@x", "opened", 20),
            notice(1, "a@x", "resolved", 30),
        ],
    )
    .await
    .unwrap();
    let counts = s.outbox_counts().await.unwrap();
    assert_eq!(counts.queued, 3);
    let claimed = s.claim_notices(50, 2, 60_000).await.unwrap();
    assert_eq!(claimed.len(), 2);
    assert_eq!(claimed[0].notice, notice(1, "a@x", "opened", 10));
    assert_eq!(claimed[0].attempts, 1);
    // Claimed rows are not handed out twice while the lease runs.
    let rest = s.claim_notices(50, 10, 60_000).await.unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].notice.kind, "resolved");
    s.finish_notices(
        &[
            (
                claimed[0].id,
                Delivery::Sent {
                    message_key: Some("mail/1".into()),
                },
            ),
            (
                claimed[1].id,
                Delivery::Retry {
                    next_ms: 10_000,
                    error: "451 try later".into(),
                },
            ),
            (
                rest[0].id,
                Delivery::Failed {
                    error: "550 no such user".into(),
                },
            ),
        ],
        60,
    )
    .await
    .unwrap();
    let counts = s.outbox_counts().await.unwrap();
    assert_eq!(
        (
            counts.sent,
            counts.queued,
            counts.retrying,
            counts.failed,
            counts.sending
        ),
        (1, 1, 1, 1, 0)
    );
    assert!(
        s.claim_notices(9_999, 10, 60_000).await.unwrap().is_empty(),
        "backoff respected"
    );
    let again = s.claim_notices(10_000, 10, 60_000).await.unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 2);
    let listed = s.notices(10).await.unwrap();
    let failed = listed.iter().find(|(r, _, _)| r.id == rest[0].id).unwrap();
    assert_eq!(
        (failed.1.as_str(), failed.2.as_deref()),
        ("failed", Some("550 no such user"))
    );
}

pub async fn claims_expire_and_can_be_released(s: &AnyStore) {
    s.record(&open(1), &[notice(1, "a@x", "opened", 10)])
        .await
        .unwrap();
    let first = s.claim_notices(100, 10, 1_000).await.unwrap();
    assert_eq!(first.len(), 1);
    assert!(s.claim_notices(1_099, 10, 1_000).await.unwrap().is_empty());
    // The worker died: after its lease another takes the notice.
    let second = s.claim_notices(1_100, 10, 1_000).await.unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(s.release_claims().await.unwrap(), 1);
    assert_eq!(s.claim_notices(1_101, 10, 1_000).await.unwrap().len(), 1);
}

pub async fn claims_held_are_renewed_and_others_are_not(s: &AnyStore) {
    queue_two(s).await;
    let claimed = s.claim_notices(100, 10, 1_000).await.unwrap();
    let ids: Vec<i64> = claimed.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), 2);
    // Still sending at 1_000: the worker extends its lease before it runs out.
    assert_eq!(s.renew_claims(&ids, 1_100, 2_000).await.unwrap(), 2);
    assert!(
        s.claim_notices(1_500, 10, 1_000).await.unwrap().is_empty(),
        "a renewed claim is not taken"
    );
    // A renewal with a lease it no longer holds extends nothing.
    assert_eq!(s.renew_claims(&ids, 1_100, 3_000).await.unwrap(), 0);
    // The worker stopped renewing: after the renewed lease another takes the notices, and the
    // first one's late renewal cannot take them back.
    let second = s.claim_notices(2_000, 10, 1_000).await.unwrap();
    assert_eq!(second.len(), 2);
    assert_eq!(s.renew_claims(&ids, 2_000, 4_000).await.unwrap(), 0);
    assert!(s.claim_notices(2_999, 10, 1_000).await.unwrap().is_empty());
    // Finished notices are not renewed.
    let sent: Vec<(i64, Delivery)> = ids
        .iter()
        .map(|id| (*id, Delivery::Sent { message_key: None }))
        .collect();
    s.finish_notices(&sent, 2_500).await.unwrap();
    assert_eq!(s.renew_claims(&ids, 3_000, 5_000).await.unwrap(), 0);
}

pub async fn updates_set_the_public_status(s: &AnyStore) {
    s.record(&open(1), &[]).await.unwrap();
    s.add_update(
        1,
        "identified",
        "A failed optic on sw-a.",
        true,
        "lead",
        500,
    )
    .await
    .unwrap();
    s.add_update(
        1,
        "identified",
        "Ticket 4711 with the vendor.",
        false,
        "eng",
        600,
    )
    .await
    .unwrap();
    s.add_update(1, "monitoring", "Optic replaced.", true, "lead", 700)
        .await
        .unwrap();
    let i = s.incident(1).await.unwrap().unwrap();
    assert_eq!(i.status, "monitoring");
    let updates = s.updates(1).await.unwrap();
    let bodies: Vec<(&str, bool)> = updates
        .iter()
        .map(|u| (u.body.as_str(), u.public))
        .collect();
    assert_eq!(
        bodies,
        [
            ("A failed optic on sw-a.", true),
            ("Ticket 4711 with the vendor.", false),
            ("Optic replaced.", true)
        ]
    );
    assert_eq!(updates[1].author, "eng");
}

pub async fn broadcasts_queue_once_per_contact_and_are_claimed_apart(s: &AnyStore) {
    s.record(&[], &[notice(1, "a@x", "opened", 10)])
        .await
        .unwrap();
    let b = NewBroadcast {
        incident_id: None,
        subject: "Maintenance".into(),
        body: "Tonight.".into(),
        created_ms: 20,
    };
    // A contact listed twice (two customers) gets one copy.
    let to = [
        notice(0, "a@x", "broadcast", 20),
        notice(0, "b@x", "broadcast", 20),
        notice(0, "a@x", "broadcast", 20),
    ];
    let (first, queued) = s.broadcast(&b, &to).await.unwrap();
    assert_eq!(queued, 2);
    let (second, queued) = s.broadcast(&b, &to).await.unwrap();
    assert_eq!(queued, 2, "a second broadcast is another message");
    assert!(second > first);
    // Incident notices are claimed without the broadcasts, and the other way round.
    let incident = s.claim_notices(100, 10, 60_000).await.unwrap();
    assert_eq!(incident.len(), 1);
    assert_eq!(incident[0].notice.kind, "opened");
    let mass = s.claim_broadcasts(100, 3, 60_000).await.unwrap();
    assert_eq!(mass.len(), 3);
    assert_eq!(mass[0].notice.kind, format!("broadcast.{first}"));
    assert_eq!(mass[0].notice.incident_id, 0);
    assert_eq!(s.claim_broadcasts(100, 10, 60_000).await.unwrap().len(), 1);
    assert!(s.claim_notices(100, 10, 60_000).await.unwrap().is_empty());
}

pub async fn a_customers_incidents_are_found_by_its_services(s: &AnyStore) {
    s.record(&open(1), &[]).await.unwrap();
    let other = vec![
        IncidentChange::Open {
            id: 2,
            title: "pdu-b down".into(),
            roots: vec!["pdu-b".into()],
            at_ms: 200,
        },
        IncidentChange::ServiceDown {
            id: 2,
            service: "vps-7".into(),
            customer: Some("beta".into()),
            at_ms: 200,
        },
    ];
    s.record(&other, &[]).await.unwrap();
    s.record(&open(3), &[]).await.unwrap();
    let ids = |v: Vec<tocsin_store::IncidentRow>| v.iter().map(|i| i.id).collect::<Vec<_>>();
    assert_eq!(ids(s.customer_incidents("acme", 10).await.unwrap()), [3, 1]);
    assert_eq!(ids(s.customer_incidents("acme", 1).await.unwrap()), [3]);
    assert_eq!(ids(s.customer_incidents("beta", 10).await.unwrap()), [2]);
    assert!(s.customer_incidents("gamma", 10).await.unwrap().is_empty());
    // Every service comes along; the caller keeps the customer's own.
    let three = &s.customer_incidents("acme", 1).await.unwrap()[0];
    assert_eq!(three.services.len(), 2);
}

pub async fn many_verdicts_are_recorded_each_with_its_own_key(s: &AnyStore) {
    // More than one statement's worth of rows, so that chunks are recorded too.
    let notices: Vec<NewNotice> = (0..1203)
        .map(|i| notice(1, &format!("c{i}@x"), "opened", 10))
        .collect();
    s.record(&open(1), &notices).await.unwrap();
    let claimed = s.claim_notices(50, 2000, 60_000).await.unwrap();
    assert_eq!(claimed.len(), 1203);
    // Every third without an archive key, the last one retried.
    let verdicts: Vec<(i64, Delivery)> = claimed
        .iter()
        .enumerate()
        .map(|(n, r)| {
            let d = if n == 1202 {
                Delivery::Retry {
                    next_ms: 5_000,
                    error: "451 later".into(),
                }
            } else {
                Delivery::Sent {
                    message_key: (n % 3 != 0).then(|| format!("mail/1/{}.eml", r.id)),
                }
            };
            (r.id, d)
        })
        .collect();
    s.finish_notices(&verdicts, 60).await.unwrap();
    let counts = s.outbox_counts().await.unwrap();
    assert_eq!(
        (counts.sent, counts.queued, counts.retrying, counts.sending),
        (1202, 1, 1, 0)
    );
    let sent = s.customer_notices("acme", 0, 1_000, 5_000).await.unwrap();
    assert_eq!(sent.len(), 1202);
    for n in &sent {
        let position = claimed.iter().position(|r| r.id == n.id).unwrap();
        let expected = (position % 3 != 0).then(|| format!("mail/1/{}.eml", n.id));
        assert_eq!(n.message_key, expected, "row {}", n.id);
        assert_eq!(n.sent_ms, 60);
    }
}

pub async fn expired_claims_come_first_then_rows_in_the_order_they_fell_due(s: &AnyStore) {
    s.record(
        &open(1),
        &[
            notice(1, "a@x", "opened", 10),
            notice(1, "b@x", "opened", 10),
            notice(1, "c@x", "opened", 10),
        ],
    )
    .await
    .unwrap();
    let all = s.claim_notices(100, 3, 60_000).await.unwrap();
    let (a, b, c) = (all[0].id, all[1].id, all[2].id);
    // a is retried later than c, b's worker vanishes with its lease.
    s.finish_notices(
        &[
            (
                a,
                Delivery::Retry {
                    next_ms: 2_000,
                    error: "451".into(),
                },
            ),
            (
                c,
                Delivery::Retry {
                    next_ms: 1_000,
                    error: "451".into(),
                },
            ),
        ],
        200,
    )
    .await
    .unwrap();
    let mut order = Vec::new();
    for _ in 0..3 {
        order.extend(
            s.claim_notices(70_000, 1, 60_000)
                .await
                .unwrap()
                .iter()
                .map(|r| r.id),
        );
    }
    assert_eq!(order, vec![b, c, a]);
    assert!(s.claim_notices(70_000, 1, 60_000).await.unwrap().is_empty());
}

pub async fn heads_list_the_latest_and_every_open_incident_and_revisions_follow_services(
    s: &AnyStore,
) {
    // Incident 1 stays open; 2 and 3 open and resolve after it.
    s.record(&open(1), &[]).await.unwrap();
    for id in [2, 3] {
        let mut changes = open(id);
        changes.push(IncidentChange::Resolve { id, at_ms: 900 });
        s.record(&changes, &[]).await.unwrap();
    }
    let heads = s.incident_heads(1).await.unwrap();
    let listed: Vec<(i64, Option<i64>)> = heads.iter().map(|h| (h.id, h.resolved_ms)).collect();
    assert_eq!(
        listed,
        [(3, Some(900)), (1, None)],
        "the latest and the open one"
    );
    let first = heads[1].clone();
    assert_eq!(first.status, "investigating");
    assert_eq!(first.roots, ["sw-a"]);
    let whole = s.incident(1).await.unwrap().unwrap();
    assert_eq!(s.incident_services(1).await.unwrap(), whole.services);
    assert_eq!(first.clone().with_services(whole.services.clone()), whole);

    // A public update moves the status, not the revision: the services did not change.
    s.add_update(1, "identified", "Found it.", true, "lead", 1_000)
        .await
        .unwrap();
    let revision = |heads: Vec<tocsin_store::IncidentHead>| {
        heads
            .iter()
            .find(|h| h.id == 1)
            .map(|h| h.revision)
            .unwrap()
    };
    let after_update = s.incident_heads(10).await.unwrap();
    assert_eq!(revision(after_update.clone()), first.revision);
    assert_eq!(
        after_update.iter().find(|h| h.id == 1).unwrap().status,
        "identified"
    );

    // Each kind of service change moves it; a change to another incident does not.
    let mut last = first.revision;
    for change in [
        IncidentChange::Announce {
            id: 1,
            service: "vps-1".into(),
            customer: Some("acme".into()),
        },
        IncidentChange::ServiceUp {
            id: 1,
            service: "vps-1".into(),
            down_total_ms: 400,
        },
        IncidentChange::ServiceDown {
            id: 1,
            service: "vps-3".into(),
            customer: None,
            at_ms: 1_200,
        },
    ] {
        s.record(std::slice::from_ref(&change), &[]).await.unwrap();
        let now = revision(s.incident_heads(10).await.unwrap());
        assert!(now > last, "{change:?} left the revision at {now}");
        last = now;
    }
    s.record(
        &[IncidentChange::Announce {
            id: 2,
            service: "vps-1".into(),
            customer: Some("acme".into()),
        }],
        &[],
    )
    .await
    .unwrap();
    assert_eq!(revision(s.incident_heads(10).await.unwrap()), last);
    let services = s.incident_services(1).await.unwrap();
    assert_eq!(services, s.incident(1).await.unwrap().unwrap().services);
    assert_eq!(services.len(), 3);
}

pub async fn services_announced_in_the_batch_they_went_down_in_are_recorded_announced(
    s: &AnyStore,
) {
    let down = |service: &str, at_ms: i64| IncidentChange::ServiceDown {
        id: 1,
        service: service.into(),
        customer: Some("acme".into()),
        at_ms,
    };
    let announce = |service: &str| IncidentChange::Announce {
        id: 1,
        service: service.into(),
        customer: None,
    };
    // vps-1 and vps-2 go down; only vps-1 is announced, in the same batch.
    let mut first = open(1);
    first.push(announce("vps-1"));
    s.record(&first, &[]).await.unwrap();
    let announced = |i: &tocsin_store::IncidentRow| {
        i.services
            .iter()
            .map(|s| (s.service.clone(), s.announced, s.down_since_ms))
            .collect::<Vec<_>>()
    };
    let i = s.incident(1).await.unwrap().unwrap();
    assert_eq!(
        announced(&i),
        [
            ("vps-1".to_string(), true, Some(100)),
            ("vps-2".to_string(), false, Some(150))
        ]
    );
    // vps-1 back up; then, in one batch, vps-1 down again (it stays announced) and vps-2
    // announced before going down again, and a new vps-3 down and announced.
    s.record(
        &[IncidentChange::ServiceUp {
            id: 1,
            service: "vps-1".into(),
            down_total_ms: 50,
        }],
        &[],
    )
    .await
    .unwrap();
    s.record(
        &[
            announce("vps-2"),
            down("vps-1", 300),
            down("vps-2", 300),
            down("vps-3", 300),
            announce("vps-3"),
        ],
        &[],
    )
    .await
    .unwrap();
    let i = s.incident(1).await.unwrap().unwrap();
    assert_eq!(
        announced(&i),
        [
            ("vps-1".to_string(), true, Some(300)),
            ("vps-2".to_string(), true, Some(300)),
            ("vps-3".to_string(), true, Some(300))
        ]
    );
    assert_eq!(i.services[0].down_total_ms, 50);
}
