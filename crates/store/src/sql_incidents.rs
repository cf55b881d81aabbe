//! Incidents and the outbox in SQL, one macro for both backends; the claim query differs
//! (PostgreSQL skips rows other instances hold with `FOR UPDATE SKIP LOCKED`).

use sqlx::Row;

use crate::incidents::{
    Delivery, IncidentChange, IncidentHead, IncidentRow, IncidentServiceRow, IncidentStore,
    IncidentUpdate, NewBroadcast, NewNotice, OutboxCounts, OutboxRow, SentNotice, BROADCAST_KIND,
};
use crate::sql::{PgStore, SqliteStore};
use crate::sql_changes::{announced_downs, in_key_order, push_ids, run_of, ROWS_PER_STATEMENT};
use crate::sql_outbox::{payload_column, Queued};
use crate::sql_services::{services_from_json, PG_SERVICES, SQLITE_SERVICES};
use crate::{Result, StoreError};

fn roots_json(roots: &[String]) -> String {
    serde_json::Value::from(roots.to_vec()).to_string()
}

pub(crate) fn roots_from(text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("incident roots: {e}")))
}

fn notice_from<R: Row>(r: &R) -> Result<OutboxRow>
where
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(OutboxRow {
        id: r.try_get(0)?,
        notice: NewNotice {
            incident_id: r.try_get(1)?,
            customer: r.try_get(2)?,
            contact: r.try_get(3)?,
            language: r.try_get(4)?,
            kind: r.try_get(5)?,
            payload: r.try_get(6)?,
            created_ms: r.try_get(7)?,
        },
        attempts: r.try_get(8)?,
    })
}

/// A sent notice from `id, incident_id, contact, kind, language, sent_ms, message_key`.
fn sent_from<R: Row>(r: &R) -> Result<SentNotice>
where
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let id: i64 = r.try_get(0)?;
    let sent_ms: Option<i64> = r.try_get(5)?;
    Ok(SentNotice {
        id,
        incident_id: r.try_get(1)?,
        contact: r.try_get(2)?,
        kind: r.try_get(3)?,
        language: r.try_get(4)?,
        sent_ms: sent_ms
            .ok_or_else(|| StoreError::Corrupt(format!("outbox row {id}: sent without a time")))?,
        message_key: r.try_get(6)?,
    })
}

