//! The incident book: opening, growing, announcing and closing incidents.

use std::sync::Arc;

use super::*;
use crate::GraphBuilder;

/// Two switches, a hypervisor on each, a service on each hypervisor, and a third service
/// on a hypervisor needing both switches.
fn setup() -> (Impact, [VertexId; 8]) {
    let mut b = GraphBuilder::default();
    let ids = ["sw-a", "sw-b", "hv-a", "hv-b", "s1", "s2", "hv-ab", "s3"]
        .map(|n| b.add_vertex(n).unwrap());
    let [sw_a, sw_b, hv_a, hv_b, s1, s2, hv_ab, s3] = ids;
    b.add_group(hv_a, 1, &[sw_a]);
    b.add_group(hv_b, 1, &[sw_b]);
    b.add_group(hv_ab, 2, &[sw_a, sw_b]);
    b.add_group(s1, 1, &[hv_a]);
    b.add_group(s2, 1, &[hv_b]);
    b.add_group(s3, 1, &[hv_ab]);
    (Impact::new(Arc::new(b.build().unwrap())), ids)
}

#[test]
fn shared_root_causes_group_into_one_incident() {
    let (mut impact, [sw_a, sw_b, _, _, s1, s2, _, s3]) = setup();
    let services = [s1, s2, s3];
    let is_service = |v| services.contains(&v);
    let mut book = IncidentBook::new();
    let mut next = 100;
    let mut next_id = || {
        next += 1;
        next
    };
    let mut events = Vec::new();
    let mut changes = Vec::new();
    impact.observe(sw_a, State::Down, &mut changes);
    book.apply(
        &impact,
        &changes,
        is_service,
        1_000,
        &mut next_id,
        &mut events,
    );
    assert_eq!(book.open().len(), 1);
    let first = book.open()[0].clone();
    assert_eq!(first.roots, vec![sw_a]);
    let mut down: Vec<_> = first.services.iter().map(|s| s.service).collect();
    down.sort_unstable();
    assert_eq!(down, vec![s1, s3]);
    // sw-b is another root: s2 opens a second incident.
    changes.clear();
    impact.observe(sw_b, State::Down, &mut changes);
    book.apply(
        &impact,
        &changes,
        is_service,
        2_000,
        &mut next_id,
        &mut events,
    );
    assert_eq!(book.open().len(), 2);
    // sw-a back: s1 up, s3 still down (needs both) → first incident stays open.
    changes.clear();
    events.clear();
    impact.observe(sw_a, State::Up, &mut changes);
    book.apply(
        &impact,
        &changes,
        is_service,
        61_000,
        &mut next_id,
        &mut events,
    );
    assert!(events.contains(&IncidentEvent::ServiceUp {
        id: 101,
        service: s1,
        at_ms: 61_000,
        down_total_ms: 60_000
    }));
    assert!(!events
        .iter()
        .any(|e| matches!(e, IncidentEvent::Resolved { .. })));
    changes.clear();
    events.clear();
    impact.observe(sw_b, State::Up, &mut changes);
    book.apply(
        &impact,
        &changes,
        is_service,
        62_000,
        &mut next_id,
        &mut events,
    );
    let resolved: Vec<_> = events
        .iter()
        .filter(|e| matches!(e, IncidentEvent::Resolved { .. }))
        .collect();
    assert_eq!(resolved.len(), 2);
    assert!(book.open().is_empty());
}

#[test]
fn clock_jumping_back_never_gives_negative_down_time() {
    let (mut impact, [sw_a, _, _, _, s1, _, _, _]) = setup();
    let mut book = IncidentBook::new();
    let mut next_id = || 1;
    let mut events = Vec::new();
    let mut changes = Vec::new();
    impact.observe(sw_a, State::Down, &mut changes);
    book.apply(
        &impact,
        &changes,
        |v| v == s1,
        5_000_000,
        &mut next_id,
        &mut events,
    );
    changes.clear();
    impact.observe(sw_a, State::Up, &mut changes);
    // NTP set the clock to 1752 (seed 002).
    book.apply(
        &impact,
        &changes,
        |v| v == s1,
        -6_000_000_000_000,
        &mut next_id,
        &mut events,
    );
    assert!(events.contains(&IncidentEvent::ServiceUp {
        id: 1,
        service: s1,
        at_ms: -6_000_000_000_000,
        down_total_ms: 0
    }));
}

#[test]
fn services_down_only_because_of_quiet_vertices_open_nothing_until_the_quiet_ends() {
    let (mut impact, [sw_a, sw_b, _, _, s1, s2, _, s3]) = setup();
    let services = [s1, s2, s3];
    let is_service = |v| services.contains(&v);
    let mut book = IncidentBook::new();
    let mut next = 0;
    let mut next_id = || {
        next += 1;
        next
    };
    let (mut events, mut changes) = (Vec::new(), Vec::new());
    book.set_quiet(vec![sw_a]);
    impact.observe(sw_a, State::Down, &mut changes);
    book.apply(
        &impact,
        &changes,
        is_service,
        1_000,
        &mut next_id,
        &mut events,
    );
    assert!(events.is_empty(), "{events:?}");
    assert!(book.open().is_empty());
    // Another cause on top (sw-b really fails): s2 (on sw-b) is an incident as usual; s3,
    // down on purpose already, does not change state and waits for the window's end.
    changes.clear();
    impact.observe(sw_b, State::Down, &mut changes);
    book.apply(
        &impact,
        &changes,
        is_service,
        2_000,
        &mut next_id,
        &mut events,
    );
    assert_eq!(book.open().len(), 1);
    assert_eq!(book.open()[0].roots, vec![sw_b]);
    let down: Vec<_> = book.open()[0].services.iter().map(|s| s.service).collect();
    assert_eq!(down, vec![s2]);
    // The window ends with sw-a still down: the reconcile opens what it hid.
    book.set_quiet(Vec::new());
    events.clear();
    book.reconcile(&impact, is_service, 3_000, &mut next_id, &mut events);
    let mut all: Vec<_> = book
        .open()
        .iter()
        .flat_map(|i| i.services.iter().map(|s| s.service))
        .collect();
    all.sort_unstable();
    let mut want = vec![s1, s2, s3];
    want.sort_unstable();
    assert_eq!(all, want);
}

#[test]
fn reconcile_opens_for_down_services_and_closes_for_recovered_ones() {
    let (mut impact, [sw_a, _, _, _, s1, s2, _, s3]) = setup();
    let services = [s1, s2, s3];
    let mut changes = Vec::new();
    impact.observe(sw_a, State::Down, &mut changes);
    // A stored incident says s2 was down; the engine says s1 and s3 are.
    let mut book = IncidentBook::restore(vec![OpenIncident {
        id: 7,
        roots: vec![s2],
        services: vec![IncidentService {
            service: s2,
            down_since_ms: Some(10),
            down_total_ms: 0,
            announced: true,
        }],
    }]);
    let mut next_id = || 8;
    let mut events = Vec::new();
    book.reconcile(
        &impact,
        |v| services.contains(&v),
        100,
        &mut next_id,
        &mut events,
    );
    assert!(events.iter().any(|e| matches!(
        e,
        IncidentEvent::Resolved {
            id: 7,
            at_ms: 100,
            ..
        }
    )));
    assert_eq!(book.open().len(), 1);
    assert_eq!(book.open()[0].id, 8);
    assert_eq!(book.open()[0].services.len(), 2);
}
