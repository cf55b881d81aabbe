-- Maintenance on inventory targets (shared/spec/operations.md): the vertices the work takes
-- down, the lead times of the reminders, and the what-if computed when it was planned (who
-- will be down, who only at risk), which says whom the window concerns. A window with no
-- targets is the simple case: status-page components only, as before.
ALTER TABLE maintenances ADD COLUMN targets TEXT NOT NULL DEFAULT '[]';
ALTER TABLE maintenances ADD COLUMN notify TEXT NOT NULL DEFAULT '[]';
ALTER TABLE maintenances ADD COLUMN impact TEXT NOT NULL DEFAULT '{}';
-- The services and customers only at risk, apart: after a core switch they are most of the
-- inventory, and lists of windows (the status page, the client area, the pipeline) never
-- read them.
ALTER TABLE maintenances ADD COLUMN at_risk TEXT NOT NULL DEFAULT '{}';
-- A window planned for an occurrence of an announced drill names it, once per occurrence.
ALTER TABLE maintenances ADD COLUMN drill INTEGER;
ALTER TABLE maintenances ADD COLUMN occurrence_ms INTEGER;
CREATE UNIQUE INDEX maintenances_drill_occurrence ON maintenances (drill, occurrence_ms);
