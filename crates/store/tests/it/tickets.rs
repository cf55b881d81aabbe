//! Tickets: written with their events and notices in one transaction, refused when changed
//! since read, a repeated message added once, the queue's order, merges and breaches
//! recorded once.

use tocsin_store::{
    AnyStore, CannedReply, IncidentStore, NewNotice, RecordedBreach, Saved, Ticket, TicketEvent,
    TicketFilter, TicketStore, EVENT_ID_PLACEHOLDER, NOTHING_DUE, TICKET_ID_PLACEHOLDER,
};

pub(crate) fn ticket(customer: &str, tier: &str, due_ms: i64) -> Ticket {
    Ticket {
        id: 0,
        kind: "ticket".into(),
        customer: Some(customer.into()),
        requester: None,
        subject: "Server \"web-1\" <down>".into(),
        department: "technical".into(),
        priority: "normal".into(),
        status: "open".into(),
        tier: tier.into(),
        language: "cs".into(),
        services: vec!["vps-1".into()],
        incidents: vec![7],
        assignee: None,
        merged_into: None,
        due_ms,
        breached: false,
        rating: None,
        rating_comment: None,
        rated_ms: None,
        created_ms: 1_000,
        updated_ms: 1_000,
        version: 0,
    }
}

pub(crate) fn event(kind: &str, body: &str, message_id: Option<&str>, at_ms: i64) -> TicketEvent {
    TicketEvent {
        id: 0,
        ticket: 0,
        kind: kind.into(),
        author: "alice@example.com".into(),
        body: body.into(),
        public: kind != "note",
        status: Some("open".into()),
        message_id: message_id.map(str::to_owned),
        attachments: "[]".into(),
        at_ms,
    }
}

async fn open(s: &AnyStore, t: &Ticket, events: &[TicketEvent]) -> (i64, Vec<i64>) {
    match s.save_ticket(t, events, &[]).await.unwrap() {
        Saved::Done { ticket, events } => (ticket, events),
        other => panic!("not saved: {other:?}"),
    }
}

pub async fn tickets_are_written_with_their_events_and_versions(s: &AnyStore) {
    let t = ticket("acme", "business", 5_000);
    let notice = NewNotice {
        incident_id: 0,
        customer: "acme".into(),
        contact: "ops@acme.example".into(),
        language: "cs".into(),
        kind: format!("ticket.received.{TICKET_ID_PLACEHOLDER}.{EVENT_ID_PLACEHOLDER}"),
        payload: format!("{{\"ticket\":{TICKET_ID_PLACEHOLDER}}}"),
        created_ms: 1_000,
    };
    let Saved::Done { ticket: id, events } = s
        .save_ticket(
            &t,
            &[event(
                "created",
                "it is down",
                Some("m1@acme.example"),
                1_000,
            )],
            &[notice],
        )
        .await
        .unwrap()
    else {
        panic!("not saved")
    };
    let stored = s.ticket(id).await.unwrap().unwrap();
    assert_eq!(
        stored,
        Ticket {
            id,
            version: 1,
            ..t
        }
    );
    let log = s.ticket_events(id).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].id, log[0].ticket), (events[0], id));
    assert_eq!(log[0].message_id.as_deref(), Some("m1@acme.example"));
    // The notice was queued with the ids filled in.
    let queued = s.notices(10).await.unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(
        queued[0].0.notice.kind,
        format!("ticket.received.{id}.{}", events[0])
    );
    assert_eq!(queued[0].0.notice.payload, format!("{{\"ticket\":{id}}}"));

    // A write from the version read succeeds once; the second, from the same read, is
    // refused and writes nothing.
    let reply = Ticket {
        status: "waiting_customer".into(),
        updated_ms: 2_000,
        ..stored.clone()
    };
    let (_, added) = open(s, &reply, &[event("reply", "try again", None, 2_000)]).await;
    assert_eq!(added.len(), 1);
    let stale = Ticket {
        status: "closed".into(),
        ..stored.clone()
    };
    assert_eq!(
        s.save_ticket(&stale, &[event("status", "", None, 2_500)], &[])
            .await
            .unwrap(),
        Saved::Conflict
    );
    let now = s.ticket(id).await.unwrap().unwrap();
    assert_eq!((now.status.as_str(), now.version), ("waiting_customer", 2));
    assert_eq!(s.ticket_events(id).await.unwrap().len(), 2);

    // A repeated message is answered with the ticket holding it, and nothing is written.
    let again = Ticket { ..now.clone() };
    assert_eq!(
        s.save_ticket(
            &again,
            &[event("customer", "again", Some("m1@acme.example"), 3_000)],
            &[]
        )
        .await
        .unwrap(),
        Saved::Duplicate(id)
    );
    assert_eq!(s.ticket(id).await.unwrap().unwrap().version, 2);
    assert_eq!(
        s.ticket_by_message(&["nope@x".into(), "m1@acme.example".into()])
            .await
            .unwrap(),
        Some(id)
    );
    assert_eq!(s.ticket_by_message(&["nope@x".into()]).await.unwrap(), None);
}

