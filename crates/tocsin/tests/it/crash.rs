//! Reliability of the outbox: a server killed in the middle of a fan-out misses nobody after a
//! restart and repeats at most what was in flight; two instances on one PostgreSQL share the
//! outbox without sending anything twice.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;
use tocsin_store::{AnyStore, IncidentStore};

use crate::mail::Keeper;
use crate::serve::{alertmanager, fresh_postgres, http, start};

fn inventory(customers: usize) -> String {
    let mut y = String::from("version: 1\nnodes:\n  - {id: sw, kind: switch, labels: {instance: \"sw:9100\"}}\ncustomers:\n");
    for i in 0..customers {
        y.push_str(&format!("  - {{id: c{i}, name: Customer {i}, contacts: [{{email: u{i}@x.example, language: en}}]}}\n"));
    }
    y.push_str("services:\n");
    for i in 0..customers {
        y.push_str(&format!(
            "  - {{id: s{i}, customer: c{i}, name: vps {i}, requires: [sw]}}\n"
        ));
    }
    y
}

pub(crate) fn config(dir: &Path, name: &str, database: &str, smtp_port: u16) -> PathBuf {
    let config = dir.join(name);
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase = \"{database}\"\ninventory = \"inventory.yaml\"\n\
             [smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\nfrom = \"status@example.net\"\n[notify]\nhold_down = \"0s\"\n"
        ),
    )
    .unwrap();
    config
}

fn counts(messages: &[(String, String)]) -> BTreeMap<String, usize> {
    let mut c = BTreeMap::new();
    for (to, _) in messages {
        *c.entry(to.clone()).or_insert(0) += 1;
    }
    c
}

pub(crate) fn sent_recorded(database: &str) -> i64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = AnyStore::connect(database).await.unwrap();
        store.outbox_counts().await.unwrap().sent
    })
}

#[test]
fn a_kill_during_fan_out_misses_nobody_and_repeats_only_what_was_in_flight() {
    const N: usize = 3000;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inventory.yaml"), inventory(N)).unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let database = format!("sqlite://{}", dir.path().join("t.db").display());
    let config = config(dir.path(), "tocsin.toml", &database, keeper.port);
    let mut server = start(&config);
    let alert = alertmanager("firing", json!({"instance": "sw:9100"}), "fp");
    assert_eq!(
        http(&server.addr, "POST", "/api/v1/alerts/alertmanager", &alert).0,
        202
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while keeper.messages().len() < N / 5 {
        assert!(Instant::now() < deadline, "fan-out did not start");
        std::thread::sleep(Duration::from_millis(5));
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let delivered_before = keeper.messages().len();
    assert!(
        delivered_before < N,
        "the fan-out finished before the kill: nothing was tested"
    );
    let recorded = sent_recorded(&database) as usize;
    let in_flight = delivered_before.saturating_sub(recorded);

    let _restarted = start(&config);
    let got = keeper.wait_for(N, Duration::from_secs(120));
    std::thread::sleep(Duration::from_millis(1500));
    let got = keeper.messages().len().max(got.len());
    let per = counts(&keeper.messages());
    assert_eq!(per.len(), N, "missed: {} of {N}", N - per.len());
    let duplicates = got - N;
    assert!(
        duplicates <= in_flight,
        "{duplicates} duplicates but only {in_flight} were in flight (delivered {delivered_before}, recorded {recorded})"
    );
    eprintln!("killed after {delivered_before} delivered ({recorded} recorded): {duplicates} duplicates, bound {in_flight}");
}

#[test]
fn two_instances_on_one_postgres_send_everything_once() {
    let Some(database) = fresh_postgres("two") else {
        return;
    };
    const N: usize = 1000;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inventory.yaml"), inventory(N)).unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let a = start(&config(dir.path(), "a.toml", &database, keeper.port));
    let _b = start(&config(dir.path(), "b.toml", &database, keeper.port));
    let alert = alertmanager("firing", json!({"instance": "sw:9100"}), "fp");
    assert_eq!(
        http(&a.addr, "POST", "/api/v1/alerts/alertmanager", &alert).0,
        202
    );
    keeper.wait_for(N, Duration::from_secs(120));
    std::thread::sleep(Duration::from_millis(2000));
    let per = counts(&keeper.messages());
    assert_eq!(per.len(), N, "missed");
    let twice: Vec<_> = per.iter().filter(|(_, &n)| n > 1).collect();
    assert!(twice.is_empty(), "sent more than once: {twice:?}");
}
