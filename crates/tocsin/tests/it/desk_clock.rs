//! The desk's SLA clocks on a real server whose wall clock `libfaketime` sets: a ticket opened
//! before lunch, before Christmas and a weekend, and before both daylight-saving changes gets
//! its first response due in the office calendar's hours in Prague; the resolution clock
//! pauses while waiting and keeps what it used; a wall clock that jumps back an hour and to
//! 1752 while a ticket is open changes none of its clocks.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use serde_json::{json, Value};

use crate::clock::{jumps_total, libfaketime, serve_faked, set_clock};
use crate::serve::{add_account, api_token, example_config, http_as, json_of, Running};

/// The office: Prague, weekdays 08–12 and 13–17, Christmas off; `business` answers in 30
/// minutes of it; `always` is 24x7.
const DESK: &str = "[desk]\naddress = \"support@example.net\"\n\
    [desk.calendars.office]\ntime_zone = \"Europe/Prague\"\n\
    mon = [\"08:00-12:00\", \"13:00-17:00\"]\ntue = [\"08:00-12:00\", \"13:00-17:00\"]\n\
    wed = [\"08:00-12:00\", \"13:00-17:00\"]\nthu = [\"08:00-12:00\", \"13:00-17:00\"]\n\
    fri = [\"08:00-12:00\", \"13:00-17:00\"]\n\
    holidays = [\"2026-12-24\", \"2026-12-25\", \"2026-12-26\"]\n\
    [[desk.tiers]]\nid = \"business\"\ncalendar = \"office\"\nfirst_response = \"30m\"\nnext_response = \"4h\"\nresolution = \"2d\"\n\
    [[desk.tiers]]\nid = \"always\"\ncalendar = \"24x7\"\nfirst_response = \"1h\"\nnext_response = \"4h\"\nresolution = \"3d\"\n";

struct Faked {
    _dir: tempfile::TempDir,
    server: Running,
    customer: String,
    staff: String,
    timestamp: std::path::PathBuf,
}

/// A server whose wall clock starts at `start` (UTC, `YYYY-MM-DD HH:MM:SS`), with the example
/// inventory's customer `acme` in tier `tier`.
fn faked(lib: &Path, start: &str, tier: &str) -> Faked {
    let dir = tempfile::tempdir().unwrap();
    let config = example_config(dir.path(), None, "http://status.example.net");
    let inventory = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../inventory/tests/fixtures/good/spec-example.yaml"),
    )
    .unwrap();
    assert!(inventory.contains("    tier: business\n"), "{inventory}");
    let inventory = inventory.replace("    tier: business\n", &format!("    tier: {tier}\n"));
    std::fs::write(dir.path().join("desk-inventory.yaml"), inventory).unwrap();
    let toml: String = std::fs::read_to_string(&config)
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with("inventory = ") {
                format!(
                    "inventory = \"{}\"\n",
                    dir.path().join("desk-inventory.yaml").display()
                )
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(&config, format!("{toml}{DESK}")).unwrap();
    add_account(&config, "someone@acme.test", "customer", Some("acme"));
    add_account(&config, "engineer@provider.test", "engineer", None);
    let customer = api_token(&config, "someone@acme.test");
    let staff = api_token(&config, "engineer@provider.test");
    let timestamp = dir.path().join("faketime");
    set_clock(&timestamp, &format!("@{start}"));
    let server = serve_faked(&config, lib, &timestamp, Arc::new(Mutex::new(Vec::new())));
    Faked {
        _dir: dir,
        server,
        customer,
        staff,
        timestamp,
    }
}

fn call(f: &Faked, token: &str, method: &str, path: &str, body: Value) -> Value {
    let body = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let (status, reply) = http_as(&f.server.addr, method, path, &body, Some(token));
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {reply}"
    );
    json_of(&reply)
}

fn open(f: &Faked) -> Value {
    call(
        f,
        &f.customer,
        "POST",
        "/api/v1/tickets",
        json!({"subject": "Help", "body": "Please"}),
    )
}

fn ts(v: &Value) -> Timestamp {
    v.as_str()
        .unwrap_or_else(|| panic!("not a time: {v}"))
        .parse()
        .unwrap()
}

/// Opens a ticket on a server started at `start` and checks that its first response is due
/// at `due` plus however long after `start` the ticket was opened (the calendar counts
/// straight on there: every case starts 10 minutes before a closing).
fn first_response_due(start: &str, due: &str) {
    let Some(lib) = libfaketime() else {
        return;
    };
    let f = faked(&lib, start, "business");
    let t = open(&f);
    assert_eq!(t["tier"], "business", "{t}");
    let started: Timestamp = format!("{}Z", start.replace(' ', "T")).parse().unwrap();
    let lag = ts(&t["created"]) - started;
    assert!(
        lag >= jiff::SignedDuration::ZERO && lag < jiff::SignedDuration::from_secs(300),
        "opened {} for a clock started at {start}",
        t["created"]
    );
    let expected: Timestamp = due.parse().unwrap();
    assert_eq!(
        ts(&t["sla"]["first_response_due"]),
        expected + lag,
        "opened {}: {t}",
        t["created"]
    );
}