pub async fn the_queue_puts_breaches_first_then_due_times(s: &AnyStore) {
    let (a, _) = open(s, &ticket("acme", "business", 9_000), &[]).await;
    let (b, _) = open(s, &ticket("acme", "basic", 3_000), &[]).await;
    let (c, _) = open(
        s,
        &Ticket {
            breached: true,
            ..ticket("beta", "business", 20_000)
        },
        &[],
    )
    .await;
    let (d, _) = open(s, &ticket("beta", "business", NOTHING_DUE), &[]).await;
    let (_resolved, _) = open(
        s,
        &Ticket {
            status: "resolved".into(),
            ..ticket("beta", "business", 1)
        },
        &[],
    )
    .await;
    let ids = |list: Vec<Ticket>| list.iter().map(|t| t.id).collect::<Vec<_>>();
    assert_eq!(ids(s.ticket_queue(None, 10).await.unwrap()), [c, b, a, d]);
    assert_eq!(ids(s.ticket_queue(None, 2).await.unwrap()), [c, b]);
    assert_eq!(
        ids(s.ticket_queue(Some("business"), 10).await.unwrap()),
        [c, a, d]
    );
    assert_eq!(s.ticket_counts(100).await.unwrap(), (4, 1));
    assert_eq!(s.ticket_counts(3).await.unwrap(), (3, 1));
    assert_eq!(ids(s.tickets_due(9_000, 10).await.unwrap()), [b, a]);

    let all = ids(s
        .tickets(&TicketFilter {
            limit: 10,
            ..TicketFilter::default()
        })
        .await
        .unwrap());
    assert_eq!(all.len(), 5);
    assert!(all.windows(2).all(|w| w[0] > w[1]), "newest first: {all:?}");
    let beta_open = ids(s
        .tickets(&TicketFilter {
            customer: Some("beta".into()),
            status: Some("open".into()),
            limit: 10,
            before: None,
        })
        .await
        .unwrap());
    assert_eq!(beta_open, [d, c]);
    let page = ids(s
        .tickets(&TicketFilter {
            before: Some(c),
            limit: 10,
            ..TicketFilter::default()
        })
        .await
        .unwrap());
    assert_eq!(page, [b, a]);
}

pub async fn merged_tickets_move_their_log(s: &AnyStore) {
    let (a, _) = open(
        s,
        &ticket("acme", "business", 5_000),
        &[event("created", "one", Some("a@x"), 1_000)],
    )
    .await;
    let (b, _) = open(
        s,
        &ticket("acme", "business", 6_000),
        &[event("created", "two", Some("b@x"), 1_100)],
    )
    .await;
    let into = s.ticket(a).await.unwrap().unwrap();
    let from = s.ticket(b).await.unwrap().unwrap();
    let merged_from = Ticket {
        merged_into: Some(a),
        status: "closed".into(),
        ..from.clone()
    };
    let saved = s
        .merge_tickets(
            &into,
            &merged_from,
            &[event("merge", "merged T-2", None, 2_000)],
        )
        .await
        .unwrap();
    assert!(matches!(saved, Saved::Done { ticket, .. } if ticket == a));
    let log: Vec<String> = s
        .ticket_events(a)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.body)
        .collect();
    assert_eq!(log, ["one", "two", "merged T-2"]);
    assert!(s.ticket_events(b).await.unwrap().is_empty());
    assert_eq!(s.ticket_by_message(&["b@x".into()]).await.unwrap(), Some(a));
    let b_now = s.ticket(b).await.unwrap().unwrap();
    assert_eq!(b_now.merged_into, Some(a));
    assert!(!b_now.active());
    // The same merge again is refused: both were read at older versions.
    assert_eq!(
        s.merge_tickets(&into, &merged_from, &[]).await.unwrap(),
        Saved::Conflict
    );
    // Several tickets' logs read at once: each whole, together and in order; a ticket without
    // events (merged away) or unknown has none.
    let (c, _) = open(
        s,
        &ticket("beta", "business", 7_000),
        &[event("created", "three", None, 3_000)],
    )
    .await;
    let mut runs: Vec<(i64, Vec<String>)> = Vec::new();
    for e in s.ticket_events_of(&[c, b, a, 999_999]).await.unwrap() {
        match runs.last_mut() {
            Some((t, bodies)) if *t == e.ticket => bodies.push(e.body),
            _ => runs.push((e.ticket, vec![e.body])),
        }
    }
    runs.sort();
    let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        runs,
        [
            (a, strings(&["one", "two", "merged T-2"])),
            (c, strings(&["three"]))
        ]
    );
    assert!(s.ticket_events_of(&[]).await.unwrap().is_empty());
}

