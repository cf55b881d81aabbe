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
];
