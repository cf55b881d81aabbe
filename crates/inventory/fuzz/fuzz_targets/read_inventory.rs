//! Feeds arbitrary bytes to the inventory reader; whatever loads is also run through the
//! failure sets and the impact engine. No input may panic, hang or allocate without bound.

#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use tocsin_model::{FailureSets, Impact, State};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let inv = match tocsin_inventory::load_str("fuzz.yaml", text) {
        Ok(inv) => inv,
        Err(err) => {
            // Bad input must say why.
            assert!(!err.diagnostics.is_empty(), "an error without diagnostics");
            let _ = err.to_string();
            return;
        }
    };
    let graph = Arc::clone(&inv.graph);
    let n = graph.vertex_count() as u32;
    let sets = FailureSets::compute(&graph);
    for v in 0..n {
        assert!(sets.of(v).contains(&v), "F(v) must hold v");
    }
    // Observe a few vertices (picked from the input's bytes) down, then degraded, then up.
    if n == 0 {
        return;
    }
    let mut impact = Impact::new(Arc::clone(&graph));
    let mut changes = Vec::new();
    let picks: Vec<u32> = data.iter().take(8).map(|&b| u32::from(b) % n).collect();
    for &v in &picks {
        impact.observe(v, State::Down, &mut changes);
    }
    for &v in picks.iter().rev().step_by(2) {
        impact.observe(v, State::Degraded, &mut changes);
    }
    let incremental: Vec<State> = (0..n).map(|v| impact.state(v)).collect();
    let mut full = impact.clone();
    full.evaluate_full();
    for v in 0..n {
        assert_eq!(
            incremental[v as usize],
            full.state(v),
            "incremental and full disagree"
        );
    }
    for &v in &picks {
        impact.observe(v, State::Up, &mut changes);
    }
    assert!(
        impact.not_up().is_empty(),
        "every observation cleared, yet not all up"
    );
});
