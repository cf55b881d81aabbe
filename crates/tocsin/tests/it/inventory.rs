//! `tocsin check`, `impact`, `spof` and `generate` driven as a user would, their JSON compared
//! with an evaluation of the contract's definitions written independently here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn tocsin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tocsin"))
        .args(args)
        .output()
        .expect("run tocsin")
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../inventory/tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn json_lines(out: &Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The graph as the contract describes it, read from `tocsin generate`'s flow-style lines,
/// independent of the project's reader.
struct Reference {
    /// Vertex → groups, each (need, members).
    requires: BTreeMap<String, Vec<(usize, Vec<String>)>>,
    /// Service → customer.
    customer: BTreeMap<String, String>,
}

impl Reference {
    /// State of every vertex by the contract's three rules, by memoised recursion.
    fn states(&self, down: &BTreeSet<String>, degraded: &BTreeSet<String>) -> BTreeMap<String, u8> {
        fn visit(
            r: &Reference,
            v: &str,
            down: &BTreeSet<String>,
            degraded: &BTreeSet<String>,
            memo: &mut BTreeMap<String, u8>,
        ) -> u8 {
            if let Some(&s) = memo.get(v) {
                return s;
            }
            let mut state = if down.contains(v) {
                2
            } else if degraded.contains(v) {
                1
            } else {
                0
            };
            for (need, members) in r.requires.get(v).map(|g| g.as_slice()).unwrap_or(&[]) {
                let states: Vec<u8> = members
                    .iter()
                    .map(|m| visit(r, m, down, degraded, memo))
                    .collect();
                if states.iter().filter(|&&s| s != 2).count() < *need {
                    state = 2;
                } else if states.iter().any(|&s| s != 0) {
                    state = state.max(1);
                }
            }
            memo.insert(v.to_owned(), state);
            state
        }
        let mut memo = BTreeMap::new();
        for v in self.requires.keys() {
            visit(self, v, down, degraded, &mut memo);
        }
        memo
    }

    fn expected(&self, down: &BTreeSet<String>, degraded: &BTreeSet<String>) -> Value {
        let states = self.states(down, degraded);
        let pick = |want: u8| -> Vec<&String> {
            states
                .iter()
                .filter(|(_, &s)| s == want)
                .map(|(v, _)| v)
                .collect()
        };
        let mut affected = BTreeSet::new();
        let mut risky = BTreeSet::new();
        for (service, customer) in &self.customer {
            match states[service] {
                2 => {
                    affected.insert(customer.clone());
                }
                1 => {
                    risky.insert(customer.clone());
                }
                _ => {}
            }
        }
        let at_risk: Vec<&String> = risky.difference(&affected).collect();
        serde_json::json!({
            "down": pick(2), "degraded": pick(1),
            "affected_customers": affected, "at_risk_customers": at_risk,
        })
    }
}

/// Parses one flow entry `{id: X, ..., requires: [...]}` of the generator's output.
fn parse_generated(text: &str) -> Reference {
    let mut requires = BTreeMap::new();
    let mut customer = BTreeMap::new();
    let mut section = "";
    for line in text.lines() {
        if !line.starts_with(' ') {
            section = line;
            continue;
        }
        if section != "nodes:" && section != "services:" {
            continue;
        }
        let Some(body) = line.strip_prefix("  - {id: ") else {
            continue;
        };
        let id = body.split([',', '}']).next().unwrap().to_owned();
        if let Some(c) = body.split(", customer: ").nth(1) {
            customer.insert(id.clone(), c.split(',').next().unwrap().to_owned());
        }
        let mut groups = Vec::new();
        if let Some(req) = body.split("requires: [").nth(1) {
            let req = &req[..req.rfind("]}").unwrap()];
            // Split the top-level list on commas outside braces.
            let mut depth = 0;
            let mut item = String::new();
            let mut items = Vec::new();
            for ch in req.chars() {
                match ch {
                    '{' | '[' => depth += 1,
                    '}' | ']' => depth -= 1,
                    ',' if depth == 0 => {
                        items.push(std::mem::take(&mut item));
                        continue;
                    }
                    _ => {}
                }
                item.push(ch);
            }
            items.push(item);
            for item in items {
                let item = item.trim();
                let list = |s: &str| -> Vec<String> {
                    let inner = &s[s.find('[').unwrap() + 1..s.find(']').unwrap()];
                    inner.split(',').map(|x| x.trim().to_owned()).collect()
                };
                if item.starts_with("{any:") {
                    groups.push((1, list(item)));
                } else if let Some(rest) = item.strip_prefix("{at_least:") {
                    let k: usize = rest.split(',').next().unwrap().trim().parse().unwrap();
                    groups.push((k, list(item)));
                } else {
                    groups.push((1, vec![item.to_owned()]));
                }
            }
        }
        requires.insert(id, groups);
    }
    Reference { requires, customer }
}

#[test]
fn check_reports_every_error_with_file_line_and_column() {
    let file = fixture("bad/many.yaml");
    let out = tocsin(&["check", "--inventory", &file]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!(
            "{file}:5:19: requirement names unknown vertex `ghost`"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("{file}:9:19: `at_least: 5` is out of range")),
        "{stderr}"
    );
    assert!(stderr.contains("9 errors in"), "{stderr}");
    let ok = tocsin(&["check", "--inventory", &fixture("good/spec-example.yaml")]);
    assert!(ok.status.success());
}

#[test]
fn impact_matches_the_definition_on_generated_inventories() {
    let dir = tempfile::tempdir().unwrap();
    for seed in [1u64, 2, 3] {
        let gen = tocsin(&["generate", "--customers", "40", "--seed", &seed.to_string()]);
        assert!(gen.status.success());
        let text = String::from_utf8(gen.stdout).unwrap();
        let path = dir.path().join(format!("gen-{seed}.yaml"));
        std::fs::write(&path, &text).unwrap();
        let reference = parse_generated(&text);
        let ids: Vec<&String> = reference.requires.keys().collect();
        assert!(ids.len() > 200, "generated {} vertices", ids.len());
        // Scenarios: each vertex alone, plus mixed ones with degraded observations.
        let mut lines = Vec::new();
        let mut sets = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            let other = ids[(i * 31 + 7) % ids.len()];
            let third = ids[(i * 17 + 3) % ids.len()];
            let (line, down, degraded) = match i % 3 {
                0 => (id.to_string(), vec![*id], vec![]),
                1 => (format!("{id} ~{other}"), vec![*id], vec![other]),
                _ => (
                    format!("~{id}  {other} {third}"),
                    vec![other, third],
                    vec![*id],
                ),
            };
            lines.push(line);
            sets.push((down, degraded));
        }
        lines.push(String::new());
        sets.push((vec![], vec![]));
        let scen = dir.path().join(format!("scen-{seed}.txt"));
        std::fs::write(&scen, lines.join("\n") + "\n").unwrap();
        let got = json_lines(&tocsin(&[
            "impact",
            "--inventory",
            path.to_str().unwrap(),
            "--scenarios",
            scen.to_str().unwrap(),
            "--json",
        ]));
        assert_eq!(got.len(), sets.len());
        for (i, (down, degraded)) in sets.iter().enumerate() {
            let down: BTreeSet<String> = down.iter().map(|s| s.to_string()).collect();
            let degraded: BTreeSet<String> = degraded
                .iter()
                .map(|s| s.to_string())
                .filter(|s| !down.contains(s))
                .collect();
            assert_eq!(
                got[i],
                reference.expected(&down, &degraded),
                "seed {seed}, scenario `{}`",
                lines[i]
            );
        }
        // The flags give the same answer as a scenario line.
        let one = json_lines(&tocsin(&[
            "impact",
            "--inventory",
            path.to_str().unwrap(),
            "--down",
            ids[4],
            "--degraded",
            ids[9],
            "--json",
        ]));
        let down = BTreeSet::from([ids[4].clone()]);
        let degraded: BTreeSet<String> = [ids[9].clone()]
            .into_iter()
            .filter(|s| !down.contains(s))
            .collect();
        assert_eq!(one[0], reference.expected(&down, &degraded));
    }
}

