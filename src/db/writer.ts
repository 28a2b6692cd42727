/**
 * The API server's writes on SQLite (votes, tokens' last use), without ever waiting for a lock on
 * the event loop.
 *
 * better-sqlite3 is synchronous: a connection with a busy timeout that finds the write lock taken
 * by another connection (the ingest job holds it for up to 250 ms per batch) waits *inside* the
 * call, and every request of the process waits with it. So the server writes through a connection
 * of its own with no busy timeout: `BEGIN IMMEDIATE` takes the lock at once or fails with
 * SQLITE_BUSY at once. While the lock is taken, writes queue up in the process and the first of
 * them tries again every `SQLITE_WRITER_POLL_MS` (on a timer), until the lock is free (it says it
 * waits, and the ingest job then leaves the lock free for `SQLITE_HANDOFF_MS` between batches) or
 * its deadline passes, when it fails with `Unavailable`; then the queue drains at once. Between BEGIN and COMMIT the work runs
 * synchronously, in one turn of the event loop: the lock is held for microseconds, and no other
 * write of this process can interleave. Reads stay on Prisma's connection: in WAL mode they never
 * wait for a writer.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type Sqlite from "better-sqlite3";
import { TIMEOUTS, Unavailable } from "./faults.ts";
import { markWriterWaiting, openSqliteFile, SQLITE_WRITER_POLL_MS } from "./sqlite.ts";

/** While it waits, a writer says so again this often (see `markWriterWaiting`). */
const WAITING_MARK_EVERY_MS = 100;

function isBusy(error: unknown): boolean {
  return /^SQLITE_(BUSY|LOCKED)/.test(String((error as { code?: unknown }).code));
}

export class SqliteWriter {
  private readonly db: Sqlite.Database;
  private readonly statements = new Map<string, Sqlite.Statement>();
  /** Whether the transaction under way is reported to `onQuery`. */
  private reporting = true;
  /** Writes waiting for the lock in this process; the last one's turn ends when this settles. */
  private queue: Promise<unknown> = Promise.resolve();
  private waiting = 0;

  constructor(
    private readonly file: string,
    /**
     * Called with the statements of a request's writes, as Prisma's query events are (the N+1
     * tests count them); background writes (`tryWrite(work, false)`) are not reported.
     */
    private readonly onQuery?: (sql: string) => void,
  ) {
    this.db = openSqliteFile(file, { busyTimeoutMs: 0 });
  }

  private report(sql: string): void {
    if (this.reporting) this.onQuery?.(sql);
  }

  /** A prepared statement (prepared once per text), to be run once in `work`. */
  statement(sql: string): Sqlite.Statement {
    this.report(sql);
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Runs `work` (synchronous) in a write transaction, or returns `{ locked: true }` at once when
   * another connection holds the write lock. `work` throwing rolls the transaction back.
   */
  tryWrite<T>(work: () => T, report = true): { locked: false; value: T } | { locked: true } {
    this.reporting = report;
    this.report("BEGIN IMMEDIATE");
    try {
      this.db.exec("BEGIN IMMEDIATE");
    } catch (error) {
      if (isBusy(error)) return { locked: true };
      throw error;
    }
    try {
      const value = work();
      this.report("COMMIT");
      this.db.exec("COMMIT");
      return { locked: false, value };
    } catch (error) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      throw error;
    } finally {
      this.reporting = true;
    }
  }

  /**
   * Runs `work` (synchronous) in a write transaction as soon as the write lock is free, waiting
   * for it asynchronously, behind the writes of this process that wait already; rejects with
   * `Unavailable` when it is not free within `deadlineMs`.
   */
  async write<T>(work: () => T, deadlineMs: number = TIMEOUTS.sqliteWriteLock): Promise<T> {
    if (this.waiting === 0) {
      const attempt = this.tryWrite(work);
      if (!attempt.locked) return attempt.value;
    }
    const deadline = performance.now() + deadlineMs;
    const turn = this.queue.then(async () => {
      for (let marked = 0; ; ) {
        const attempt = this.tryWrite(work);
        if (!attempt.locked) {
          if (marked) markWriterWaiting(this.file, false);
          return attempt.value;
        }
        if (performance.now() - marked > WAITING_MARK_EVERY_MS) {
          markWriterWaiting(this.file);
          marked = performance.now();
        }
        const left = deadline - performance.now();
        if (left <= 0) {
          throw new Unavailable("database", `the database stayed locked for ${deadlineMs} ms`);
        }
        await sleep(Math.min(left, SQLITE_WRITER_POLL_MS));
      }
    });
    this.waiting++;
    this.queue = turn.then(
      () => this.waiting--,
      () => this.waiting--,
    );
    return turn;
  }

  close(): void {
    this.db.close();
  }
}
