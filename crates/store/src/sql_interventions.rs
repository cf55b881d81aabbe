//! Interventions and sealed envelopes in SQL, the same statements on both backends. An
//! intervention is written in its ticket's transaction, behind the ticket's version check.

use sqlx::Row;

use crate::incidents::NewNotice;
use crate::interventions::{Envelope, EnvelopeOpening, Intervention, InterventionStore};
use crate::sql::{PgStore, SqliteStore};
use crate::tickets::{Saved, Ticket, TicketEvent};
use crate::{AnyStore, Result};

macro_rules! intervention_columns {
    () => {
        "ticket, server, action, complexity, scope, expires_ms, backups_confirmed, \
         interruption_accepted, authorised_by, authorised_ms, revoked_by, revoked_ms, seal_ref, \
         credentials, purged_ms, new_credentials, new_credentials_ms, new_credentials_read_ms, \
         summary"
    };
}

/// An intervention from a row of [`intervention_columns`], in their order.
fn intervention_from<R: Row>(r: &R) -> Result<Intervention>
where
    usize: sqlx::ColumnIndex<R>,
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> bool: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<Vec<u8>>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Intervention {
        ticket: r.try_get(0)?,
        server: r.try_get(1)?,
        action: r.try_get(2)?,
        complexity: r.try_get(3)?,
        scope: r.try_get(4)?,
        expires_ms: r.try_get(5)?,
        backups_confirmed: r.try_get(6)?,
        interruption_accepted: r.try_get(7)?,
        authorised_by: r.try_get(8)?,
        authorised_ms: r.try_get(9)?,
        revoked_by: r.try_get(10)?,
        revoked_ms: r.try_get(11)?,
        seal_ref: r.try_get(12)?,
        credentials: r.try_get(13)?,
        purged_ms: r.try_get(14)?,
        new_credentials: r.try_get(15)?,
        new_credentials_ms: r.try_get(16)?,
        new_credentials_read_ms: r.try_get(17)?,
        summary: r.try_get(18)?,
    })
}

