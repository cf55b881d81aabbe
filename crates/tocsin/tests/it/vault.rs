//! `[desk] key_file`: the server makes the key file of secrets sealed at rest when it is
//! missing, private to its owner and beside the configuration it is named relative to, and
//! refuses to start with one that others may read.

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
