//! Tickets in SQL, the same statements on both backends. A ticket's write is conditional on
//! the version it was read at, so of two instances changing one ticket at once, one writes
//! and the other is told to read again.

use sqlx::Row;

use crate::incidents::NewNotice;
use crate::sql::{PgStore, SqliteStore};
use crate::tickets::{
    CannedReply, RecordedBreach, Saved, Ticket, TicketEvent, TicketFilter, TicketStore,
    EVENT_ID_PLACEHOLDER, TICKET_ID_PLACEHOLDER,
};
use crate::{AnyStore, Result, StoreError};

/// The columns `ticket_from!` reads, in order.
macro_rules! ticket_columns {
    () => {
        "id, customer, requester, subject, department, priority, status, tier, language, \
         services, incidents, assignee, merged_into, due_ms, breached, rating, rating_comment, \
         rated_ms, created_ms, updated_ms, version, kind"
    };
}

macro_rules! ticket_from {
    ($r:expr) => {
        Ticket {
            id: $r.try_get(0)?,
            customer: $r.try_get(1)?,
            requester: $r.try_get(2)?,
            subject: $r.try_get(3)?,
            department: $r.try_get(4)?,
            priority: $r.try_get(5)?,
            status: $r.try_get(6)?,
            tier: $r.try_get(7)?,
            language: $r.try_get(8)?,
            services: crate::sql_accounts::list_from(
                &$r.try_get::<String, _>(9)?,
                "ticket services",
            )?,
            incidents: ids_from(&$r.try_get::<String, _>(10)?)?,
            assignee: $r.try_get(11)?,
            merged_into: $r.try_get(12)?,
            due_ms: $r.try_get(13)?,
            breached: $r.try_get(14)?,
            rating: $r.try_get(15)?,
            rating_comment: $r.try_get(16)?,
            rated_ms: $r.try_get(17)?,
            created_ms: $r.try_get(18)?,
            updated_ms: $r.try_get(19)?,
            version: $r.try_get(20)?,
            kind: $r.try_get(21)?,
        }
    };
}

macro_rules! event_columns {
    () => {
        "id, ticket, kind, author, body, public, status, message_id, attachments, at_ms"
    };
}

macro_rules! event_from {
    ($r:expr) => {
        TicketEvent {
            id: $r.try_get(0)?,
            ticket: $r.try_get(1)?,
            kind: $r.try_get(2)?,
            author: $r.try_get(3)?,
            body: $r.try_get(4)?,
            public: $r.try_get(5)?,
            status: $r.try_get(6)?,
            message_id: $r.try_get(7)?,
            attachments: $r.try_get(8)?,
            at_ms: $r.try_get(9)?,
        }
    };
}

fn ids_from(text: &str) -> Result<Vec<i64>> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("ticket incidents: {e}")))
}

fn ids_json(ids: &[i64]) -> String {
    serde_json::Value::from(ids.to_vec()).to_string()
}

/// A ticket notice with the ids it waited for in place of the placeholders.
fn with_ids(notice: &NewNotice, ticket: i64, event: i64) -> NewNotice {
    let fill = |text: &str| {
        text.replace(TICKET_ID_PLACEHOLDER, &ticket.to_string())
            .replace(EVENT_ID_PLACEHOLDER, &event.to_string())
    };
    NewNotice {
        kind: fill(&notice.kind),
        payload: fill(&notice.payload),
        ..notice.clone()
    }
}

