/**
 * The API's read path beside Prisma: hand-written SELECTs (paper pages, counts, the statements
 * src/db/select-sql.ts compiles from a Prisma selection) run on the driver directly, each text
 * prepared once and reused. Prisma's runtime cost a quarter of the CPU of a simple page (issue 9's
 * profile) and its SQLite adapter prepares every statement anew.
 *
 * SQLite: a connection of its own for reading (WAL: readers never wait for the writer), with its
 * prepared statements kept by text. PostgreSQL: the pool Prisma uses, with named statements (pg
 * prepares a name once per connection), timestamps read as UTC and counts as numbers.
 */
import { createHash } from "node:crypto";
import type Sqlite from "better-sqlite3";
import type Pg from "pg";
import { pgDriver } from "./drivers.ts";
import type { GuardedPool } from "./postgres.ts";
import { openSqliteFile, sqliteInstant } from "./sqlite.ts";

export interface Reader {
  /** Runs one SELECT; `sql` uses `?` (SQLite) or `$n` (PostgreSQL) placeholders. */
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  close(): void;
}

/** Prepared statements kept per SQLite connection; beyond, the least recently used is dropped. */
const STATEMENT_CACHE = 500;

/** A value as better-sqlite3 binds it: booleans as 0/1, instants as the adapter stores them. */
function sqliteValue(value: unknown): unknown {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value instanceof Date) return sqliteInstant(value);
  return value;
}

export function sqliteReader(file: string, onQuery?: (sql: string) => void): Reader {
  let db: Sqlite.Database | null = null;
  const statements = new Map<string, Sqlite.Statement>();
  const prepare = (sql: string): Sqlite.Statement => {
    let statement = statements.get(sql);
    if (statement) {
      // Most recently used last: Map keeps insertion order.
      statements.delete(sql);
    } else {
      db ??= openSqliteFile(file, { busyTimeoutMs: 1_000 });
      statement = db.prepare(sql);
      if (statements.size >= STATEMENT_CACHE) {
        statements.delete(statements.keys().next().value as string);
      }
    }
    statements.set(sql, statement);
    return statement;
  };
  return {
    async query<R>(sql: string, params: readonly unknown[] = []) {
      onQuery?.(sql);
      return prepare(sql).all(...params.map(sqliteValue)) as R[];
    },
    close() {
      statements.clear();
      db?.close();
      db = null;
    },
  };
}

/** pg's OIDs of the types read differently from pg's defaults. */
const OID = { int8: 20, numeric: 1700, timestamp: 1114, timestamptz: 1184 } as const;

/**
 * Prisma's `DateTime` columns are `timestamp(3)` holding UTC: read them as UTC whatever the
 * process's time zone (pg's default reads them as local time). Counts (`bigint`) as numbers.
 */
const types = {
  getTypeParser(oid: number, format?: string) {
    if (oid === OID.timestamp) return (text: string) => new Date(`${text.replace(" ", "T")}Z`);
    if (oid === OID.timestamptz) return (text: string) => new Date(text);
    if (oid === OID.int8 || oid === OID.numeric) return (text: string) => Number(text);
    return (pgDriver().types.getTypeParser as (oid: number, format?: string) => unknown)(
      oid,
      format,
    );
  },
} as Pg.CustomTypesConfig;

/**
 * Statement texts prepared by name, per process: each is prepared once on each connection and
 * kept there. A client's selection shapes the text, so past this many the others run unnamed
 * (parsed each time) rather than growing every connection's memory.
 */
const NAMED_STATEMENTS = 200;

export function postgresReader(pool: GuardedPool): Reader {
  const names = new Map<string, string>();
  const nameOf = (sql: string): string | undefined => {
    let name = names.get(sql);
    if (!name) {
      if (names.size >= NAMED_STATEMENTS) return undefined;
      name = `pg_${createHash("sha1").update(sql).digest("base64url").slice(0, 20)}`;
      names.set(sql, name);
    }
    return name;
  };
  return {
    query<R>(sql: string, params: readonly unknown[] = []) {
      return pool.run<R>(sql, [...params], nameOf(sql), types);
    },
    close() {
      names.clear();
    },
  };
}
