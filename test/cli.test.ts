/** `papergraph ingest` as a user runs it: a real process, real files, real databases. */
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { generateCorpus } from "../bench/generate.ts";
import { openSqlClient, type SqlClient } from "../src/db/sql.ts";
import type { DatabaseTarget } from "../src/db/target.ts";
import { createTestTarget, ENGINES, templateOf } from "./support/engines.ts";
import { JSON_FIXTURE, TEXT_FIXTURE } from "./support/ingest.ts";
import { finished } from "./support/process.ts";

const BIN = "src/bin.mjs";

/** Starts the CLI; `stdin` is written and closed, or (null) left open for the caller. */
function start(args: string[], env: Record<string, string>, stdin?: string | null): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  if (stdin !== null) child.stdin?.end(stdin ?? "");
  return child;
}

const cli = (args: string[], env: Record<string, string>, stdin?: string) =>
  finished(start(args, env, stdin));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "papergraph-cli-"));
  copyFileSync(JSON_FIXTURE, join(dir, "2024-10-25.json"));
  copyFileSync(TEXT_FIXTURE, join(dir, "2025-12-10-task-generalization.txt"));
  writeFileSync(join(dir, "notes.md"), "not a digest: ignored");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(ENGINES)("papergraph ingest on %s", (provider) => {
  let target: DatabaseTarget;
  let drop: () => Promise<void>;
  let sql: SqlClient;
  let env: Record<string, string>;
  beforeEach(async () => {
    // PostgreSQL: a copy of the run's migrated database (production databases are migrated
    // explicitly: see the test of an unmigrated one below). SQLite: an empty file, which the
    // CLI creates and migrates itself.
    const template = provider === "postgresql" ? await templateOf(provider) : "";
    ({ target, drop } = await createTestTarget(provider, template));
    env = { DATABASE_URL: target.url };
    sql = openSqlClient(target);
  });
  afterEach(async () => {
    await sql.close();
    await drop();
  });

  const count = async (table: string) =>
    Number((await sql.query<{ n: number }>(`SELECT count(*) AS "n" FROM "${table}"`))[0]?.n);

  // SQLite: the CLI creates and migrates the file itself (every other test here).
  if (provider === "postgresql") {
    it("refuses an unmigrated database, saying to migrate it; `migrate` makes it usable", async () => {
      const { target: empty, drop: dropEmpty } = await createTestTarget(provider);
      try {
        const emptyEnv = { DATABASE_URL: empty.url };
        const refused = await cli(["ingest", dir], emptyEnv);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/run `npm run migrate` first/);
        expect((await cli(["migrate"], emptyEnv)).stdout).toMatch(/applied to/);
        expect((await cli(["ingest", dir], emptyEnv)).code).toBe(0);
      } finally {
        await dropEmpty();
      }
    });
  }

  it("loads a directory, says what it did, and is silent about progress off a terminal", async () => {
    const first = await cli(["ingest", dir], env);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe("");
    expect(first.stdout).toMatch(
      /2 digest\(s\): 2 written, 0 updated, 0 unchanged, 0 skipped, 0 failed; 1 day\(s\); 1 list\(s\); papers 63 new/,
    );
    expect(await count("Paper")).toBe(63);

    const second = await cli(["ingest", dir], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/already ingested by run #1/);
    expect(second.stdout).toMatch(/0 written, 0 updated, 0 unchanged, 2 skipped/);
    expect(await count("Paper")).toBe(63);
  });

  it("reads standard input, and reports JSON on request", async () => {
    const { readFileSync } = await import("node:fs");
    const result = await cli(["ingest", "-", "--json"], env, readFileSync(JSON_FIXTURE, "utf8"));
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ days: 1, papersNew: 29, failed: 0 });
    expect(report.files[0]).toMatchObject({ source: "-", format: "hf-json", date: "2024-10-25" });
  });

  it("exits non-zero when a digest fails, after ingesting the others", async () => {
    const bad = mkdtempSync(join(tmpdir(), "papergraph-bad-"));
    try {
      copyFileSync(JSON_FIXTURE, join(bad, "2024-10-25.json"));
      writeFileSync(
        join(bad, "broken.txt"),
        "Dec 10\n\nA title\n\nAn abstract\n\n  • 0 authors\n·\nDec 9\n",
      );
      const result = await cli(["ingest", bad], env);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/FAILED\s+\S*broken\.txt:7: /);
      expect(result.stdout).toMatch(/1 written, 0 updated, 0 unchanged, 0 skipped, 1 failed/);
      expect(await count("Paper")).toBe(29);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it("dry-run writes nothing, and on loaded digests says what the real run would", async () => {
    const result = await cli(["ingest", "--dry-run", dir], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^dry run: what the ingest would do; nothing was written\n/);
    expect(result.stdout).toMatch(/\n {2}written {4}\S*2024-10-25\.json \(2024-10-25\): 29 papers/);
    expect(result.stdout).toMatch(/\ndry run: 2 digest\(s\): 2 written, 0 updated, 0 unchanged/);
    expect(await count("Paper")).toBe(0);
    expect(await count("IngestRun")).toBe(0);

    expect((await cli(["ingest", dir], env)).code).toBe(0);
    const runs = await count("IngestRun");
    const loaded = await cli(["ingest", "--dry-run", dir], env);
    expect(loaded.stdout).not.toMatch(/\n {2}written|would be/);
    // (Run ids, like every id, are not handed out twice on PostgreSQL: the dry run used some.)
    expect(loaded.stdout).toMatch(/already ingested by run #\d+, nothing changed/);
    expect(loaded.stdout).toMatch(/2 digest\(s\): 0 written, 0 updated, 0 unchanged, 2 skipped/);
    const forced = await cli(["ingest", "--dry-run", "--force", dir], env);
    expect(forced.stdout).toMatch(
      /\n {2}unchanged {2}\S*2024-10-25\.json \(2024-10-25\): 29 papers, 0 new/,
    );
    expect(forced.stdout).toMatch(/2 digest\(s\): 0 written, 0 updated, 2 unchanged, 0 skipped/);
    expect(await count("IngestRun")).toBe(runs);
  }, 300_000);

  it("manages users and API tokens: shown once, listed by prefix, revoked", async () => {
    expect((await cli(["user", "create", "alice", "--name", "Alice"], env)).stdout).toMatch(
      /created user alice/,
    );
    const duplicate = await cli(["user", "create", "alice"], env);
    expect([duplicate.code, duplicate.stderr]).toEqual([
      1,
      'papergraph: user "alice" already exists\n',
    ]);
    const created = await cli(["token", "create", "alice", "--name", "laptop"], env);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^pgt_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/shown once/);
    const listed = await cli(["token", "list", "alice"], env);
    expect(listed.stdout).toContain(`${token.slice(0, 12)}...`);
    expect(listed.stdout).not.toContain(token.slice(12));
    const header = "id\tuser\tname\tprefix\tstate\tcreated\texpires\tlast used\trevoked";
    const iso = "\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z";
    expect(listed.stdout.split("\n")[0]).toBe(header);
    expect(listed.stdout).toMatch(
      new RegExp(`\\talice\\tlaptop\\tpgt_\\S+\\.\\.\\.\\tactive\\t${iso}\\tnever\\tnever\\t-\\n`),
    );
    expect((await cli(["token", "revoke", token.slice(0, 12)], env)).stdout).toMatch(
      /revoked 1 token/,
    );
    expect((await cli(["token", "list"], env)).stdout).toMatch(
      new RegExp(`\\trevoked\\t${iso}\\tnever\\tnever\\t${iso}\\n`),
    );
    expect((await cli(["token", "revoke", token.slice(0, 12)], env)).code).toBe(1);
    expect((await cli(["token", "create", "nobody"], env)).stderr).toMatch(/no user "nobody"/);

    // An expiry in whole days, shown when created and listed; a last use once it is written.
    const expiring = await cli(["token", "create", "alice", "--expires-days", "90"], env);
    expect(expiring.code).toBe(0);
    const expires = /\(expires (\S+)\)/.exec(expiring.stderr)?.[1] as string;
    const days = (Date.parse(expires) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(89.9);
    expect(days).toBeLessThanOrEqual(90);
    await sql.execute(`UPDATE "ApiToken" SET "lastUsedAt" = ? WHERE "prefix" = ?`, [
      new Date("2026-01-02T03:04:05.000Z"),
      expiring.stdout.trim().slice(0, 12),
    ]);
    const withExpiry = (await cli(["token", "list", "alice"], env)).stdout;
    expect(withExpiry).toContain(`\tactive\t`);
    expect(withExpiry).toMatch(
      new RegExp(
        `\\tactive\\t${iso}\\t${expires.replace(/\./g, "\\.")}\\t2026-01-02T03:04:05\\.000Z\\t-\\n`,
      ),
    );
  }, 300_000);

  it("rejects wrong usage with exit code 2", async () => {
    expect((await cli(["ingest"], env)).code).toBe(2);
    expect((await cli(["ingest", dir, "--format", "xml"], env)).stderr).toMatch(/--format must be/);
    expect((await cli(["ingest", dir, "--date", "10/25/2024"], env)).code).toBe(2);
    const missing = await cli(["ingest", join(dir, "nope.json")], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.json: no such file or directory/);
  });

  it("killed mid-way, leaves only whole digests; a rerun completes the rest", {
    tags: ["stress"],
    timeout: 300_000,
  }, async () => {
    const corpus = mkdtempSync(join(tmpdir(), "papergraph-corpus-"));
    try {
      generateCorpus({ days: 120, papers: 100, textEvery: 10, out: corpus });
      const child = start(["ingest", corpus], env);
      const done = finished(child);
      // Wait until some digests are in, then kill the process without warning.
      // (On SQLite the process creates the tables itself: until then there is nothing to count.)
      const runsSoFar = () => count("IngestRun").catch(() => 0);
      for (let i = 0; i < 600 && (await runsSoFar()) < 5; i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill("SIGKILL");
      await done;

      const runs = await count("IngestRun");
      expect(runs).toBeGreaterThanOrEqual(5);
      expect(runs).toBeLessThan(120);
      const perDay = await sql.query<{ date: string; n: number }>(
        `SELECT d."date", count(e."paperId") AS "n" FROM "Day" d
         LEFT JOIN "DayEntry" e ON e."dayId" = d."id" GROUP BY d."date"`,
      );
      // Every day that exists is complete, and belongs to a finished run.
      expect(perDay.length).toBe(runs);
      expect(perDay.every((d) => Number(d.n) === 100)).toBe(true);
      const orphans = await sql.query(
        `SELECT p."id" FROM "Paper" p WHERE NOT EXISTS (SELECT 1 FROM "DayEntry" e WHERE e."paperId" = p."id")`,
      );
      expect(orphans).toEqual([]);
      expect(await count("IngestRun")).toBe(
        Number(
          (
            await sql.query<{ n: number }>(
              `SELECT count(*) AS "n" FROM "IngestRun" WHERE "status" = 'succeeded'`,
            )
          )[0]?.n,
        ),
      );

      const rerun = await cli(["ingest", corpus], env);
      expect(rerun.code).toBe(0);
      expect(rerun.stdout).toMatch(new RegExp(`${runs} skipped, 0 failed`));
      expect(await count("Day")).toBe(120);
      expect(await count("DayEntry")).toBe(12_000);
    } finally {
      rmSync(corpus, { recursive: true, force: true });
    }
  });
});

describe("papergraph", () => {
  it("prints usage", async () => {
    const result = await cli(["help"], {});
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ingest <file\|dir\|->/);
    expect((await cli(["frobnicate"], {})).code).toBe(2);
    const help = await cli(["token", "create", "--help"], {});
    expect([help.code, help.stdout.split("\n")[0]]).toEqual([
      0,
      "usage: papergraph token create <handle> [--name NAME] [--expires-days N]",
    ]);
  });

  it("names a wrong DATABASE_URL clearly", async () => {
    const result = await cli(["ingest", dir], { DATABASE_URL: "mysql://localhost/x" });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/DATABASE_URL "mysql:\/\/localhost\/x" is not supported/);
  });
});

