//! Inputs the fuzzer (`fuzz/`) found to panic, hang or allocate without bound: each must now
//! load or fail with diagnostics (a hang shows as the test runner's timeout).

use std::path::Path;

#[test]
fn fuzz_findings_return_without_panic() {
    let dir = Path::new("tests/fixtures/fuzz");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        // The fuzz target skips bytes that are not UTF-8; so does this test.
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        match tocsin_inventory::load_str("fuzz.yaml", text) {
            Ok(inv) => {
                let _ = tocsin_model::FailureSets::compute(&inv.graph);
            }
            Err(err) => assert!(
                !err.diagnostics.is_empty(),
                "{}: an error without diagnostics",
                path.display()
            ),
        }
    }
}
