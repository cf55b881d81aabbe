//! Which vertices are down, and nothing else: the first rule of the inventory contract
//! (observed down, or a requirement group that does not hold) kept incrementally.
//!
//! SLA accounting replays a month of observations and asks only "down or not"; the full
//! [`crate::Impact`] engine also propagates *degraded* to everything above a failed member of
//! a redundant pair — a whole site above one UPS — which costs what the SLA does not need.
//! Here a change costs the vertices whose down state flips and their direct dependents'
//! group counters.

use std::sync::Arc;

use crate::graph::{Graph, VertexId};

/// The down set of a graph under observations, kept as they change.
#[derive(Clone)]
pub struct DownOnly {
    graph: Arc<Graph>,
    observed: Vec<u64>,
    down: Vec<u64>,
    group_not_down: Vec<u32>,
    failing_groups: Vec<u32>,
    stack: Vec<VertexId>,
}

fn get(bits: &[u64], v: VertexId) -> bool {
    bits[v as usize / 64] & (1 << (v % 64)) != 0
}

fn put(bits: &mut [u64], v: VertexId, on: bool) {
    let word = &mut bits[v as usize / 64];
    if on {
        *word |= 1 << (v % 64);
    } else {
        *word &= !(1 << (v % 64));
    }
}

impl DownOnly {
    /// Nothing observed: nothing down.
    pub fn new(graph: Arc<Graph>) -> Self {
        let n = graph.vertex_count();
        let words = n.div_ceil(64);
        let group_not_down = (0..graph.group_count() as u32)
            .map(|g| graph.members(g).len() as u32)
            .collect();
        DownOnly {
            observed: vec![0; words],
            down: vec![0; words],
            group_not_down,
            failing_groups: vec![0; n],
            stack: Vec::new(),
            graph,
        }
    }

    /// Whether `v` is down.
    pub fn is_down(&self, v: VertexId) -> bool {
        get(&self.down, v)
    }

    /// Bytes held on the heap.
    pub fn heap_bytes(&self) -> usize {
        (self.observed.capacity() + self.down.capacity()) * 8
            + (self.group_not_down.capacity() + self.failing_groups.capacity()) * 4
            + self.stack.capacity() * 4
    }

    /// Sets whether `v` is observed down; appends every vertex whose down state flipped (all
    /// in the same direction as the observation).
    pub fn observe(&mut self, v: VertexId, observed_down: bool, flipped: &mut Vec<VertexId>) {
        if get(&self.observed, v) == observed_down {
            return;
        }
        put(&mut self.observed, v, observed_down);
        self.stack.push(v);
        while let Some(u) = self.stack.pop() {
            let now = get(&self.observed, u) || self.failing_groups[u as usize] > 0;
            if now == get(&self.down, u) {
                continue;
            }
            put(&mut self.down, u, now);
            flipped.push(u);
            for &g in self.graph.dependents(u) {
                let need = self.graph.need(g);
                let before = self.group_not_down[g as usize];
                let after = if now { before - 1 } else { before + 1 };
                self.group_not_down[g as usize] = after;
                if (before >= need) != (after >= need) {
                    let owner = self.graph.owner(g);
                    let f = &mut self.failing_groups[owner as usize];
                    if after < need {
                        *f += 1;
                    } else {
                        *f -= 1;
                    }
                    self.stack.push(owner);
                }
            }
        }
    }
}