describe("papergraph ingest: hostile files and arguments (SQLite)", () => {
  let target: DatabaseTarget;
  let drop: () => Promise<void>;
  let env: Record<string, string>;
  beforeEach(async () => {
    ({ target, drop } = await createTestTarget("sqlite"));
    env = { DATABASE_URL: target.url };
  });
  afterEach(async () => {
    await drop();
  });

  it("a link loop and a dangling link are reported as failed; the other files load", async () => {
    const links = mkdtempSync(join(tmpdir(), "papergraph-links-"));
    try {
      copyFileSync(JSON_FIXTURE, join(links, "2024-10-25.json"));
      symlinkSync("loop-b.json", join(links, "loop-a.json"));
      symlinkSync("loop-a.json", join(links, "loop-b.json"));
      symlinkSync("nowhere.json", join(links, "dangling.json"));
      const result = await cli(["ingest", links], env);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/FAILED .*loop-a\.json: .*ELOOP/);
      expect(result.stdout).toMatch(/FAILED .*dangling\.json: .*ENOENT/);
      expect(result.stdout).toMatch(
        /4 digest\(s\): 1 written, 0 updated, 0 unchanged, 0 skipped, 3 failed/,
      );
      const sql = openSqlClient(target);
      try {
        const rows = await sql.query<{ n: number }>(`SELECT count(*) AS "n" FROM "Paper"`);
        expect(Number(rows[0]?.n)).toBe(29);
      } finally {
        await sql.close();
      }
    } finally {
      rmSync(links, { recursive: true, force: true });
    }
  });

  it("says a --date does not exist, and refuses days from the future", async () => {
    const feb30 = await cli(["ingest", "--date", "2024-02-30", JSON_FIXTURE], env);
    expect(feb30.code).toBe(2);
    expect(feb30.stderr).toMatch(/--date 2024-02-30 does not exist: February has 29 days in 2024/);
    const future = await cli(["ingest", "--date", "2099-01-01", JSON_FIXTURE], env);
    expect(future.code).toBe(1);
    expect(future.stdout).toMatch(/the digest's day 2099-01-01 \(from --date\) is after tomorrow/);
  });

  it("stops reading standard input at the size limit", async () => {
    const child = start(["ingest", "-"], env, null);
    const done = finished(child);
    // 60 MB of text: the process refuses it after 50 MB, without waiting for the end.
    const chunk = Buffer.alloc(1024 * 1024, "x");
    const stdin = child.stdin as NonNullable<typeof child.stdin>;
    stdin.on("error", () => {});
    let written = 0;
    // Each write's callback runs once the pipe took it, or with an error once the reader left.
    for (; written < 60 && !stdin.destroyed; written++) {
      const failed = await new Promise<boolean>((r) => stdin.write(chunk, (error) => r(!!error)));
      if (failed) break;
    }
    stdin.end();
    const result = await done;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/standard input is larger than 52428800 bytes/);
    expect(written).toBeLessThan(60);
  });
});

