//! Unit tests of the status outputs on the spec's example inventory.

use std::sync::Arc;

use tocsin_model::inventory::Language;
use tocsin_model::{Impact, Inventory};
use tocsin_store::{IncidentRow, IncidentServiceRow, IncidentUpdate};

use super::snapshot::{build, LiveView, Stored};
use super::*;

pub(crate) fn inventory() -> Inventory {
    let text = include_str!("../../../inventory/tests/fixtures/good/spec-example.yaml");
    tocsin_inventory::load_str("spec-example.yaml", text).unwrap()
}

const NOW: i64 = 1_795_341_600_000;

fn stored(hostile: &str) -> Stored {
    let services = vec![IncidentServiceRow {
        service: "vps-1042".into(),
        customer: Some("acme".into()),
        down_since_ms: Some(NOW - 3_600_000),
        down_total_ms: 0,
        first_down_ms: NOW - 3_600_000,
        announced: true,
    }];
    Stored {
        incidents: vec![Arc::new(IncidentRow {
            id: 7,
            status: "identified".into(),
            title: "sw-a (switch)".into(),
            roots: vec!["sw-a".into()],
            opened_ms: NOW - 3_600_000,
            resolved_ms: None,
            services,
        })],
        updates: vec![vec![IncidentUpdate {
            id: 3,
            status: "identified".into(),
            body: hostile.into(),
            public: true,
            author: "lead".into(),
            at_ms: NOW - 60_000,
        }]],
        history: vec![],
        component_statuses: vec![],
        maintenances: vec![],
    }
}

fn meta() -> Meta {
    Meta {
        page_id: "p".into(),
        name: "Example <Hosting>".into(),
        url: "https://status.example.net".into(),
        created_ms: NOW,
        updated_ms: NOW,
        component_since: vec![NOW],
    }
}

fn down_snapshot(body: &str) -> snapshot::Snapshot {
    let inv = Arc::new(inventory());
    let mut impact = Impact::new(Arc::clone(&inv.graph));
    let mut changes = Vec::new();
    let hv = inv.graph.find("hv-07").unwrap();
    impact.observe(hv, tocsin_model::State::Down, &mut changes);
    build(&LiveView::of(&inv, &impact), &stored(body), NOW)
}

#[test]
fn a_down_only_service_takes_its_component_to_major_outage() {
    let s = down_snapshot("x");
    assert_eq!(s.components.len(), 1);
    let c = &s.components[0];
    assert_eq!(
        (c.id.as_str(), c.status, c.down, c.services),
        ("vps-dc1", "major_outage", 1, 1)
    );
    // One hour down today out of the ten hours so far.
    assert_eq!(c.daily[89], Some(90.0));
    assert_eq!(c.daily[88], Some(100.0));
    assert_eq!(api::indicator(&s), "critical");
    let summary = api::summary(&s, &meta());
    assert_eq!(summary["components"][0]["status"], "major_outage");
    assert_eq!(summary["components"][1]["group"], true);
    assert_eq!(summary["components"][1]["components"][0], "vps-dc1");
    assert_eq!(
        summary["components"][0]["group_id"],
        summary["components"][1]["id"]
    );
    assert_eq!(summary["incidents"][0]["impact"], "major");
    let text = summary.to_string();
    assert!(!text.contains("acme") && !text.contains("sw-a"), "{text}");
}

#[test]
fn hostile_text_is_escaped_everywhere() {
    let hostile = "<script>alert(1)</script>&amp;";
    let s = down_snapshot(hostile);
    let env = page::environment().unwrap();
    for l in Language::ALL {
        let html = page::render(&env, &s, &meta(), l, page::Links::Query).unwrap();
        assert!(!html.contains("<script>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;&amp;amp;"),
            "{html}"
        );
        assert!(html.contains("Example &lt;Hosting&gt;"));
        assert!(html.contains(&format!("<html lang=\"{}\">", l.code())));
    }
    let atom = feeds::atom(&s, &meta());
    assert!(!atom.contains("<script>"));
    assert!(atom.contains("&amp;lt;script&amp;gt;"), "{atom}");
}

