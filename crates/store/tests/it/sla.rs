//! SLA accounting: outages recorded by staff, credits offered once per service and month with
//! their notices, the customer's choice, staff's decision, expiry, and the alert reads of the
//! availability timeline.

use tocsin_store::{
    AlertStatus, AnyStore, Credit, CreditChange, IncidentStore, NewAlert, NewCredit, NewNotice,
    Outage, SlaStore, Store, CREDIT_ID_PLACEHOLDER,
};

fn outage(down: &[&str], degraded: &[&str], start_ms: i64, end_ms: i64) -> Outage {
    Outage {
        id: 0,
        down: down.iter().map(|v| v.to_string()).collect(),
        degraded: degraded.iter().map(|v| v.to_string()).collect(),
        start_ms,
        end_ms,
        note: "UPS \"B\" <bypass>\nsecond line".into(),
        created_by: "eng".into(),
        created_ms: end_ms + 10,
    }
}

pub async fn outages_round_trip_and_overlap_half_open(s: &AnyStore) {
    assert_eq!(s.recent_outages(10).await.unwrap(), []);
    let first = outage(&["ups-b", "pdu-7"], &[], 1_000, 2_000);
    let second = outage(&[], &["sw-a"], 1_500, 5_000);
    let a = s.add_outage(&first).await.unwrap();
    let b = s.add_outage(&second).await.unwrap();
    assert!(a < b);
    let first = Outage { id: a, ..first };
    let second = Outage { id: b, ..second };

    assert_eq!(
        s.outages_between(0, 10_000).await.unwrap(),
        [first.clone(), second.clone()]
    );
    // [from, to) against [start, end): touching ends do not overlap.
    let ids = |list: Vec<Outage>| list.iter().map(|o| o.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.outages_between(0, 1_000).await.unwrap()),
        [] as [i64; 0]
    );
    assert_eq!(ids(s.outages_between(0, 1_001).await.unwrap()), [a]);
    assert_eq!(ids(s.outages_between(1_999, 2_000).await.unwrap()), [a, b]);
    assert_eq!(ids(s.outages_between(2_000, 3_000).await.unwrap()), [b]);
    assert_eq!(ids(s.outages_between(4_999, 9_000).await.unwrap()), [b]);
    assert_eq!(
        ids(s.outages_between(5_000, 9_000).await.unwrap()),
        [] as [i64; 0]
    );
    // Inside one outage, and spanning both.
    assert_eq!(ids(s.outages_between(3_000, 3_001).await.unwrap()), [b]);
    assert_eq!(ids(s.outages_between(1_200, 1_600).await.unwrap()), [a, b]);

    assert_eq!(s.recent_outages(10).await.unwrap(), [second.clone(), first]);
    assert_eq!(s.recent_outages(1).await.unwrap(), [second]);
}

fn credit(service: &str, customer: &str, month: &str, needs_approval: bool) -> NewCredit {
    NewCredit {
        service: service.into(),
        customer: customer.into(),
        month: month.into(),
        percent: "12.5".into(),
        net_minor: 150,
        vat_minor: 32,
        gross_minor: 182,
        currency: "EUR".into(),
        vat_rate: "21".into(),
        reverse_charge: false,
        month_seconds: 2_678_400,
        down_seconds: 4_321,
        offers: r#"[{"id":"credit","kind":"account_credit","value":"1.82"}]"#.into(),
        default_offer: "credit".into(),
        needs_approval,
        deadline_ms: 10_000,
        created_ms: 500,
    }
}

fn credit_notice(customer: &str, contact: &str) -> NewNotice {
    NewNotice {
        incident_id: 0,
        customer: customer.into(),
        contact: contact.into(),
        language: "cs".into(),
        kind: format!("sla.credit.{CREDIT_ID_PLACEHOLDER}.offered"),
        payload: format!(
            r#"{{"credit": {CREDIT_ID_PLACEHOLDER}, "link": "/account/credits/{CREDIT_ID_PLACEHOLDER}"}}"#
        ),
        created_ms: 500,
    }
}

/// The outbox's notices: (customer, contact, kind, payload).
async fn credit_notices(s: &AnyStore) -> Vec<(String, String, String, String)> {
    s.notices(1_000)
        .await
        .unwrap()
        .into_iter()
        .map(|(r, _, _)| {
            (
                r.notice.customer,
                r.notice.contact,
                r.notice.kind,
                r.notice.payload,
            )
        })
        .collect()
}

