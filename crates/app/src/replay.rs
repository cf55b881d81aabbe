//! Rebuilding the live state from the database: what alerts assert, replayed onto a fresh
//! engine, and the open incidents, all as of the log position the leader applied.

use std::sync::Arc;

use tocsin_model::alerts::{AlertKey, LabelIndex, Observations};
use tocsin_model::{Impact, Inventory, State, VertexId};
use tocsin_store::{AccountStore, AnyStore, Assertion, LogStore, Picture, Store, StoreError};

use crate::notices::Incidents;
use crate::recipients::Recipients;
use crate::Live;

/// Replays what the database says alerts assert onto a fresh engine, reading only.
pub async fn replay(
    inventory: &Arc<Inventory>,
    store: &AnyStore,
) -> Result<(Observations, Impact), StoreError> {
    Ok(engine_from(inventory, &store.assertions().await?))
}

/// The observations and the impact that `assertions` make.
fn engine_from(inventory: &Inventory, assertions: &[Assertion]) -> (Observations, Impact) {
    let mut observations = Observations::new();
    let mut impact = Impact::new(Arc::clone(&inventory.graph));
    let mut grouped: Vec<(AlertKey, State, Vec<VertexId>)> = Vec::new();
    for a in assertions {
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
    (observations, impact)
}

/// The live state `picture` describes, against `inventory`; notices go to `recipients`.
pub(crate) fn live_from(
    inventory: Arc<Inventory>,
    picture: Picture,
    hold_down_ms: i64,
    recipients: Recipients,
) -> Live {
    let incidents = Incidents::restore(
        &inventory,
        picture.open_incidents,
        picture.last_incident_id,
        hold_down_ms,
        recipients,
        picture.backlog,
    );
    let (observations, impact) = engine_from(&inventory, &picture.assertions);
    tracing::info!(
        applied = picture.leadership.applied,
        alerts = observations.alerts(),
        not_up = impact.not_up().len(),
        open_incidents = incidents.open_count(),
        "state rebuilt from the database"
    );
    Live {
        labels: LabelIndex::new(&inventory),
        quiet: crate::planned::Quiet::from_observations(&observations),
        observations,
        impact,
        incidents,
        inventory,
        applied: picture.leadership.applied,
    }
}

/// Rebuilds the live state from one snapshot of the database, reading only: what alerts
/// assert and the open incidents, as of the leader's applied position. The leader reconciles
/// incidents with it when it takes the lead.
pub async fn restore(
    inventory: Arc<Inventory>,
    store: &AnyStore,
    hold_down_ms: i64,
) -> Result<Live, StoreError> {
    let recipients = Recipients::from_preferences(&store.all_preferences().await?);
    let picture = store.picture().await?;
    Ok(live_from(inventory, picture, hold_down_ms, recipients))
}
