-- Every alert received, as the log of what monitoring said, in arrival order.
CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source      TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    state       TEXT    NOT NULL,
    vertices    TEXT    NOT NULL,
    unmatched   INTEGER NOT NULL,
    received_ms INTEGER NOT NULL,
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
    since_ms    INTEGER NOT NULL,
    PRIMARY KEY (source, fingerprint, vertex)
);
