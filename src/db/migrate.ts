/**
 * Applies the committed migrations (prisma/migrations/<provider>/<name>/migration.sql) in name order,
 * each in its own transaction, and records them in Prisma's own `_prisma_migrations` table with
 * Prisma's checksum (SHA-256 of the file), so `prisma migrate deploy` sees the same history.
 *
 * It refuses to run when an applied migration's file changed, when the database has a migration
 * this version does not know (it is newer than the code), or when a migration was left unfinished.
 * Concurrent starts are safe: SQLite takes the write lock first, PostgreSQL an advisory lock.
 */
import { createHash, randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { MIGRATIONS_DIR } from "../paths.ts";
import { pgDriver } from "./drivers.ts";
import { openSqliteFile } from "./sqlite.ts";
import type { DatabaseTarget, Provider } from "./target.ts";

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
}

/** Any constant: the key of the PostgreSQL advisory lock that serialises migrators. */
const PG_LOCK_KEY = 727_370_411;

const CREATE_TABLE: Record<Provider, string> = {
  sqlite: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" TEXT PRIMARY KEY NOT NULL,
    "checksum" TEXT NOT NULL,
    "finished_at" DATETIME,
    "migration_name" TEXT NOT NULL,
    "logs" TEXT,
    "rolled_back_at" DATETIME,
    "started_at" DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`,
  postgresql: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum" VARCHAR(64) NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL,
    "logs" TEXT,
    "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`,
};

/** The applied migrations, in name order (a statement without parameters). */
export const SELECT_APPLIED = `SELECT "migration_name", "checksum", "finished_at" FROM "_prisma_migrations"
  WHERE "rolled_back_at" IS NULL ORDER BY "migration_name"`;

export function loadMigrations(provider: Provider, dir = MIGRATIONS_DIR): Migration[] {
  const root = `${dir}${provider}`;
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(`${root}/${name}/migration.sql`, "utf8");
      return { name, sql, checksum: createHash("sha256").update(sql).digest("hex") };
    });
}

/** The migrations still to apply; throws when the database and the files disagree. */
export function pending(migrations: Migration[], applied: AppliedRow[]): Migration[] {
  const known = new Map(migrations.map((m) => [m.name, m]));
  for (const row of applied) {
    const migration = known.get(row.migration_name);
    if (!migration) {
      throw new Error(
        `the database has migration ${row.migration_name}, which this version of papergraph does not know: it was migrated by a newer version`,
      );
    }
    if (row.finished_at === null) {
      throw new Error(
        `migration ${row.migration_name} was started but never finished: restore a backup or resolve it by hand`,
      );
    }
    if (row.checksum !== migration.checksum) {
      throw new Error(
        `prisma/migrations/.../${row.migration_name}/migration.sql was changed after it was applied: never edit an applied migration, add a new one`,
      );
    }
  }
  const done = new Set(applied.map((row) => row.migration_name));
  return migrations.filter((m) => !done.has(m.name));
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(
  target: DatabaseTarget,
  migrations = loadMigrations(target.provider),
): Promise<string[]> {
  return target.provider === "sqlite"
    ? migrateSqlite(target.file as string, migrations)
    : migratePostgres(target.url, migrations);
}

function migrateSqlite(file: string, migrations: Migration[]): string[] {
  const db = openSqliteFile(file);
  try {
    db.exec(CREATE_TABLE.sqlite);
    const applied: string[] = [];
    // Table redefinitions drop and recreate tables: with foreign keys on, a DROP would cascade.
    // The pragma has no effect inside a transaction, so it is set around each one, and the keys
    // are checked before commit instead.
    db.pragma("foreign_keys = OFF");
    for (;;) {
      db.exec("BEGIN IMMEDIATE");
      try {
        const next = pending(migrations, db.prepare(SELECT_APPLIED).all() as AppliedRow[])[0];
        if (!next) {
          db.exec("COMMIT");
          break;
        }
        db.exec(next.sql);
        const violations = db.pragma("foreign_key_check") as unknown[];
        if (violations.length > 0) {
          throw new Error(`migration ${next.name} leaves ${violations.length} broken foreign keys`);
        }
        db.prepare(
          `INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name", "applied_steps_count")
           VALUES (?, ?, current_timestamp, ?, 1)`,
        ).run(randomUUID(), next.checksum, next.name);
        db.exec("COMMIT");
        applied.push(next.name);
      } catch (error) {
        if (db.inTransaction) db.exec("ROLLBACK");
        throw error;
      }
    }
    return applied;
  } finally {
    db.pragma("foreign_keys = ON");
    db.close();
  }
}

async function migratePostgres(url: string, migrations: Migration[]): Promise<string[]> {
  const client = new (pgDriver().Client)({ connectionString: url });
  await client.connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PG_LOCK_KEY]);
    await client.query(CREATE_TABLE.postgresql);
    const { rows } = await client.query<AppliedRow>(SELECT_APPLIED);
    const applied: string[] = [];
    for (const next of pending(migrations, rows)) {
      await client.query("BEGIN");
      try {
        await client.query(next.sql);
        await client.query(
          `INSERT INTO "_prisma_migrations" ("id", "checksum", "finished_at", "migration_name", "applied_steps_count")
           VALUES ($1, $2, now(), $3, 1)`,
          [randomUUID(), next.checksum, next.name],
        );
        await client.query("COMMIT");
        applied.push(next.name);
      } catch (error) {
        await client.query("ROLLBACK");
        throw new Error(`migration ${next.name} failed: ${(error as Error).message}`);
      }
    }
    return applied;
  } finally {
    await client.end();
  }
}

