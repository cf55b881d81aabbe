//! Refusals of a node's `mtu` and of the `fabric:` section, each at its exact position, and
//! a fabric declared in two files of a directory.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::{load_path, load_str};

/// Every diagnostic of `text`, as `x.yaml:LINE:COL: message`.
fn errors(text: &str) -> Vec<String> {
    match load_str("x.yaml", text) {
        Ok(_) => panic!("loaded without error:\n{text}"),
        Err(e) => e.diagnostics.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn a_bad_mtu_is_refused_naming_the_field_and_the_node() {
    for (value, col) in [
        ("67", 36),
        ("65536", 36),
        ("9k", 36),
        ("-1", 36),
        ("\"+9000\"", 36),
        ("0x2328", 36),
        ("9000.0", 36),
        ("99999999999999999999", 36),
    ] {
        let text = format!("version: 1\nnodes:\n  - {{id: hv-07, kind: server, mtu: {value}}}\n");
        let shown = value.trim_matches('"');
        assert_eq!(
            errors(&text),
            [format!(
                "x.yaml:3:{col}: `mtu` of node `hv-07` must be a whole number of bytes from 68 to 65535, found `{shown}`"
            )],
            "{value}"
        );
    }
    assert_eq!(
        errors("version: 1\nnodes:\n  - {id: hv-07, mtu: [9000]}\n"),
        ["x.yaml:3:22: `mtu` must be a single value, found a list"]
    );
    for ok in ["68", "65535", "9000", "\"9216\""] {
        let text = format!("version: 1\nnodes:\n  - {{id: hv-07, mtu: {ok}}}\n");
        let inv = load_str("x.yaml", &text).unwrap();
        assert_eq!(inv.mtus, [(0, ok.trim_matches('"').parse().unwrap())]);
    }
}

#[test]
fn a_service_has_no_mtu() {
    let all = errors("version: 1\nservices:\n  - {id: s1, mtu: 9000}\n");
    assert_eq!(all.len(), 1, "{all:#?}");
    assert!(
        all[0].starts_with("x.yaml:3:14: unknown key `mtu` in a service"),
        "{all:#?}"
    );
}

#[test]
fn bad_fabric_settings_are_refused_where_written() {
    let text = "\
version: 1
fabric:
  encapsulation: gre
  underlay: ipx
  inner_vlan_tag: yes
  network_kinds: [switch, {a: b}]
  mtu: 9000
";
    assert_eq!(
        errors(text),
        [
            "x.yaml:3:18: `encapsulation` of the fabric must be `vxlan` or `geneve`, found `gre`",
            "x.yaml:4:13: `underlay` of the fabric must be `ipv4` or `ipv6`, found `ipx`",
            "x.yaml:5:19: `inner_vlan_tag` of the fabric must be `true` or `false`, found `yes`",
            "x.yaml:6:27: an entry of `network_kinds` must be a node kind such as `switch`, found a mapping",
            "x.yaml:7:3: unknown key `mtu` in the fabric (allowed: encapsulation, underlay, inner_vlan_tag, network_kinds)",
        ]
    );
    assert_eq!(
        errors("version: 1\nfabric:\n  underlay: ipv6\n"),
        ["x.yaml:3:3: the fabric has no `encapsulation` (`vxlan` or `geneve`)"]
    );
    assert_eq!(
        errors("version: 1\nfabric: {encapsulation: vxlan, network_kinds: switch}\n"),
        ["x.yaml:2:47: `network_kinds` must be a list, found a scalar"]
    );
    assert_eq!(
        errors("version: 1\nfabric: {encapsulation: vxlan, network_kinds: []}\n"),
        ["x.yaml:2:47: `network_kinds` of the fabric is empty: no node would be the network"]
    );
}

#[test]
fn a_fabric_is_one_mapping() {
    assert_eq!(
        errors("version: 1\nfabric:\n  - encapsulation: vxlan\n"),
        ["x.yaml:2:1: `fabric` must be a mapping of settings such as `encapsulation: vxlan`, found a list"]
    );
    assert_eq!(
        errors("version: 1\nfabric: vxlan\n"),
        ["x.yaml:2:9: expected the fabric as a mapping, found a scalar"]
    );
    assert_eq!(
        errors("version: 1\nfabric: {encapsulation: vxlan}\nfabric: {encapsulation: geneve}\n"),
        ["x.yaml:3:1: top-level key `fabric` appears twice"]
    );
}

/// A directory under the system's temporary directory, removed when dropped.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_fabric_in_two_files_of_a_directory_is_refused() {
    let dir =
        TempDir(std::env::temp_dir().join(format!("tocsin-fabric-twice-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    std::fs::write(
        dir.0.join("a.yaml"),
        "version: 1\nfabric: {encapsulation: vxlan}\nnodes:\n  - {id: sw-a, kind: switch, mtu: 9216}\n",
    )
    .unwrap();
    std::fs::write(
        dir.0.join("b.yaml"),
        "version: 1\nnodes:\n  - {id: hv-1, mtu: 9000, requires: [sw-a]}\nfabric:\n  encapsulation: geneve\n",
    )
    .unwrap();
    let err = load_path(&dir.0).unwrap_err();
    let a = dir.0.join("a.yaml").display().to_string();
    let b = dir.0.join("b.yaml").display().to_string();
    let got: Vec<String> = err.diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        [format!(
            "{b}:4:1: `fabric` is declared twice: an inventory has one fabric (first declared at {a}:2:1)"
        )]
    );
    // Without the second declaration the same two files load, the fabric and MTUs merged.
    std::fs::write(
        dir.0.join("b.yaml"),
        "version: 1\nnodes:\n  - {id: hv-1, mtu: 9000, requires: [sw-a]}\n",
    )
    .unwrap();
    let inv = load_path(&dir.0).unwrap();
    assert!(inv.fabric.is_some());
    assert_eq!(inv.mtus.len(), 2);
}
