//! Property tests: on random graphs and random observation sequences, the incremental engine,
//! the full evaluation and the specification's definition agree; failure sets agree with
//! brute-force simulation.

use std::sync::Arc;

use proptest::prelude::*;

use crate::{FailureSets, Graph, GraphBuilder, GraphError, Impact, State};

/// A random acyclic graph: vertex `i` (in creation order) may only need vertices created
/// before it; creation order is then shuffled into the builder so that vertex numbers are
/// not a topological order.
#[derive(Debug, Clone)]
struct Spec {
    order: Vec<usize>,
    groups: Vec<Vec<(Vec<u16>, u8)>>,
}

fn spec() -> impl Strategy<Value = Spec> {
    (1usize..24).prop_flat_map(|n| {
        let group = (prop::collection::vec(any::<u16>(), 1..5), any::<u8>());
        (
            Just(n).prop_shuffle_order(),
            prop::collection::vec(prop::collection::vec(group, 0..4), n),
        )
            .prop_map(|(order, groups)| Spec { order, groups })
    })
}

trait ShuffleOrder {
    fn prop_shuffle_order(self) -> BoxedStrategy<Vec<usize>>;
}

impl ShuffleOrder for Just<usize> {
    fn prop_shuffle_order(self) -> BoxedStrategy<Vec<usize>> {
        let n = self.0;
        Just((0..n).collect::<Vec<_>>()).prop_shuffle().boxed()
    }
}

/// Builds the graph; returns it with, per creation index, the builder's vertex number.
fn build(spec: &Spec) -> (Arc<Graph>, Vec<u32>) {
    let n = spec.groups.len();
    let mut b = GraphBuilder::default();
    let mut number = vec![0u32; n];
    for &i in &spec.order {
        number[i] = b.add_vertex(&format!("v{i}")).unwrap();
    }
    for (i, groups) in spec.groups.iter().enumerate() {
        if i == 0 {
            continue;
        }
        for (picks, need) in groups {
            let members: Vec<u32> = picks.iter().map(|&p| number[p as usize % i]).collect();
            let need = 1 + u32::from(*need) % members.len() as u32;
            b.add_group(number[i], need, &members);
        }
    }
    (Arc::new(b.build().unwrap()), number)
}

/// The specification's definition, evaluated by memoised recursion over the groups.
fn reference(graph: &Graph, observed: &[State]) -> Vec<State> {
    fn visit(graph: &Graph, observed: &[State], memo: &mut Vec<Option<State>>, v: u32) -> State {
        if let Some(s) = memo[v as usize] {
            return s;
        }
        let mut down = observed[v as usize] == State::Down;
        let mut impaired = false;
        for g in graph.groups(v) {
            let mut not_down = 0;
            for &m in graph.members(g) {
                let s = visit(graph, observed, memo, m);
                if s != State::Down {
                    not_down += 1;
                }
                if s != State::Up {
                    impaired = true;
                }
            }
            if not_down < graph.need(g) {
                down = true;
            }
        }
        let s = if down {
            State::Down
        } else if impaired || observed[v as usize] == State::Degraded {
            State::Degraded
        } else {
            State::Up
        };
        memo[v as usize] = Some(s);
        s
    }
    let mut memo = vec![None; graph.vertex_count()];
    (0..graph.vertex_count() as u32)
        .map(|v| visit(graph, observed, &mut memo, v))
        .collect()
}

fn states(impact: &Impact) -> Vec<State> {
    (0..impact.graph().vertex_count() as u32)
        .map(|v| impact.state(v))
        .collect()
}

