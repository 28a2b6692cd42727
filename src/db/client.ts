/**
 * The one module that owns the Prisma client. Both engines' generated clients have the same model
 * API (they come from one model source), so the app is typed with the SQLite client's types.
 * Beside it, each open database has a direct way in for the API's own statements (`directOf`):
 * on SQLite a writer connection that never waits for a lock on the event loop, on PostgreSQL the
 * pool Prisma uses, with its time limits and circuit breaker.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as PostgresClient } from "../generated/prisma/postgresql/client.ts";
import { PrismaClient as SqliteClient } from "../generated/prisma/sqlite/client.ts";
import { BUMP_DATA_VERSION } from "./data-version.ts";
import type { FaultLog } from "./faults.ts";
import { migrate, pendingPostgres } from "./migrate.ts";
import { GuardedPool } from "./postgres.ts";
import { postgresReader, type Reader, sqliteReader } from "./reader.ts";
import { openSqlClient } from "./sql.ts";
import { SQLITE_BUSY_TIMEOUT_MS, SQLITE_PRAGMAS } from "./sqlite.ts";
import { type DatabaseTarget, redact } from "./target.ts";
import { reindexWords, wordsAreCurrent } from "./words.ts";
import { SqliteWriter } from "./writer.ts";

export type Db = SqliteClient;
export type { Prisma } from "../generated/prisma/sqlite/client.ts";

export interface Database {
  db: Db;
  target: DatabaseTarget;
  close(): Promise<void>;
}

export interface OpenOptions {
  /**
   * Called with every SQL statement the client sends (the N+1 tests count them), and with the
   * API's own statements (`directOf`).
   */
  onQuery?: (sql: string) => void;
  /** Where PostgreSQL outages (and recoveries) are logged. */
  log?: FaultLog;
}

/** The API's direct way into an open database, beside Prisma. */
export type Direct =
  | { provider: "sqlite"; writer: SqliteWriter }
  | { provider: "postgresql"; pool: GuardedPool };

/** The adapter's own typing of pg (another @types/pg version than papergraph's). */
type PoolOf<T> = T extends new (pool: infer P) => unknown ? Exclude<P, string> : never;

const directs = new WeakMap<Db, Direct>();
const readers = new WeakMap<Db, Reader>();

/** The API's read path beside Prisma (src/db/reader.ts) into the database `db` was opened on. */
export function readerOf(db: Db): Reader {
  const reader = readers.get(db);
  if (!reader) throw new Error("this Prisma client was not opened by openDatabase");
  return reader;
}

/** The direct way into the database `db` was opened on (by `openDatabase`). */
export function directOf(db: Db): Direct {
  const direct = directs.get(db);
  if (!direct) throw new Error("this Prisma client was not opened by openDatabase");
  return direct;
}

export async function openDatabase(
  target: DatabaseTarget,
  options: OpenOptions = {},
): Promise<Database> {
  const log = options.onQuery ? [{ emit: "event" as const, level: "query" as const }] : [];
  let db: Db;
  let direct: Direct;
  let reader: Reader;
  if (target.provider === "sqlite") {
    mkdirSync(dirname(target.file as string), { recursive: true });
    const adapter = new PrismaBetterSqlite3({
      url: target.file as string,
      timeout: SQLITE_BUSY_TIMEOUT_MS,
    });
    db = new SqliteClient({ adapter, log });
    for (const pragma of SQLITE_PRAGMAS) await db.$queryRawUnsafe(`PRAGMA ${pragma}`);
    direct = {
      provider: "sqlite",
      writer: new SqliteWriter(target.file as string, options.onQuery),
    };
    reader = sqliteReader(target.file as string, options.onQuery);
  } else {
    const where = redact(target.url);
    const pool = new GuardedPool(target.url, {
      onDown: (error) =>
        options.log?.warn({ database: where, err: error.message }, "PostgreSQL is not answering"),
      onUp: () => options.log?.info({ database: where }, "PostgreSQL answers again"),
      onQuery: options.onQuery,
    });
    db = new PostgresClient({
      adapter: new PrismaPg(pool as unknown as PoolOf<typeof PrismaPg>),
      log,
    }) as unknown as Db;
    direct = { provider: "postgresql", pool };
    reader = postgresReader(pool);
  }
  directs.set(db, direct);
  readers.set(db, reader);
  const onQuery = options.onQuery;
  if (onQuery) (db as SqliteClient<"query">).$on("query", (event) => onQuery(event.query));
  return {
    db,
    target,
    close: async () => {
      await db.$disconnect();
      reader.close();
      if (direct.provider === "sqlite") direct.writer.close();
      else await direct.pool.end();
    },
  };
}

/**
 * Opens the database a DATABASE_URL names, ready to use. The embedded SQLite default applies its
 * pending migrations itself; PostgreSQL is migrated explicitly (`papergraph migrate`), so that a
 * deploy decides when the schema changes, and this refuses to start on an unmigrated database.
 */
export async function connect(
  target: DatabaseTarget,
  options: OpenOptions = {},
): Promise<Database> {
  await ensureMigrated(target);
  return openDatabase(target, options);
}

export interface Upgrade {
  /** The migrations applied. */
  applied: string[];
  /** Rows whose words were rewritten because the word rule changed, or null if none were. */
  reindexed: { papers: number; authors: number } | null;
}

/**
 * Brings a database up to this version: applies pending migrations, then rewrites the stored
 * words (search words, title and name keys) if the word rule changed since they were written.
 */
export async function upgradeDatabase(target: DatabaseTarget): Promise<Upgrade> {
  const applied = await migrate(target);
  const sql = openSqlClient(target);
  try {
    // A migration may change data: running servers' response caches must not keep what they read
    // before (the reindex bumps the data version itself, as every SQL-client transaction does).
    if (applied.length > 0 && target.provider === "postgresql") await sql.query(BUMP_DATA_VERSION);
    return { applied, reindexed: await reindexWords(sql) };
  } finally {
    await sql.close();
  }
}

/** SQLite: upgrades the database. PostgreSQL: throws unless `papergraph migrate` is done. */
export async function ensureMigrated(target: DatabaseTarget): Promise<void> {
  if (target.provider === "sqlite") {
    await upgradeDatabase(target);
    return;
  }
  const missing = await pendingPostgres(target.url);
  if (missing.length > 0) {
    throw new Error(
      `the PostgreSQL database lacks ${missing.length} migration(s) (${missing.join(", ")}): run \`npm run migrate\` first`,
    );
  }
  const sql = openSqlClient(target);
  try {
    if (!(await wordsAreCurrent(sql))) {
      throw new Error(
        "the PostgreSQL database's search words were written by an older word rule: run `npm run migrate` first",
      );
    }
  } finally {
    await sql.close();
  }
}