macro_rules! tickets_impl {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Inserts `t` (id 0) or updates it if still at its version; its id, or `None`.
            async fn write_ticket(
                tx: &mut sqlx::Transaction<'static, $db>,
                t: &Ticket,
            ) -> Result<Option<i64>> {
                let services = crate::sql_accounts::list_json(&t.services);
                let incidents = ids_json(&t.incidents);
                let query = if t.id == 0 {
                    sqlx::query(
                        "INSERT INTO tickets (customer, requester, subject, department, priority, status, \
                         tier, language, services, incidents, assignee, merged_into, active, due_ms, \
                         breached, rating, rating_comment, rated_ms, created_ms, updated_ms, kind, version) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
                         $17, $18, $19, $20, $21, 1) RETURNING id",
                    )
                } else {
                    sqlx::query(
                        "UPDATE tickets SET customer = $1, requester = $2, subject = $3, department = $4, \
                         priority = $5, status = $6, tier = $7, language = $8, services = $9, \
                         incidents = $10, assignee = $11, merged_into = $12, active = $13, due_ms = $14, \
                         breached = $15, rating = $16, rating_comment = $17, rated_ms = $18, \
                         created_ms = $19, updated_ms = $20, kind = $21, version = version + 1 \
                         WHERE id = $22 AND version = $23 RETURNING id",
                    )
                }
                .bind(&t.customer)
                .bind(&t.requester)
                .bind(&t.subject)
                .bind(&t.department)
                .bind(&t.priority)
                .bind(&t.status)
                .bind(&t.tier)
                .bind(&t.language)
                .bind(services)
                .bind(incidents)
                .bind(&t.assignee)
                .bind(t.merged_into)
                .bind(t.active())
                .bind(t.due_ms)
                .bind(t.breached)
                .bind(t.rating)
                .bind(&t.rating_comment)
                .bind(t.rated_ms)
                .bind(t.created_ms)
                .bind(t.updated_ms)
                .bind(&t.kind);
                let query = if t.id == 0 { query } else { query.bind(t.id).bind(t.version) };
                let row = query.fetch_optional(&mut **tx).await?;
                Ok(match row {
                    Some(r) => Some(r.try_get(0)?),
                    None => None,
                })
            }

            /// Writes `ticket` (version-checked), appends `events` and queues `notices` with
            /// the ids filled in, inside `tx`: the ticket's id and the events', or how the
            /// write ended without them (`tx` is then to be dropped).
            pub(crate) async fn write_change(
                tx: &mut sqlx::Transaction<'static, $db>,
                ticket: &Ticket,
                events: &[TicketEvent],
                notices: &[NewNotice],
            ) -> Result<std::result::Result<(i64, Vec<i64>), Saved>> {
                let Some(id) = Self::write_ticket(tx, ticket).await? else {
                    return Ok(Err(Saved::Conflict));
                };
                let events = match Self::append_events(tx, id, events).await? {
                    Ok(ids) => ids,
                    Err(held) => return Ok(Err(Saved::Duplicate(held))),
                };
                let first = events.first().copied().unwrap_or(0);
                let notices: Vec<NewNotice> =
                    notices.iter().map(|n| with_ids(n, id, first)).collect();
                Self::write_records(tx, &[], &notices).await?;
                Ok(Ok((id, events)))
            }

            /// Appends `events` to ticket `id`; their ids, or the ticket already holding one
            /// of their messages.
            async fn append_events(
                tx: &mut sqlx::Transaction<'static, $db>,
                id: i64,
                events: &[TicketEvent],
            ) -> Result<std::result::Result<Vec<i64>, i64>> {
                for e in events {
                    if let Some(message_id) = &e.message_id {
                        let held = sqlx::query("SELECT ticket FROM ticket_events WHERE message_id = $1")
                            .bind(message_id)
                            .fetch_optional(&mut **tx)
                            .await?;
                        if let Some(held) = held {
                            return Ok(Err(held.try_get(0)?));
                        }
                    }
                }
                let mut ids = Vec::with_capacity(events.len());
                for e in events {
                    let row = sqlx::query(
                        "INSERT INTO ticket_events (ticket, kind, author, body, public, status, message_id, \
                         attachments, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                    )
                    .bind(id)
                    .bind(&e.kind)
                    .bind(&e.author)
                    .bind(&e.body)
                    .bind(e.public)
                    .bind(&e.status)
                    .bind(&e.message_id)
                    .bind(&e.attachments)
                    .bind(e.at_ms)
                    .fetch_one(&mut **tx)
                    .await?;
                    ids.push(row.try_get(0)?);
                }
                Ok(Ok(ids))
            }
        }

        impl TicketStore for $store {
            async fn save_ticket(
                &self,
                ticket: &Ticket,
                events: &[TicketEvent],
                notices: &[NewNotice],
            ) -> Result<Saved> {
                let mut tx = self.pool.begin().await?;
                let (id, events) = match Self::write_change(&mut tx, ticket, events, notices).await? {
                    Ok(written) => written,
                    Err(ended) => return Ok(ended),
                };
                tx.commit().await?;
                Ok(Saved::Done { ticket: id, events })
            }

            async fn import_tickets(&self, tickets: &[(Ticket, Vec<TicketEvent>)]) -> Result<Vec<i64>> {
                let mut tx = self.pool.begin().await?;
                let mut ids = Vec::with_capacity(tickets.len());
                for (t, events) in tickets {
                    let fresh = Ticket { id: 0, version: 0, ..t.clone() };
                    let Some(id) = Self::write_ticket(&mut tx, &fresh).await? else {
                        return Err(StoreError::Corrupt("an imported ticket was not stored".to_owned()));
                    };
                    if let Err(held) = Self::append_events(&mut tx, id, events).await? {
                        return Err(StoreError::Corrupt(format!(
                            "an imported message is on ticket {held} already"
                        )));
                    }
                    ids.push(id);
                }
                tx.commit().await?;
                Ok(ids)
            }

            async fn merge_tickets(
                &self,
                into: &Ticket,
                from: &Ticket,
                events: &[TicketEvent],
            ) -> Result<Saved> {
                let mut tx = self.pool.begin().await?;
                // Both rows in id order, so two merges never wait on each other in a cycle.
                let (first, second) = if into.id < from.id { (into, from) } else { (from, into) };
                for t in [first, second] {
                    if t.id == 0 || Self::write_ticket(&mut tx, t).await?.is_none() {
                        return Ok(Saved::Conflict);
                    }
                }
                sqlx::query("UPDATE ticket_events SET ticket = $1 WHERE ticket = $2")
                    .bind(into.id)
                    .bind(from.id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE ticket_breaches SET ticket = $1 WHERE ticket = $2 AND NOT EXISTS \
                     (SELECT 1 FROM ticket_breaches b WHERE b.ticket = $1 AND b.target = ticket_breaches.target \
                     AND b.due_ms = ticket_breaches.due_ms)")
                    .bind(into.id)
                    .bind(from.id)
                    .execute(&mut *tx)
                    .await?;
                let events = match Self::append_events(&mut tx, into.id, events).await? {
                    Ok(ids) => ids,
                    Err(held) => return Ok(Saved::Duplicate(held)),
                };
                tx.commit().await?;
                Ok(Saved::Done { ticket: into.id, events })
            }

            async fn ticket(&self, id: i64) -> Result<Option<Ticket>> {
                let row = sqlx::query(concat!("SELECT ", ticket_columns!(), " FROM tickets WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(match row {
                    Some(r) => Some(ticket_from!(r)),
                    None => None,
                })
            }

            async fn ticket_events(&self, id: i64) -> Result<Vec<TicketEvent>> {
                let rows = sqlx::query(concat!(
                    "SELECT ", event_columns!(), " FROM ticket_events WHERE ticket = $1 ORDER BY id"
                ))
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|r| Ok(event_from!(r))).collect()
            }

            async fn ticket_events_of(&self, ids: &[i64]) -> Result<Vec<TicketEvent>> {
                let mut events = Vec::new();
                for chunk in ids.chunks(crate::sql_changes::ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(concat!(
                        "SELECT ", event_columns!(), " FROM ticket_events WHERE ticket IN ("
                    ));
                    crate::sql_changes::push_ids(&mut q, chunk);
                    q.push(") ORDER BY ticket, id");
                    for r in q.build().fetch_all(&self.pool).await? {
                        events.push(event_from!(r));
                    }
                }
                Ok(events)
            }

            async fn tickets(&self, f: &TicketFilter) -> Result<Vec<Ticket>> {
                let rows = sqlx::query(concat!(
                    "SELECT ", ticket_columns!(), " FROM tickets \
                     WHERE ($1 IS NULL OR status = $1) AND ($2 IS NULL OR customer = $2) \
                     AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"
                ))
                .bind(&f.status)
                .bind(&f.customer)
                .bind(f.before)
                .bind(f.limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|r| Ok(ticket_from!(r))).collect()
            }

            async fn ticket_queue(&self, tier: Option<&str>, limit: i64) -> Result<Vec<Ticket>> {
                // Two statements rather than `($1 IS NULL OR tier = $1)`, so that each walks
                // its index in order and stops after `limit` rows.
                let rows = match tier {
                    Some(tier) => sqlx::query(concat!(
                        "SELECT ", ticket_columns!(), " FROM tickets WHERE active = TRUE AND tier = $1 \
                         ORDER BY breached DESC, due_ms, id LIMIT $2"
                    ))
                    .bind(tier)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?,
                    None => sqlx::query(concat!(
                        "SELECT ", ticket_columns!(), " FROM tickets WHERE active = TRUE \
                         ORDER BY breached DESC, due_ms, id LIMIT $1"
                    ))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?,
                };
                rows.iter().map(|r| Ok(ticket_from!(r))).collect()
            }

            async fn ticket_counts(&self, cap: i64) -> Result<(i64, i64)> {
                let row = sqlx::query(
                    "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM tickets WHERE active = TRUE LIMIT $1) a), \
                     (SELECT COUNT(*) FROM (SELECT 1 FROM tickets WHERE active = TRUE AND breached = TRUE LIMIT $1) b)",
                )
                .bind(cap)
                .fetch_one(&self.pool)
                .await?;
                Ok((row.try_get(0)?, row.try_get(1)?))
            }

            async fn ticket_by_message(&self, message_ids: &[String]) -> Result<Option<i64>> {
                let mut best: Option<(i64, i64)> = None;
                for message_id in message_ids {
                    let row = sqlx::query("SELECT id, ticket FROM ticket_events WHERE message_id = $1")
                        .bind(message_id)
                        .fetch_optional(&self.pool)
                        .await?;
                    if let Some(row) = row {
                        let found: (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
                        if best.is_none_or(|b| found.0 > b.0) {
                            best = Some(found);
                        }
                    }
                }
                Ok(best.map(|(_, ticket)| ticket))
            }

            async fn tickets_due(&self, at_ms: i64, limit: i64) -> Result<Vec<Ticket>> {
                let rows = sqlx::query(concat!(
                    "SELECT ", ticket_columns!(), " FROM tickets WHERE active = TRUE AND due_ms <= $1 \
                     ORDER BY due_ms, id LIMIT $2"
                ))
                .bind(at_ms)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|r| Ok(ticket_from!(r))).collect()
            }

            async fn record_breaches(
                &self,
                breaches: &[(RecordedBreach, Vec<NewNotice>)],
            ) -> Result<Vec<RecordedBreach>> {
                let mut tx = self.pool.begin().await?;
                let mut recorded = Vec::new();
                let mut notices = Vec::new();
                for (b, its) in breaches {
                    let row = sqlx::query(
                        "INSERT INTO ticket_breaches (ticket, target, due_ms, recorded_ms) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING ticket",
                    )
                    .bind(b.ticket)
                    .bind(&b.target)
                    .bind(b.due_ms)
                    .bind(b.recorded_ms)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if row.is_some() {
                        recorded.push(b.clone());
                        notices.extend(its.iter().map(|n| with_ids(n, b.ticket, 0)));
                    }
                }
                Self::write_records(&mut tx, &[], &notices).await?;
                tx.commit().await?;
                Ok(recorded)
            }

            async fn ticket_breaches(&self, id: i64) -> Result<Vec<RecordedBreach>> {
                let rows = sqlx::query(
                    "SELECT ticket, target, due_ms, recorded_ms FROM ticket_breaches \
                     WHERE ticket = $1 ORDER BY due_ms, target",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(RecordedBreach {
                            ticket: r.try_get(0)?,
                            target: r.try_get(1)?,
                            due_ms: r.try_get(2)?,
                            recorded_ms: r.try_get(3)?,
                        })
                    })
                    .collect()
            }

            async fn add_canned_reply(&self, c: &CannedReply) -> Result<i64> {
                let row = sqlx::query(
                    "INSERT INTO canned_replies (title, body, language, created_by, created_ms) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(&c.title)
                .bind(&c.body)
                .bind(&c.language)
                .bind(&c.created_by)
                .bind(c.created_ms)
                .fetch_one(&self.pool)
                .await?;
                Ok(row.try_get(0)?)
            }

            async fn canned_replies(&self) -> Result<Vec<CannedReply>> {
                let rows = sqlx::query(
                    "SELECT id, title, body, language, created_by, created_ms FROM canned_replies \
                     ORDER BY title, id",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(CannedReply {
                            id: r.try_get(0)?,
                            title: r.try_get(1)?,
                            body: r.try_get(2)?,
                            language: r.try_get(3)?,
                            created_by: r.try_get(4)?,
                            created_ms: r.try_get(5)?,
                        })
                    })
                    .collect()
            }
        }
    };
}