pub async fn breaches_are_recorded_once_with_their_notices(s: &AnyStore) {
    let (id, _) = open(s, &ticket("acme", "business", 5_000), &[]).await;
    let breach = RecordedBreach {
        ticket: id,
        target: "first_response".into(),
        due_ms: 5_000,
        recorded_ms: 5_100,
    };
    let notice = |to: &str| NewNotice {
        incident_id: 0,
        customer: String::new(),
        contact: to.into(),
        language: "en".into(),
        kind: format!("ticket.breach.{TICKET_ID_PLACEHOLDER}.first_response.5000"),
        payload: "{}".into(),
        created_ms: 5_100,
    };
    let first = s
        .record_breaches(&[(
            breach.clone(),
            vec![notice("lead@p.example"), notice("eng@p.example")],
        )])
        .await
        .unwrap();
    assert_eq!(first, std::slice::from_ref(&breach));
    let again = s
        .record_breaches(&[(
            RecordedBreach {
                recorded_ms: 9_000,
                ..breach.clone()
            },
            vec![notice("lead@p.example")],
        )])
        .await
        .unwrap();
    assert_eq!(again, []);
    assert_eq!(s.ticket_breaches(id).await.unwrap(), [breach]);
    let kinds: Vec<String> = s
        .notices(10)
        .await
        .unwrap()
        .into_iter()
        .map(|(row, _, _)| row.notice.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            format!("ticket.breach.{id}.first_response.5000"),
            format!("ticket.breach.{id}.first_response.5000")
        ]
    );
}

pub async fn canned_replies_are_listed_by_title(s: &AnyStore) {
    for title in ["Reboot", "Backup"] {
        s.add_canned_reply(&CannedReply {
            id: 0,
            title: title.into(),
            body: format!("{title} text"),
            language: "en".into(),
            created_by: "lead".into(),
            created_ms: 1,
        })
        .await
        .unwrap();
    }
    let titles: Vec<String> = s
        .canned_replies()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.title)
        .collect();
    assert_eq!(titles, ["Backup", "Reboot"]);
}

pub async fn imported_tickets_keep_their_logs(s: &AnyStore) {
    let a = Ticket {
        id: 99,
        version: 7,
        ..ticket("acme", "business", 5_000)
    };
    let b = ticket("beta", "basic", 6_000);
    let ids = s
        .import_tickets(&[
            (
                a.clone(),
                vec![event("created", "one", Some("imp-1@x"), 1_000)],
            ),
            (
                b,
                vec![
                    event("created", "two", None, 1_000),
                    event("reply", "ok", None, 2_000),
                ],
            ),
        ])
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let stored = s.ticket(ids[0]).await.unwrap().unwrap();
    assert_eq!(
        stored,
        Ticket {
            id: ids[0],
            version: 1,
            ..a
        }
    );
    assert_eq!(s.ticket_events(ids[1]).await.unwrap().len(), 2);
    // A message stored already refuses the whole import.
    let again = s
        .import_tickets(&[(
            ticket("acme", "basic", 1),
            vec![event("created", "x", Some("imp-1@x"), 1)],
        )])
        .await;
    assert!(again.is_err());
    assert_eq!(
        s.tickets(&TicketFilter {
            limit: 10,
            ..TicketFilter::default()
        })
        .await
        .unwrap()
        .len(),
        2
    );
}
