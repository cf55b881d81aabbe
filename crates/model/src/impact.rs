//! The impact engine: from what monitoring observes to the state of every vertex, by a full
//! evaluation in topological order or incrementally, touching only what changes.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use crate::graph::{Graph, VertexId};

/// The state of a vertex, ordered from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum State {
    /// Working with all its redundancy.
    Up = 0,
    /// Working, but without some of its redundancy (or observed degraded).
    Degraded = 1,
    /// Not working.
    Down = 2,
}

impl State {
    fn from_u8(x: u8) -> State {
        match x {
            0 => State::Up,
            1 => State::Degraded,
            _ => State::Down,
        }
    }

    /// The lowercase name used in JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Up => "up",
            State::Degraded => "degraded",
            State::Down => "down",
        }
    }
}

/// What monitoring or staff assert about one vertex. [`State::Up`] means "nothing observed".
pub type Observation = State;

/// One vertex's state change, as reported by [`Impact::observe`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// The vertex.
    pub vertex: VertexId,
    /// Its state before.
    pub from: State,
    /// Its state now.
    pub to: State,
}

/// The live state of every vertex under a set of observations.
///
/// Per group it keeps how many members are not down, and per vertex how many of its groups
/// fail and how many member occurrences are down or degraded, so a vertex's state follows
/// from its own three numbers and its observation.
#[derive(Clone)]
pub struct Impact {
    graph: Arc<Graph>,
    observed: Vec<u8>,
    state: Vec<u8>,
    group_not_down: Vec<u32>,
    failing_groups: Vec<u32>,
    impaired_members: Vec<u32>,
    /// Vertices not up, in no order, with each one's position for O(1) removal.
    not_up: Vec<VertexId>,
    not_up_pos: Vec<u32>,
    queue: BinaryHeap<Reverse<(u32, VertexId)>>,
    queued: Vec<u64>,
}

const NOT_LISTED: u32 = u32::MAX;

impl Impact {
    /// Every vertex up, nothing observed.
    pub fn new(graph: Arc<Graph>) -> Self {
        let n = graph.vertex_count();
        let group_not_down = (0..graph.group_count() as u32)
            .map(|g| graph.members(g).len() as u32)
            .collect();
        Impact {
            observed: vec![0; n],
            state: vec![0; n],
            group_not_down,
            failing_groups: vec![0; n],
            impaired_members: vec![0; n],
            not_up: Vec::new(),
            not_up_pos: vec![NOT_LISTED; n],
            queue: BinaryHeap::new(),
            queued: vec![0; n.div_ceil(64)],
            graph,
        }
    }

    /// The graph evaluated.
    pub fn graph(&self) -> &Arc<Graph> {
        &self.graph
    }

    /// The state of `v`.
    pub fn state(&self, v: VertexId) -> State {
        State::from_u8(self.state[v as usize])
    }

    /// What is observed of `v`.
    pub fn observation(&self, v: VertexId) -> Observation {
        State::from_u8(self.observed[v as usize])
    }

    /// Every vertex that is down or degraded, in no particular order.
    pub fn not_up(&self) -> &[VertexId] {
        &self.not_up
    }

    /// Heap bytes held by the engine (not counting the graph).
    pub fn heap_bytes(&self) -> usize {
        self.observed.capacity()
            + self.state.capacity()
            + 4 * (self.group_not_down.capacity()
                + self.failing_groups.capacity()
                + self.impaired_members.capacity()
                + self.not_up.capacity()
                + self.not_up_pos.capacity())
            + 8 * (self.queue.capacity() + self.queued.capacity())
    }

    /// Sets what is observed of `v` and brings every state up to date, appending each vertex
    /// whose state changed to `changes`. Costs time in proportion to the vertices whose state
    /// changes and their direct dependents, not to the graph.
    pub fn observe(&mut self, v: VertexId, observation: Observation, changes: &mut Vec<Change>) {
        if self.observed[v as usize] == observation as u8 {
            return;
        }
        self.observed[v as usize] = observation as u8;
        self.enqueue(v);
        // Members come before owners in topological order, so popping the lowest rank
        // settles each vertex once, after everything it needs.
        while let Some(Reverse((_, u))) = self.queue.pop() {
            let ui = u as usize;
            self.queued[ui / 64] &= !(1 << (ui % 64));
            let from = self.state[ui];
            let to = self.derive(u);
            if from != to {
                self.set_state(u, from, to);
                changes.push(Change {
                    vertex: u,
                    from: State::from_u8(from),
                    to: State::from_u8(to),
                });
            }
        }
    }

