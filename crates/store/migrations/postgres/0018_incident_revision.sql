-- Moves whenever an incident's services change, so that readers keeping the services (the
-- status page) read them again only then: a fan-out's incident holds 100,000s of them.
ALTER TABLE incidents ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
