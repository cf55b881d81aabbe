-- Service downs a leader decided but writes in later commits (see the SQLite migration of the
-- same number).
CREATE TABLE incident_backlog (
    id    BIGSERIAL PRIMARY KEY,
    downs TEXT      NOT NULL
);
