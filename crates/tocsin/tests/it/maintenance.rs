//! Planned maintenance on inventory targets, end to end against a real SMTP server: a window
//! on one switch of a pair mails exactly the customers of the host cabled to that switch
//! alone (seed 000), in their languages, with a reminder at the lead time, and nothing to the
//! customers only at risk; an alert on the target inside the window opens nothing while a
//! service down for another reason is an incident as usual; the target still down after the
//! end opens its incident then. A window moved and cancelled tells the same customers. An
//! announced drill is planned maintenance. Two instances keep a window quiet across a leader
//! kill (fails when the new leader's rebuild forgets the window).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mail_parser::MessageParser;
use serde_json::{json, Value};

use crate::mail::{smtp_config, Keeper};
use crate::serve::{alertmanager, http, json_of, start};

const INVENTORY: &str = r#"version: 1
nodes:
  - {id: sw-a, kind: switch, labels: {instance: "sw-a:9100"}}
  - {id: sw-b, kind: switch, labels: {instance: "sw-b:9100"}}
  - {id: hv-dual, kind: hypervisor, requires: [{any: [sw-a, sw-b]}]}
  - {id: hv-miswired, kind: hypervisor, requires: [sw-a]}
components:
  - {id: vps, name: Virtual servers}
customers:
  - id: acme
    name: ACME s.r.o.
    contacts: [{email: ops@acme.example, language: cs}, {email: boss@acme.example, language: en}]
  - id: beta
    name: Beta sp. z o.o.
    contacts: [{email: it@beta.example, language: pl}]
services:
  - {id: vps-1, customer: acme, name: acme-web, component: vps, requires: [hv-miswired]}
  - {id: vps-2, customer: beta, name: beta-shop, component: vps, requires: [hv-dual]}
"#;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// `ms` as the API takes times: RFC 3339 UTC, to the second.
fn at(ms: i64) -> String {
    jiff::Timestamp::from_second(ms.div_euclid(1000))
        .unwrap()
        .to_string()
}

/// The decoded text body and the subject of a raw message.
fn read(raw: &str) -> (String, String) {
    let m = MessageParser::default().parse(raw.as_bytes()).unwrap();
    (
        m.subject().unwrap_or_default().to_owned(),
        m.body_text(0).unwrap().into_owned(),
    )
}

fn post(addr: &str, path: &str, body: &Value) -> (u16, Value) {
    let (status, text) = http(addr, "POST", path, &body.to_string());
    (status, json_of(&text))
}

fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "never saw {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn switch(name: &str, status: &str) -> String {
    alertmanager(
        status,
        json!({"alertname": "SwitchDown", "instance": format!("{name}:9100")}),
        &format!("fp-{name}"),
    )
}

