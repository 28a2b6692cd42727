/**
 * A small driver-level SQL client for the ingest job's bulk writes, where Prisma's per-parameter
 * overhead dominated (measured in bench/README.md). Statements are written once, with `?`
 * placeholders, in the SQL both engines share (quoted identifiers, `ON CONFLICT`, `RETURNING`).
 * Values are stored exactly as the Prisma adapters store them, so the API reads them back as usual:
 * instants as ISO-8601 text on SQLite and as UTC `timestamp(3)` on PostgreSQL.
 */

import type Sqlite from "better-sqlite3";
import type pg from "pg";
import { BUMP_DATA_VERSION } from "./data-version.ts";
import { pgDriver } from "./drivers.ts";
import { giveWay, openSqliteFile, SQLITE_HANDOFF_MS } from "./sqlite.ts";
import type { DatabaseTarget, Provider } from "./target.ts";

export type SqlValue = string | number | boolean | Date | null;
/** A parameter: a value, or (PostgreSQL, through `Sql.in` and bulk inserts) an array of values. */
export type SqlParam = SqlValue | SqlValue[];
export type Row = Record<string, unknown>;
/** Column types, for PostgreSQL's typed arrays (`tsvector`: a tsvector literal, PostgreSQL only). */
export type ColumnType = "int" | "float" | "text" | "boolean" | "timestamp" | "tsvector";
/** Columns to insert, in order, with their types. */
export type Columns = Readonly<Record<string, ColumnType>>;

export interface Sql {
  readonly provider: Provider;
  query<T = Row>(sql: string, params?: SqlParam[]): Promise<T[]>;
  execute(sql: string, params?: SqlParam[]): Promise<number>;
  /**
   * `INSERT INTO table (columns) ... <suffix>` for many rows (each row's values in the order of
   * `columns`); returns the rows of a `RETURNING` suffix, to be matched to the input by a key.
   */
  insertMany<T = Row>(
    table: string,
    columns: Columns,
    rows: SqlValue[][],
    suffix?: string,
  ): Promise<T[]>;
  /**
   * A membership test for a WHERE clause with one parameter whatever the list's length (so its
   * statement is prepared once): `IN (SELECT value FROM json_each(?))`, or `= ANY(?)`.
   */
  in(
    values: readonly (string | number)[],
    type: "int" | "text",
  ): { sql: string; params: SqlParam[] };
}

/**
 * A transaction holding several units of work, each in its own savepoint: a unit that fails is
 * undone alone, and the others commit together. Writing many small digests this way costs one
 * commit (one WAL flush, one fsync on PostgreSQL, one FTS5 segment) per batch, not per digest,
 * while each digest stays all-or-nothing.
 */
