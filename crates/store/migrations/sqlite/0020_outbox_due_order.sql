-- A claim takes the due notices in (next_ms, id) order. With attempts in the index between
-- next_ms and the row id, SQLite sorted every queued row by id at each claim: during a
-- fan-out of 10,000 notices each claim read all of them. The id is named in the index
-- (SQLite's planner does not count on the row id that ends every index for the order); the
-- few notices that are retrying have their own partial index for the counts.
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (state, next_ms, id);
CREATE INDEX outbox_retrying ON outbox (state) WHERE attempts > 0;
