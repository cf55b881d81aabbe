//! SLA accounting in SQL, the same statements on both backends. Every change of a credit's
//! state is one conditional `UPDATE … RETURNING`: the row lock (PostgreSQL) or the single
//! writer (SQLite) lets exactly one of several racing instances make it.

use sqlx::Row;

use crate::incidents::NewNotice;
use crate::sla::{
    Credit, CreditChange, NewCredit, Outage, SlaStore, CREDIT_APPROVED, CREDIT_ID_PLACEHOLDER,
    CREDIT_REJECTED,
};
use crate::sql::{alert_row, PgStore, SqliteStore};
use crate::sql_accounts::{list_from, list_json};
use crate::{AlertRow, Result};

/// The columns `outage_from!` reads, in order.
macro_rules! outage_columns {
    () => {
        "id, down, degraded, start_ms, end_ms, note, created_by, created_ms"
    };
}

macro_rules! outage_from {
    ($r:expr) => {
        Outage {
            id: $r.try_get(0)?,
            down: list_from(&$r.try_get::<String, _>(1)?, "outage down")?,
            degraded: list_from(&$r.try_get::<String, _>(2)?, "outage degraded")?,
            start_ms: $r.try_get(3)?,
            end_ms: $r.try_get(4)?,
            note: $r.try_get(5)?,
            created_by: $r.try_get(6)?,
            created_ms: $r.try_get(7)?,
        }
    };
}

/// The columns `credit_from!` reads, in order.
macro_rules! credit_columns {
    () => {
        "id, service, customer, month, percent, net_minor, vat_minor, gross_minor, currency, \
         vat_rate, reverse_charge, month_seconds, down_seconds, offers, default_offer, \
         needs_approval, deadline_ms, created_ms, status, choice, chosen_ms, reason, \
         decided_by, decided_ms"
    };
}

macro_rules! credit_from {
    ($r:expr) => {
        Credit {
            id: $r.try_get(0)?,
            credit: NewCredit {
                service: $r.try_get(1)?,
                customer: $r.try_get(2)?,
                month: $r.try_get(3)?,
                percent: $r.try_get(4)?,
                net_minor: $r.try_get(5)?,
                vat_minor: $r.try_get(6)?,
                gross_minor: $r.try_get(7)?,
                currency: $r.try_get(8)?,
                vat_rate: $r.try_get(9)?,
                reverse_charge: $r.try_get(10)?,
                month_seconds: $r.try_get(11)?,
                down_seconds: $r.try_get(12)?,
                offers: $r.try_get(13)?,
                default_offer: $r.try_get(14)?,
                needs_approval: $r.try_get(15)?,
                deadline_ms: $r.try_get(16)?,
                created_ms: $r.try_get(17)?,
            },
            status: $r.try_get(18)?,
            choice: $r.try_get(19)?,
            chosen_ms: $r.try_get(20)?,
            reason: $r.try_get(21)?,
            decided_by: $r.try_get(22)?,
            decided_ms: $r.try_get(23)?,
        }
    };
}

/// The columns `alert_row` reads, in order.
macro_rules! alert_columns {
    () => {
        "id, source, fingerprint, status, state, vertices, received_ms, body_key"
    };
}

/// A credit notice with the new credit's id in place of [`CREDIT_ID_PLACEHOLDER`].
fn with_credit_id(notice: &NewNotice, id: i64) -> NewNotice {
    let id = id.to_string();
    NewNotice {
        kind: notice.kind.replace(CREDIT_ID_PLACEHOLDER, &id),
        payload: notice.payload.replace(CREDIT_ID_PLACEHOLDER, &id),
        ..notice.clone()
    }
}

