//! The fast reader against `saphyr-parser`: whatever it takes, it must read exactly as the
//! full parser does (nodes, texts, positions); what it does not take it must decline.

use proptest::prelude::*;

use super::FastReader;
use crate::yaml::{Entries, Node, Reader, Stop, TopLevel};

/// Everything a reader hands over, in order.
#[derive(Debug, PartialEq)]
enum Got<'a> {
    Value(Node<'a>, Node<'a>),
    List(Node<'a>, Vec<Node<'a>>),
}

fn drain<'a>(mut reader: impl Entries<'a>) -> Result<Vec<Got<'a>>, Stop> {
    let mut out = Vec::new();
    loop {
        match reader.top()? {
            TopLevel::End => return Ok(out),
            TopLevel::Value(k, v) => out.push(Got::Value(k, v)),
            TopLevel::List(k) => {
                let mut items = Vec::new();
                while let Some(item) = reader.item()? {
                    items.push(item);
                }
                out.push(Got::List(k, items));
            }
        }
    }
}

/// Whether the fast reader took `text`; when it did, the full parser must agree exactly.
fn agrees(text: &str) -> bool {
    let fast = match FastReader::new(text) {
        Ok(r) => drain(r),
        Err(_) => return false,
    };
    let Ok(fast) = fast else {
        return false;
    };
    let full = match Reader::new(text) {
        Ok(r) => drain(r),
        Err(e) => panic!(
            "fast reader took what saphyr refuses ({}): {text:?}",
            e.message
        ),
    };
    match full {
        Ok(full) => assert_eq!(fast, full, "readers differ on {text:?}"),
        Err(Stop::Syntax(e)) => {
            panic!(
                "fast reader took what saphyr refuses ({}): {text:?}",
                e.message
            )
        }
        Err(Stop::Unsupported) => unreachable!("saphyr never declines"),
    }
    true
}

