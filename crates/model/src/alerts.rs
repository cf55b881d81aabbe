//! From alerts to observations: which vertices an alert's labels name, and what every alert
//! still asserts, so that a resolution withdraws exactly what its alert asserted.

use hashbrown::HashMap;

use crate::graph::VertexId;
use crate::impact::{Observation, State};
use crate::inventory::Inventory;

/// Finds the vertices an alert's labels point at.
///
/// A vertex matches when it has labels and every one of them is present in the alert with an
/// equal value. Vertices are indexed by their first label, so a lookup only checks vertices
/// sharing at least one label pair with the alert.
pub struct LabelIndex {
    by_pair: HashMap<(Box<str>, Box<str>), Vec<usize>>,
    /// Index into `Inventory::labels` → vertex.
    vertices: Vec<VertexId>,
}

impl LabelIndex {
    /// Indexes the labels of `inventory`.
    pub fn new(inventory: &Inventory) -> Self {
        let mut by_pair: HashMap<(Box<str>, Box<str>), Vec<usize>> = HashMap::new();
        let mut vertices = Vec::with_capacity(inventory.labels.len());
        for (i, (v, labels)) in inventory.labels.iter().enumerate() {
            vertices.push(*v);
            if let Some((k, val)) = labels.first() {
                by_pair.entry((k.clone(), val.clone())).or_default().push(i);
            }
        }
        LabelIndex { by_pair, vertices }
    }

