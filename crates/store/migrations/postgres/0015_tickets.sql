-- Support desk tickets. customer is NULL for mail from an unknown sender (held for staff);
-- requester is the address such mail came from. services and incidents are JSON arrays.
-- due_ms is the earliest due time of a target neither met nor yet missed (the queue's
-- order and the breach timer's cue; 9223372036854775807 when none runs); breached says some
-- target was missed. active is 1 while the ticket is neither resolved, closed nor merged.
-- version grows with every write: a change computed from an older read is refused.
-- Queries say `active = TRUE` (not `active`), which SQLite can search its indexes by.
CREATE TABLE tickets (
    id             BIGSERIAL PRIMARY KEY,
    customer       TEXT,
    requester      TEXT,
    subject        TEXT    NOT NULL,
    department     TEXT    NOT NULL,
    priority       TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    tier           TEXT    NOT NULL,
    language       TEXT    NOT NULL,
    services       TEXT    NOT NULL,
    incidents      TEXT    NOT NULL,
    assignee       TEXT,
    merged_into    BIGINT,
    active         BOOLEAN NOT NULL,
    due_ms         BIGINT  NOT NULL,
    breached       BOOLEAN NOT NULL,
    rating         BIGINT,
    rating_comment TEXT,
    rated_ms       BIGINT,
    created_ms     BIGINT  NOT NULL,
    updated_ms     BIGINT  NOT NULL,
    version        BIGINT  NOT NULL
);
CREATE INDEX tickets_queue ON tickets (active, breached DESC, due_ms, id);
CREATE INDEX tickets_tier_queue ON tickets (active, tier, breached DESC, due_ms, id);
CREATE INDEX tickets_due ON tickets (active, due_ms, id);
CREATE INDEX tickets_customer ON tickets (customer, id);
CREATE INDEX tickets_status ON tickets (status, id);

-- What happened to a ticket, in order. kind: created | customer | reply | note | status |
-- assign | triage | merge | rating | link. message_id is the e-mail's Message-ID of a
-- message in or out (unique: a repeated inbound message is added once); attachments is a
-- JSON array of {name, content_type, size, key} (key in the archive).
CREATE TABLE ticket_events (
    id          BIGSERIAL PRIMARY KEY,
    ticket      BIGINT  NOT NULL,
    kind        TEXT    NOT NULL,
    author      TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    public      BOOLEAN NOT NULL,
    status      TEXT,
    message_id  TEXT UNIQUE,
    attachments TEXT    NOT NULL,
    at_ms       BIGINT  NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket, id);

-- Targets missed, recorded once each (the breach mail is queued with the row).
CREATE TABLE ticket_breaches (
    ticket      BIGINT  NOT NULL,
    target      TEXT    NOT NULL,
    due_ms      BIGINT  NOT NULL,
    recorded_ms BIGINT  NOT NULL,
    PRIMARY KEY (ticket, target, due_ms)
);

-- Replies staff reuse.
CREATE TABLE canned_replies (
    id         BIGSERIAL PRIMARY KEY,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    language   TEXT    NOT NULL,
    created_by TEXT    NOT NULL,
    created_ms BIGINT  NOT NULL
);
