-- Staff's messages to every customer (a global problem). Each contact's copy is an outbox row
-- of kind `broadcast.<id>`, unique per contact, written in the same transaction.
CREATE TABLE broadcasts (
    id          BIGSERIAL PRIMARY KEY,
    incident_id BIGINT,
    subject     TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    created_ms  BIGINT  NOT NULL,
    recipients  BIGINT  NOT NULL
);
