//! Maintenance windows in SQL, the same statements on both backends.

use sqlx::Row;

use crate::maintenance::WindowImpact;
use crate::maintenance::{maintenance_kind, DueNotice, Maintenance, MaintenanceStore};
use crate::sql::{PgStore, SqliteStore};
use crate::sql_accounts::{list_from, list_json};
use crate::sql_outbox::Queued;

/// What the `impact` column keeps: what lists of windows need.
#[derive(serde::Serialize, serde::Deserialize, Default)]
#[serde(default)]
struct Stored {
    down_services: Vec<String>,
    affected_customers: Vec<String>,
    at_risk_services_total: usize,
    at_risk_customers_total: usize,
}

/// What the `at_risk` column keeps: the long lists, read with one window only.
#[derive(serde::Serialize, serde::Deserialize, Default)]
#[serde(default)]
struct AtRisk {
    at_risk_services: Vec<String>,
    at_risk_customers: Vec<String>,
}

fn corrupt(what: &str, e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(format!("maintenance {what}: {e}"))
}

fn impact_from(text: &str) -> Result<WindowImpact> {
    let s: Stored = serde_json::from_str(text).map_err(|e| corrupt("impact", e))?;
    Ok(WindowImpact {
        down_services: s.down_services,
        affected_customers: s.affected_customers,
        at_risk_services_total: s.at_risk_services_total,
        at_risk_customers_total: s.at_risk_customers_total,
        ..WindowImpact::default()
    })
}

/// The two columns of `impact`.
fn impact_json(i: &WindowImpact) -> Result<(String, String)> {
    let stored = Stored {
        down_services: i.down_services.clone(),
        affected_customers: i.affected_customers.clone(),
        at_risk_services_total: i.at_risk_services_total,
        at_risk_customers_total: i.at_risk_customers_total,
    };
    let at_risk = AtRisk {
        at_risk_services: i.at_risk_services.clone(),
        at_risk_customers: i.at_risk_customers.clone(),
    };
    Ok((
        serde_json::to_string(&stored).map_err(|e| corrupt("impact", e))?,
        serde_json::to_string(&at_risk).map_err(|e| corrupt("at_risk", e))?,
    ))
}
use crate::{Result, StoreError};

macro_rules! maintenance_from {
    ($r:expr) => {
        Maintenance {
            id: $r.try_get(0)?,
            title: $r.try_get(1)?,
            body: $r.try_get(2)?,
            components: list_from(&$r.try_get::<String, _>(3)?, "maintenance components")?,
            starts_ms: $r.try_get(4)?,
            ends_ms: $r.try_get(5)?,
            created_by: $r.try_get(6)?,
            created_ms: $r.try_get(7)?,
            cancelled_ms: $r.try_get(8)?,
            sequence: $r.try_get(9)?,
            updated_ms: $r.try_get(10)?,
            targets: list_from(&$r.try_get::<String, _>(11)?, "maintenance targets")?,
            notify_ms: serde_json::from_str(&$r.try_get::<String, _>(12)?)
                .map_err(|e| StoreError::Corrupt(format!("maintenance notify: {e}")))?,
            impact: impact_from(&$r.try_get::<String, _>(13)?)?,
            drill: match (
                $r.try_get::<Option<i64>, _>(14)?,
                $r.try_get::<Option<i64>, _>(15)?,
            ) {
                (Some(d), Some(o)) => Some((d, o)),
                _ => None,
            },
        }
    };
}

/// The columns `maintenance_from!` reads, in its order.
macro_rules! maintenance_columns {
    () => {
        "id, title, body, components, starts_ms, ends_ms, created_by, created_ms, cancelled_ms, \
         sequence, updated_ms, targets, notify, impact, drill, occurrence_ms"
    };
}

