//! Property tests of the reader: random inventories written in varied YAML styles load back to
//! exactly the graph they describe, and mangled files give diagnostics, never a panic.

use proptest::prelude::*;

use crate::load_str;

/// One random vertex: its groups as (kind, members by index of earlier vertices, k).
#[derive(Debug, Clone)]
struct V {
    service: bool,
    groups: Vec<(u8, Vec<u16>, u8)>,
}

fn inventory() -> impl Strategy<Value = (Vec<V>, bool)> {
    let group = (
        0u8..4,
        prop::collection::vec(any::<u16>(), 1..4),
        any::<u8>(),
    );
    (
        prop::collection::vec(
            (any::<bool>(), prop::collection::vec(group, 0..3))
                .prop_map(|(service, groups)| V { service, groups }),
            1..20,
        ),
        any::<bool>(),
    )
}

/// Writes the inventory in block style or flow style; returns it with the expected groups
/// of every vertex as (need, member ids).
/// Each vertex id with its groups as (need, member ids).
type Expected = Vec<(String, Vec<(u32, Vec<String>)>)>;

fn render(vs: &[V], flow: bool) -> (String, Expected) {
    let mut nodes = String::from("nodes:\n");
    let mut services = String::from("services:\n");
    let mut expected = Vec::new();
    for (i, v) in vs.iter().enumerate() {
        let id = format!("v{i}");
        let mut groups = Vec::new();
        let mut yaml_groups = Vec::new();
        if i > 0 {
            for (kind, picks, k) in &v.groups {
                let members: Vec<String> = picks
                    .iter()
                    .map(|&p| format!("v{}", p as usize % i))
                    .collect();
                let list = members.join(", ");
                let len = members.len() as u32;
                let (need, text) = match kind {
                    0 => (1, members[0].clone()),
                    1 => (len, format!("{{all: [{list}]}}")),
                    2 => (1, format!("{{any: [{list}]}}")),
                    _ => {
                        let k = 1 + u32::from(*k) % len;
                        (k, format!("{{at_least: {k}, of: [{list}]}}"))
                    }
                };
                let members = if *kind == 0 {
                    vec![members[0].clone()]
                } else {
                    members
                };
                groups.push((need, members));
                yaml_groups.push(text);
            }
        }
        let target = if v.service { &mut services } else { &mut nodes };
        let extra = if v.service {
            ", customer: c1"
        } else {
            ", kind: switch"
        };
        if flow {
            target.push_str(&format!(
                "  - {{id: {id}{extra}, requires: [{}]}}\n",
                yaml_groups.join(", ")
            ));
        } else {
            target.push_str(&format!("  - id: \"{id}\"\n"));
            target.push_str(&format!("    {}\n", &extra[2..]));
            if !yaml_groups.is_empty() {
                target.push_str("    requires:\n");
                for g in &yaml_groups {
                    target.push_str(&format!("      - {g}\n"));
                }
            }
        }
        expected.push((id, groups));
    }
    let text = format!("version: 1\ncustomers:\n  - id: c1\n{nodes}{services}");
    (text, expected)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_inventories_load_to_the_graph_they_describe((vs, flow) in inventory()) {
        let (text, expected) = render(&vs, flow);
        let inv = match load_str("p.yaml", &text) {
            Ok(inv) => inv,
            Err(e) => return Err(TestCaseError::fail(format!("{e}\n{text}"))),
        };
        let g = &inv.graph;
        prop_assert_eq!(g.vertex_count(), vs.len());
        prop_assert_eq!(inv.services.len(), vs.iter().filter(|v| v.service).count());
        for (id, groups) in expected {
            let v = g.find(&id).unwrap();
            let got: Vec<(u32, Vec<String>)> = g
                .groups(v)
                .map(|gr| (g.need(gr), g.members(gr).iter().map(|&m| g.name(m).to_owned()).collect()))
                .collect();
            prop_assert_eq!(got, groups, "{}", id);
        }
    }

    #[test]
    fn mangled_inventories_give_diagnostics_not_panics(
        (vs, flow) in inventory(),
        cuts in prop::collection::vec((any::<u16>(), any::<u8>()), 1..6),
    ) {
        let (text, _) = render(&vs, flow);
        let mut bytes = text.into_bytes();
        const STRUCTURAL: &[u8] = b":-[]{}&*!|>'\"#,\n ";
        for (at, b) in cuts {
            let at = at as usize % bytes.len();
            // Replace a byte with structural YAML characters or remove it.
            match b % 4 {
                0 => { bytes.remove(at); }
                1 => bytes[at] = STRUCTURAL[b as usize % STRUCTURAL.len()],
                _ => bytes.insert(at, STRUCTURAL[b as usize % STRUCTURAL.len()]),
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Err(e) = load_str("m.yaml", &text) {
            for d in &e.diagnostics {
                prop_assert!(d.pos.is_some_and(|p| p.line >= 1 && p.col >= 1), "{}", d);
            }
        }
    }
}
