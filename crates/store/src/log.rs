//! The alert log as the one order several instances agree on, and the ordered work done on
//! it by one leader at a time.
//!
//! Any instance appends alerts. On PostgreSQL an append holds a transaction-level advisory
//! lock until it commits, so sequence numbers are handed out in commit order: whoever reads
//! the log sees a prefix, never a later alert without an earlier one. The leader applies the
//! log to the engine and the incident book and writes what follows (what alerts assert,
//! incident changes, notices) together with how far it applied, in one transaction fenced by
//! its epoch: a new leader raises the epoch, and a former leader's late write then changes
//! nothing and fails with [`StoreError::Fenced`]. Everything a new leader or a follower needs
//! to rebuild is read in one snapshot ([`Picture`]), consistent with one log position.

use std::time::Duration;

use sqlx::Row;

use crate::backlog::{downs_from_json, downs_json};
use crate::incidents::{IncidentChange, IncidentRow, IncidentServiceRow, NewNotice};
use crate::sql::{alert_row, PgStore, SqliteStore};
use crate::sql_incident_heads::{head_columns, head_from};
use crate::{AlertRow, AnyStore, Assertion, AssertionChange, NewAlert, Result, StoreError};

/// Advisory lock held by the leader's session (PostgreSQL).
const LEADER_LOCK: i64 = 7_469_788;
/// Advisory lock held by each append until it commits (PostgreSQL).
const APPEND_LOCK: i64 = 7_469_787;
/// First key of the advisory lock each instance's election session holds while it lives,
/// the second being the instance's number (PostgreSQL).
const INSTANCE_LOCKS: i32 = 7_469_789;

/// Channels instances wake each other on (PostgreSQL `NOTIFY`).
pub mod channel {
    /// Alerts were appended to the log.
    pub const LOG: &str = "tocsin_log";
    /// A customer's preferences changed (payload: the customer id).
    pub const PREFERENCES: &str = "tocsin_preferences";
}

/// Who leads the ordered work and how far it has applied the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Leadership {
    /// Raised by every new leader.
    pub epoch: i64,
    /// The last alert whose consequences are written.
    pub applied: i64,
}

/// Everything a rebuild needs, read in one snapshot: consistent with `leadership.applied`.
#[derive(Debug, Clone, Default)]
pub struct Picture {
    /// Epoch and applied position.
    pub leadership: Leadership,
    /// What alerts assert, sorted, as of the applied position.
    pub assertions: Vec<Assertion>,
    /// The open incidents, by id.
    pub open_incidents: Vec<IncidentRow>,
    /// The highest incident number given so far.
    pub last_incident_id: i64,
    /// Service downs a leader decided and had not written yet (see [`Applied::defer`]).
    pub backlog: Vec<Backlog>,
}

/// Service downs decided by a leader and recorded to be written by its later commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    /// Its number, to settle it once written.
    pub id: i64,
    /// `IncidentChange::ServiceDown` each, in the order decided.
    pub downs: Vec<IncidentChange>,
}

/// What the leader writes for a stretch of the log, in one transaction.
#[derive(Debug, Clone, Copy)]
pub struct Applied<'a> {
    /// The writer's epoch; the write is refused when another leader came since.
    pub epoch: i64,
    /// The log is applied through this alert (no move when lower than stored).
    pub through: i64,
    /// Changes to what alerts assert, in log order.
    pub assertions: &'a [AssertionChange],
    /// Incident changes, in order.
    pub incidents: &'a [IncidentChange],
    /// Notices these make due.
    pub notices: &'a [NewNotice],
    /// Service downs (`IncidentChange::ServiceDown`; nothing else) decided with this stretch that later
    /// commits of this leader write (a fan-out written in chunks, so that its first notices go
    /// out while the rest is written). They are recorded in a backlog in this transaction, whose
    /// number `commit_applied` answers, so that a successor writes them, with the time each
    /// went down, if this leader dies first.
    pub defer: &'a [IncidentChange],
    /// Backlogs written in full by now (by this commit or before): removed.
    pub settle: &'a [i64],
}

