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