#[test]
fn the_lunch_break_does_not_count() {
    // Tuesday 1 December 2026, 11:50 in Prague (CET): 10 minutes before lunch, 20 after.
    first_response_due("2026-12-01 10:50:00", "2026-12-01T12:20:00Z");
}

#[test]
fn christmas_and_the_weekend_do_not_count() {
    // Wednesday 23 December, 16:50 CET: 10 minutes that day; the 24th–26th are holidays, the
    // 27th a Sunday; 20 minutes on Monday the 28th.
    first_response_due("2026-12-23 15:50:00", "2026-12-28T07:20:00Z");
}

#[test]
fn the_spring_daylight_saving_change_is_followed() {
    // Friday 26 March 2027, 16:50 CET (UTC+1); clocks go forward on Sunday the 28th; Monday
    // 08:20 CEST is 06:20 UTC.
    first_response_due("2027-03-26 15:50:00", "2027-03-29T06:20:00Z");
}

#[test]
fn the_autumn_daylight_saving_change_is_followed() {
    // Friday 23 October 2026, 16:50 CEST (UTC+2); clocks go back on Sunday the 25th; Monday
    // 08:20 CET is 07:20 UTC.
    first_response_due("2026-10-23 14:50:00", "2026-10-26T07:20:00Z");
}

#[test]
fn waiting_pauses_the_resolution_and_keeps_what_it_used() {
    let Some(lib) = libfaketime() else {
        return;
    };
    let f = faked(&lib, "2026-12-02 10:00:00", "always");
    let t = open(&f);
    let id = t["id"].as_i64().unwrap();
    let running = ts(&t["sla"]["resolution_due"]);
    assert_eq!(
        running - ts(&t["created"]),
        jiff::SignedDuration::from_hours(72)
    );
    let status = |s: &str| {
        call(
            &f,
            &f.staff,
            "POST",
            &format!("/api/v1/tickets/{id}/status"),
            json!({"status": s}),
        )
    };
    let paused = status("waiting_third_party");
    assert_eq!(paused["sla"]["paused"], true);
    let get = || {
        call(
            &f,
            &f.staff,
            "GET",
            &format!("/api/v1/tickets/{id}"),
            Value::Null,
        )
    };
    // Paused, the due time moves on with the clock: as if it resumed now.
    let before = ts(&get()["sla"]["resolution_due"]);
    std::thread::sleep(Duration::from_millis(2_200));
    let later = ts(&get()["sla"]["resolution_due"]);
    assert!(
        later - before >= jiff::SignedDuration::from_secs(2),
        "{before} then {later}"
    );
    // Resumed, it stays where the pause left it, later than before by the pause.
    let resumed = status("open");
    assert_eq!(resumed["sla"]["paused"], false);
    let fixed = ts(&resumed["sla"]["resolution_due"]);
    assert!(
        fixed - running >= jiff::SignedDuration::from_secs(2),
        "{running} then {fixed}"
    );
    std::thread::sleep(Duration::from_millis(1_500));
    assert_eq!(ts(&get()["sla"]["resolution_due"]), fixed);
}

#[test]
fn a_wall_clock_jump_changes_no_clock_of_an_open_ticket() {
    let Some(lib) = libfaketime() else {
        return;
    };
    let f = faked(&lib, "2026-12-02 10:00:00", "always");
    let t = open(&f);
    let id = t["id"].as_i64().unwrap();
    let created = ts(&t["created"]);
    let due = t["sla"]["first_response_due"].clone();
    let resolution = t["sla"]["resolution_due"].clone();

    // An hour back, then 1752.
    set_clock(&f.timestamp, "-1h");
    let after_back = call(
        &f,
        &f.staff,
        "GET",
        &format!("/api/v1/tickets/{id}"),
        Value::Null,
    );
    set_clock(&f.timestamp, "@1752-09-02 12:00:00");
    let reply = call(
        &f,
        &f.staff,
        "POST",
        &format!("/api/v1/tickets/{id}/replies"),
        json!({"body": "On it", "public": true}),
    );
    for t in [&after_back, &reply] {
        assert_eq!(t["sla"]["first_response_due"], due, "{t}");
        assert_eq!(t["sla"]["resolution_due"], resolution, "{t}");
        assert_eq!(
            t["created"]
                .as_str()
                .map(|s| s.parse::<Timestamp>().unwrap()),
            Some(created)
        );
    }
    // The reply is dated after the opening, seconds later, and met the first response.
    let answered = ts(&reply["sla"]["first_response_at"]);
    assert!(
        answered >= created && answered - created < jiff::SignedDuration::from_secs(120),
        "{reply}"
    );
    assert!(
        reply["sla"]["breaches"].as_array().unwrap().is_empty(),
        "{reply}"
    );
    let (_, metrics) = http_as(&f.server.addr, "GET", "/metrics", "", Some(&f.staff));
    assert!(jumps_total(&metrics) >= 2, "{metrics}");
}
