/**
 * The databases every suite runs on: a real SQLite file, and the real PostgreSQL server at
 * TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres) when one answers.
 * With REQUIRE_POSTGRES=1 (CI) a missing server is a failure, never a skip.
 */
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { connect, type Database, type OpenOptions } from "../../src/db/client.ts";
import { postgresAnswers } from "../../src/db/migrate.ts";
import { openSqlClient, type SqlClient } from "../../src/db/sql.ts";
import { type DatabaseTarget, type Provider, parseDatabaseUrl } from "../../src/db/target.ts";

export const POSTGRES_ADMIN_URL =
  process.env.TEST_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

export const postgresAvailable = await postgresAnswers(POSTGRES_ADMIN_URL);
if (!postgresAvailable && process.env.REQUIRE_POSTGRES === "1") {
  throw new Error(`REQUIRE_POSTGRES=1 but no PostgreSQL server answers at ${POSTGRES_ADMIN_URL}`);
}

/** The engines to run on; PostgreSQL is left out (and said so by the global setup) when absent. */
export const ENGINES: Provider[] = postgresAvailable ? ["sqlite", "postgresql"] : ["sqlite"];

export interface TestDatabase extends Database {
  /** The driver-level client the ingest job writes with. */
  sql: SqlClient;
  /** Drops the database (PostgreSQL) or deletes its file (SQLite). */
  destroy(): Promise<void>;
}

/**
 * A fresh database of the given engine: its own file, or its own PostgreSQL database; empty, or a
 * copy of `template` (a SQLite file, a PostgreSQL database's name) when given.
 */
export async function createTestTarget(
  provider: Provider,
  template = "",
): Promise<{
  target: DatabaseTarget;
  drop: () => Promise<void>;
}> {
  if (provider === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "papergraph-test-"));
    if (template) copyFileSync(template, join(dir, "test.db"));
    return {
      target: parseDatabaseUrl(`file:${join(dir, "test.db")}`),
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `papergraph_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ""}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    target: parseDatabaseUrl(url.toString()),
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    },
  };
}

/**
 * A migrated database made once per run (by the global setup, `migratedTemplate`) that each test
 * database starts as a copy of: a PostgreSQL database copied by `CREATE DATABASE ... TEMPLATE`, a
 * SQLite file copied. A copy takes a fraction of the migrations' time (PostgreSQL: ~0.3 s against
 * ~1.5 s on a busy machine). Its name comes from the global setup through Vitest's `inject`.
 */
export async function templateOf(provider: Provider): Promise<string> {
  const { inject } = await import("vitest");
  return inject(provider === "postgresql" ? "postgresTemplate" : "sqliteTemplate") ?? "";
}

/** A fresh database, migrated and connected: a copy of the run's migrated template. */
export async function createTestDatabase(
  provider: Provider,
  options: OpenOptions = {},
): Promise<TestDatabase> {
  const template = await templateOf(provider);
  const { target, drop } = await createTestTarget(provider, template);
  if (provider === "postgresql" && !template) {
    const { upgradeDatabase } = await import("../../src/db/client.ts");
    await upgradeDatabase(target);
  }
  const database = await connect(target, options);
  const sql = openSqlClient(target);
  return {
    ...database,
    sql,
    destroy: async () => {
      await sql.close();
      await database.close();
      await drop();
    },
  };
}

export const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

async function redisAnswers(): Promise<boolean> {
  const { Redis } = await import("ioredis");
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
  });
  redis.on("error", () => {});
  try {
    await redis.connect();
    return (await redis.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

export const redisAvailable = await redisAnswers();
if (!redisAvailable && process.env.REQUIRE_REDIS === "1") {
  throw new Error(`REQUIRE_REDIS=1 but no Redis server answers at ${REDIS_URL}`);
}

declare module "vitest" {
  export interface ProvidedContext {
    /** The run's migrated PostgreSQL database to copy; "" without PostgreSQL. */
    postgresTemplate: string;
    /** The run's migrated SQLite file to copy. */
    sqliteTemplate: string;
  }
}

/**
 * The run's migrated templates (the global setup makes them once and drops them at the end):
 * a PostgreSQL database when a server answers, and a SQLite file.
 */
export async function migratedTemplates(): Promise<{
  postgres: string;
  sqlite: string;
  drop: () => Promise<void>;
}> {
  const { connect, upgradeDatabase } = await import("../../src/db/client.ts");
  const sqlite = await createTestTarget("sqlite");
  // Opening migrates the file; closing the last connection folds its write-ahead log into it.
  await (await connect(sqlite.target)).close();
  const file = sqlite.target.file as string;
  if (existsSync(`${file}-wal`)) throw new Error(`the SQLite template kept a WAL file: ${file}`);
  let postgres: Awaited<ReturnType<typeof createTestTarget>> | undefined;
  if (postgresAvailable) {
    postgres = await createTestTarget("postgresql");
    await upgradeDatabase(postgres.target);
  }
  return {
    postgres: postgres ? new URL(postgres.target.url).pathname.slice(1) : "",
    sqlite: file,
    drop: async () => {
      await postgres?.drop();
      await sqlite.drop();
    },
  };
}
