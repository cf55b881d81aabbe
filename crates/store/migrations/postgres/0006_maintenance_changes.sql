-- Cancelled and moved maintenance windows stay in the calendar feed as the same event
-- (RFC 5545): a cancellation is marked rather than deleted, and every change bumps the
-- event's SEQUENCE and records when it was made (DTSTAMP, LAST-MODIFIED).
ALTER TABLE maintenances ADD COLUMN cancelled_ms BIGINT;
ALTER TABLE maintenances ADD COLUMN sequence BIGINT NOT NULL DEFAULT 0;
ALTER TABLE maintenances ADD COLUMN updated_ms BIGINT NOT NULL DEFAULT 0;
UPDATE maintenances SET updated_ms = created_ms;
