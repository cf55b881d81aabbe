//! Alerts that map to no vertex: stored and reported, never dropped, but answered with a count
//! and a bounded sample, listed boundedly, and asserting nothing, so impact and what a restart
//! replays are untouched.

use std::collections::BTreeSet;

use serde_json::{json, Value};
use tocsin_store::{AnyStore, Store};

use crate::serve::{alertmanager, example_config, http, json_of, start, unsafe_sigterm};

/// How many unmatched alerts an answer names at most.
const SAMPLE: usize = 20;
/// How many unmatched alerts `GET /api/v1/alerts/unmatched` lists at most.
const LISTED: usize = 1000;

/// One Alertmanager notification of `n` firing alerts no vertex carries the labels of,
/// fingerprinted `PREFIX-0`…
fn unmatched_notification(prefix: &str, n: usize) -> String {
    let alerts: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "status": "firing",
                "labels": {"alertname": "Mystery", "instance": format!("nowhere-{i}:9100")},
                "annotations": {}, "startsAt": "2026-11-22T10:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prom",
                "fingerprint": format!("{prefix}-{i}"),
            })
        })
        .collect();
    json!({
        "version": "4", "status": "firing", "receiver": "tocsin", "groupKey": "{}:{}",
        "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am",
        "alerts": alerts,
    })
    .to_string()
}

fn listed(addr: &str) -> Vec<Value> {
    let (status, body) = http(addr, "GET", "/api/v1/alerts/unmatched", "");
    assert_eq!(status, 200, "{body}");
    json_of(&body)["unmatched"].as_array().unwrap().clone()
}

fn impact(addr: &str) -> Value {
    json_of(&http(addr, "GET", "/api/v1/impact", "").1)
}

fn stored(database: &str) -> (Vec<String>, i64) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = AnyStore::connect(database).await.unwrap();
        let asserted = store
            .assertions()
            .await
            .unwrap()
            .into_iter()
            .map(|a| format!("{}/{} {}", a.source, a.fingerprint, a.vertex))
            .collect();
        (asserted, store.alert_count().await.unwrap())
    })
}

#[test]
fn unmatched_alerts_are_counted_sampled_stored_and_assert_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let config = example_config(dir.path(), None, "http://status.example.net");
    let database = format!("sqlite://{}", dir.path().join("t.db").display());
    let server = start(&config);
    let addr = server.addr.clone();

    let (status, _) = http(
        &addr,
        "POST",
        "/api/v1/alerts/alertmanager",
        &alertmanager(
            "firing",
            json!({"alertname": "SwitchDown", "instance": "sw-a.mgmt:9100"}),
            "fp-sw-a",
        ),
    );
    assert_eq!(status, 202);
    let before = impact(&addr);
    assert_eq!(before["down"], json!(["hv-08", "sw-a", "vm-2", "vps-2"]));

    // 500 at once: all accepted and counted, a sample named in the same shape as ever.
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/alerts/alertmanager",
        &unmatched_notification("fp-u", 500),
    );
    assert_eq!(status, 202, "{body}");
    let report = json_of(&body);
    assert_eq!(report["accepted"], json!(500));
    assert_eq!(report["unmatched_count"], json!(500));
    let sample = report["unmatched"].as_array().unwrap();
    assert_eq!(sample.len(), SAMPLE, "{report}");
    for (i, u) in sample.iter().enumerate() {
        assert_eq!(
            u,
            &json!({"source": "alertmanager", "fingerprint": format!("fp-u-{i}")})
        );
    }
    assert_eq!(impact(&addr), before);

    // Every one is stored and listed.
    let fingerprints = |list: &[Value]| -> BTreeSet<String> {
        list.iter()
            .map(|u| u["fingerprint"].as_str().unwrap().to_owned())
            .collect()
    };
    let all: BTreeSet<String> = (0..500).map(|i| format!("fp-u-{i}")).collect();
    assert_eq!(fingerprints(&listed(&addr)), all);

    // A later resolution of one of them is accepted and stored, and changes nothing.
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/alerts/alertmanager",
        &alertmanager(
            "resolved",
            json!({"alertname": "Mystery", "instance": "nowhere-7:9100"}),
            "fp-u-7",
        ),
    );
    assert_eq!(status, 202, "{body}");
    let report = json_of(&body);
    assert_eq!(report["accepted"], json!(1));
    assert_eq!(report["unmatched_count"], json!(1));
    assert_eq!(impact(&addr), before);
    let newest = &listed(&addr)[0];
    assert_eq!(
        (&newest["fingerprint"], &newest["status"]),
        (&json!("fp-u-7"), &json!("resolved"))
    );

    // Stopped: the database holds every alert, and only the matched one asserts anything.
    let mut server = server;
    unsafe_sigterm(&server.child);
    assert!(server.child.wait().unwrap().success());
    let (asserted, count) = stored(&database);
    assert_eq!(asserted, ["alertmanager/fp-sw-a sw-a"]);
    assert_eq!(count, 502);

    // After a restart they are still listed and impact is what the matched alert makes it.
    let server = start(&config);
    let addr = server.addr.clone();
    assert_eq!(impact(&addr), before);
    let list = listed(&addr);
    assert_eq!(list.len(), 501);
    assert_eq!(fingerprints(&list), all);

    // The listing is bounded, newest first.
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/alerts/alertmanager",
        &unmatched_notification("fp-v", 700),
    );
    assert_eq!(status, 202, "{body}");
    assert_eq!(json_of(&body)["unmatched_count"], json!(700));
    let list = listed(&addr);
    assert_eq!(list.len(), LISTED);
    assert_eq!(list[0]["fingerprint"], json!("fp-v-699"));
    assert_eq!(impact(&addr), before);
}
