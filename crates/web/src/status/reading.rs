//! What the public outputs read from the database, kept between reads. The renderer reads
//! every two seconds, and an outage's incident can hold a service of every customer (160,000
//! in the fan-out benchmark): its services are read again only when the store says they
//! changed (the incident's revision), never at every look.

use std::collections::HashMap;
use std::sync::Arc;

use tocsin_store::{
    AccountStore, AnyStore, IncidentHead, IncidentRow, IncidentStore, MaintenanceStore, StoreError,
};

use super::manual;
use super::snapshot::{Stored, LISTED};

/// How many of the latest incidents feed the uptime bars.
const FOR_UPTIME: i64 = 1000;

/// How often [`Reader::read`] reads again when incidents keep moving under it; the last read
/// is kept (the next refresh, woken by the same change, reads again).
const READ_TRIES: u32 = 3;

/// Reads [`Stored`], keeping the incidents (with their services) it read last.
#[derive(Default)]
pub(crate) struct Reader {
    /// By incident: the head it was read with, and the whole incident.
    kept: HashMap<i64, (IncidentHead, Arc<IncidentRow>)>,
}

/// Whether anything but the services' revisions differs between two reads of the heads.
fn status_moved(before: &[IncidentHead], after: &[IncidentHead]) -> bool {
    before.len() != after.len()
        || before.iter().zip(after).any(|(a, b)| {
            let key = |h: &IncidentHead| {
                let IncidentHead {
                    id,
                    status,
                    title,
                    roots,
                    opened_ms,
                    resolved_ms,
                    revision: _,
                } = h;
                (
                    *id,
                    status.clone(),
                    title.clone(),
                    roots.clone(),
                    *opened_ms,
                    *resolved_ms,
                )
            };
            key(a) != key(b)
        })
}

impl Reader {
    /// Reads the latest incidents and their public updates, what staff set on components and
    /// the maintenance windows around `now_ms`.
    ///
    /// Incidents and their updates are read apart, so an update (which may move the status)
    /// can land between the two reads, and the page would show its text under the status
    /// before it. The heads are read again after the updates, and everything again when they
    /// moved.
    pub(crate) async fn read(
        &mut self,
        store: &AnyStore,
        now_ms: i64,
    ) -> Result<Stored, StoreError> {
        let mut heads = store.incident_heads(FOR_UPTIME).await?;
        let mut tries = 0;
        let (rows, updates) = loop {
            let rows = self.rows(store, &heads).await?;
            let mut updates = Vec::new();
            for (i, row) in rows.iter().enumerate() {
                if listed(i, row) {
                    let mut u = store.updates(row.id).await?;
                    // Internal notes stop here: nothing public is made from what follows.
                    u.retain(|u| u.public);
                    updates.push(u);
                }
            }
            let again = store.incident_heads(FOR_UPTIME).await?;
            tries += 1;
            // Services written meanwhile (a revision moved) make no page inconsistent: they
            // are read at the next refresh. Reading 160,000 again each time a fan-out's
            // leader committed a part of it took a tenth of the CPU during its sending.
            if !status_moved(&heads, &again) || tries == READ_TRIES {
                break (rows, updates);
            }
            heads = again;
        };
        let (incidents, history) = split(rows);
        Ok(Stored {
            incidents,
            updates,
            history,
            component_statuses: store.component_statuses().await?,
            maintenances: store.maintenances(now_ms - manual::KEPT_MS).await?,
        })
    }

    /// The incidents of `heads`, their services read only for those not kept with the same
    /// head; forgets the others.
    async fn rows(
        &mut self,
        store: &AnyStore,
        heads: &[IncidentHead],
    ) -> Result<Vec<Arc<IncidentRow>>, StoreError> {
        let mut rows = Vec::with_capacity(heads.len());
        let mut kept = HashMap::with_capacity(heads.len());
        for head in heads {
            let row = match self.kept.remove(&head.id) {
                Some((was, row)) if was == *head => row,
                _ => {
                    let services = store.incident_services(head.id).await?;
                    Arc::new(head.clone().with_services(services))
                }
            };
            kept.insert(head.id, (head.clone(), Arc::clone(&row)));
            rows.push(row);
        }
        self.kept = kept;
        Ok(rows)
    }
}

/// Whether the `i`-th of the incidents read (newest first) is listed: the latest [`LISTED`]
/// and every open one, however many came after it.
fn listed(i: usize, row: &IncidentRow) -> bool {
    i < LISTED || row.resolved_ms.is_none()
}

/// The listed incidents, and the older ones that only feed the uptime bars.
type Split = (Vec<Arc<IncidentRow>>, Vec<Arc<IncidentRow>>);

/// Splits `rows` (newest first) into the listed ones and the rest.
fn split(rows: Vec<Arc<IncidentRow>>) -> Split {
    let mut split: Split = (Vec::new(), Vec::new());
    for (i, row) in rows.into_iter().enumerate() {
        if listed(i, &row) {
            split.0.push(row);
        } else {
            split.1.push(row);
        }
    }
    split
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(status: &str, revision: i64) -> IncidentHead {
        IncidentHead {
            id: 1,
            status: status.to_owned(),
            title: "sw-a down".to_owned(),
            roots: vec!["sw-a".to_owned()],
            opened_ms: 1_000,
            resolved_ms: None,
            revision,
        }
    }

    #[test]
    fn services_written_meanwhile_do_not_move_the_status_but_a_new_status_does() {
        let before = [head("investigating", 3)];
        assert!(!status_moved(&before, &[head("investigating", 9)]));
        assert!(status_moved(&before, &[head("identified", 3)]));
        assert!(status_moved(&before, &[]));
    }
}
