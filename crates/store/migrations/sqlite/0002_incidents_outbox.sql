-- Incidents opened from impact, and their services with down time.
CREATE TABLE incidents (
    id          INTEGER PRIMARY KEY,
    status      TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    roots       TEXT    NOT NULL,
    opened_ms   INTEGER NOT NULL,
    resolved_ms INTEGER
);
CREATE INDEX incidents_open ON incidents (resolved_ms, id);

CREATE TABLE incident_services (
    incident_id   INTEGER NOT NULL REFERENCES incidents (id),
    service       TEXT    NOT NULL,
    customer      TEXT,
    down_since_ms INTEGER,
    down_total_ms INTEGER NOT NULL,
    first_down_ms INTEGER NOT NULL,
    announced     INTEGER NOT NULL,
    PRIMARY KEY (incident_id, service)
);

-- Public updates and internal notes, in the order written.
CREATE TABLE incident_updates (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    status      TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    public      INTEGER NOT NULL,
    at_ms       INTEGER NOT NULL
);

-- The durable outbox: one row per (incident, contact, kind), written in the same transaction
-- as the change that makes it due; workers claim rows with a lease.
CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER NOT NULL,
    customer    TEXT    NOT NULL,
    contact     TEXT    NOT NULL,
    language    TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    attempts    INTEGER NOT NULL,
    next_ms     INTEGER NOT NULL,
    lease_ms    INTEGER,
    last_error  TEXT,
    created_ms  INTEGER NOT NULL,
    sent_ms     INTEGER,
    message_key TEXT,
    UNIQUE (incident_id, contact, kind)
);
CREATE INDEX outbox_due ON outbox (state, next_ms);
