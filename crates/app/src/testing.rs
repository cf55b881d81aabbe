//! A running pipeline for unit tests: accepting, the applier and the election, on a store
//! the test made; it leads at once (SQLite has one instance).

#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tocsin_model::Inventory;
use tocsin_store::{AnyStore, LogStore};

use crate::archiving::Archiver;
use crate::ingest::Ingestor;
use crate::metrics::Metrics;
use crate::replay::restore;
use crate::{Clock, Live, Pipeline, PipelineParts};

/// What a test drives and looks at.
pub(crate) struct Started {
    pub ingestor: Ingestor,
    pub live: Arc<Mutex<Live>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Restores from `store` and starts; returns once this instance leads.
pub(crate) async fn start(
    store: &Arc<AnyStore>,
    inventory: &Arc<Inventory>,
    clock: Arc<dyn Clock>,
    hold_down_ms: i64,
) -> Started {
    let live = restore(Arc::clone(inventory), store, hold_down_ms)
        .await
        .unwrap();
    let live = Arc::new(Mutex::new(live));
    let Pipeline {
        ingestor,
        standing,
        accepting,
        applier,
        election,
        listener,
    } = Pipeline::start(PipelineParts {
        store: Arc::clone(store),
        live: Arc::clone(&live),
        clock,
        staff: Arc::from(Vec::new()),
        hold_down_ms,
        outbox: Arc::new(tokio::sync::Notify::new()),
        metrics: Arc::new(Metrics::default()),
        archiver: Archiver::new(None, 0),
    });
    for _ in 0..500 {
        if standing.leading() {
            return Started {
                ingestor,
                live,
                tasks: vec![accepting, applier, election, listener],
            };
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the only instance of an SQLite database did not lead");
}

impl Started {
    /// Stops everything, in order, once what was handed over is done.
    pub(crate) async fn stop(self) {
        drop(self.ingestor);
        for t in self.tasks {
            t.await.unwrap();
        }
    }
}

/// Waits until the leader's writes reach alert `seq` of the log.
pub(crate) async fn applied_through(store: &AnyStore, seq: i64) {
    for _ in 0..500 {
        if store.leadership().await.unwrap().applied >= seq {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the log was not applied through {seq}");
}
