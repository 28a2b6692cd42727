/**
 * The drivers that only one configuration needs, loaded on first use: a server on SQLite never
 * loads pg, one on PostgreSQL never loads better-sqlite3, one without REDIS_URL never loads
 * ioredis. Loading a driver it does not use cost a server start 20-70 ms of CPU each (pg,
 * ioredis) and their memory. They are CommonJS packages, so a synchronous `require` serves the
 * synchronous openers (`openSqliteFile`, `openSqlClient`) as well as the asynchronous ones.
 *
 * Modules that need a driver's types import them with `import type`; only this module loads them.
 */
import { createRequire } from "node:module";
import type BetterSqlite3 from "better-sqlite3";
import type * as IORedis from "ioredis";
import type Pg from "pg";

const load = createRequire(import.meta.url);

/** better-sqlite3's Database class. */
export function sqliteDriver(): typeof BetterSqlite3 {
  return load("better-sqlite3") as typeof BetterSqlite3;
}

/** The pg module (Pool, Client, types). */
export function pgDriver(): typeof Pg {
  return load("pg") as typeof Pg;
}

/** The ioredis module (Redis). */
export function redisDriver(): typeof IORedis {
  return load("ioredis") as typeof IORedis;
}
