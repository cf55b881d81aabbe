//! Runbooks for print, end to end: `tocsin runbooks export` on a configuration with Markdown
//! runbooks and a database with staff and shifts, beside the running server; the page printed
//! to PDF by headless Chromium and read back with poppler: A4, a page per runbook, the Czech,
//! Polish and Russian words as text, the roster with its lead, links' addresses printed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::serve::{http, start, PASSWORD};

const INVENTORY: &str = r#"version: 1
nodes:
  - {id: sw-a, kind: switch}
  - {id: sw-b, kind: switch}
  - {id: hv-1, kind: hypervisor, requires: [{any: [sw-a, sw-b]}]}
  - {id: hv-2, kind: hypervisor, requires: [sw-a]}
services:
  - {id: vps-1, name: web, requires: [hv-1]}
  - {id: vps-2, name: mail, requires: [hv-2]}
"#;

const CZECH: &str = "Příliš žluťoučký kůň úpěl ďábelské ódy";
const POLISH: &str = "Zażółć gęślą jaźń";
const RUSSIAN: &str = "Съешь же ещё этих мягких французских булок";

const LEAD: &str = "lead@provider.test";

/// A binary on `PATH`.
fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Chromium, `pdfinfo` and `pdftotext`, or `None` (with a message) when missing outside CI.
fn printing_tools() -> Option<(PathBuf, PathBuf, PathBuf)> {
    let chromium = which("chromium").or_else(|| which("chromium-browser"));
    match (chromium, which("pdfinfo"), which("pdftotext")) {
        (Some(c), Some(i), Some(t)) => Some((c, i, t)),
        _ if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) => panic!(
            "chromium and poppler-utils are required under CI \
             (apt-get install -y chromium poppler-utils; scripts/test does it)"
        ),
        _ => {
            eprintln!(
                "SKIPPED runbooks print: chromium, pdfinfo or pdftotext not found on PATH \
                 (apt-get install -y chromium poppler-utils)"
            );
            None
        }
    }
}

fn tocsin(args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(args)
        .env("TOCSIN_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tocsin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn setup(dir: &Path) -> PathBuf {
    std::fs::write(dir.join("inventory.yaml"), INVENTORY).unwrap();
    let books = dir.join("runbooks");
    std::fs::create_dir(&books).unwrap();
    std::fs::write(
        books.join("01-power.md"),
        format!("# Výpadek napájení\n\n{CZECH}.\n\n1. Call the grid operator.\n2. Start the generator.\n"),
    )
    .unwrap();
    std::fs::write(
        books.join("02-network.md"),
        format!(
            "# Awaria sieci\n\n{POLISH}.\n\nSee [the switch manual](https://docs.vendor.test/sw) \
             and <script>document.title='pwned'</script>.\n\n| step | who |\n|---|---|\n| reboot | lead |\n"
        ),
    )
    .unwrap();
    std::fs::write(
        books.join("03-comms.md"),
        format!("# Связь с клиентами\n\n{RUSSIAN}.\n"),
    )
    .unwrap();
    std::fs::write(books.join("README.txt"), "not a runbook").unwrap();
    let config = dir.join("tocsin.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase = \"sqlite://{}\"\ninventory = \"inventory.yaml\"\n\
             runbooks = \"runbooks\"\npublic_url = \"https://status.provider.test/\"\n\
             [sla]\ntime_zone = \"Europe/Prague\"\n",
            dir.join("t.db").display()
        ),
    )
    .unwrap();
    config
}

/// Plans shifts over the API of a running server, as an administrator does: the lead's starts
/// within the hour, an engineer's tomorrow, one after the printed 14 days.
fn plan_shifts(addr: &str) -> i64 {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    // On a whole hour, so the printed times are predictable.
    let start = (now_ms / 3_600_000 + 1) * 3_600_000;
    let day = 24 * 3_600_000;
    let at = |ms: i64| jiff::Timestamp::from_millisecond(ms).unwrap().to_string();
    for (login, starts_ms, lead) in [
        (LEAD, start, true),
        ("eng@provider.test", start + day, false),
        ("eng@provider.test", start + 20 * day, false),
    ] {
        let body = json!({
            "login": login,
            "start": at(starts_ms),
            "end": at(starts_ms + 8 * 3_600_000),
            "lead": lead,
        });
        let (status, answer) = http(addr, "POST", "/api/v1/shifts", &body.to_string());
        assert_eq!(status, 201, "{answer}");
    }
    start
}

