//! The store's conformance suite: every test runs against SQLite, and against PostgreSQL when
//! `TOCSIN_TEST_POSTGRES` names a server (the test script starts one; under `CI` it must).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicU32, Ordering};

mod accounts;
mod customer_notices;
mod drills;
mod help;
mod interventions;
mod limits;
mod log;
mod outbox;
mod shifts;
mod sla;
mod tickets;
mod upgrades;

use accounts::*;
use customer_notices::*;
use drills::*;
use help::*;
use interventions::*;
use log::*;

use limits::*;

use outbox::*;

use shifts::*;

use sla::*;
use tickets::*;

use upgrades::*;

use tocsin_store::{
    AlertStatus, AnyStore, Assertion, AssertionChange, NewAlert, PgStore, SqliteStore, Store,
};

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A fresh SQLite database in a temporary directory (kept alive by the returned guard).
async fn sqlite() -> (AnyStore, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = AnyStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    (store, dir)
}

/// A fresh PostgreSQL database on the test server, or `None` outside CI without one.
async fn postgres() -> Option<AnyStore> {
    let Ok(admin_url) = std::env::var("TOCSIN_TEST_POSTGRES") else {
        if std::env::var_os("CI").is_some() {
            panic!("CI must run the store suite against PostgreSQL: TOCSIN_TEST_POSTGRES is unset");
        }
        eprintln!("TOCSIN_TEST_POSTGRES unset: PostgreSQL half of the suite skipped");
        return None;
    };
    let name = format!(
        "t_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let admin = PgStore::connect(&admin_url).await.unwrap();
    admin.create_database_for_tests(&name).await.unwrap();
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    let store = AnyStore::connect(&format!("{base}/{name}")).await.unwrap();
    store.migrate().await.unwrap();
    Some(store)
}

/// Runs `test` against every backend available.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite_backend {
            $(#[tokio::test] async fn $name() { let (s, _dir) = super::sqlite().await; super::$name(&s).await; })*
        }
        mod postgres_backend {
            $(#[tokio::test] async fn $name() { if let Some(s) = super::postgres().await { super::$name(&s).await; } })*
        }
    };
}

conformance!(
    migrations_are_idempotent,
    alerts_get_increasing_sequence_numbers,
    assertions_are_replaced_and_withdrawn_exactly,
    unmatched_alerts_are_kept_and_listed,
    changes_in_one_batch_apply_in_order,
    incidents_record_services_and_resolution,
    services_announced_in_the_batch_they_went_down_in_are_recorded_announced,
    heads_list_the_latest_and_every_open_incident_and_revisions_follow_services,
    a_customers_incidents_are_found_by_its_services,
    notices_are_queued_once_claimed_and_finished,
    claims_expire_and_can_be_released,
    claims_held_are_renewed_and_others_are_not,
    many_verdicts_are_recorded_each_with_its_own_key,
    expired_claims_come_first_then_rows_in_the_order_they_fell_due,
    updates_set_the_public_status,
    broadcasts_queue_once_per_contact_and_are_claimed_apart,
    accounts_are_unique_and_can_be_disabled,
    audit_is_kept_in_order_and_by_target,
    preferences_replace_and_find_by_feed_token,
    component_statuses_and_maintenance,
    cancelled_maintenance_is_kept_and_moves_bump_the_sequence,
    maintenance_on_targets_queues_its_notices_and_requeues_them_when_moved,
    the_log_is_read_in_order_after_a_position,
    concurrent_appends_are_read_without_gaps,
    a_former_leaders_write_is_fenced,
    deferred_downs_are_kept_until_settled,
    claims_of_instances_that_are_gone_are_given_back,
    service_changes_in_runs_keep_their_order,
    login_failures_count_in_fixed_windows,
    login_failures_are_cleared_and_purged,
    concurrent_login_failures_all_count,
    lead_shifts_never_overlap_and_name_who_is_on_duty,
    concurrent_lead_shifts_are_refused_but_one,
    upgrade_plans_keep_their_order_and_actions_are_done_once,
    racing_instances_record_an_upgrade_action_once,
    drills_are_kept_with_one_result_per_occurrence,
    concurrent_drill_results_of_one_occurrence_keep_one,
    outages_round_trip_and_overlap_half_open,
    credits_are_offered_once_per_service_and_month_with_their_notices,
    concurrent_offers_make_each_credit_once,
    the_customer_chooses_until_the_deadline,
    staff_decide_chosen_and_expired_credits_only,
    expiry_answers_each_credit_once,
    only_an_offered_credit_is_revised,
    alerts_are_read_latest_before_and_between,
    a_customer_reads_its_own_sent_notices_by_time,
    tickets_are_written_with_their_events_and_versions,
    the_queue_puts_breaches_first_then_due_times,
    merged_tickets_move_their_log,
    breaches_are_recorded_once_with_their_notices,
    canned_replies_are_listed_by_title,
    imported_tickets_keep_their_logs,
    interventions_change_with_their_ticket_only,
    a_list_reads_its_tickets_interventions_at_once,
    expired_interventions_are_those_still_holding_credentials,
    envelopes_keep_their_names_and_every_opening,
    help_articles_are_one_per_slug_and_language,
    an_updated_article_is_found_by_its_new_words_only,
    search_finds_word_forms_of_each_language_best_first,
    search_keeps_to_its_language,
    search_returns_at_most_its_limit,
    votes_count_once_per_voter_and_article,
    the_vote_key_is_drawn_once,
);

