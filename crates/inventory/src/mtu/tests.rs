//! The fabric MTU lint on seed 000's fabric and around it: the exact warnings, who is a host,
//! which network node is named, and every overhead combination at its boundary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::{load_str, load_str_with_warnings};

/// The warnings of `text`, as `x.yaml:LINE:COL: message`.
fn warnings(text: &str) -> Vec<String> {
    match load_str_with_warnings("x.yaml", text) {
        Ok((_, w)) => w.iter().map(ToString::to_string).collect(),
        Err(e) => panic!("refused: {e}\n{text}"),
    }
}

/// `x.yaml:LINE:COL` of the `mtu` value on the line defining `id`, counted from the text.
fn mtu_at(text: &str, id: &str) -> String {
    let (i, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains(&format!("id: {id},")) || l.ends_with(&format!("id: {id}")))
        .unwrap();
    let col = line.find("mtu: ").unwrap() + "mtu: ".len() + 1;
    format!("x.yaml:{}:{col}", i + 1)
}

/// Seed 000's fabric: two switches at `switch_mtu`, hypervisors at 9000 on both.
fn seed(fabric: &str, switch_mtu: u32) -> String {
    format!(
        "\
version: 1
{fabric}
nodes:
  - {{id: sw-a, kind: switch, mtu: {switch_mtu}}}
  - {{id: sw-b, kind: switch, mtu: {switch_mtu}}}
  - {{id: hv-07, kind: hypervisor, mtu: 9000, requires: [{{any: [sw-a, sw-b]}}]}}
  - {{id: hv-08, kind: hypervisor, mtu: 9000, requires: [sw-b]}}
"
    )
}

const VXLAN: &str = "fabric:\n  encapsulation: vxlan\n  underlay: ipv4";

#[test]
fn seed_000_vxlan_over_a_9016_fabric_is_34_bytes_short_and_9216_passes() {
    let text = seed(VXLAN, 9016);
    assert_eq!(
        warnings(&text),
        [
            format!(
                "{}: hv-07 mtu 9000 + vxlan/ipv4 50 = 9050 exceeds sw-a mtu 9016 (34 bytes short)",
                mtu_at(&text, "hv-07")
            ),
            format!(
                "{}: hv-08 mtu 9000 + vxlan/ipv4 50 = 9050 exceeds sw-b mtu 9016 (34 bytes short)",
                mtu_at(&text, "hv-08")
            ),
        ]
    );
    assert_eq!(warnings(&seed(VXLAN, 9216)), Vec::<String>::new());
    // The default underlay is IPv4.
    let default = seed("fabric: {encapsulation: vxlan}", 9016);
    assert_eq!(
        warnings(&default)[0],
        format!(
            "{}: hv-07 mtu 9000 + vxlan/ipv4 50 = 9050 exceeds sw-a mtu 9016 (34 bytes short)",
            mtu_at(&default, "hv-07")
        )
    );
}

#[test]
fn an_ipv6_underlay_and_an_inner_tag_change_the_sum() {
    let cases = [
        (
            "fabric: {encapsulation: vxlan, underlay: ipv6}",
            "hv-07 mtu 9000 + vxlan/ipv6 70 = 9070 exceeds sw-a mtu 9016 (54 bytes short)",
        ),
        (
            "fabric: {encapsulation: vxlan, inner_vlan_tag: true}",
            "hv-07 mtu 9000 + vxlan/ipv4 50 + tag 4 = 9054 exceeds sw-a mtu 9016 (38 bytes short)",
        ),
        (
            "fabric: {encapsulation: geneve, underlay: ipv6, inner_vlan_tag: true}",
            "hv-07 mtu 9000 + geneve/ipv6 70 + tag 4 = 9074 exceeds sw-a mtu 9016 (58 bytes short)",
        ),
        (
            "fabric: {encapsulation: vxlan, inner_vlan_tag: false}",
            "hv-07 mtu 9000 + vxlan/ipv4 50 = 9050 exceeds sw-a mtu 9016 (34 bytes short)",
        ),
    ];
    for (fabric, message) in cases {
        let text = seed(fabric, 9016);
        let got = warnings(&text);
        assert_eq!(got.len(), 2, "{fabric}: {got:#?}");
        assert_eq!(got[0], format!("{}: {message}", mtu_at(&text, "hv-07")));
    }
}

#[test]
fn without_a_fabric_the_host_mtu_alone_is_compared() {
    let text = seed("", 1500);
    assert_eq!(
        warnings(&text)[0],
        format!(
            "{}: hv-07 mtu 9000 exceeds sw-a mtu 1500 (7500 bytes short)",
            mtu_at(&text, "hv-07")
        )
    );
    assert_eq!(warnings(&seed("", 9000)), Vec::<String>::new());
}