export interface Batch extends Sql {
  /** Runs `fn` in a savepoint: its writes stay if it returns, vanish if it throws. */
  unit<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export interface SqlClient extends Sql {
  /**
   * Runs `fn` in a transaction that holds the database's write lock from its first statement
   * (SQLite `BEGIN IMMEDIATE`; a PostgreSQL advisory lock keyed by `lockKey`), so concurrent
   * writers wait for each other instead of failing. Rolls back if `fn` throws.
   */
  transaction<T>(lockKey: number, fn: (sql: Sql) => Promise<T>): Promise<T>;
  /** Opens a transaction for units of work (see `Batch`), holding the write lock as above. */
  batch(lockKey: number): Promise<Batch>;
  /**
   * Refreshes the planner's statistics of these tables after they grew a lot (PostgreSQL plans a
   * join over a table it still believes empty with a full scan; SQLite needs nothing here).
   */
  analyze(tables: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

function placeholders(count: number): string {
  return Array.from({ length: count }, () => "?").join(", ");
}

function columnList(columns: Columns): string {
  return Object.keys(columns)
    .map((c) => `"${c}"`)
    .join(", ");
}

/** Splits a list so that an `IN (...)` stays within the engines' parameter limits. */
export function chunks<T>(items: readonly T[], size = 5_000): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Reads an instant column back: SQLite gives text, PostgreSQL a Date. */
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const text = String(value);
  // `YYYY-MM-DD HH:MM:SS` (SQLite's CURRENT_TIMESTAMP) is UTC.
  return new Date(/[zZ]|[+-]\d\d:\d\d$/.test(text) ? text : `${text.replace(" ", "T")}Z`);
}

export function openSqlClient(target: DatabaseTarget): SqlClient {
  return target.provider === "sqlite"
    ? new SqliteClient(target.file as string)
    : new PostgresClient(target.url);
}

class SqliteClient implements SqlClient {
  readonly provider = "sqlite" as const;
  private readonly db: Sqlite.Database;
  private readonly statements = new Map<string, Sqlite.Statement>();
  /** When this connection last committed a batch (`performance.now()`). */
  private committedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly file: string) {
    this.db = openSqliteFile(file);
    // Bulk writes: checkpoint the WAL every ~40 MB instead of every ~4 MB (fewer, larger flushes).
    this.db.pragma("wal_autocheckpoint = 10000");
  }

  private statement(sql: string): Sqlite.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      if (this.statements.size > 200) this.statements.clear();
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** As @prisma/adapter-better-sqlite3 writes them: ISO-8601 text, booleans as 0/1. */
  private static value(value: SqlValue): unknown {
    if (value instanceof Date) return value.toISOString().replace("Z", "+00:00");
    if (typeof value === "boolean") return value ? 1 : 0;
    return value;
  }

  async query<T>(sql: string, params: SqlParam[] = []): Promise<T[]> {
    return this.statement(sql).all(...(params as SqlValue[]).map(SqliteClient.value)) as T[];
  }

  async execute(sql: string, params: SqlParam[] = []): Promise<number> {
    return this.statement(sql).run(...(params as SqlValue[]).map(SqliteClient.value)).changes;
  }

  in(values: readonly (string | number)[]): { sql: string; params: SqlParam[] } {
    return { sql: `IN (SELECT "value" FROM json_each(?))`, params: [JSON.stringify(values)] };
  }

  /** One prepared single-row statement run per row: the fastest way into SQLite. */
  async insertMany<T>(
    table: string,
    columns: Columns,
    rows: SqlValue[][],
    suffix = "",
  ): Promise<T[]> {
    if (rows.length === 0) return [];
    const count = Object.keys(columns).length;
    const statement = this.statement(
      `INSERT INTO "${table}" (${columnList(columns)}) VALUES (${placeholders(count)}) ${suffix}`,
    );
    const returning = statement.reader;
    const out: T[] = [];
    for (const row of rows) {
      const values = row.map(SqliteClient.value);
      if (returning) out.push(statement.get(...values) as T);
      else statement.run(...values);
    }
    return out;
  }

  async transaction<T>(_lockKey: number, fn: (sql: Sql) => Promise<T>): Promise<T> {
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const result = await fn(this);
      this.db.exec("COMMIT");
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec("ROLLBACK");
      throw error;
    }
  }

  async analyze(): Promise<void> {}

  async batch(_lockKey: number): Promise<Batch> {
    // Batch after batch, let a writer that waits in (see SQLITE_HANDOFF_MS).
    const since = performance.now() - this.committedAt;
    if (since < SQLITE_HANDOFF_MS) await giveWay(this.file, SQLITE_HANDOFF_MS - since);
    this.db.exec("BEGIN IMMEDIATE");
    const run = async (statement: string) => {
      this.db.exec(statement);
    };
    return batchOf(this, run, {
      commit: async () => {
        await run("COMMIT");
        this.committedAt = performance.now();
      },
      rollback: () => (this.db.inTransaction ? run("ROLLBACK") : Promise.resolve()),
    });
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

/** A `Batch` over a connection in an open transaction: `run` sends one statement. */
function batchOf(
  sql: Sql,
  run: (statement: string) => Promise<void>,
  end: { commit: () => Promise<void>; rollback: () => Promise<void> },
): Batch {
  let units = 0;
  return Object.assign(Object.create(sql) as Sql, {
    async unit<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
      const name = `unit_${++units}`;
      await run(`SAVEPOINT ${name}`);
      try {
        const result = await fn(sql);
        await run(`RELEASE SAVEPOINT ${name}`);
        return result;
      } catch (error) {
        await run(`ROLLBACK TO SAVEPOINT ${name}`);
        await run(`RELEASE SAVEPOINT ${name}`);
        throw error;
      }
    },
    commit: end.commit,
    rollback: end.rollback,
  });
}

const TIMESTAMP_OID = 1114;
const PG_ARRAY_TYPES: Record<ColumnType, string> = {
  int: "int[]",
  float: "double precision[]",
  text: "text[]",
  boolean: "boolean[]",
  timestamp: "timestamp(3)[]",
  tsvector: "tsvector[]",
};

class PostgresQueries implements Sql {
  readonly provider = "postgresql" as const;
  constructor(protected readonly client: pg.Pool | pg.PoolClient) {}

