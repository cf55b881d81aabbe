//! Rebuilding the live state at start and on inventory reload: what stored alerts assert,
//! replayed onto a fresh engine, and the open incidents reconciled with it.

use std::sync::Arc;

use tocsin_model::alerts::{AlertKey, LabelIndex, Observations};
use tocsin_model::{Impact, Inventory, State, VertexId};
use tocsin_store::{AnyStore, IncidentStore, Store, StoreError};

use crate::notices::Incidents;
use crate::recipients::Recipients;
use crate::Live;

/// Replays what the database says alerts assert onto a fresh engine, reading only.
pub async fn replay(
    inventory: &Arc<Inventory>,
    store: &AnyStore,
) -> Result<(Observations, Impact), StoreError> {
    let mut observations = Observations::new();
    let mut impact = Impact::new(Arc::clone(&inventory.graph));
    let mut grouped: Vec<(AlertKey, State, Vec<VertexId>)> = Vec::new();
    for a in store.assertions().await? {
        let key: AlertKey = (a.source.as_str().into(), a.fingerprint.as_str().into());
        let state = if a.state == "degraded" {
            State::Degraded
        } else {
            State::Down
        };
        let Some(v) = inventory.graph.find(&a.vertex) else {
            tracing::warn!(vertex = %a.vertex, "an alert asserts a vertex the inventory no longer has");
            continue;
        };
        match grouped.last_mut() {
            Some((k, _, vs)) if *k == key => vs.push(v),
            _ => grouped.push((key, state, vec![v])),
        }
    }
    let mut changed = Vec::new();
    for (key, state, vertices) in grouped {
        observations.assert(key, state, vertices, &mut changed);
    }
    let mut changes = Vec::new();
    for (v, obs) in changed {
        impact.observe(v, obs, &mut changes);
    }
    Ok((observations, impact))
}

/// Rebuilds the live state from what the database says alerts assert and which incidents are
/// open, and brings the incidents in line with it; notices go to `recipients`.
pub async fn restore(
    inventory: Arc<Inventory>,
    store: &AnyStore,
    hold_down_ms: i64,
    now_ms: i64,
    recipients: Recipients,
) -> Result<Live, StoreError> {
    let incidents = Incidents::restore(
        &inventory,
        store.open_incidents().await?,
        store.last_incident_id().await?,
        hold_down_ms,
        recipients,
    );
    let (observations, impact) = replay(&inventory, store).await?;
    let mut live = Live {
        labels: LabelIndex::new(&inventory),
        observations,
        impact,
        incidents,
        inventory,
    };
    let (mut out, mut notices) = (Vec::new(), Vec::new());
    live.incidents.reconcile(
        &live.inventory,
        &live.impact,
        now_ms,
        &mut out,
        &mut notices,
    );
    store.record(&out, &notices).await?;
    tracing::info!(
        alerts = live.observations.alerts(),
        not_up = live.impact.not_up().len(),
        incident_changes = out.len(),
        notices = notices.len(),
        "restored what alerts assert and the open incidents"
    );
    Ok(live)
}