macro_rules! interventions_impl {
    ($store:ty, $db:ty) => {
        impl InterventionStore for $store {
            async fn save_intervention(
                &self,
                ticket: &Ticket,
                i: &Intervention,
                events: &[TicketEvent],
                notices: &[NewNotice],
            ) -> Result<Saved> {
                let mut tx = self.pool.begin().await?;
                let (id, events) = match Self::write_change(&mut tx, ticket, events, notices).await? {
                    Ok(written) => written,
                    Err(ended) => return Ok(ended),
                };
                sqlx::query(concat!(
                    "INSERT INTO interventions (", intervention_columns!(), ") VALUES ($1, $2, $3, \
                     $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) \
                     ON CONFLICT (ticket) DO UPDATE SET server = $2, action = $3, complexity = $4, \
                     scope = $5, expires_ms = $6, backups_confirmed = $7, interruption_accepted = $8, \
                     authorised_by = $9, authorised_ms = $10, revoked_by = $11, revoked_ms = $12, \
                     seal_ref = $13, credentials = $14, purged_ms = $15, new_credentials = $16, \
                     new_credentials_ms = $17, new_credentials_read_ms = $18, summary = $19"
                ))
                .bind(id)
                .bind(&i.server)
                .bind(&i.action)
                .bind(&i.complexity)
                .bind(&i.scope)
                .bind(i.expires_ms)
                .bind(i.backups_confirmed)
                .bind(i.interruption_accepted)
                .bind(&i.authorised_by)
                .bind(i.authorised_ms)
                .bind(&i.revoked_by)
                .bind(i.revoked_ms)
                .bind(&i.seal_ref)
                .bind(&i.credentials)
                .bind(i.purged_ms)
                .bind(&i.new_credentials)
                .bind(i.new_credentials_ms)
                .bind(i.new_credentials_read_ms)
                .bind(&i.summary)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Saved::Done { ticket: id, events })
            }

            async fn intervention(&self, id: i64) -> Result<Option<Intervention>> {
                let row = sqlx::query(concat!(
                    "SELECT ", intervention_columns!(), " FROM interventions WHERE ticket = $1"
                ))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                row.as_ref().map(|r| intervention_from(r)).transpose()
            }

            async fn interventions_of(&self, ids: &[i64]) -> Result<Vec<Intervention>> {
                let mut out = Vec::new();
                for chunk in ids.chunks(crate::sql_changes::ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(concat!(
                        "SELECT ", intervention_columns!(), " FROM interventions WHERE ticket IN ("
                    ));
                    crate::sql_changes::push_ids(&mut q, chunk);
                    q.push(") ORDER BY ticket");
                    for r in q.build().fetch_all(&self.pool).await? {
                        out.push(intervention_from(&r)?);
                    }
                }
                Ok(out)
            }

            async fn interventions_expired(&self, at_ms: i64, limit: i64) -> Result<Vec<i64>> {
                let rows = sqlx::query(
                    "SELECT ticket FROM interventions WHERE credentials IS NOT NULL \
                     AND expires_ms <= $1 ORDER BY expires_ms, ticket LIMIT $2",
                )
                .bind(at_ms)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
            }

            async fn seal_envelope(&self, e: &Envelope) -> Result<Option<i64>> {
                let row = if e.id == 0 {
                    sqlx::query(
                        "INSERT INTO envelopes (name, seal_ref, secret, sealed_by, sealed_ms) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING RETURNING id",
                    )
                    .bind(&e.name)
                    .bind(&e.seal_ref)
                    .bind(&e.secret)
                    .bind(&e.sealed_by)
                    .bind(e.sealed_ms)
                    .fetch_optional(&self.pool)
                    .await?
                } else {
                    sqlx::query(
                        "UPDATE envelopes SET seal_ref = $1, secret = $2, sealed_by = $3, \
                         sealed_ms = $4 WHERE id = $5 RETURNING id",
                    )
                    .bind(&e.seal_ref)
                    .bind(&e.secret)
                    .bind(&e.sealed_by)
                    .bind(e.sealed_ms)
                    .bind(e.id)
                    .fetch_optional(&self.pool)
                    .await?
                };
                Ok(match row {
                    Some(r) => Some(r.try_get(0)?),
                    None => None,
                })
            }

            async fn open_envelope(
                &self,
                o: &EnvelopeOpening,
                notices: &[NewNotice],
            ) -> Result<Option<Envelope>> {
                let mut tx = self.pool.begin().await?;
                let row = sqlx::query(
                    "SELECT id, name, seal_ref, secret, sealed_by, sealed_ms FROM envelopes \
                     WHERE id = $1",
                )
                .bind(o.envelope)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(r) = row else { return Ok(None) };
                let envelope = Envelope {
                    id: r.try_get(0)?,
                    name: r.try_get(1)?,
                    seal_ref: r.try_get(2)?,
                    secret: r.try_get(3)?,
                    sealed_by: r.try_get(4)?,
                    sealed_ms: r.try_get(5)?,
                };
                sqlx::query(
                    "INSERT INTO envelope_openings (envelope, opened_by, reason, at_ms) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(o.envelope)
                .bind(&o.opened_by)
                .bind(&o.reason)
                .bind(o.at_ms)
                .execute(&mut *tx)
                .await?;
                Self::write_records(&mut tx, &[], notices).await?;
                tx.commit().await?;
                Ok(Some(envelope))
            }

            async fn envelopes(&self) -> Result<Vec<(Envelope, Vec<EnvelopeOpening>)>> {
                let rows = sqlx::query(
                    "SELECT id, name, seal_ref, sealed_by, sealed_ms FROM envelopes ORDER BY name, id",
                )
                .fetch_all(&self.pool)
                .await?;
                let openings = sqlx::query(
                    "SELECT id, envelope, opened_by, reason, at_ms FROM envelope_openings \
                     ORDER BY id DESC",
                )
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    out.push((
                        Envelope {
                            id: r.try_get(0)?,
                            name: r.try_get(1)?,
                            seal_ref: r.try_get(2)?,
                            secret: Vec::new(),
                            sealed_by: r.try_get(3)?,
                            sealed_ms: r.try_get(4)?,
                        },
                        Vec::new(),
                    ));
                }
                for r in &openings {
                    let o = EnvelopeOpening {
                        id: r.try_get(0)?,
                        envelope: r.try_get(1)?,
                        opened_by: r.try_get(2)?,
                        reason: r.try_get(3)?,
                        at_ms: r.try_get(4)?,
                    };
                    if let Some((_, list)) = out.iter_mut().find(|(e, _)| e.id == o.envelope) {
                        list.push(o);
                    }
                }
                Ok(out)
            }
        }
    };
}

interventions_impl!(SqliteStore, sqlx::Sqlite);
interventions_impl!(PgStore, sqlx::Postgres);

impl InterventionStore for AnyStore {
    async fn save_intervention(
        &self,
        ticket: &Ticket,
        intervention: &Intervention,
        events: &[TicketEvent],
        notices: &[NewNotice],
    ) -> Result<Saved> {
        dispatch!(self, s => s.save_intervention(ticket, intervention, events, notices).await)
    }
    async fn intervention(&self, id: i64) -> Result<Option<Intervention>> {
        dispatch!(self, s => s.intervention(id).await)
    }
    async fn interventions_of(&self, ids: &[i64]) -> Result<Vec<Intervention>> {
        dispatch!(self, s => s.interventions_of(ids).await)
    }
    async fn interventions_expired(&self, at_ms: i64, limit: i64) -> Result<Vec<i64>> {
        dispatch!(self, s => s.interventions_expired(at_ms, limit).await)
    }
    async fn seal_envelope(&self, envelope: &Envelope) -> Result<Option<i64>> {
        dispatch!(self, s => s.seal_envelope(envelope).await)
    }
    async fn open_envelope(
        &self,
        opening: &EnvelopeOpening,
        notices: &[NewNotice],
    ) -> Result<Option<Envelope>> {
        dispatch!(self, s => s.open_envelope(opening, notices).await)
    }
    async fn envelopes(&self) -> Result<Vec<(Envelope, Vec<EnvelopeOpening>)>> {
        dispatch!(self, s => s.envelopes().await)
    }
}
