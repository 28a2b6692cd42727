/** The migration runner on fresh SQLite files and fresh PostgreSQL databases. */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import pg from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connect, openDatabase, upgradeDatabase } from "../src/db/client.ts";
import { createdbCommand, loadMigrations, migrate, pendingPostgres } from "../src/db/migrate.ts";
import { openSqlClient } from "../src/db/sql.ts";
import type { DatabaseTarget } from "../src/db/target.ts";
import { reindexWords, WORD_RULE_VERSION } from "../src/db/words.ts";
import { countPapers } from "../src/papers/list.ts";
import {
  createTestTarget,
  ENGINES,
  POSTGRES_ADMIN_URL,
  postgresAvailable,
} from "./support/engines.ts";

describe.each(ENGINES)("migrations on %s", (provider) => {
  let target: DatabaseTarget;
  let drop: () => Promise<void>;
  beforeEach(async () => {
    ({ target, drop } = await createTestTarget(provider));
  });
  afterEach(async () => {
    await drop();
  });

  it("applies every migration once, recorded with Prisma's checksum", async () => {
    const all = loadMigrations(provider);
    expect(all.length).toBeGreaterThan(0);
    expect(await migrate(target)).toEqual(all.map((m) => m.name));
    expect(await migrate(target)).toEqual([]);
    const { db, close } = await openDatabase(target);
    try {
      const rows = await db.$queryRawUnsafe<{ migration_name: string; checksum: string }[]>(
        `SELECT "migration_name", "checksum" FROM "_prisma_migrations" ORDER BY "migration_name"`,
      );
      expect(rows).toEqual(all.map((m) => ({ migration_name: m.name, checksum: m.checksum })));
      // The schema the client expects is there: every model can be queried.
      expect(await db.paper.count()).toBe(0);
      expect(await db.vote.count()).toBe(0);
      expect(await db.ingestRun.count()).toBe(0);
    } finally {
      await close();
    }
  });

  it("is safe when two processes start at once", async () => {
    const results = await Promise.all([migrate(target), migrate(target)]);
    expect(results.flat().sort()).toEqual(loadMigrations(provider).map((m) => m.name));
  });

  it("refuses an applied migration whose file changed", async () => {
    const all = loadMigrations(provider);
    await migrate(target);
    const edited = all.map((m, i) => (i === 0 ? { ...m, checksum: "0".repeat(64) } : m));
    await expect(migrate(target, edited)).rejects.toThrow(/was changed after it was applied/);
  });

  it("refuses a database migrated by a newer version", async () => {
    const all = loadMigrations(provider);
    await migrate(target, [
      ...all,
      { name: "99999999999999_future", sql: "SELECT 1;", checksum: "x" },
    ]);
    await expect(migrate(target, all)).rejects.toThrow(/99999999999999_future.*newer version/);
  });

  it("rolls back a failing migration and records nothing", async () => {
    const all = loadMigrations(provider);
    const bad = {
      name: "99999999999999_bad",
      sql: 'CREATE TABLE "x" (id INTEGER); SELECT * FROM "missing";',
      checksum: "y",
    };
    await expect(migrate(target, [...all, bad])).rejects.toThrow(/missing/);
    const { db, close } = await openDatabase(target);
    try {
      const names = await db.$queryRawUnsafe<{ migration_name: string }[]>(
        `SELECT "migration_name" FROM "_prisma_migrations"`,
      );
      expect(names.map((n) => n.migration_name)).not.toContain(bad.name);
      await expect(db.$queryRawUnsafe(`SELECT * FROM "x"`)).rejects.toThrow();
    } finally {
      await close();
    }
  });

  it("rewrites the words of stored papers and authors when the word rule changed", async () => {
    // A database as the version before the word rule moved into papergraph left it.
    const all = loadMigrations(provider);
    const wordRule = all.findIndex((m) => m.name.endsWith("_word_rule_lists_and_api_days"));
    await migrate(target, all.slice(0, wordRule));
    const sql = openSqlClient(target);
    try {
      const now = new Date();
      await sql.insertMany(
        "Paper",
        {
          arxivId: "text",
          titleKey: "text",
          title: "text",
          abstract: "text",
          authorCount: "int",
          updatedAt: "timestamp",
        },
        [
          [
            "2410.04717",
            "textbf only if revealing",
            "$\\textbf{Only-IF}$:Revealing",
            "Uses Qwen2.5-7B.",
            1,
            now,
          ],
          ["2501.00001", "naive", "Naïve baselines", "2D/3D U-Net/Transformer.", 1, now],
        ],
      );
      await sql.insertMany("Author", { name: "text" }, [["Łukasz Kaiser"]]);
      await sql.execute(
        `INSERT INTO "PaperAuthor" ("paperId", "position", "authorId", "hidden") VALUES (1, 0, 1, ?)`,
        [false],
      );
      // Upgrading applies the rest and writes every stored row's words with the current rule.
      const upgrade = await upgradeDatabase(target);
      expect(upgrade.applied).toEqual(all.slice(wordRule).map((m) => m.name));
      expect(upgrade.reindexed).toEqual({ papers: 2, authors: 1 });
      expect(await upgradeDatabase(target)).toEqual({ applied: [], reindexed: null });
      const { db, close } = await connect(target);
      try {
        const count = (filter: object) => countPapers(db, provider, filter);
        expect(await count({ search: "Qwen2.5" })).toBe(1);
        expect(await count({ search: "3D" })).toBe(1);
        expect(await count({ search: "naive" })).toBe(1);
        expect(await count({ author: "lukasz" })).toBe(1);
        const keys = await db.paper.findMany({
          select: { titleKey: true },
          orderBy: { id: "asc" },
        });
        expect(keys).toEqual([{ titleKey: "only if revealing" }, { titleKey: "naive baselines" }]);
        const setting = await db.setting.findUnique({ where: { key: "wordRule" } });
        expect(setting?.value).toBe(WORD_RULE_VERSION);
      } finally {
        await close();
      }
    } finally {
      await sql.close();
    }
  });

  it("the start-up check compares the applied migrations with this version's", async () => {
    const all = loadMigrations(provider);
    await upgradeDatabase(target);
    const future = { name: "99999999999999_future", sql: "SELECT 1;", checksum: "x" };
    await migrate(target, [...all, future]);
    await expect(connect(target)).rejects.toThrow(/99999999999999_future.*newer version/);
  });

  it("the start-up check sees a migration missing from an otherwise current database", async () => {
    const all = loadMigrations(provider);
    const last = all.at(-1)?.name as string;
    await migrate(target, all.slice(0, -1));
    const sql = openSqlClient(target);
    try {
      await reindexWords(sql); // The words are current: only the migration is missing.
    } finally {
      await sql.close();
    }
    if (provider === "postgresql") {
      await expect(connect(target)).rejects.toThrow(`lacks 1 migration(s) (${last})`);
      return;
    }
    // SQLite migrates itself.
    const { db, close } = await connect(target);
    try {
      const rows = await db.$queryRawUnsafe<{ migration_name: string }[]>(
        `SELECT "migration_name" FROM "_prisma_migrations" ORDER BY "migration_name"`,
      );
      expect(rows.map((row) => row.migration_name)).toEqual(all.map((m) => m.name));
    } finally {
      await close();
    }
  });

  if (provider === "postgresql") {
    it("will not start on an unmigrated PostgreSQL database; says what to run", async () => {
      expect(await pendingPostgres(target.url)).toEqual(
        loadMigrations(provider).map((m) => m.name),
      );
      await expect(connect(target)).rejects.toThrow(/run `npm run migrate` first/);
      await migrate(target);
      expect(await pendingPostgres(target.url)).toEqual([]);
      // Migrated but its words not yet written by this word rule: still refused.
      await expect(connect(target)).rejects.toThrow(/older word rule: run `npm run migrate`/);
      await upgradeDatabase(target);
      const { close } = await connect(target);
      await close();
    });
  } else {
    it("the embedded SQLite default migrates itself on connect", async () => {
      const { db, close } = await connect(target);
      expect(await db.day.count()).toBe(0);
      await close();
    });
  }
});

