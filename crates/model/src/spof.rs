//! Single points of failure: for every vertex, the set of vertices whose failure alone takes it
//! down, found by propagating failure sets once in topological order.

use crate::graph::{Graph, VertexId};

/// For every vertex `v`, the sorted set `F(v)` of vertices `x` such that observing `x` down,
/// and nothing else, makes `v` down. `v` itself is in `F(v)`.
///
/// A group holds while at least `need` of its `n` member occurrences are not down, so it fails
/// exactly when `n - need + 1` of them are down: with a single failure `x`, when `x` is in at
/// least that many members' sets. `F(v)` is `v` plus the union over its groups of the vertices
/// that fail each group.
pub struct FailureSets {
    /// Where `F(v)` lies in `items`: offset and length.
    ranges: Vec<(u64, u32)>,
    items: Vec<VertexId>,
}

impl FailureSets {
    /// Computes `F(v)` for every vertex.
    pub fn compute(graph: &Graph) -> Self {
        let n = graph.vertex_count();
        // Sets are written in topological order; `ranges` says where each vertex's lies.
        let mut ranges: Vec<(u64, u32)> = vec![(0, 0); n];
        let mut items: Vec<VertexId> = Vec::with_capacity(n * 4);
        let mut scratch: Vec<VertexId> = Vec::new();
        let mut acc: Vec<VertexId> = Vec::new();
        for &v in graph.topological_order() {
            acc.clear();
            acc.push(v);
            for g in graph.groups(v) {
                let members = graph.members(g);
                let threshold = members.len() as u32 - graph.need(g) + 1;
                if threshold == 1 {
                    for &m in members {
                        let (s, len) = ranges[m as usize];
                        acc.extend_from_slice(&items[s as usize..s as usize + len as usize]);
                    }
                    continue;
                }
                // A vertex failing this group must be in `threshold` members' sets; sets are
                // sorted, so count runs after one sort of their concatenation.
                scratch.clear();
                for &m in members {
                    let (s, len) = ranges[m as usize];
                    scratch.extend_from_slice(&items[s as usize..s as usize + len as usize]);
                }
                if scratch.len() < threshold as usize {
                    continue;
                }
                scratch.sort_unstable();
                let mut i = 0;
                while i < scratch.len() {
                    let x = scratch[i];
                    let mut j = i + 1;
                    while j < scratch.len() && scratch[j] == x {
                        j += 1;
                    }
                    if (j - i) as u32 >= threshold {
                        acc.push(x);
                    }
                    i = j;
                }
            }
            acc.sort_unstable();
            acc.dedup();
            ranges[v as usize] = (items.len() as u64, acc.len() as u32);
            items.extend_from_slice(&acc);
        }
        FailureSets { ranges, items }
    }

    /// `F(v)`, sorted by vertex number, `v` included.
    pub fn of(&self, v: VertexId) -> &[VertexId] {
        let (s, len) = self.ranges[v as usize];
        &self.items[s as usize..s as usize + len as usize]
    }

    /// The single points of failure of `v`: `F(v)` without `v`.
    pub fn single_points_of_failure(&self, v: VertexId) -> impl Iterator<Item = VertexId> + '_ {
        self.of(v).iter().copied().filter(move |&x| x != v)
    }
}
