//! The public status outputs driven through the real binary: `tocsin serve` answering `/`,
//! the Statuspage JSON, Atom and iCalendar, and `tocsin status export` writing the same page.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::serve::{http, json_of, start};

/// A response: status, lower-cased headers, body.
struct Got {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn get(addr: &str, path: &str, headers: &[(&str, &str)]) -> Got {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let extra: String = headers
        .iter()
        .map(|(n, v)| format!("{n}: {v}\r\n"))
        .collect();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{extra}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines.next().unwrap()[9..12].parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Got {
        status,
        headers,
        body: body.to_owned(),
    }
}

fn setup(inventory: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let inv = dir.path().join("inventory.yaml");
    std::fs::write(&inv, inventory).unwrap();
    let config = dir.path().join("tocsin.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase = \"sqlite://{}\"\ninventory = \"{}\"\npublic_url = \"http://status.example.net\"\n[notify]\nhold_down = \"0s\"\n",
            dir.path().join("t.db").display(),
            inv.display()
        ),
    )
    .unwrap();
    (dir, config)
}

fn spec_example() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../inventory/tests/fixtures/good/spec-example.yaml");
    std::fs::read_to_string(path).unwrap()
}

/// Polls `summary.json` until `pred` holds (the page re-renders within about 2 s).
pub(crate) fn wait_summary(addr: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let summary = json_of(&get(addr, "/api/v2/summary.json", &[]).body);
        if pred(&summary) {
            return summary;
        }
        assert!(Instant::now() < deadline, "never saw {what}: {summary}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn component<'a>(summary: &'a Value, id: &str) -> &'a Value {
    summary["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no component {id}: {summary}"))
}

