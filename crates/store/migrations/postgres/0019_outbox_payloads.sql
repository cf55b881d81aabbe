-- What each notice says lives apart from its outbox row, which changes at every claim and
-- verdict (see the SQLite migration of the same number).
CREATE TABLE outbox_payloads (
    id      BIGINT PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
    payload TEXT   NOT NULL
);
INSERT INTO outbox_payloads (id, payload) SELECT id, payload FROM outbox;
ALTER TABLE outbox DROP COLUMN payload;
-- The counts (how many retry) come from the index alone.
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (state, next_ms, attempts);