fn expect_done(change: CreditChange) -> Credit {
    match change {
        CreditChange::Done(c) => c,
        other => panic!("expected Done, got {other:?}"),
    }
}

fn expect_conflict(change: CreditChange) -> Credit {
    match change {
        CreditChange::Conflict(c) => c,
        other => panic!("expected Conflict, got {other:?}"),
    }
}

pub async fn credits_are_offered_once_per_service_and_month_with_their_notices(s: &AnyStore) {
    let vps = credit("vps-1", "acme", "2026-10", true);
    let mail = credit("mail-1", "acme", "2026-10", false);
    let ids = s
        .offer_credits(&[
            (
                vps.clone(),
                vec![
                    credit_notice("acme", "ops@acme.example"),
                    credit_notice("acme", "cfo@acme.example"),
                ],
            ),
            (
                mail.clone(),
                vec![credit_notice("acme", "ops@acme.example")],
            ),
        ])
        .await
        .unwrap();
    let (v, m) = (ids[0].unwrap(), ids[1].unwrap());
    assert_ne!(v, m);

    // Offered again (another instance, or a restart): the same service and month is refused
    // with its notices; a new month of the same service and another service are their own.
    let mut changed = vps.clone();
    changed.net_minor = 999;
    let next_month = credit("vps-1", "acme", "2026-11", true);
    let other = credit("web-1", "beta", "2026-10", true);
    let again = s
        .offer_credits(&[
            (changed, vec![credit_notice("acme", "late@acme.example")]),
            (next_month.clone(), vec![]),
            (
                other.clone(),
                vec![credit_notice("beta", "ops@beta.example")],
            ),
        ])
        .await
        .unwrap();
    assert_eq!(again[0], None);
    let (n, o) = (again[1].unwrap(), again[2].unwrap());
    assert_eq!(s.offer_credits(&[]).await.unwrap(), []);

    let offered = |id: i64, c: &NewCredit| Credit {
        id,
        credit: c.clone(),
        status: "offered".into(),
        choice: None,
        chosen_ms: None,
        reason: None,
        decided_by: None,
        decided_ms: None,
    };
    assert_eq!(s.credit(v).await.unwrap(), Some(offered(v, &vps)));
    assert_eq!(s.credit(o + n + v + m + 1).await.unwrap(), None);

    // The notices: one each, the placeholder replaced by the credit's id in kind and payload.
    let notice = |customer: &str, contact: &str, id: i64| {
        (
            customer.to_string(),
            contact.to_string(),
            format!("sla.credit.{id}.offered"),
            format!(r#"{{"credit": {id}, "link": "/account/credits/{id}"}}"#),
        )
    };
    // In no promised order across credits.
    let mut queued = credit_notices(s).await;
    queued.sort();
    let mut want = [
        notice("acme", "ops@acme.example", v),
        notice("acme", "cfo@acme.example", v),
        notice("acme", "ops@acme.example", m),
        notice("beta", "ops@beta.example", o),
    ];
    want.sort();
    assert_eq!(queued, want);

    // Listing: every filter alone and together, by id.
    let ids_of = |list: Vec<Credit>| list.iter().map(|c| c.id).collect::<Vec<_>>();
    let mut all = vec![v, m, n, o];
    all.sort_unstable();
    assert_eq!(ids_of(s.credits(None, None, None).await.unwrap()), all);
    let mut acme = vec![v, m, n];
    acme.sort_unstable();
    assert_eq!(
        ids_of(s.credits(Some("acme"), None, None).await.unwrap()),
        acme
    );
    let mut october = vec![v, m, o];
    october.sort_unstable();
    assert_eq!(
        ids_of(s.credits(None, None, Some("2026-10")).await.unwrap()),
        october
    );
    assert_eq!(
        s.credits(Some("acme"), Some("offered"), Some("2026-11"))
            .await
            .unwrap(),
        [offered(n, &next_month)]
    );
    assert_eq!(
        ids_of(s.credits(None, Some("chosen"), None).await.unwrap()),
        [] as [i64; 0]
    );
    assert_eq!(
        ids_of(s.credits(Some("nobody"), None, None).await.unwrap()),
        [] as [i64; 0]
    );
}

pub async fn concurrent_offers_make_each_credit_once(s: &AnyStore) {
    let batch: Vec<(NewCredit, Vec<NewNotice>)> = (0..6)
        .map(|i| {
            (
                credit(&format!("vps-{i}"), "acme", "2026-10", true),
                vec![credit_notice("acme", "ops@acme.example")],
            )
        })
        .collect();
    let reversed: Vec<_> = batch.iter().rev().cloned().collect();
    // Instances offering the same month at once, in different orders.
    let (a, b, c, d) = tokio::join!(
        s.offer_credits(&batch),
        s.offer_credits(&reversed),
        s.offer_credits(&batch),
        s.offer_credits(&reversed),
    );
    let (a, b, c, d) = (a.unwrap(), b.unwrap(), c.unwrap(), d.unwrap());
    for i in 0..6 {
        let got = [a[i], b[5 - i], c[i], d[5 - i]];
        assert_eq!(got.iter().flatten().count(), 1, "credit {i}: {got:?}");
    }
    assert_eq!(s.credits(None, None, None).await.unwrap().len(), 6);
    assert_eq!(credit_notices(s).await.len(), 6);
}

pub async fn the_customer_chooses_until_the_deadline(s: &AnyStore) {
    let big = credit("vps-1", "acme", "2026-10", true);
    let small = credit("mail-1", "acme", "2026-10", false);
    let late = credit("web-1", "acme", "2026-10", true);
    let ids = s
        .offer_credits(&[(big, vec![]), (small, vec![]), (late, vec![])])
        .await
        .unwrap();
    let (b, sm, l) = (ids[0].unwrap(), ids[1].unwrap(), ids[2].unwrap());

    // Another customer's credit, and no credit at all, are not found; nothing changes.
    assert_eq!(
        s.choose_credit(b, "beta", "credit", 1_000).await.unwrap(),
        CreditChange::NotFound
    );
    assert_eq!(
        s.choose_credit(b + sm + l + 1, "acme", "credit", 1_000)
            .await
            .unwrap(),
        CreditChange::NotFound
    );
    assert_eq!(s.credit(b).await.unwrap().unwrap().status, "offered");

    // A small credit is approved when chosen; then it cannot be chosen again.
    let c = expect_done(
        s.choose_credit(sm, "acme", "extension", 2_000)
            .await
            .unwrap(),
    );
    assert_eq!(
        (c.status.as_str(), c.choice.as_deref(), c.chosen_ms),
        ("approved", Some("extension"), Some(2_000))
    );
    assert_eq!(
        (c.decided_by.as_deref(), c.decided_ms, c.reason.as_deref()),
        (Some("auto"), Some(2_000), None)
    );
    let stands = expect_conflict(s.choose_credit(sm, "acme", "credit", 2_500).await.unwrap());
    assert_eq!(stands, c);

    // A larger one waits for staff, and the customer may change their mind meanwhile.
    let c = expect_done(
        s.choose_credit(b, "acme", "extension", 3_000)
            .await
            .unwrap(),
    );
    assert_eq!(
        (c.status.as_str(), c.choice.as_deref(), c.chosen_ms),
        ("chosen", Some("extension"), Some(3_000))
    );
    assert_eq!((c.decided_by, c.decided_ms), (None, None));
    let c = expect_done(s.choose_credit(b, "acme", "credit", 9_999).await.unwrap());
    assert_eq!(
        (c.status.as_str(), c.choice.as_deref(), c.chosen_ms),
        ("chosen", Some("credit"), Some(9_999))
    );
    assert_eq!(s.credit(b).await.unwrap(), Some(c.clone()));

    // At the deadline it is too late: the credit as it stands, unchanged.
    let stands = expect_conflict(
        s.choose_credit(b, "acme", "extension", 10_000)
            .await
            .unwrap(),
    );
    assert_eq!(stands, c);
    let stands = expect_conflict(s.choose_credit(l, "acme", "credit", 10_000).await.unwrap());
    assert_eq!((stands.status.as_str(), stands.choice), ("offered", None));
}

pub async fn staff_decide_chosen_and_expired_credits_only(s: &AnyStore) {
    let ids = s
        .offer_credits(&[
            (credit("vps-1", "acme", "2026-10", true), vec![]),
            (credit("vps-2", "acme", "2026-10", true), vec![]),
        ])
        .await
        .unwrap();
    let (a, b) = (ids[0].unwrap(), ids[1].unwrap());

    assert_eq!(
        s.decide_credit(a + b + 1, true, "ok", "lead", 1)
            .await
            .unwrap(),
        CreditChange::NotFound
    );
    // Not yet chosen: nothing to decide.
    let stands = expect_conflict(s.decide_credit(a, true, "ok", "lead", 1_000).await.unwrap());
    assert_eq!((stands.status.as_str(), stands.reason), ("offered", None));

    expect_done(s.choose_credit(a, "acme", "credit", 2_000).await.unwrap());
    let c = expect_done(
        s.decide_credit(a, false, "outage was announced", "lead", 3_000)
            .await
            .unwrap(),
    );
    assert_eq!(
        (
            c.status.as_str(),
            c.reason.as_deref(),
            c.decided_by.as_deref(),
            c.decided_ms
        ),
        (
            "rejected",
            Some("outage was announced"),
            Some("lead"),
            Some(3_000)
        )
    );
    assert_eq!(
        (c.choice.as_deref(), c.chosen_ms),
        (Some("credit"), Some(2_000))
    );
    // Decided once: a second decision, or a late choice, finds it as it stands.
    assert_eq!(
        expect_conflict(
            s.decide_credit(a, true, "changed my mind", "admin", 4_000)
                .await
                .unwrap()
        ),
        c
    );
    assert_eq!(
        expect_conflict(s.choose_credit(a, "acme", "credit", 4_000).await.unwrap()),
        c
    );

    // An expired credit is decided too.
    assert_eq!(s.expire_credits(10_000).await.unwrap().len(), 1);
    let c = expect_done(
        s.decide_credit(b, true, "fine", "admin", 11_000)
            .await
            .unwrap(),
    );
    assert_eq!(
        (
            c.status.as_str(),
            c.choice.as_deref(),
            c.decided_by.as_deref()
        ),
        ("approved", Some("credit"), Some("admin"))
    );
}

pub async fn expiry_answers_each_credit_once(s: &AnyStore) {
    let mut batch = Vec::new();
    for (i, deadline) in [100, 200, 200, 300].into_iter().enumerate() {
        let mut c = credit(&format!("vps-{i}"), "acme", "2026-10", true);
        c.deadline_ms = deadline;
        c.default_offer = format!("offer-{i}");
        batch.push((c, vec![]));
    }
    let ids: Vec<i64> = s
        .offer_credits(&batch)
        .await
        .unwrap()
        .into_iter()
        .map(Option::unwrap)
        .collect();
    // Chosen before its deadline: not expired.
    expect_done(
        s.choose_credit(ids[1], "acme", "credit", 150)
            .await
            .unwrap(),
    );

    assert_eq!(s.expire_credits(99).await.unwrap(), []);
    let expired = s.expire_credits(200).await.unwrap();
    let got: Vec<(i64, &str, Option<&str>)> = expired
        .iter()
        .map(|c| (c.id, c.status.as_str(), c.choice.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (ids[0], "expired", Some("offer-0")),
            (ids[2], "expired", Some("offer-2"))
        ]
    );
    assert_eq!(s.credit(ids[0]).await.unwrap().as_ref(), expired.first());
    assert_eq!(s.expire_credits(200).await.unwrap(), []);
    assert_eq!(s.credit(ids[1]).await.unwrap().unwrap().status, "chosen");

    // Several instances at once: the last one is answered to exactly one of them.
    let (a, b, c) = tokio::join!(
        s.expire_credits(300),
        s.expire_credits(300),
        s.expire_credits(1_000)
    );
    let mut answered: Vec<i64> = [a.unwrap(), b.unwrap(), c.unwrap()]
        .iter()
        .flatten()
        .map(|c| c.id)
        .collect();
    answered.sort_unstable();
    assert_eq!(answered, [ids[3]]);
    // An expired credit can no longer be chosen.
    let stands = expect_conflict(
        s.choose_credit(ids[3], "acme", "credit", 250)
            .await
            .unwrap(),
    );
    assert_eq!(
        (stands.status.as_str(), stands.choice.as_deref()),
        ("expired", Some("offer-3"))
    );
}

fn alert(source: &str, fp: &str, status: AlertStatus, vertices: &[&str], ms: i64) -> NewAlert {
    NewAlert {
        source: source.into(),
        fingerprint: fp.into(),
        status,
        state: "down".into(),
        vertices: vertices.iter().map(|v| v.to_string()).collect(),
        received_ms: ms,
        body_key: None,
    }
}

pub async fn alerts_are_read_latest_before_and_between(s: &AnyStore) {
    use AlertStatus::{Firing, Resolved};
    let batch = [
        alert("alertmanager", "a", Firing, &["sw-a"], 100),
        alert("alertmanager", "b", Firing, &["ups-b"], 150),
        // The same fingerprint at another source is another alert.
        alert("zabbix", "a", Firing, &["pdu-7"], 160),
        alert("alertmanager", "a", Resolved, &["sw-a"], 300),
        alert("alertmanager", "b", Resolved, &["ups-b"], 400),
        // The clock went back: received earlier, yet the latest of `a`.
        alert("alertmanager", "a", Firing, &["sw-a"], 250),
        alert("alertmanager", "c", Firing, &[], 500),
    ];
    let ids = s.ingest(&batch, &[]).await.unwrap();
    let seen = |rows: Vec<tocsin_store::AlertRow>| {
        rows.iter()
            .map(|r| {
                assert_eq!(r.alert, batch[ids.iter().position(|i| *i == r.id).unwrap()]);
                r.id
            })
            .collect::<Vec<_>>()
    };

    assert_eq!(
        seen(s.alerts_latest_before(100).await.unwrap()),
        [] as [i64; 0]
    );
    assert_eq!(seen(s.alerts_latest_before(101).await.unwrap()), [ids[0]]);
    assert_eq!(
        seen(s.alerts_latest_before(200).await.unwrap()),
        [ids[0], ids[1], ids[2]]
    );
    assert_eq!(
        seen(s.alerts_latest_before(260).await.unwrap()),
        [ids[1], ids[2], ids[5]]
    );
    assert_eq!(
        seen(s.alerts_latest_before(350).await.unwrap()),
        [ids[1], ids[2], ids[5]]
    );
    assert_eq!(
        seen(s.alerts_latest_before(1_000).await.unwrap()),
        [ids[2], ids[4], ids[5], ids[6]]
    );

    assert_eq!(
        seen(s.alerts_between(0, 100).await.unwrap()),
        [] as [i64; 0]
    );
    assert_eq!(
        seen(s.alerts_between(100, 160).await.unwrap()),
        [ids[0], ids[1]]
    );
    assert_eq!(
        seen(s.alerts_between(160, 400).await.unwrap()),
        [ids[2], ids[3], ids[5]]
    );
    assert_eq!(
        seen(s.alerts_between(400, 501).await.unwrap()),
        [ids[4], ids[6]]
    );
}

pub async fn only_an_offered_credit_is_revised(s: &AnyStore) {
    let first = credit("vps-1", "acme", "2026-10", false);
    let other = credit("vps-2", "acme", "2026-10", false);
    let ids = s
        .offer_credits(&[(first.clone(), vec![]), (other, vec![])])
        .await
        .unwrap();
    let (a, b) = (ids[0].unwrap(), ids[1].unwrap());
    let mut bigger = first.clone();
    bigger.percent = "100".into();
    bigger.net_minor *= 10;
    bigger.gross_minor *= 10;
    bigger.down_seconds += 3_600;
    bigger.needs_approval = true;
    assert!(s.revise_credit(a, &bigger).await.unwrap());
    let got = s.credit(a).await.unwrap().unwrap();
    assert_eq!(got.status, "offered");
    assert_eq!(
        (
            got.credit.percent.as_str(),
            got.credit.net_minor,
            got.credit.down_seconds,
            got.credit.needs_approval
        ),
        ("100", bigger.net_minor, bigger.down_seconds, true)
    );
    // What identifies it never changes.
    assert_eq!(
        (got.credit.service.as_str(), got.credit.created_ms),
        ("vps-1", first.created_ms)
    );
    // Once chosen (approved at once: small), it stands as it was.
    expect_done(s.choose_credit(b, "acme", "credit", 1_000).await.unwrap());
    let before = s.credit(b).await.unwrap().unwrap();
    assert!(!s.revise_credit(b, &bigger).await.unwrap());
    assert_eq!(s.credit(b).await.unwrap().unwrap(), before);
    assert!(!s.revise_credit(b + a + 1, &bigger).await.unwrap());
}
