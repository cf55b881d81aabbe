//! Queueing notices in SQL, the same statements on both backends: the outbox row, which
//! changes at every claim and verdict, and what the notice says, kept apart in
//! `outbox_payloads` so that those changes never rewrite it.

use std::collections::HashMap;

use sqlx::Row;

use crate::sql::{PgStore, SqliteStore};
use crate::{OutboxRow, Result};

/// Rows per multi-row statement (ten parameters each).
const ROWS: usize = 1000;

/// A notice to queue.
pub(crate) struct Queued<'a> {
    pub incident_id: i64,
    pub customer: &'a str,
    pub contact: &'a str,
    pub language: &'a str,
    pub kind: std::borrow::Cow<'a, str>,
    pub payload: &'a str,
    /// When it falls due.
    pub next_ms: i64,
    pub created_ms: i64,
}

/// What the notices this process queued say, by outbox row, from their commit until this
/// process claims them: a claim reads back only the payloads of notices queued elsewhere
/// (another instance, or before a restart). A fan-out's claims spent most of their time
/// reading back its 10,000 payloads, several kilobytes each. A payload never changes once
/// queued. At most `PAYLOAD_CACHE_BYTES` are kept; what another instance claims stays until
/// the cache fills, when it is emptied.
#[derive(Default)]
pub(crate) struct Payloads(std::sync::Mutex<KeptPayloads>);

#[derive(Default)]
struct KeptPayloads {
    by_id: hashbrown::HashMap<i64, String>,
    bytes: usize,
}

/// The most payload bytes kept for claims.
const PAYLOAD_CACHE_BYTES: usize = 64 << 20;

impl Payloads {
    /// Keeps the payloads of notices just committed.
    pub(crate) fn keep<'a>(&self, committed: impl Iterator<Item = (i64, &'a str)>) {
        let Ok(mut kept) = self.0.lock() else {
            return;
        };
        for (id, payload) in committed {
            if kept.bytes + payload.len() > PAYLOAD_CACHE_BYTES {
                kept.by_id.clear();
                kept.bytes = 0;
            }
            kept.bytes += payload.len();
            if let Some(old) = kept.by_id.insert(id, payload.to_owned()) {
                kept.bytes -= old.len();
            }
        }
    }

    /// Fills in the payloads of claimed `rows` that this process kept; answers the ids of
    /// those it did not.
    pub(crate) fn fill(&self, rows: &mut [OutboxRow]) -> Vec<i64> {
        let mut missing = Vec::new();
        let Ok(mut kept) = self.0.lock() else {
            return rows.iter().map(|r| r.id).collect();
        };
        for r in rows {
            match kept.by_id.remove(&r.id) {
                Some(payload) => {
                    kept.bytes -= payload.len();
                    r.notice.payload = payload;
                }
                None => missing.push(r.id),
            }
        }
        missing
    }
}

/// The payload column of a notice read with its outbox row `outbox`, for a select list or a
/// `RETURNING` clause (a macro, for `concat!`): the list of notices reads it so; a claim takes
/// what this process kept ([`Payloads`]) and reads the rest by id.
macro_rules! payload_column {
    () => {
        "COALESCE((SELECT p.payload FROM outbox_payloads p WHERE p.id = outbox.id), '')"
    };
}
pub(crate) use payload_column;

macro_rules! queue_impl {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Queues `notices` in `tx`, each (incident, contact, kind) once: one already
            /// queued stays as it is. Answers the outbox row of each queued, with its place in
            /// `notices`.
            pub(crate) async fn queue(
                tx: &mut sqlx::Transaction<'static, $db>,
                notices: &[Queued<'_>],
            ) -> Result<Vec<(i64, usize)>> {
                let mut queued = Vec::new();
                for (k, chunk) in notices.chunks(ROWS).enumerate() {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO outbox (incident_id, customer, contact, language, kind, state, attempts, next_ms, created_ms) ",
                    );
                    q.push_values(chunk, |mut row, n| {
                        row.push_bind(n.incident_id)
                            .push_bind(n.customer)
                            .push_bind(n.contact)
                            .push_bind(n.language)
                            .push_bind(n.kind.as_ref())
                            .push_bind("queued")
                            .push_bind(0i64)
                            .push_bind(n.next_ms)
                            .push_bind(n.created_ms);
                    });
                    q.push(
                        " ON CONFLICT (incident_id, contact, kind) DO NOTHING \
                         RETURNING id, incident_id, contact, kind",
                    );
                    let rows = q.build().fetch_all(&mut **tx).await?;
                    if rows.is_empty() {
                        continue;
                    }
                    let at: HashMap<(i64, &str, &str), usize> = chunk
                        .iter()
                        .enumerate()
                        .map(|(i, n)| ((n.incident_id, n.contact, n.kind.as_ref()), i))
                        .collect();
                    let mut payloads = Vec::with_capacity(rows.len());
                    for r in &rows {
                        let id: i64 = r.try_get(0)?;
                        let incident: i64 = r.try_get(1)?;
                        let contact: &str = r.try_get(2)?;
                        let kind: &str = r.try_get(3)?;
                        let i = at.get(&(incident, contact, kind)).copied();
                        payloads.push((id, i.map_or("", |i| chunk[i].payload)));
                        if let Some(i) = i {
                            queued.push((id, k * ROWS + i));
                        }
                    }
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO outbox_payloads (id, payload) ",
                    );
                    q.push_values(&payloads, |mut row, (id, payload)| {
                        row.push_bind(*id).push_bind(*payload);
                    });
                    q.build().execute(&mut **tx).await?;
                }
                Ok(queued)
            }
        }
    };
}

queue_impl!(SqliteStore, sqlx::Sqlite);
queue_impl!(PgStore, sqlx::Postgres);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NewNotice;

    fn claimed(id: i64) -> OutboxRow {
        OutboxRow {
            id,
            notice: NewNotice {
                incident_id: 1,
                customer: "acme".into(),
                contact: "ops@acme.example".into(),
                language: "en".into(),
                kind: "opened".into(),
                payload: String::new(),
                created_ms: 0,
            },
            attempts: 1,
        }
    }

    #[test]
    fn kept_payloads_are_given_once_and_the_others_asked_for() {
        let payloads = Payloads::default();
        payloads.keep([(1, "one"), (3, "three")].into_iter());
        let mut rows = vec![claimed(1), claimed(2), claimed(3)];
        assert_eq!(payloads.fill(&mut rows), [2]);
        let said: Vec<&str> = rows.iter().map(|r| r.notice.payload.as_str()).collect();
        assert_eq!(said, ["one", "", "three"]);
        // Claimed again (a lease ran out): read from the database, not kept twice.
        let mut again = vec![claimed(1)];
        assert_eq!(payloads.fill(&mut again), [1]);
    }

    #[test]
    fn a_full_cache_is_emptied_before_it_keeps_more() {
        let payloads = Payloads::default();
        let big = "x".repeat(PAYLOAD_CACHE_BYTES / 2 + 1);
        payloads.keep([(1, big.as_str())].into_iter());
        payloads.keep([(2, big.as_str())].into_iter());
        let mut rows = vec![claimed(1), claimed(2)];
        assert_eq!(payloads.fill(&mut rows), [1]);
        assert_eq!(rows[1].notice.payload.len(), big.len());
        let kept = payloads.0.lock().map(|k| (k.by_id.len(), k.bytes)).ok();
        assert_eq!(kept, Some((0, 0)));
    }
}
