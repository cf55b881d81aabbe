//! The inventory reader's one integration-test binary: every error class of the contract has a
//! fixture whose diagnostics are compared with an expected file, line by line.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use tocsin_inventory::load_path;
mod fuzz_regressions;

/// Set `UPDATE_EXPECTED=1` to rewrite the `.expected` files from the reader's output (then
/// review the diff before committing).
fn check_expected(fixture: &str) {
    let path = Path::new("tests/fixtures/bad").join(fixture);
    let err = match load_path(&path) {
        Ok(_) => panic!("{} loaded without error", path.display()),
        Err(e) => e,
    };
    let got: String = err.diagnostics.iter().map(|d| format!("{d}\n")).collect();
    let expected_path = path.with_extension("expected");
    if std::env::var_os("UPDATE_EXPECTED").is_some() {
        std::fs::write(&expected_path, &got).unwrap();
    }
    let expected = std::fs::read_to_string(&expected_path)
        .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
    assert_eq!(got, expected, "diagnostics of {}", path.display());
}

macro_rules! bad {
    ($($name:ident => $file:literal,)*) => {
        $(#[test] fn $name() { check_expected($file); })*
    };
}

bad! {
    yaml_syntax => "syntax.yaml",
    unknown_keys => "unknown-key.yaml",
    missing_id => "missing-id.yaml",
    duplicate_id => "duplicate-id.yaml",
    unknown_vertex => "unknown-vertex.yaml",
    unknown_customer_and_component => "unknown-customer-component.yaml",
    k_out_of_range => "k-out-of-range.yaml",
    empty_group => "empty-group.yaml",
    vertex_requiring_itself => "self.yaml",
    dependency_cycles => "cycle.yaml",
    missing_version => "version.yaml",
    every_error_of_a_file_at_once => "many.yaml",
    directory_names_the_file_at_fault => "split",
}

#[test]
fn spec_example_loads() {
    let inv = load_path(Path::new("tests/fixtures/good/spec-example.yaml")).unwrap();
    let g = &inv.graph;
    assert_eq!(g.vertex_count(), 14);
    assert_eq!(inv.services.len(), 2);
    let hv = g.find("hv-07").unwrap();
    // Four groups: any, any, at_least 2 of 3, and the plain id.
    let needs: Vec<(u32, usize)> = g
        .groups(hv)
        .map(|gr| (g.need(gr), g.members(gr).len()))
        .collect();
    assert_eq!(needs, vec![(1, 2), (1, 2), (2, 3), (1, 1)]);
    let web = inv.service_of(g.find("vps-1042").unwrap()).unwrap();
    assert_eq!(inv.customer_id(web.customer), "acme");
    assert_eq!(inv.texts.get(web.name), "acme-web");
    assert_eq!(
        inv.components[web.component as usize].name.as_ref(),
        "VPS — Hluboká DC1"
    );
    let sw = g.find("sw-a").unwrap();
    let labels = &inv.labels.iter().find(|(v, _)| *v == sw).unwrap().1;
    assert_eq!(labels[0].0.as_ref(), "instance");
    assert_eq!(labels[0].1.as_ref(), "sw-a.mgmt:9100");
}

#[test]
fn directory_merges_in_name_order() {
    let inv = load_path(Path::new("tests/fixtures/good/split")).unwrap();
    let g = &inv.graph;
    let web = g.find("web").unwrap();
    let hv = g.find("hv-1").unwrap();
    assert_eq!(g.members(g.groups(web).start), &[hv]);
    assert_eq!(inv.customers[0].contacts[0].language.code(), "fr");
    assert_eq!(
        inv.sites[inv.vertex_site[hv as usize] as usize].id.as_ref(),
        "dc1"
    );
}

#[test]
fn missing_file_is_an_error_naming_it() {
    let err = load_path(Path::new("tests/fixtures/no-such.yaml")).unwrap_err();
    assert_eq!(err.diagnostics.len(), 1);
    assert!(err.diagnostics[0]
        .to_string()
        .starts_with("tests/fixtures/no-such.yaml: cannot read"));
}

#[test]
fn aliases_expand_but_not_without_bound() {
    let ok = "version: 1\nnodes:\n  - {id: a}\n  - {id: b}\n  - id: c\n    requires: &r [a, b]\n  - id: d\n    requires: *r\n";
    let inv = tocsin_inventory::load_str("x.yaml", ok).unwrap();
    let d = inv.graph.find("d").unwrap();
    assert_eq!(inv.graph.groups(d).len(), 2);
    let mut laughs = String::from("version: 1\nx0: &a0 [q, q, q, q, q, q, q, q, q, q]\n");
    for i in 1..12 {
        let p = i - 1;
        laughs.push_str(&format!(
            "x{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let err = tocsin_inventory::load_str("laughs.yaml", &laughs).unwrap_err();
    assert!(
        err.to_string().contains("aliases expand to more than"),
        "{err}"
    );
}

#[test]
fn customer_webhooks_are_read_and_their_keys_checked() {
    let ok = "version: 1\ncustomers:\n  - id: acme\n    contacts: [{email: ops@acme.example}]\n    webhooks: [{url: \"https://hooks.acme.example/tocsin\", secret: s3cret}]\n";
    let inv = tocsin_inventory::load_str("x.yaml", ok).unwrap();
    let hooks = &inv.customers[0].webhooks;
    assert_eq!(hooks.len(), 1);
    assert_eq!(&*hooks[0].url, "https://hooks.acme.example/tocsin");
    assert_eq!(&*hooks[0].secret, "s3cret");
    assert!(!format!("{:?}", hooks[0]).contains("s3cret"));

    let bad = "version: 1\ncustomers:\n  - id: acme\n    webhooks:\n      - {url: \"ftp://x.example\", secret: s}\n      - {url: \"https://x.example\"}\n      - {url: \"https://x.example\", secret: s, token: t}\n";
    let err = tocsin_inventory::load_str("x.yaml", bad).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("`ftp://x.example` is not an http:// or https:// URL"),
        "{text}"
    );
    assert!(text.contains("has no `secret`"), "{text}");
    assert!(text.contains("unknown key `token` in a webhook"), "{text}");
}