/// Every encapsulation, underlay and tag: a network node exactly as large as the host's MTU
/// plus the overhead passes, one byte smaller is one byte short.
#[test]
fn every_overhead_combination_at_its_boundary() {
    for encapsulation in ["vxlan", "geneve"] {
        for (underlay, bytes) in [("ipv4", 50), ("ipv6", 70)] {
            for tag in [false, true] {
                let fabric = format!(
                    "fabric: {{encapsulation: {encapsulation}, underlay: {underlay}, inner_vlan_tag: {tag}}}"
                );
                let frame = 1500 + bytes + if tag { 4 } else { 0 };
                let text = |switch: u32| {
                    format!(
                        "version: 1\n{fabric}\nnodes:\n  - {{id: leaf-1, kind: leaf, mtu: {switch}}}\n  - {{id: srv, kind: server, mtu: 1500, requires: [leaf-1]}}\n"
                    )
                };
                assert_eq!(warnings(&text(frame)), Vec::<String>::new(), "{fabric}");
                let short = text(frame - 1);
                let tag_part = if tag {
                    " + tag 4".to_owned()
                } else {
                    String::new()
                };
                assert_eq!(
                    warnings(&short),
                    [format!(
                        "{}: srv mtu 1500 + {encapsulation}/{underlay} {bytes}{tag_part} = {frame} exceeds leaf-1 mtu {} (1 bytes short)",
                        mtu_at(&short, "srv"),
                        frame - 1
                    )],
                    "{fabric}"
                );
            }
        }
    }
}

#[test]
fn a_host_is_judged_against_the_smallest_mtu_on_its_network_paths() {
    let text = "\
version: 1
fabric: {encapsulation: vxlan}
nodes:
  - {id: spine-1, kind: spine, mtu: 9100}
  - {id: leaf-1, kind: leaf, mtu: 9216, requires: [spine-1]}
  - {id: hv-1, kind: hypervisor, mtu: 9100, requires: [leaf-1]}
  - {id: hv-2, kind: hypervisor, mtu: 9000, requires: [leaf-1]}
";
    assert_eq!(
        warnings(text),
        [format!(
            "{}: hv-1 mtu 9100 + vxlan/ipv4 50 = 9150 exceeds spine-1 mtu 9100 (50 bytes short)",
            mtu_at(text, "hv-1")
        )],
        "hv-2 fits through both: 9050 <= 9100"
    );
}

#[test]
fn paths_cross_network_nodes_without_mtu_and_stop_at_other_nodes() {
    let text = "\
version: 1
nodes:
  - {id: spine-1, kind: spine, mtu: 1500}
  - {id: leaf-1, kind: leaf, requires: [spine-1]}
  - {id: pdu-1, kind: pdu, mtu: 100, requires: [spine-1]}
  - {id: hv-1, kind: hypervisor, mtu: 9000, requires: [leaf-1]}
  - {id: hv-2, kind: hypervisor, mtu: 9000, requires: [pdu-1]}
";
    assert_eq!(
        warnings(text),
        [format!(
            "{}: hv-1 mtu 9000 exceeds spine-1 mtu 1500 (7500 bytes short)",
            mtu_at(text, "hv-1")
        )],
        "hv-2 requires no network node directly, so it is not a host; pdu-1 is one, and \
         its 100 bytes fit"
    );
}

#[test]
fn network_nodes_are_never_hosts_and_nodes_without_mtu_are_not_judged() {
    let text = "\
version: 1
nodes:
  - {id: spine-1, kind: spine, mtu: 1500}
  - {id: leaf-1, kind: leaf, mtu: 9216, requires: [spine-1]}
  - {id: fw-1, kind: firewall, mtu: 9216, requires: [leaf-1]}
  - {id: sw-open, kind: switch}
  - {id: hv-1, kind: hypervisor, requires: [leaf-1]}
  - {id: hv-2, kind: hypervisor, mtu: 9000, requires: [sw-open]}
  - {id: vm-1, kind: vm, mtu: 9000, requires: [hv-1]}
services:
  - {id: svc-1, requires: [spine-1]}
";
    assert_eq!(warnings(text), Vec::<String>::new());
}