fn observation(x: u8) -> State {
    match x % 3 {
        0 => State::Up,
        1 => State::Degraded,
        _ => State::Down,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn incremental_equals_full_equals_definition(
        spec in spec(),
        steps in prop::collection::vec((any::<u16>(), any::<u8>()), 0..40),
    ) {
        let (graph, _) = build(&spec);
        let n = graph.vertex_count();
        let mut live = Impact::new(Arc::clone(&graph));
        let mut observed = vec![State::Up; n];
        let mut changes = Vec::new();
        for (pick, obs) in steps {
            let v = u32::from(pick) % n as u32;
            let obs = observation(obs);
            observed[v as usize] = obs;
            let before = states(&live);
            changes.clear();
            live.observe(v, obs, &mut changes);
            let incremental = states(&live);
            let mut full = Impact::new(Arc::clone(&graph));
            for (u, &o) in observed.iter().enumerate() {
                full.observe(u as u32, o, &mut Vec::new());
            }
            full.evaluate_full();
            prop_assert_eq!(&incremental, &states(&full));
            prop_assert_eq!(&incremental, &reference(&graph, &observed));
            // Reported changes are exactly the differences, each once.
            let mut expected: Vec<(u32, State, State)> = (0..n as u32)
                .filter(|&u| before[u as usize] != incremental[u as usize])
                .map(|u| (u, before[u as usize], incremental[u as usize]))
                .collect();
            let mut got: Vec<(u32, State, State)> =
                changes.iter().map(|c| (c.vertex, c.from, c.to)).collect();
            expected.sort_unstable();
            got.sort_unstable();
            prop_assert_eq!(got, expected);
            let mut not_up = live.not_up().to_vec();
            not_up.sort_unstable();
            let want: Vec<u32> = (0..n as u32).filter(|&u| incremental[u as usize] != State::Up).collect();
            prop_assert_eq!(not_up, want);
        }
    }

    #[test]
    fn the_down_only_engine_agrees_with_the_impact_engine_on_down(
        spec in spec(),
        steps in prop::collection::vec((any::<u16>(), any::<u8>()), 0..40),
    ) {
        let (graph, _) = build(&spec);
        let n = graph.vertex_count();
        let mut live = Impact::new(Arc::clone(&graph));
        let mut down = crate::down::DownOnly::new(Arc::clone(&graph));
        let mut flipped = Vec::new();
        for (pick, obs) in steps {
            let v = u32::from(pick) % n as u32;
            let obs = observation(obs);
            let before: Vec<bool> = (0..n as u32).map(|u| down.is_down(u)).collect();
            live.observe(v, obs, &mut Vec::new());
            flipped.clear();
            down.observe(v, obs == State::Down, &mut flipped);
            let now: Vec<bool> = (0..n as u32).map(|u| down.is_down(u)).collect();
            let want: Vec<bool> = (0..n as u32).map(|u| live.state(u) == State::Down).collect();
            prop_assert_eq!(&now, &want);
            // Flipped lists exactly the vertices whose down state changed, each once.
            let mut got = flipped.clone();
            got.sort_unstable();
            let changed: Vec<u32> = (0..n as u32).filter(|&u| before[u as usize] != now[u as usize]).collect();
            prop_assert_eq!(got, changed);
        }
    }

    #[test]
    fn failure_sets_equal_brute_force(spec in spec()) {
        let (graph, _) = build(&spec);
        let n = graph.vertex_count();
        let sets = FailureSets::compute(&graph);
        let mut brute: Vec<Vec<u32>> = vec![Vec::new(); n];
        for x in 0..n as u32 {
            let mut impact = Impact::new(Arc::clone(&graph));
            impact.observe(x, State::Down, &mut Vec::new());
            for v in 0..n as u32 {
                if impact.state(v) == State::Down {
                    brute[v as usize].push(x);
                }
            }
        }
        for v in 0..n as u32 {
            prop_assert_eq!(sets.of(v), &brute[v as usize][..], "vertex {}", graph.name(v));
        }
    }
}

#[test]
fn hypervisor_on_two_switches_is_degraded_when_one_fails() {
    let mut b = GraphBuilder::default();
    let sw_a = b.add_vertex("sw-a").unwrap();
    let sw_b = b.add_vertex("sw-b").unwrap();
    let hv = b.add_vertex("hv").unwrap();
    let vm = b.add_vertex("vm").unwrap();
    b.add_group(hv, 1, &[sw_a, sw_b]);
    b.add_group(vm, 1, &[hv]);
    let graph = Arc::new(b.build().unwrap());
    let mut impact = Impact::new(Arc::clone(&graph));
    let mut changes = Vec::new();
    impact.observe(sw_a, State::Down, &mut changes);
    assert_eq!(impact.state(hv), State::Degraded);
    assert_eq!(impact.state(vm), State::Degraded);
    assert_eq!(changes.len(), 3);
    impact.observe(sw_b, State::Down, &mut changes);
    assert_eq!(impact.state(vm), State::Down);
    impact.observe(sw_a, State::Up, &mut changes);
    assert_eq!(impact.state(hv), State::Degraded);
    let sets = FailureSets::compute(&graph);
    assert_eq!(
        sets.single_points_of_failure(vm).collect::<Vec<_>>(),
        vec![hv]
    );
}

#[test]
fn cycles_are_reported_with_their_members() {
    let mut b = GraphBuilder::default();
    let a = b.add_vertex("a").unwrap();
    let c = b.add_vertex("c").unwrap();
    let d = b.add_vertex("d").unwrap();
    let free = b.add_vertex("free").unwrap();
    b.add_group(a, 1, &[c]);
    b.add_group(c, 1, &[d, free]);
    b.add_group(d, 1, &[a]);
    match b.build() {
        Err(GraphError::Cycles(found)) => {
            assert_eq!(found.cycles.len(), 1);
            assert_eq!(found.names.get(c), "c");
            let mut cycle = found.cycles[0].clone();
            cycle.sort_unstable();
            assert_eq!(cycle, vec![a, c, d]);
        }
        other => panic!(
            "expected a cycle, got {:?}",
            other.map(|g| g.vertex_count())
        ),
    }
}

#[test]
fn need_out_of_range_is_refused() {
    let mut b = GraphBuilder::default();
    let a = b.add_vertex("a").unwrap();
    let c = b.add_vertex("c").unwrap();
    b.add_group(a, 2, &[c]);
    assert!(matches!(
        b.build(),
        Err(GraphError::NeedOutOfRange {
            need: 2,
            len: 1,
            ..
        })
    ));
}

/// A what-if states, changes and not-up list are those of `observed` (the scenario really
/// observed on an engine), its changes counted from `from` (the states it started from).
fn same_as_observed(
    what_if: &crate::WhatIf<'_>,
    from: &[State],
    observed: &Impact,
) -> Result<(), TestCaseError> {
    let n = from.len() as u32;
    let want = states(observed);
    let got: Vec<State> = (0..n).map(|v| what_if.state(v)).collect();
    prop_assert_eq!(&got, &want);
    let changed: Vec<u32> = (0..n)
        .filter(|&v| from[v as usize] != want[v as usize])
        .collect();
    prop_assert_eq!(
        what_if
            .changes()
            .iter()
            .map(|c| c.vertex)
            .collect::<Vec<_>>(),
        changed
    );
    let mut not_up: Vec<u32> = what_if.not_up().collect();
    not_up.sort_unstable();
    let mut want_not_up = observed.not_up().to_vec();
    want_not_up.sort_unstable();
    prop_assert_eq!(not_up, want_not_up);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A what-if equals applying the scenario to a copy of the engine, and leaves the live
    /// engine as it was.
    #[test]
    fn what_if_equals_observing_a_copy(
        spec in spec(),
        live_steps in prop::collection::vec((any::<u16>(), any::<u8>()), 0..12),
        scenario in prop::collection::vec((any::<u16>(), any::<u8>()), 1..6),
    ) {
        let (graph, _) = build(&spec);
        let n = graph.vertex_count() as u32;
        let mut live = Impact::new(Arc::clone(&graph));
        for (pick, obs) in live_steps {
            live.observe(u32::from(pick) % n, observation(obs), &mut Vec::new());
        }
        let scenario: Vec<(u32, State)> = scenario
            .into_iter()
            .map(|(p, o)| (u32::from(p) % n, observation(o)))
            .collect();
        let before = states(&live);
        let what_if = crate::WhatIf::of(&live, &scenario);
        let mut copy = live.clone();
        for &(v, s) in &scenario {
            if s > copy.observation(v) {
                copy.observe(v, s, &mut Vec::new());
            }
        }
        same_as_observed(&what_if, &before, &copy)?;
        prop_assert_eq!(states(&live), before);
    }

    /// Planned work is judged alone: whatever the live engine has down, `WhatIf::alone` is
    /// the scenario observed on a fresh engine of the same graph.
    #[test]
    fn what_if_alone_equals_observing_a_fresh_engine(
        spec in spec(),
        live_steps in prop::collection::vec((any::<u16>(), any::<u8>()), 0..12),
        scenario in prop::collection::vec((any::<u16>(), any::<u8>()), 1..6),
        limit in 0usize..24,
    ) {
        let (graph, _) = build(&spec);
        let n = graph.vertex_count() as u32;
        let mut live = Impact::new(Arc::clone(&graph));
        for (pick, obs) in live_steps {
            live.observe(u32::from(pick) % n, observation(obs), &mut Vec::new());
        }
        let scenario: Vec<(u32, State)> = scenario
            .into_iter()
            .map(|(p, o)| (u32::from(p) % n, observation(o)))
            .collect();
        let before = states(&live);
        let what_if = crate::WhatIf::alone_within(&graph, &scenario, limit);
        let mut fresh = Impact::new(Arc::clone(&graph));
        for &(v, s) in &scenario {
            if s > fresh.observation(v) {
                fresh.observe(v, s, &mut Vec::new());
            }
        }
        same_as_observed(&what_if, &vec![State::Up; n as usize], &fresh)?;
        prop_assert_eq!(states(&live), before);
    }
}
