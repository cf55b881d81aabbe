-- Who is on duty when: staff shifts, at most one lead at a time (the store refuses an
-- overlapping lead shift). Times are ms since the epoch, a shift covers [starts_ms, ends_ms).
CREATE TABLE shifts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    login      TEXT    NOT NULL,
    starts_ms  INTEGER NOT NULL,
    ends_ms    INTEGER NOT NULL,
    lead       BOOLEAN NOT NULL,
    created_by TEXT    NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE INDEX shifts_ends ON shifts (ends_ms);

-- Where a member of staff is mailed (the shift lead, of an opened incident).
ALTER TABLE accounts ADD COLUMN email TEXT;
