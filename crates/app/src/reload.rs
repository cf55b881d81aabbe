//! Re-reading the inventory, on SIGHUP and on request: read on a thread of its own, then
//! handed to the pipeline, which switches to it without stalling the log (`apply/switch.rs`).

use std::sync::Arc;

use tocsin_model::Inventory;

use crate::System;

impl System {
    /// Re-reads the inventory and switches the pipeline to it; the error says why not.
    pub(crate) async fn reload_inventory(&self) -> Result<Arc<Inventory>, String> {
        let Some(read) = self.reload.clone() else {
            return Err("this server has no inventory file to re-read".to_owned());
        };
        // A thread of its own, not the blocking pool: the reader may lower its own priority
        // so that alerts go first, and that must not outlive the reading.
        let (done, answer) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("inventory-reader".to_owned())
            .spawn(move || {
                let _ = done.send(read());
            })
            .map_err(|e| format!("cannot start the reader: {e}"))?;
        let inventory = answer.await.map_err(|_| "the reader failed".to_owned())??;
        let inventory = Arc::new(inventory);
        tracing::info!(
            vertices = inventory.graph.vertex_count(),
            "inventory read: switching to it"
        );
        self.ingestor.reload(Arc::clone(&inventory)).await?;
        Ok(inventory)
    }
}

/// Re-reads the inventory on each SIGHUP, for as long as the system lives.
pub(crate) async fn on_sighup(system: std::sync::Weak<System>) {
    let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
    else {
        return;
    };
    while hangups.recv().await.is_some() {
        let Some(system) = system.upgrade() else {
            return;
        };
        if let Err(e) = system.reload_inventory().await {
            tracing::error!(error = %e, "SIGHUP: inventory not reloaded, the old one stays");
        }
    }
}
