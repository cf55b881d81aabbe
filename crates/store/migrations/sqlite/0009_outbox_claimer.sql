-- Which instance claimed a notice being sent (PostgreSQL: the number of the advisory lock
-- its session holds while it lives), so that the leader gives a dead instance's claims back
-- at once instead of when their lease runs out. NULL on SQLite, which has one instance.
ALTER TABLE outbox ADD COLUMN claimed_by BIGINT;