#[test]
fn spof_matches_brute_force_over_single_failures() {
    let gen = tocsin(&["generate", "--customers", "30", "--seed", "9"]);
    let text = String::from_utf8(gen.stdout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spof.yaml");
    std::fs::write(&path, &text).unwrap();
    let reference = parse_generated(&text);
    let ids: Vec<&String> = reference.requires.keys().collect();
    let mut expected: BTreeMap<String, Vec<String>> = reference
        .customer
        .keys()
        .map(|s| (s.clone(), Vec::new()))
        .collect();
    for x in &ids {
        let states = reference.states(&BTreeSet::from([x.to_string()]), &BTreeSet::new());
        for (service, spofs) in expected.iter_mut() {
            if service != *x && states[service] == 2 {
                spofs.push(x.to_string());
            }
        }
    }
    let got = json_lines(&tocsin(&[
        "spof",
        "--inventory",
        path.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(got[0], serde_json::json!({ "services": expected }));
}

#[test]
fn unknown_ids_are_errors_naming_them() {
    let inv = fixture("good/spec-example.yaml");
    let out = tocsin(&["impact", "--inventory", &inv, "--down", "sw-zz", "--json"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("`sw-zz`"));
    let dir = tempfile::tempdir().unwrap();
    let scen = dir.path().join("bad-scen.txt");
    std::fs::write(&scen, "sw-a\n~nope\n").unwrap();
    let out = tocsin(&[
        "impact",
        "--inventory",
        &inv,
        "--scenarios",
        scen.to_str().unwrap(),
        "--json",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(":2: unknown vertex id `nope`"), "{err}");
    assert!(
        out.stdout.is_empty(),
        "nothing is printed before the scenarios are known good"
    );
}

#[test]
fn reports_for_people_name_illusory_redundancy() {
    let inv = fixture("good/spec-example.yaml");
    let out = tocsin(&["spof", "--inventory", &inv]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("sw-a [switch] is a single point of failure of 1 service — vps-2"),
        "{text}"
    );
    let out = tocsin(&["impact", "--inventory", &inv, "--down", "sw-a"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("affected customers (a service down): 1 — beta"),
        "{text}"
    );
    assert!(
        text.contains("at-risk customers (running without redundancy): 1 — acme"),
        "{text}"
    );
}