#[test]
fn generated_inventories_are_taken_and_read_alike() {
    for seed in 1..4 {
        let mut out = Vec::new();
        crate::generate::generate(
            crate::generate::Shape {
                customers: 300,
                seed,
            },
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(agrees(&text), "seed {seed}: the fast reader declined");
    }
}

#[test]
fn the_forms_it_takes_read_alike() {
    let taken = [
        "version: 1\n",
        "version: 1",
        "# c\n\nversion: 1 # c\nnodes:\n  - {id: a}\n  - {id: b, kind: tor}\n",
        "nodes:\n- {id: a}\n- [x, y]\n- plain words here\nversion: 1\n",
        "nodes:   # c\n\n  # between\n  - {id: a, requires: [b, {any: [c, d]}]}  # after\n",
        "sites: [a, b, c]\nversion: 1\n",
        "sites: []\nnodes: {}\n",
        "a: {b: \"x y\", c: 'it''s', d: \"q\\\"\\\\\\n\\t\\u00e9\\x41/\\/\"}\n",
        "a: {n: \"Hluboká DC1\", m: 'Orzeł', k: x}\n",
        "a: {k: \"é\", l: 'ü', m: b}\n",
        "a: {url: http://x.example:80/p, e: ops@c.example, n: -5, t: ~, d: 99.9}\n",
        "a: {k: a:b, l: a-b, m: .x, n: _y}\n",
        "a: {\"q k\": 1, 'r': [], s: {}}\n",
        "a:\n  - {x: [[1, 2], [3]]}\n  - {y: {z: {w: v}}}\n",
        "a: b c   \n",
        "a: \"\"\nb: ''\n",
        "a:\n  - {x: y}\nb:\n    - {x: y}\n",
        "a:\n  - \"quoted item\"\n  - 'single'\n",
    ];
    for text in taken {
        assert!(agrees(text), "declined: {text:?}");
    }
}

#[test]
fn what_it_declines_is_left_to_the_full_parser() {
    let declined = [
        "",
        "---\nversion: 1\n",
        "version: 1\n...\n",
        "%YAML 1.2\n---\na: 1\n",
        "nodes:\n  - id: a\n    kind: b\n",
        "nodes:\n  - {id: a,\n     kind: b}\n",
        "a: &x {b: 1}\nc: *x\n",
        "a: !tag b\n",
        "a: |\n  text\n",
        "a: \"multi\n  line\"\n",
        "a:\n",
        "a:\nb: 1\n",
        "a: {b: }\n",
        "a: {b}\n",
        "a: {b: 1,}\n",
        "a: [1,]\n",
        "a:\tb\n",
        "a: b\r\n",
        "\u{feff}a: b\n",
        "  a: b\n",
        "a:\n  - {x: y}\n   - {x: y}\n",
        "a:\n  - {x: y}\n - {x: y}\n",
        "a:\n  -\n",
        "a: \"\\q\"\n",
        "a: \"\\u0007\"\n",
        "a: @b\n",
        "a: `b`\n",
        "a: {b: c}}\n",
        "a: {b: c} d\n",
        "a: b\u{2028}c\n",
        "a: \"b\u{85}c\"\n",
        "a: {b : c}\n",
        "a: {\"b\":c}\n",
        "[a, b]\n",
        "- a\n",
        "a: b # c\n  d: e\n",
    ];
    for text in declined {
        assert!(!agrees(text), "taken: {text:?}");
    }
}

#[test]
fn edge_cases_read_alike_when_taken() {
    for text in [
        "a: {b: c}#x\n",
        "a: 'b'#x\n",
        "a:\n  - {b: c}#x\n",
        "a: b#c\n",
        "a: {b: c:d, e: f:}\n",
        "a: [b, c]]\n",
        "a: -\n",
        "a: - b\n",
        "a: {-b: c}\n",
        "a: {? b: c}\n",
        "a:\n- {b: c}\n-  {d: e}\n",
        "a: 0x10\nb: 1e3\nc: true\n",
    ] {
        agrees(text);
    }
}

/// Characters that make scalars and flow collections interesting.
const PIECES: &[&str] = &[
    "a", "b", "z9", "-", ".", "/", "@", "~", "_", ":", ": ", ",", ", ", " ", "  ", "#", " #", "{",
    "}", "[", "]", "\"", "'", "''", "\\", "\\n", "\\\"", "\\u00e9", "é", "ł", "—", "&", "*", "!",
    "?", "%", "|", ">", "=", "+", "1", "0.5", "http://x", "\u{85}", "\u{a0}",
];

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9._@/+~-]{0,8}( [a-z0-9]{1,4})?",
        prop::collection::vec(prop::sample::select(PIECES), 1..5).prop_map(|p| p.concat()),
        prop::collection::vec(prop::sample::select(PIECES), 0..5)
            .prop_map(|p| format!("\"{}\"", p.concat())),
        prop::collection::vec(prop::sample::select(PIECES), 0..5)
            .prop_map(|p| format!("'{}'", p.concat())),
    ]
}

fn flow() -> impl Strategy<Value = String> {
    let leaf = scalar();
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec((scalar(), inner.clone()), 0..4).prop_map(|kv| {
                let body: Vec<String> = kv.iter().map(|(k, v)| format!("{k}: {v}")).collect();
                format!("{{{}}}", body.join(", "))
            }),
            prop::collection::vec(inner, 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Documents of flow lines built from awkward pieces: whatever the fast reader takes,
    /// saphyr reads alike.
    #[test]
    fn whatever_it_takes_saphyr_reads_alike(
        key in "[a-z]{1,6}",
        value in flow(),
        items in prop::collection::vec(flow(), 0..4),
        indent in 0usize..3,
        comment in prop::bool::ANY,
    ) {
        let pad = " ".repeat(indent);
        let mut text = format!("{key}: {value}{}\nlist:\n", if comment { " # c" } else { "" });
        for item in &items {
            text.push_str(&format!("{pad}- {item}\n"));
        }
        agrees(&text);
    }
}

/// The proptest above is only worth something if the fast reader takes many of its
/// documents; this counts how many of a fixed sample it takes.
#[test]
fn the_random_documents_are_often_taken() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = prop::collection::vec(flow(), 1..3);
    let mut taken = 0;
    for _ in 0..500 {
        let items = strategy.new_tree(&mut runner).unwrap().current();
        let mut text = String::from("list:\n");
        for item in &items {
            text.push_str(&format!("  - {item}\n"));
        }
        taken += usize::from(agrees(&text));
    }
    assert!(
        taken > 100,
        "only {taken} of 500 random documents were taken"
    );
}

