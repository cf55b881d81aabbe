//! The drills register in SQL, the same text for SQLite and PostgreSQL.

use sqlx::Row;

use crate::drills::{Drill, DrillResult, DrillStore};
use crate::sql::{PgStore, SqliteStore};
use crate::sql_accounts::{list_from, list_json};
use crate::Result;

/// The columns `drill_from!` reads, in order.
macro_rules! drill_columns {
    () => {
        "id, title, targets, rrule, start_ms, duration_ms, announced, created_by, created_ms"
    };
}

macro_rules! drill_from {
    ($r:expr) => {
        Drill {
            id: $r.try_get(0)?,
            title: $r.try_get(1)?,
            targets: list_from(&$r.try_get::<String, _>(2)?, "drill targets")?,
            rrule: $r.try_get(3)?,
            start_ms: $r.try_get(4)?,
            duration_ms: $r.try_get(5)?,
            announced: $r.try_get(6)?,
            created_by: $r.try_get(7)?,
            created_ms: $r.try_get(8)?,
        }
    };
}

macro_rules! drills_impl {
    ($store:ty) => {
        impl DrillStore for $store {
            async fn add_drill(&self, d: &Drill) -> Result<i64> {
                let row = sqlx::query(
                    "INSERT INTO drills (title, targets, rrule, start_ms, duration_ms, announced, \
                     created_by, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                )
                .bind(&d.title)
                .bind(list_json(&d.targets))
                .bind(&d.rrule)
                .bind(d.start_ms)
                .bind(d.duration_ms)
                .bind(d.announced)
                .bind(&d.created_by)
                .bind(d.created_ms)
                .fetch_one(&self.pool)
                .await?;
                Ok(row.try_get(0)?)
            }

            async fn drills(&self) -> Result<Vec<Drill>> {
                let rows = sqlx::query(concat!("SELECT ", drill_columns!(), " FROM drills ORDER BY id"))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|r| Ok(drill_from!(r))).collect()
            }

            async fn drill(&self, id: i64) -> Result<Option<Drill>> {
                let row = sqlx::query(concat!("SELECT ", drill_columns!(), " FROM drills WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(match row {
                    Some(r) => Some(drill_from!(r)),
                    None => None,
                })
            }

            async fn add_drill_result(&self, r: &DrillResult) -> Result<Option<i64>> {
                // The unique key decides between racing instances: the loser inserts nothing.
                let row = sqlx::query(
                    "INSERT INTO drill_results (drill, occurrence_ms, outcome, started_ms, ended_ms, \
                     notes, recorded_by, recorded_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (drill, occurrence_ms) DO NOTHING RETURNING id",
                )
                .bind(r.drill)
                .bind(r.occurrence_ms)
                .bind(&r.outcome)
                .bind(r.started_ms)
                .bind(r.ended_ms)
                .bind(&r.notes)
                .bind(&r.recorded_by)
                .bind(r.recorded_ms)
                .fetch_optional(&self.pool)
                .await?;
                Ok(match row {
                    Some(row) => Some(row.try_get(0)?),
                    None => None,
                })
            }

            async fn drill_results(&self, from_ms: i64) -> Result<Vec<DrillResult>> {
                let rows = sqlx::query(
                    "SELECT id, drill, occurrence_ms, outcome, started_ms, ended_ms, notes, \
                     recorded_by, recorded_ms FROM drill_results WHERE occurrence_ms >= $1 \
                     ORDER BY drill, occurrence_ms",
                )
                .bind(from_ms)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(DrillResult {
                            id: r.try_get(0)?,
                            drill: r.try_get(1)?,
                            occurrence_ms: r.try_get(2)?,
                            outcome: r.try_get(3)?,
                            started_ms: r.try_get(4)?,
                            ended_ms: r.try_get(5)?,
                            notes: r.try_get(6)?,
                            recorded_by: r.try_get(7)?,
                            recorded_ms: r.try_get(8)?,
                        })
                    })
                    .collect()
            }
        }
    };
}

drills_impl!(SqliteStore);
drills_impl!(PgStore);