describe.skipIf(!postgresAvailable)(
  "papergraph migrate: a PostgreSQL database that does not exist",
  () => {
    const suffix = randomBytes(6).toString("hex");
    const name = `papergraph_test_missing_${suffix}`;
    const role = `papergraph_test_nocreate_${suffix}`;
    const urlOf = (user: string | null, database: string) => {
      const url = new URL(POSTGRES_ADMIN_URL);
      if (user) url.username = user;
      url.pathname = `/${database}`;
      return url.toString();
    };
    const admin = async (statement: string) => {
      const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await client.connect();
      try {
        return await client.query(statement);
      } finally {
        await client.end();
      }
    };
    const cli = async (args: string[], url: string) => {
      try {
        const { stdout, stderr } = await promisify(execFile)(
          process.execPath,
          ["src/bin.mjs", ...args],
          { env: { ...process.env, DATABASE_URL: url } },
        );
        return { code: 0, stdout, stderr };
      } catch (error) {
        const { code, stdout, stderr } = error as { code: number; stdout: string; stderr: string };
        return { code, stdout, stderr };
      }
    };
    afterEach(async () => {
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin(`DROP ROLE IF EXISTS "${role}"`);
    });

    it("is created, said so, and migrated; the next run finds it up to date", async () => {
      const url = urlOf(null, name);
      const first = await cli(["migrate"], url);
      expect(first.code).toBe(0);
      const lines = first.stdout.trim().split("\n");
      expect(lines[0]).toBe(`created the database ${url}`);
      expect(lines[1]).toMatch(new RegExp(`^applied to ${url}: .*_init,`));
      expect(lines).toHaveLength(2);
      expect(await pendingPostgres(url)).toEqual([]);
      const second = await cli(["migrate"], url);
      expect([second.code, second.stdout]).toEqual([0, `${url} is up to date\n`]);
    }, 180_000);

    it("a user who may not create databases is told the createdb command to have run", async () => {
      await admin(`CREATE ROLE "${role}" LOGIN`);
      const url = urlOf(role, name);
      const result = await cli(["migrate"], url);
      expect(result.code).toBe(1);
      const command = createdbCommand(url, true);
      expect(command).toMatch(new RegExp(`^createdb -h \\S+ -p \\d+ -O ${role} ${name}$`));
      expect(result.stderr).toBe(
        `papergraph: database "${name}" does not exist, and creating it failed (permission denied ` +
          `to create database): have a user who may create databases run \`${command}\`, then run ` +
          "`npm run migrate` again\n",
      );
      const exists = await admin(`SELECT 1 FROM pg_database WHERE datname = '${name}'`);
      expect(exists.rowCount).toBe(0);
    }, 180_000);
  },
);