macro_rules! incident_impl {
    ($store:ty, $db:ty, $claim:expr, $claimer:expr, $services:expr) => {
        impl $store {
            async fn claim(&self, now_ms: i64, limit: i64, lease_ms: i64, broadcasts: bool) -> Result<Vec<OutboxRow>> {
                let claimer: fn(&$store) -> Option<i64> = $claimer;
                let turn = self.writes.take().await;
                let rows = sqlx::query($claim)
                    .bind(now_ms)
                    .bind(limit)
                    .bind(now_ms + lease_ms)
                    .bind(broadcasts)
                    .bind(claimer(self))
                    .fetch_all(&self.pool)
                    .await?;
                drop(turn);
                let mut out: Vec<OutboxRow> = rows.iter().map(notice_from).collect::<Result<_>>()?;
                out.sort_by_key(|r| r.id);
                // What the notices say: kept since this process queued them, else read.
                let missing = self.payloads.fill(&mut out);
                for ids in missing.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::<$db>::new("SELECT id, payload FROM outbox_payloads WHERE id IN (");
                    push_ids(&mut q, ids);
                    q.push(")");
                    for r in q.build().fetch_all(&self.pool).await? {
                        let id: i64 = r.try_get(0)?;
                        if let Ok(at) = out.binary_search_by_key(&id, |o| o.id) {
                            out[at].notice.payload = r.try_get(1)?;
                        }
                    }
                }
                Ok(out)
            }

            /// Writes incident changes, in order, and queues `notices` in `tx`. Answers the
            /// outbox row of each notice queued, with its place in `notices`.
            pub(crate) async fn write_records(
                tx: &mut sqlx::Transaction<'static, $db>,
                changes: &[IncidentChange],
                notices: &[NewNotice],
            ) -> Result<Vec<(i64, usize)>> {
                // Runs of service changes (a fan-out makes thousands) go in multi-row
                // statements: one round trip each to PostgreSQL instead of one a row.
                let folded = announced_downs(changes);
                let all = changes;
                let mut changes: Vec<&IncidentChange> = changes
                    .iter()
                    .filter(|c| !matches!(c, IncidentChange::Announce { id, service, .. } if folded.contains(&(*id, &**service))))
                    .collect();
                in_key_order(&mut changes);
                let mut at = 0;
                while at < changes.len() {
                    let run = run_of(&changes[at..]);
                    if run > 0 {
                        Self::write_run(tx, &changes[at..at + run], &folded).await?;
                        at += run;
                        continue;
                    }
                    match changes[at] {
                        IncidentChange::Open { id, title, roots, at_ms } => {
                            sqlx::query("INSERT INTO incidents (id, status, title, roots, opened_ms) VALUES ($1, 'investigating', $2, $3, $4)")
                                .bind(id).bind(title).bind(roots_json(roots)).bind(at_ms)
                                .execute(&mut **tx).await?;
                        }
                        IncidentChange::Roots { id, roots } => {
                            sqlx::query("UPDATE incidents SET roots = $2 WHERE id = $1")
                                .bind(id).bind(roots_json(roots))
                                .execute(&mut **tx).await?;
                        }
                        IncidentChange::ServiceUp { id, service, down_total_ms } => {
                            sqlx::query("UPDATE incident_services SET down_since_ms = NULL, down_total_ms = $3 WHERE incident_id = $1 AND service = $2")
                                .bind(id).bind(service).bind(down_total_ms)
                                .execute(&mut **tx).await?;
                        }
                        IncidentChange::Resolve { id, at_ms } => {
                            sqlx::query("UPDATE incidents SET status = 'resolved', resolved_ms = $2 WHERE id = $1")
                                .bind(id).bind(at_ms)
                                .execute(&mut **tx).await?;
                        }
                        IncidentChange::ServiceDown { .. } | IncidentChange::Announce { .. } => {}
                    }
                    at += 1;
                }
                Self::bump_revisions(tx, all).await?;
                let queued: Vec<Queued<'_>> = notices
                    .iter()
                    .map(|n| Queued {
                        incident_id: n.incident_id,
                        customer: &n.customer,
                        contact: &n.contact,
                        language: &n.language,
                        kind: n.kind.as_str().into(),
                        payload: &n.payload,
                        next_ms: n.created_ms,
                        created_ms: n.created_ms,
                    })
                    .collect();
                Self::queue(tx, &queued).await
            }

            /// Writes a run of `ServiceDown` or of `Announce` changes (see [`run_of`]).
            async fn write_run(
                tx: &mut sqlx::Transaction<'static, $db>,
                run: &[&IncidentChange],
                folded: &hashbrown::HashSet<(i64, &str)>,
            ) -> Result<()> {
                if matches!(run.first(), Some(IncidentChange::Announce { .. })) {
                    let mut q = sqlx::QueryBuilder::<$db>::new("UPDATE incident_services SET announced = ");
                    q.push_bind(true);
                    q.push(" WHERE (incident_id, service) IN (");
                    q.push_values(run, |mut row, c| {
                        if let IncidentChange::Announce { id, service, .. } = c {
                            row.push_bind(*id).push_bind(std::sync::Arc::clone(service));
                        }
                    });
                    q.push(")");
                    q.build().execute(&mut **tx).await?;
                    return Ok(());
                }
                Self::insert_downs(tx, run, folded).await?;
                // The run's customers, once each (a customer's services mostly come together).
                let mut customers: Vec<(i64, &str)> = Vec::new();
                for c in run {
                    if let IncidentChange::ServiceDown { id, customer: Some(customer), .. } = c {
                        if customers.last() != Some(&(*id, &**customer)) {
                            customers.push((*id, &**customer));
                        }
                    }
                }
                customers.sort_unstable();
                customers.dedup();
                if !customers.is_empty() {
                    let mut q = sqlx::QueryBuilder::<$db>::new("INSERT INTO incident_customers (incident_id, customer) ");
                    q.push_values(&customers, |mut row, (id, customer)| {
                        row.push_bind(*id).push_bind(*customer);
                    });
                    q.push(" ON CONFLICT DO NOTHING");
                    q.build().execute(&mut **tx).await?;
                }
                Ok(())
            }

            async fn services_of(&self, id: i64) -> Result<Vec<IncidentServiceRow>> {
                let json: String = sqlx::query_scalar($services).bind(id).fetch_one(&self.pool).await?;
                services_from_json(id, &json)
            }

            async fn incidents_where(&self, sql: &'static str, arg: i64) -> Result<Vec<IncidentRow>> {
                let rows = sqlx::query(sql).bind(arg).fetch_all(&self.pool).await?;
                self.incident_rows(&rows).await
            }

            async fn incident_rows<R: Row>(&self, rows: &[R]) -> Result<Vec<IncidentRow>>
            where
                for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
                for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
                for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
                usize: sqlx::ColumnIndex<R>,
            {
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let id: i64 = r.try_get(0)?;
                    let roots: String = r.try_get(3)?;
                    out.push(IncidentRow {
                        id,
                        status: r.try_get(1)?,
                        title: r.try_get(2)?,
                        roots: roots_from(&roots)?,
                        opened_ms: r.try_get(4)?,
                        resolved_ms: r.try_get(5)?,
                        services: self.services_of(id).await?,
                    });
                }
                Ok(out)
            }
        }

        impl IncidentStore for $store {
            async fn last_incident_id(&self) -> Result<i64> {
                let row = sqlx::query("SELECT COALESCE(MAX(id), 0) FROM incidents")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(row.try_get::<i64, _>(0)?)
            }

            async fn record(&self, changes: &[IncidentChange], notices: &[NewNotice]) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                Self::write_records(&mut tx, changes, notices).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn open_incidents(&self) -> Result<Vec<IncidentRow>> {
                // Two queries however many are open (the status renderer asks every 2 s).
                let mut tx = self.pool.begin().await?;
                let (open, _) = Self::read_open_incidents(&mut tx).await?;
                tx.commit().await?;
                Ok(open)
            }

            async fn incidents(&self, limit: i64) -> Result<Vec<IncidentRow>> {
                self.incidents_where(
                    "SELECT id, status, title, roots, opened_ms, resolved_ms FROM incidents ORDER BY id DESC LIMIT $1",
                    limit,
                )
                .await
            }

            async fn incident(&self, id: i64) -> Result<Option<IncidentRow>> {
                Ok(self
                    .incidents_where(
                        "SELECT id, status, title, roots, opened_ms, resolved_ms FROM incidents WHERE id = $1",
                        id,
                    )
                    .await?
                    .pop())
            }

            async fn incident_heads(&self, limit: i64) -> Result<Vec<IncidentHead>> {
                self.heads(limit).await
            }

            async fn incident_services(&self, id: i64) -> Result<Vec<IncidentServiceRow>> {
                self.services_of(id).await
            }

            async fn customer_incidents(&self, customer: &str, limit: i64) -> Result<Vec<IncidentRow>> {
                let rows = sqlx::query(
                    "SELECT id, status, title, roots, opened_ms, resolved_ms FROM incidents \
                     WHERE id IN (SELECT incident_id FROM incident_customers WHERE customer = $1) \
                     ORDER BY id DESC LIMIT $2",
                )
                .bind(customer)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                self.incident_rows(&rows).await
            }

            async fn add_update(&self, id: i64, status: &str, body: &str, public: bool, author: &str, at_ms: i64) -> Result<i64> {
                let mut tx = self.pool.begin().await?;
                let row = sqlx::query("INSERT INTO incident_updates (incident_id, status, body, public, at_ms, author) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                    .bind(id).bind(status).bind(body).bind(public).bind(at_ms).bind(author)
                    .fetch_one(&mut *tx).await?;
                if public {
                    sqlx::query("UPDATE incidents SET status = $2 WHERE id = $1 AND resolved_ms IS NULL")
                        .bind(id).bind(status)
                        .execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(row.try_get::<i64, _>(0)?)
            }

            async fn updates(&self, id: i64) -> Result<Vec<IncidentUpdate>> {
                let rows = sqlx::query("SELECT id, status, body, public, at_ms, author FROM incident_updates WHERE incident_id = $1 ORDER BY id")
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|r| {
                        Ok(IncidentUpdate {
                            id: r.try_get(0)?,
                            status: r.try_get(1)?,
                            body: r.try_get(2)?,
                            public: r.try_get(3)?,
                            at_ms: r.try_get(4)?,
                            author: r.try_get(5)?,
                        })
                    })
                    .collect()
            }

            async fn claim_notices(&self, now_ms: i64, limit: i64, lease_ms: i64) -> Result<Vec<OutboxRow>> {
                self.claim(now_ms, limit, lease_ms, false).await
            }

            async fn claim_broadcasts(&self, now_ms: i64, limit: i64, lease_ms: i64) -> Result<Vec<OutboxRow>> {
                self.claim(now_ms, limit, lease_ms, true).await
            }

            async fn broadcast(&self, b: &NewBroadcast, notices: &[NewNotice]) -> Result<(i64, u64)> {
                let mut tx = self.pool.begin().await?;
                let row = sqlx::query("INSERT INTO broadcasts (incident_id, subject, body, created_ms, recipients) VALUES ($1, $2, $3, $4, 0) RETURNING id")
                    .bind(b.incident_id).bind(&b.subject).bind(&b.body).bind(b.created_ms)
                    .fetch_one(&mut *tx).await?;
                let id: i64 = row.try_get(0)?;
                let kind = format!("{BROADCAST_KIND}{id}");
                let queued: Vec<Queued<'_>> = notices
                    .iter()
                    .map(|n| Queued {
                        incident_id: b.incident_id.unwrap_or(0),
                        customer: &n.customer,
                        contact: &n.contact,
                        language: &n.language,
                        kind: kind.as_str().into(),
                        payload: &n.payload,
                        next_ms: b.created_ms,
                        created_ms: b.created_ms,
                    })
                    .collect();
                let queued = Self::queue(&mut tx, &queued).await?.len() as u64;
                sqlx::query("UPDATE broadcasts SET recipients = $2 WHERE id = $1")
                    .bind(id).bind(i64::try_from(queued).unwrap_or(i64::MAX))
                    .execute(&mut *tx).await?;
                tx.commit().await?;
                Ok((id, queued))
            }

            async fn finish_notices(&self, results: &[(i64, Delivery)], now_ms: i64) -> Result<()> {
                let _turn = self.writes.take().await;
                let mut tx = self.pool.begin().await?;
                // The sent, nearly all of a batch, in a statement per thousand rather than one
                // each: a statement's round trip to the database costs more than its update.
                let sent: Vec<(i64, Option<&str>)> = results
                    .iter()
                    .filter_map(|(id, d)| match d {
                        Delivery::Sent { message_key } => Some((*id, message_key.as_deref())),
                        _ => None,
                    })
                    .collect();
                for chunk in sent.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "UPDATE outbox SET state = 'sent', lease_ms = NULL, last_error = NULL, sent_ms = ",
                    );
                    q.push_bind(now_ms);
                    q.push(", message_key = ");
                    if chunk.iter().any(|(_, k)| k.is_some()) {
                        q.push("CASE id");
                        for (id, key) in chunk {
                            if let Some(key) = key {
                                q.push(" WHEN ").push_bind(*id).push(" THEN ").push_bind(*key);
                            }
                        }
                        q.push(" END");
                    } else {
                        q.push("NULL");
                    }
                    q.push(" WHERE id IN (");
                    let mut ids = q.separated(", ");
                    for (id, _) in chunk {
                        ids.push_bind(*id);
                    }
                    q.push(")");
                    q.build().execute(&mut *tx).await?;
                }
                for (id, d) in results {
                    match d {
                        Delivery::Sent { .. } => {}
                        Delivery::Retry { next_ms, error } => {
                            sqlx::query("UPDATE outbox SET state = 'queued', next_ms = $2, lease_ms = NULL, last_error = $3 WHERE id = $1")
                                .bind(id).bind(next_ms).bind(error)
                                .execute(&mut *tx).await?;
                        }
                        Delivery::Failed { error } => {
                            sqlx::query("UPDATE outbox SET state = 'failed', lease_ms = NULL, last_error = $2 WHERE id = $1")
                                .bind(id).bind(error)
                                .execute(&mut *tx).await?;
                        }
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            async fn renew_claims(&self, ids: &[i64], held_ms: i64, lease_ms: i64) -> Result<u64> {
                let _turn = self.writes.take().await;
                let mut renewed = 0;
                for chunk in ids.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::<$db>::new("UPDATE outbox SET lease_ms = ");
                    q.push_bind(lease_ms);
                    q.push(" WHERE state = 'sending' AND lease_ms = ");
                    q.push_bind(held_ms);
                    q.push(" AND id IN (");
                    push_ids(&mut q, chunk);
                    q.push(")");
                    renewed += q.build().execute(&self.pool).await?.rows_affected();
                }
                Ok(renewed)
            }

            async fn release_claims(&self) -> Result<u64> {
                let done = sqlx::query("UPDATE outbox SET state = 'queued', lease_ms = NULL WHERE state = 'sending'")
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn outbox_counts(&self) -> Result<OutboxCounts> {
                // Counted from the (state, next_ms) index alone, with only the queued rows read
                // for their attempts: staff and benchmarks ask this often during a fan-out.
                let rows = sqlx::query(
                    "SELECT state, COUNT(*), \
                       (SELECT COUNT(*) FROM outbox WHERE state = 'queued' AND attempts > 0) \
                     FROM outbox GROUP BY state",
                )
                .fetch_all(&self.pool)
                .await?;
                let mut c = OutboxCounts::default();
                for r in &rows {
                    let state: String = r.try_get(0)?;
                    let n: i64 = r.try_get(1)?;
                    match state.as_str() {
                        "queued" => {
                            c.queued += n;
                            c.retrying += r.try_get::<i64, _>(2)?;
                        }
                        "sending" => c.sending += n,
                        "sent" => c.sent += n,
                        _ => c.failed += n,
                    }
                }
                Ok(c)
            }

            async fn notices(&self, limit: i64) -> Result<Vec<(OutboxRow, String, Option<String>)>> {
                let rows = sqlx::query(
                    concat!(
                        "SELECT id, incident_id, customer, contact, language, kind, ",
                        payload_column!(),
                        ", created_ms, attempts, state, last_error FROM outbox ORDER BY id DESC LIMIT $1"
                    ),
                )
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| Ok((notice_from(r)?, r.try_get(9)?, r.try_get(10)?)))
                    .collect()
            }

            async fn customer_notices(
                &self,
                customer: &str,
                from_ms: i64,
                to_ms: i64,
                limit: i64,
            ) -> Result<Vec<SentNotice>> {
                let rows = sqlx::query(
                    "SELECT id, incident_id, contact, kind, language, sent_ms, message_key FROM outbox \
                     WHERE customer = $1 AND state = 'sent' AND kind NOT LIKE 'webhook.%' \
                       AND sent_ms >= $2 AND sent_ms < $3 \
                     ORDER BY sent_ms, id LIMIT $4",
                )
                .bind(customer)
                .bind(from_ms)
                .bind(to_ms)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(sent_from).collect()
            }

            async fn customer_notice(&self, customer: &str, id: i64) -> Result<Option<SentNotice>> {
                let row = sqlx::query(
                    "SELECT id, incident_id, contact, kind, language, sent_ms, message_key FROM outbox \
                     WHERE id = $1 AND customer = $2 AND state = 'sent' AND kind NOT LIKE 'webhook.%'",
                )
                .bind(id)
                .bind(customer)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(sent_from).transpose()
            }
        }
    };
}

