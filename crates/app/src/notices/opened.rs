//! What announcing due services works with: an incident's services indexed once, and the
//! "opened" notices of the customers told, made on two threads for a fan-out.

use std::sync::Arc;

use hashbrown::HashMap;

use tocsin_model::incident::{IncidentId, IncidentService, OpenIncident};
use tocsin_model::{Inventory, VertexId};
use tocsin_store::NewNotice;

use super::{customer_of, public_title, queue, service_line, PayloadService};
use crate::recipients::Recipients;

/// The "opened" notices of `tell` (incident, customer), in its order: each lists every
/// service of the customer down in the incident now. A fan-out's thousands of notices are
/// made on two threads (their payloads are most of a fan-out's work before the first
/// commit).
pub(super) fn opened_notices(
    inventory: &Inventory,
    recipients: &Recipients,
    indexes: &HashMap<IncidentId, ServiceIndex>,
    tell: &[(IncidentId, u32)],
    now_ms: i64,
    notices: &mut Vec<NewNotice>,
) {
    let make = |tell: &[(IncidentId, u32)], notices: &mut Vec<NewNotice>| {
        for &(id, customer) in tell {
            let down = indexes
                .get(&id)
                .and_then(|index| index.down_by_customer.get(&customer))
                .map_or(&[][..], Vec::as_slice);
            let services: Vec<PayloadService> = down
                .iter()
                .map(|&(v, since)| service_line(inventory, v, since, None))
                .collect();
            // Customers are told what the status page calls it, never the root vertices.
            let headline = public_title(inventory, down.iter().map(|&(v, _)| v));
            queue(
                inventory, recipients, id, customer, "opened", &headline, services, now_ms, notices,
            );
        }
    };
    if tell.len() < PARALLEL_FROM {
        make(tell, notices);
        return;
    }
    let (first, second) = tell.split_at(tell.len() / 2);
    let mut later = Vec::with_capacity(second.len());
    // The scope waits for the second thread (and would pass on its panic, as one thread's
    // work would have panicked).
    std::thread::scope(|scope| {
        scope.spawn(|| make(second, &mut later));
        make(first, notices);
    });
    notices.append(&mut later);
}

/// Notices made at once from which a second thread helps.
const PARALLEL_FROM: usize = 512;

/// When a service is due to be announced, which incident it is in, and which service.
pub(super) type Due = (i64, IncidentId, VertexId);

/// Customers' ids as the changes share them: a customer's services come one after another,
/// and each of its changes carries the id of the last one asked for, not a copy.
#[derive(Default)]
pub(super) struct CustomerIds {
    last: Option<(u32, Arc<str>)>,
}

impl CustomerIds {
    /// The id of customer `c`.
    pub(super) fn id(&mut self, inventory: &Inventory, c: u32) -> Arc<str> {
        match &self.last {
            Some((last, id)) if *last == c => Arc::clone(id),
            _ => {
                let id: Arc<str> = inventory.customer_id(c).into();
                self.last = Some((c, Arc::clone(&id)));
                id
            }
        }
    }
}

/// An open incident's services by vertex, and its customers' services down now.
pub(super) struct ServiceIndex {
    /// Where each service's entry is.
    positions: Positions,
    /// Each service of the incident; the first entry of a service counts, as a search of the
    /// list would find it.
    entries: Vec<Indexed>,
    /// Per customer, its services down now and since when, in the incident's order.
    pub down_by_customer: HashMap<u32, Vec<(VertexId, i64)>>,
    /// The positions in the incident's list of the services announced now.
    pub announced: Vec<usize>,
}

/// One service of an incident, as [`ServiceIndex`] keeps it.
pub(super) struct Indexed {
    /// Since when it is down, if it is.
    pub down_since: Option<i64>,
    /// Whether it was announced, before or now.
    pub announced: bool,
    /// Its position in the incident's list.
    pub at: usize,
}

/// Which entry each vertex has: a slot per vertex from the lowest to the highest when the
/// incident's services lie close together, as a fan-out's do (hashed, a fan-out's 160,000
/// look-ups each missed the cache: half of announcing them), else hashed.
enum Positions {
    /// Entry + 1 of vertex `base + i` in slot `i`; 0 for none.
    Dense {
        base: VertexId,
        slots: Vec<u32>,
    },
    Sparse(HashMap<VertexId, u32>),
}

