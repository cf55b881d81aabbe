-- Service downs a leader decided but writes in later commits (a fan-out's rows go in chunks,
-- so that its first notices go out while the rest is written): kept here until written, so
-- that a successor writes them, with the time they went down, if the leader dies first.
CREATE TABLE incident_backlog (
    id    INTEGER PRIMARY KEY,
    downs TEXT    NOT NULL
);
