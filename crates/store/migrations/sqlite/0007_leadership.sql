-- The ordered work of several instances: who leads it (its epoch, raised by every new
-- leader so that a former leader's late write is refused) and how far into the alert log it
-- has applied the engine, the incidents and `assertions`. One row.
CREATE TABLE tocsin_leader (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    epoch   INTEGER NOT NULL,
    applied INTEGER NOT NULL
);
-- Until now `assertions` was written with the alerts: it already covers the whole log.
INSERT INTO tocsin_leader (id, epoch, applied) SELECT 1, 0, COALESCE(MAX(id), 0) FROM alerts;
