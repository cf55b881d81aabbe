//! Accounts, sessions, tokens, audit, preferences, component statuses and shifts in SQL:
//! the same statements on both backends.

use sqlx::Row;

use crate::accounts::{
    Account, AccountStore, AuditEntry, ComponentStatus, NewAccount, OnDuty, Preferences, Session,
    Shift, ShiftOverlap,
};
use crate::sql::{PgStore, SqliteStore};
use crate::{Result, StoreError};

/// The columns `account_from!` reads, in order, from an `accounts a` join.
macro_rules! account_columns {
    () => {
        "a.id, a.login, a.role, a.customer, a.password_hash, a.disabled, a.email"
    };
}

/// A JSON list of strings as stored (`what` names it in the error).
pub(crate) fn list_from(text: &str, what: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// A list of strings as stored: JSON.
pub(crate) fn list_json(list: &[String]) -> String {
    serde_json::Value::from(list.to_vec()).to_string()
}

macro_rules! account_from {
    ($r:expr) => {
        Account {
            id: $r.try_get(0)?,
            login: $r.try_get(1)?,
            role: $r.try_get(2)?,
            customer: $r.try_get(3)?,
            password_hash: $r.try_get(4)?,
            disabled: $r.try_get(5)?,
            email: $r.try_get(6)?,
        }
    };
}

macro_rules! preferences_from {
    ($r:expr, $at:expr) => {
        Preferences {
            language: $r.try_get($at)?,
            contacts: list_from(&$r.try_get::<String, _>($at + 1)?, "preference contacts")?,
            webhook_url: $r.try_get($at + 2)?,
            webhook_secret: $r.try_get($at + 3)?,
            feed_token: $r.try_get($at + 4)?,
            updated_ms: $r.try_get($at + 5)?,
        }
    };
}

macro_rules! shift_from {
    ($r:expr) => {
        Shift {
            id: $r.try_get(0)?,
            login: $r.try_get(1)?,
            starts_ms: $r.try_get(2)?,
            ends_ms: $r.try_get(3)?,
            lead: $r.try_get(4)?,
            created_by: $r.try_get(5)?,
            created_ms: $r.try_get(6)?,
        }
    };
}

macro_rules! accounts_impl {
    ($store:ty, $shift_lock:expr) => {
        impl AccountStore for $store {
            async fn create_account(&self, a: &NewAccount<'_>) -> Result<Option<i64>> {
                let row = sqlx::query(
                    "INSERT INTO accounts (login, role, customer, password_hash, created_ms, disabled, email) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (login) DO NOTHING RETURNING id",
                )
                .bind(a.login)
                .bind(a.role)
                .bind(a.customer)
                .bind(a.password_hash)
                .bind(a.created_ms)
                .bind(false)
                .bind(a.email)
                .fetch_optional(&self.pool)
                .await?;
                Ok(match row {
                    Some(r) => Some(r.try_get(0)?),
                    None => None,
                })
            }

            async fn set_password(&self, login: &str, hash: &str) -> Result<bool> {
                let done = sqlx::query(
                    "UPDATE accounts SET password_hash = $2, disabled = $3 WHERE login = $1",
                )
                .bind(login)
                .bind(hash)
                .bind(false)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() > 0)
            }

            async fn set_disabled(&self, login: &str, disabled: bool) -> Result<bool> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query("UPDATE accounts SET disabled = $2 WHERE login = $1")
                    .bind(login)
                    .bind(disabled)
                    .execute(&mut *tx)
                    .await?;
                if disabled {
                    for sql in [
                        "DELETE FROM sessions WHERE account_id IN \
                         (SELECT id FROM accounts WHERE login = $1)",
                        "DELETE FROM api_tokens WHERE account_id IN \
                         (SELECT id FROM accounts WHERE login = $1)",
                    ] {
                        sqlx::query(sql).bind(login).execute(&mut *tx).await?;
                    }
                }
                tx.commit().await?;
                Ok(done.rows_affected() > 0)
            }

            async fn account_by_login(&self, login: &str) -> Result<Option<Account>> {
                let row = sqlx::query(concat!("SELECT ", account_columns!(), " FROM accounts a WHERE a.login = $1"))
                .bind(login)
                .fetch_optional(&self.pool)
                .await?;
                Ok(match row {
                    Some(r) => Some(account_from!(r)),
                    None => None,
                })
            }

            async fn accounts(&self) -> Result<Vec<Account>> {
                let rows = sqlx::query(concat!("SELECT ", account_columns!(), " FROM accounts a ORDER BY a.login"))
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|r| Ok(account_from!(r))).collect()
            }

            async fn create_session(
                &self,
                token_hash: &str,
                account_id: i64,
                csrf: &str,
                created_ms: i64,
                expires_ms: i64,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO sessions (token_hash, account_id, csrf, created_ms, expires_ms) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(token_hash)
                .bind(account_id)
                .bind(csrf)
                .bind(created_ms)
                .bind(expires_ms)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn session(&self, token_hash: &str, now_ms: i64) -> Result<Option<Session>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    account_columns!(),
                    ", s.csrf, s.expires_ms FROM sessions s \
                     JOIN accounts a ON a.id = s.account_id \
                     WHERE s.token_hash = $1 AND s.expires_ms > $2 AND a.disabled = $3"
                ))
                .bind(token_hash)
                .bind(now_ms)
                .bind(false)
                .fetch_optional(&self.pool)
                .await?;
                Ok(match row {
                    Some(r) => Some(Session {
                        account: account_from!(r),
                        csrf: r.try_get(7)?,
                        expires_ms: r.try_get(8)?,
                    }),
                    None => None,
                })
            }

            async fn delete_session(&self, token_hash: &str) -> Result<()> {
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn purge_sessions(&self, now_ms: i64) -> Result<u64> {
                let done = sqlx::query("DELETE FROM sessions WHERE expires_ms <= $1")
                    .bind(now_ms)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            async fn create_token(
                &self,
                token_hash: &str,
                account_id: i64,
                name: &str,
                created_ms: i64,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO api_tokens (token_hash, account_id, name, created_ms) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(token_hash)
                .bind(account_id)
                .bind(name)
                .bind(created_ms)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn token_account(&self, token_hash: &str) -> Result<Option<Account>> {
                let row = sqlx::query(concat!(
                    "SELECT ",
                    account_columns!(),
                    " FROM api_tokens t \
                     JOIN accounts a ON a.id = t.account_id \
                     WHERE t.token_hash = $1 AND a.disabled = $2"
                ))
                .bind(token_hash)
                .bind(false)
                .fetch_optional(&self.pool)
                .await?;
                Ok(match row {
                    Some(r) => Some(account_from!(r)),
                    None => None,
                })
            }

            async fn audit(
                &self,
                at_ms: i64,
                actor: &str,
                action: &str,
                target: &str,
                detail: &str,
            ) -> Result<i64> {
                let row = sqlx::query(
                    "INSERT INTO audit (at_ms, actor, action, target, detail) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(at_ms)
                .bind(actor)
                .bind(action)
                .bind(target)
                .bind(detail)
                .fetch_one(&self.pool)
                .await?;
                Ok(row.try_get(0)?)
            }

            async fn audit_log(&self, limit: i64, target: Option<&str>) -> Result<Vec<AuditEntry>> {
                let rows = sqlx::query(
                    "SELECT id, at_ms, actor, action, target, detail FROM audit \
                     WHERE ($2 IS NULL OR target = $2) ORDER BY id DESC LIMIT $1",
                )
                .bind(limit)
                .bind(target)
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(AuditEntry {
                            id: r.try_get(0)?,
                            at_ms: r.try_get(1)?,
                            actor: r.try_get(2)?,
                            action: r.try_get(3)?,
                            target: r.try_get(4)?,
                            detail: r.try_get(5)?,
                        })
                    })
                    .collect()
            }

            async fn preferences(&self, customer: &str) -> Result<Option<Preferences>> {
                let row = sqlx::query(
                    "SELECT language, contacts, webhook_url, webhook_secret, feed_token, updated_ms \
                     FROM customer_preferences WHERE customer = $1",
                )
                .bind(customer)
                .fetch_optional(&self.pool)
                .await?;
                Ok(match row {
                    Some(r) => Some(preferences_from!(r, 0)),
                    None => None,
                })
            }

            async fn all_preferences(&self) -> Result<Vec<(String, Preferences)>> {
                let rows = sqlx::query(
                    "SELECT customer, language, contacts, webhook_url, webhook_secret, feed_token, \
                     updated_ms FROM customer_preferences ORDER BY customer",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| Ok((r.try_get(0)?, preferences_from!(r, 1))))
                    .collect()
            }

            async fn set_preferences(&self, customer: &str, p: &Preferences) -> Result<()> {
                sqlx::query(
                    "INSERT INTO customer_preferences \
                     (customer, language, contacts, webhook_url, webhook_secret, feed_token, updated_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (customer) DO UPDATE SET \
                     language = excluded.language, contacts = excluded.contacts, \
                     webhook_url = excluded.webhook_url, webhook_secret = excluded.webhook_secret, \
                     feed_token = excluded.feed_token, updated_ms = excluded.updated_ms",
                )
                .bind(customer)
                .bind(p.language.as_deref())
                .bind(list_json(&p.contacts))
                .bind(p.webhook_url.as_deref())
                .bind(p.webhook_secret.as_deref())
                .bind(&p.feed_token)
                .bind(p.updated_ms)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn customer_by_feed_token(&self, token: &str) -> Result<Option<String>> {
                let row = sqlx::query("SELECT customer FROM customer_preferences WHERE feed_token = $1")
                    .bind(token)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(match row {
                    Some(r) => Some(r.try_get(0)?),
                    None => None,
                })
            }

            async fn component_statuses(&self) -> Result<Vec<ComponentStatus>> {
                let rows = sqlx::query(
                    "SELECT component, status, note, set_by, set_ms FROM component_status ORDER BY component",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.iter()
                    .map(|r| {
                        Ok(ComponentStatus {
                            component: r.try_get(0)?,
                            status: r.try_get(1)?,
                            note: r.try_get(2)?,
                            set_by: r.try_get(3)?,
                            set_ms: r.try_get(4)?,
                        })
                    })
                    .collect()
            }

            async fn set_component_status(
                &self,
                component: &str,
                status: Option<&ComponentStatus>,
            ) -> Result<()> {
                match status {
                    None => {
                        sqlx::query("DELETE FROM component_status WHERE component = $1")
                            .bind(component)
                            .execute(&self.pool)
                            .await?;
                    }
                    Some(s) => {
                        sqlx::query(
                            "INSERT INTO component_status (component, status, note, set_by, set_ms) \
                             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (component) DO UPDATE SET \
                             status = excluded.status, note = excluded.note, \
                             set_by = excluded.set_by, set_ms = excluded.set_ms",
                        )
                        .bind(component)
                        .bind(&s.status)
                        .bind(&s.note)
                        .bind(&s.set_by)
                        .bind(s.set_ms)
                        .execute(&self.pool)
                        .await?;
                    }
                }
                Ok(())
            }

            async fn add_shift(&self, s: &Shift) -> Result<std::result::Result<i64, ShiftOverlap>> {
                let mut tx = self.pool.begin().await?;
                // Two instances adding lead shifts at once must not both see no overlap: on
                // PostgreSQL they queue on an advisory lock; SQLite has one writer, taken by
                // the insert before the check.
                if let Some(lock) = $shift_lock {
                    sqlx::query(lock).execute(&mut *tx).await?;
                }
                let row = sqlx::query(
                    "INSERT INTO shifts (login, starts_ms, ends_ms, lead, created_by, created_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(&s.login)
                .bind(s.starts_ms)
                .bind(s.ends_ms)
                .bind(s.lead)
                .bind(&s.created_by)
                .bind(s.created_ms)
                .fetch_one(&mut *tx)
                .await?;
                let id: i64 = row.try_get(0)?;
                if s.lead {
                    let other = sqlx::query(
                        "SELECT id, login, starts_ms, ends_ms, lead, created_by, created_ms FROM shifts \
                         WHERE lead = $1 AND id <> $2 AND starts_ms < $4 AND ends_ms > $3 \
                         ORDER BY starts_ms, id LIMIT 1",
                    )
                    .bind(true)
                    .bind(id)
                    .bind(s.starts_ms)
                    .bind(s.ends_ms)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(r) = other {
                        // Dropping the transaction rolls the insert back.
                        return Ok(Err(ShiftOverlap { existing: shift_from!(r) }));
                    }
                }
                tx.commit().await?;
                Ok(Ok(id))
            }

            async fn shifts(&self, from_ms: i64, to_ms: i64) -> Result<Vec<Shift>> {
                let rows = sqlx::query(
                    "SELECT id, login, starts_ms, ends_ms, lead, created_by, created_ms FROM shifts \
                     WHERE ends_ms > $1 AND starts_ms < $2 ORDER BY starts_ms, id",
                )
                .bind(from_ms)
                .bind(to_ms)
                .fetch_all(&self.pool)
                .await?;
                rows.iter().map(|r| Ok(shift_from!(r))).collect()
            }

            async fn on_duty(&self, at_ms: i64) -> Result<OnDuty> {
                let rows = sqlx::query(
                    "SELECT s.login, s.lead, a.email FROM shifts s \
                     LEFT JOIN accounts a ON a.login = s.login \
                     WHERE s.starts_ms <= $1 AND s.ends_ms > $1 ORDER BY s.login, s.id",
                )
                .bind(at_ms)
                .fetch_all(&self.pool)
                .await?;
                let mut duty = OnDuty::default();
                for r in &rows {
                    let login: String = r.try_get(0)?;
                    if r.try_get::<bool, _>(1)? && duty.lead.is_none() {
                        duty.lead = Some(login.clone());
                        duty.lead_email = r.try_get(2)?;
                    }
                    if duty.on_duty.last() != Some(&login) {
                        duty.on_duty.push(login);
                    }
                }
                Ok(duty)
            }
        }
    };
}

accounts_impl!(SqliteStore, None::<&'static str>);
accounts_impl!(PgStore, Some("SELECT pg_advisory_xact_lock(7469790)"));
