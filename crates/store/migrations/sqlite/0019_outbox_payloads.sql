-- What each notice says lives apart from its outbox row. The row changes at every claim and
-- verdict; with a notice of a few kilobytes beside it, each change rewrote a whole page (one
-- row to a page) and reading the columns after it followed the row's overflow pages.
CREATE TABLE outbox_payloads (
    id      INTEGER PRIMARY KEY REFERENCES outbox (id) ON DELETE CASCADE,
    payload TEXT    NOT NULL
);
INSERT INTO outbox_payloads (id, payload) SELECT id, payload FROM outbox;
ALTER TABLE outbox DROP COLUMN payload;
-- The counts (how many retry) come from the index alone.
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (state, next_ms, attempts);
