//! Accounts, sessions, tokens, audit, preferences, component statuses and maintenance.

use tocsin_store::{
    maintenance_kind, AccountStore, AnyStore, ComponentStatus, Delivery, DueNotice, IncidentStore,
    Maintenance, MaintenanceStore, NewAccount, OutboxRow, Preferences, WindowImpact,
};

fn new<'a>(login: &'a str, role: &'a str, customer: Option<&'a str>) -> NewAccount<'a> {
    NewAccount {
        login,
        role,
        customer,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
        email: None,
        created_ms: 1,
    }
}

pub async fn accounts_are_unique_and_can_be_disabled(s: &AnyStore) {
    let a = s
        .create_account(&new("ops@x", "admin", None))
        .await
        .unwrap();
    assert!(a.is_some());
    assert_eq!(
        s.create_account(&new("ops@x", "junior", None))
            .await
            .unwrap(),
        None
    );
    let c = s
        .create_account(&new("jana@c1", "customer", Some("c1")))
        .await
        .unwrap()
        .unwrap();
    let got = s.account_by_login("jana@c1").await.unwrap().unwrap();
    assert_eq!(
        (got.id, got.role.as_str(), got.customer.as_deref()),
        (c, "customer", Some("c1"))
    );
    assert!(!got.disabled);
    assert_eq!(s.accounts().await.unwrap().len(), 2);

    s.create_session("h1", c, "csrf1", 10, 100).await.unwrap();
    s.create_token("t1", c, "script", 10).await.unwrap();
    let session = s.session("h1", 50).await.unwrap().unwrap();
    assert_eq!((session.account.id, session.csrf.as_str()), (c, "csrf1"));
    assert!(
        s.session("h1", 100).await.unwrap().is_none(),
        "expired at 100"
    );
    assert!(s.session("nope", 50).await.unwrap().is_none());
    assert_eq!(s.token_account("t1").await.unwrap().unwrap().id, c);

    assert!(s.set_disabled("jana@c1", true).await.unwrap());
    assert!(
        s.session("h1", 50).await.unwrap().is_none(),
        "disabling ends sessions"
    );
    assert!(s.token_account("t1").await.unwrap().is_none(), "and tokens");
    assert!(s.set_password("jana@c1", "$argon2id$new").await.unwrap());
    let back = s.account_by_login("jana@c1").await.unwrap().unwrap();
    assert_eq!(
        (back.disabled, back.password_hash.as_str()),
        (false, "$argon2id$new")
    );
    assert!(!s.set_password("nobody", "x").await.unwrap());

    s.create_session("h2", c, "csrf2", 10, 20).await.unwrap();
    s.create_session("h3", c, "csrf3", 10, 200).await.unwrap();
    assert_eq!(s.purge_sessions(30).await.unwrap(), 1);
    s.delete_session("h3").await.unwrap();
    assert!(s.session("h3", 50).await.unwrap().is_none());
}

pub async fn audit_is_kept_in_order_and_by_target(s: &AnyStore) {
    s.audit(1, "eve", "vertex.down", "vertex:sw-a", "optic")
        .await
        .unwrap();
    s.audit(2, "bob", "incident.note", "incident:1", "vendor")
        .await
        .unwrap();
    s.audit(3, "eve", "vertex.up", "vertex:sw-a", "replaced")
        .await
        .unwrap();
    let all = s.audit_log(10, None).await.unwrap();
    let actions: Vec<&str> = all.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["vertex.up", "incident.note", "vertex.down"]);
    let sw = s.audit_log(10, Some("vertex:sw-a")).await.unwrap();
    assert_eq!(sw.len(), 2);
    assert_eq!(sw[1].detail, "optic");
    assert_eq!(s.audit_log(1, None).await.unwrap().len(), 1);
}

pub async fn preferences_replace_and_find_by_feed_token(s: &AnyStore) {
    assert_eq!(s.preferences("c1").await.unwrap(), None);
    let mut p = Preferences {
        language: Some("cs".into()),
        contacts: vec!["a@c1.cz".into(), "b@c1.cz".into()],
        webhook_url: Some("https://hooks.c1.cz/t".into()),
        webhook_secret: Some("s3cret".into()),
        feed_token: "tok1".into(),
        updated_ms: 5,
    };
    s.set_preferences("c1", &p).await.unwrap();
    assert_eq!(s.preferences("c1").await.unwrap().as_ref(), Some(&p));
    p.contacts.pop();
    p.webhook_url = None;
    p.feed_token = "tok2".into();
    s.set_preferences("c1", &p).await.unwrap();
    assert_eq!(s.preferences("c1").await.unwrap().as_ref(), Some(&p));
    assert_eq!(s.customer_by_feed_token("tok1").await.unwrap(), None);
    assert_eq!(
        s.customer_by_feed_token("tok2").await.unwrap().as_deref(),
        Some("c1")
    );
    assert_eq!(
        s.all_preferences().await.unwrap(),
        vec![("c1".to_owned(), p)]
    );
}

