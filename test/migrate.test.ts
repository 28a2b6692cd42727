/** The migration runner on fresh SQLite files and fresh PostgreSQL databases. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connect } from "../src/db/client.ts";
import { loadMigrations, migrate, pendingPostgres } from "../src/db/migrate.ts";
import type { DatabaseTarget } from "../src/db/target.ts";
import { createTestTarget, ENGINES } from "./support/engines.ts";

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
    const { db, close } = await connect(target);
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
    const { db, close } = await connect(target);
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

  if (provider === "postgresql") {
    it("will not start on an unmigrated PostgreSQL database; says what to run", async () => {
      expect(await pendingPostgres(target.url)).toEqual(
        loadMigrations(provider).map((m) => m.name),
      );
      await expect(connect(target)).rejects.toThrow(/run `npm run migrate` first/);
      await migrate(target);
      expect(await pendingPostgres(target.url)).toEqual([]);
    });
  } else {
    it("the embedded SQLite default migrates itself on connect", async () => {
      const { db, close } = await connect(target);
      expect(await db.day.count()).toBe(0);
      await close();
    });
  }
});
