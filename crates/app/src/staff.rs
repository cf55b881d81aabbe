//! Staff-only notices: a failing component that takes no service down but leaves services
//! without redundancy is reported to the provider's staff, never to customers.

/// Outbox kinds of staff notices of lost redundancy start with this.
pub(crate) const KIND_PREFIX: &str = "staff.degraded.";

use std::collections::BTreeSet;

use tocsin_model::{Change, Inventory, State, VertexId};
use tocsin_store::NewNotice;

use crate::notices::{customer_of, service_line, Payload};

/// Services listed in one staff notice at most; the counts cover all of them.
const MAX_LISTED: usize = 100;

/// Staff notices for one observation of `root` and the engine changes it `caused`: one per
/// staff address when services became degraded and none went down (an incident tells the
/// customers of those), none otherwise. The episode is the moment of the observation, so a
/// repeated alert tells nobody again and a new failure of the same component does.
pub(crate) fn degraded(
    inventory: &Inventory,
    root: VertexId,
    caused: &[Change],
    staff: &[String],
    now_ms: i64,
) -> Vec<NewNotice> {
    if staff.is_empty() {
        return Vec::new();
    }
    let is_service = |c: &&Change| inventory.service_of(c.vertex).is_some();
    if caused
        .iter()
        .filter(is_service)
        .any(|c| c.to == State::Down)
    {
        return Vec::new();
    }
    let degraded: Vec<VertexId> = caused
        .iter()
        .filter(is_service)
        .filter(|c| c.to == State::Degraded && c.from == State::Up)
        .map(|c| c.vertex)
        .collect();
    if degraded.is_empty() {
        return Vec::new();
    }
    let customers: BTreeSet<u32> = degraded
        .iter()
        .filter_map(|&v| customer_of(inventory, v))
        .collect();
    let name = inventory.graph.name(root);
    let payload = Payload {
        title: format!("{name} ({})", inventory.kind_of(root)),
        customer_name: String::new(),
        services: degraded
            .iter()
            .take(MAX_LISTED)
            .map(|&v| service_line(inventory, v, now_ms, None))
            .collect(),
        body: String::new(),
        at_risk: customers.len() as u64,
        window: None,
        credit: None,
    };
    let payload = serde_json::to_string(&payload).unwrap_or_default();
    staff
        .iter()
        .map(|address| NewNotice {
            incident_id: 0,
            customer: String::new(),
            contact: address.clone(),
            language: "en".to_owned(),
            kind: format!("{KIND_PREFIX}{name}.{now_ms}"),
            payload: payload.clone(),
            created_ms: now_ms,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use tocsin_model::{Impact, Inventory, State};

    use super::*;

    const INVENTORY: &str = "version: 1\nnodes:\n  - {id: sw-a, kind: switch}\n  - {id: sw-b, kind: switch}\n  - {id: hv-1, kind: hypervisor, requires: [sw-a]}\n  - {id: hv-2, kind: hypervisor, requires: [{any: [sw-a, sw-b]}]}\ncustomers:\n  - {id: acme, contacts: [{email: a@acme.example}]}\n  - {id: beta, contacts: [{email: b@beta.example}]}\nservices:\n  - {id: vps-1, customer: acme, requires: [hv-2]}\n  - {id: vps-2, customer: beta, requires: [hv-2]}\n  - {id: vps-3, customer: beta, requires: [hv-2]}\n  - {id: vps-4, customer: acme, requires: [hv-1]}\n";

    fn observe(inventory: &Inventory, node: &str) -> (VertexId, Vec<Change>) {
        let mut impact = Impact::new(Arc::clone(&inventory.graph));
        let v = inventory.graph.find(node).unwrap();
        let mut changes = Vec::new();
        impact.observe(v, State::Down, &mut changes);
        (v, changes)
    }

    #[test]
    fn lost_redundancy_tells_each_staff_address_once_with_counts() {
        let text = INVENTORY.replace("requires: [sw-a]}", "requires: [sw-b]}");
        let inventory = tocsin_inventory::load_str("x.yaml", &text).unwrap();
        let (v, changes) = observe(&inventory, "sw-a");
        let staff = ["noc@p.example".to_owned(), "boss@p.example".to_owned()];
        let notices = degraded(&inventory, v, &changes, &staff, 5_000);
        assert_eq!(notices.len(), 2);
        assert_eq!(notices[0].contact, "noc@p.example");
        assert_eq!(notices[0].kind, "staff.degraded.sw-a.5000");
        let payload: Payload = serde_json::from_str(&notices[0].payload).unwrap();
        assert_eq!(payload.services.len(), 3);
        assert_eq!(payload.at_risk, 2);
        assert_eq!(payload.title, "sw-a (switch)");
        assert!(degraded(&inventory, v, &changes, &[], 5_000).is_empty());
    }

    #[test]
    fn an_observation_that_takes_a_service_down_tells_no_staff() {
        let inventory = tocsin_inventory::load_str("x.yaml", INVENTORY).unwrap();
        let (v, changes) = observe(&inventory, "sw-a");
        let staff = ["noc@p.example".to_owned()];
        assert!(degraded(&inventory, v, &changes, &staff, 5_000).is_empty());
    }
}