#[test]
fn every_output_renders_and_the_openapi_document_parses() {
    let s = down_snapshot("x");
    let env = page::environment().unwrap();
    for which in Output::all() {
        let bytes = output(&env, &s, &meta(), which, page::Links::Files).unwrap();
        assert!(!bytes.is_empty(), "{which:?}");
    }
    let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
    assert!(doc["paths"]["/api/v2/summary.json"].is_object());
    assert!(doc["paths"]["/api/v1/alerts"].is_object());
    let ics = feeds::ics(&s, &meta());
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:"));
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
}

#[test]
fn page_and_summary_snapshots() {
    let s = down_snapshot("Moving VMs to hv-08.\nNext update in 30 min.");
    let env = page::environment().unwrap();
    let html = page::render(&env, &s, &meta(), Language::Cs, page::Links::Files).unwrap();
    insta::assert_snapshot!("page_cs", html);
    let summary = serde_json::to_string_pretty(&api::summary(&s, &meta())).unwrap();
    insta::assert_snapshot!("summary", summary);
    insta::assert_snapshot!("atom", feeds::atom(&s, &meta()));
}

#[tokio::test]
async fn an_open_incident_stays_listed_however_many_follow_and_notes_stay_out() {
    use tocsin_store::{AnyStore, IncidentChange, IncidentStore, Store};
    let store = AnyStore::connect("sqlite::memory:").await.unwrap();
    store.migrate().await.unwrap();
    let mut changes = Vec::new();
    for id in 1..=60 {
        changes.push(IncidentChange::Open {
            id,
            title: "t".into(),
            roots: vec![],
            at_ms: id,
        });
        if id > 1 {
            changes.push(IncidentChange::Resolve { id, at_ms: id + 1 });
        }
    }
    store.record(&changes, &[]).await.unwrap();
    store
        .add_update(1, "identified", "public words", true, "lead", 5)
        .await
        .unwrap();
    store
        .add_update(1, "identified", "internal note", false, "eng", 6)
        .await
        .unwrap();
    let stored = super::reading::Reader::default()
        .read(&store, NOW)
        .await
        .unwrap();
    assert_eq!(stored.incidents.len(), snapshot::LISTED + 1);
    assert_eq!(stored.incidents[0].id, 60);
    let last = stored.incidents.len() - 1;
    assert_eq!(stored.incidents[last].id, 1);
    let bodies: Vec<&str> = stored.updates[last]
        .iter()
        .map(|u| u.body.as_str())
        .collect();
    assert_eq!(bodies, ["public words"]);
}

#[tokio::test]
async fn services_are_read_again_only_when_the_incident_changed() {
    use tocsin_store::{AnyStore, IncidentChange, IncidentStore, Store};
    let store = AnyStore::connect("sqlite::memory:").await.unwrap();
    store.migrate().await.unwrap();
    let down = |id: i64, service: &str, at_ms: i64| IncidentChange::ServiceDown {
        id,
        service: service.into(),
        customer: Some("acme".into()),
        at_ms,
    };
    let open = |id: i64| IncidentChange::Open {
        id,
        title: "t".into(),
        roots: vec![],
        at_ms: id,
    };
    store
        .record(
            &[open(1), down(1, "s-1", 1), open(2), down(2, "s-2", 2)],
            &[],
        )
        .await
        .unwrap();
    let mut reader = super::reading::Reader::default();
    let first = reader.read(&store, NOW).await.unwrap();
    let ids = |s: &Stored| s.incidents.iter().map(|i| i.id).collect::<Vec<_>>();
    assert_eq!(ids(&first), [2, 1]);

    // Nothing changed: the very same incidents, services not read again.
    let second = reader.read(&store, NOW).await.unwrap();
    for (a, b) in first.incidents.iter().zip(&second.incidents) {
        assert!(Arc::ptr_eq(a, b), "incident {} read again", a.id);
    }

    // A service of incident 1 goes down, and incident 2 gets a public update: 1 is read
    // again with its new service, 2 with its new status; both as the store has them now.
    store.record(&[down(1, "s-3", 3)], &[]).await.unwrap();
    store
        .add_update(2, "identified", "words", true, "lead", 4)
        .await
        .unwrap();
    let third = reader.read(&store, NOW).await.unwrap();
    assert_eq!(ids(&third), [2, 1]);
    for (row, was) in third.incidents.iter().zip(&second.incidents) {
        assert!(!Arc::ptr_eq(row, was), "incident {} kept", row.id);
        assert_eq!(**row, store.incident(row.id).await.unwrap().unwrap());
    }
    assert_eq!(third.incidents[0].status, "identified");
    assert_eq!(third.incidents[1].services.len(), 2);
    assert_eq!(third.updates[0].len(), 1);
}