/// The `data-status` of each component on a page, in order.
fn page_statuses(html: &str) -> Vec<(String, String)> {
    html.split("id=\"component-")
        .skip(1)
        .map(|rest| {
            let id = rest.split('"').next().unwrap().to_owned();
            let status = rest
                .split("data-status=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_owned();
            (id, status)
        })
        .collect()
}

fn alert(addr: &str, node: &str, state: &str) {
    let body =
        format!(r#"{{"node": "{node}", "state": "{state}", "source": "t", "id": "{node}"}}"#);
    let (status, reply) = http(addr, "POST", "/api/v1/alerts", &body);
    assert_eq!(status, 202, "{reply}");
}

#[test]
fn outage_shows_publicly_without_internal_notes_and_exports_the_same_page() {
    let (dir, config) = setup(&spec_example());
    let server = start(&config);
    let addr = server.addr.clone();

    let page = get(&addr, "/", &[]);
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(
        page_statuses(&page.body),
        [("vps-dc1".into(), "operational".into())]
    );
    let summary = wait_summary(&addr, "a summary", |_| true);
    assert_eq!(summary["status"]["indicator"], "none");
    assert_eq!(component(&summary, "vps-dc1")["status"], "operational");
    assert_eq!(component(&summary, "vps-dc1")["group"], false);
    assert_eq!(summary["scheduled_maintenances"], serde_json::json!([]));
    for key in ["id", "name", "url", "updated_at"] {
        assert!(summary["page"][key].is_string(), "page.{key}: {summary}");
    }

    // vm-1042 carries the only service of vps-dc1.
    alert(&addr, "vm-1042", "down");
    let summary = wait_summary(&addr, "the outage and its incident", |s| {
        component(s, "vps-dc1")["status"] == "major_outage"
            && s["incidents"].as_array().is_some_and(|i| !i.is_empty())
    });
    assert_eq!(summary["status"]["indicator"], "critical");
    let group = component(&summary, "group-cloud");
    assert_eq!(group["group"], true);
    assert_eq!(group["components"], serde_json::json!(["vps-dc1"]));
    assert_eq!(group["status"], "major_outage");
    assert_eq!(component(&summary, "vps-dc1")["group_id"], "group-cloud");
    let incident = &summary["incidents"][0];
    let id = incident["id"].as_str().unwrap().to_owned();
    assert_eq!(incident["status"], "investigating");
    assert_eq!(incident["components"][0]["id"], "vps-dc1");
    // The public never sees customers or internal vertex names.
    let text = summary.to_string();
    assert!(
        !text.contains("acme") && !text.contains("vm-1042"),
        "{text}"
    );

    let (status, body) = http(
        &addr,
        "POST",
        &format!("/api/v1/incidents/{id}/updates"),
        r#"{"status": "identified", "body": "A failed hypervisor; moving VMs.", "public": true}"#,
    );
    assert_eq!(status, 201, "{body}");
    let (status, body) = http(
        &addr,
        "POST",
        &format!("/api/v1/incidents/{id}/updates"),
        r#"{"status": "identified", "body": "SECRET-NOTE-42 blame the vendor", "public": false}"#,
    );
    assert_eq!(status, 201, "{body}");
    let summary = wait_summary(&addr, "the public update", |s| {
        s["incidents"][0]["incident_updates"][0]["body"] == "A failed hypervisor; moving VMs."
    });
    assert_eq!(
        summary["incidents"][0]["incident_updates"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(summary["incidents"][0]["status"], "identified");

    let page = get(&addr, "/", &[]);
    assert_eq!(
        page_statuses(&page.body),
        [("vps-dc1".into(), "major_outage".into())]
    );
    assert!(page.body.contains("A failed hypervisor; moving VMs."));
    for path in [
        "/",
        "/?lang=cs",
        "/api/v2/summary.json",
        "/api/v2/incidents.json",
        "/api/v2/components.json",
        "/api/v2/status.json",
        "/history.atom",
        "/maintenance.ics",
    ] {
        let got = get(&addr, path, &[]);
        assert_eq!(got.status, 200, "{path}");
        assert!(
            !got.body.contains("SECRET-NOTE-42"),
            "{path} leaks the note"
        );
    }
    let incidents = json_of(&get(&addr, "/api/v2/incidents.json", &[]).body);
    assert_eq!(incidents["incidents"][0]["id"], id.as_str());

    // Atom, checked by a parser; the calendar minimally.
    let atom = get(&addr, "/history.atom", &[]);
    assert!(atom
        .header("content-type")
        .unwrap()
        .starts_with("application/atom+xml"));
    let feed = atom_syndication::Feed::read_from(atom.body.as_bytes()).unwrap();
    assert!(!feed.id().is_empty());
    assert_eq!(feed.entries().len(), 1);
    let entry = &feed.entries()[0];
    assert!(entry.id().ends_with(&format!(":incident:{id}")));
    assert!(entry.title().contains("VPS — Hluboká DC1"));
    assert!(entry
        .content()
        .unwrap()
        .value()
        .unwrap()
        .contains("moving VMs"));
    let ics = get(&addr, "/maintenance.ics", &[]);
    assert!(ics
        .header("content-type")
        .unwrap()
        .starts_with("text/calendar"));
    assert!(ics.body.starts_with("BEGIN:VCALENDAR\r\n"));
    assert!(ics.body.contains("\r\nVERSION:2.0\r\n") && ics.body.contains("\r\nPRODID:"));
    assert!(ics.body.ends_with("END:VCALENDAR\r\n"));

    // The export, beside the running server, shows what `GET /` shows.
    let out = dir.path().join("site");
    crate::status::export(&config, &out);
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert_eq!(
        page_statuses(&index),
        page_statuses(&get(&addr, "/", &[]).body)
    );
    assert!(index.contains("A failed hypervisor; moving VMs."));
    assert!(index.contains("href=\"assets/status.css\""));
    assert!(!index.contains("href=\"/"), "links must be relative");
    for file in [
        "index.html",
        "index.cs.html",
        "history.atom",
        "api/v2/summary.json",
    ] {
        let text = std::fs::read_to_string(out.join(file)).unwrap();
        assert!(!text.contains("SECRET-NOTE-42"), "{file} leaks the note");
    }
    assert!(out.join("assets/status.css").is_file());
    let exported = json_of(&std::fs::read_to_string(out.join("api/v2/summary.json")).unwrap());
    let served = json_of(&get(&addr, "/api/v2/summary.json", &[]).body);
    assert_eq!(shape(&exported), shape(&served));
    assert_eq!(exported["status"], served["status"]);
    assert_eq!(
        exported["incidents"][0]["incident_updates"][0]["body"],
        "A failed hypervisor; moving VMs."
    );
    atom_syndication::Feed::read_from(
        std::fs::read_to_string(out.join("history.atom"))
            .unwrap()
            .as_bytes(),
    )
    .unwrap();

    // Back up: operational again, and the incident is listed as recent.
    alert(&addr, "vm-1042", "up");
    let summary = wait_summary(&addr, "the recovery", |s| {
        component(s, "vps-dc1")["status"] == "operational"
            && s["incidents"].as_array().is_some_and(|i| i.is_empty())
    });
    assert_eq!(summary["status"]["indicator"], "none");
    let incidents = json_of(&get(&addr, "/api/v2/incidents.json", &[]).body);
    assert_eq!(incidents["incidents"][0]["status"], "resolved");
    assert!(incidents["incidents"][0]["resolved_at"].is_string());
}

/// What must agree between the server and an export made a moment later (not timestamps).
fn shape(summary: &Value) -> Vec<(Value, Value, Value, Value)> {
    summary["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].clone(),
                c["status"].clone(),
                c["group_id"].clone(),
                c["group"].clone(),
            )
        })
        .collect()
}

#[test]
fn pages_are_cached_localised_and_escape_hostile_names() {
    let inventory = r#"version: 1
nodes:
  - {id: hv-1, kind: hypervisor}
  - {id: vm-1, kind: vm, requires: [hv-1]}
  - {id: vm-2, kind: vm}
customers:
  - id: acme
    name: ACME
services:
  - {id: s-1, customer: acme, kind: vps, component: c-1, requires: [vm-1]}
  - {id: s-2, customer: acme, kind: vps, component: c-1, requires: [vm-2]}
components:
  - id: c-1
    name: "VPS <script>alert('x')</script> & \"friends\""
    group: "<b>Cloud</b>"
"#;
    let (_dir, config) = setup(inventory);
    let server = start(&config);
    let addr = server.addr.clone();

    let page = get(&addr, "/", &[]);
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("<script>"), "{}", page.body);
    assert!(!page.body.contains("<b>Cloud"));
    assert!(page.body.contains("VPS &lt;script&gt;"));
    assert!(page.body.contains("&amp; &quot;friends&quot;"));

    // ETag, Last-Modified, Cache-Control; a matching If-None-Match gets 304 and no body.
    let etag = page.header("etag").unwrap().to_owned();
    assert!(page.header("last-modified").is_some());
    assert!(page.header("cache-control").unwrap().contains("max-age="));
    // Nothing changed over a database read cycle (2 s): same bytes, same tag.
    std::thread::sleep(Duration::from_millis(2500));
    let again = get(&addr, "/", &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304);
    assert!(again.body.is_empty());
    assert_eq!(again.header("etag"), Some(etag.as_str()));
    assert_eq!(
        get(&addr, "/", &[("If-None-Match", "\"other\"")]).status,
        200
    );
    let summary = get(&addr, "/api/v2/summary.json", &[]);
    let tag = summary.header("etag").unwrap().to_owned();
    assert_eq!(
        get(&addr, "/api/v2/summary.json", &[("If-None-Match", &tag)]).status,
        304
    );
    assert_eq!(get(&addr, "/assets/status.css", &[]).status, 200);
    let openapi = json_of(&get(&addr, "/api/openapi.json", &[]).body);
    assert!(openapi["openapi"].as_str().unwrap().starts_with("3."));
    assert!(openapi["paths"]["/api/v1/alerts/alertmanager"]["post"].is_object());

    // Languages: Accept-Language, then ?lang= over it.
    for (headers, path, lang, words) in [
        (
            vec![("Accept-Language", "cs-CZ,cs;q=0.9,en;q=0.5")],
            "/",
            "cs",
            "Stav služeb",
        ),
        (
            vec![("Accept-Language", "de, pl;q=0.8")],
            "/",
            "pl",
            "Status usług",
        ),
        (
            vec![("Accept-Language", "cs")],
            "/?lang=fr",
            "fr",
            "État des services",
        ),
        (vec![], "/?lang=ru", "ru", "Состояние сервисов"),
        (vec![("Accept-Language", "de")], "/", "en", "Service status"),
    ] {
        let got = get(&addr, path, &headers);
        assert!(
            got.body.contains(&format!("<html lang=\"{lang}\">")),
            "{path} {headers:?}"
        );
        assert!(got.body.contains(words), "{path} {headers:?}");
        assert_eq!(got.header("vary"), Some("Accept-Language, Accept-Encoding"));
        for code in ["cs", "en", "pl", "fr", "ru"] {
            assert!(got.body.contains(&format!("href=\"?lang={code}\"")));
        }
    }
    // The English and Czech pages differ, and so do their tags.
    let cs = get(&addr, "/?lang=cs", &[]);
    assert_ne!(cs.header("etag"), Some(etag.as_str()));

    // One of two services down: partial outage, and in Czech.
    alert(&addr, "vm-1", "down");
    let summary = wait_summary(&addr, "a partial outage and its incident", |s| {
        component(s, "c-1")["status"] == "partial_outage"
            && s["incidents"].as_array().is_some_and(|i| !i.is_empty())
    });
    assert_eq!(
        summary["incidents"][0]["name"],
        "Service disruption: VPS <script>alert('x')</script> & \"friends\""
    );
    // The feed stays well-formed XML and carries the name as it is.
    let feed = atom_syndication::Feed::read_from(get(&addr, "/history.atom", &[]).body.as_bytes())
        .unwrap();
    assert!(feed.entries()[0]
        .title()
        .contains("VPS <script>alert('x')</script> & \"friends\""));
    assert_eq!(summary["status"]["indicator"], "minor");
    let page = get(&addr, "/?lang=cs", &[]);
    assert_eq!(
        page_statuses(&page.body),
        [("c-1".into(), "partial_outage".into())]
    );
    assert!(page.body.contains("Částečný výpadek"));
    let fresh = get(&addr, "/", &[("If-None-Match", &etag)]);
    assert_eq!(fresh.status, 200, "a changed page is sent again");
    // Both down: major outage.
    alert(&addr, "vm-2", "down");
    wait_summary(&addr, "a major outage", |s| {
        component(s, "c-1")["status"] == "major_outage"
    });
}

#[test]
fn export_every_interval_follows_the_outage_and_stops_on_sigterm() {
    let (dir, config) = setup(&spec_example());
    let server = start(&config);
    let addr = server.addr.clone();
    let out = dir.path().join("mirror");
    let mut exporter = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["status", "export", "--every", "200ms", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let statuses = |out: &Path| {
        std::fs::read_to_string(out.join("index.html"))
            .map(|html| page_statuses(&html))
            .unwrap_or_default()
    };
    let wait = |want: &str| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while statuses(&out) != [("vps-dc1".to_owned(), want.to_owned())] {
            assert!(Instant::now() < deadline, "the mirror never showed {want}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    wait("operational");
    alert(&addr, "vm-1042", "down");
    wait("major_outage");
    alert(&addr, "vm-1042", "up");
    wait("operational");
    let term = Command::new("kill")
        .args(["-TERM", &exporter.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = exporter.wait().unwrap();
    assert!(status.success(), "{status}");
}

/// Runs `tocsin status export --config CONFIG --out OUT` and checks that it succeeded.
pub(crate) fn export(config: &Path, out: &Path) {
    let run = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["status", "export", "--config"])
        .arg(config)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}
