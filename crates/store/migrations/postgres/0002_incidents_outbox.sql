-- Incidents opened from impact, and their services with down time.
CREATE TABLE incidents (
    id          BIGINT  PRIMARY KEY,
    status      TEXT    NOT NULL,
    title       TEXT    NOT NULL,
    roots       TEXT    NOT NULL,
    opened_ms   BIGINT  NOT NULL,
    resolved_ms BIGINT
);
CREATE INDEX incidents_open ON incidents (resolved_ms, id);

CREATE TABLE incident_services (
    incident_id   BIGINT  NOT NULL REFERENCES incidents (id),
    service       TEXT    NOT NULL,
    customer      TEXT,
    down_since_ms BIGINT,
    down_total_ms BIGINT  NOT NULL,
    first_down_ms BIGINT  NOT NULL,
    announced     BOOLEAN NOT NULL,
    PRIMARY KEY (incident_id, service)
);

-- Public updates and internal notes, in the order written.
CREATE TABLE incident_updates (
    id          BIGSERIAL PRIMARY KEY,
    incident_id BIGINT  NOT NULL REFERENCES incidents (id),
    status      TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    public      BOOLEAN NOT NULL,
    at_ms       BIGINT  NOT NULL
);

-- The durable outbox: one row per (incident, contact, kind), written in the same transaction
-- as the change that makes it due; workers claim rows with a lease.
CREATE TABLE outbox (
    id          BIGSERIAL PRIMARY KEY,
    incident_id BIGINT  NOT NULL,
    customer    TEXT    NOT NULL,
    contact     TEXT    NOT NULL,
    language    TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    payload     TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    attempts    BIGINT  NOT NULL,
    next_ms     BIGINT  NOT NULL,
    lease_ms    BIGINT,
    last_error  TEXT,
    created_ms  BIGINT  NOT NULL,
    sent_ms     BIGINT,
    message_key TEXT,
    UNIQUE (incident_id, contact, kind)
);
CREATE INDEX outbox_due ON outbox (state, next_ms);
