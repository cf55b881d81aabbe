//! The two backends. Their SQL is the same text, so one macro writes both implementations;
//! what differs (connection options, migration scripts, locking) is passed in.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Pool, Postgres, Row, Sqlite};

use crate::migrate::MIGRATIONS;
use crate::sql_outbox::Payloads;
use crate::{
    AlertRow, AlertStatus, Assertion, AssertionChange, NewAlert, Result, Store, StoreError,
};

/// Page cache per SQLite connection, in KiB (the pool has at most 4).
const CACHE_KIB: u32 = 64 * 1024;

/// Embedded SQLite in WAL mode with `synchronous=FULL`: a commit is on disk when it returns.
pub struct SqliteStore {
    pub(crate) pool: Pool<Sqlite>,
    /// The outbox's and the applier's write transactions take turns here.
    pub(crate) writes: WriteTurns,
    /// What the notices this process queued say, until it claims them.
    pub(crate) payloads: Payloads,
    /// Copies the write-ahead log into the database beside the writers.
    _checkpoints: Checkpoints,
}

/// How often the write-ahead log is copied into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// The task that checkpoints an SQLite database in the background, stopped with its store.
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, so that
/// commit returned only once tens of megabytes were copied and synced: a fan-out's notices
/// waited 0.2 s for it before the first could be claimed.
struct Checkpoints(tokio::task::JoinHandle<()>);

impl Checkpoints {
    fn start(pool: Pool<Sqlite>) -> Self {
        Checkpoints(tokio::spawn(async move {
            let mut every = tokio::time::interval(CHECKPOINT_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                if pool.is_closed() {
                    return;
                }
                // PASSIVE never waits for readers or writers; what it cannot copy now is
                // copied at a later tick.
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&pool)
                    .await
                {
                    tracing::warn!(error = %e, "checkpoint of the SQLite log failed");
                }
            }
        }))
    }
}

impl Drop for Checkpoints {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url`.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|_| StoreError::Url(url.to_owned()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            // A fan-out writes tens of megabytes in one transaction; with SQLite's default
            // cache of 2 MB the writer spilled dirty pages to the log before its commit.
            .pragma("cache_size", format!("-{}", CACHE_KIB))
            // Checkpoints run beside the writers (`Checkpoints`), never inside a commit.
            .pragma("wal_autocheckpoint", "0");
        // One writer at a time is SQLite's nature; a few connections let reads run beside it.
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        Ok(SqliteStore {
            _checkpoints: Checkpoints::start(pool.clone()),
            pool,
            writes: WriteTurns(Some(tokio::sync::Mutex::new(()))),
            payloads: Payloads::default(),
        })
    }
}

/// PostgreSQL, shared by several Tocsin instances.
pub struct PgStore {
    pub(crate) pool: Pool<Postgres>,
    /// This instance's number, drawn at random when it connects: its outbox claims carry it,
    /// and its leader-election session holds an advisory lock of it while the instance lives.
    pub(crate) instance: i64,
    /// No turns: PostgreSQL locks rows, and writers on other rows go at once.
    pub(crate) writes: WriteTurns,
    /// What the notices this process queued say, until it claims them.
    pub(crate) payloads: Payloads,
}

/// Turns for write transactions within this process, where the database lets one writer in
/// at a time (SQLite). Waiting for a turn here ends the moment the writer before commits;
/// waiting in SQLite's busy handler sleeps 1, 2, 5, 10… ms between tries, and during a
/// fan-out the claims and verdicts of four batches in flight waited there more than they
/// wrote.
pub(crate) struct WriteTurns(Option<tokio::sync::Mutex<()>>);

impl WriteTurns {
    /// Waits for this process's turn to write (at once where there are no turns).
    pub(crate) async fn take(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match &self.0 {
            Some(turns) => Some(turns.lock().await),
            None => None,
        }
    }
}

impl PgStore {
    /// Connects to the server at `url`.
    pub async fn connect(url: &str) -> Result<Self> {
        let options =
            PgConnectOptions::from_str(url).map_err(|_| StoreError::Url(url.to_owned()))?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(PgStore {
            pool,
            instance: instance_number(),
            writes: WriteTurns(None),
            payloads: Payloads::default(),
        })
    }
}

/// A random number in `1..2^31`: an advisory lock's second key (an `int4`, shown unsigned).
fn instance_number() -> i64 {
    use std::hash::{BuildHasher, Hasher};
    // The standard library seeds each `RandomState` from the operating system.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    (h.finish() % (i32::MAX as u64 - 1)) as i64 + 1
}

impl PgStore {
    /// Creates an empty database `name` on this server (for test suites).
    pub async fn create_database_for_tests(&self, name: &str) -> Result<()> {
        if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(StoreError::Url(name.to_owned()));
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

fn vertices_json(vertices: &[String]) -> String {
    serde_json::Value::from(vertices.to_vec()).to_string()
}

fn vertices_from(text: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("alert vertices: {e}")))
}

/// An `alerts` row read as `id, source, fingerprint, status, state, vertices, received_ms,
/// body_key`.
pub(crate) fn alert_row<R: Row>(r: &R) -> Result<AlertRow>
where
    for<'a> i64: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let status: String = r.try_get(3)?;
    let vertices: String = r.try_get(5)?;
    Ok(AlertRow {
        id: r.try_get(0)?,
        alert: NewAlert {
            source: r.try_get(1)?,
            fingerprint: r.try_get(2)?,
            status: AlertStatus::from_str(&status)?,
            state: r.try_get(4)?,
            vertices: vertices_from(&vertices)?,
            received_ms: r.try_get(6)?,
            body_key: r.try_get(7)?,
        },
    })
}

