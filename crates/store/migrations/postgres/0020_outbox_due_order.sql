-- A claim takes the due notices in (next_ms, id) order, straight from this index (see the
-- SQLite migration of the same number); the retrying ones have their own partial index.
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (state, next_ms, id);
CREATE INDEX outbox_retrying ON outbox (state) WHERE attempts > 0;