    /// The vertices matching `labels` (name, value pairs), sorted, each once.
    pub fn matching<'a>(
        &self,
        inventory: &Inventory,
        labels: impl Iterator<Item = (&'a str, &'a str)> + Clone,
    ) -> Vec<VertexId> {
        let mut found = Vec::new();
        for (k, v) in labels.clone() {
            let Some(candidates) = self.by_pair.get(&(Box::from(k), Box::from(v))) else {
                continue;
            };
            for &i in candidates {
                let wanted = &inventory.labels[i].1;
                let all = wanted.iter().all(|(wk, wv)| {
                    labels
                        .clone()
                        .any(|(ak, av)| ak == wk.as_ref() && av == wv.as_ref())
                });
                if all {
                    found.push(self.vertices[i]);
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// Key of one alert: its source and its identity there.
pub type AlertKey = (Box<str>, Box<str>);

/// What every live alert asserts, and per vertex the resulting observation (the worst state
/// any alert asserts of it).
#[derive(Default)]
pub struct Observations {
    by_alert: HashMap<AlertKey, (State, Vec<VertexId>)>,
    /// Per vertex: how many alerts assert it down, and how many degraded.
    counts: HashMap<VertexId, (u32, u32)>,
}

impl Observations {
    /// Nothing asserted.
    pub fn new() -> Self {
        Self::default()
    }

    /// The observation of `v`.
    pub fn of(&self, v: VertexId) -> Observation {
        match self.counts.get(&v) {
            Some(&(down, _)) if down > 0 => State::Down,
            Some(&(_, degraded)) if degraded > 0 => State::Degraded,
            _ => State::Up,
        }
    }

    /// How many alerts assert something.
    pub fn alerts(&self) -> usize {
        self.by_alert.len()
    }

    /// What `key` asserts, if anything.
    pub fn asserted(&self, key: &AlertKey) -> Option<&(State, Vec<VertexId>)> {
        self.by_alert.get(key)
    }

    /// Every alert that asserts something now, in no order.
    pub fn iter(&self) -> impl Iterator<Item = (&AlertKey, &(State, Vec<VertexId>))> {
        self.by_alert.iter()
    }

    /// From now on `key` asserts `state` (down or degraded) of `vertices`; replaces what it
    /// asserted before. Appends each vertex whose observation changed, with the new one.
    ///
    /// An alert of no vertex asserts nothing and is not held: monitoring may send any number
    /// of alerts the inventory does not know, and memory must not grow with them.
    pub fn assert(
        &mut self,
        key: AlertKey,
        state: State,
        vertices: Vec<VertexId>,
        changed: &mut Vec<(VertexId, Observation)>,
    ) {
        if state == State::Up || vertices.is_empty() {
            return self.withdraw(&key, changed);
        }
        if self.by_alert.get(&key) == Some(&(state, vertices.clone())) {
            return;
        }
        self.withdraw(&key, changed);
        for &v in &vertices {
            let before = self.of(v);
            let c = self.counts.entry(v).or_insert((0, 0));
            if state == State::Down {
                c.0 += 1;
            } else {
                c.1 += 1;
            }
            let after = self.of(v);
            if after != before {
                changed.push((v, after));
            }
        }
        self.by_alert.insert(key, (state, vertices));
    }

    /// `key` asserts nothing any more.
    pub fn withdraw(&mut self, key: &AlertKey, changed: &mut Vec<(VertexId, Observation)>) {
        let Some((state, vertices)) = self.by_alert.remove(key) else {
            return;
        };
        for v in vertices {
            let before = self.of(v);
            if let Some(c) = self.counts.get_mut(&v) {
                if state == State::Down {
                    c.0 = c.0.saturating_sub(1);
                } else {
                    c.1 = c.1.saturating_sub(1);
                }
                if *c == (0, 0) {
                    self.counts.remove(&v);
                }
            }
            let after = self.of(v);
            if after != before {
                changed.push((v, after));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> AlertKey {
        ("am".into(), s.into())
    }

    #[test]
    fn worst_assertion_wins_and_withdrawal_is_exact() {
        let mut o = Observations::new();
        let mut ch = Vec::new();
        o.assert(key("a"), State::Degraded, vec![1, 2], &mut ch);
        assert_eq!(ch, vec![(1, State::Degraded), (2, State::Degraded)]);
        ch.clear();
        o.assert(key("b"), State::Down, vec![2], &mut ch);
        assert_eq!(ch, vec![(2, State::Down)]);
        ch.clear();
        // A re-sent identical alert changes nothing.
        o.assert(key("b"), State::Down, vec![2], &mut ch);
        assert!(ch.is_empty());
        o.withdraw(&key("b"), &mut ch);
        assert_eq!(ch, vec![(2, State::Degraded)]);
        ch.clear();
        o.withdraw(&key("a"), &mut ch);
        assert_eq!(ch, vec![(1, State::Up), (2, State::Up)]);
        assert_eq!(o.alerts(), 0);
    }

    #[test]
    fn alerts_of_no_vertex_are_not_held() {
        let mut o = Observations::new();
        let mut ch = Vec::new();
        for i in 0..100 {
            o.assert(key(&format!("u{i}")), State::Down, vec![], &mut ch);
        }
        assert!(ch.is_empty());
        assert_eq!(o.alerts(), 0);
        assert_eq!(o.asserted(&key("u0")), None);
        // Their resolution changes nothing.
        o.withdraw(&key("u0"), &mut ch);
        assert!(ch.is_empty());
        assert_eq!(o.alerts(), 0);
    }

    #[test]
    fn an_alert_that_maps_to_no_vertex_any_more_withdraws_what_it_asserted() {
        let mut o = Observations::new();
        let mut ch = Vec::new();
        o.assert(key("a"), State::Down, vec![1], &mut ch);
        ch.clear();
        o.assert(key("a"), State::Down, vec![], &mut ch);
        assert_eq!(ch, vec![(1, State::Up)]);
        assert_eq!(o.alerts(), 0);
    }

    #[test]
    fn replacing_an_alert_moves_its_assertion() {
        let mut o = Observations::new();
        let mut ch = Vec::new();
        o.assert(key("a"), State::Down, vec![1], &mut ch);
        ch.clear();
        o.assert(key("a"), State::Down, vec![3], &mut ch);
        assert_eq!(ch, vec![(1, State::Up), (3, State::Down)]);
    }
}
