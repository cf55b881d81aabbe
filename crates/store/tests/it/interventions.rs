//! Interventions change with their ticket in one transaction and behind its version; sealed
//! values round-trip as the bytes given and are gone once set to nothing; envelopes keep
//! unique names, and an opening is recorded with its notices before the envelope is answered.

use tocsin_store::{
    AnyStore, Envelope, EnvelopeOpening, IncidentStore, Intervention, InterventionStore, NewNotice,
    Saved, TicketStore,
};

use crate::tickets::{event, ticket};

fn intervention(expires_ms: i64) -> Intervention {
    Intervention {
        ticket: 0,
        server: "vps-1".into(),
        action: "reset the root password".into(),
        complexity: "standard".into(),
        scope: "root password only".into(),
        expires_ms,
        backups_confirmed: true,
        interruption_accepted: true,
        authorised_by: "someone@acme.test".into(),
        authorised_ms: 1_000,
        revoked_by: None,
        revoked_ms: None,
        seal_ref: "00ff".into(),
        credentials: Some(vec![1, 0, 0, 0, 1, 0xde, 0xad, 0, 0xff]),
        purged_ms: None,
        new_credentials: None,
        new_credentials_ms: None,
        new_credentials_read_ms: None,
        summary: None,
    }
}

fn notice(to: &str) -> NewNotice {
    NewNotice {
        incident_id: 0,
        customer: String::new(),
        contact: to.into(),
        language: "en".into(),
        kind: "envelope-opened.1.5".into(),
        payload: "{}".into(),
        created_ms: 5,
    }
}

pub async fn interventions_change_with_their_ticket_only(s: &AnyStore) {
    let mut t = ticket("acme", "business", 5_000);
    t.kind = "intervention".into();
    let i = intervention(50_000);
    let Saved::Done { ticket: id, .. } = s
        .save_intervention(&t, &i, &[event("created", "help", None, 1_000)], &[])
        .await
        .unwrap()
    else {
        panic!("not saved")
    };
    let stored = s.ticket(id).await.unwrap().unwrap();
    assert_eq!(stored.kind, "intervention");
    let back = s.intervention(id).await.unwrap().unwrap();
    assert_eq!(
        back,
        Intervention {
            ticket: id,
            ..i.clone()
        }
    );
    // Debug shows the sealed bytes' length, not the bytes.
    assert!(!format!("{back:?}").contains("222"), "{back:?}");

    // A write from an older read changes neither the ticket nor the intervention.
    let revoked = Intervention {
        revoked_ms: Some(2_000),
        credentials: None,
        purged_ms: Some(2_000),
        ..back.clone()
    };
    let stale = tocsin_store::Ticket {
        version: 0,
        ..stored.clone()
    };
    assert_eq!(
        s.save_intervention(&stale, &revoked, &[], &[])
            .await
            .unwrap(),
        Saved::Conflict
    );
    assert_eq!(s.intervention(id).await.unwrap().unwrap(), back);
    assert!(matches!(
        s.save_intervention(&stored, &revoked, &[event("revoke", "", None, 2_000)], &[])
            .await
            .unwrap(),
        Saved::Done { .. }
    ));
    let now = s.intervention(id).await.unwrap().unwrap();
    assert_eq!(now.credentials, None);
    assert_eq!(now.revoked_ms, Some(2_000));
    assert_eq!(s.ticket_events(id).await.unwrap().len(), 2);
    assert!(s.intervention(id + 1000).await.unwrap().is_none());
}