fn alert(fp: &str, status: AlertStatus, vertices: &[&str], ms: i64) -> NewAlert {
    NewAlert {
        source: "alertmanager".into(),
        fingerprint: fp.into(),
        status,
        state: "down".into(),
        vertices: vertices.iter().map(|s| s.to_string()).collect(),
        received_ms: ms,
        body_key: Some(format!("alerts/{fp}/{ms}")),
    }
}

async fn migrations_are_idempotent(s: &AnyStore) {
    s.migrate().await.unwrap();
    s.migrate().await.unwrap();
    s.ping().await.unwrap();
    assert_eq!(s.alert_count().await.unwrap(), 0);
}

async fn alerts_get_increasing_sequence_numbers(s: &AnyStore) {
    let batch: Vec<NewAlert> = (0..50)
        .map(|i| alert(&format!("f{i}"), AlertStatus::Firing, &["sw-a"], 1000 + i))
        .collect();
    let ids = s.ingest(&batch, &[]).await.unwrap();
    assert_eq!(ids.len(), 50);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    // Sequence numbers keep increasing even when the clock goes back (seed 002).
    let later = s
        .ingest(
            &[alert(
                "back",
                AlertStatus::Firing,
                &["sw-a"],
                -5_000_000_000,
            )],
            &[],
        )
        .await
        .unwrap();
    assert!(later[0] > ids[49]);
    assert_eq!(s.alert_count().await.unwrap(), 51);
}

async fn assertions_are_replaced_and_withdrawn_exactly(s: &AnyStore) {
    let replace = |fp: &str, vs: &[&str], state: &str| AssertionChange::Replace {
        source: "alertmanager".into(),
        fingerprint: fp.into(),
        state: state.into(),
        vertices: vs.iter().map(|v| v.to_string()).collect(),
        since_ms: 7,
    };
    s.ingest(
        &[alert("a", AlertStatus::Firing, &["sw-a", "sw-b"], 1)],
        &[
            replace("a", &["sw-a", "sw-b"], "down"),
            replace("b", &["sw-a"], "degraded"),
        ],
    )
    .await
    .unwrap();
    let all = s.assertions().await.unwrap();
    assert_eq!(all.len(), 3);
    // Replacing narrows fingerprint `a` to one vertex; `b` is untouched.
    s.ingest(&[], &[replace("a", &["sw-b"], "down")])
        .await
        .unwrap();
    let all = s.assertions().await.unwrap();
    let want = vec![
        Assertion {
            source: "alertmanager".into(),
            fingerprint: "a".into(),
            vertex: "sw-b".into(),
            state: "down".into(),
            since_ms: 7,
        },
        Assertion {
            source: "alertmanager".into(),
            fingerprint: "b".into(),
            vertex: "sw-a".into(),
            state: "degraded".into(),
            since_ms: 7,
        },
    ];
    assert_eq!(all, want);
    s.ingest(
        &[alert("a", AlertStatus::Resolved, &["sw-b"], 2)],
        &[AssertionChange::Withdraw {
            source: "alertmanager".into(),
            fingerprint: "a".into(),
        }],
    )
    .await
    .unwrap();
    assert_eq!(s.assertions().await.unwrap(), want[1..].to_vec());
}

