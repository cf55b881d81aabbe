-- OS interventions and sealed envelopes (shared/spec/desk.md). A ticket's kind is `ticket`,
-- `intervention` (the customer authorised work on their server) or `hardware` (a hardware
-- fault found during one, with the tier's replacement target).
ALTER TABLE tickets ADD COLUMN kind TEXT NOT NULL DEFAULT 'ticket';

-- The customer's authorisation of an intervention ticket and the credentials it hands over.
-- credentials and new_credentials are sealed by the running system (AEAD under the desk's
-- key file, bound to seal_ref and the column); nothing here is a secret in clear. Sealed
-- values are set to NULL when destroyed: credentials at revocation and close (purged_ms),
-- new credentials once the customer has read them.
CREATE TABLE interventions (
    ticket                  INTEGER PRIMARY KEY,
    server                  TEXT    NOT NULL,
    action                  TEXT    NOT NULL,
    complexity              TEXT    NOT NULL,
    scope                   TEXT    NOT NULL,
    expires_ms              INTEGER NOT NULL,
    backups_confirmed       BOOLEAN NOT NULL,
    interruption_accepted   BOOLEAN NOT NULL,
    authorised_by           TEXT    NOT NULL,
    authorised_ms           INTEGER NOT NULL,
    revoked_by              TEXT,
    revoked_ms              INTEGER,
    seal_ref                TEXT    NOT NULL,
    credentials             BLOB,
    purged_ms               INTEGER,
    new_credentials         BLOB,
    new_credentials_ms      INTEGER,
    new_credentials_read_ms INTEGER,
    summary                 TEXT
);
-- Credentials still held whose authorisation runs out: the leader destroys them.
CREATE INDEX interventions_held ON interventions (expires_ms) WHERE credentials IS NOT NULL;

-- Secrets an admin sealed (seed 001: the social networks' passwords), sealed like the
-- credentials above; any staff member may open one with a reason, which every admin is told.
CREATE TABLE envelopes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL UNIQUE,
    seal_ref   TEXT    NOT NULL,
    secret     BLOB    NOT NULL,
    sealed_by  TEXT    NOT NULL,
    sealed_ms  INTEGER NOT NULL
);

CREATE TABLE envelope_openings (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    envelope  INTEGER NOT NULL,
    opened_by TEXT    NOT NULL,
    reason    TEXT    NOT NULL,
    at_ms     INTEGER NOT NULL
);
CREATE INDEX envelope_openings_envelope ON envelope_openings (envelope, id);
