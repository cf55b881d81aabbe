//! Rolling-upgrade plans: stored with their lists in order, read back, listed newest first;
//! each action of each step recorded once, even when several connections race.

use tocsin_store::{AnyStore, PlannedStep, UpgradeAction, UpgradePlan, UpgradeStore};

fn plan(title: &str, members: &[&str], down: &[&str]) -> UpgradePlan {
    UpgradePlan {
        id: 0,
        title: title.into(),
        members: members.iter().map(|m| m.to_string()).collect(),
        checklist: vec!["changelog read".into(), "tested in the lab".into()],
        steps: members
            .iter()
            .map(|m| PlannedStep {
                member: m.to_string(),
                down_services: down.iter().map(|d| d.to_string()).collect(),
                at_risk_services: vec!["vps-1".into(), "vps-2".into()],
                at_risk_total: 2,
            })
            .collect(),
        blocked: !down.is_empty(),
        created_by: "eng".into(),
        created_ms: 1000,
    }
}

fn action(plan_id: i64, step: i64, action: &str, by: &str, at_ms: i64) -> UpgradeAction {
    UpgradeAction {
        plan_id,
        step,
        action: action.into(),
        by: by.into(),
        at_ms,
    }
}

pub async fn upgrade_plans_keep_their_order_and_actions_are_done_once(s: &AnyStore) {
    // Members in an order that is not sorted: the order is the plan.
    let first = plan("EVPN pair", &["sw-b", "sw-a"], &[]);
    let id = s.add_upgrade(&first).await.unwrap();
    let blocked = plan("Miswired pair", &["sw-c", "sw-d"], &["mail-1"]);
    let other = s.add_upgrade(&blocked).await.unwrap();
    assert_ne!(id, other);

    let got = s.upgrade(id).await.unwrap().unwrap();
    assert_eq!(got, UpgradePlan { id, ..first });
    assert_eq!(got.members, ["sw-b", "sw-a"]);
    let got = s.upgrade(other).await.unwrap().unwrap();
    assert!(got.blocked);
    assert_eq!(got.steps[1].down_services, ["mail-1"]);
    assert_eq!(s.upgrade(other + 100).await.unwrap(), None);

    let list: Vec<i64> = s.upgrades(10).await.unwrap().iter().map(|p| p.id).collect();
    assert_eq!(list, [other, id]);
    assert_eq!(s.upgrades(1).await.unwrap().len(), 1);
    // Lists of plans count the services at risk and leave their (long) lists out.
    let listed = s.upgrades(10).await.unwrap();
    let step = &listed.iter().find(|p| p.id == id).unwrap().steps[0];
    assert_eq!((step.at_risk_total, step.at_risk_services.len()), (2, 0));

    assert!(s
        .record_upgrade_action(&action(id, 1, "drain", "ana", 10))
        .await
        .unwrap());
    assert!(s
        .record_upgrade_action(&action(id, 1, "upgrade", "bo", 20))
        .await
        .unwrap());
    // The same action of the same step again is not recorded; the first one stays.
    assert!(!s
        .record_upgrade_action(&action(id, 1, "drain", "bo", 30))
        .await
        .unwrap());
    // The same action of another step, or of another plan, is another action.
    assert!(s
        .record_upgrade_action(&action(id, 2, "drain", "bo", 40))
        .await
        .unwrap());
    assert!(s
        .record_upgrade_action(&action(other, 1, "drain", "ana", 50))
        .await
        .unwrap());

    assert_eq!(
        s.upgrade_actions(id).await.unwrap(),
        [
            action(id, 1, "drain", "ana", 10),
            action(id, 1, "upgrade", "bo", 20),
            action(id, 2, "drain", "bo", 40),
        ]
    );
    assert_eq!(s.upgrade_actions(other).await.unwrap().len(), 1);
    assert!(s.upgrade_actions(other + 100).await.unwrap().is_empty());
}

pub async fn racing_instances_record_an_upgrade_action_once(s: &AnyStore) {
    let id = s
        .add_upgrade(&plan("Pair", &["sw-a", "sw-b"], &[]))
        .await
        .unwrap();
    // The same drain from several connections at once, as several instances would.
    let record = |by: &'static str| async move {
        s.record_upgrade_action(&action(id, 1, "drain", by, 1))
            .await
            .unwrap()
    };
    let done = tokio::join!(record("a"), record("b"), record("c"), record("d"));
    let done = [done.0, done.1, done.2, done.3];
    assert_eq!(done.iter().filter(|d| **d).count(), 1, "{done:?}");
    assert_eq!(s.upgrade_actions(id).await.unwrap().len(), 1);
}