async fn unmatched_alerts_are_kept_and_listed(s: &AnyStore) {
    s.ingest(
        &[
            alert("m1", AlertStatus::Firing, &["sw-a"], 1),
            alert("u1", AlertStatus::Firing, &[], 2),
            alert("u2", AlertStatus::Resolved, &[], 3),
        ],
        &[],
    )
    .await
    .unwrap();
    let unmatched = s.unmatched(10).await.unwrap();
    let fps: Vec<&str> = unmatched
        .iter()
        .map(|r| r.alert.fingerprint.as_str())
        .collect();
    assert_eq!(fps, ["u2", "u1"]);
    assert_eq!(
        unmatched[0].alert,
        alert("u2", AlertStatus::Resolved, &[], 3)
    );
    assert_eq!(s.unmatched(1).await.unwrap().len(), 1);
}

#[tokio::test]
async fn several_postgres_instances_migrate_at_once() {
    let Some(first) = postgres().await else {
        return;
    };
    drop(first);
    let Ok(admin_url) = std::env::var("TOCSIN_TEST_POSTGRES") else {
        return;
    };
    let name = format!("t_{}_concurrent", std::process::id());
    PgStore::connect(&admin_url)
        .await
        .unwrap()
        .create_database_for_tests(&name)
        .await
        .unwrap();
    let (base, _) = admin_url.rsplit_once('/').unwrap();
    let url = format!("{base}/{name}");
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let s = AnyStore::connect(&url).await.unwrap();
            s.migrate().await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

#[tokio::test]
async fn bad_urls_are_refused_with_the_url() {
    let err = AnyStore::connect("mysql://x").await.err().unwrap();
    assert!(err.to_string().contains("mysql://x"), "{err}");
    let _ = SqliteStore::connect("sqlite::memory:").await.unwrap();
}

async fn changes_in_one_batch_apply_in_order(s: &AnyStore) {
    let replace = |fp: &str, vs: &[&str]| AssertionChange::Replace {
        source: "g".into(),
        fingerprint: fp.into(),
        state: "down".into(),
        vertices: vs.iter().map(|v| v.to_string()).collect(),
        since_ms: 1,
    };
    let withdraw = |fp: &str| AssertionChange::Withdraw {
        source: "g".into(),
        fingerprint: fp.into(),
    };
    s.ingest(&[], &[replace("keep", &["a"]), replace("gone", &["b"])])
        .await
        .unwrap();
    // In one batch: `gone` is replaced then withdrawn, `back` withdrawn then asserted,
    // `keep` replaced twice.
    s.ingest(
        &[],
        &[
            replace("gone", &["c"]),
            withdraw("gone"),
            withdraw("back"),
            replace("back", &["d"]),
            replace("keep", &["e"]),
            replace("keep", &["f", "g"]),
        ],
    )
    .await
    .unwrap();
    let got: Vec<(String, String)> = s
        .assertions()
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.fingerprint, a.vertex))
        .collect();
    let want: Vec<(String, String)> = [("back", "d"), ("keep", "f"), ("keep", "g")]
        .iter()
        .map(|(f, v)| (f.to_string(), v.to_string()))
        .collect();
    assert_eq!(got, want);
    // Thousands of alerts in one batch go in several statements.
    let many: Vec<NewAlert> = (0..2500)
        .map(|i| alert(&format!("m{i}"), AlertStatus::Firing, &["sw-a"], i))
        .collect();
    let ids = s.ingest(&many, &[]).await.unwrap();
    assert_eq!(ids.len(), 2500);
    assert_eq!(s.alert_count().await.unwrap(), 2500);
}
