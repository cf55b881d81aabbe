//! Secrets never at rest in clear (`shared/spec/desk.md`, issue 14): a server logging at
//! debug level runs interventions and an envelope through every step; during the work and
//! after it, every file under its directory (the SQLite database and its WAL, the archive's
//! volumes, the log, the e-mails the SMTP server received) is searched for each secret as
//! written, in base64 (at every alignment) and in hex. None may be found; the key file is
//! the only secret the directory holds, and it is checked to be readable by its owner only.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

use crate::serve::{add_account, api_token, ADMIN};
use crate::tickets::{call, desk_config, users_add, ACME, ENGINEER, LEAD};

const USERNAME: &str = "svc-maint-Quokka41";
const SECRET_PASSWORD: &str = "Wq8-ember-Falcon-7302";
const SSH_KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAQmFzaWxpc2stOTkx\n-----END OPENSSH PRIVATE KEY-----";
const NEW_PASSWORD: &str = "Nimbus-Tangerine-5517";
const ENVELOPE: &str = "twitter: Marmalade-Orbit-3390";

/// A server whose log goes to `log`.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(config: &Path, log: &Path) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["serve", "--config", config.to_str().unwrap()])
        .env("TOCSIN_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(File::create(log).unwrap())
        .spawn()
        .unwrap();
    // Made now so that a failure below still stops the server.
    let mut server = Server {
        child,
        addr: String::new(),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(rest) = text.split("listening on http://").nth(1) {
            server.addr = rest.split_whitespace().next().unwrap().to_owned();
            return server;
        }
        assert!(Instant::now() < deadline, "no listening line in {text}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Each secret's forms: as written, base64 at each of the three alignments, hex.
fn forms(secret: &str) -> Vec<(String, Vec<u8>)> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut out = vec![("clear".to_owned(), secret.as_bytes().to_vec())];
    for shift in 0..3 {
        let mut bytes = vec![0u8; shift];
        bytes.extend_from_slice(secret.as_bytes());
        let text = b64.encode(&bytes);
        // The characters that depend on the secret's bytes only: skip the first four of a
        // shifted encoding and the last four (padding).
        let start = if shift == 0 { 0 } else { 4 };
        let end = text.len().saturating_sub(4);
        out.push((
            format!("base64+{shift}"),
            text.as_bytes()[start..end].to_vec(),
        ));
    }
    out.push(("hex".to_owned(), hex::encode(secret).into_bytes()));
    out.push(("HEX".to_owned(), hex::encode_upper(secret).into_bytes()));
    out
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Where any form of any secret is found under `dir`: `file: secret form`.
fn found(dir: &Path, secrets: &[&str]) -> (Vec<String>, usize) {
    let mut all = Vec::new();
    files(dir, &mut all);
    let mut hits = Vec::new();
    for path in &all {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            // Gone between the listing and the read: a file the running server was replacing
            // (the archive writes aside and renames); what it became is read at the next look,
            // and every file is read again once the server has stopped.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("{}: {e}", path.display()),
        };
        for secret in secrets {
            // A line of the key: its first characters are enough to name it.
            let named = secret.lines().nth(1).unwrap_or(secret);
            for (form, needle) in forms(secret) {
                if bytes.windows(needle.len()).any(|w| w == needle.as_slice()) {
                    hits.push(format!("{}: {named} ({form})", path.display()));
                }
            }
        }
    }
    (hits, all.len())
}

#[test]
fn no_secret_is_written_in_clear_base64_or_hex_anywhere_the_server_writes() {
    let dir = tempfile::tempdir().unwrap();
    let (config, keeper) = desk_config(dir.path(), "30m");
    add_account(&config, ADMIN, "admin", None);
    add_account(&config, ACME, "customer", Some("acme"));
    users_add(&config, ENGINEER, "engineer", "eng@ops.example");
    users_add(&config, LEAD, "shift_lead", "lead@ops.example");
    // An admin with an address, to be told of the envelope's opening.
    users_add(&config, "chief@provider.test", "admin", "chief@ops.example");
    let [admin, acme, engineer, lead] =
        [ADMIN, ACME, ENGINEER, LEAD].map(|l| api_token(&config, l));
    let log = dir.path().join("server.log");
    let server = serve(&config, &log);
    let addr = &server.addr;
    let expires = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(4)).to_string();
    let ok = |(status, body): (u16, Value), want: u16| {
        assert_eq!(status, want, "{body}");
        body
    };

    // Two interventions: one with a password, one with an SSH key.
    let mut ids = Vec::new();
    for credentials in [
        json!({"username": USERNAME, "password": SECRET_PASSWORD}),
        json!({"username": USERNAME, "ssh_key": SSH_KEY}),
    ] {
        let t = ok(
            call(
                addr,
                &acme,
                "POST",
                "/api/v1/tickets",
                json!({
                    "kind": "intervention", "server": "vps-1", "action": "Reset the firewall",
                    "credentials": credentials,
                    "authorisation": {"scope": "iptables", "expires": expires,
                        "backups_confirmed": true, "interruption_accepted": true}
                }),
            ),
            201,
        );
        ids.push(t["id"].as_i64().unwrap());
    }
    for &id in &ids {
        ok(
            call(
                addr,
                &lead,
                "POST",
                &format!("/api/v1/tickets/{id}/assign"),
                json!({"login": ENGINEER}),
            ),
            200,
        );
        let c = ok(
            call(
                addr,
                &engineer,
                "POST",
                &format!("/api/v1/tickets/{id}/credentials/reveal"),
                Value::Null,
            ),
            200,
        );
        assert_eq!(c["username"], USERNAME);
        ok(
            call(
                addr,
                &engineer,
                "POST",
                &format!("/api/v1/tickets/{id}/work"),
                json!({"access": "ssh", "note": "Flushed the INPUT chain"}),
            ),
            201,
        );
    }
    ok(
        call(
            addr,
            &engineer,
            "POST",
            &format!("/api/v1/tickets/{}/new-credentials", ids[0]),
            json!({"username": "root", "password": NEW_PASSWORD}),
        ),
        201,
    );
    // An envelope sealed and opened.
    let e = ok(
        call(
            addr,
            &admin,
            "POST",
            "/api/v1/envelopes",
            json!({"name": "Networks", "secret": ENVELOPE}),
        ),
        201,
    );
    let opened = ok(
        call(
            addr,
            &lead,
            "POST",
            &format!("/api/v1/envelopes/{}/open", e["id"]),
            json!({"reason": "status page down"}),
        ),
        200,
    );
    assert_eq!(opened["secret"], ENVELOPE);

    let secrets = [USERNAME, SECRET_PASSWORD, SSH_KEY, NEW_PASSWORD, ENVELOPE];
    // The check itself can find what it looks for: a planted copy in base64 is seen.
    let planted = dir.path().join("planted");
    let b64 = base64::engine::general_purpose::STANDARD;
    std::fs::write(
        &planted,
        format!("x{}y", b64.encode(format!("ab{SECRET_PASSWORD}"))),
    )
    .unwrap();
    let (hits, _) = found(dir.path(), &secrets);
    assert_eq!(hits.len(), 1, "{hits:?}");
    std::fs::remove_file(&planted).unwrap();

    // During the work.
    let (hits, n) = found(dir.path(), &secrets);
    assert!(
        hits.is_empty(),
        "secrets at rest during the work:\n{}",
        hits.join("\n")
    );
    assert!(n >= 4, "only {n} files were searched");

    // After: new credentials read, both closed with a summary (mailed), every mail delivered.
    let c = ok(
        call(
            addr,
            &acme,
            "GET",
            &format!("/api/v1/tickets/{}/new-credentials", ids[0]),
            Value::Null,
        ),
        200,
    );
    assert_eq!(c["password"], NEW_PASSWORD);
    for &id in &ids {
        ok(
            call(
                addr,
                &engineer,
                "POST",
                &format!("/api/v1/tickets/{id}/status"),
                json!({"status": "closed", "summary": "Firewall rules reset; SSH answers again."}),
            ),
            200,
        );
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mails = keeper.messages();
        let summaries = mails
            .iter()
            .filter(|(_, m)| m.contains("Firewall rules reset"))
            .count();
        let envelope = mails.iter().any(|(to, _)| to == "chief@ops.example");
        if summaries >= 2 && envelope {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "mail not delivered: {}",
            mails.len()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (hits, _) = found(dir.path(), &secrets);
    assert!(
        hits.is_empty(),
        "secrets at rest after the work:\n{}",
        hits.join("\n")
    );

    // And once the server has stopped (its WAL as it left it).
    drop(server);
    let (hits, n) = found(dir.path(), &secrets);
    assert!(
        hits.is_empty(),
        "secrets at rest after a stop:\n{}",
        hits.join("\n")
    );
    let mut all = Vec::new();
    files(dir.path(), &mut all);
    let names: Vec<String> = all
        .iter()
        .filter_map(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
        .collect();
    for expected in ["t.db", "server.log", "desk.key"] {
        assert!(
            names.iter().any(|f| f == expected),
            "{expected} not among {n} files"
        );
    }
    assert!(
        all.iter()
            .any(|p| p.starts_with(dir.path().join("archive"))),
        "no archive volume"
    );
    assert!(
        all.iter()
            .any(|p| p.extension().is_some_and(|x| x == "eml")),
        "no e-mail"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.path().join("desk.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o077,
        0,
        "the key file is readable by others: {mode:o}"
    );
    let log_text = BufReader::new(File::open(&log).unwrap()).lines().count();
    assert!(log_text > 10, "the server logged {log_text} lines only");
}
