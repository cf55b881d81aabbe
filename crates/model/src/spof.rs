//! Single points of failure: for every vertex, the set of vertices whose failure alone takes it
//! down, found by propagating failure sets once in topological order.

use crate::graph::{Graph, VertexId};

/// Per vertex, whether the design meant it to be redundant: it is a member of some group
/// that tolerates a failure (fewer needed than listed). Such a vertex that is still a single
/// point of failure of a service is a redundancy the design only imagined (seed 000).
pub fn designed_redundant(graph: &Graph) -> Vec<bool> {
    let mut redundant = vec![false; graph.vertex_count()];
    for g in 0..graph.group_count() as u32 {
        let members = graph.members(g);
        if (graph.need(g) as usize) < members.len() {
            for &m in members {
                redundant[m as usize] = true;
            }
        }
    }
    redundant
}

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
    ///
    /// Work per vertex is the sum of its *distinct* members' set sizes, whatever the number of
    /// times a member or a group is repeated: a member listed `c` times in a group counts `c`
    /// times towards the threshold but its set is read once per group, and for unions (`all`,
    /// plain ids) once per vertex.
    pub fn compute(graph: &Graph) -> Self {
        let n = graph.vertex_count();
        // Sets are written in topological order; `ranges` says where each vertex's lies.
        let mut ranges: Vec<(u64, u32)> = vec![(0, 0); n];
        let mut items: Vec<VertexId> = Vec::with_capacity(n * 4);
        let mut acc: Vec<VertexId> = Vec::new();
        // `in_acc[x] == stamp`: x is in `acc` already; `merged[m] == stamp`: m's set is in.
        let mut in_acc = vec![0u32; n];
        let mut merged = vec![0u32; n];
        let mut count = vec![0u32; n];
        let mut touched: Vec<VertexId> = Vec::new();
        let mut distinct: Vec<(VertexId, u32)> = Vec::new();
        for (i, &v) in graph.topological_order().iter().enumerate() {
            let stamp = i as u32 + 1;
            acc.clear();
            acc.push(v);
            in_acc[v as usize] = stamp;
            for g in graph.groups(v) {
                let members = graph.members(g);
                let threshold = members.len() as u32 - graph.need(g) + 1;
                if threshold == 1 {
                    for &m in members {
                        if merged[m as usize] == stamp {
                            continue;
                        }
                        merged[m as usize] = stamp;
                        let (s, len) = ranges[m as usize];
                        for &x in &items[s as usize..s as usize + len as usize] {
                            if in_acc[x as usize] != stamp {
                                in_acc[x as usize] = stamp;
                                acc.push(x);
                            }
                        }
                    }
                    continue;
                }
                // A vertex failing this group must be in the sets of members totalling
                // `threshold` occurrences: count, per vertex, the occurrences whose set holds it.
                distinct.clear();
                distinct.extend(members.iter().map(|&m| (m, 1)));
                distinct.sort_unstable();
                distinct.dedup_by(|b, a| {
                    if a.0 == b.0 {
                        a.1 += b.1;
                        true
                    } else {
                        false
                    }
                });
                for &(m, times) in &distinct {
                    let (s, len) = ranges[m as usize];
                    for &x in &items[s as usize..s as usize + len as usize] {
                        if count[x as usize] == 0 {
                            touched.push(x);
                        }
                        count[x as usize] += times;
                    }
                }
                for &x in &touched {
                    if count[x as usize] >= threshold && in_acc[x as usize] != stamp {
                        in_acc[x as usize] = stamp;
                        acc.push(x);
                    }
                    count[x as usize] = 0;
                }
                touched.clear();
            }
            acc.sort_unstable();
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