pub async fn component_statuses_and_maintenance(s: &AnyStore) {
    let set = ComponentStatus {
        component: "mail".into(),
        status: "degraded_performance".into(),
        note: "queue backlog".into(),
        set_by: "lead".into(),
        set_ms: 7,
    };
    s.set_component_status("mail", Some(&set)).await.unwrap();
    assert_eq!(s.component_statuses().await.unwrap(), vec![set.clone()]);
    let maint = ComponentStatus {
        status: "under_maintenance".into(),
        ..set
    };
    s.set_component_status("mail", Some(&maint)).await.unwrap();
    assert_eq!(s.component_statuses().await.unwrap(), vec![maint]);
    s.set_component_status("mail", None).await.unwrap();
    assert!(s.component_statuses().await.unwrap().is_empty());

    let m = |title: &str, starts_ms, ends_ms| Maintenance {
        id: 0,
        title: title.into(),
        body: "Firmware".into(),
        components: vec!["mail".into(), "dns".into()],
        starts_ms,
        ends_ms,
        created_by: "lead".into(),
        created_ms: 1,
        // Not read when adding: a new window is never cancelled and starts at sequence 0.
        cancelled_ms: Some(99),
        sequence: 42,
        updated_ms: 99,
        ..Maintenance::default()
    };
    let late = s.add_maintenance(&m("late", 500, 600), &[]).await.unwrap();
    let early = s.add_maintenance(&m("early", 100, 200), &[]).await.unwrap();
    let past = s.add_maintenance(&m("past", 10, 20), &[]).await.unwrap();
    let list = s.maintenances(50).await.unwrap();
    let ids: Vec<i64> = list.iter().map(|m| m.id).collect();
    assert_eq!(ids, [early, late]);
    assert_eq!(list[0].components, ["mail", "dns"]);
    assert_eq!(
        (list[0].cancelled_ms, list[0].sequence, list[0].updated_ms),
        (None, 0, 1)
    );
    let _ = past;
}

pub async fn cancelled_maintenance_is_kept_and_moves_bump_the_sequence(s: &AnyStore) {
    let window = |title: &str, starts_ms, ends_ms| Maintenance {
        id: 0,
        title: title.into(),
        body: String::new(),
        components: vec!["mail".into()],
        starts_ms,
        ends_ms,
        created_by: "lead".into(),
        created_ms: 5,
        cancelled_ms: None,
        sequence: 0,
        updated_ms: 5,
        ..Maintenance::default()
    };
    let a = s
        .add_maintenance(&window("a", 100, 200), &[])
        .await
        .unwrap();
    let b = s
        .add_maintenance(&window("b", 300, 400), &[])
        .await
        .unwrap();
    let of = |list: Vec<Maintenance>, id| list.into_iter().find(|m| m.id == id).unwrap();

    // Moving: new times, sequence up, updated when moved; ordering follows the new start.
    assert!(s
        .reschedule_maintenance(a, 500, 650, 20, &[])
        .await
        .unwrap());
    let list = s.maintenances(0).await.unwrap();
    assert_eq!(list.iter().map(|m| m.id).collect::<Vec<_>>(), [b, a]);
    let moved = of(list, a);
    assert_eq!((moved.starts_ms, moved.ends_ms), (500, 650));
    assert_eq!((moved.sequence, moved.updated_ms), (1, 20));
    assert_eq!((moved.created_ms, moved.cancelled_ms), (5, None));
    assert!(s
        .reschedule_maintenance(a, 510, 660, 21, &[])
        .await
        .unwrap());
    assert_eq!(of(s.maintenances(0).await.unwrap(), a).sequence, 2);

    // Cancelling marks the window instead of deleting it, once.
    assert!(s.cancel_maintenance(a, 30, &[]).await.unwrap());
    assert!(!s.cancel_maintenance(a, 31, &[]).await.unwrap());
    let list = s.maintenances(0).await.unwrap();
    assert_eq!(list.len(), 2, "cancelled windows are still listed");
    let cancelled = of(list.clone(), a);
    assert_eq!(cancelled.cancelled_ms, Some(30));
    assert_eq!((cancelled.sequence, cancelled.updated_ms), (3, 30));
    assert_eq!((cancelled.starts_ms, cancelled.ends_ms), (510, 660));
    assert_eq!(of(list, b).cancelled_ms, None);
    // The horizon is the window's (planned) end, cancelled or not.
    assert_eq!(s.maintenances(661).await.unwrap().len(), 0);
    assert_eq!(s.maintenances(660).await.unwrap().len(), 1);

    // A cancelled window cannot be moved; unknown ids are neither moved nor cancelled.
    assert!(!s
        .reschedule_maintenance(a, 700, 800, 40, &[])
        .await
        .unwrap());
    assert_eq!(of(s.maintenances(0).await.unwrap(), a).sequence, 3);
    assert!(!s
        .reschedule_maintenance(9999, 700, 800, 40, &[])
        .await
        .unwrap());
    assert!(!s.cancel_maintenance(9999, 40, &[]).await.unwrap());
}