/// The messages of a loader that read `files` in order, fast reader allowed or not.
fn messages(files: &[(&str, &str)], full_only: bool) -> Vec<String> {
    let mut loader = crate::Loader::new();
    if full_only {
        loader = loader.full_parser_only();
    }
    for (name, text) in files {
        loader.read(name, text);
    }
    match loader.finish() {
        Ok(inventory) => vec![format!("ok: {} vertices", inventory.graph.vertex_count())],
        Err(e) => e.to_string().lines().map(str::to_owned).collect(),
    }
}

#[test]
fn a_file_declined_midway_is_read_again_in_full_with_the_same_messages() {
    let first = "version: 1\nnodes:\n  - {id: a, kind: tor}\n  - {id: a, kind: tor}\n";
    // Fast-readable up to its last entry, a block mapping with errors of its own.
    let second = "version: 1\nnodes:\n  - {id: b, requires: [a, zz]}\n  - {id: c, kind: x, colour: red}\nservices:\n  - id: s\n    requires: [b, nope]\n";
    let files = [("one.yaml", first), ("two.yaml", second)];
    let full = messages(&files, true);
    assert!(full.iter().any(|m| m.contains("two.yaml:7:19")), "{full:?}");
    assert!(full.iter().any(|m| m.contains("colour")), "{full:?}");
    assert_eq!(messages(&files, false), full);
    // And each file alone, first in its loader.
    for file in files {
        assert_eq!(messages(&[file], false), messages(&[file], true));
    }
}

/// A generated inventory above [`crate::load::PIPED_BYTES`], so that it is read on a thread
/// of its own.
fn large_inventory() -> String {
    let mut out = Vec::new();
    crate::generate::generate(
        crate::generate::Shape {
            customers: 2500,
            seed: 7,
        },
        &mut out,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.len() >= crate::load::PIPED_BYTES,
        "{} bytes",
        text.len()
    );
    text
}

#[test]
fn a_large_file_read_on_its_own_thread_loads_as_the_full_parser_loads_it() {
    let text = large_inventory();
    let fast = crate::load_str("big.yaml", &text).unwrap();
    let mut full = crate::Loader::new().full_parser_only();
    full.read("big.yaml", &text);
    let full = full.finish().unwrap();
    assert_eq!(fast.graph.vertex_count(), full.graph.vertex_count());
    assert_eq!(fast.graph.group_count(), full.graph.group_count());
    assert_eq!(fast.services.len(), full.services.len());
    let ids = |i: &tocsin_model::Inventory| -> Vec<String> {
        (0..i.graph.vertex_count() as u32)
            .map(|v| format!("{} {}", i.graph.name(v), i.kind_of(v)))
            .collect()
    };
    assert_eq!(ids(&fast), ids(&full));
}

#[test]
fn a_large_file_declined_near_its_end_has_the_full_parsers_messages() {
    let mut text = large_inventory();
    // Errors early (read by the thread first), then a block mapping the fast reader declines.
    text = text.replacen("kind: ats,", "kind: ats, colour: red,", 1);
    text.push_str("  - id: late\n    requires: [nowhere]\n");
    let files = [("big.yaml", text.as_str())];
    let full = messages(&files, true);
    assert!(full.iter().any(|m| m.contains("colour")), "{full:?}");
    assert!(full.iter().any(|m| m.contains("nowhere")), "{full:?}");
    assert_eq!(messages(&files, false), full);
}

#[test]
fn a_tab_or_carriage_return_anywhere_declines_the_file() {
    let line = "  - {id: a, requires: [b]}\n";
    let body: String = std::iter::repeat_n(line, 100).collect();
    let clean = format!("version: 1\nnodes:\n{body}");
    assert!(FastReader::new(&clean).is_ok());
    // Before, on and after the scan's block boundaries, and as the very last byte.
    for at in [0, 1, 511, 512, 513, 1024, clean.len() - 1, clean.len()] {
        for c in ['\t', '\r'] {
            let mut text = clean.clone();
            text.insert(at, c);
            assert!(
                FastReader::new(&text).is_err(),
                "{c:?} at byte {at} was not seen"
            );
        }
    }
    assert!(super::has_tab_or_cr(b"\t"));
    assert!(!super::has_tab_or_cr(b""));
}
