-- Emergency drills: what is tested (targets, a JSON list of vertex ids), when (an RFC 5545
-- RRULE from its first occurrence start_ms, in the provider's time zone), for how long, and
-- whether customers are told. Times are ms since the epoch.
CREATE TABLE drills (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    title       TEXT    NOT NULL,
    targets     TEXT    NOT NULL,
    rrule       TEXT    NOT NULL,
    start_ms    INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    announced   BOOLEAN NOT NULL,
    created_by  TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL
);

-- What came of one occurrence of a drill: at most one result each, even when several
-- instances record at once (the unique key refuses the second).
CREATE TABLE drill_results (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    drill         INTEGER NOT NULL REFERENCES drills (id),
    occurrence_ms INTEGER NOT NULL,
    outcome       TEXT    NOT NULL,
    started_ms    INTEGER NOT NULL,
    ended_ms      INTEGER NOT NULL,
    notes         TEXT    NOT NULL,
    recorded_by   TEXT    NOT NULL,
    recorded_ms   INTEGER NOT NULL,
    UNIQUE (drill, occurrence_ms)
);