    /// Recomputes every state from the observations alone, in topological order, ignoring
    /// what was derived before. The incremental path must always agree with this.
    pub fn evaluate_full(&mut self) {
        let graph = Arc::clone(&self.graph);
        for &u in self.not_up.iter() {
            self.not_up_pos[u as usize] = NOT_LISTED;
        }
        self.not_up.clear();
        for &v in graph.topological_order() {
            let vi = v as usize;
            let mut failing = 0;
            let mut impaired = 0;
            for g in graph.groups(v) {
                let mut not_down = 0;
                for &m in graph.members(g) {
                    let s = self.state[m as usize];
                    not_down += u32::from(s != State::Down as u8);
                    impaired += u32::from(s != State::Up as u8);
                }
                self.group_not_down[g as usize] = not_down;
                failing += u32::from(not_down < graph.need(g));
            }
            self.failing_groups[vi] = failing;
            self.impaired_members[vi] = impaired;
            let s = self.derive(v);
            self.state[vi] = s;
            if s != State::Up as u8 {
                self.not_up_pos[vi] = self.not_up.len() as u32;
                self.not_up.push(v);
            }
        }
    }

    /// The raw counters of `v` for what-if overlays: observation, state, failing groups and
    /// impaired member occurrences.
    pub(crate) fn counters(&self, v: VertexId) -> (u8, u8, u32, u32) {
        let vi = v as usize;
        (
            self.observed[vi],
            self.state[vi],
            self.failing_groups[vi],
            self.impaired_members[vi],
        )
    }

    /// How many members of group `g` are not down.
    pub(crate) fn group_not_down(&self, g: crate::graph::GroupId) -> u32 {
        self.group_not_down[g as usize]
    }

    fn derive(&self, v: VertexId) -> u8 {
        let vi = v as usize;
        let observed = self.observed[vi];
        if observed == State::Down as u8 || self.failing_groups[vi] > 0 {
            State::Down as u8
        } else if observed == State::Degraded as u8 || self.impaired_members[vi] > 0 {
            State::Degraded as u8
        } else {
            State::Up as u8
        }
    }

    fn enqueue(&mut self, v: VertexId) {
        let vi = v as usize;
        let bit = 1u64 << (vi % 64);
        if self.queued[vi / 64] & bit == 0 {
            self.queued[vi / 64] |= bit;
            self.queue.push(Reverse((self.graph.rank(v), v)));
        }
    }

    fn set_state(&mut self, v: VertexId, from: u8, to: u8) {
        let vi = v as usize;
        self.state[vi] = to;
        let down = State::Down as u8;
        let up = State::Up as u8;
        // Keep the list of vertices not up.
        if from == up {
            self.not_up_pos[vi] = self.not_up.len() as u32;
            self.not_up.push(v);
        } else if to == up {
            let pos = self.not_up_pos[vi] as usize;
            self.not_up.swap_remove(pos);
            if let Some(&moved) = self.not_up.get(pos) {
                self.not_up_pos[moved as usize] = pos as u32;
            }
            self.not_up_pos[vi] = NOT_LISTED;
        }
        let down_changed = (from == down) != (to == down);
        let impaired_changed = (from == up) != (to == up);
        let graph = Arc::clone(&self.graph);
        for &g in graph.dependents(v) {
            let owner = graph.owner(g);
            let oi = owner as usize;
            let mut touched = false;
            if down_changed {
                let need = graph.need(g);
                let count = &mut self.group_not_down[g as usize];
                let held = *count >= need;
                if to == down {
                    *count -= 1;
                } else {
                    *count += 1;
                }
                let holds = *count >= need;
                if held != holds {
                    if holds {
                        self.failing_groups[oi] -= 1;
                    } else {
                        self.failing_groups[oi] += 1;
                    }
                    touched = true;
                }
            }
            if impaired_changed {
                if to == up {
                    self.impaired_members[oi] -= 1;
                } else {
                    self.impaired_members[oi] += 1;
                }
                touched = true;
            }
            if touched {
                self.enqueue(owner);
            }
        }
    }
}