/// Rows per multi-row statement: 8 parameters a row stays far below SQLite's 32,766 and
/// PostgreSQL's 65,535 parameters per statement.
const ROWS_PER_STATEMENT: usize = 1000;

macro_rules! store_impl {
    ($store:ty, $db:ty, $script:ident, $lock:expr) => {
        impl $store {
            /// Inserts `alerts` in multi-row statements in `tx`; answers their sequence
            /// numbers, in order.
            pub(crate) async fn insert_alerts(
                tx: &mut sqlx::Transaction<'static, $db>,
                alerts: &[NewAlert],
            ) -> Result<Vec<i64>> {
                let mut ids = Vec::with_capacity(alerts.len());
                for chunk in alerts.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO alerts (source, fingerprint, status, state, vertices, unmatched, received_ms, body_key) ",
                    );
                    q.push_values(chunk, |mut row, a| {
                        row.push_bind(a.source.as_str())
                            .push_bind(a.fingerprint.as_str())
                            .push_bind(a.status.as_str())
                            .push_bind(a.state.as_str())
                            .push_bind(vertices_json(&a.vertices))
                            .push_bind(a.vertices.is_empty())
                            .push_bind(a.received_ms)
                            .push_bind(a.body_key.as_deref());
                    });
                    q.push(" RETURNING id");
                    for row in q.build().fetch_all(&mut **tx).await? {
                        ids.push(row.try_get::<i64, _>(0)?);
                    }
                }
                ids.sort_unstable();
                Ok(ids)
            }

            /// Applies `changes` to `assertions` in `tx`: collapsed per alert (each replaces
            /// all its alert asserted before, so the last one wins) into one delete and
            /// multi-row inserts.
            pub(crate) async fn write_assertions(
                tx: &mut sqlx::Transaction<'static, $db>,
                changes: &[AssertionChange],
            ) -> Result<()> {
                let mut last: std::collections::HashMap<(&str, &str), &AssertionChange> =
                    std::collections::HashMap::with_capacity(changes.len());
                for c in changes {
                    let (AssertionChange::Replace { source, fingerprint, .. }
                    | AssertionChange::Withdraw { source, fingerprint }) = c;
                    last.insert((source.as_str(), fingerprint.as_str()), c);
                }
                let keys: Vec<(&str, &str)> = last.keys().copied().collect();
                for chunk in keys.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "DELETE FROM assertions WHERE (source, fingerprint) IN (",
                    );
                    q.push_values(chunk, |mut row, (source, fingerprint)| {
                        row.push_bind(*source).push_bind(*fingerprint);
                    });
                    q.push(")");
                    q.build().execute(&mut **tx).await?;
                }
                let rows: Vec<(&str, &str, &str, &str, i64)> = last
                    .values()
                    .filter_map(|c| match c {
                        AssertionChange::Replace { source, fingerprint, state, vertices, since_ms } => Some(
                            vertices
                                .iter()
                                .map(move |v| (source.as_str(), fingerprint.as_str(), v.as_str(), state.as_str(), *since_ms)),
                        ),
                        AssertionChange::Withdraw { .. } => None,
                    })
                    .flatten()
                    .collect();
                for chunk in rows.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO assertions (source, fingerprint, vertex, state, since_ms) ",
                    );
                    q.push_values(chunk, |mut row, (source, fingerprint, vertex, state, since)| {
                        row.push_bind(*source)
                            .push_bind(*fingerprint)
                            .push_bind(*vertex)
                            .push_bind(*state)
                            .push_bind(*since);
                    });
                    q.build().execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// Everything currently asserted, sorted.
            pub(crate) async fn read_assertions(
                conn: &mut <$db as sqlx::Database>::Connection,
            ) -> Result<Vec<Assertion>> {
                let rows = sqlx::query(
                    "SELECT source, fingerprint, vertex, state, since_ms FROM assertions \
                     ORDER BY source, fingerprint, vertex",
                )
                .fetch_all(&mut *conn)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(Assertion {
                            source: r.try_get(0)?,
                            fingerprint: r.try_get(1)?,
                            vertex: r.try_get(2)?,
                            state: r.try_get(3)?,
                            since_ms: r.try_get(4)?,
                        })
                    })
                    .collect()
            }

            /// Moves the applied position of the log to `through` when it is further.
            async fn advance_applied(
                tx: &mut sqlx::Transaction<'static, $db>,
                through: Option<i64>,
            ) -> Result<()> {
                if let Some(through) = through {
                    sqlx::query(
                        "UPDATE tocsin_leader SET applied = CASE WHEN applied < $1 THEN $1 ELSE applied END WHERE id = 1",
                    )
                    .bind(through)
                    .execute(&mut **tx)
                    .await?;
                }
                Ok(())
            }
        }

        impl Store for $store {
            async fn migrate(&self) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                if let Some(lock) = $lock {
                    sqlx::query(lock).execute(&mut *tx).await?;
                }
                sqlx::query(
                    "CREATE TABLE IF NOT EXISTS tocsin_migrations (version BIGINT PRIMARY KEY)",
                )
                .execute(&mut *tx)
                .await?;
                for m in MIGRATIONS {
                    let done = sqlx::query("SELECT version FROM tocsin_migrations WHERE version = $1")
                        .bind(m.version)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if done.is_none() {
                        sqlx::raw_sql(m.$script).execute(&mut *tx).await?;
                        sqlx::query("INSERT INTO tocsin_migrations (version) VALUES ($1)")
                            .bind(m.version)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                tx.commit().await?;
                Ok(())
            }

            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn ingest(
                &self,
                alerts: &[NewAlert],
                changes: &[AssertionChange],
            ) -> Result<Vec<i64>> {
                let mut tx = self.pool.begin().await?;
                // Few statements per batch: the alerts in multi-row inserts, then the assertion
                // changes (see `write_assertions`); the log counts as applied through them.
                let ids = Self::insert_alerts(&mut tx, alerts).await?;
                Self::write_assertions(&mut tx, changes).await?;
                Self::advance_applied(&mut tx, ids.last().copied()).await?;
                tx.commit().await?;
                Ok(ids)
            }

            async fn assertions(&self) -> Result<Vec<Assertion>> {
                Self::read_assertions(&mut *self.pool.acquire().await?).await
            }

            async fn unmatched(&self, limit: i64) -> Result<Vec<AlertRow>> {
                let rows = sqlx::query(
                    "SELECT id, source, fingerprint, status, state, vertices, received_ms, body_key \
                     FROM alerts WHERE unmatched = $1 ORDER BY id DESC LIMIT $2",
                )
                .bind(true)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(alert_row).collect()
            }

            async fn alert_count(&self) -> Result<i64> {
                let row = sqlx::query("SELECT COUNT(*) FROM alerts").fetch_one(&self.pool).await?;
                Ok(row.try_get::<i64, _>(0)?)
            }
        }
    };
}

store_impl!(SqliteStore, Sqlite, sqlite, None::<&'static str>);
// Several instances may start at once: one migrates while the others wait on the lock.
store_impl!(
    PgStore,
    Postgres,
    postgres,
    Some("SELECT pg_advisory_xact_lock(7469786)")
);
