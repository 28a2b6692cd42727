-- No change on SQLite: the data version is the connection's PRAGMA data_version.
SELECT 1;
