-- Rolling upgrades of redundant groups: a plan takes its members down one at a time. The
-- what-if of each step as computed at planning is kept with the plan, so the run page shows
-- what was promised; JSON columns hold lists in their order. Times are ms since the epoch.
CREATE TABLE upgrade_plans (
    id         BIGSERIAL PRIMARY KEY,
    title      TEXT    NOT NULL,
    -- JSON array of vertex ids, in the order they are upgraded.
    members    TEXT    NOT NULL,
    -- JSON array of checklist lines.
    checklist  TEXT    NOT NULL,
    -- JSON array, one per member: {"member", "down_services", "at_risk_total"}.
    steps      TEXT    NOT NULL,
    -- JSON array, one per member: the services that step leaves without redundancy. Apart
    -- from `steps` (which keeps their number): after a core switch they are most of the
    -- inventory, and lists of plans never read them.
    at_risk    TEXT    NOT NULL DEFAULT '[]',
    blocked    BOOLEAN NOT NULL,
    created_by TEXT    NOT NULL,
    created_ms BIGINT  NOT NULL
);

-- What was done, step by step (steps numbered from 1). One action of one step is done once,
-- even when several instances race to record it.
CREATE TABLE upgrade_actions (
    id       BIGSERIAL PRIMARY KEY,
    plan_id  BIGINT  NOT NULL REFERENCES upgrade_plans (id),
    step     BIGINT  NOT NULL,
    action   TEXT    NOT NULL,
    by_login TEXT    NOT NULL,
    at_ms    BIGINT  NOT NULL,
    UNIQUE (plan_id, step, action)
);
