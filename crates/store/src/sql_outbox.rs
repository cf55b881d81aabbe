//! Queueing notices in SQL, the same statements on both backends: the outbox row, which
//! changes at every claim and verdict, and what the notice says, kept apart in
//! `outbox_payloads` so that those changes never rewrite it.

use std::collections::HashMap;

use sqlx::Row;

use crate::sql::{PgStore, SqliteStore};
use crate::Result;

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

/// The payload column of a notice read with its outbox row `outbox`, for a select list or a
/// `RETURNING` clause (a macro, for `concat!`).
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
            /// queued stays as it is. Answers how many were queued.
            pub(crate) async fn queue(
                tx: &mut sqlx::Transaction<'static, $db>,
                notices: &[Queued<'_>],
            ) -> Result<u64> {
                let mut queued = 0;
                for chunk in notices.chunks(ROWS) {
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
                    let said: HashMap<(i64, &str, &str), &str> = chunk
                        .iter()
                        .map(|n| ((n.incident_id, n.contact, n.kind.as_ref()), n.payload))
                        .collect();
                    let mut payloads = Vec::with_capacity(rows.len());
                    for r in &rows {
                        let id: i64 = r.try_get(0)?;
                        let incident: i64 = r.try_get(1)?;
                        let contact: &str = r.try_get(2)?;
                        let kind: &str = r.try_get(3)?;
                        let payload = said.get(&(incident, contact, kind)).copied().unwrap_or("");
                        payloads.push((id, payload));
                    }
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO outbox_payloads (id, payload) ",
                    );
                    q.push_values(&payloads, |mut row, (id, payload)| {
                        row.push_bind(*id).push_bind(*payload);
                    });
                    q.build().execute(&mut **tx).await?;
                    queued += payloads.len() as u64;
                }
                Ok(queued)
            }
        }
    };
}

queue_impl!(SqliteStore, sqlx::Sqlite);
queue_impl!(PgStore, sqlx::Postgres);
