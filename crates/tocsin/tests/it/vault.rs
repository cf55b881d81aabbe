//! `[desk] key_file`: the server makes the key file of secrets sealed at rest when it is
//! missing, private to its owner and beside the configuration it is named relative to, and
//! refuses to start with one that others may read. `tocsin keys add` rotates it: a restarted
//! server seals with the new key while what the older one sealed keeps opening.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::serve::{example_config, start};

#[test]
fn the_key_file_is_made_private_and_a_readable_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = example_config(dir.path(), None, "http://status.example.net");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("[desk]\nkey_file = \"desk.key\"\n");
    std::fs::write(&config, text).unwrap();
    let key = dir.path().join("desk.key");

    let server = start(&config);
    drop(server);
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let written = std::fs::read_to_string(&key).unwrap();
    assert_eq!(
        written.lines().filter(|l| l.starts_with("1 ")).count(),
        1,
        "{written}"
    );

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["serve", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("desk.key") && stderr.contains("0640") && stderr.contains("chmod 600"),
        "{stderr}"
    );
    // The key never reaches the output.
    let line = written.lines().find(|l| l.starts_with("1 ")).unwrap();
    assert!(!stderr.contains(&line[2..]), "{stderr}");
}

/// An intervention's credentials on `server`, opened as acme and assigned to the engineer;
/// its id.
fn sealed_intervention(addr: &str, acme: &str, lead: &str, password: &str) -> i64 {
    use crate::tickets::{call, ENGINEER};
    let expires = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(4)).to_string();
    let (status, t) = call(
        addr,
        acme,
        "POST",
        "/api/v1/tickets",
        serde_json::json!({
            "kind": "intervention", "server": "vps-1", "action": "Reset the firewall",
            "credentials": {"username": "root", "password": password},
            "authorisation": {"scope": "iptables", "expires": expires,
                "backups_confirmed": true, "interruption_accepted": true}
        }),
    );
    assert_eq!(status, 201, "{t}");
    let id = t["id"].as_i64().unwrap();
    let (status, t) = call(
        addr,
        lead,
        "POST",
        &format!("/api/v1/tickets/{id}/assign"),
        serde_json::json!({ "login": ENGINEER }),
    );
    assert_eq!(status, 200, "{t}");
    id
}

#[test]
fn keys_rotate_while_what_older_keys_sealed_keeps_opening() {
    use crate::tickets::{call, desk_server};
    let mut d = desk_server("30m");
    let reveal = |addr: &str, engineer: &str, id: i64| {
        call(
            addr,
            engineer,
            "POST",
            &format!("/api/v1/tickets/{id}/credentials/reveal"),
            serde_json::Value::Null,
        )
    };
    let old = sealed_intervention(&d.server.addr, &d.acme, &d.lead, "before-rotation");
    let key = d.config.parent().unwrap().join("desk.key");
    let out = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["keys", "add", "--config", d.config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("key 2 added"));
    // The running server keeps sealing with key 1; a restarted one with key 2.
    stop(&mut d.server);
    d.server = start(&d.config);
    let new = sealed_intervention(&d.server.addr, &d.acme, &d.lead, "after-rotation");
    let (status, c) = reveal(&d.server.addr, &d.engineer, old);
    assert_eq!(
        (status, c["password"].as_str()),
        (200, Some("before-rotation"))
    );
    // Without key 1, the old value no longer opens and the new one does: key 2 sealed it.
    stop(&mut d.server);
    d.server = start_without_key_one(&d.config, &key);
    let (status, c) = reveal(&d.server.addr, &d.engineer, new);
    assert_eq!(
        (status, c["password"].as_str()),
        (200, Some("after-rotation")),
        "{c}"
    );
    let (status, e) = reveal(&d.server.addr, &d.engineer, old);
    assert_eq!(status, 503, "{e}");
    assert!(e["error"].as_str().unwrap().contains("key 1"), "{e}");
}

/// Starts the server again with key 1 taken out of the key file.
fn start_without_key_one(config: &std::path::Path, key: &std::path::Path) -> crate::serve::Running {
    let text = std::fs::read_to_string(key).unwrap();
    let kept: String = text
        .lines()
        .filter(|l| !l.starts_with("1 "))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(key, kept).unwrap();
    start(config)
}

/// Stops a server before another starts on its database (one SQLite, one server).
fn stop(server: &mut crate::serve::Running) {
    let _ = server.child.kill();
    let _ = server.child.wait();
}