#[test]
fn runbooks_print_to_a4_with_every_language_and_the_roster() {
    let dir = tempfile::tempdir().unwrap();
    let config = setup(dir.path());
    let c = config.to_str().unwrap();
    let add = |login: &str, role: &str, email: &str| {
        tocsin(&[
            "users", "--config", c, "add", login, "--role", role, "--email", email,
        ]);
    };
    add(LEAD, "shift_lead", "lead@ops.example");
    add("eng@provider.test", "engineer", "eng@ops.example");
    add("gone@provider.test", "engineer", "gone@ops.example");
    tocsin(&["users", "--config", c, "disable", "gone@provider.test"]);
    // Exported beside a running server, as `status export` is: no instance lock is taken.
    let server = start(&config);
    let lead_start = plan_shifts(&server.addr);
    // Drills of the register: a weekly one starting in two days (twice in the 14 days), a
    // monthly one whose first occurrence three days ago has no result (overdue).
    let at = |ms: i64| jiff::Timestamp::from_millisecond(ms).unwrap().to_string();
    let day = 86_400_000;
    for (title, rrule, first) in [
        ("Generator under load", "FREQ=WEEKLY", lead_start + 2 * day),
        ("Firewall failover", "FREQ=MONTHLY", lead_start - 3 * day),
    ] {
        let body = json!({"title": title, "targets": ["sw-b"], "rrule": rrule,
            "start": at(first), "duration": "15m", "announced": false});
        let (status, answer) = http(&server.addr, "POST", "/api/v1/drills", &body.to_string());
        assert_eq!(status, 201, "{answer}");
    }

    let out_dir = dir.path().join("print");
    let out = tocsin(&[
        "runbooks",
        "export",
        "--config",
        c,
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    drop(server);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("3 runbooks, 2 shifts, 3 staff, 3 drills due"),
        "{said}"
    );
    let index = out_dir.join("index.html");
    let html = std::fs::read_to_string(&index).unwrap();
    assert!(!html.contains("<script"), "sanitized");
    assert!(
        !html.contains("gone@provider.test"),
        "disabled accounts are left out"
    );

    let Some((chromium, pdfinfo, pdftotext)) = printing_tools() else {
        return;
    };
    let pdf = dir.path().join("runbooks.pdf");
    let profile = dir.path().join("chromium-profile");
    let log = dir.path().join("chromium.log");
    let mut chromium = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-pdf-header-footer",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", index.display()))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    // A browser that hangs must not hang the suite: wait for its exit, up to a deadline.
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = chromium.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = chromium.kill();
            let _ = chromium.wait();
            panic!("chromium did not print within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        status.success() && pdf.is_file(),
        "chromium: {}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );

    let info = Command::new(pdfinfo).arg(&pdf).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no {name} in {info}"))
            .to_owned()
    };
    let size = field("Page size:");
    let dims: Vec<f64> = size
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(
        dims.len() == 2 && (dims[0] - 595.0).abs() < 1.0 && (dims[1] - 842.0).abs() < 1.0,
        "A4 is 595 x 842 pts: {size}"
    );
    let pages: usize = field("Pages:").parse().unwrap();
    // The front matter (contents, roster, contacts, drills, SPOFs), then a page (at least) per
    // runbook.
    assert!(pages > 3, "{pages} pages:\n{info}");

    let text = Command::new(pdftotext).arg(&pdf).arg("-").output().unwrap();
    assert!(text.status.success());
    let text = String::from_utf8(text.stdout).unwrap();
    // Words may be broken across lines only at spaces.
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for words in [
        CZECH,
        POLISH,
        RUSSIAN,
        "Výpadek napájení",
        "Awaria sieci",
        "Связь с клиентами",
    ] {
        assert!(flat.contains(words), "{words} not in the PDF:\n{text}");
    }
    assert!(
        flat.contains("(https://docs.vendor.test/sw)"),
        "link printed:\n{text}"
    );
    assert!(flat.contains(LEAD) && flat.contains("LEAD"), "{text}");
    assert!(flat.contains("lead@ops.example"), "{text}");
    let lead_starts = jiff::Timestamp::from_millisecond(lead_start)
        .unwrap()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Europe/Prague").unwrap())
        .strftime("%Y-%m-%d %H:%M %Z")
        .to_string();
    assert!(flat.contains(&lead_starts), "{lead_starts} not in:\n{text}");
    assert!(!flat.contains("None due."), "{text}");
    assert!(flat.contains("Generator under load"), "{text}");
    assert!(flat.contains("Firewall failover"), "{text}");
    assert!(flat.contains("overdue"), "{text}");
    assert!(
        flat.contains("sw-a switch 1 vps-2"),
        "the designed-redundant SPOF:\n{text}"
    );
    assert!(flat.contains("status.provider.test"), "header:\n{text}");
    // Pages are in order: each runbook starts on its own page, after the front matter.
    let pages_text: Vec<&str> = text.split('\u{c}').collect();
    let page_of = |words: &str| {
        pages_text
            .iter()
            .position(|p| {
                p.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .contains(words)
            })
            .unwrap()
    };
    let (power, network, comms) = (page_of(CZECH), page_of(POLISH), page_of(RUSSIAN));
    assert!(
        page_of("Generator under load") < power && power < network && network < comms,
        "{power} {network} {comms}"
    );
}
