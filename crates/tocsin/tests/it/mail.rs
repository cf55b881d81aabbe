//! From alert to the right inboxes, against a real SMTP server (Debian's aiosmtpd, through the
//! notify crate's keeper script): exactly the affected customers' contacts get exactly one
//! message per incident event; a flap inside the hold-down tells nobody; mail queued while the
//! SMTP server is down goes out when it returns.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::serve::{alertmanager, http, json_of, start};

const INVENTORY: &str = r#"version: 1
nodes:
  - {id: sw-a, kind: switch, labels: {instance: "sw-a:9100"}}
  - {id: sw-b, kind: switch}
  - {id: hv-1, kind: hypervisor, requires: [sw-a]}
  - {id: hv-2, kind: hypervisor, requires: [{any: [sw-a, sw-b]}]}
customers:
  - id: acme
    name: ACME s.r.o.
    contacts: [{email: ops@acme.example, language: cs}, {email: boss@acme.example, language: en}]
  - id: beta
    name: Beta sp. z o.o.
    contacts: [{email: it@beta.example, language: pl}]
  - id: gamma
    name: Gamma SARL
    contacts: [{email: noc@gamma.example, language: fr}]
services:
  - {id: vps-1, customer: acme, name: acme-web, requires: [hv-1]}
  - {id: vps-9, customer: acme, name: acme-db, requires: [hv-1]}
  - {id: vps-2, customer: beta, name: beta-shop, requires: [hv-1]}
  - {id: vps-3, customer: gamma, name: gamma-mail, requires: [hv-2]}
"#;

/// The SMTP keeper: a real aiosmtpd server writing each message to a directory.
pub(crate) struct Keeper {
    child: Child,
    _stdin: ChildStdin,
    dir: PathBuf,
    pub(crate) port: u16,
}

impl Drop for Keeper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Keeper {
    pub(crate) fn start(dir: &Path, port: Option<u16>) -> Keeper {
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../notify/tests/peers/smtp_keeper.py");
        std::fs::create_dir_all(dir).unwrap();
        let mut cmd = Command::new("/usr/bin/python3");
        cmd.arg(&script).arg(dir).arg("--pipelining");
        if let Some(p) = port {
            cmd.arg("--port").arg(p.to_string());
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 with aiosmtpd (apt-get install python3-aiosmtpd)");
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("keeper said {line:?}"))
            .parse()
            .unwrap();
        Keeper {
            child,
            _stdin: stdin,
            dir: dir.to_owned(),
            port,
        }
    }

