//! `tocsin import netbox --watch`: a running server's inventory follows NetBox, reloaded only
//! when the import's result changed.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use super::cases::data_centre;
use super::fake::FakeNetbox;
use super::{import, stderr, token_file, TOKEN};
use crate::serve::{api_token, http, json_of, start, ADMIN};

fn wait_for_line(lines: &Mutex<Vec<String>>, what: &str, after: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let seen = lines.lock().unwrap();
        if let Some(i) = seen.iter().skip(after).position(|l| l.contains(what)) {
            return after + i;
        }
        assert!(
            Instant::now() < deadline,
            "no `{what}` in the log:\n{}",
            seen.join("\n")
        );
        drop(seen);
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_watched_netbox_change_is_written_and_reloaded_once() {
    let netbox = FakeNetbox::start(data_centre(1), TOKEN);
    let dir = tempfile::tempdir().unwrap();
    let (run, _) = import(&netbox, dir.path(), TOKEN);
    assert!(run.status.success(), "{}", stderr(&run));
    let config = dir.path().join("tocsin.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndatabase = \"sqlite://{}\"\ninventory = \"inventory.yaml\"\n[notify]\nhold_down = \"0s\"\n",
            dir.path().join("t.db").display()
        ),
    )
    .unwrap();
    let server = start(&config);
    let reload_token = dir.path().join("tocsin.token");
    std::fs::write(&reload_token, api_token(&config, ADMIN)).unwrap();
    let (status, body) = http(
        &server.addr,
        "POST",
        "/api/v1/alerts",
        r#"{"node": "leaf-a", "state": "down", "source": "t", "id": "1"}"#,
    );
    assert_eq!(status, 202, "{body}");
    let impact = || json_of(&http(&server.addr, "GET", "/api/v1/impact", "").1);
    assert!(impact()["down"]
        .as_array()
        .unwrap()
        .contains(&json!("svc-srv-single")));

    let out = dir.path().join("inventory.yaml");
    let tf = token_file(dir.path(), TOKEN);
    let mut watcher = Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(["import", "netbox", "--url", &netbox.url, "--token-file"])
        .arg(&tf)
        .arg("--out")
        .arg(&out)
        .args([
            "--watch",
            "100ms",
            "--reload",
            &format!("http://{}/", server.addr),
        ])
        .arg("--reload-token-file")
        .arg(&reload_token)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    let log = watcher.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(log).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });

    // Nothing changed in NetBox: no rewrite, no reload.
    let first = wait_for_line(&lines, "NetBox unchanged", 0);
    // The uplink is moved to leaf-b in NetBox.
    *netbox.data.lock().unwrap() = data_centre(2);
    let changed = wait_for_line(&lines, "inventory changed and written", first);
    let reloaded = wait_for_line(&lines, "server reloaded", changed);
    wait_for_line(&lines, "NetBox unchanged", reloaded);
    let log = lines.lock().unwrap().clone();
    assert!(
        log[changed].contains("nodes +0 -0 ~1 ~[srv-single]"),
        "{}",
        log[changed]
    );
    assert_eq!(
        log.iter().filter(|l| l.contains("server reloaded")).count(),
        1,
        "{}",
        log.join("\n")
    );

    // The server now sees srv-single on two leaves: leaf-a down only degrades it.
    let now = impact();
    assert!(
        now["degraded"]
            .as_array()
            .unwrap()
            .contains(&json!("svc-srv-single")),
        "{now}"
    );
    assert!(
        !now["down"]
            .as_array()
            .unwrap()
            .contains(&json!("svc-srv-single")),
        "{now}"
    );
    let _ = watcher.kill();
    let _ = watcher.wait();
    assert!(!log.join("\n").contains(TOKEN));
}