pub async fn a_list_reads_its_tickets_interventions_at_once(s: &AnyStore) {
    let mut ids = Vec::new();
    for n in 0..5 {
        let mut t = ticket("acme", "business", 5_000 + n);
        let created = [event("created", "help", None, 1_000 + n)];
        let saved = if n % 2 == 0 {
            t.kind = "intervention".into();
            let mut i = intervention(50_000 + n);
            i.server = format!("vps-{n}");
            s.save_intervention(&t, &i, &created, &[]).await.unwrap()
        } else {
            s.save_ticket(&t, &created, &[]).await.unwrap()
        };
        let Saved::Done { ticket: id, .. } = saved else {
            panic!("not saved")
        };
        ids.push(id);
    }
    // Asked in any order, with a ticket that has none and one that does not exist.
    let asked = [ids[4], ids[1], ids[0], ids[2], ids[3] + 1_000];
    let found = s.interventions_of(&asked).await.unwrap();
    let mut expected = Vec::new();
    for id in [ids[0], ids[2], ids[4]] {
        expected.push(s.intervention(id).await.unwrap().unwrap());
    }
    assert_eq!(found, expected, "each ticket's own, by ticket");
    assert_eq!(found[1].server, "vps-2");
    assert!(s.interventions_of(&[]).await.unwrap().is_empty());
}

pub async fn expired_interventions_are_those_still_holding_credentials(s: &AnyStore) {
    let mut t = ticket("acme", "business", 5_000);
    t.kind = "intervention".into();
    let mut ids = Vec::new();
    for (expires, held) in [
        (30_000, true),
        (10_000, true),
        (20_000, false),
        (90_000, true),
    ] {
        let i = Intervention {
            credentials: held.then(|| vec![1, 2, 3]),
            ..intervention(expires)
        };
        match s.save_intervention(&t, &i, &[], &[]).await.unwrap() {
            Saved::Done { ticket, .. } => ids.push(ticket),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        s.interventions_expired(40_000, 10).await.unwrap(),
        vec![ids[1], ids[0]]
    );
    assert_eq!(
        s.interventions_expired(40_000, 1).await.unwrap(),
        vec![ids[1]]
    );
    assert!(s.interventions_expired(5_000, 10).await.unwrap().is_empty());
}

pub async fn envelopes_keep_their_names_and_every_opening(s: &AnyStore) {
    let e = Envelope {
        id: 0,
        name: "Social networks".into(),
        seal_ref: "r1".into(),
        secret: vec![9, 9, 9],
        sealed_by: "admin@provider.test".into(),
        sealed_ms: 1,
    };
    let id = s.seal_envelope(&e).await.unwrap().unwrap();
    assert_eq!(
        s.seal_envelope(&e).await.unwrap(),
        None,
        "the name is taken"
    );
    let before = s.outbox_counts().await.unwrap();
    let opening = EnvelopeOpening {
        id: 0,
        envelope: id,
        opened_by: "junior@provider.test".into(),
        reason: "the status page is down; post on the networks".into(),
        at_ms: 5,
    };
    let opened = s
        .open_envelope(
            &opening,
            &[notice("a@provider.test"), notice("b@provider.test")],
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(opened.secret, vec![9, 9, 9]);
    let after = s.outbox_counts().await.unwrap();
    assert_eq!(
        after.queued,
        before.queued + 2,
        "both admins' mail is queued"
    );
    assert!(s
        .open_envelope(
            &EnvelopeOpening {
                envelope: id + 100,
                ..opening.clone()
            },
            &[notice("c@x")]
        )
        .await
        .unwrap()
        .is_none());
    assert_eq!(s.outbox_counts().await.unwrap().queued, after.queued);
    // Resealed: a new secret, the openings kept; the listing never carries a secret.
    let resealed = Envelope {
        id,
        seal_ref: "r2".into(),
        secret: vec![7],
        sealed_ms: 9,
        ..e.clone()
    };
    assert_eq!(s.seal_envelope(&resealed).await.unwrap(), Some(id));
    let listed = s.envelopes().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].0.secret.is_empty());
    assert_eq!(listed[0].0.seal_ref, "r2");
    assert_eq!(listed[0].1.len(), 1);
    assert_eq!(listed[0].1[0].opened_by, "junior@provider.test");
    assert_eq!(
        s.seal_envelope(&Envelope {
            id: id + 100,
            ..resealed
        })
        .await
        .unwrap(),
        None
    );
}
