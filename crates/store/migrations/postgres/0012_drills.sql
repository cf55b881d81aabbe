-- Emergency drills: what is tested (targets, a JSON list of vertex ids), when (an RFC 5545
-- RRULE from its first occurrence start_ms, in the provider's time zone), for how long, and
-- whether customers are told. Times are ms since the epoch.
CREATE TABLE drills (
    id          BIGSERIAL PRIMARY KEY,
    title       TEXT    NOT NULL,
    targets     TEXT    NOT NULL,
    rrule       TEXT    NOT NULL,
    start_ms    BIGINT NOT NULL,
    duration_ms BIGINT NOT NULL,
    announced   BOOLEAN NOT NULL,
    created_by  TEXT    NOT NULL,
    created_ms  BIGINT NOT NULL
);

-- What came of one occurrence of a drill: at most one result each, even when several
-- instances record at once (the unique key refuses the second).
CREATE TABLE drill_results (
    id            BIGSERIAL PRIMARY KEY,
    drill         BIGINT NOT NULL REFERENCES drills (id),
    occurrence_ms BIGINT NOT NULL,
    outcome       TEXT    NOT NULL,
    started_ms    BIGINT NOT NULL,
    ended_ms      BIGINT NOT NULL,
    notes         TEXT    NOT NULL,
    recorded_by   TEXT    NOT NULL,
    recorded_ms   BIGINT NOT NULL,
    UNIQUE (drill, occurrence_ms)
);