fn window(id: i64, starts_ms: i64, ends_ms: i64, title: &str) -> tocsin_store::Maintenance {
    tocsin_store::Maintenance {
        id,
        title: title.into(),
        body: "Firmware of the core switches; a few seconds of loss per port.".into(),
        components: vec!["vps-dc1".into()],
        starts_ms,
        ends_ms,
        created_by: "lead".into(),
        created_ms: NOW - 86_400_000,
        cancelled_ms: None,
        sequence: 0,
        updated_ms: NOW - 86_400_000,
        ..tocsin_store::Maintenance::default()
    }
}

fn up_snapshot(stored: &Stored) -> snapshot::Snapshot {
    let inv = Arc::new(inventory());
    let impact = Impact::new(Arc::clone(&inv.graph));
    build(&LiveView::of(&inv, &impact), stored, NOW)
}

fn empty_stored() -> Stored {
    Stored {
        incidents: vec![],
        updates: vec![],
        history: vec![],
        component_statuses: vec![],
        maintenances: vec![],
    }
}

#[test]
fn a_status_set_by_hand_shows_unless_an_outage_is_computed() {
    let mut set = empty_stored();
    set.component_statuses = vec![tocsin_store::ComponentStatus {
        component: "vps-dc1".into(),
        status: "degraded_performance".into(),
        note: "internal: slow SAN".into(),
        set_by: "lead".into(),
        set_ms: NOW,
    }];
    let s = up_snapshot(&set);
    assert_eq!(s.components[0].status, "degraded_performance");
    assert_eq!(api::indicator(&s), "minor");
    let summary = api::summary(&s, &meta()).to_string();
    assert!(summary.contains("\"degraded_performance\""), "{summary}");
    assert!(
        !summary.contains("slow SAN"),
        "staff notes stay out: {summary}"
    );
    // The same hand-set status under a real outage: the outage shows.
    let mut down = stored("x");
    down.component_statuses = set.component_statuses.clone();
    let inv = Arc::new(inventory());
    let mut impact = Impact::new(Arc::clone(&inv.graph));
    impact.observe(
        inv.graph.find("hv-07").unwrap(),
        tocsin_model::State::Down,
        &mut Vec::new(),
    );
    let s = build(&LiveView::of(&inv, &impact), &down, NOW);
    assert_eq!(s.components[0].status, "major_outage");
}

