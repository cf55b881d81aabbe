//! What a failure would do, without doing it: the engine's propagation replayed on a sparse
//! overlay of the live state. Only the vertices the scenario reaches are copied, so asking
//! "if I take sw-a down, who is hit?" costs what `Impact::observe` would, not a copy of a
//! million-vertex engine, and the live engine is only read.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use crate::graph::{GroupId, VertexId};
use crate::impact::{Change, Impact, Observation, State};

/// The state of every vertex under the live observations plus a scenario's.
pub struct WhatIf<'a> {
    base: &'a Impact,
    /// The base's graph with every vertex up, not its live state.
    pristine: bool,
    /// The vertices whose state would differ from the live one, and how.
    changes: Vec<Change>,
    after: HashMap<VertexId, State>,
}

/// A vertex's counters as the scenario changes them.
#[derive(Clone, Copy)]
struct Counters {
    observed: u8,
    state: u8,
    failing: u32,
    impaired: u32,
}

struct Overlay<'a> {
    base: &'a Impact,
    pristine: bool,
    vertices: HashMap<VertexId, Counters>,
    groups: HashMap<GroupId, u32>,
    queue: BinaryHeap<Reverse<(u32, VertexId)>>,
    queued: HashSet<VertexId>,
}

impl Overlay<'_> {
    fn counters(&mut self, v: VertexId) -> &mut Counters {
        let (base, pristine) = (self.base, self.pristine);
        self.vertices.entry(v).or_insert_with(|| {
            let (observed, state, failing, impaired) = if pristine {
                (State::Up as u8, State::Up as u8, 0, 0)
            } else {
                base.counters(v)
            };
            Counters {
                observed,
                state,
                failing,
                impaired,
            }
        })
    }

    fn enqueue(&mut self, v: VertexId) {
        if self.queued.insert(v) {
            self.queue.push(Reverse((self.base.graph().rank(v), v)));
        }
    }

    /// The engine's `set_state`, on the overlay.
    fn set_state(&mut self, v: VertexId, from: u8, to: u8) {
        self.counters(v).state = to;
        let (down, up) = (State::Down as u8, State::Up as u8);
        let down_changed = (from == down) != (to == down);
        let impaired_changed = (from == up) != (to == up);
        let graph = std::sync::Arc::clone(self.base.graph());
        for &g in graph.dependents(v) {
            let owner = graph.owner(g);
            let mut touched = false;
            if down_changed {
                let need = graph.need(g);
                let (base, pristine) = (self.base, self.pristine);
                let count = self.groups.entry(g).or_insert_with(|| {
                    if pristine {
                        graph.members(g).len() as u32
                    } else {
                        base.group_not_down(g)
                    }
                });
                let held = *count >= need;
                if to == down {
                    *count = count.saturating_sub(1);
                } else {
                    *count += 1;
                }
                let holds = *count >= need;
                if held != holds {
                    let c = self.counters(owner);
                    if holds {
                        c.failing = c.failing.saturating_sub(1);
                    } else {
                        c.failing += 1;
                    }
                    touched = true;
                }
            }
            if impaired_changed {
                let c = self.counters(owner);
                if to == up {
                    c.impaired = c.impaired.saturating_sub(1);
                } else {
                    c.impaired += 1;
                }
                touched = true;
            }
            if touched {
                self.enqueue(owner);
            }
        }
    }
}

fn derive(c: &Counters) -> u8 {
    if c.observed == State::Down as u8 || c.failing > 0 {
        State::Down as u8
    } else if c.observed == State::Degraded as u8 || c.impaired > 0 {
        State::Degraded as u8
    } else {
        State::Up as u8
    }
}

fn state_of(x: u8) -> State {
    match x {
        0 => State::Up,
        1 => State::Degraded,
        _ => State::Down,
    }
}

impl<'a> WhatIf<'a> {
    /// What `base` would become if each vertex of `scenario` were also observed as given. A
    /// scenario only adds failures: a vertex keeps the worse of what is observed of it now and
    /// what the scenario says, as when a second alert fires.
    pub fn of(base: &'a Impact, scenario: &[(VertexId, Observation)]) -> Self {
        Self::over(base, false, scenario)
    }

    /// What `scenario` alone would do to `base`'s graph with every vertex up: what is down
    /// now is ignored (planned work is judged on its own, whatever fails meanwhile). `base`
    /// is only read, for its graph; the cost is still that of the vertices reached.
    pub fn alone(base: &'a Impact, scenario: &[(VertexId, Observation)]) -> Self {
        Self::over(base, true, scenario)
    }

    fn over(base: &'a Impact, pristine: bool, scenario: &[(VertexId, Observation)]) -> Self {
        let mut o = Overlay {
            base,
            pristine,
            vertices: HashMap::new(),
            groups: HashMap::new(),
            queue: BinaryHeap::new(),
            queued: HashSet::new(),
        };
        let n = base.graph().vertex_count();
        for &(v, obs) in scenario {
            if (v as usize) >= n {
                continue;
            }
            let c = o.counters(v);
            if obs as u8 > c.observed {
                c.observed = obs as u8;
                o.enqueue(v);
            }
        }
        // Members rank before owners: each vertex is settled once, after what it needs.
        while let Some(Reverse((_, u))) = o.queue.pop() {
            o.queued.remove(&u);
            let c = *o.counters(u);
            let to = derive(&c);
            if c.state != to {
                o.set_state(u, c.state, to);
            }
        }
        let mut changes: Vec<Change> = o
            .vertices
            .iter()
            .filter_map(|(&v, c)| {
                let from = if pristine { State::Up } else { base.state(v) };
                let to = state_of(c.state);
                (from != to).then_some(Change {
                    vertex: v,
                    from,
                    to,
                })
            })
            .collect();
        changes.sort_unstable_by_key(|c| c.vertex);
        let after = changes.iter().map(|c| (c.vertex, c.to)).collect();
        WhatIf {
            base,
            pristine,
            changes,
            after,
        }
    }

    /// The state `v` would have.
    pub fn state(&self, v: VertexId) -> State {
        match self.after.get(&v) {
            Some(&s) => s,
            None if self.pristine => State::Up,
            None => self.base.state(v),
        }
    }

    /// The vertices whose state would change, by vertex number.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// Every vertex that would be down or degraded, in no particular order.
    pub fn not_up(&self) -> impl Iterator<Item = VertexId> + '_ {
        let kept = (if self.pristine {
            &[][..]
        } else {
            self.base.not_up()
        })
        .iter()
        .copied()
        .filter(|&v| self.state(v) != State::Up);
        let new = self
            .changes
            .iter()
            .filter(|c| c.from == State::Up)
            .map(|c| c.vertex);
        kept.chain(new)
    }
}
