-- Outages recorded by staff for what monitoring missed: the vertices observed down and
-- degraded (JSON arrays of vertex ids, in the order given) from start_ms to end_ms.
CREATE TABLE outages (
    id         BIGSERIAL PRIMARY KEY,
    down       TEXT    NOT NULL,
    degraded   TEXT    NOT NULL,
    start_ms   BIGINT  NOT NULL,
    end_ms     BIGINT  NOT NULL,
    note       TEXT    NOT NULL,
    created_by TEXT    NOT NULL,
    created_ms BIGINT  NOT NULL
);
-- "Outages overlapping [from, to)": start_ms < to bounds the range scan, end_ms > from is
-- checked in the index.
CREATE INDEX outages_span ON outages (start_ms, end_ms);

-- SLA credits: at most one per service and month, even when several instances make the
-- month final at once (the unique key decides). Amounts are integers in the currency's minor
-- units; percent and vat_rate are decimal text, kept exactly as computed; offers is JSON the
-- store does not read. status: offered | chosen | approved | rejected | expired.
CREATE TABLE credits (
    id             BIGSERIAL PRIMARY KEY,
    service        TEXT    NOT NULL,
    customer       TEXT    NOT NULL,
    month          TEXT    NOT NULL,
    percent        TEXT    NOT NULL,
    net_minor      BIGINT  NOT NULL,
    vat_minor      BIGINT  NOT NULL,
    gross_minor    BIGINT  NOT NULL,
    currency       TEXT    NOT NULL,
    vat_rate       TEXT    NOT NULL,
    reverse_charge BOOLEAN NOT NULL,
    month_seconds  BIGINT  NOT NULL,
    down_seconds   BIGINT  NOT NULL,
    offers         TEXT    NOT NULL,
    default_offer  TEXT    NOT NULL,
    needs_approval BOOLEAN NOT NULL,
    deadline_ms    BIGINT  NOT NULL,
    status         TEXT    NOT NULL,
    choice         TEXT,
    chosen_ms      BIGINT,
    reason         TEXT,
    decided_by     TEXT,
    decided_ms     BIGINT,
    created_ms     BIGINT  NOT NULL,
    UNIQUE (service, month)
);
CREATE INDEX credits_customer ON credits (customer, id);
CREATE INDEX credits_status ON credits (status, deadline_ms, id);
CREATE INDEX credits_month ON credits (month, id);

-- The SLA timeline reads alerts by time of receipt, and the latest alert of each
-- (source, fingerprint) before an instant.
CREATE INDEX alerts_received ON alerts (received_ms);
CREATE INDEX alerts_identity ON alerts (source, fingerprint, id);

-- A customer's sent e-mails by time (the client area lists those behind each credit).
CREATE INDEX outbox_customer_sent ON outbox (customer, sent_ms);