#[test]
fn maintenance_windows_reach_the_page_the_summary_and_the_calendar() {
    let mut stored = empty_stored();
    stored.maintenances = vec![
        window(
            4,
            NOW + 3_600_000,
            NOW + 7_200_000,
            "Core <switch> upgrade; phase 1, night",
        ),
        window(3, NOW - 40 * 86_400_000, NOW - 39 * 86_400_000, "long ago"),
        window(2, NOW - 86_400_000, NOW - 86_000_000, "yesterday"),
    ];
    let s = up_snapshot(&stored);
    // Scheduled, not yet under way: the component is still operational.
    assert_eq!(s.components[0].status, "operational");
    let summary = api::summary(&s, &meta());
    let sm = summary["scheduled_maintenances"].as_array().unwrap();
    assert_eq!(sm.len(), 1, "{summary}");
    assert_eq!(sm[0]["status"], "scheduled");
    assert_eq!(sm[0]["impact"], "maintenance");
    assert_eq!(sm[0]["scheduled_for"], time::rfc3339(NOW + 3_600_000));
    assert_eq!(sm[0]["scheduled_until"], time::rfc3339(NOW + 7_200_000));
    assert_eq!(sm[0]["components"][0]["id"], "vps-dc1");
    let env = page::environment().unwrap();
    let html = page::render(&env, &s, &meta(), Language::En, page::Links::Query).unwrap();
    assert!(html.contains("Core &lt;switch&gt; upgrade"), "{html}");
    assert!(!html.contains("No maintenance is scheduled"));
    assert!(
        !html.contains("yesterday"),
        "finished windows leave the page"
    );
    let ics = feeds::ics(&s, &meta());
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2, "{ics}");
    assert!(ics.contains("UID:maintenance-4@p\r\n"), "{ics}");
    assert!(ics.contains("DTSTART:20261122T110000Z\r\nDTEND:20261122T120000Z\r\n"));
    assert!(
        ics.contains("SUMMARY:Core <switch> upgrade\\; phase 1\\, night\r\n"),
        "{ics}"
    );
    assert!(ics.lines().all(|l| l.len() <= 76), "folded: {ics}");
    // Under way: the component shows under maintenance, and so does the page's indicator.
    stored.maintenances[0].starts_ms = NOW - 60_000;
    let s = up_snapshot(&stored);
    assert_eq!(s.components[0].status, "under_maintenance");
    assert_eq!(api::indicator(&s), "maintenance");
    let summary = api::summary(&s, &meta());
    assert_eq!(
        summary["scheduled_maintenances"][0]["status"],
        "in_progress"
    );
    assert_eq!(summary["components"][1]["status"], "under_maintenance");
    let html = page::render(&env, &s, &meta(), Language::Cs, page::Links::Query).unwrap();
    assert!(html.contains("Probíhá údržba"), "{html}");
}

/// The `VEVENT` of window `id` in `ics`, unfolded, one property a line.
fn event(ics: &str, id: i64) -> String {
    let unfolded = ics.replace("\r\n ", "");
    let uid = format!("UID:maintenance-{id}@p\r\n");
    let at = unfolded
        .find(&uid)
        .unwrap_or_else(|| panic!("no {uid}: {ics}"));
    let end = unfolded[at..].find("END:VEVENT").unwrap() + at;
    unfolded[at..end].to_owned()
}

