//! Rolling-upgrade plans and their actions in SQL: the same text for SQLite and PostgreSQL.
//! Lists are JSON text columns, read back in their order.

use sqlx::Row;

use crate::sql::{PgStore, SqliteStore};
use crate::upgrades::{PlannedStep, UpgradeAction, UpgradePlan, UpgradeStore};
use crate::{Result, StoreError};

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("upgrade plan: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> Result<T> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("upgrade_plans.{column}: {e}")))
}

macro_rules! plan_columns {
    () => {
        "id, title, members, checklist, steps, blocked, created_by, created_ms"
    };
}

macro_rules! plan_from {
    ($r:expr) => {{
        let members: String = $r.try_get(2)?;
        let checklist: String = $r.try_get(3)?;
        let steps: String = $r.try_get(4)?;
        UpgradePlan {
            id: $r.try_get(0)?,
            title: $r.try_get(1)?,
            members: from_json("members", &members)?,
            checklist: from_json("checklist", &checklist)?,
            steps: from_json::<Vec<PlannedStep>>("steps", &steps)?,
            blocked: $r.try_get(5)?,
            created_by: $r.try_get(6)?,
            created_ms: $r.try_get(7)?,
        }
    }};
}

macro_rules! upgrades_impl {
    ($store:ty) => {
        impl UpgradeStore for $store {
            async fn add_upgrade(&self, p: &UpgradePlan) -> Result<i64> {
                let row = sqlx::query(
                    "INSERT INTO upgrade_plans \
                     (title, members, checklist, steps, at_risk, blocked, created_by, created_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                )
                .bind(&p.title)
                .bind(to_json(&p.members)?)
                .bind(to_json(&p.checklist)?)
                .bind(to_json(&p.steps)?)
                .bind(to_json(&p.steps.iter().map(|s| &s.at_risk_services).collect::<Vec<_>>())?)
                .bind(p.blocked)
                .bind(&p.created_by)
                .bind(p.created_ms)
                .fetch_one(&self.pool)
                .await?;
                Ok(row.try_get(0)?)
            }

            async fn upgrades(&self, limit: i64) -> Result<Vec<UpgradePlan>> {
                let rows = sqlx::query(concat!(
                    "SELECT ",
                    plan_columns!(),
                    " FROM upgrade_plans ORDER BY id DESC LIMIT $1"
                ))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|r| Ok(plan_from!(r))).collect()
            }

            async fn upgrade(&self, id: i64) -> Result<Option<UpgradePlan>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    plan_columns!(),
                    ", at_risk FROM upgrade_plans WHERE id = $1"
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                let Some(r) = row else {
                    return Ok(None);
                };
                let mut plan = plan_from!(r);
                let at_risk: String = r.try_get(8)?;
                let lists: Vec<Vec<String>> = from_json("at_risk", &at_risk)?;
                for (step, list) in plan.steps.iter_mut().zip(lists) {
                    step.at_risk_services = list;
                }
                Ok(Some(plan))
            }

            async fn record_upgrade_action(&self, a: &UpgradeAction) -> Result<bool> {
                let done = sqlx::query(
                    "INSERT INTO upgrade_actions (plan_id, step, action, by_login, at_ms) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (plan_id, step, action) DO NOTHING",
                )
                .bind(a.plan_id)
                .bind(a.step)
                .bind(&a.action)
                .bind(&a.by)
                .bind(a.at_ms)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn upgrade_actions(&self, plan_id: i64) -> Result<Vec<UpgradeAction>> {
                let rows = sqlx::query(
                    "SELECT plan_id, step, action, by_login, at_ms FROM upgrade_actions \
                     WHERE plan_id = $1 ORDER BY id",
                )
                .bind(plan_id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(UpgradeAction {
                            plan_id: r.try_get(0)?,
                            step: r.try_get(1)?,
                            action: r.try_get(2)?,
                            by: r.try_get(3)?,
                            at_ms: r.try_get(4)?,
                        })
                    })
                    .collect()
            }
        }
    };
}

upgrades_impl!(SqliteStore);
upgrades_impl!(PgStore);
