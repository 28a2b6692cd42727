/** `papergraph ingest` as a user runs it: a real process, real files, real databases. */
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { generateCorpus } from "../bench/generate.ts";
import { openSqlClient, type SqlClient } from "../src/db/sql.ts";
import type { DatabaseTarget } from "../src/db/target.ts";
import { createTestTarget, ENGINES } from "./support/engines.ts";
import { JSON_FIXTURE, TEXT_FIXTURE } from "./support/ingest.ts";

const BIN = "src/bin.mjs";

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI; `stdin` is written and closed, or (null) left open for the caller. */
function start(args: string[], env: Record<string, string>, stdin?: string | null): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  if (stdin !== null) child.stdin?.end(stdin ?? "");
  return child;
}

function finish(child: ChildProcess): Promise<Result> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

const cli = (args: string[], env: Record<string, string>, stdin?: string) =>
  finish(start(args, env, stdin));

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
    ({ target, drop } = await createTestTarget(provider));
    env = { DATABASE_URL: target.url };
    if (provider === "postgresql") {
      // Production databases are migrated explicitly; the ingest refuses an unmigrated one.
      const refused = await cli(["ingest", dir], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/run `npm run migrate` first/);
      expect((await cli(["migrate"], env)).stdout).toMatch(/applied to/);
    }
    sql = openSqlClient(target);
  });
  afterEach(async () => {
    await sql.close();
    await drop();
  });

  const count = async (table: string) =>
    Number((await sql.query<{ n: number }>(`SELECT count(*) AS "n" FROM "${table}"`))[0]?.n);

  it("loads a directory, says what it did, and is silent about progress off a terminal", async () => {
    const first = await cli(["ingest", dir], env);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe("");
    expect(first.stdout).toMatch(
      /2 digest\(s\): 2 ingested, 0 skipped, 0 failed; 1 day\(s\); 1 list\(s\); papers 63 new/,
    );
    expect(await count("Paper")).toBe(63);

    const second = await cli(["ingest", dir], env);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/already ingested by run #1/);
    expect(second.stdout).toMatch(/0 ingested, 2 skipped/);
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
      expect(result.stdout).toMatch(/1 ingested, 0 skipped, 1 failed/);
      expect(await count("Paper")).toBe(29);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it("dry-run writes nothing", async () => {
    const result = await cli(["ingest", "--dry-run", dir], env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/dry-run/);
    expect(await count("Paper")).toBe(0);
    expect(await count("IngestRun")).toBe(0);
  });

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
    expect(listed.stdout).toMatch(/\tactive\t/);
    expect((await cli(["token", "revoke", token.slice(0, 12)], env)).stdout).toMatch(
      /revoked 1 token/,
    );
    expect((await cli(["token", "list"], env)).stdout).toMatch(/\trevoked\t/);
    expect((await cli(["token", "revoke", token.slice(0, 12)], env)).code).toBe(1);
    expect((await cli(["token", "create", "nobody"], env)).stderr).toMatch(/no user "nobody"/);
  });

  it("rejects wrong usage with exit code 2", async () => {
    expect((await cli(["ingest"], env)).code).toBe(2);
    expect((await cli(["ingest", dir, "--format", "xml"], env)).stderr).toMatch(/--format must be/);
    expect((await cli(["ingest", dir, "--date", "10/25/2024"], env)).code).toBe(2);
    const missing = await cli(["ingest", join(dir, "nope.json")], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.json: no such file or directory/);
  });

  it("killed mid-way, leaves only whole digests; a rerun completes the rest", async () => {
    const corpus = mkdtempSync(join(tmpdir(), "papergraph-corpus-"));
    try {
      generateCorpus({ days: 120, papers: 100, textEvery: 10, out: corpus });
      const child = start(["ingest", corpus], env);
      const done = finish(child);
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
      expect(result.stdout).toMatch(/4 digest\(s\): 1 ingested, 0 skipped, 3 failed/);
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
    const done = finish(child);
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
