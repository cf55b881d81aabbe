//! The election and the wake-ups of an instance. The election tries for the leader lock
//! every second and, once held, checks it every second, stepping down at once when the check
//! fails; the applier is told each change. The listener forwards the other instances'
//! notifications, and says when its connection was made again (notifications are lost
//! across reconnects: the applier then reads everything anew).

use std::time::Duration;

use tocsin_store::{Elector, Listener, Wake};
use tokio::sync::mpsc;

use crate::apply::Elected;

/// How often the lock is tried for, or checked.
const EVERY: Duration = Duration::from_secs(1);
/// How long an instance that gave the lead up waits before trying again, so that another
/// one may take it.
const AFTER_RESIGNING: Duration = Duration::from_secs(3);

/// Runs the election until the applier is gone.
pub(crate) async fn elect(
    store: std::sync::Arc<tocsin_store::AnyStore>,
    tell: mpsc::Sender<Elected>,
    mut resign: mpsc::UnboundedReceiver<()>,
) {
    let mut elector = Elector::new(&store);
    let mut leading = false;
    let mut every = tokio::time::interval(EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failures = 0u32;
    loop {
        tokio::select! {
            _ = every.tick() => {}
            _ = tell.closed() => break,
            Some(()) = resign.recv() => {
                if leading {
                    elector.resign();
                    leading = false;
                }
                tokio::time::sleep(AFTER_RESIGNING).await;
                continue;
            }
        }
        if leading {
            if let Err(e) = elector.check().await {
                tracing::error!(error = %e, "the leader lock may be lost: stepping down");
                elector.resign();
                leading = false;
                if tell.send(Elected::Follow).await.is_err() {
                    break;
                }
            }
            continue;
        }
        match elector.try_lead(&store).await {
            Ok(Some(epoch)) => {
                failures = 0;
                leading = true;
                tracing::info!(epoch, "this instance holds the leader lock");
                if tell.send(Elected::Lead(epoch)).await.is_err() {
                    break;
                }
            }
            Ok(None) => failures = 0,
            Err(e) => {
                // Said once, then every minute while it lasts.
                if failures % 60 == 0 {
                    tracing::warn!(error = %e, "cannot try for the leader lock");
                }
                failures += 1;
            }
        }
    }
    elector.resign();
}

/// Forwards notifications until the applier is gone; connects again after a failure.
pub(crate) async fn listen(store: std::sync::Arc<tocsin_store::AnyStore>, tx: mpsc::Sender<Wake>) {
    let mut failures = 0u32;
    loop {
        let mut listener = tokio::select! {
            _ = tx.closed() => return,
            started = Listener::start(&store) => match started {
                Ok(Some(l)) => l,
                Ok(None) => return,
                Err(e) => {
                    if failures % 60 == 0 {
                        tracing::warn!(error = %e, "cannot listen for the other instances");
                    }
                    failures += 1;
                    tokio::time::sleep(EVERY).await;
                    continue;
                }
            },
        };
        failures = 0;
        // A fresh connection: whatever was said while there was none is read anew.
        if tx.send(Wake::Reconnected).await.is_err() {
            return;
        }
        loop {
            let next = tokio::select! {
                _ = tx.closed() => return,
                next = listener.next() => next,
            };
            match next {
                Ok(w) => {
                    if tx.send(w).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "lost the notifications of the other instances");
                    break;
                }
            }
        }
    }
}
