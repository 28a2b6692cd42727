/**
 * The one module that owns the Prisma client. Both engines' generated clients have the same model
 * API (they come from one model source), so the app is typed with the SQLite client's types.
 * Beside it, each open database has a direct way in for the API's own statements (`directOf`):
 * on SQLite a writer connection that never waits for a lock on the event loop, on PostgreSQL the
 * pool Prisma uses, with its time limits and circuit breaker.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { PrismaClient as SqliteClient } from "../generated/prisma/sqlite/client.ts";
import { BUMP_DATA_VERSION } from "./data-version.ts";
import { pgDriver, sqliteDriver } from "./drivers.ts";
import type { FaultLog } from "./faults.ts";
import {
  type AppliedRow,
  loadMigrations,
  migrate,
  pending,
  pendingPostgres,
  SELECT_APPLIED,
} from "./migrate.ts";
import type { GuardedPool } from "./postgres.ts";
import { postgresReader, type Reader, sqliteReader } from "./reader.ts";
import { openSqlClient } from "./sql.ts";
import { SQLITE_BUSY_TIMEOUT_MS, SQLITE_PRAGMAS } from "./sqlite.ts";
import { type DatabaseTarget, redact } from "./target.ts";
import { reindexWords, STORED_WORD_RULE_SQL, WORD_RULE_VERSION, wordsAreCurrent } from "./words.ts";
import type { SqliteWriter } from "./writer.ts";

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
  // Only the engine in use is loaded: its generated client, its adapter and its driver.
  if (target.provider === "sqlite") {
    const [{ PrismaBetterSqlite3 }, { PrismaClient }, { SqliteWriter }] = await Promise.all([
      import("@prisma/adapter-better-sqlite3"),
      import("../generated/prisma/sqlite/client.ts"),
      import("./writer.ts"),
    ]);
    mkdirSync(dirname(target.file as string), { recursive: true });
    const adapter = new PrismaBetterSqlite3({
      url: target.file as string,
      timeout: SQLITE_BUSY_TIMEOUT_MS,
    });
    db = new PrismaClient({ adapter, log });
    for (const pragma of SQLITE_PRAGMAS) await db.$queryRawUnsafe(`PRAGMA ${pragma}`);
    direct = {
      provider: "sqlite",
      writer: new SqliteWriter(target.file as string, options.onQuery),
    };
    reader = sqliteReader(target.file as string, options.onQuery);
  } else {
    const [{ PrismaPg }, { PrismaClient }, { GuardedPool }] = await Promise.all([
      import("@prisma/adapter-pg"),
      import("../generated/prisma/postgresql/client.ts"),
      import("./postgres.ts"),
    ]);
    const where = redact(target.url);
    const pool = new GuardedPool(target.url, {
      onDown: (error) =>
        options.log?.warn({ database: where, err: error.message }, "PostgreSQL is not answering"),
      onUp: () => options.log?.info({ database: where }, "PostgreSQL answers again"),
      onQuery: options.onQuery,
    });
    db = new PrismaClient({
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
 *
 * The check runs at every start, so it is one read: the applied migrations (names and checksums,
 * compared with this version's) and the stored word rule. On PostgreSQL it is one round trip on
 * the pool the server then uses; on SQLite it takes no lock, and only a database that is not
 * current goes through the migrator (which takes the write lock and checks again under it).
 */
export async function connect(
  target: DatabaseTarget,
  options: OpenOptions = {},
): Promise<Database> {
  if (target.provider === "sqlite") {
    await ensureMigrated(target);
    return openDatabase(target, options);
  }
  const database = await openDatabase(target, options);
  const direct = directOf(database.db);
  try {
    if (direct.provider === "postgresql") await refuseUnlessCurrent(target, direct.pool);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
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

/** SQLite: upgrades the database unless it is current. PostgreSQL: throws unless `papergraph migrate` is done. */
export async function ensureMigrated(target: DatabaseTarget): Promise<void> {
  if (target.provider === "sqlite") {
    if (!sqliteIsCurrent(target.file as string)) await upgradeDatabase(target);
    return;
  }
  const client = new (pgDriver().Client)({ connectionString: target.url });
  await client.connect();
  try {
    await refuseUnlessCurrent(target, client);
  } finally {
    await client.end();
  }
}

/**
 * Whether the SQLite file has every migration of this version and words of this word rule: two
 * reads, no lock. Throws, as the migrator would, when its history disagrees with this version's.
 */
function sqliteIsCurrent(file: string): boolean {
  if (!existsSync(file)) return false;
  const Database = sqliteDriver();
  const db = new Database(file, { fileMustExist: true, timeout: SQLITE_BUSY_TIMEOUT_MS });
  try {
    let applied: AppliedRow[];
    let wordRule: { value: string } | undefined;
    try {
      applied = db.prepare(SELECT_APPLIED).all() as AppliedRow[];
      wordRule = db.prepare(STORED_WORD_RULE_SQL).get() as { value: string } | undefined;
    } catch {
      return false; // No history table or no settings yet: the migrator creates them.
    }
    return (
      pending(loadMigrations("sqlite"), applied).length === 0 &&
      wordRule?.value === WORD_RULE_VERSION
    );
  } finally {
    db.close();
  }
}

/** What a pg pool or client answers to a string of statements: one result per statement. */
interface Queryable {
  query(text: string): Promise<unknown>;
}

/**
 * PostgreSQL: throws, saying what to run, unless every migration of this version is applied and
 * the stored words follow this word rule. One round trip (two statements); a database without the
 * tables they read is unmigrated, and the slower check below names what it lacks.
 */
async function refuseUnlessCurrent(target: DatabaseTarget, db: Queryable): Promise<void> {
  let results: { rows: unknown[] }[];
  try {
    results = (await db.query(`${SELECT_APPLIED};\n${STORED_WORD_RULE_SQL}`)) as {
      rows: unknown[];
    }[];
  } catch (error) {
    if ((error as { code?: string }).code !== "42P01") throw error; // undefined_table
    return refuseUnmigrated(target);
  }
  const applied = (results[0]?.rows ?? []) as AppliedRow[];
  const wordRule = results[1]?.rows[0] as { value: string } | undefined;
  const missing = pending(loadMigrations("postgresql"), applied).map((m) => m.name);
  if (missing.length > 0) throw lacking(missing);
  if (wordRule?.value !== WORD_RULE_VERSION) throw olderWords();
}

/** The check of a database that lacks the history table or the settings: what is missing. */
async function refuseUnmigrated(target: DatabaseTarget): Promise<void> {
  const missing = await pendingPostgres(target.url);
  if (missing.length > 0) throw lacking(missing);
  const sql = openSqlClient(target);
  try {
    if (!(await wordsAreCurrent(sql))) throw olderWords();
  } finally {
    await sql.close();
  }
}

function lacking(missing: string[]): Error {
  return new Error(
    `the PostgreSQL database lacks ${missing.length} migration(s) (${missing.join(", ")}): run \`npm run migrate\` first`,
  );
}

function olderWords(): Error {
  return new Error(
    "the PostgreSQL database's search words were written by an older word rule: run `npm run migrate` first",
  );
}
