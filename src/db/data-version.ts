/**
 * The data version: a value that changes after every committed write that a read could see, in
 * any process on any machine sharing the database. The response cache (src/http/response-cache.ts)
 * keys every answer by the version it read before the request ran: once a write has committed and
 * bumped the version, no request reads an answer stored under the old one.
 *
 * Why the order matters: a bump must come AFTER its commit. Bumped before (or inside the
 * transaction: `nextval` is not transactional), a read could take the new version, then read the
 * rows as they were before the commit, and store that old answer under the new version, where it
 * would stay. Bumped after, a read that took the old version may have read either state, but it
 * stored it under the old version, which nobody reads once the bump is done; a read that took the
 * new version started after the commit and sees it.
 *
 * - PostgreSQL: the sequence `papergraph_data_version` (migration `data_version`). Writers call
 *   `nextval` after their commit: the API's votes and users (`dataChanged`), every transaction
 *   committed through the SQL client (the ingest job, the word reindex: src/db/sql.ts) and applied
 *   migrations (`upgradeDatabase`). Readers read `last_value` (non-transactional: one row of one
 *   page). It lives with the data, so another process (the CLI), another server on another
 *   machine, needs nothing else (no Redis) to be seen.
 * - SQLite: `PRAGMA data_version` of a connection of its own, which changes whenever any other
 *   connection (this process's writer, Prisma's connection, the ingest job in another process)
 *   has committed since the last look. Nothing to bump: every commit is seen by construction.
 *
 * Both add a counter of this process's own writes (`dataChanged`), so that a write whose bump
 * failed (the database went away just after the commit) still invalidates this process's cache.
 * Writes made outside papergraph (psql on PostgreSQL) do not bump the sequence: they are seen when
 * the cache's time limit runs out (RESPONSE_CACHE_LIMITS.ttlMs), or at the next write.
 */
import type { Direct } from "./client.ts";
import { openSqliteFile } from "./sqlite.ts";
import type { DatabaseTarget } from "./target.ts";

export const DATA_VERSION_SEQUENCE = "papergraph_data_version";
/** Run after a commit (never inside the transaction): see the module's comment. */
export const BUMP_DATA_VERSION = `SELECT nextval('"${DATA_VERSION_SEQUENCE}"')`;
const READ_POSTGRES = `SELECT "last_value", "is_called" FROM "${DATA_VERSION_SEQUENCE}"`;

/** Writes this process committed, per open database (its `Direct`). */
const ownWrites = new WeakMap<Direct, number>();

/**
 * Says that a write of the API has just committed (a vote that changed something, a new user).
 * Call it after the commit, before answering. It never throws: the write is done whatever happens
 * here; a bump that fails still invalidates this process's cache, and others' at their time limit.
 */
export async function dataChanged(direct: Direct): Promise<void> {
  ownWrites.set(direct, (ownWrites.get(direct) ?? 0) + 1);
  if (direct.provider !== "postgresql") return;
  try {
    await direct.pool.query({ name: "papergraph-data-version-bump", text: BUMP_DATA_VERSION });
  } catch {
    // The database went away after the commit: see above.
  }
}

export interface DataVersion {
  /**
   * The current version, read after this call (never a value read before it was called): two
   * calls that return the same text saw the same committed data.
   */
  read(): Promise<string>;
  close(): void;
}

/**
 * Calls that arrive in the same turn of the event loop share one read, issued after all of them
 * arrived (so each still gets a value read after it asked): under load, one round trip serves
 * many requests; a call that arrives once the read is sent waits for the next one.
 */
function coalesced(read: () => Promise<string>): () => Promise<string> {
  let next: Promise<string> | undefined;
  return () => {
    next ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      next = undefined;
      return read();
    });
    return next;
  };
}

/** The version of the database `direct` is a way into (opened on `target`). */
export function openDataVersion(target: DatabaseTarget, direct: Direct): DataVersion {
  const own = () => ownWrites.get(direct) ?? 0;
  if (direct.provider === "postgresql") {
    const { pool } = direct;
    const read = coalesced(async () => {
      const result = await pool.query({ name: "papergraph-data-version", text: READ_POSTGRES });
      const row = result.rows[0] as { last_value: string; is_called: boolean } | undefined;
      if (!row) throw new Error(`the sequence ${DATA_VERSION_SEQUENCE} is empty`);
      return `${own()}.${row.is_called ? row.last_value : "0"}`;
    });
    return { read, close: () => {} };
  }
  // A connection of its own: its data_version moves with every other connection's commits. No
  // busy timeout: should the file be locked against readers (a WAL recovery), the read fails at
  // once and the request runs without the cache, instead of holding up the event loop.
  const connection = openSqliteFile(target.file as string, { busyTimeoutMs: 0 });
  const statement = connection.prepare("PRAGMA data_version").pluck();
  return {
    read: async () => `${own()}.${statement.get() as number}`,
    close: () => connection.close(),
  };
}
