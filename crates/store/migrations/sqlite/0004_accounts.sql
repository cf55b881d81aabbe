-- People who log in: staff (by role) and customers (one inventory customer each).
CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    login         TEXT    NOT NULL UNIQUE,
    role          TEXT    NOT NULL,
    customer      TEXT,
    password_hash TEXT    NOT NULL,
    created_ms    INTEGER NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT 0
);

-- Browser sessions, by the SHA-256 of the cookie's token (the token itself is never stored).
CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    csrf       TEXT    NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Bearer tokens for the JSON API and scripts, by SHA-256.
CREATE TABLE api_tokens (
    token_hash TEXT    PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    name       TEXT    NOT NULL,
    created_ms INTEGER NOT NULL
);

-- Who did what by hand, in order: marks, overrides, updates, preference changes, logins.
CREATE TABLE audit (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms  INTEGER NOT NULL,
    actor  TEXT    NOT NULL,
    action TEXT    NOT NULL,
    target TEXT    NOT NULL,
    detail TEXT    NOT NULL
);

-- What a customer chose in the client area; the inventory's values apply where nothing is set.
CREATE TABLE customer_preferences (
    customer       TEXT    PRIMARY KEY,
    language       TEXT,
    contacts       TEXT    NOT NULL,
    webhook_url    TEXT,
    webhook_secret TEXT,
    feed_token     TEXT    NOT NULL UNIQUE,
    updated_ms     INTEGER NOT NULL
);

-- Component statuses staff set by hand (degraded_performance, under_maintenance).
CREATE TABLE component_status (
    component TEXT    PRIMARY KEY,
    status    TEXT    NOT NULL,
    note      TEXT    NOT NULL,
    set_by    TEXT    NOT NULL,
    set_ms    INTEGER NOT NULL
);

-- Planned maintenance windows announced on the status page and in the iCalendar feed.
CREATE TABLE maintenances (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    components TEXT    NOT NULL,
    starts_ms  INTEGER NOT NULL,
    ends_ms    INTEGER NOT NULL,
    created_by TEXT    NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX maintenances_ends ON maintenances (ends_ms);

ALTER TABLE incident_updates ADD COLUMN author TEXT NOT NULL DEFAULT '';