/** PostgreSQL: the migrations not yet applied (checking the applied ones as `migrate` does). */
export async function pendingPostgres(
  url: string,
  migrations = loadMigrations("postgresql"),
): Promise<string[]> {
  const client = new (pgDriver().Client)({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ exists: boolean }>(
      `SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS "exists"`,
    );
    const applied = rows[0]?.exists ? (await client.query<AppliedRow>(SELECT_APPLIED)).rows : [];
    return pending(migrations, applied).map((m) => m.name);
  } finally {
    await client.end();
  }
}

/** Whether a PostgreSQL server answers at `url` within 3 s (tests, tools: skip or fail clearly). */
export async function postgresAnswers(url: string): Promise<boolean> {
  const client = new (pgDriver().Client)({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** A word as the shell reads it: as is when it is plain, else in single quotes. */
function shellWord(word: string): string {
  return /^[\w.,:/@%+=-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The `createdb` command that creates the database of a PostgreSQL URL (no password in it): as
 * the URL's user, or (`asOwner`) run by another user, owned by the URL's user.
 */
export function createdbCommand(url: string, asOwner = false): string {
  const u = new URL(url);
  const name = decodeURIComponent(u.pathname.slice(1));
  const words = ["createdb"];
  if (u.hostname) words.push("-h", u.hostname.replace(/^\[|\]$/g, ""));
  if (u.port) words.push("-p", u.port);
  if (u.username) words.push(asOwner ? "-O" : "-U", decodeURIComponent(u.username));
  words.push(name);
  return words.map(shellWord).join(" ");
}

/**
 * PostgreSQL: creates the database `url` names when the server says it does not exist (error
 * 3D000), connected to the server's `postgres` maintenance database as the same user; returns
 * whether it created it. When the user may not create databases, the error says which
 * `createdb` command to run instead.
 */
export async function createDatabaseIfMissing(url: string): Promise<boolean> {
  const probe = new (pgDriver().Client)({ connectionString: url });
  try {
    await probe.connect();
    return false;
  } catch (error) {
    if ((error as { code?: string }).code !== "3D000") throw error;
  } finally {
    await probe.end().catch(() => {});
  }
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  const maintenance = new URL(url);
  maintenance.pathname = "/postgres";
  const admin = new (pgDriver().Client)({ connectionString: maintenance.toString() });
  try {
    await admin.connect();
    await admin.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    return true;
  } catch (error) {
    // Created by someone else meanwhile: it exists, which is what was asked.
    if ((error as { code?: string }).code === "42P04") return false;
    throw new Error(
      `database "${name}" does not exist, and creating it failed (${(error as Error).message}): ` +
        `have a user who may create databases run \`${createdbCommand(url, true)}\`, ` +
        "then run `npm run migrate` again",
    );
  } finally {
    await admin.end().catch(() => {});
  }
}
