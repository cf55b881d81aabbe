//! What announcing due services works with: an incident's services indexed once, and the
//! "opened" notices of the customers told, made on two threads for a fan-out.

use hashbrown::HashMap;

use tocsin_model::incident::{IncidentId, OpenIncident};
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

/// An open incident's services by vertex, and its customers' services down now.
pub(super) struct ServiceIndex {
    /// Each service of the incident; the first entry of a service counts, as a search of the
    /// list would find it.
    pub services: HashMap<VertexId, Indexed>,
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

impl ServiceIndex {
    pub(super) fn of(inventory: &Inventory, incident: &OpenIncident) -> Self {
        let mut services = HashMap::with_capacity(incident.services.len());
        let mut down_by_customer: HashMap<u32, Vec<(VertexId, i64)>> = HashMap::new();
        for (at, s) in incident.services.iter().enumerate() {
            services.entry(s.service).or_insert(Indexed {
                down_since: s.down_since_ms,
                announced: s.announced,
                at,
            });
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
            services,
            down_by_customer,
            announced: Vec::new(),
        }
    }
}
