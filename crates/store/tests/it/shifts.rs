//! Shifts: lead shifts never overlap, who is on duty, the lead's e-mail address.

use tocsin_store::{AccountStore, AnyStore, NewAccount, OnDuty, Shift};

fn shift(login: &str, starts_ms: i64, ends_ms: i64, lead: bool) -> Shift {
    Shift {
        id: 0,
        login: login.into(),
        starts_ms,
        ends_ms,
        lead,
        created_by: "boss".into(),
        created_ms: 1,
    }
}

async fn account(s: &AnyStore, login: &str, email: Option<&str>) {
    s.create_account(&NewAccount {
        login,
        role: "shift_lead",
        customer: None,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
        email,
        created_ms: 1,
    })
    .await
    .unwrap()
    .unwrap();
}

pub async fn lead_shifts_never_overlap_and_name_who_is_on_duty(s: &AnyStore) {
    account(s, "ana", Some("ana@ops.example")).await;
    account(s, "bo", None).await;
    assert_eq!(
        s.account_by_login("ana").await.unwrap().unwrap().email,
        Some("ana@ops.example".into())
    );
    assert_eq!(s.account_by_login("bo").await.unwrap().unwrap().email, None);

    let first = s
        .add_shift(&shift("ana", 100, 200, true))
        .await
        .unwrap()
        .unwrap();
    // Touching is not overlapping: the end is excluded.
    let next = s
        .add_shift(&shift("bo", 200, 300, true))
        .await
        .unwrap()
        .unwrap();
    let refused = s
        .add_shift(&shift("bo", 150, 250, true))
        .await
        .unwrap()
        .unwrap_err();
    assert_eq!(refused.existing.id, first);
    assert_eq!(refused.existing.login, "ana");
    // A shift that does not lead may overlap anything.
    s.add_shift(&shift("bo", 150, 250, false))
        .await
        .unwrap()
        .unwrap();

    let all = s.shifts(0, 1000).await.unwrap();
    let got: Vec<(&str, i64, bool)> = all
        .iter()
        .map(|x| (x.login.as_str(), x.starts_ms, x.lead))
        .collect();
    assert_eq!(
        got,
        [("ana", 100, true), ("bo", 150, false), ("bo", 200, true)]
    );
    assert_eq!(all[2].id, next);
    assert_eq!(s.shifts(250, 260).await.unwrap().len(), 1);

    assert_eq!(
        s.on_duty(160).await.unwrap(),
        OnDuty {
            lead: Some("ana".into()),
            lead_email: Some("ana@ops.example".into()),
            on_duty: vec!["ana".into(), "bo".into()],
        }
    );
    assert_eq!(
        s.on_duty(220).await.unwrap(),
        OnDuty {
            lead: Some("bo".into()),
            lead_email: None,
            on_duty: vec!["bo".into()],
        }
    );
    assert_eq!(s.on_duty(300).await.unwrap(), OnDuty::default());
}

pub async fn concurrent_lead_shifts_are_refused_but_one(s: &AnyStore) {
    // Overlapping lead shifts racing on several connections, as several instances would.
    let add = |i: i64| async move {
        s.add_shift(&shift(&format!("lead{i}"), 1000 + i, 2000 + i, true))
            .await
            .unwrap()
            .is_ok()
    };
    let (a, b, c, d, e, f, g, h) = tokio::join!(
        add(0),
        add(1),
        add(2),
        add(3),
        add(4),
        add(5),
        add(6),
        add(7)
    );
    let added = [a, b, c, d, e, f, g, h];
    assert_eq!(added.iter().filter(|a| **a).count(), 1, "{added:?}");
    assert_eq!(s.shifts(0, 10_000).await.unwrap().len(), 1);
}
