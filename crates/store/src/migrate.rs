//! Schema migrations, embedded in the binary: numbered SQL scripts per backend, each applied
//! once in its own transaction and recorded in `tocsin_migrations`.

/// One migration: its number and its SQL for SQLite and for PostgreSQL.
pub struct Migration {
    /// Applied in increasing order.
    pub version: i64,
    /// Script for SQLite.
    pub sqlite: &'static str,
    /// Script for PostgreSQL.
    pub postgres: &'static str,
}

/// Every migration, oldest first. Never edit a released one: add the next.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sqlite: include_str!("../migrations/sqlite/0001_alerts.sql"),
        postgres: include_str!("../migrations/postgres/0001_alerts.sql"),
    },
    Migration {
        version: 2,
        sqlite: include_str!("../migrations/sqlite/0002_incidents_outbox.sql"),
        postgres: include_str!("../migrations/postgres/0002_incidents_outbox.sql"),
    },
    Migration {
        version: 3,
        sqlite: include_str!("../migrations/sqlite/0003_broadcasts.sql"),
        postgres: include_str!("../migrations/postgres/0003_broadcasts.sql"),
    },
    Migration {
        version: 4,
        sqlite: include_str!("../migrations/sqlite/0004_accounts.sql"),
        postgres: include_str!("../migrations/postgres/0004_accounts.sql"),
    },
    Migration {
        version: 5,
        sqlite: include_str!("../migrations/sqlite/0005_customer_incidents.sql"),
        postgres: include_str!("../migrations/postgres/0005_customer_incidents.sql"),
    },
    Migration {
        version: 6,
        sqlite: include_str!("../migrations/sqlite/0006_maintenance_changes.sql"),
        postgres: include_str!("../migrations/postgres/0006_maintenance_changes.sql"),
    },
    Migration {
        version: 7,
        sqlite: include_str!("../migrations/sqlite/0007_leadership.sql"),
        postgres: include_str!("../migrations/postgres/0007_leadership.sql"),
    },
    Migration {
        version: 8,
        sqlite: include_str!("../migrations/sqlite/0008_login_failures.sql"),
        postgres: include_str!("../migrations/postgres/0008_login_failures.sql"),
    },
    Migration {
        version: 9,
        sqlite: include_str!("../migrations/sqlite/0009_outbox_claimer.sql"),
        postgres: include_str!("../migrations/postgres/0009_outbox_claimer.sql"),
    },
    Migration {
        version: 10,
        sqlite: include_str!("../migrations/sqlite/0010_shifts.sql"),
        postgres: include_str!("../migrations/postgres/0010_shifts.sql"),
    },
    Migration {
        version: 11,
        sqlite: include_str!("../migrations/sqlite/0011_maintenance_targets.sql"),
        postgres: include_str!("../migrations/postgres/0011_maintenance_targets.sql"),
    },
    Migration {
        version: 12,
        sqlite: include_str!("../migrations/sqlite/0012_drills.sql"),
        postgres: include_str!("../migrations/postgres/0012_drills.sql"),
    },
    Migration {
        version: 13,
        sqlite: include_str!("../migrations/sqlite/0013_upgrades.sql"),
        postgres: include_str!("../migrations/postgres/0013_upgrades.sql"),
    },
    Migration {
        version: 14,
        sqlite: include_str!("../migrations/sqlite/0014_sla.sql"),
        postgres: include_str!("../migrations/postgres/0014_sla.sql"),
    },
    Migration {
        version: 15,
        sqlite: include_str!("../migrations/sqlite/0015_tickets.sql"),
        postgres: include_str!("../migrations/postgres/0015_tickets.sql"),
    },
    Migration {
        version: 16,
        sqlite: include_str!("../migrations/sqlite/0016_help.sql"),
        postgres: include_str!("../migrations/postgres/0016_help.sql"),
    },
    Migration {
        version: 17,
        sqlite: include_str!("../migrations/sqlite/0017_interventions.sql"),
        postgres: include_str!("../migrations/postgres/0017_interventions.sql"),
    },
    Migration {
        version: 18,
        sqlite: include_str!("../migrations/sqlite/0018_incident_revision.sql"),
        postgres: include_str!("../migrations/postgres/0018_incident_revision.sql"),
    },
    Migration {
        version: 19,
        sqlite: include_str!("../migrations/sqlite/0019_outbox_payloads.sql"),
        postgres: include_str!("../migrations/postgres/0019_outbox_payloads.sql"),
    },
    Migration {
        version: 20,
        sqlite: include_str!("../migrations/sqlite/0020_outbox_due_order.sql"),
        postgres: include_str!("../migrations/postgres/0020_outbox_due_order.sql"),
    },
    Migration {
        version: 21,
        sqlite: include_str!("../migrations/sqlite/0021_incident_backlog.sql"),
        postgres: include_str!("../migrations/postgres/0021_incident_backlog.sql"),
    },
    Migration {
        version: 22,
        sqlite: include_str!("../migrations/sqlite/0022_incident_services_by_key.sql"),
        postgres: include_str!("../migrations/postgres/0022_incident_services_by_key.sql"),
    },
    Migration {
        version: 23,
        sqlite: include_str!("../migrations/sqlite/0023_outbox_partial_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0023_outbox_partial_indexes.sql"),
    },
    Migration {
        version: 24,
        sqlite: include_str!("../migrations/sqlite/0024_incident_customers.sql"),
        postgres: include_str!("../migrations/postgres/0024_incident_customers.sql"),
    },
];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::MIGRATIONS;
    use crate::sql::SqliteStore;
    use crate::{MaintenanceStore, Store};

    /// A database in `dir` as a release whose last migration was `version` left it.
    async fn made_by_release_at(dir: &std::path::Path, version: i64) -> SqliteStore {
        let url = format!("sqlite://{}", dir.join("old.db").display());
        let store = SqliteStore::connect(&url).await.unwrap();
        sqlx::query("CREATE TABLE tocsin_migrations (version BIGINT PRIMARY KEY)")
            .execute(&store.pool)
            .await
            .unwrap();
        for m in MIGRATIONS.iter().filter(|m| m.version <= version) {
            sqlx::raw_sql(m.sqlite).execute(&store.pool).await.unwrap();
            sqlx::query("INSERT INTO tocsin_migrations (version) VALUES ($1)")
                .bind(m.version)
                .execute(&store.pool)
                .await
                .unwrap();
        }
        store
    }

    /// A database made by an older release keeps its rows through the newer migrations:
    /// here maintenance windows planned before 0006 get their `updated_ms` from `created_ms`.
    #[tokio::test]
    async fn an_older_database_is_upgraded_with_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let store = made_by_release_at(dir.path(), 5).await;
        sqlx::query(
            "INSERT INTO maintenances (title, body, components, starts_ms, ends_ms, created_by, created_ms) \
             VALUES ('Core switch upgrade', '', '[\"vps\"]', 1000, 2000, 'lead', 500)",
        )
        .execute(&store.pool)
        .await
        .unwrap();

        store.migrate().await.unwrap();
        let list = store.maintenances(0).await.unwrap();
        assert_eq!(list.len(), 1);
        let m = &list[0];
        assert_eq!(
            (m.title.as_str(), m.components.as_slice()),
            ("Core switch upgrade", &["vps".to_owned()][..])
        );
        assert_eq!((m.updated_ms, m.sequence, m.cancelled_ms), (500, 0, None));
        // And the new operations work on the old row.
        assert!(store.cancel_maintenance(m.id, 3000, &[]).await.unwrap());
        let m = &store.maintenances(0).await.unwrap()[0];
        assert_eq!(
            (m.updated_ms, m.sequence, m.cancelled_ms),
            (3000, 1, Some(3000))
        );
    }

    /// Notices queued before 0019 keep what they say when it moves to its own table, and
    /// are claimed with it.
    #[tokio::test]
    async fn queued_notices_keep_their_payload_when_it_moves_out_of_the_outbox() {
        use crate::IncidentStore;
        let dir = tempfile::tempdir().unwrap();
        let store = made_by_release_at(dir.path(), 18).await;
        sqlx::query(
            "INSERT INTO outbox (incident_id, customer, contact, language, kind, payload, state, attempts, next_ms, created_ms) \
             VALUES (7, 'acme', 'ops@acme.example', 'cs', 'opened', '{\"title\": \"sw-a\"}', 'queued', 0, 10, 10)",
        )
        .execute(&store.pool)
        .await
        .unwrap();

        store.migrate().await.unwrap();
        let claimed = store.claim_notices(20, 10, 1_000).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].notice.payload, "{\"title\": \"sw-a\"}");
        assert_eq!(claimed[0].notice.contact, "ops@acme.example");
        let listed = store.notices(10).await.unwrap();
        assert_eq!(listed[0].0.notice.payload, claimed[0].notice.payload);
    }

    /// A customer's incidents from before 0024 are still found once the index on the
    /// services' customers gives way to a row per customer and incident.
    #[tokio::test]
    async fn a_customer_keeps_its_incidents_when_they_move_to_their_own_table() {
        use crate::IncidentStore;
        let dir = tempfile::tempdir().unwrap();
        let store = made_by_release_at(dir.path(), 23).await;
        for sql in [
            "INSERT INTO incidents (id, status, title, roots, opened_ms) VALUES (1, 'resolved', 'sw-a', '[]', 10)",
            "INSERT INTO incidents (id, status, title, roots, opened_ms) VALUES (2, 'investigating', 'sw-b', '[]', 20)",
            "INSERT INTO incident_services (incident_id, service, customer, down_since_ms, down_total_ms, first_down_ms, announced) \
             VALUES (1, 'vps-1', 'acme', NULL, 5, 10, 1), (1, 'vps-2', 'acme', NULL, 5, 10, 1), \
                    (2, 'db-1', 'beta', 20, 0, 20, 1), (2, 'vps-3', 'acme', 20, 0, 20, 0), (2, 'sw-b', NULL, 20, 0, 20, 0)",
        ] {
            sqlx::query(sql).execute(&store.pool).await.unwrap();
        }

        store.migrate().await.unwrap();
        let ids = |rows: Vec<crate::IncidentRow>| rows.iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(
            ids(store.customer_incidents("acme", 10).await.unwrap()),
            [2, 1]
        );
        assert_eq!(
            ids(store.customer_incidents("beta", 10).await.unwrap()),
            [2]
        );
        let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM incident_customers")
            .fetch_one(&store.pool)
            .await
            .unwrap();
        assert_eq!(rows, 3);
    }

    /// A claim reads the queue in the order of the `outbox_due` index, without sorting the
    /// queued rows: with the index as 0019 left it, SQLite sorted every queued notice by id at
    /// each claim, so a fan-out's claims cost the square of its size.
    #[tokio::test]
    async fn a_claim_reads_the_queue_in_index_order() {
        // EXPLAIN does not check the schema a connection holds, so the plans are asked of
        // connections opened after the indexes changed.
        async fn reopened(dir: &std::path::Path) -> SqliteStore {
            let url = format!("sqlite://{}", dir.join("old.db").display());
            SqliteStore::connect(&url).await.unwrap()
        }
        let dir = tempfile::tempdir().unwrap();
        let plan = |store: SqliteStore| async move {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "EXPLAIN QUERY PLAN {}",
                crate::sql_incidents::SQLITE_CLAIM
            )))
            .bind(10i64)
            .bind(64i64)
            .bind(1_000i64)
            .bind(false)
            .bind(None::<i64>)
            .fetch_all(&store.pool)
            .await
            .unwrap();
            rows.iter()
                .map(|r| sqlx::Row::get::<String, _>(r, 3))
                .collect::<Vec<_>>()
                .join("\n")
        };
        drop(made_by_release_at(dir.path(), 19).await);
        let old = plan(reopened(dir.path()).await).await;
        // One sort for the expired leases (a handful of rows), one for every queued row.
        let sorts = |plan: &str| plan.matches("USE TEMP B-TREE").count();
        assert_eq!(sorts(&old), 2, "{old}");
        let dir = tempfile::tempdir().unwrap();
        let store = made_by_release_at(dir.path(), 19).await;
        store.migrate().await.unwrap();
        drop(store);
        let new = plan(reopened(dir.path()).await).await;
        assert!(
            new.contains("USING INDEX outbox_due (state=? AND next_ms<?)"),
            "{new}"
        );
        assert_eq!(sorts(&new), 1, "{new}");
    }
}
