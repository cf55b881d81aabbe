//! The server under a wall clock that jumps (seed 002: an hour back on a ship, then 1752 from
//! a confused NTP server), run under Debian's `faketime` library: an outage keeps its true
//! length and order, `/metrics` counts the jumps and the console shows them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::serve::{
    add_account, alertmanager, api_token, example_config, http_as, json_of, Running, ADMIN,
};

/// `libfaketime` as Debian installs it (package `faketime`); `None` (skipped) when absent,
/// which CI does not allow.
fn libfaketime() -> Option<PathBuf> {
    let found = std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .map(|d| d.path().join("faketime/libfaketimeMT.so.1"))
        .chain([PathBuf::from("/usr/lib/faketime/libfaketimeMT.so.1")])
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install the Debian package faketime"
        );
        eprintln!("libfaketime not installed (apt-get install faketime): skipped");
    }
    found
}

/// Starts `tocsin serve` with the wall clock `libfaketime` reads from `timestamp` (re-read at
/// every reading; the monotonic clock stays real); the log lines are kept in `log`.
///
/// On one runtime worker: hyper writes each response's `Date` from a per-thread cache that
/// `httpdate` fills with a panic when a thread first answers under a wall clock before 1970,
/// resetting the connection (a defect of the HTTP face, outside the clock). With one worker,
/// the thread answering under 1752 is the one that answered before the jumps, whose cache
/// only moves forward.
fn serve_faked(
    config: &Path,
    lib: &Path,
    timestamp: &Path,
    log: Arc<Mutex<Vec<String>>>,
) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["serve", "--config", config.to_str().unwrap()])
        .env("LD_PRELOAD", lib)
        .env("FAKETIME_TIMESTAMP_FILE", timestamp)
        .env("FAKETIME_NO_CACHE", "1")
        .env("DONT_FAKE_MONOTONIC", "1")
        .env("TOKIO_WORKER_THREADS", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let Some(Ok(line)) = lines.next() else {
            let status = child.wait().unwrap();
            panic!("server exited ({status}) before listening");
        };
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            log.lock().unwrap().push(line);
        }
    });
    Running { child, addr }
}

/// Sets the faked wall clock: `spec` is libfaketime's (`+0`, `-1h`, `@1752-09-02 12:00:00`),
/// written beside and renamed, so the server never reads a half-written file.
fn set_clock(timestamp: &Path, spec: &str) {
    let next = timestamp.with_extension("next");
    std::fs::write(&next, format!("{spec}\n")).unwrap();
    std::fs::rename(&next, timestamp).unwrap();
}

/// The real wall clock of the test (not faked), in milliseconds.
fn real_now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn jumps_total(metrics: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("tocsin_clock_jumps_total "))
        .unwrap_or_else(|| panic!("no tocsin_clock_jumps_total in /metrics:\n{metrics}"))
        .parse()
        .unwrap()
}

#[test]
fn an_outage_keeps_its_true_length_when_the_wall_clock_jumps() {
    let Some(lib) = libfaketime() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = example_config(dir.path(), None, "http://status.example.net");
    add_account(&config, ADMIN, "admin", None);
    let token = api_token(&config, ADMIN);
    let timestamp = dir.path().join("faketime");
    set_clock(&timestamp, "+0");
    let log = Arc::new(Mutex::new(Vec::new()));
    let server = serve_faked(&config, &lib, &timestamp, Arc::clone(&log));
    let addr = server.addr.clone();
    let call = |method: &str, path: &str, body: &str| {
        let (status, reply) = http_as(&addr, method, path, body, Some(&token));
        assert!(
            (200..300).contains(&status),
            "{method} {path}: {status} {reply}"
        );
        reply
    };
    // Incidents are written after the alert's answer: `path` is polled until `pred` holds.
    let poll = |path: &str, pred: &dyn Fn(&Value) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let body = json_of(&call("GET", path, ""));
            if pred(&body) {
                return body;
            }
            assert!(Instant::now() < deadline, "never saw it at {path}: {body}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    let metrics = || jumps_total(&call("GET", "/metrics", ""));
    // An alert the inventory does not know: its application reads the clock, nothing else.
    let tick = |fingerprint: &str| {
        call(
            "POST",
            "/api/v1/alerts/alertmanager",
            &alertmanager(
                "firing",
                json!({"alertname": "Tick", "instance": "nowhere:9100"}),
                fingerprint,
            ),
        );
    };
    let switch = |status: &str| {
        call(
            "POST",
            "/api/v1/alerts/alertmanager",
            &alertmanager(
                status,
                json!({"alertname": "SwitchDown", "instance": "sw-a.mgmt:9100"}),
                "fp-sw-a",
            ),
        );
    };
    assert_eq!(metrics(), 0);

    let before_firing = Instant::now();
    let real_opened = real_now_ms();
    switch("firing");
    let after_firing = Instant::now();
    let open = poll("/api/v1/incidents", &|l| l["incidents"][0].is_object());
    let [incident] = open["incidents"].as_array().unwrap().as_slice() else {
        panic!("one incident should be open: {open}");
    };
    assert!(incident["resolved_ms"].is_null(), "{open}");
    let id = match &incident["id"] {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };

    // The ship's script sets the clock back an hour; then NTP answers 1752.
    set_clock(&timestamp, "-1h");
    tick("tick-1");
    assert_eq!(metrics(), 1, "the hour back is one jump");
    set_clock(&timestamp, "@1752-09-02 12:00:00");
    tick("tick-2");
    let before_resolving = Instant::now();
    switch("resolved");
    let after_resolving = Instant::now();
    assert!(metrics() >= 2);

    let incident = poll(&format!("/api/v1/incidents/{id}"), &|i| {
        !i["resolved_ms"].is_null()
    });
    let opened = incident["opened_ms"].as_i64().unwrap();
    let resolved = incident["resolved_ms"].as_i64().unwrap();
    // Opened at the real time, not an hour back nor in 1752.
    assert!(
        (opened - real_opened).abs() < 60_000,
        "opened {opened}, really {real_opened}"
    );
    // The outage lasted at least from the firing's answer to the resolution's request and at
    // most from the firing's request to the resolution's answer (give or take the
    // milliseconds both clocks round to).
    let length = resolved - opened;
    let least = before_resolving.duration_since(after_firing).as_millis() as i64 - 20;
    let most = after_resolving.duration_since(before_firing).as_millis() as i64 + 20;
    assert!(
        least <= length && length <= most,
        "the outage lasted {length} ms by the incident, {least}..{most} ms really"
    );
    for service in incident["services"].as_array().unwrap() {
        let down = service["down_total_ms"].as_i64().unwrap();
        assert!((0..=most).contains(&down), "{service}");
    }

    let console = call("GET", "/console", "");
    assert!(console.contains("The wall clock jumped"), "{console}");
    assert!(console.contains("1752-09-02"), "{console}");
    // Both jumps went back: an hour, then some 274 years.
    assert_eq!(console.matches(" s back</td>").count(), 2, "{console}");

    let warned = log.lock().unwrap().clone();
    assert!(
        warned
            .iter()
            .filter(|l| l.contains("WARN") && l.contains("the wall clock jumped"))
            .count()
            >= 2,
        "{warned:#?}"
    );
    drop(server);
}