/// The ordered log and the leader's writes.
#[allow(async_fn_in_trait)]
pub trait LogStore {
    /// Appends `alerts` durably, in one transaction; answers their sequence numbers, in order.
    async fn append(&self, alerts: &[NewAlert]) -> Result<Vec<i64>>;
    /// Up to `limit` alerts after sequence `after`, in order.
    async fn log_after(&self, after: i64, limit: i64) -> Result<Vec<AlertRow>>;
    /// The current epoch and applied position.
    async fn leadership(&self) -> Result<Leadership>;
    /// Writes what the leader of `applied.epoch` derived from the log, atomically; fails with
    /// [`StoreError::Fenced`], writing nothing, once another leader has come. Answers the
    /// number of the backlog `applied.defer` went to, if it has any.
    async fn commit_applied(&self, applied: &Applied<'_>) -> Result<Option<i64>>;
    /// Everything a rebuild needs, from one snapshot.
    async fn picture(&self) -> Result<Picture>;
    /// The incident view a follower keeps: leadership, open incidents and the highest
    /// incident number, from one snapshot (`Picture` without what alerts assert).
    async fn incident_view(&self) -> Result<Picture>;
    /// Tells the other instances something changed (nothing on SQLite, which has one).
    async fn announce(&self, channel: &str, payload: &str) -> Result<()>;
    /// Raises the epoch, fencing out the leader before; answers the new one. Only the holder
    /// of the leader lock calls it (see [`Elector`]).
    async fn raise_epoch(&self) -> Result<i64>;
    /// Gives back, for sending again, the notices claimed by instances that are gone (their
    /// session no longer holds their lock); answers how many. Nothing on SQLite.
    async fn release_orphaned_claims(&self) -> Result<u64>;
}

macro_rules! log_impl {
    ($store:ty, $db:ty, $append_lock:expr, $snapshot:expr, $notify:expr) => {
        impl $store {
            /// Epoch and applied position.
            async fn read_leadership(
                conn: &mut <$db as sqlx::Database>::Connection,
            ) -> Result<Leadership> {
                let row = sqlx::query("SELECT epoch, applied FROM tocsin_leader WHERE id = 1")
                    .fetch_one(&mut *conn)
                    .await?;
                Ok(Leadership {
                    epoch: row.try_get(0)?,
                    applied: row.try_get(1)?,
                })
            }

            /// Leadership, open incidents and (with `assertions`) what alerts assert, all
            /// from one snapshot.
            async fn snapshot(&self, assertions: bool) -> Result<Picture> {
                let mut tx = self.pool.begin().await?;
                if let Some(snapshot) = $snapshot {
                    sqlx::query(snapshot).execute(&mut *tx).await?;
                }
                let leadership = Self::read_leadership(&mut tx).await?;
                let assertions = if assertions {
                    Self::read_assertions(&mut tx).await?
                } else {
                    Vec::new()
                };
                let (open_incidents, last_incident_id) = Self::read_open_incidents(&mut tx).await?;
                let mut backlog = Vec::new();
                for r in sqlx::query("SELECT id, downs FROM incident_backlog ORDER BY id")
                    .fetch_all(&mut *tx)
                    .await?
                {
                    let id: i64 = r.try_get(0)?;
                    backlog.push(Backlog {
                        id,
                        downs: downs_from_json(id, r.try_get(1)?)?,
                    });
                }
                tx.commit().await?;
                Ok(Picture {
                    leadership,
                    assertions,
                    open_incidents,
                    last_incident_id,
                    backlog,
                })
            }

            /// The open incidents with their services, and the highest incident number, in
            /// `tx` (two queries whatever the number of incidents).
            pub(crate) async fn read_open_incidents(
                tx: &mut sqlx::Transaction<'static, $db>,
            ) -> Result<(Vec<IncidentRow>, i64)> {
                let mut open_incidents = Vec::new();
                for r in sqlx::query(concat!(
                    "SELECT ",
                    head_columns!(),
                    " FROM incidents WHERE resolved_ms IS NULL ORDER BY id"
                ))
                .fetch_all(&mut **tx)
                .await?
                {
                    open_incidents.push(head_from(&r)?.with_services(Vec::new()));
                }
                for r in sqlx::query(
                    "SELECT s.incident_id, s.service, s.customer, s.down_since_ms, s.down_total_ms, \
                            s.first_down_ms, s.announced \
                     FROM incident_services s JOIN incidents i ON i.id = s.incident_id \
                     WHERE i.resolved_ms IS NULL ORDER BY s.incident_id, s.first_down_ms, s.service",
                )
                .fetch_all(&mut **tx)
                .await?
                {
                    let id: i64 = r.try_get(0)?;
                    let Ok(at) = open_incidents.binary_search_by_key(&id, |i| i.id) else {
                        continue;
                    };
                    open_incidents[at].services.push(IncidentServiceRow {
                        service: r.try_get(1)?,
                        customer: r.try_get(2)?,
                        down_since_ms: r.try_get(3)?,
                        down_total_ms: r.try_get(4)?,
                        first_down_ms: r.try_get(5)?,
                        announced: r.try_get(6)?,
                    });
                }
                let last_incident_id = sqlx::query("SELECT COALESCE(MAX(id), 0) FROM incidents")
                    .fetch_one(&mut **tx)
                    .await?
                    .try_get::<i64, _>(0)?;
                Ok((open_incidents, last_incident_id))
            }
        }

        impl LogStore for $store {
            async fn append(&self, alerts: &[NewAlert]) -> Result<Vec<i64>> {
                if alerts.is_empty() {
                    return Ok(Vec::new());
                }
                let mut tx = self.pool.begin().await?;
                if let Some(lock) = $append_lock {
                    sqlx::query(lock).bind(APPEND_LOCK).execute(&mut *tx).await?;
                }
                let ids = Self::insert_alerts(&mut tx, alerts).await?;
                if $notify {
                    sqlx::query("SELECT pg_notify($1, '')")
                        .bind(channel::LOG)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(ids)
            }

            async fn log_after(&self, after: i64, limit: i64) -> Result<Vec<AlertRow>> {
                let rows = sqlx::query(
                    "SELECT id, source, fingerprint, status, state, vertices, received_ms, body_key \
                     FROM alerts WHERE id > $1 ORDER BY id LIMIT $2",
                )
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(alert_row).collect()
            }

            async fn leadership(&self) -> Result<Leadership> {
                Self::read_leadership(&mut *self.pool.acquire().await?).await
            }

            async fn commit_applied(&self, a: &Applied<'_>) -> Result<Option<i64>> {
                let turn = self.writes.take().await;
                let mut tx = self.pool.begin().await?;
                // First, so that the row lock orders this against a new leader's raise.
                let fenced = sqlx::query(
                    "UPDATE tocsin_leader SET applied = CASE WHEN applied < $2 THEN $2 ELSE applied END \
                     WHERE id = 1 AND epoch = $1",
                )
                .bind(a.epoch)
                .bind(a.through)
                .execute(&mut *tx)
                .await?;
                if fenced.rows_affected() == 0 {
                    tx.rollback().await?;
                    return Err(StoreError::Fenced { epoch: a.epoch });
                }
                Self::write_assertions(&mut tx, a.assertions).await?;
                let queued = Self::write_records(&mut tx, a.incidents, a.notices).await?;
                let backlog = if a.defer.is_empty() {
                    None
                } else {
                    let row = sqlx::query("INSERT INTO incident_backlog (downs) VALUES ($1) RETURNING id")
                        .bind(downs_json(a.defer)?)
                        .fetch_one(&mut *tx)
                        .await?;
                    Some(row.try_get::<i64, _>(0)?)
                };
                for id in a.settle {
                    sqlx::query("DELETE FROM incident_backlog WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                // Committed: the ids are the notices' for good; copied after the next writer's
                // turn began.
                drop(turn);
                self.payloads.keep(
                    queued
                        .iter()
                        .filter_map(|&(id, at)| a.notices.get(at).map(|n| (id, n.payload.as_str()))),
                );
                Ok(backlog)
            }

            async fn picture(&self) -> Result<Picture> {
                self.snapshot(true).await
            }

            async fn incident_view(&self) -> Result<Picture> {
                self.snapshot(false).await
            }

            async fn raise_epoch(&self) -> Result<i64> {
                let row = sqlx::query(RAISE_EPOCH).fetch_one(&self.pool).await?;
                Ok(row.try_get::<i64, _>(0)?)
            }

            async fn release_orphaned_claims(&self) -> Result<u64> {
                self.orphaned_claims().await
            }

            async fn announce(&self, channel: &str, payload: &str) -> Result<()> {
                if $notify {
                    sqlx::query("SELECT pg_notify($1, $2)")
                        .bind(channel)
                        .bind(payload)
                        .execute(&self.pool)
                        .await?;
                }
                let _ = (channel, payload);
                Ok(())
            }
        }
    };
}

// One instance owns an SQLite database, and SQLite commits one writer at a time: sequence
// numbers are in commit order without a lock, and a read transaction is a snapshot.
impl SqliteStore {
    async fn orphaned_claims(&self) -> Result<u64> {
        // One instance: its claims are given back when it starts (`release_claims`).
        Ok(0)
    }
}

impl PgStore {
    async fn orphaned_claims(&self) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE outbox SET state = 'queued', lease_ms = NULL \
             WHERE state = 'sending' AND claimed_by IS NOT NULL AND claimed_by NOT IN \
               (SELECT objid::int8 FROM pg_locks WHERE locktype = 'advisory' \
                AND classid = $1 AND objsubid = 2 AND granted)",
        )
        .bind(INSTANCE_LOCKS)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }
}

log_impl!(
    SqliteStore,
    sqlx::Sqlite,
    None::<&'static str>,
    None::<&'static str>,
    false
);
log_impl!(
    PgStore,
    sqlx::Postgres,
    Some("SELECT pg_advisory_xact_lock($1)"),
    Some("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"),
    true
);

impl LogStore for AnyStore {
    async fn append(&self, alerts: &[NewAlert]) -> Result<Vec<i64>> {
        dispatch!(self, s => s.append(alerts).await)
    }
    async fn log_after(&self, after: i64, limit: i64) -> Result<Vec<AlertRow>> {
        dispatch!(self, s => s.log_after(after, limit).await)
    }
    async fn leadership(&self) -> Result<Leadership> {
        dispatch!(self, s => s.leadership().await)
    }
    async fn commit_applied(&self, applied: &Applied<'_>) -> Result<Option<i64>> {
        dispatch!(self, s => s.commit_applied(applied).await)
    }
    async fn picture(&self) -> Result<Picture> {
        dispatch!(self, s => s.picture().await)
    }
    async fn incident_view(&self) -> Result<Picture> {
        dispatch!(self, s => s.incident_view().await)
    }
    async fn announce(&self, channel: &str, payload: &str) -> Result<()> {
        dispatch!(self, s => s.announce(channel, payload).await)
    }
    async fn raise_epoch(&self) -> Result<i64> {
        dispatch!(self, s => s.raise_epoch().await)
    }
    async fn release_orphaned_claims(&self) -> Result<u64> {
        dispatch!(self, s => s.release_orphaned_claims().await)
    }
}

/// How an instance tries for, and keeps, the leadership.
pub enum Elector {
    /// The one instance of an SQLite database (its file lock says so) always leads.
    Alone,
    /// PostgreSQL: a session-level advisory lock on a connection of its own, which also
    /// holds the instance's own lock while it lives.
    Postgres {
        /// Where to connect.
        options: Box<sqlx::postgres::PgConnectOptions>,
        /// This instance's number.
        instance: i64,
        /// The session holding (or trying for) the lock.
        session: Option<sqlx::PgConnection>,
    },
}

/// How long a leader's check of its session may take before it counts as lost.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

impl Elector {
    /// The elector for `store`.
    pub fn new(store: &AnyStore) -> Elector {
        match store {
            AnyStore::Sqlite(_) => Elector::Alone,
            AnyStore::Postgres(pg) => Elector::Postgres {
                options: Box::new((*pg.pool.connect_options()).clone()),
                instance: pg.instance,
                session: None,
            },
        }
    }

    /// Tries to become the leader: answers the new epoch when this instance now leads (the
    /// epoch raised, fencing out any former leader), `None` when another one does.
    pub async fn try_lead(&mut self, store: &AnyStore) -> Result<Option<i64>> {
        match self {
            Elector::Alone => Ok(Some(store.raise_epoch().await?)),
            Elector::Postgres {
                options,
                instance,
                session,
            } => {
                let connection = match session {
                    Some(c) => c,
                    None => session.insert(connect(options, *instance).await?),
                };
                let got = tokio::time::timeout(
                    CHECK_TIMEOUT,
                    sqlx::query("SELECT pg_try_advisory_lock($1)")
                        .bind(LEADER_LOCK)
                        .fetch_one(&mut *connection),
                )
                .await;
                let got: bool = match got {
                    Ok(Ok(row)) => row.try_get(0)?,
                    Ok(Err(e)) => {
                        *session = None;
                        return Err(e.into());
                    }
                    Err(_) => {
                        *session = None;
                        return Err(StoreError::Timeout("trying for the leader lock"));
                    }
                };
                if !got {
                    return Ok(None);
                }
                let raised = sqlx::query(RAISE_EPOCH).fetch_one(&mut *connection).await;
                match raised.and_then(|row| row.try_get::<i64, _>(0)) {
                    Ok(epoch) => Ok(Some(epoch)),
                    Err(e) => {
                        // Whatever happened, the lock goes with the session.
                        *session = None;
                        Err(e.into())
                    }
                }
            }
        }
    }

    /// Whether the leader still holds its lock: an error (or no answer in time) means it
    /// may not, and it must step down at once.
    pub async fn check(&mut self) -> Result<()> {
        match self {
            Elector::Alone => Ok(()),
            Elector::Postgres { session, .. } => {
                let Some(connection) = session.as_mut() else {
                    return Err(StoreError::Timeout("the leader's session is gone"));
                };
                let held = tokio::time::timeout(
                    CHECK_TIMEOUT,
                    sqlx::query(
                        "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' \
                         AND pid = pg_backend_pid() AND granted AND classid = 0 AND objid = $1 \
                         AND objsubid = 1",
                    )
                    .bind(LEADER_LOCK)
                    .fetch_one(&mut *connection),
                )
                .await;
                let held = match held {
                    Ok(Ok(row)) => row.try_get::<i64, _>(0)? > 0,
                    Ok(Err(e)) => {
                        *session = None;
                        return Err(e.into());
                    }
                    Err(_) => {
                        *session = None;
                        return Err(StoreError::Timeout("checking the leader lock"));
                    }
                };
                if held {
                    Ok(())
                } else {
                    *session = None;
                    Err(StoreError::Timeout("the leader lock is no longer held"))
                }
            }
        }
    }

    /// Gives the leadership up (closing the session releases the lock).
    pub fn resign(&mut self) {
        if let Elector::Postgres { session, .. } = self {
            *session = None;
        }
    }
}

/// The election's session: connected, holding the instance's own lock.
async fn connect(
    options: &sqlx::postgres::PgConnectOptions,
    instance: i64,
) -> Result<sqlx::PgConnection> {
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect_with(options).await?;
    sqlx::query("SELECT pg_advisory_lock($1, $2)")
        .bind(INSTANCE_LOCKS)
        .bind(instance as i32)
        .execute(&mut connection)
        .await?;
    Ok(connection)
}

/// Raises the epoch; answers the new one.
const RAISE_EPOCH: &str = "UPDATE tocsin_leader SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch";

/// What woke a listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wake {
    /// A notification: its channel and payload.
    Told(String, String),
    /// The connection was lost and made again: notifications may have been missed.
    Reconnected,
}

/// Notifications from the other instances (PostgreSQL `LISTEN`).
pub struct Listener(sqlx::postgres::PgListener);

impl Listener {
    /// Listens on every [`channel`] of `store`; `None` on SQLite, which has one instance.
    pub async fn start(store: &AnyStore) -> Result<Option<Listener>> {
        let AnyStore::Postgres(pg) = store else {
            return Ok(None);
        };
        let mut listener = sqlx::postgres::PgListener::connect_with(&pg.pool).await?;
        listener
            .listen_all([channel::LOG, channel::PREFERENCES])
            .await?;
        Ok(Some(Listener(listener)))
    }

    /// The next wake-up.
    pub async fn next(&mut self) -> Result<Wake> {
        match self.0.try_recv().await? {
            Some(n) => Ok(Wake::Told(n.channel().to_owned(), n.payload().to_owned())),
            None => Ok(Wake::Reconnected),
        }
    }
}