#[test]
fn a_tie_names_the_smallest_id_and_warnings_come_in_file_order() {
    // `sw-b` is numbered before `sw-a` (named first), so the tie is broken by id.
    let text = "\
version: 1
nodes:
  - {id: hv-2, kind: server, mtu: 9000, requires: [{any: [sw-b, sw-a]}]}
  - {id: sw-b, kind: switch, mtu: 1500}
  - {id: sw-a, kind: switch, mtu: 1500}
  - {id: hv-1, kind: server, mtu: 1600, requires: [sw-a]}
";
    assert_eq!(
        warnings(text),
        [
            format!(
                "{}: hv-2 mtu 9000 exceeds sw-a mtu 1500 (7500 bytes short)",
                mtu_at(text, "hv-2")
            ),
            format!(
                "{}: hv-1 mtu 1600 exceeds sw-a mtu 1500 (100 bytes short)",
                mtu_at(text, "hv-1")
            ),
        ]
    );
}

#[test]
fn network_kinds_of_the_fabric_replace_the_default() {
    let text = "\
version: 1
fabric: {encapsulation: vxlan, network_kinds: [tor]}
nodes:
  - {id: tor-1, kind: tor, mtu: 9000}
  - {id: sw-1, kind: switch, mtu: 1500}
  - {id: hv-1, kind: hypervisor, mtu: 9000, requires: [tor-1, sw-1]}
";
    assert_eq!(
        warnings(text),
        [format!(
            "{}: hv-1 mtu 9000 + vxlan/ipv4 50 = 9050 exceeds tor-1 mtu 9000 (50 bytes short)",
            mtu_at(text, "hv-1")
        )]
    );
}

#[test]
fn errors_win_over_warnings() {
    let text = format!("{}  - {{id: x, requires: [nowhere]}}\n", seed(VXLAN, 9016));
    let err = load_str_with_warnings("x.yaml", &text).unwrap_err();
    let messages: Vec<String> = err.diagnostics.iter().map(|d| d.message.clone()).collect();
    assert_eq!(messages, ["requirement names unknown vertex `nowhere`"]);
}

#[test]
fn the_model_holds_mtus_by_vertex_and_the_fabric() {
    use tocsin_model::inventory::{Encapsulation, Fabric, Underlay};
    let text = seed(
        "fabric: {encapsulation: geneve, underlay: ipv6, inner_vlan_tag: true}",
        9216,
    );
    let inv = load_str("x.yaml", &text).unwrap();
    let v = |id: &str| inv.graph.find(id).unwrap();
    let mut expected = vec![
        (v("sw-a"), 9216),
        (v("sw-b"), 9216),
        (v("hv-07"), 9000),
        (v("hv-08"), 9000),
    ];
    expected.sort();
    assert_eq!(inv.mtus, expected);
    assert_eq!(inv.mtu_of(v("hv-07")), Some(9000));
    let fabric = inv.fabric.as_ref().unwrap();
    assert_eq!(fabric.encapsulation, Encapsulation::Geneve);
    assert_eq!(fabric.underlay, Underlay::Ipv6);
    assert!(fabric.inner_vlan_tag);
    assert_eq!(fabric.overhead(), 74);
    let defaults: Vec<&str> = fabric.network_kinds.iter().map(|k| &**k).collect();
    assert_eq!(defaults, Fabric::DEFAULT_NETWORK_KINDS);
    let bare = load_str("x.yaml", &seed("", 9216).replace(", mtu: 9216", "")).unwrap();
    assert_eq!(bare.fabric, None);
    assert_eq!(bare.mtus.len(), 2);
    assert_eq!(bare.mtu_of(bare.graph.find("sw-a").unwrap()), None);
    assert!(inv.heap_bytes() >= bare.heap_bytes() + 2 * 8 + 7 * 16);
}

/// A lattice of 40 layers of two switches, each requiring both below it, has 2^40 paths:
/// only a lint that remembers each switch's narrowest point finishes (a walk of every path
/// would run past the test runner's timeout).
#[test]
fn many_paths_are_judged_in_linear_time() {
    let mut text = String::from("version: 1\nnodes:\n");
    text += "  - {id: s0-a, kind: switch, mtu: 1500}\n  - {id: s0-b, kind: switch, mtu: 9216}\n";
    for layer in 1..40 {
        for side in ["a", "b"] {
            text += &format!(
                "  - {{id: s{layer}-{side}, kind: switch, mtu: 9216, requires: [{{any: [s{below}-a, s{below}-b]}}]}}\n",
                below = layer - 1
            );
        }
    }
    text += "  - {id: hv, kind: server, mtu: 9000, requires: [s39-a]}\n";
    let got = warnings(&text);
    assert_eq!(
        got,
        [format!(
            "{}: hv mtu 9000 exceeds s0-a mtu 1500 (7500 bytes short)",
            mtu_at(&text, "hv")
        )]
    );
}

