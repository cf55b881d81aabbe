//! The server under a wall clock that jumps (seed 002: an hour back on a ship, then 1752 from
//! a confused NTP server), run under Debian's `faketime` library: an outage keeps its true
//! length and order, `/metrics` counts the jumps and the console shows them.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::serve::{
    add_account, alertmanager, api_token, example_config, http_as, json_of, Running, ADMIN,
};

/// Points `config` at a copy of the spec's example inventory where both services have plan
/// `vps-m` (tiered), so that the SLA account lists them.
fn with_plans(config: &Path, dir: &Path) {
    let example = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../inventory/tests/fixtures/good/spec-example.yaml");
    let text = std::fs::read_to_string(&example).unwrap().replace(
        "    kind: vps\n    requires: [vm-2]\n",
        "    kind: vps\n    plan: vps-m\n    requires: [vm-2]\n",
    );
    assert!(text.contains("plan: vps-m\n    requires: [vm-2]"));
    let inventory = dir.join("inventory.yaml");
    std::fs::write(
        &inventory,
        format!(
            "{text}plans:\n  - {{id: vps-m, price: \"12.00\", currency: EUR, sla: 99.9, credits: tiered}}\n\
             credit_policies:\n  - id: tiered\n    tiers: [{{below: 99.9, percent: 10}}]\n"
        ),
    )
    .unwrap();
    let toml = std::fs::read_to_string(config).unwrap();
    let toml: String = toml
        .lines()
        .map(|l| {
            if l.starts_with("inventory = ") {
                format!("inventory = \"{}\"\n", inventory.display())
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(config, toml).unwrap();
}

/// `libfaketime` as Debian installs it (package `faketime`); `None` (skipped) when absent,
/// which CI does not allow.
pub(crate) fn libfaketime() -> Option<PathBuf> {
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
/// On eight runtime workers whatever the machine, so that most of them answer their first
/// request only under 1752: hyper fills a per-thread date cache from the wall clock at a
/// thread's first answer, which panics before 1970 unless the server filled it at start.
pub(crate) fn serve_faked(
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
        // Start-at times (`@2026-12-23 15:50:00`) are read in UTC.
        .env("TZ", "UTC")
        .env("DONT_FAKE_MONOTONIC", "1")
        .env("TOKIO_WORKER_THREADS", "8")
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
pub(crate) fn set_clock(timestamp: &Path, spec: &str) {
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

/// One `GET` on a connection of its own: the status line and the `Date` header, or what
/// went wrong (a connection reset when the server panicked answering).
fn dated_get(addr: &str, path: &str) -> Result<(String, Option<String>), String> {
    let mut s = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("write: {e}"))?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).map_err(|e| format!("read: {e}"))?;
    let text = String::from_utf8_lossy(&raw);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    let mut lines = head.lines();
    let status = lines.next().filter(|l| !l.is_empty()).ok_or("no answer")?;
    let date = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("date"))
        .map(|(_, v)| v.trim().to_owned());
    Ok((status.to_owned(), date))
}

/// Milliseconds since the epoch of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
fn imf_fixdate_ms(date: &str) -> Option<i64> {
    let parts: Vec<&str> = date.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = MONTHS.iter().position(|x| x == month)? as i64 + 1;
    let (d, y): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, mi, se] = hms.as_slice() else {
        return None;
    };
    // Days from the civil date (Howard Hinnant's algorithm), March-based years.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + mi) * 60_000 + se * 1000)
}

#[test]
fn imf_fixdates_are_read() {
    assert_eq!(
        imf_fixdate_ms("Sun, 06 Nov 1994 08:49:37 GMT"),
        Some(784_111_777_000)
    );
    assert_eq!(imf_fixdate_ms("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
    assert_eq!(
        imf_fixdate_ms("Tue, 29 Feb 2028 23:59:59 GMT"),
        Some(1_835_481_599_000)
    );
    assert_eq!(imf_fixdate_ms("Sun, 06 Nov 1994 08:49:37 CET"), None);
}

pub(crate) fn jumps_total(metrics: &str) -> u64 {
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
    with_plans(&config, dir.path());
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
    // The SLA account counts the same true length: vps-2 (on hv-08, which needs sw-a alone)
    // was down for it, this month, in whole seconds.
    let sla = json_of(&call("GET", "/api/v1/sla", ""));
    let vps2 = sla["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "vps-2")
        .unwrap_or_else(|| panic!("{sla}"));
    let down_s = vps2["down_seconds"].as_i64().unwrap();
    assert!(
        least / 1000 - 1 <= down_s && down_s <= most / 1000 + 1,
        "vps-2 down {down_s} s by the SLA, {least}..{most} ms really: {sla}"
    );
    assert_eq!(sla["final"], false);

    // Still under 1752, the server answers on every worker: many connections at once, each
    // dated by the running system's clock (the real time), never by the wall clock.
    let real_asked = real_now_ms();
    let answers: Vec<Result<(String, Option<String>), String>> = std::thread::scope(|s| {
        let askers: Vec<_> = (0..16)
            .map(|_| {
                s.spawn(|| {
                    (0..4)
                        .map(|_| dated_get(&addr, "/healthz"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        askers.into_iter().flat_map(|a| a.join().unwrap()).collect()
    });
    let real_answered = real_now_ms();
    assert_eq!(answers.len(), 64);
    for answer in &answers {
        let (status, date) = answer.as_ref().unwrap_or_else(|e| {
            let log = log.lock().unwrap();
            let panics: Vec<_> = log.iter().filter(|l| l.contains("panicked")).collect();
            panic!("no answer under 1752: {e}; the server's panics: {panics:#?}")
        });
        assert!(status.starts_with("HTTP/1.1 200"), "{status}");
        let date = date
            .as_deref()
            .unwrap_or_else(|| panic!("no Date under 1752: {status}"));
        let at = imf_fixdate_ms(date).unwrap_or_else(|| panic!("Date {date:?}"));
        // The format has whole seconds; our clock may differ from the real one by rounding.
        assert!(
            real_asked - 2_000 <= at && at <= real_answered + 2_000,
            "Date {date} ({at}), really {real_asked}..{real_answered}"
        );
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
