//! Incidents without their services, with the revision that tells when the services changed,
//! the same statement on both backends: readers that keep the services (the status page) read
//! these every few seconds, and the services again only when the revision moved.

use sqlx::Row;

use crate::incidents::{IncidentChange, IncidentHead};
use crate::sql::{PgStore, SqliteStore};
use crate::sql_incidents::roots_from;
use crate::Result;

/// The columns [`head_from`] reads, in its order (a macro, for `concat!`).
macro_rules! head_columns {
    () => {
        "id, status, title, roots, opened_ms, resolved_ms, revision"
    };
}
pub(crate) use head_columns;

/// An incident's head from a row of [`head_columns`].
pub(crate) fn head_from<R: Row>(r: &R) -> Result<IncidentHead>
where
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let roots: String = r.try_get(3)?;
    Ok(IncidentHead {
        id: r.try_get(0)?,
        status: r.try_get(1)?,
        title: r.try_get(2)?,
        roots: roots_from(&roots)?,
        opened_ms: r.try_get(4)?,
        resolved_ms: r.try_get(5)?,
        revision: r.try_get(6)?,
    })
}

/// The incidents whose services `changes` touch, each once.
pub(crate) fn touched(changes: &[IncidentChange]) -> Vec<i64> {
    let mut ids: Vec<i64> = changes
        .iter()
        .filter_map(|c| match c {
            IncidentChange::ServiceDown { id, .. }
            | IncidentChange::ServiceUp { id, .. }
            | IncidentChange::Announce { id, .. } => Some(*id),
            _ => None,
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

macro_rules! heads_impl {
    ($store:ty, $db:ty) => {
        impl $store {
            /// See [`crate::IncidentStore::incident_heads`].
            pub(crate) async fn heads(&self, limit: i64) -> Result<Vec<IncidentHead>> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    head_columns!(),
                    " FROM incidents \
                     WHERE id IN (SELECT id FROM incidents ORDER BY id DESC LIMIT $1) \
                        OR resolved_ms IS NULL \
                     ORDER BY id DESC"
                ))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(head_from).collect()
            }

            /// Moves the revision of the incidents whose services `changes` touch, in `tx`.
            pub(crate) async fn bump_revisions(
                tx: &mut sqlx::Transaction<'static, $db>,
                changes: &[IncidentChange],
            ) -> Result<()> {
                let ids = touched(changes);
                for chunk in ids.chunks(crate::sql_changes::ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "UPDATE incidents SET revision = revision + 1 WHERE id IN (",
                    );
                    crate::sql_changes::push_ids(&mut q, chunk);
                    q.push(")");
                    q.build().execute(&mut **tx).await?;
                }
                Ok(())
            }
        }
    };
}

heads_impl!(SqliteStore, sqlx::Sqlite);
heads_impl!(PgStore, sqlx::Postgres);
