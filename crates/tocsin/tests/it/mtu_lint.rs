//! `tocsin check` and the fabric MTU lint: warnings on stderr at the host's `mtu`, the summary
//! on stdout unchanged, and `--strict` failing on any warning.

use std::path::PathBuf;
use std::process::{Command, Output};

fn tocsin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(args)
        .output()
        .expect("run tocsin")
}

/// Writes `text` as `name` in `dir`, a directory of this test.
fn inventory(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let path: PathBuf = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// Seed 000: hypervisors at 9000 on EVPN-VXLAN switches left at 9016.
fn seed(switch_mtu: u32) -> String {
    format!(
        "\
version: 1
fabric:
  encapsulation: vxlan
  underlay: ipv4
  inner_vlan_tag: true
nodes:
  - {{id: sw-a, kind: switch, mtu: {switch_mtu}}}
  - {{id: sw-b, kind: switch, mtu: {switch_mtu}}}
  - id: hv-07
    kind: hypervisor
    mtu: 9000
    requires: [{{any: [sw-a, sw-b]}}]
  - {{id: vm-1, kind: vm, requires: [hv-07]}}
"
    )
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn check_warns_on_stderr_and_still_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let file = inventory(&dir, "short.yaml", &seed(9016));
    let out = tocsin(&["check", "--inventory", &file]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        stderr,
        format!(
            "{file}:11:10: hv-07 mtu 9000 + vxlan/ipv4 50 + tag 4 = 9054 exceeds sw-a mtu 9016 (38 bytes short)\n\
             1 warning in {file}\n"
        )
    );
    assert_eq!(
        text(&out.stdout),
        format!(
            "{file}: ok — 4 vertices (4 nodes, 0 services), 2 requirement groups, 0 customers, 0 components, 0 sites\n"
        ),
        "stdout is the summary alone"
    );
}

#[test]
fn strict_check_fails_on_a_warning_and_passes_a_clean_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let short = inventory(&dir, "strict-short.yaml", &seed(9016));
    let out = tocsin(&["check", "--strict", "--inventory", &short]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("(38 bytes short)\n"), "{stderr}");
    assert!(
        stderr.ends_with(&format!("1 warning in {short}\n")),
        "{stderr}"
    );

    let clean = inventory(&dir, "strict-clean.yaml", &seed(9216));
    let out = tocsin(&["check", "--strict", "--inventory", &clean]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    assert!(text(&out.stdout).starts_with(&format!("{clean}: ok — 4 vertices")));
}

#[test]
fn errors_still_fail_check_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let broken = inventory(
        &dir,
        "broken.yaml",
        &format!("{}  - {{id: hv-08, mtu: 9k}}\n", seed(9016)),
    );
    let out = tocsin(&["check", "--inventory", &broken]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "{broken}:14:22: `mtu` of node `hv-08` must be a whole number of bytes from 68 to 65535, found `9k`\n\
             1 error in {broken}\n"
        )
    );
}