  private static text(sql: string): string {
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  }

  /** Instants go as UTC text: Prisma's columns are `timestamp(3)` without time zone. */
  private static value(value: SqlParam): unknown {
    if (Array.isArray(value)) return value.map(PostgresQueries.value);
    return value instanceof Date ? value.toISOString() : value;
  }

  async query<T>(sql: string, params: SqlParam[] = []): Promise<T[]> {
    const result = await this.client.query(
      PostgresQueries.text(sql),
      params.map(PostgresQueries.value),
    );
    return result.rows as T[];
  }

  async execute(sql: string, params: SqlParam[] = []): Promise<number> {
    const result = await this.client.query(
      PostgresQueries.text(sql),
      params.map(PostgresQueries.value),
    );
    return result.rowCount ?? 0;
  }

  in(
    values: readonly (string | number)[],
    type: "int" | "text",
  ): { sql: string; params: SqlParam[] } {
    return { sql: `= ANY(?::${PG_ARRAY_TYPES[type]})`, params: [[...values]] };
  }

  /**
   * One array parameter per column, expanded by `unnest`: a constant number of parameters
   * whatever the row count (a multi-row VALUES list spent most of its time binding them).
   */
  async insertMany<T>(
    table: string,
    columns: Columns,
    rows: SqlValue[][],
    suffix = "",
  ): Promise<T[]> {
    if (rows.length === 0) return [];
    const types = Object.values(columns);
    const arrays = types.map((_, i) => rows.map((row) => row[i] ?? null));
    const unnest = types.map((type) => `?::${PG_ARRAY_TYPES[type]}`).join(", ");
    return this.query<T>(
      `INSERT INTO "${table}" (${columnList(columns)}) SELECT * FROM unnest(${unnest}) ${suffix}`,
      arrays,
    );
  }
}

class PostgresClient extends PostgresQueries implements SqlClient {
  constructor(url: string) {
    const { Pool, types } = pgDriver();
    const pool = new Pool({
      connectionString: url,
      max: 2,
      types: {
        getTypeParser: ((oid: number, format?: string) =>
          oid === TIMESTAMP_OID
            ? (text: string) => new Date(`${text.replace(" ", "T")}Z`)
            : types.getTypeParser(oid, format as "text")) as typeof types.getTypeParser,
      },
    });
    // A connection the server closes while it is idle or closing (a restart, an administrator,
    // a dropped database) reports an 'error' event with no query to fail; unhandled, that event
    // would kill the process. The pool discards such connections; queries report their own errors.
    pool.on("error", () => {});
    pool.on("connect", (client) => client.on("error", () => {}));
    super(pool);
  }

  async transaction<T>(lockKey: number, fn: (sql: Sql) => Promise<T>): Promise<T> {
    const client = await (this.client as pg.Pool).connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1)", [lockKey]);
      const result = await fn(new PostgresQueries(client));
      await client.query("COMMIT");
      await this.dataChanged();
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  /**
   * After each commit: the data version moves (src/db/data-version.ts), so that server processes'
   * response caches stop answering with what they read before it. Never throws: the commit is
   * done; a cache that missed the bump stops at its time limit.
   */
  private async dataChanged(): Promise<void> {
    await this.client.query(BUMP_DATA_VERSION).catch(() => {});
  }

  async analyze(tables: readonly string[]): Promise<void> {
    await this.client.query(`ANALYZE ${tables.map((t) => `"${t}"`).join(", ")}`);
  }

  async batch(lockKey: number): Promise<Batch> {
    const client = await (this.client as pg.Pool).connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1)", [lockKey]);
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      client.release();
      throw error;
    }
    const run = async (statement: string) => {
      await client.query(statement);
    };
    let open = true;
    const end = async (statement: string) => {
      if (!open) return;
      open = false;
      try {
        await run(statement);
      } finally {
        client.release();
      }
    };
    return batchOf(new PostgresQueries(client), run, {
      commit: async () => {
        await end("COMMIT");
        await this.dataChanged();
      },
      rollback: () => end("ROLLBACK").catch(() => {}),
    });
  }

  async close(): Promise<void> {
    await (this.client as pg.Pool).end();
  }
}
