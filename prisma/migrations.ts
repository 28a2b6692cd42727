/**
 * Authoring and checking migrations.
 *
 *   npm run migrate:new -- <name>   writes prisma/migrations/<provider>/<timestamp>_<name>/migration.sql
 *                                   for both engines, from the change to prisma/models.prisma
 *   npm run migrate:check           fails when prisma/models.prisma changed without a migration
 *
 * The SQL comes from the Prisma 6 CLI's `migrate diff` (its JS schema engine runs from bundled WASM,
 * unlike the Prisma 7 CLI, which needs a native engine that cannot be downloaded here). What the
 * models looked like at the last migration is kept in prisma/migrations/models.snapshot.prisma, so
 * a diff needs no database. The PostgreSQL diff still opens a connection (the engine reads the
 * server version): MIGRATE_POSTGRES_URL, by default postgresql://postgres@127.0.0.1:5432/postgres.
 * Migrations are applied by src/db/migrate.ts, at start (SQLite) or with `papergraph migrate`.
 */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { postgresAnswers } from "../src/db/migrate.ts";
import { PROVIDERS, type Provider, providerSchema, readModels } from "./schemas.ts";

const PRISMA6_CLI = "node_modules/prisma6/build/index.js";
const SNAPSHOT = "prisma/migrations/models.snapshot.prisma";
const POSTGRES_URL =
  process.env.MIGRATE_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

const work = mkdtempSync(join(tmpdir(), "papergraph-migrations-"));
const stub = join(work, "engine-stub");
writeFileSync(stub, "#!/bin/sh\nexit 1\n");
chmodSync(stub, 0o755);

/** The SQL that takes a database from `from` models (null: empty) to `to` models; "" if none. */
function diffSql(provider: Provider, from: string | null, to: string): string {
  const toFile = join(work, `${provider}-to.prisma`);
  writeFileSync(toFile, providerSchema(provider, { legacyUrl: true, models: to }));
  const fromArgs = ["--from-empty"];
  if (from !== null) {
    const fromFile = join(work, `${provider}-from.prisma`);
    writeFileSync(fromFile, providerSchema(provider, { legacyUrl: true, models: from }));
    fromArgs.splice(0, 1, "--from-schema-datamodel", fromFile);
  }
  const args = ["migrate", "diff", "--config", "prisma/prisma6.config.ts", ...fromArgs];
  const sql = execFileSync(
    process.execPath,
    [PRISMA6_CLI, ...args, "--to-schema-datamodel", toFile, "--script"],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        P6_PROVIDER: provider,
        P6_SCHEMA: toFile,
        P6_POSTGRES_URL: POSTGRES_URL,
        DATABASE_URL: provider === "sqlite" ? "file:unused.db" : POSTGRES_URL,
        PRISMA_SCHEMA_ENGINE_BINARY: stub,
        PRISMA_QUERY_ENGINE_LIBRARY: stub,
        PRISMA_HIDE_UPDATE_MESSAGE: "1",
      },
    },
  );
  const statements = sql.split("\n").filter((line) => line.trim() && !line.startsWith("--"));
  return statements.length > 0 ? `${sql.trim()}\n` : "";
}

const postgresReachable = () => postgresAnswers(POSTGRES_URL);

/** The engines we can diff for here: PostgreSQL only when a server answers (CI requires it). */
async function availableProviders(): Promise<Provider[]> {
  if (await postgresReachable()) return [...PROVIDERS];
  if (process.env.REQUIRE_POSTGRES === "1") {
    throw new Error(
      `PostgreSQL is required (REQUIRE_POSTGRES=1) but ${POSTGRES_URL} did not answer`,
    );
  }
  console.warn(`skipped postgresql: ${POSTGRES_URL} did not answer`);
  return ["sqlite"];
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

async function newMigration(name: string | undefined): Promise<void> {
  if (!name || !/^[a-z0-9_]+$/.test(name)) {
    throw new Error("usage: npm run migrate:new -- <name>   (lower case, digits and _ only)");
  }
  if (!(await postgresReachable())) {
    throw new Error(
      `authoring a migration needs a PostgreSQL server: ${POSTGRES_URL} did not answer`,
    );
  }
  const from = existsSync(SNAPSHOT) ? readFileSync(SNAPSHOT, "utf8") : null;
  const to = readModels();
  const sql = Object.fromEntries(PROVIDERS.map((p) => [p, diffSql(p, from, to)])) as Record<
    Provider,
    string
  >;
  if (PROVIDERS.every((p) => sql[p] === "")) {
    console.log("prisma/models.prisma has no changes since the last migration");
    return;
  }
  const folder = `${timestamp()}_${name}`;
  for (const provider of PROVIDERS) {
    const dir = `prisma/migrations/${provider}/${folder}`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/migration.sql`, sql[provider] || "-- no change on this engine\n");
    writeFileSync(
      `prisma/migrations/${provider}/migration_lock.toml`,
      `# Written by npm run migrate:new\nprovider = "${provider}"\n`,
    );
    console.log(`wrote ${dir}/migration.sql`);
  }
  writeFileSync(SNAPSHOT, to);
}

async function check(): Promise<void> {
  if (!existsSync(SNAPSHOT)) throw new Error(`${SNAPSHOT} is missing: run npm run migrate:new`);
  const from = readFileSync(SNAPSHOT, "utf8");
  const to = readModels();
  let failed = false;
  for (const provider of await availableProviders()) {
    const sql = diffSql(provider, from, to);
    if (sql) {
      failed = true;
      console.error(
        `prisma/models.prisma changed without a migration (${provider}); it would need:\n${sql}`,
      );
    } else {
      console.log(`${provider}: migrations match prisma/models.prisma`);
    }
  }
  if (failed) throw new Error("run: npm run migrate:new -- <name>");
}

const [command, arg] = process.argv.slice(2);
try {
  if (command === "new") await newMigration(arg);
  else if (command === "check") await check();
  else throw new Error("usage: tsx prisma/migrations.ts new <name> | check");
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
