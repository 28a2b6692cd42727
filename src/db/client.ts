/**
 * The one module that owns the Prisma client. Both engines' generated clients have the same model
 * API (they come from one model source), so the app is typed with the SQLite client's types.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient as PostgresClient } from "../generated/prisma/postgresql/client.ts";
import { PrismaClient as SqliteClient } from "../generated/prisma/sqlite/client.ts";
import { migrate, pendingPostgres } from "./migrate.ts";
import type { DatabaseTarget } from "./target.ts";

export type Db = SqliteClient;
export type { Prisma } from "../generated/prisma/sqlite/client.ts";

/** How long a SQLite writer waits for another process's write lock before failing (ms). */
const SQLITE_BUSY_TIMEOUT_MS = 15_000;

export interface Database {
  db: Db;
  target: DatabaseTarget;
  close(): Promise<void>;
}

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  let db: Db;
  if (target.provider === "sqlite") {
    const file = target.file as string;
    mkdirSync(dirname(file), { recursive: true });
    const adapter = new PrismaBetterSqlite3({ url: file, timeout: SQLITE_BUSY_TIMEOUT_MS });
    db = new SqliteClient({ adapter });
    // WAL lets readers and one writer work at once, across processes; it persists in the file.
    await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
    await db.$queryRawUnsafe("PRAGMA synchronous = NORMAL");
    await db.$queryRawUnsafe("PRAGMA cache_size = -65536");
    await db.$queryRawUnsafe("PRAGMA foreign_keys = ON");
  } else {
    const adapter = new PrismaPg({ connectionString: target.url });
    db = new PostgresClient({ adapter }) as unknown as Db;
  }
  return { db, target, close: () => db.$disconnect() };
}

/**
 * Opens the database a DATABASE_URL names, ready to use. The embedded SQLite default applies its
 * pending migrations itself; PostgreSQL is migrated explicitly (`papergraph migrate`), so that a
 * deploy decides when the schema changes, and this refuses to start on an unmigrated database.
 */
export async function connect(target: DatabaseTarget): Promise<Database> {
  if (target.provider === "sqlite") {
    await migrate(target);
  } else {
    const missing = await pendingPostgres(target.url);
    if (missing.length > 0) {
      throw new Error(
        `the PostgreSQL database lacks ${missing.length} migration(s) (${missing.join(", ")}): run \`npm run migrate\` first`,
      );
    }
  }
  return openDatabase(target);
}
