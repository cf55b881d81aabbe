-- SQLite's incident_services lost its rowid (a table ordered by its key alone); PostgreSQL's
-- tables are heaps with their key's index, which SQLite's rowid table was like: nothing to do.
SELECT 1;