macro_rules! maintenance_impl {
    ($store:ty, $db:ty) => {
        /// Queues a window's notices (outbox rows of no incident, kind
        /// `maintenance.ID.SUFFIX`, going out at their due time) in the caller's transaction.
        async fn queue_due(
            tx: &mut sqlx::Transaction<'static, $db>,
            id: i64,
            created_ms: i64,
            notices: &[DueNotice],
        ) -> Result<()> {
            let queued: Vec<Queued<'_>> = notices
                .iter()
                .map(|n| Queued {
                    incident_id: 0,
                    customer: &n.customer,
                    contact: &n.contact,
                    language: &n.language,
                    kind: maintenance_kind(id, &n.kind).into(),
                    payload: &n.payload,
                    next_ms: n.due_ms,
                    created_ms,
                })
                .collect();
            <$store>::queue(tx, &queued).await?;
            Ok(())
        }

        /// Drops the window's notices that are not due yet (reminders of times that changed).
        async fn drop_not_due(
            tx: &mut sqlx::Transaction<'static, $db>,
            id: i64,
            at_ms: i64,
        ) -> Result<()> {
            sqlx::query(
                "DELETE FROM outbox WHERE incident_id = 0 AND kind LIKE $1 \
                 AND state = 'queued' AND attempts = 0 AND next_ms > $2",
            )
            .bind(maintenance_kind(id, "%"))
            .bind(at_ms)
            .execute(&mut **tx)
            .await?;
            Ok(())
        }

        /// After a window changed (`changed`: the row was there and not cancelled): its
        /// notices not yet due give way to `notices`, and the transaction commits. Answers
        /// whether it changed; nothing is committed when it did not.
        async fn requeue(
            mut tx: sqlx::Transaction<'static, $db>,
            changed: bool,
            id: i64,
            at_ms: i64,
            notices: &[DueNotice],
        ) -> Result<bool> {
            if !changed {
                return Ok(false);
            }
            drop_not_due(&mut tx, id, at_ms).await?;
            queue_due(&mut tx, id, at_ms, notices).await?;
            tx.commit().await?;
            Ok(true)
        }

        impl MaintenanceStore for $store {
            async fn add_maintenance(&self, m: &Maintenance, notices: &[DueNotice]) -> Result<i64> {
                let (impact, at_risk) = impact_json(&m.impact)?;
                let mut tx = self.pool.begin().await?;
                let row = sqlx::query(
                    "INSERT INTO maintenances (title, body, components, starts_ms, ends_ms, created_by, created_ms, \
                     cancelled_ms, sequence, updated_ms, targets, notify, impact, drill, occurrence_ms, at_risk) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, 0, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
                )
                .bind(&m.title)
                .bind(&m.body)
                .bind(list_json(&m.components))
                .bind(m.starts_ms)
                .bind(m.ends_ms)
                .bind(&m.created_by)
                .bind(m.created_ms)
                .bind(list_json(&m.targets))
                .bind(serde_json::Value::from(m.notify_ms.clone()).to_string())
                .bind(&impact)
                .bind(m.drill.map(|(d, _)| d))
                .bind(m.drill.map(|(_, o)| o))
                .bind(&at_risk)
                .fetch_one(&mut *tx)
                .await?;
                let id: i64 = row.try_get(0)?;
                queue_due(&mut tx, id, m.created_ms, notices).await?;
                tx.commit().await?;
                Ok(id)
            }

            async fn maintenances(&self, from_ms: i64) -> Result<Vec<Maintenance>> {
                let rows = sqlx::query(concat!(
                    "SELECT ", maintenance_columns!(), " FROM maintenances WHERE ends_ms >= $1 ORDER BY starts_ms, id"
                ))
                .bind(from_ms)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|r| Ok(maintenance_from!(r))).collect()
            }

            async fn maintenance(&self, id: i64) -> Result<Option<Maintenance>> {
                let row = sqlx::query(concat!("SELECT ", maintenance_columns!(), ", at_risk FROM maintenances WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(r) = row else {
                    return Ok(None);
                };
                let mut m = maintenance_from!(r);
                let at_risk: AtRisk = serde_json::from_str(&r.try_get::<String, _>(16)?)
                    .map_err(|e| corrupt("at_risk", e))?;
                m.impact.at_risk_services = at_risk.at_risk_services;
                m.impact.at_risk_customers = at_risk.at_risk_customers;
                Ok(Some(m))
            }

            async fn cancel_maintenance(&self, id: i64, at_ms: i64, notices: &[DueNotice]) -> Result<bool> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE maintenances SET cancelled_ms = $2, updated_ms = $2, sequence = sequence + 1 \
                     WHERE id = $1 AND cancelled_ms IS NULL",
                )
                .bind(id)
                .bind(at_ms)
                .execute(&mut *tx)
                .await?;
                requeue(tx, done.rows_affected() > 0, id, at_ms, notices).await
            }

            async fn reschedule_maintenance(
                &self,
                id: i64,
                starts_ms: i64,
                ends_ms: i64,
                at_ms: i64,
                notices: &[DueNotice],
            ) -> Result<bool> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(
                    "UPDATE maintenances SET starts_ms = $2, ends_ms = $3, updated_ms = $4, \
                     sequence = sequence + 1 WHERE id = $1 AND cancelled_ms IS NULL",
                )
                .bind(id)
                .bind(starts_ms)
                .bind(ends_ms)
                .bind(at_ms)
                .execute(&mut *tx)
                .await?;
                requeue(tx, done.rows_affected() > 0, id, at_ms, notices).await
            }
        }
    };
}

mod sqlite {
    use super::*;
    maintenance_impl!(SqliteStore, sqlx::Sqlite);
}
mod postgres {
    use super::*;
    maintenance_impl!(PgStore, sqlx::Postgres);
}
