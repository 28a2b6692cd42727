/** Opening the SQLite file the same way everywhere (API, ingest job, migrations). */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Sqlite from "better-sqlite3";

/** How long a writer waits for another connection's write lock before failing (ms). */
export const SQLITE_BUSY_TIMEOUT_MS = 15_000;

/** The connection settings every SQLite connection of papergraph uses. */
export const SQLITE_PRAGMAS = [
  // WAL: readers and one writer at once, across processes; persists in the file.
  "journal_mode = WAL",
  // Durable at checkpoints, not at every commit: the usual choice with WAL.
  "synchronous = NORMAL",
  "foreign_keys = ON",
  "cache_size = -65536",
];

/** Opens (creating if needed) a SQLite database file with papergraph's settings. */
export function openSqliteFile(file: string): Sqlite.Database {
  mkdirSync(dirname(file), { recursive: true });
  const db = new Sqlite(file, { timeout: SQLITE_BUSY_TIMEOUT_MS });
  for (const pragma of SQLITE_PRAGMAS) db.pragma(pragma);
  return db;
}
