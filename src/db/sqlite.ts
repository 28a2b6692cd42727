/** Opening the SQLite file the same way everywhere (API, ingest job, migrations). */
import { mkdirSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type Sqlite from "better-sqlite3";
import { sqliteDriver } from "./drivers.ts";

/**
 * How long a connection waits for another connection's write lock before failing (ms). The wait
 * is synchronous (better-sqlite3 blocks its thread): right for the ingest job and the CLI, never
 * for the API server's event loop, whose writes go through `SqliteWriter` (busy timeout 0).
 */
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
export function openSqliteFile(
  file: string,
  options: { busyTimeoutMs?: number } = {},
): Sqlite.Database {
  mkdirSync(dirname(file), { recursive: true });
  const Database = sqliteDriver();
  const db = new Database(file, { timeout: options.busyTimeoutMs ?? SQLITE_BUSY_TIMEOUT_MS });
  for (const pragma of SQLITE_PRAGMAS) db.pragma(pragma);
  return db;
}

/** An instant as @prisma/adapter-better-sqlite3 stores it: ISO-8601 text with `+00:00`. */
export function sqliteInstant(date: Date): string {
  return date.toISOString().replace("Z", "+00:00");
}

/**
 * SQLite keeps no queue of waiting writers: a connection that takes the write lock again as soon
 * as it commits (the ingest job, batch after batch) keeps the others out until it is done. So a
 * writer kept waiting says so (`markWriterWaiting`: the time of a sidecar file, `<db>-waiting`,
 * set while it waits and cleared when it got the lock), and a connection about to start its next
 * batch gives way (`giveWay`): while a writer says it waits, it leaves the lock free, for up to
 * SQLITE_HANDOFF_MS. The API server's writer, which asks for the lock every SQLITE_WRITER_POLL_MS
 * while it waits, gets in between two batches. When nobody waits, batches follow each other at
 * once.
 */
export const SQLITE_HANDOFF_MS = 50;
export const SQLITE_WRITER_POLL_MS = 2;
const SQLITE_WAITING_FRESH_MS = 1_000;

const waitingFile = (file: string) => `${file}-waiting`;

/**
 * Tells the other connections' batches that a writer waits for the lock (`waiting`), or that it
 * got it. Best-effort: a directory that cannot be written just means a longer wait.
 */
export function markWriterWaiting(file: string, waiting = true): void {
  const when = waiting ? new Date() : new Date(0);
  try {
    utimesSync(waitingFile(file), when, when);
  } catch {
    if (!waiting) return;
    try {
      writeFileSync(waitingFile(file), "");
    } catch {
      // Read-only: nothing to tell with.
    }
  }
}

/** Whether a writer said it waits for the lock, lately, and has not got it yet. */
function writerWaiting(file: string): boolean {
  try {
    return Date.now() - statSync(waitingFile(file)).mtimeMs < SQLITE_WAITING_FRESH_MS;
  } catch {
    return false;
  }
}

/** Before taking the write lock again: leaves it free while a writer waits, up to `ms`. */
export async function giveWay(file: string, ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until && writerWaiting(file)) await sleep(SQLITE_WRITER_POLL_MS);
}