describe("papergraph: every command rejects what it does not know (SQLite)", () => {
  let target: DatabaseTarget;
  let drop: () => Promise<void>;
  let env: Record<string, string>;
  beforeAll(async () => {
    ({ target, drop } = await createTestTarget("sqlite"));
    env = { DATABASE_URL: target.url };
    expect((await cli(["user", "create", "alice"], env)).code).toBe(0);
  });
  afterAll(async () => {
    await drop();
  });

  /** Exit code 2, a message naming what was wrong, and the usage of the command concerned. */
  const refused = async (args: string[], message: RegExp, usage: string) => {
    const result = await cli(args, env);
    expect(result.code, args.join(" ")).toBe(2);
    expect(result.stdout).toBe("");
    const [first, , usageLine] = result.stderr.split("\n");
    expect(first).toMatch(message);
    expect(usageLine).toBe(`usage: papergraph ${usage}`);
  };

  it("token create: the README's line pasted with its brackets, unknown options, bad expiries", async () => {
    const usage = "token create <handle> [--name NAME] [--expires-days N]";
    await refused(
      ["token", "create", "alice", "--name", "laptop", "[--expires-days", "90]"],
      /^papergraph: token create takes one <handle>; unexpected: "\[--expires-days" "90\]"$/,
      usage,
    );
    await refused(
      ["token", "create", "alice", "--expire-days", "90"],
      /^papergraph: token create: Unknown option '--expire-days'/,
      usage,
    );
    await refused(["token", "create"], /^papergraph: token create needs one <handle>$/, usage);
    await refused(
      ["token", "create", "alice", "--name"],
      /^papergraph: token create: Option '--name <value>' argument missing/,
      usage,
    );
    for (const days of ["0", "1.5", "1e2", "3651", "ninety"]) {
      await refused(
        ["token", "create", "alice", `--expires-days=${days}`],
        /^papergraph: --expires-days must be a whole number of days from 1 to 3650, not "/,
        usage,
      );
    }
    // None of these created a token.
    const sql = openSqlClient(target);
    try {
      const rows = await sql.query<{ n: number }>(`SELECT count(*) AS "n" FROM "ApiToken"`);
      expect(Number(rows[0]?.n)).toBe(0);
    } finally {
      await sql.close();
    }
  }, 300_000);

  it("token list and revoke, user create, migrate, ingest: stray words and unknown options", async () => {
    await refused(
      ["token", "list", "alice", "bob"],
      /^papergraph: token list takes at most one <handle>; unexpected: "bob"$/,
      "token list [<handle>]",
    );
    await refused(
      ["token", "list", "--all"],
      /^papergraph: token list: Unknown option '--all'/,
      "token list [<handle>]",
    );
    await refused(
      ["token", "revoke", "1", "2"],
      /^papergraph: token revoke takes one <id\|prefix>; unexpected: "2"$/,
      "token revoke <id|prefix>",
    );
    await refused(
      ["token", "rotate", "1"],
      /^papergraph: unknown token command "rotate"$/,
      "token create <handle> [--name NAME] [--expires-days N]",
    );
    await refused(
      ["user", "create", "bob", "Bob"],
      /^papergraph: user create takes one <handle>; unexpected: "Bob"$/,
      "user create <handle> [--name NAME]",
    );
    await refused(
      ["migrate", "now"],
      /^papergraph: migrate takes no arguments; unexpected: "now"$/,
      "migrate [--status]",
    );
    await refused(
      ["migrate", "--dry-run"],
      /^papergraph: migrate: Unknown option '--dry-run'/,
      "migrate [--status]",
    );
    await refused(
      ["ingest", "--dryrun", JSON_FIXTURE],
      /^papergraph: ingest: Unknown option '--dryrun'/,
      "ingest <file|dir|->... [options]",
    );
    await refused(
      ["ingest", "--verbose=yes", JSON_FIXTURE],
      /^papergraph: ingest: Option '--verbose' does not take an argument/,
      "ingest <file|dir|->... [options]",
    );
    // No user "bob", nothing ingested.
    const sql = openSqlClient(target);
    try {
      const users = await sql.query<{ n: number }>(`SELECT count(*) AS "n" FROM "User"`);
      expect(Number(users[0]?.n)).toBe(1);
      const runs = await sql.query<{ n: number }>(`SELECT count(*) AS "n" FROM "IngestRun"`);
      expect(Number(runs[0]?.n)).toBe(0);
    } finally {
      await sql.close();
    }
  }, 300_000);
});
