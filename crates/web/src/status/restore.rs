//! The live impact rebuilt from what the database says alerts assert, without writing
//! anything: the static export may run beside a live server, and must not open incidents or
//! queue notices behind its back as `ingest::restore` (which also reconciles incidents) does.

use std::sync::Arc;

use tocsin_model::{Impact, Inventory};
use tocsin_store::{AnyStore, StoreError};

/// The impact the server would restore from `store`: `ingest::replay`, the read-only half of
/// `ingest::restore`.
pub(crate) async fn impact(
    inventory: &Arc<Inventory>,
    store: &AnyStore,
) -> Result<Impact, StoreError> {
    tocsin_app::replay(inventory, store)
        .await
        .map(|(_, impact)| impact)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tocsin_model::VertexId;
    use tocsin_store::{AlertStatus, AssertionChange, NewAlert, Store};

    #[tokio::test]
    async fn agrees_with_the_servers_restore() {
        let inventory = Arc::new(super::super::tests::inventory());
        let store = AnyStore::connect("sqlite::memory:").await.unwrap();
        store.migrate().await.unwrap();
        let mut rows = Vec::new();
        let mut changes = Vec::new();
        for (fp, state, vertices) in [
            ("a", "down", vec!["sw-a"]),
            ("b", "degraded", vec!["san-a", "san-b"]),
            ("c", "down", vec!["pdu-b", "gone-from-inventory"]),
        ] {
            let vertices: Vec<String> = vertices.into_iter().map(str::to_owned).collect();
            rows.push(NewAlert {
                source: "t".into(),
                fingerprint: fp.into(),
                status: AlertStatus::Firing,
                state: state.into(),
                vertices: vertices.clone(),
                received_ms: 1,
                body_key: None,
            });
            changes.push(AssertionChange::Replace {
                source: "t".into(),
                fingerprint: fp.into(),
                state: state.into(),
                vertices,
                since_ms: 1,
            });
        }
        store.ingest(&rows, &changes).await.unwrap();
        let ours = impact(&inventory, &store).await.unwrap();
        let live = tocsin_app::restore(Arc::clone(&inventory), &store, 60_000)
            .await
            .unwrap();
        for v in 0..inventory.graph.vertex_count() as VertexId {
            assert_eq!(
                ours.state(v),
                live.impact.state(v),
                "{}",
                inventory.graph.name(v)
            );
        }
        assert!(!ours.not_up().is_empty());
    }
}