tickets_impl!(SqliteStore, sqlx::Sqlite);
tickets_impl!(PgStore, sqlx::Postgres);

impl TicketStore for AnyStore {
    async fn save_ticket(
        &self,
        ticket: &Ticket,
        events: &[TicketEvent],
        notices: &[NewNotice],
    ) -> Result<Saved> {
        dispatch!(self, s => s.save_ticket(ticket, events, notices).await)
    }
    async fn import_tickets(&self, tickets: &[(Ticket, Vec<TicketEvent>)]) -> Result<Vec<i64>> {
        dispatch!(self, s => s.import_tickets(tickets).await)
    }
    async fn merge_tickets(
        &self,
        into: &Ticket,
        from: &Ticket,
        events: &[TicketEvent],
    ) -> Result<Saved> {
        dispatch!(self, s => s.merge_tickets(into, from, events).await)
    }
    async fn ticket(&self, id: i64) -> Result<Option<Ticket>> {
        dispatch!(self, s => s.ticket(id).await)
    }
    async fn ticket_events(&self, id: i64) -> Result<Vec<TicketEvent>> {
        dispatch!(self, s => s.ticket_events(id).await)
    }
    async fn ticket_events_of(&self, ids: &[i64]) -> Result<Vec<TicketEvent>> {
        dispatch!(self, s => s.ticket_events_of(ids).await)
    }
    async fn tickets(&self, filter: &TicketFilter) -> Result<Vec<Ticket>> {
        dispatch!(self, s => s.tickets(filter).await)
    }
    async fn ticket_queue(&self, tier: Option<&str>, limit: i64) -> Result<Vec<Ticket>> {
        dispatch!(self, s => s.ticket_queue(tier, limit).await)
    }
    async fn ticket_counts(&self, cap: i64) -> Result<(i64, i64)> {
        dispatch!(self, s => s.ticket_counts(cap).await)
    }
    async fn ticket_by_message(&self, message_ids: &[String]) -> Result<Option<i64>> {
        dispatch!(self, s => s.ticket_by_message(message_ids).await)
    }
    async fn tickets_due(&self, at_ms: i64, limit: i64) -> Result<Vec<Ticket>> {
        dispatch!(self, s => s.tickets_due(at_ms, limit).await)
    }
    async fn record_breaches(
        &self,
        breaches: &[(RecordedBreach, Vec<NewNotice>)],
    ) -> Result<Vec<RecordedBreach>> {
        dispatch!(self, s => s.record_breaches(breaches).await)
    }
    async fn ticket_breaches(&self, id: i64) -> Result<Vec<RecordedBreach>> {
        dispatch!(self, s => s.ticket_breaches(id).await)
    }
    async fn add_canned_reply(&self, reply: &CannedReply) -> Result<i64> {
        dispatch!(self, s => s.add_canned_reply(reply).await)
    }
    async fn canned_replies(&self) -> Result<Vec<CannedReply>> {
        dispatch!(self, s => s.canned_replies().await)
    }
}
