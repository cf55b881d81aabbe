//! Failed logins counted in fixed windows, kept in the database so that every instance on it
//! counts the same failures. The store keeps counters under 32-byte digests and knows nothing
//! of the policy built on them (which keys, how many failures, how long a window is).

use std::fmt::Write;

use sqlx::Row;

use crate::sql::{PgStore, SqliteStore};
use crate::{AnyStore, Result};

/// The failures counted under one key in its current window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureWindow {
    /// The digest the failures are counted under.
    pub key: [u8; 32],
    /// When the window started, ms since the epoch.
    pub started_ms: i64,
    /// When it ends, ms since the epoch; from then on its failures no longer count.
    pub ends_ms: i64,
    /// Failures counted in it, at least one.
    pub failures: u32,
}

/// Failure counters shared by every instance. Every method is one transaction.
#[allow(async_fn_in_trait)]
pub trait LimitStore {
    /// The windows of `keys` still open at `now_ms`; a key without one is left out.
    async fn login_failures(&self, keys: &[[u8; 32]], now_ms: i64) -> Result<Vec<FailureWindow>>;
    /// Counts one failure under each of `keys` at `now_ms`: a key whose window has ended, or
    /// that has none, starts a new one of `window_ms` with this failure; the others count one
    /// more in theirs. Concurrent counts from several instances all count.
    async fn count_login_failure(
        &self,
        keys: &[[u8; 32]],
        now_ms: i64,
        window_ms: i64,
    ) -> Result<()>;
    /// Forgets the windows of `keys`.
    async fn clear_login_failures(&self, keys: &[[u8; 32]]) -> Result<()>;
    /// Forgets the windows ended at or before `now_ms`; returns how many.
    async fn purge_login_failures(&self, now_ms: i64) -> Result<u64>;
}

/// A key as stored: lowercase hex, which every backend compares and indexes as text.
fn hex(key: &[u8; 32]) -> String {
    let mut s = String::with_capacity(64);
    for b in key {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The distinct keys in hex, sorted: every transaction touching several rows then takes their
/// locks in the same order, so that two of them never wait on each other.
fn hex_sorted(keys: &[[u8; 32]]) -> Vec<String> {
    let mut hexed: Vec<String> = keys.iter().map(hex).collect();
    hexed.sort_unstable();
    hexed.dedup();
    hexed
}

macro_rules! limits_impl {
    ($store:ty, $db:ty) => {
        impl LimitStore for $store {
            async fn login_failures(
                &self,
                keys: &[[u8; 32]],
                now_ms: i64,
            ) -> Result<Vec<FailureWindow>> {
                let hexed = hex_sorted(keys);
                if hexed.is_empty() {
                    return Ok(Vec::new());
                }
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT digest, started_ms, ends_ms, failures FROM login_failures WHERE ends_ms > ",
                );
                q.push_bind(now_ms).push(" AND digest IN (");
                let mut list = q.separated(", ");
                for h in &hexed {
                    list.push_bind(h.as_str());
                }
                list.push_unseparated(")");
                let mut windows = Vec::new();
                for r in q.build().fetch_all(&self.pool).await? {
                    let digest: String = r.try_get(0)?;
                    // The caller's own key is returned, so that no stored text is decoded.
                    let Some(key) = keys.iter().find(|k| hex(k) == digest) else {
                        continue;
                    };
                    windows.push(FailureWindow {
                        key: *key,
                        started_ms: r.try_get(1)?,
                        ends_ms: r.try_get(2)?,
                        failures: u32::try_from(r.try_get::<i64, _>(3)?).unwrap_or(u32::MAX),
                    });
                }
                Ok(windows)
            }

            async fn count_login_failure(
                &self,
                keys: &[[u8; 32]],
                now_ms: i64,
                window_ms: i64,
            ) -> Result<()> {
                let mut tx = self.pool.begin().await?;
                for h in hex_sorted(keys) {
                    // One statement per key, so that the read of the old count and the write
                    // of the new one are one step even when instances count the same key.
                    sqlx::query(
                        "INSERT INTO login_failures (digest, started_ms, ends_ms, failures) \
                         VALUES ($1, $2, $3, 1) \
                         ON CONFLICT (digest) DO UPDATE SET \
                         started_ms = CASE WHEN login_failures.ends_ms <= $2 \
                             THEN $2 ELSE login_failures.started_ms END, \
                         ends_ms = CASE WHEN login_failures.ends_ms <= $2 \
                             THEN $3 ELSE login_failures.ends_ms END, \
                         failures = CASE WHEN login_failures.ends_ms <= $2 \
                             THEN 1 ELSE login_failures.failures + 1 END",
                    )
                    .bind(h)
                    .bind(now_ms)
                    .bind(now_ms.saturating_add(window_ms))
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn clear_login_failures(&self, keys: &[[u8; 32]]) -> Result<()> {
                let hexed = hex_sorted(keys);
                if hexed.is_empty() {
                    return Ok(());
                }
                let mut q =
                    sqlx::QueryBuilder::<$db>::new("DELETE FROM login_failures WHERE digest IN (");
                let mut list = q.separated(", ");
                for h in &hexed {
                    list.push_bind(h.as_str());
                }
                list.push_unseparated(")");
                q.build().execute(&self.pool).await?;
                Ok(())
            }

            async fn purge_login_failures(&self, now_ms: i64) -> Result<u64> {
                let done = sqlx::query("DELETE FROM login_failures WHERE ends_ms <= $1")
                    .bind(now_ms)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }
        }
    };
}

limits_impl!(SqliteStore, sqlx::Sqlite);
limits_impl!(PgStore, sqlx::Postgres);

// The crate's `dispatch!` is defined after the modules in lib.rs and so is not in scope here;
// its match is small enough to write out.
impl LimitStore for AnyStore {
    async fn login_failures(&self, keys: &[[u8; 32]], now_ms: i64) -> Result<Vec<FailureWindow>> {
        match self {
            AnyStore::Sqlite(s) => s.login_failures(keys, now_ms).await,
            AnyStore::Postgres(s) => s.login_failures(keys, now_ms).await,
        }
    }
    async fn count_login_failure(
        &self,
        keys: &[[u8; 32]],
        now_ms: i64,
        window_ms: i64,
    ) -> Result<()> {
        match self {
            AnyStore::Sqlite(s) => s.count_login_failure(keys, now_ms, window_ms).await,
            AnyStore::Postgres(s) => s.count_login_failure(keys, now_ms, window_ms).await,
        }
    }
    async fn clear_login_failures(&self, keys: &[[u8; 32]]) -> Result<()> {
        match self {
            AnyStore::Sqlite(s) => s.clear_login_failures(keys).await,
            AnyStore::Postgres(s) => s.clear_login_failures(keys).await,
        }
    }
    async fn purge_login_failures(&self, now_ms: i64) -> Result<u64> {
        match self {
            AnyStore::Sqlite(s) => s.purge_login_failures(now_ms).await,
            AnyStore::Postgres(s) => s.purge_login_failures(now_ms).await,
        }
    }
}