#[test]
fn a_cancelled_window_stays_in_the_calendar_as_cancelled_and_nowhere_else() {
    let mut stored = empty_stored();
    // Cancelled while under way, so it would otherwise set its component under maintenance.
    let mut called_off = window(5, NOW - 60_000, NOW + 3_600_000, "Storage migration");
    called_off.cancelled_ms = Some(NOW - 30_000);
    called_off.sequence = 1;
    called_off.updated_ms = NOW - 30_000;
    // Cancelled long ago but planned to end within the last 30 days: still in the feed.
    let mut old = window(6, NOW - 20 * 86_400_000, NOW - 19 * 86_400_000, "Old plan");
    old.cancelled_ms = Some(NOW - 25 * 86_400_000);
    old.sequence = 1;
    stored.maintenances = vec![called_off, old, window(7, NOW + 1, NOW + 2, "Kept")];
    let s = up_snapshot(&stored);
    assert_eq!(s.components[0].status, "operational");
    assert_eq!(api::indicator(&s), "none");
    let summary = api::summary(&s, &meta());
    let sm = summary["scheduled_maintenances"].as_array().unwrap();
    let ids: Vec<&str> = sm.iter().filter_map(|m| m["id"].as_str()).collect();
    assert_eq!(ids, ["maintenance-7"], "{summary}");
    let env = page::environment().unwrap();
    let html = page::render(&env, &s, &meta(), Language::En, page::Links::Query).unwrap();
    assert!(!html.contains("Storage migration") && !html.contains("Old plan"));
    assert!(html.contains("Kept"));

    let ics = feeds::ics(&s, &meta());
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 3, "{ics}");
    let e = event(&ics, 5);
    assert!(e.contains("STATUS:CANCELLED\r\n"), "{e}");
    assert!(e.contains("SEQUENCE:1\r\n"), "{e}");
    assert!(e.contains("TRANSP:TRANSPARENT\r\n"), "{e}");
    let changed = time::ical(NOW - 30_000);
    assert!(e.contains(&format!("DTSTAMP:{changed}\r\n")), "{e}");
    assert!(e.contains(&format!("LAST-MODIFIED:{changed}\r\n")), "{e}");
    assert!(
        e.contains("SUMMARY:Cancelled: Storage migration\r\n"),
        "{e}"
    );
    assert!(event(&ics, 6).contains("STATUS:CANCELLED\r\n"));
    let kept = event(&ics, 7);
    assert!(
        kept.contains("STATUS:CONFIRMED\r\nTRANSP:OPAQUE\r\n"),
        "{kept}"
    );
    assert!(kept.contains("SEQUENCE:0\r\n"), "{kept}");

    // Past the horizon, measured from the planned end: gone from the feed too.
    stored.maintenances[1].ends_ms = NOW - 31 * 86_400_000;
    let ics = feeds::ics(&up_snapshot(&stored), &meta());
    assert!(!ics.contains("UID:maintenance-6@"), "{ics}");
}

#[test]
fn a_moved_window_keeps_its_uid_with_new_times_and_a_higher_sequence() {
    let mut stored = empty_stored();
    stored.maintenances = vec![window(4, NOW + 3_600_000, NOW + 7_200_000, "Core upgrade")];
    let before = up_snapshot(&stored);
    let e = event(&feeds::ics(&before, &meta()), 4);
    assert!(e.contains("SEQUENCE:0\r\n"), "{e}");
    assert!(e.contains(&format!("DTSTAMP:{}\r\n", time::ical(NOW - 86_400_000))));

    let m = &mut stored.maintenances[0];
    (m.starts_ms, m.ends_ms) = (NOW + 86_400_000, NOW + 90_000_000);
    (m.sequence, m.updated_ms) = (2, NOW - 5_000);
    let after = up_snapshot(&stored);
    // The renderer only renders on change: a move is one.
    assert_ne!(before, after);
    let e = event(&feeds::ics(&after, &meta()), 4);
    assert!(e.contains("SEQUENCE:2\r\n"), "{e}");
    assert!(e.contains("STATUS:CONFIRMED\r\n"), "{e}");
    assert!(e.contains(&format!("DTSTART:{}\r\n", time::ical(NOW + 86_400_000))));
    assert!(e.contains(&format!("DTEND:{}\r\n", time::ical(NOW + 90_000_000))));
    assert!(e.contains(&format!("LAST-MODIFIED:{}\r\n", time::ical(NOW - 5_000))));
    assert!(e.contains(&format!("CREATED:{}\r\n", time::ical(NOW - 86_400_000))));
    let summary = api::summary(&after, &meta());
    assert_eq!(
        summary["scheduled_maintenances"][0]["scheduled_for"],
        time::rfc3339(NOW + 86_400_000)
    );
    assert_eq!(
        summary["scheduled_maintenances"][0]["updated_at"],
        time::rfc3339(NOW - 5_000)
    );

    // A cancellation is a change too.
    stored.maintenances[0].cancelled_ms = Some(NOW);
    assert_ne!(after, up_snapshot(&stored));
}
