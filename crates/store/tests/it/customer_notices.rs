//! Conformance of the notices a customer may read back: sent ones only, their own only, by
//! the time the server accepted them.

use tocsin_store::{AnyStore, Delivery, IncidentChange, IncidentStore, NewNotice};

fn notice(customer: &str, contact: &str, kind: &str) -> NewNotice {
    NewNotice {
        incident_id: 1,
        customer: customer.into(),
        contact: contact.into(),
        language: "de".into(),
        kind: kind.into(),
        payload: "{}".into(),
        created_ms: 10,
    }
}

pub async fn a_customer_reads_its_own_sent_notices_by_time(s: &AnyStore) {
    let open = [IncidentChange::Open {
        id: 1,
        title: "sw-a down".into(),
        roots: vec!["sw-a".into()],
        at_ms: 10,
    }];
    s.record(
        &open,
        &[
            notice("acme", "ops@acme.test", "opened"),
            notice("acme", "boss@acme.test", "opened"),
            notice("acme", "ops@acme.test", "resolved"),
            notice("acme", "late@acme.test", "opened"),
            notice("acme", "never@acme.test", "opened"),
            notice("globex", "it@globex.test", "opened"),
            notice("acme", "https://hooks.acme.test/t", "webhook.opened"),
        ],
    )
    .await
    .unwrap();
    let rows = s.claim_notices(20, 10, 60_000).await.unwrap();
    assert_eq!(rows.len(), 7);
    let id_of = |contact: &str, kind: &str| {
        rows.iter()
            .find(|r| r.notice.contact == contact && r.notice.kind == kind)
            .unwrap()
            .id
    };
    let sent = |key: Option<&str>| Delivery::Sent {
        message_key: key.map(str::to_owned),
    };
    // Finished at different times: 1000 (three), 2000 (one), 5000 (one); one fails.
    s.finish_notices(
        &[
            (id_of("ops@acme.test", "opened"), sent(Some("mail/a"))),
            (id_of("boss@acme.test", "opened"), sent(None)),
            (id_of("it@globex.test", "opened"), sent(Some("mail/g"))),
            (
                id_of("https://hooks.acme.test/t", "webhook.opened"),
                sent(None),
            ),
        ],
        1000,
    )
    .await
    .unwrap();
    s.finish_notices(
        &[(id_of("ops@acme.test", "resolved"), sent(Some("mail/r")))],
        2000,
    )
    .await
    .unwrap();
    s.finish_notices(
        &[(id_of("late@acme.test", "opened"), sent(Some("mail/l")))],
        5000,
    )
    .await
    .unwrap();
    s.finish_notices(
        &[(
            id_of("never@acme.test", "opened"),
            Delivery::Failed {
                error: "550 no such user".into(),
            },
        )],
        1500,
    )
    .await
    .unwrap();

    let got = s.customer_notices("acme", 1000, 5000, 10).await.unwrap();
    let seen: Vec<(&str, &str, i64, Option<&str>)> = got
        .iter()
        .map(|n| {
            (
                n.contact.as_str(),
                n.kind.as_str(),
                n.sent_ms,
                n.message_key.as_deref(),
            )
        })
        .collect();
    // From inclusive, to exclusive, oldest first; the failed one, the webhook delivery and
    // globex's are absent.
    assert_eq!(
        seen,
        [
            ("ops@acme.test", "opened", 1000, Some("mail/a")),
            ("boss@acme.test", "opened", 1000, None),
            ("ops@acme.test", "resolved", 2000, Some("mail/r")),
        ]
    );
    assert!(got.iter().all(|n| n.language == "de" && n.incident_id == 1));
    assert_eq!(
        s.customer_notices("acme", 1000, 5000, 2)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(s
        .customer_notices("acme", 2001, 5000, 10)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        s.customer_notices("globex", 0, i64::MAX, 10).await.unwrap()[0].contact,
        "it@globex.test"
    );

    // One by id: the customer's own sent one only.
    let own = s
        .customer_notice("acme", id_of("ops@acme.test", "resolved"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(own, got[2]);
    let globex = id_of("it@globex.test", "opened");
    assert_eq!(s.customer_notice("acme", globex).await.unwrap(), None);
    assert!(s.customer_notice("globex", globex).await.unwrap().is_some());
    let failed = id_of("never@acme.test", "opened");
    assert_eq!(s.customer_notice("acme", failed).await.unwrap(), None);
    assert_eq!(s.customer_notice("acme", 999_999).await.unwrap(), None);
    let hook = id_of("https://hooks.acme.test/t", "webhook.opened");
    assert_eq!(s.customer_notice("acme", hook).await.unwrap(), None);
}