    /// Messages received so far: (recipient, whole message).
    pub(crate) fn messages(&self) -> Vec<(String, String)> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).unwrap();
                let to = text
                    .lines()
                    .find_map(|l| l.strip_prefix("X-Peer-Rcpt-To: "))
                    .unwrap()
                    .to_owned();
                (to, text)
            })
            .collect()
    }

    pub(crate) fn wait_for(&self, n: usize, within: Duration) -> Vec<(String, String)> {
        let deadline = Instant::now() + within;
        loop {
            let got = self.messages();
            if got.len() >= n || Instant::now() > deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Writes `inventory` and a configuration for `tocsin serve` in `dir`: SQLite there, mail to
/// the SMTP server on `smtp_port`; `top` and `notify` add lines at the top level and under
/// `[notify]` (after `hold_down`).
pub(crate) fn smtp_config(
    dir: &Path,
    smtp_port: u16,
    inventory: &str,
    top: &str,
    hold_down: &str,
    notify: &str,
) -> PathBuf {
    std::fs::write(dir.join("inventory.yaml"), inventory).unwrap();
    let config = dir.join("tocsin.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase = \"sqlite://{}\"\ninventory = \"inventory.yaml\"\n{top}public_url = \"https://status.example.net\"\n\
             [smtp]\nhost = \"127.0.0.1\"\nport = {smtp_port}\ntls = \"none\"\nfrom = \"Example Hosting <status@example.net>\"\n\
             [notify]\nhold_down = \"{hold_down}\"\n{notify}",
            dir.join("t.db").display()
        ),
    )
    .unwrap();
    config
}

fn config(dir: &Path, smtp_port: u16, hold_down: &str) -> PathBuf {
    smtp_config(
        dir,
        smtp_port,
        INVENTORY,
        "archive = \"archive\"\n",
        hold_down,
        "",
    )
}

fn recipients(messages: &[(String, String)]) -> Vec<String> {
    let mut r: Vec<String> = messages.iter().map(|(to, _)| to.clone()).collect();
    r.sort();
    r
}

fn sw_a(status: &str) -> String {
    alertmanager(
        status,
        json!({"alertname": "SwitchDown", "instance": "sw-a:9100"}),
        "fp-sw-a",
    )
}

#[test]
fn exactly_the_affected_contacts_get_one_message_per_event() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let server = start(&config(dir.path(), keeper.port, "0s"));
    assert_eq!(
        http(
            &server.addr,
            "POST",
            "/api/v1/alerts/alertmanager",
            &sw_a("firing")
        )
        .0,
        202
    );
    // Alertmanager repeats the firing alert; nothing more must be sent for it.
    assert_eq!(
        http(
            &server.addr,
            "POST",
            "/api/v1/alerts/alertmanager",
            &sw_a("firing")
        )
        .0,
        202
    );
    let opened = keeper.wait_for(3, Duration::from_secs(30));
    assert_eq!(
        recipients(&opened),
        ["boss@acme.example", "it@beta.example", "ops@acme.example"]
    );
    for (to, m) in &opened {
        for header in [
            "Message-ID: <",
            "Date: ",
            "Auto-Submitted: auto-generated",
            "List-Id: <status.example.net>",
            "multipart/alternative",
            "text/plain",
            "text/html",
        ] {
            assert!(m.contains(header), "{to}: no {header}\n{m}");
        }
        // Customers never read the provider's topology: no switch named in subject or text.
        assert!(
            !m.contains("sw-a"),
            "{to}: names the provider's switch\n{m}"
        );
    }
    let acme_cs = &opened
        .iter()
        .find(|(to, _)| to == "ops@acme.example")
        .unwrap()
        .1;
    assert!(acme_cs.contains("Content-Language: cs"), "{acme_cs}");
    // One message lists both of ACME's services, and only theirs.
    assert!(
        acme_cs.contains("acme-web") && acme_cs.contains("acme-db"),
        "{acme_cs}"
    );
    assert!(!acme_cs.contains("beta-shop"));

    assert_eq!(
        http(
            &server.addr,
            "POST",
            "/api/v1/alerts/alertmanager",
            &sw_a("resolved")
        )
        .0,
        202
    );
    let all = keeper.wait_for(6, Duration::from_secs(30));
    assert_eq!(all.len(), 6, "{:?}", recipients(&all));
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(keeper.messages().len(), 6, "no duplicates later");
    let resolved: Vec<&String> = all[3..].iter().map(|(_, m)| m).collect();
    assert!(
        resolved.iter().all(|m| m.contains(".resolved.")),
        "resolution Message-IDs"
    );
    let outbox = json_of(&http(&server.addr, "GET", "/api/v1/outbox", "").1);
    assert_eq!(outbox["counts"]["sent"], json!(6));
    assert_eq!(outbox["latest"].as_array().map(Vec::len), Some(6));
    // The counts alone, as a dashboard following a fan-out asks for them; or the latest few.
    let counts = json_of(&http(&server.addr, "GET", "/api/v1/outbox?latest=0", "").1);
    assert_eq!(counts["counts"], outbox["counts"]);
    assert_eq!(counts["latest"], json!([]));
    let two = json_of(&http(&server.addr, "GET", "/api/v1/outbox?latest=2", "").1);
    assert_eq!(
        two["latest"],
        json!(outbox["latest"].as_array().unwrap()[..2])
    );
    let (status, body) = http(&server.addr, "GET", "/api/v1/outbox?latest=201", "");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("latest: 201"), "{body}");
    let incidents = json_of(&http(&server.addr, "GET", "/api/v1/incidents", "").1);
    assert_eq!(incidents["incidents"][0]["status"], json!("resolved"));
    // Every message sent and every raw alert is in the archive, byte for byte.
    let (status, metrics) = http(&server.addr, "GET", "/metrics", "");
    let mut server = server;
    crate::serve::unsafe_sigterm(&server.child);
    assert!(server.child.wait().unwrap().success());
    let archive = dir.path().join("archive");
    let ls = |prefix: &str| -> Vec<String> {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
            .args([
                "archive",
                "--dir",
                archive.to_str().unwrap(),
                "ls",
                "--prefix",
                prefix,
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    };
    let mails = ls("mail/");
    assert_eq!(mails.len(), 6, "{mails:?}");
    assert_eq!(ls("alerts/").len(), 3);
    let kept = std::process::Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args([
            "archive",
            "--dir",
            archive.to_str().unwrap(),
            "get",
            &mails[0],
        ])
        .output()
        .unwrap()
        .stdout;
    let kept = String::from_utf8(kept).unwrap();
    let id_line = kept
        .lines()
        .find(|l| l.starts_with("Message-ID:"))
        .unwrap()
        .to_owned();
    let received = all
        .iter()
        .find(|(_, m)| m.contains(&id_line))
        .map(|(_, m)| m.clone())
        .unwrap();
    let received_body = received
        .split_once("\r\n")
        .and_then(|(_, r)| r.split_once("\r\n"))
        .map(|(_, r)| r)
        .unwrap();
    assert_eq!(
        received_body.replace("\r\n", "\n").trim_end(),
        kept.replace("\r\n", "\n").trim_end()
    );
    assert_eq!(status, 200);
    for line in [
        "tocsin_notices_sent_total 6\n",
        "tocsin_alerts_received_total 3\n",
        "tocsin_incidents_open 0\n",
        "tocsin_notice_latency_seconds_count 6\n",
    ] {
        assert!(metrics.contains(line), "no {line:?} in\n{metrics}");
    }
}

#[test]
fn a_flap_inside_the_hold_down_is_recorded_and_tells_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let keeper = Keeper::start(&dir.path().join("mail"), None);
    let server = start(&config(dir.path(), keeper.port, "3s"));
    assert_eq!(
        http(
            &server.addr,
            "POST",
            "/api/v1/alerts/alertmanager",
            &sw_a("firing")
        )
        .0,
        202
    );
    assert_eq!(
        http(
            &server.addr,
            "POST",
            "/api/v1/alerts/alertmanager",
            &sw_a("resolved")
        )
        .0,
        202
    );
    std::thread::sleep(Duration::from_secs(4));
    assert!(keeper.messages().is_empty());
    let incidents = json_of(&http(&server.addr, "GET", "/api/v1/incidents", "").1);
    assert_eq!(incidents["incidents"].as_array().unwrap().len(), 1);
    assert_eq!(incidents["incidents"][0]["status"], json!("resolved"));
    // A real outage after the flap is told once the hold-down has passed.
    assert_eq!(
        http(
            &server.addr,
            "POST",
            "/api/v1/alerts/alertmanager",
            &sw_a("firing")
        )
        .0,
        202
    );
    let got = keeper.wait_for(3, Duration::from_secs(30));
    assert_eq!(got.len(), 3);
}

#[test]
fn mail_queued_while_smtp_is_down_goes_out_when_it_returns() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let server = start(&config(dir.path(), port, "0s"));
    assert_eq!(
        http(
            &server.addr,
            "POST",
            "/api/v1/alerts/alertmanager",
            &sw_a("firing")
        )
        .0,
        202
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let outbox = json_of(&http(&server.addr, "GET", "/api/v1/outbox", "").1);
        if outbox["counts"]["retrying"].as_i64().unwrap_or(0) == 3 {
            break;
        }
        assert!(Instant::now() < deadline, "never retried: {outbox}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let keeper = Keeper::start(&dir.path().join("mail"), Some(port));
    let got = keeper.wait_for(3, Duration::from_secs(60));
    assert_eq!(
        recipients(&got),
        ["boss@acme.example", "it@beta.example", "ops@acme.example"]
    );
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(keeper.messages().len(), 3);
}
