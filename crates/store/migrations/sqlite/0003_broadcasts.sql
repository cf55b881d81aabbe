-- Staff's messages to every customer (a global problem). Each contact's copy is an outbox row
-- of kind `broadcast.<id>`, unique per contact, written in the same transaction.
CREATE TABLE broadcasts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id INTEGER,
    subject     TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    created_ms  INTEGER NOT NULL,
    recipients  INTEGER NOT NULL
);
