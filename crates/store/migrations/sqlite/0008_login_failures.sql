-- Failed logins counted in fixed windows, shared by every instance on the database. A row is
-- kept under the hex SHA-256 of what it counts (a login, an address, or both), never under
-- the login or the address itself.
CREATE TABLE login_failures (
    digest     TEXT    PRIMARY KEY,
    started_ms INTEGER NOT NULL,
    ends_ms    INTEGER NOT NULL,
    failures   INTEGER NOT NULL
);
CREATE INDEX login_failures_ends ON login_failures (ends_ms);