macro_rules! sla_impl {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Credit `id` read in `tx`.
            async fn credit_in(
                tx: &mut sqlx::Transaction<'static, $db>,
                id: i64,
            ) -> Result<Option<Credit>> {
                let row = sqlx::query(concat!("SELECT ", credit_columns!(), " FROM credits WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await?;
                Ok(match row {
                    Some(r) => Some(credit_from!(r)),
                    None => None,
                })
            }
        }

        impl SlaStore for $store {
            async fn add_outage(&self, o: &Outage) -> Result<i64> {
                let row = sqlx::query(
                    "INSERT INTO outages (down, degraded, start_ms, end_ms, note, created_by, created_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(list_json(&o.down))
                .bind(list_json(&o.degraded))
                .bind(o.start_ms)
                .bind(o.end_ms)
                .bind(&o.note)
                .bind(&o.created_by)
                .bind(o.created_ms)
                .fetch_one(&self.pool)
                .await?;
                Ok(row.try_get(0)?)
            }

            async fn outages_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<Outage>> {
                let rows = sqlx::query(concat!(
                    "SELECT ", outage_columns!(), " FROM outages WHERE start_ms < $2 AND end_ms > $1 ORDER BY id"
                ))
                .bind(from_ms)
                .bind(to_ms)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|r| Ok(outage_from!(r))).collect()
            }

            async fn recent_outages(&self, limit: i64) -> Result<Vec<Outage>> {
                let rows = sqlx::query(concat!(
                    "SELECT ", outage_columns!(), " FROM outages ORDER BY id DESC LIMIT $1"
                ))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|r| Ok(outage_from!(r))).collect()
            }

            async fn offer_credits(
                &self,
                credits: &[(NewCredit, Vec<NewNotice>)],
            ) -> Result<Vec<Option<i64>>> {
                // One order for every instance: two transactions offering overlapping sets
                // then wait on each other's keys in the same order, never in a cycle.
                let mut order: Vec<usize> = (0..credits.len()).collect();
                order.sort_by(|&a, &b| {
                    let (a, b) = (&credits[a].0, &credits[b].0);
                    (&a.service, &a.month).cmp(&(&b.service, &b.month))
                });
                let mut ids = vec![None; credits.len()];
                let mut notices = Vec::new();
                let mut tx = self.pool.begin().await?;
                for at in order {
                    let (c, its_notices) = &credits[at];
                    let row = sqlx::query(
                        "INSERT INTO credits (service, customer, month, percent, net_minor, vat_minor, \
                         gross_minor, currency, vat_rate, reverse_charge, month_seconds, down_seconds, \
                         offers, default_offer, needs_approval, deadline_ms, created_ms, status) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'offered') \
                         ON CONFLICT (service, month) DO NOTHING RETURNING id",
                    )
                    .bind(&c.service)
                    .bind(&c.customer)
                    .bind(&c.month)
                    .bind(&c.percent)
                    .bind(c.net_minor)
                    .bind(c.vat_minor)
                    .bind(c.gross_minor)
                    .bind(&c.currency)
                    .bind(&c.vat_rate)
                    .bind(c.reverse_charge)
                    .bind(c.month_seconds)
                    .bind(c.down_seconds)
                    .bind(&c.offers)
                    .bind(&c.default_offer)
                    .bind(c.needs_approval)
                    .bind(c.deadline_ms)
                    .bind(c.created_ms)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(row) = row {
                        let id: i64 = row.try_get(0)?;
                        ids[at] = Some(id);
                        notices.extend(its_notices.iter().map(|n| with_credit_id(n, id)));
                    }
                }
                Self::write_records(&mut tx, &[], &notices).await?;
                tx.commit().await?;
                Ok(ids)
            }

            async fn credit(&self, id: i64) -> Result<Option<Credit>> {
                let mut tx = self.pool.begin().await?;
                let credit = Self::credit_in(&mut tx, id).await?;
                tx.commit().await?;
                Ok(credit)
            }

            async fn credits(
                &self,
                customer: Option<&str>,
                status: Option<&str>,
                month: Option<&str>,
            ) -> Result<Vec<Credit>> {
                let rows = sqlx::query(concat!(
                    "SELECT ", credit_columns!(), " FROM credits \
                     WHERE ($1 IS NULL OR customer = $1) AND ($2 IS NULL OR status = $2) \
                     AND ($3 IS NULL OR month = $3) ORDER BY id"
                ))
                .bind(customer)
                .bind(status)
                .bind(month)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|r| Ok(credit_from!(r))).collect()
            }

            async fn choose_credit(
                &self,
                id: i64,
                customer: &str,
                offer: &str,
                at_ms: i64,
            ) -> Result<CreditChange> {
                let mut tx = self.pool.begin().await?;
                let row = sqlx::query(concat!(
                    "UPDATE credits SET choice = $3, chosen_ms = $4, \
                     status = CASE WHEN needs_approval THEN 'chosen' ELSE 'approved' END, \
                     decided_by = CASE WHEN needs_approval THEN NULL ELSE 'auto' END, \
                     decided_ms = CASE WHEN needs_approval THEN NULL ELSE $4 END \
                     WHERE id = $1 AND customer = $2 AND status IN ('offered', 'chosen') \
                     AND deadline_ms > $4 RETURNING ", credit_columns!()
                ))
                .bind(id)
                .bind(customer)
                .bind(offer)
                .bind(at_ms)
                .fetch_optional(&mut *tx)
                .await?;
                let change = match row {
                    Some(r) => CreditChange::Done(credit_from!(r)),
                    None => match Self::credit_in(&mut tx, id).await? {
                        Some(c) if c.credit.customer == customer => CreditChange::Conflict(c),
                        // Another customer's credit is not shown to exist.
                        _ => CreditChange::NotFound,
                    },
                };
                tx.commit().await?;
                Ok(change)
            }

            async fn decide_credit(
                &self,
                id: i64,
                approve: bool,
                reason: &str,
                by: &str,
                at_ms: i64,
            ) -> Result<CreditChange> {
                let status = if approve { CREDIT_APPROVED } else { CREDIT_REJECTED };
                let mut tx = self.pool.begin().await?;
                let row = sqlx::query(concat!(
                    "UPDATE credits SET status = $2, reason = $3, decided_by = $4, decided_ms = $5 \
                     WHERE id = $1 AND status IN ('chosen', 'expired') RETURNING ", credit_columns!()
                ))
                .bind(id)
                .bind(status)
                .bind(reason)
                .bind(by)
                .bind(at_ms)
                .fetch_optional(&mut *tx)
                .await?;
                let change = match row {
                    Some(r) => CreditChange::Done(credit_from!(r)),
                    None => match Self::credit_in(&mut tx, id).await? {
                        Some(c) => CreditChange::Conflict(c),
                        None => CreditChange::NotFound,
                    },
                };
                tx.commit().await?;
                Ok(change)
            }

            async fn revise_credit(&self, id: i64, c: &NewCredit) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE credits SET percent = $2, net_minor = $3, vat_minor = $4, gross_minor = $5, \
                     vat_rate = $6, reverse_charge = $7, down_seconds = $8, offers = $9, \
                     default_offer = $10, needs_approval = $11 \
                     WHERE id = $1 AND status = 'offered'",
                )
                .bind(id)
                .bind(&c.percent)
                .bind(c.net_minor)
                .bind(c.vat_minor)
                .bind(c.gross_minor)
                .bind(&c.vat_rate)
                .bind(c.reverse_charge)
                .bind(c.down_seconds)
                .bind(&c.offers)
                .bind(&c.default_offer)
                .bind(c.needs_approval)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn expire_credits(&self, at_ms: i64) -> Result<Vec<Credit>> {
                let rows = sqlx::query(concat!(
                    "UPDATE credits SET status = 'expired', choice = default_offer \
                     WHERE status = 'offered' AND deadline_ms <= $1 RETURNING ", credit_columns!()
                ))
                .bind(at_ms)
                .fetch_all(&self.pool)
                .await?;
                let mut expired: Vec<Credit> = rows.iter().map(|r| Ok(credit_from!(r))).collect::<Result<_>>()?;
                expired.sort_by_key(|c| c.id);
                Ok(expired)
            }

            async fn alerts_latest_before(&self, before_ms: i64) -> Result<Vec<AlertRow>> {
                let rows = sqlx::query(concat!(
                    "SELECT ", alert_columns!(), " FROM alerts WHERE id IN \
                     (SELECT MAX(id) FROM alerts WHERE received_ms < $1 GROUP BY source, fingerprint) \
                     ORDER BY id"
                ))
                .bind(before_ms)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(alert_row).collect()
            }

            async fn alerts_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<AlertRow>> {
                let rows = sqlx::query(concat!(
                    "SELECT ", alert_columns!(), " FROM alerts \
                     WHERE received_ms >= $1 AND received_ms < $2 ORDER BY id"
                ))
                .bind(from_ms)
                .bind(to_ms)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(alert_row).collect()
            }
        }
    };
}

sla_impl!(SqliteStore, sqlx::Sqlite);
sla_impl!(PgStore, sqlx::Postgres);
