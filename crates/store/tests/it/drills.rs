//! The drills register: drills kept as planned, at most one result per occurrence, even when
//! several instances record one at once.

use tocsin_store::{AnyStore, Drill, DrillResult, DrillStore};

fn drill(title: &str, targets: &[&str]) -> Drill {
    Drill {
        id: 0,
        title: title.into(),
        targets: targets.iter().map(|t| t.to_string()).collect(),
        rrule: "FREQ=MONTHLY;BYDAY=1TU".into(),
        start_ms: 1_796_115_600_000,
        duration_ms: 900_000,
        announced: false,
        created_by: "lead".into(),
        created_ms: 5,
    }
}

fn result(drill: i64, occurrence_ms: i64, outcome: &str, by: &str) -> DrillResult {
    DrillResult {
        id: 0,
        drill,
        occurrence_ms,
        outcome: outcome.into(),
        started_ms: occurrence_ms + 60_000,
        ended_ms: occurrence_ms + 960_000,
        notes: format!("by {by}: \"load\" held <ok>"),
        recorded_by: by.into(),
        recorded_ms: occurrence_ms + 2_000_000,
    }
}

pub async fn drills_are_kept_with_one_result_per_occurrence(s: &AnyStore) {
    assert_eq!(s.drills().await.unwrap(), []);
    let generator = drill("Generator under load", &["gen-a"]);
    let mut firewall = drill("Firewall failover", &["fw-a", "fw-b"]);
    firewall.announced = true;
    firewall.rrule = "FREQ=MONTHLY;BYDAY=2WE".into();
    let g = s.add_drill(&generator).await.unwrap();
    let f = s.add_drill(&firewall).await.unwrap();
    assert_ne!(g, f);

    let all = s.drills().await.unwrap();
    assert_eq!(
        all,
        [
            Drill {
                id: g,
                ..generator.clone()
            },
            Drill {
                id: f,
                ..firewall.clone()
            }
        ]
    );
    assert_eq!(s.drill(f).await.unwrap().unwrap().targets, ["fw-a", "fw-b"]);
    assert!(s.drill(f).await.unwrap().unwrap().announced);
    assert_eq!(s.drill(f + g + 100).await.unwrap(), None);

    let first = result(g, 1_000_000, "passed", "eng");
    let id = s.add_drill_result(&first).await.unwrap().unwrap();
    // A second result of the same occurrence is refused and changes nothing.
    assert_eq!(
        s.add_drill_result(&result(g, 1_000_000, "failed", "other"))
            .await
            .unwrap(),
        None
    );
    // Another occurrence, and the same instant of another drill, are their own.
    s.add_drill_result(&result(g, 2_000_000, "failed", "eng"))
        .await
        .unwrap()
        .unwrap();
    s.add_drill_result(&result(f, 1_000_000, "passed", "eng"))
        .await
        .unwrap()
        .unwrap();

    let results = s.drill_results(0).await.unwrap();
    let got: Vec<(i64, i64, &str)> = results
        .iter()
        .map(|r| (r.drill, r.occurrence_ms, r.outcome.as_str()))
        .collect();
    let mut want = vec![
        (g, 1_000_000, "passed"),
        (g, 2_000_000, "failed"),
        (f, 1_000_000, "passed"),
    ];
    want.sort();
    assert_eq!(got, want);
    let kept = results.iter().find(|r| r.id == id).unwrap();
    assert_eq!(kept, &DrillResult { id, ..first });
    assert_eq!(s.drill_results(1_500_000).await.unwrap().len(), 1);
}

pub async fn concurrent_drill_results_of_one_occurrence_keep_one(s: &AnyStore) {
    let d = s.add_drill(&drill("Generator", &["gen-a"])).await.unwrap();
    // Results of one occurrence racing on several connections, as several instances would.
    let add = |i: u32| async move {
        s.add_drill_result(&result(d, 7_000, "passed", &format!("eng{i}")))
            .await
            .unwrap()
            .is_some()
    };
    let added = tokio::join!(add(0), add(1), add(2), add(3), add(4), add(5));
    let added = [added.0, added.1, added.2, added.3, added.4, added.5];
    assert_eq!(added.iter().filter(|a| **a).count(), 1, "{added:?}");
    assert_eq!(s.drill_results(0).await.unwrap().len(), 1);
}