pub async fn maintenance_on_targets_queues_its_notices_and_requeues_them_when_moved(s: &AnyStore) {
    let impact = WindowImpact {
        down_services: vec!["vps-1".into()],
        at_risk_services: vec!["vps-2".into()],
        affected_customers: vec!["acme".into()],
        at_risk_customers: vec!["beta".into()],
        at_risk_services_total: 1,
        at_risk_customers_total: 1,
    };
    let m = Maintenance {
        title: "Switch firmware".into(),
        body: "One switch of the pair.".into(),
        components: vec!["vps".into()],
        starts_ms: 100_000,
        ends_ms: 200_000,
        created_by: "lead".into(),
        created_ms: 1_000,
        targets: vec!["sw-a".into()],
        notify_ms: vec![50_000, 10_000],
        impact: impact.clone(),
        ..Maintenance::default()
    };
    let due = |kind: &str, due_ms| DueNotice {
        customer: "acme".into(),
        contact: "ops@acme.example".into(),
        language: "cs".into(),
        kind: kind.into(),
        payload: "{}".into(),
        due_ms,
    };
    let id = s
        .add_maintenance(
            &m,
            &[
                due("announced", 1_000),
                due("reminder.0.50000", 50_000),
                due("reminder.0.10000", 90_000),
            ],
        )
        .await
        .unwrap();
    let read = s.maintenance(id).await.unwrap().unwrap();
    assert_eq!(read.targets, ["sw-a"]);
    assert_eq!(read.notify_ms, [50_000, 10_000]);
    assert_eq!(read.impact, impact);
    // Lists of windows count what is only at risk and leave its long lists out.
    let listed = s.maintenances(0).await.unwrap();
    let listed = &listed.iter().find(|w| w.id == id).unwrap().impact;
    assert_eq!(
        (
            listed.at_risk_services_total,
            listed.at_risk_customers_total
        ),
        (1, 1)
    );
    assert!(listed.at_risk_services.is_empty() && listed.at_risk_customers.is_empty());
    assert_eq!(listed.down_services, impact.down_services);
    assert!(s.maintenance(id + 1000).await.unwrap().is_none());
    assert_eq!(read.drill, None);
    // An announced drill's occurrence gets one window, however often it is planned.
    let drill = Maintenance {
        drill: Some((7, 100_000)),
        ..m.clone()
    };
    let d = s.add_maintenance(&drill, &[]).await.unwrap();
    assert_eq!(
        s.maintenance(d).await.unwrap().unwrap().drill,
        Some((7, 100_000))
    );
    assert!(s.add_maintenance(&drill, &[]).await.is_err());
    s.cancel_maintenance(d, 1_000, &[]).await.unwrap();

    let kinds = |rows: Vec<OutboxRow>| {
        let mut k: Vec<String> = rows.into_iter().map(|r| r.notice.kind).collect();
        k.sort();
        k
    };
    // Only what is due goes out: the announcement now, the reminders at their times.
    let now = s.claim_notices(1_000, 10, 60_000).await.unwrap();
    assert_eq!(kinds(now.clone()), [maintenance_kind(id, "announced")]);
    assert_eq!(now[0].notice.incident_id, 0);
    let done: Vec<_> = now
        .iter()
        .map(|r| (r.id, Delivery::Sent { message_key: None }))
        .collect();
    s.finish_notices(&done, 1_001).await.unwrap();

    // Moved at 60 s: the reminder not yet due is dropped, the new ones and the moved notice
    // are queued; what was sent stays sent.
    assert!(s
        .reschedule_maintenance(
            id,
            300_000,
            400_000,
            60_000,
            &[due("moved.1", 60_000), due("reminder.1.10000", 290_000)],
        )
        .await
        .unwrap());
    let at_60 = s.claim_notices(60_000, 10, 60_000).await.unwrap();
    assert_eq!(
        kinds(at_60.clone()),
        [
            maintenance_kind(id, "moved.1"),
            maintenance_kind(id, "reminder.0.50000")
        ],
        "the reminder due before the move still goes out"
    );
    let done: Vec<_> = at_60
        .iter()
        .map(|r| (r.id, Delivery::Sent { message_key: None }))
        .collect();
    s.finish_notices(&done, 60_001).await.unwrap();
    assert!(
        s.claim_notices(100_000, 10, 60_000)
            .await
            .unwrap()
            .is_empty(),
        "the old 90 s reminder is gone"
    );

    // Cancelled: the pending reminder is dropped, the cancellation queued.
    assert!(s
        .cancel_maintenance(id, 70_000, &[due("cancelled", 70_000)])
        .await
        .unwrap());
    let last = s.claim_notices(1_000_000, 10, 60_000).await.unwrap();
    assert_eq!(kinds(last.clone()), [maintenance_kind(id, "cancelled")]);
    let done: Vec<_> = last
        .iter()
        .map(|r| (r.id, Delivery::Sent { message_key: None }))
        .collect();
    s.finish_notices(&done, 1_000_001).await.unwrap();
    // A second cancellation changes and queues nothing.
    assert!(!s
        .cancel_maintenance(id, 80_000, &[due("cancelled.again", 80_000)])
        .await
        .unwrap());
    assert!(s
        .claim_notices(2_000_000, 10, 60_000)
        .await
        .unwrap()
        .is_empty());
}