/// How many slots per service a dense index may spend.
const SLOTS_PER_SERVICE: usize = 4;

impl Positions {
    fn for_services(services: &[IncidentService]) -> Self {
        let low = services.iter().map(|s| s.service).min().unwrap_or(0);
        let high = services.iter().map(|s| s.service).max().unwrap_or(0);
        let span = (high - low) as usize + 1;
        if span <= services.len().saturating_mul(SLOTS_PER_SERVICE).max(64) {
            Positions::Dense {
                base: low,
                slots: vec![0; span],
            }
        } else {
            Positions::Sparse(HashMap::with_capacity(services.len()))
        }
    }

    /// Gives `v` entry `entry` unless it has one.
    fn insert(&mut self, v: VertexId, entry: u32) -> bool {
        match self {
            Positions::Dense { base, slots } => {
                let slot = &mut slots[(v - *base) as usize];
                let fresh = *slot == 0;
                if fresh {
                    *slot = entry + 1;
                }
                fresh
            }
            Positions::Sparse(map) => {
                let mut fresh = false;
                map.entry(v).or_insert_with(|| {
                    fresh = true;
                    entry
                });
                fresh
            }
        }
    }

    fn get(&self, v: VertexId) -> Option<usize> {
        match self {
            Positions::Dense { base, slots } => {
                let slot = *slots.get(v.checked_sub(*base)? as usize)?;
                (slot > 0).then(|| slot as usize - 1)
            }
            Positions::Sparse(map) => map.get(&v).map(|&e| e as usize),
        }
    }
}

impl ServiceIndex {
    pub(super) fn of(inventory: &Inventory, incident: &OpenIncident) -> Self {
        let mut positions = Positions::for_services(&incident.services);
        let mut entries = Vec::with_capacity(incident.services.len());
        let mut down_by_customer: HashMap<u32, Vec<(VertexId, i64)>> = HashMap::new();
        for (at, s) in incident.services.iter().enumerate() {
            if positions.insert(s.service, entries.len() as u32) {
                entries.push(Indexed {
                    down_since: s.down_since_ms,
                    announced: s.announced,
                    at,
                });
            }
            if let (Some(since), Some(customer)) =
                (s.down_since_ms, customer_of(inventory, s.service))
            {
                down_by_customer
                    .entry(customer)
                    .or_default()
                    .push((s.service, since));
            }
        }
        ServiceIndex {
            positions,
            entries,
            down_by_customer,
            announced: Vec::new(),
        }
    }

    /// Service `v`'s entry, if it is one of the incident's.
    pub(super) fn get_mut(&mut self, v: VertexId) -> Option<&mut Indexed> {
        let entry = self.positions.get(v)?;
        self.entries.get_mut(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn services(vertices: &[VertexId]) -> Vec<IncidentService> {
        vertices
            .iter()
            .map(|&service| IncidentService {
                service,
                down_since_ms: Some(1),
                down_total_ms: 0,
                announced: false,
            })
            .collect()
    }

    /// Each vertex finds its first entry, in either form; others find none.
    fn check(vertices: &[VertexId], dense: bool) {
        let list = services(vertices);
        let mut positions = Positions::for_services(&list);
        assert_eq!(matches!(positions, Positions::Dense { .. }), dense);
        let mut entries = 0u32;
        let mut first = HashMap::new();
        for &v in vertices {
            if positions.insert(v, entries) {
                first.insert(v, entries as usize);
                entries += 1;
            }
        }
        for &v in vertices {
            assert_eq!(positions.get(v), first.get(&v).copied(), "vertex {v}");
        }
        let low = vertices.iter().min().copied().unwrap_or(0);
        let high = vertices.iter().max().copied().unwrap_or(0);
        for v in [
            0,
            low.saturating_sub(1),
            high + 1,
            high + 1000,
            VertexId::MAX,
        ] {
            if !vertices.contains(&v) {
                assert_eq!(positions.get(v), None, "vertex {v}");
            }
        }
    }

    #[test]
    fn close_services_get_slots_and_scattered_ones_a_hash_and_both_keep_the_first_entry() {
        let close: Vec<VertexId> = (0..1000)
            .map(|i| 5_000 + i * 3)
            .chain([5_006, 5_000])
            .collect();
        check(&close, true);
        let scattered: Vec<VertexId> = (0..100).map(|i| i * 100_000).chain([0]).collect();
        check(&scattered, false);
        check(&[7], true);
    }
}
