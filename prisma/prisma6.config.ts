/**
 * Configuration for the Prisma 6 CLI, used only to author migration SQL (`npm run migrate:new`).
 * Its experimental JS schema engine runs from bundled WASM, so nothing has to be downloaded.
 * Set by prisma/migrations.ts: P6_PROVIDER, P6_SCHEMA, P6_POSTGRES_URL.
 */
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";

const provider = process.env.P6_PROVIDER;

export default {
  experimental: { adapter: true },
  engine: "js",
  schema: process.env.P6_SCHEMA,
  adapter: async () =>
    provider === "postgresql"
      ? new PrismaPg({ connectionString: process.env.P6_POSTGRES_URL })
      : new PrismaBetterSqlite3({ url: ":memory:" }),
};
