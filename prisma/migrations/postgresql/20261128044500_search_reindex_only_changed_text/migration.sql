-- No change on PostgreSQL: its tsvector is a generated column, recomputed by the engine.
SELECT 1;
