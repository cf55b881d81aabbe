-- Every alert received, as the log of what monitoring said, in arrival order.
CREATE TABLE alerts (
    id          BIGSERIAL PRIMARY KEY,
    source      TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    vertices    TEXT    NOT NULL,
    unmatched   BOOLEAN NOT NULL,
    received_ms BIGINT  NOT NULL,
    body_key    TEXT
);
CREATE INDEX alerts_unmatched ON alerts (unmatched, id);

-- What each alert currently asserts about each vertex, so that its resolution withdraws
-- exactly that and nothing asserted by another alert.
CREATE TABLE assertions (
    source      TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    vertex      TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    since_ms    BIGINT  NOT NULL,
    PRIMARY KEY (source, fingerprint, vertex)
);