mod reference {
    //! The lint against a plain reading of its definition on random small graphs: every
    //! network node reachable through network nodes, the smallest MTU among them.

    use std::collections::BTreeSet;

    use proptest::prelude::*;

    use super::{mtu_at, warnings};

    const KINDS: [&str; 4] = ["switch", "leaf", "server", "pdu"];
    const MTUS: [Option<u32>; 7] = [
        None,
        Some(1500),
        Some(9000),
        Some(9016),
        Some(9050),
        Some(9100),
        Some(9216),
    ];

    fn is_network(kind: usize) -> bool {
        kind < 2
    }

    proptest! {
        #[test]
        /// Each node is its kind, its MTU and its groups as picks among the earlier nodes.
        fn the_lint_names_the_narrowest_network_node_on_every_path(
            nodes in prop::collection::vec(
                (0..KINDS.len(), 0..MTUS.len(), prop::collection::vec(
                    prop::collection::vec(any::<u16>(), 1..4), 0..3)),
                1..16,
            ),
            fabric in prop::option::of((any::<bool>(), any::<bool>(), any::<bool>())),
        ) {
            let n = nodes.len();
            // Ids sort the other way than the vertices are numbered, so ties test ids.
            let id = |i: usize| format!("v{:02}", n - 1 - i);
            let members: Vec<BTreeSet<usize>> = nodes
                .iter()
                .enumerate()
                .map(|(i, (_, _, groups))| {
                    groups.iter().flatten().filter(|_| i > 0).map(|&p| p as usize % i.max(1)).collect()
                })
                .collect();
            let mut text = String::from("version: 1\n");
            if let Some((geneve, ipv6, tag)) = fabric {
                text += &format!(
                    "fabric: {{encapsulation: {}, underlay: {}, inner_vlan_tag: {tag}}}\n",
                    if geneve { "geneve" } else { "vxlan" },
                    if ipv6 { "ipv6" } else { "ipv4" },
                );
            }
            text += "nodes:\n";
            for (i, (kind, mtu, groups)) in nodes.iter().enumerate() {
                text += &format!("  - {{id: {}, kind: {}", id(i), KINDS[*kind]);
                if let Some(m) = MTUS[*mtu] {
                    text += &format!(", mtu: {m}");
                }
                let groups: Vec<String> = groups
                    .iter()
                    .filter(|_| i > 0)
                    .map(|g| {
                        let ids: BTreeSet<String> = g.iter().map(|&p| id(p as usize % i)).collect();
                        format!("{{any: [{}]}}", ids.into_iter().collect::<Vec<_>>().join(", "))
                    })
                    .collect();
                if !groups.is_empty() {
                    text += &format!(", requires: [{}]", groups.join(", "));
                }
                text += "}\n";
            }
            let mut expected = Vec::new();
            for (host, (kind, mtu, _)) in nodes.iter().enumerate() {
                let Some(host_mtu) = MTUS[*mtu] else { continue };
                let network = |v: &usize| is_network(nodes[*v].0);
                if is_network(*kind) || !members[host].iter().any(network) {
                    continue;
                }
                let mut seen = BTreeSet::new();
                let mut stack: Vec<usize> = members[host].iter().copied().filter(network).collect();
                while let Some(v) = stack.pop() {
                    if seen.insert(v) {
                        stack.extend(members[v].iter().copied().filter(network));
                    }
                }
                let Some((narrow_mtu, narrow)) = seen
                    .iter()
                    .filter_map(|&v| MTUS[nodes[v].1].map(|m| (m, id(v))))
                    .min()
                else {
                    continue;
                };
                let (sum, frame) = match fabric {
                    None => (String::new(), host_mtu),
                    Some((geneve, ipv6, tag)) => {
                        let bytes = if ipv6 { 70 } else { 50 };
                        let tag_bytes = if tag { 4 } else { 0 };
                        let frame = host_mtu + bytes + tag_bytes;
                        let encap = if geneve { "geneve" } else { "vxlan" };
                        let underlay = if ipv6 { "ipv6" } else { "ipv4" };
                        let tag = if tag { " + tag 4" } else { "" };
                        (format!(" + {encap}/{underlay} {bytes}{tag} = {frame}"), frame)
                    }
                };
                if narrow_mtu < frame {
                    expected.push(format!(
                        "{}: {} mtu {host_mtu}{sum} exceeds {narrow} mtu {narrow_mtu} ({} bytes short)",
                        mtu_at(&text, &id(host)),
                        id(host),
                        frame - narrow_mtu
                    ));
                }
            }
            prop_assert_eq!(warnings(&text), expected, "{}", text);
        }
    }
}