/// SQLite's claim. Both backends claim expired leases first, then queued rows in the order
/// they fell due, each part read in the order of the `outbox_due` index: one condition with
/// OR, or `attempts` in the index before the row id, made them sort every queued row at each
/// claim, which a fan-out of thousands paid for once per batch.
pub(crate) const SQLITE_CLAIM: &str = "UPDATE outbox SET state = 'sending', attempts = attempts + 1, lease_ms = $3, claimed_by = $5 \
     WHERE id IN (SELECT id FROM (SELECT id FROM outbox \
                                  WHERE state = 'sending' AND lease_ms <= $1 AND (kind LIKE 'broadcast.%') = $4 \
                                  ORDER BY id LIMIT $2) \
                  UNION ALL \
                  SELECT id FROM (SELECT id FROM outbox \
                                  WHERE state = 'queued' AND next_ms <= $1 AND (kind LIKE 'broadcast.%') = $4 \
                                  ORDER BY next_ms, id LIMIT $2) \
                  LIMIT $2) \
     RETURNING id, incident_id, customer, contact, language, kind, '', created_ms, attempts";
incident_impl!(
    SqliteStore,
    sqlx::Sqlite,
    SQLITE_CLAIM,
    |_| None,
    SQLITE_SERVICES
);
incident_impl!(
    PgStore,
    sqlx::Postgres,
    "UPDATE outbox SET state = 'sending', attempts = attempts + 1, lease_ms = $3, claimed_by = $5 \
     WHERE id IN (SELECT id FROM (SELECT id FROM outbox \
                                  WHERE state = 'sending' AND lease_ms <= $1 AND (kind LIKE 'broadcast.%') = $4 \
                                  ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED) expired \
                  UNION ALL \
                  SELECT id FROM (SELECT id FROM outbox \
                                  WHERE state = 'queued' AND next_ms <= $1 AND (kind LIKE 'broadcast.%') = $4 \
                                  ORDER BY next_ms, id LIMIT $2 FOR UPDATE SKIP LOCKED) due \
                  LIMIT $2) \
     RETURNING id, incident_id, customer, contact, language, kind, '', created_ms, attempts",
    |s| Some(s.instance),
    PG_SERVICES
);
