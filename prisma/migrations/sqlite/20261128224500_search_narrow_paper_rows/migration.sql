-- Written by hand. Nothing on SQLite: its counts read the narrow index "Paper_id_upvotes_publishedAt_idx"
-- instead of the paper rows (PostgreSQL's move the long values of a paper's row out of line).
SELECT 1;
