//! `tocsin serve` driven from outside as the server contract describes: configuration file,
//! alerts in over HTTP, durable state across restarts, SIGTERM.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// A running server and where it listens.
pub(crate) struct Running {
    pub child: Child,
    pub addr: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The API token of the administrator `start` makes, per server address.
static TOKENS: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());

/// The login of the administrator every test server gets.
pub(crate) const ADMIN: &str = "ops@provider.test";
/// Passwords of accounts the tests make.
pub(crate) const PASSWORD: &str = "correct horse battery";

/// Adds an account through the CLI, as an operator would.
pub(crate) fn add_account(config: &Path, login: &str, role: &str, customer: Option<&str>) {
    let mut args = vec![
        "users",
        "--config",
        config.to_str().unwrap(),
        "add",
        login,
        "--role",
        role,
    ];
    if let Some(c) = customer {
        args.extend(["--customer", c]);
    }
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(&args)
        .env("TOCSIN_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() || stderr.contains("is taken"),
        "users add {login}: {stderr}"
    );
}

/// A new API token of `login`, through the CLI.
pub(crate) fn api_token(config: &Path, login: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args([
            "users",
            "--config",
            config.to_str().unwrap(),
            "token",
            login,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Starts `tocsin serve` with an administrator whose token [`http`] sends.
pub(crate) fn start(config: &Path) -> Running {
    start_faces(config, false).0
}

/// Starts `tocsin serve` configured with `listen_public`, as [`start`] does; returns it and
/// the public face's address, where [`http`] sends the administrator's token too.
pub(crate) fn start_with_public(config: &Path) -> (Running, String) {
    let (running, public) = start_faces(config, true);
    (running, public.unwrap())
}

fn start_faces(config: &Path, public: bool) -> (Running, Option<String>) {
    add_account(config, ADMIN, "admin", None);
    let token = api_token(config, ADMIN);
    let (running, public) = match public {
        true => spawn_serve(config, true),
        false => (start_plain(config), None),
    };
    let mut tokens = TOKENS.lock().unwrap();
    for addr in std::iter::once(&running.addr).chain(&public) {
        tokens.retain(|(a, _)| a != addr);
        tokens.push((addr.clone(), token.clone()));
    }
    (running, public)
}

/// Starts `tocsin serve` as it is configured, making no account.
pub(crate) fn start_plain(config: &Path) -> Running {
    spawn_serve(config, false).0
}

/// Starts `tocsin serve`; waits for its `listening on` line and, when `public`, for the
/// public face's line after it.
fn spawn_serve(config: &Path, public: bool) -> (Running, Option<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["serve", "--config", config.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let Some(Ok(line)) = lines.next() else {
            let status = child.wait().unwrap();
            panic!("server exited ({status}) before listening");
        };
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Made now so that a panic below still stops the server.
    let running = Running { child, addr };
    let public = public.then(|| loop {
        let Some(Ok(line)) = lines.next() else {
            panic!("server stopped logging before its public face");
        };
        if let Some(rest) = line
            .split_once("public face")
            .and_then(|(_, l)| l.split("http://").nth(1))
        {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    });
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (running, public)
}

/// A minimal HTTP/1.1 exchange as the server's administrator (when `start` made one);
/// returns the status and the body.
pub(crate) fn http(addr: &str, method: &str, path: &str, body: &str) -> (u16, String) {
    let token = TOKENS
        .lock()
        .unwrap()
        .iter()
        .find(|(a, _)| a == addr)
        .map(|(_, t)| t.clone());
    http_as(addr, method, path, body, token.as_deref())
}

/// A minimal HTTP/1.1 exchange with the bearer token given, or anonymous.
pub(crate) fn http_as(
    addr: &str,
    method: &str,
    path: &str,
    body: &str,
    token: Option<&str>,
) -> (u16, String) {
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let headers = format!("{auth}Content-Type: application/json\r\n");
    let reply = crate::session::exchange(addr, method, path, &headers, body);
    (reply.status, reply.body)
}

/// Polls `path` (as the administrator) until `pred` holds on its body, `within` at most.
pub(crate) fn wait_for(
    addr: &str,
    path: &str,
    what: &str,
    within: Duration,
    pred: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + within;
    loop {
        let (_, body) = http(addr, "GET", path, "");
        if pred(&body) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "never saw {what} at {path}: {body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The `error` of a refusal's JSON body, empty when there is none.
pub(crate) fn error_of(body: &str) -> String {
    json_of(body)["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

pub(crate) fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn setup(database: Option<String>) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let config = example_config(dir.path(), database.as_deref(), "http://status.example.net");
    (dir, config)
}

/// Writes `DIR/tocsin.toml` serving the spec's example inventory (acme and beta, sw-a and
/// sw-b…) from `database`, or from an SQLite file in `dir`, with no hold-down; returns its path.
pub(crate) fn example_config(dir: &Path, database: Option<&str>, public_url: &str) -> PathBuf {
    let inventory = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../inventory/tests/fixtures/good/spec-example.yaml");
    let database = database
        .map(str::to_owned)
        .unwrap_or_else(|| format!("sqlite://{}", dir.join("t.db").display()));
    let config = dir.join("tocsin.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase = \"{database}\"\ninventory = \"{}\"\npublic_url = \"{public_url}\"\n[notify]\nhold_down = \"0s\"\n",
            inventory.display()
        ),
    )
    .unwrap();
    config
}

pub(crate) fn alertmanager(status: &str, labels: Value, fingerprint: &str) -> String {
    json!({
        "version": "4", "status": status, "receiver": "tocsin", "groupKey": "{}:{}",
        "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {}, "externalURL": "http://am",
        "alerts": [{
            "status": status, "labels": labels, "annotations": {},
            "startsAt": "2026-11-22T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prom", "fingerprint": fingerprint,
        }],
    })
    .to_string()
}

fn run_scenario(database: Option<String>) {
    let (_dir, config) = setup(database);
    let server = start(&config);
    let addr = server.addr.clone();
    assert_eq!(http(&addr, "GET", "/healthz", "").0, 200);

    // sw-a carries labels {instance: sw-a.mgmt:9100}; extra labels in the alert do not matter.
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/alerts/alertmanager",
        &alertmanager(
            "firing",
            json!({"alertname": "SwitchDown", "instance": "sw-a.mgmt:9100"}),
            "fp-sw-a",
        ),
    );
    assert_eq!(status, 202, "{body}");
    assert_eq!(json_of(&body)["unmatched"], json!([]));
    let impact = json_of(&http(&addr, "GET", "/api/v1/impact", "").1);
    assert_eq!(impact["down"], json!(["hv-08", "sw-a", "vm-2", "vps-2"]));
    assert_eq!(impact["affected_customers"], json!(["beta"]));
    assert_eq!(impact["at_risk_customers"], json!(["acme"]));

    // Re-sent firing alerts (repeat_interval) change nothing.
    let again = http(
        &addr,
        "POST",
        "/api/v1/alerts/alertmanager",
        &alertmanager(
            "firing",
            json!({"alertname": "SwitchDown", "instance": "sw-a.mgmt:9100"}),
            "fp-sw-a",
        ),
    );
    assert_eq!(again.0, 202);
    assert_eq!(json_of(&http(&addr, "GET", "/api/v1/impact", "").1), impact);

    // tocsin_node and tocsin_state=degraded; a generic alert on another vertex.
    let (status, _) = http(
        &addr,
        "POST",
        "/api/v1/alerts/alertmanager",
        &alertmanager(
            "firing",
            json!({"tocsin_node": "san-a", "tocsin_state": "degraded"}),
            "fp-san",
        ),
    );
    assert_eq!(status, 202);
    let (status, _) = http(
        &addr,
        "POST",
        "/api/v1/alerts",
        r#"{"node": "pdu-b", "state": "down", "source": "zabbix", "id": "e1"}"#,
    );
    assert_eq!(status, 202);
    let impact = json_of(&http(&addr, "GET", "/api/v1/impact", "").1);
    assert!(
        impact["degraded"]
            .as_array()
            .unwrap()
            .contains(&json!("san-a")),
        "{impact}"
    );
    assert!(
        impact["down"].as_array().unwrap().contains(&json!("pdu-b")),
        "{impact}"
    );

    // Unmatched alerts are stored and reported, never dropped.
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/alerts/alertmanager",
        &alertmanager(
            "firing",
            json!({"alertname": "Mystery", "instance": "nowhere:9100"}),
            "fp-x",
        ),
    );
    assert_eq!(status, 202);
    assert_eq!(json_of(&body)["unmatched"][0]["fingerprint"], json!("fp-x"));
    let listed = json_of(&http(&addr, "GET", "/api/v1/alerts/unmatched", "").1);
    assert_eq!(listed["unmatched"][0]["fingerprint"], json!("fp-x"));

    // Malformed bodies: 400 with a JSON error that says what is wrong.
    for (path, body, needle) in [
        (
            "/api/v1/alerts/alertmanager",
            "{\"alerts\": [{\"labels\": {}}]}",
            "status",
        ),
        (
            "/api/v1/alerts/alertmanager",
            "{\"alerts\": [{\"status\": \"burning\"}]}",
            "burning",
        ),
        ("/api/v1/alerts/alertmanager", "not json", "malformed JSON"),
        (
            "/api/v1/alerts",
            "{\"node\": \"sw-a\", \"state\": \"on fire\"}",
            "on fire",
        ),
        (
            "/api/v1/alerts",
            "{\"node\": \"sw-a\", \"state\": \"down\", \"colour\": 1}",
            "colour",
        ),
    ] {
        let (status, reply) = http(&addr, "POST", path, body);
        assert_eq!(status, 400, "{body} → {reply}");
        let error = json_of(&reply)["error"].as_str().unwrap().to_owned();
        assert!(error.contains(needle), "{body} → {error}");
    }

    // A restart keeps what alerts assert; the resolution then withdraws exactly sw-a.
    let mut server = server;
    unsafe_sigterm(&server.child);
    let status = server.child.wait().unwrap();
    assert!(status.success(), "SIGTERM exit: {status}");
    let server = start(&config);
    let addr = server.addr.clone();
    let impact = json_of(&http(&addr, "GET", "/api/v1/impact", "").1);
    assert!(
        impact["down"].as_array().unwrap().contains(&json!("sw-a")),
        "{impact}"
    );
    let (status, _) = http(
        &addr,
        "POST",
        "/api/v1/alerts/alertmanager",
        &alertmanager(
            "resolved",
            json!({"alertname": "SwitchDown", "instance": "sw-a.mgmt:9100"}),
            "fp-sw-a",
        ),
    );
    assert_eq!(status, 202);
    let impact = json_of(&http(&addr, "GET", "/api/v1/impact", "").1);
    assert_eq!(impact["down"], json!(["pdu-b"]));
    assert!(impact["degraded"]
        .as_array()
        .unwrap()
        .contains(&json!("san-a")));
}

/// Sends SIGTERM through the `kill` command (no libc in the tests).
pub(crate) fn unsafe_sigterm(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
}

#[test]
fn alerts_drive_impact_durably_on_sqlite() {
    run_scenario(None);
}

/// `shared/spec/ha.md`: SQLite stays one instance. A second `serve` on the same file refuses
/// to start and says why; once the first has stopped, a new one starts.
#[test]
fn a_second_serve_on_the_same_sqlite_file_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let config = example_config(dir.path(), None, "http://status.example.net");
    let first = start_plain(&config);
    let mut second = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["serve", "--config", config.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = second.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            second.kill().unwrap();
            panic!("a second serve on the same SQLite file kept running");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut said = String::new();
    std::io::Read::read_to_string(&mut second.stderr.take().unwrap(), &mut said).unwrap();
    assert!(!status.success(), "{said}");
    assert!(
        said.contains("in use by another `tocsin serve`") && said.contains("PostgreSQL"),
        "{said}"
    );
    assert!(!said.contains("listening on"), "{said}");
    // The first still serves; after it stops, the file is free again.
    assert_eq!(http(&first.addr, "GET", "/healthz", "").0, 200);
    drop(first);
    let again = start_plain(&config);
    assert_eq!(http(&again.addr, "GET", "/healthz", "").0, 200);
}

/// A new empty database on the test PostgreSQL server, named `prefix_PID`, as a URL; `None`
/// (skipped) when no server is configured, which CI does not allow.
pub(crate) fn fresh_postgres(prefix: &str) -> Option<String> {
    let Ok(admin) = std::env::var("TOCSIN_TEST_POSTGRES") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set TOCSIN_TEST_POSTGRES"
        );
        eprintln!("TOCSIN_TEST_POSTGRES unset: skipped");
        return None;
    };
    let name = format!("{prefix}_{}", std::process::id());
    let out = Command::new("psql")
        .args([&admin, "-qc", &format!("CREATE DATABASE {name}")])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (base, _) = admin.rsplit_once('/').unwrap();
    Some(format!("{base}/{name}"))
}

#[test]
fn alerts_drive_impact_durably_on_postgres() {
    let Some(database) = fresh_postgres("serve") else {
        return;
    };
    run_scenario(Some(database));
}

#[test]
fn zabbix_events_map_by_tag_host_or_labels() {
    let (_dir, config) = setup(None);
    let server = start(&config);
    let addr = server.addr.clone();
    let down = |addr: &str| json_of(&http(addr, "GET", "/api/v1/impact", "").1)["down"].clone();
    // The host's name is a vertex id.
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/alerts/zabbix",
        r#"{"event_id": "101", "event_value": "1", "host": "hv-08", "tags": "[{\"tag\":\"scope\",\"value\":\"availability\"}]"}"#,
    );
    assert_eq!(status, 202, "{body}");
    assert_eq!(down(&addr), json!(["hv-08", "vm-2", "vps-2"]));
    // A tocsin_node tag wins; numbers are accepted where Zabbix sends them.
    let (status, _) = http(
        &addr,
        "POST",
        "/api/v1/alerts/zabbix",
        r#"{"event_id": 102, "event_value": 1, "host": "zbx-host", "tags": [{"tag": "tocsin_node", "value": "pdu-a"}]}"#,
    );
    assert_eq!(status, 202);
    assert!(down(&addr).as_array().unwrap().contains(&json!("pdu-a")));
    // Labels: the host and tags together match sw-a's labels.
    let (status, _) = http(
        &addr,
        "POST",
        "/api/v1/alerts/zabbix",
        r#"{"event_id": "103", "event_value": "1", "host": "unknown-host", "tags": {"instance": "sw-a.mgmt:9100"}}"#,
    );
    assert_eq!(status, 202);
    assert!(down(&addr).as_array().unwrap().contains(&json!("sw-a")));
    // Recoveries carry the problem's event id and withdraw exactly it.
    for id in ["101", "102", "103"] {
        let (status, _) = http(
            &addr,
            "POST",
            "/api/v1/alerts/zabbix",
            &format!(r#"{{"event_id": "{id}", "event_value": "0"}}"#),
        );
        assert_eq!(status, 202);
    }
    assert_eq!(down(&addr), json!([]));
    let (status, body) = http(
        &addr,
        "POST",
        "/api/v1/alerts/zabbix",
        r#"{"event_id": "1", "event_value": "2"}"#,
    );
    assert_eq!(status, 400);
    assert!(body.contains("event_value"), "{body}");
}

#[test]
fn inventory_reloads_on_request_and_on_sighup_keeping_what_alerts_assert() {
    let dir = tempfile::tempdir().unwrap();
    let original = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../inventory/tests/fixtures/good/spec-example.yaml");
    let text = std::fs::read_to_string(original).unwrap();
    let inventory = dir.path().join("inventory.yaml");
    std::fs::write(&inventory, &text).unwrap();
    let config = dir.path().join("tocsin.toml");
    std::fs::write(&config, format!("listen = \"127.0.0.1:0\"\ndatabase = \"sqlite://{}\"\ninventory = \"inventory.yaml\"\n[notify]\nhold_down = \"0s\"\n", dir.path().join("t.db").display())).unwrap();
    let server = start(&config);
    let addr = server.addr.clone();
    let impact = |addr: &str| json_of(&http(addr, "GET", "/api/v1/impact", "").1);
    let (status, _) = http(
        &addr,
        "POST",
        "/api/v1/alerts",
        r#"{"node": "sw-a", "state": "down", "source": "t", "id": "1"}"#,
    );
    assert_eq!(status, 202);
    assert!(impact(&addr)["down"]
        .as_array()
        .unwrap()
        .contains(&json!("vps-2")));

    // A broken file is refused with its diagnostics; the running inventory stays.
    std::fs::write(
        &inventory,
        text.replace("requires: [pdu-a, sw-a]", "require: [pdu-a, sw-a]"),
    )
    .unwrap();
    let (status, body) = http(&addr, "POST", "/api/v1/inventory/reload", "");
    assert_eq!(status, 400);
    assert!(body.contains("unknown key `require`"), "{body}");
    assert!(impact(&addr)["down"]
        .as_array()
        .unwrap()
        .contains(&json!("vps-2")));

    // hv-08 gets its second switch: the same alert now only degrades it.
    std::fs::write(
        &inventory,
        text.replace(
            "requires: [pdu-a, sw-a]",
            "requires: [pdu-a, {any: [sw-a, sw-b]}]",
        ),
    )
    .unwrap();
    let (status, body) = http(&addr, "POST", "/api/v1/inventory/reload", "");
    assert_eq!(status, 200, "{body}");
    let now = impact(&addr);
    assert_eq!(now["down"], json!(["sw-a"]), "{now}");
    assert!(now["degraded"]
        .as_array()
        .unwrap()
        .contains(&json!("vps-2")));
    let incidents = json_of(&http(&addr, "GET", "/api/v1/incidents", "").1);
    assert_eq!(
        incidents["incidents"][0]["status"],
        json!("resolved"),
        "{incidents}"
    );

    // SIGHUP: back to the original file.
    std::fs::write(&inventory, &text).unwrap();
    let ok = Command::new("kill")
        .args(["-HUP", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !impact(&addr)["down"]
        .as_array()
        .unwrap()
        .contains(&json!("vps-2"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "SIGHUP did not reload"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