fn open_incidents(addr: &str) -> Vec<Value> {
    let (_, body) = http(addr, "GET", "/api/v1/incidents", "");
    json_of(&body)["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["resolved_ms"].is_null())
        .cloned()
        .collect()
}

/// One server in Prague's zone on SQLite, mailing the SMTP keeper; the directory lives as long
/// as the first of the three.
fn serve() -> (tempfile::TempDir, Keeper, crate::serve::Running) {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let config = smtp_config(
        dir.path(),
        keeper.port,
        INVENTORY,
        "",
        "0s",
        "[sla]\ntime_zone = \"Europe/Prague\"\n",
    );
    let server = start(&config);
    (dir, keeper, server)
}

#[test]
fn a_window_on_one_switch_of_a_pair_tells_exactly_the_miswired_hosts_customers() {
    let (_dir, keeper, server) = serve();
    let addr = &server.addr;

    // Refusals name the field and store nothing.
    let soon = now_ms() + 60_000;
    let bad = [
        (
            json!({"title": "x", "targets": ["sw-z"], "start": at(soon), "end": at(soon + 60_000)}),
            "targets",
        ),
        (
            json!({"title": "x", "targets": ["sw-a"], "start": at(soon), "end": at(soon - 30_000)}),
            "end",
        ),
        (
            json!({"title": "x", "targets": ["sw-a"], "start": at(now_ms() - 3_600_000), "end": at(soon)}),
            "start",
        ),
        (
            json!({"title": "x", "targets": ["sw-a"], "start": at(soon), "end": at(soon + 60_000), "notify": ["soon"]}),
            "notify",
        ),
    ];
    for (body, field) in bad {
        let (status, e) = post(addr, "/api/v1/maintenance", &body);
        assert_eq!(status, 400, "{body}: {e}");
        assert!(e["error"].as_str().unwrap().starts_with(field), "{e}");
    }

    // The window starts in 8 s and lasts 6 s; a reminder 5 s ahead (due 3 s from now).
    let start_ms = (now_ms() / 1000 + 8) * 1000;
    let end_ms = start_ms + 6_000;
    let (status, w) = post(
        addr,
        "/api/v1/maintenance",
        &json!({
            "title": "Firmware of sw-a",
            "description": "One switch of the pair at a time.",
            "targets": ["sw-a"],
            "start": at(start_ms),
            "end": at(end_ms),
            "notify": ["5s"],
        }),
    );
    assert_eq!(status, 201, "{w}");
    let id = w["id"].as_i64().unwrap();
    assert_eq!(w["targets"], json!(["sw-a"]));
    assert_eq!(w["status"], "scheduled");
    assert_eq!(w["down_services"], json!(["vps-1"]));
    assert_eq!(w["at_risk_services"], json!(["vps-2"]));
    assert_eq!(w["affected_customers"], json!(["acme"]));
    assert_eq!(w["at_risk_customers"], json!(["beta"]));
    assert_eq!(w["components"], json!(["vps"]));
    let (status, again) = http(addr, "GET", &format!("/api/v1/maintenance/{id}"), "");
    assert_eq!(status, 200);
    assert_eq!(json_of(&again)["down_services"], w["down_services"]);

    // The announcement now and the reminder at its lead time, to ACME's two contacts only.
    let got = keeper.wait_for(4, Duration::from_secs(20));
    let mut to: Vec<&str> = got.iter().map(|(to, _)| to.as_str()).collect();
    to.sort();
    assert_eq!(
        to,
        [
            "boss@acme.example",
            "boss@acme.example",
            "ops@acme.example",
            "ops@acme.example"
        ]
    );
    let mut subjects = Vec::new();
    for (to, raw) in &got {
        let (subject, text) = read(raw);
        assert!(
            text.contains("vps-1") && text.contains("acme-web"),
            "{text}"
        );
        assert!(!text.contains("vps-2") && !text.contains("sw-a"), "{text}");
        assert!(
            text.contains("UTC") && text.contains("(Europe/Prague)"),
            "{text}"
        );
        assert!(text.contains("One switch of the pair"), "{text}");
        if to == "ops@acme.example" {
            assert!(subject.contains("údržb"), "Czech: {subject}");
        }
        subjects.push(subject);
    }
    subjects.sort();
    assert!(
        subjects
            .iter()
            .any(|s| s == "Planned maintenance: Firmware of sw-a"),
        "{subjects:?}"
    );
    assert!(
        subjects
            .iter()
            .any(|s| s == "Reminder of planned maintenance: Firmware of sw-a"),
        "{subjects:?}"
    );

    // Inside the window: the target goes down as planned. Recorded, the impact moves, the
    // component shows the maintenance, and nothing opens.
    wait_until("the window to start", Duration::from_secs(20), || {
        now_ms() > start_ms + 300
    });
    assert_eq!(
        http(
            addr,
            "POST",
            "/api/v1/alerts/alertmanager",
            &switch("sw-a", "firing")
        )
        .0,
        202
    );
    let (_, impact) = http(addr, "GET", "/api/v1/impact", "");
    assert!(
        json_of(&impact)["down"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == "vps-1"),
        "{impact}"
    );
    crate::status::wait_summary(addr, "the component under maintenance", |s| {
        s["components"][0]["status"] == "under_maintenance"
    });
    // Another cause inside the window: sw-b fails too, and the dual-homed host's customer
    // has an incident as usual.
    assert_eq!(
        http(
            addr,
            "POST",
            "/api/v1/alerts/alertmanager",
            &switch("sw-b", "firing")
        )
        .0,
        202
    );
    let beta = keeper.wait_for(5, Duration::from_secs(20));
    let opened: Vec<&(String, String)> = beta.iter().skip(4).collect();
    assert_eq!(opened[0].0, "it@beta.example", "{opened:?}");
    let open = open_incidents(addr);
    assert_eq!(open.len(), 1, "{open:?}");
    let services = open[0]["services"].to_string();
    assert!(
        services.contains("vps-2") && !services.contains("vps-1"),
        "{services}"
    );
    assert_eq!(
        http(
            addr,
            "POST",
            "/api/v1/alerts/alertmanager",
            &switch("sw-b", "resolved")
        )
        .0,
        202
    );

    // After the end, sw-a still down: its customer's incident opens now.
    wait_until(
        "an incident for vps-1 after the window",
        Duration::from_secs(30),
        || {
            open_incidents(addr)
                .iter()
                .any(|i| i["services"].to_string().contains("vps-1"))
        },
    );
    assert!(now_ms() >= end_ms, "nothing opened before the end");
    let all = keeper.wait_for(8, Duration::from_secs(20));
    let late: Vec<&str> = all.iter().skip(6).map(|(to, _)| to.as_str()).collect();
    assert!(
        late.contains(&"ops@acme.example") && late.contains(&"boss@acme.example"),
        "{late:?}"
    );
    let (_, w) = http(addr, "GET", &format!("/api/v1/maintenance/{id}"), "");
    assert_eq!(json_of(&w)["status"], "completed");

    // A window two days ahead, moved then cancelled: the same two contacts are told each
    // time, and its 24 h reminder is not sent early.
    let later = (now_ms() / 1000 + 2 * 86_400) * 1000;
    let (status, w2) = post(
        addr,
        "/api/v1/maintenance",
        &json!({"title": "Second pass", "targets": ["sw-a"], "start": at(later), "end": at(later + 3_600_000)}),
    );
    assert_eq!(status, 201, "{w2}");
    let id2 = w2["id"].as_i64().unwrap();
    assert_eq!(w2["notify"], json!(["24h"]));
    keeper.wait_for(10, Duration::from_secs(20));
    let (status, moved) = post(
        addr,
        &format!("/api/v1/maintenance/{id2}/move"),
        &json!({"start": at(later + 86_400_000), "end": at(later + 90_000_000)}),
    );
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["sequence"], 1);
    let after_move = keeper.wait_for(12, Duration::from_secs(20));
    for (_, raw) in after_move.iter().skip(10) {
        let (subject, text) = read(raw);
        assert!(subject.contains("Second pass"), "{subject}");
        assert!(
            text.contains(&at(later)[..10]),
            "the old date is named: {text}"
        );
    }
    let (status, cancelled) = post(
        addr,
        &format!("/api/v1/maintenance/{id2}/cancel"),
        &json!({"reason": "vendor recalled the firmware"}),
    );
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    let last = keeper.wait_for(14, Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(keeper.messages().len(), 14, "nothing else is mailed");
    let mut to: Vec<&str> = last.iter().skip(8).map(|(to, _)| to.as_str()).collect();
    to.sort();
    to.dedup();
    assert_eq!(to, ["boss@acme.example", "ops@acme.example"]);
    let (status, _) = post(
        addr,
        &format!("/api/v1/maintenance/{id2}/cancel"),
        &json!({}),
    );
    assert_eq!(status, 404);
    let (_, audit) = http(addr, "GET", "/console/audit", "");
    assert!(
        audit.contains("vendor recalled the firmware"),
        "the reason is in the audit trail"
    );
}

/// An announced drill is planned maintenance for its occurrences (the next week's), with the
/// same notices; an unannounced one tells nobody.
#[test]
fn an_announced_drill_is_planned_maintenance_for_its_occurrences() {
    let (_dir, keeper, server) = serve();
    let addr = &server.addr;
    let first = (now_ms() / 3_600_000 + 48) * 3_600_000;
    let drill = |title: &str, announced: bool| {
        json!({"title": title, "targets": ["sw-a"], "rrule": "FREQ=WEEKLY", "start": at(first),
               "duration": "15m", "announced": announced})
    };
    let (status, quiet) = post(
        addr,
        "/api/v1/drills",
        &drill("Unannounced failover", false),
    );
    assert_eq!(status, 201, "{quiet}");
    assert_eq!(
        quiet["what_if"]["down_services"],
        json!(["vps-1"]),
        "{quiet}"
    );
    let (status, told) = post(
        addr,
        "/api/v1/drills",
        &drill("Switch failover drill", true),
    );
    assert_eq!(status, 201, "{told}");

    let (_, list) = http(addr, "GET", "/api/v1/maintenance", "");
    let windows = json_of(&list)["maintenance"].as_array().unwrap().clone();
    assert_eq!(
        windows.len(),
        1,
        "the occurrence in two days, not the one in nine: {windows:?}"
    );
    let w = &windows[0];
    assert_eq!(w["title"], "Switch failover drill");
    assert_eq!(
        (w["start"].as_str(), w["targets"].clone()),
        (Some(at(first).as_str()), json!(["sw-a"]))
    );
    assert_eq!(w["end"], at(first + 15 * 60_000));
    assert_eq!(w["down_services"], json!(["vps-1"]));

    let got = keeper.wait_for(2, Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(keeper.messages().len(), 2, "the announced drill only, once");
    for (to, raw) in &got {
        assert!(to.ends_with("@acme.example"), "{to}");
        let (subject, text) = read(raw);
        assert!(subject.contains("Switch failover drill"), "{subject}");
        assert!(text.contains("vps-1"), "{text}");
    }
}

fn role(addr: &str) -> Option<String> {
    let (status, body) = http(addr, "GET", "/healthz", "");
    (status == 200).then(|| {
        json_of(&body)["role"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    })
}

/// Two instances on one PostgreSQL: a window planned on the follower is announced and
/// reminded once; its target down inside the window opens nothing, even when the leader is
/// killed then and the other takes over (its rebuild keeps the window quiet); after the end
/// the new leader opens the incident, and each contact hears of it once.
#[test]
fn several_instances_keep_a_window_quiet_across_a_leader_kill() {
    let Some(database) = crate::serve::fresh_postgres("planned") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inventory.yaml"), INVENTORY).unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let config = crate::crash::config(dir.path(), "tocsin.toml", &database, keeper.port);
    let mut servers: Vec<Option<crate::serve::Running>> =
        (0..2).map(|_| Some(start(&config))).collect();
    let addrs: Vec<String> = servers
        .iter()
        .map(|s| s.as_ref().unwrap().addr.clone())
        .collect();
    let mut leader = None;
    wait_until("a leader", Duration::from_secs(20), || {
        leader = (0..2).find(|&i| role(&addrs[i]).as_deref() == Some("leader"));
        leader.is_some()
    });
    let leader = leader.unwrap();
    let follower = &addrs[1 - leader];

    let start_ms = (now_ms() / 1000 + 7) * 1000;
    let end_ms = start_ms + 9_000;
    let (status, w) = post(
        follower,
        "/api/v1/maintenance",
        &json!({"title": "Firmware of sw-a", "targets": ["sw-a"], "start": at(start_ms),
                "end": at(end_ms), "notify": ["4s"]}),
    );
    assert_eq!(status, 201, "{w}");
    keeper.wait_for(4, Duration::from_secs(20));

    wait_until("the window to start", Duration::from_secs(20), || {
        now_ms() > start_ms + 300
    });
    assert_eq!(
        http(
            follower,
            "POST",
            "/api/v1/alerts/alertmanager",
            &switch("sw-a", "firing")
        )
        .0,
        202
    );
    std::thread::sleep(Duration::from_millis(1500));
    drop(servers[leader].take());
    wait_until("the follower to take over", Duration::from_secs(15), || {
        role(follower).as_deref() == Some("leader")
    });
    std::thread::sleep(Duration::from_millis(1000));
    assert!(now_ms() < end_ms, "the takeover came within the window");
    assert!(
        open_incidents(follower).is_empty(),
        "nothing opened inside the window"
    );

    wait_until(
        "the incident after the window",
        Duration::from_secs(30),
        || !open_incidents(follower).is_empty(),
    );
    assert!(now_ms() >= end_ms);
    keeper.wait_for(6, Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(2000));
    let mut to: Vec<String> = keeper.messages().into_iter().map(|(to, _)| to).collect();
    to.sort();
    assert_eq!(
        to,
        [
            "boss@acme.example",
            "boss@acme.example",
            "boss@acme.example",
            "ops@acme.example",
            "ops@acme.example",
            "ops@acme.example"
        ],
        "announcement, reminder and the incident, once each"
    );
}
