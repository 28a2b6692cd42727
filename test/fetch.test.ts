/**
 * The fetch from the Daily Papers API (src/fetch/), against a local server serving the fixture
 * answers of test/fixtures/hf-api (test/support/daily-papers-server.ts), on both engines: what
 * each answer leaves in the database (a day whole or untouched), the report, retries, time limits,
 * conditional requests; then `papergraph fetch` as a process, and the schedule (src/jobs/) in
 * server processes, two of them on one PostgreSQL database running each scheduled instant once.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { openSqlClient } from "../src/db/sql.ts";
import { retryAfterMs } from "../src/fetch/http.ts";
import { formatFetchReport } from "../src/fetch/report.ts";
import { addDays, type FetchOptions, fetchDays, recentDays, utcDay } from "../src/fetch/run.ts";
import { scheduleProblem } from "../src/jobs/registry.ts";
import {
  type DailyPapersServer,
  fixture,
  startDailyPapersServer,
} from "./support/daily-papers-server.ts";
import {
  createTestDatabase,
  createTestTarget,
  ENGINES,
  type TestDatabase,
} from "./support/engines.ts";
import { countData, dumpData } from "./support/ingest.ts";
import { finished, startOfAMinute, startServerProcess } from "./support/process.ts";

const DAY = "2025-01-27";
/** The fixture's papers (test/fixtures/hf-api/2025-01-27.json). */
const PAPERS = 4;

/** Quick retries, so that a test waits milliseconds where a real run waits seconds. */
const FAST: Omit<FetchOptions, "baseUrl"> = {
  concurrency: 2,
  timeoutMs: 5_000,
  attempts: 3,
  backoffMs: 20,
  maxRetryAfterMs: 5_000,
};

describe.each(ENGINES)("fetching days on %s", (provider) => {
  let database: TestDatabase;
  let api: DailyPapersServer;
  beforeEach(async () => {
    database = await createTestDatabase(provider);
    api = await startDailyPapersServer();
  });
  afterEach(async () => {
    await api.close();
    await database.destroy();
  });

  const run = (days: string[], options: Partial<FetchOptions> = {}) =>
    fetchDays(database.sql, days, { ...FAST, baseUrl: api.baseUrl, ...options });
  const runs = () =>
    database.sql.query<{ status: string; source: string }>(
      `SELECT "status", "source" FROM "IngestRun" ORDER BY "id"`,
    );
  const stored = async (day: string) =>
    (
      await database.sql.query<{ etag: string | null; lastModified: string | null }>(
        `SELECT "etag", "lastModified" FROM "FetchedDay" WHERE "date" = ?`,
        [day],
      )
    )[0];
  const dayPapers = (date: string) =>
    database.db.dayEntry.count({ where: { day: { date }, inLatestDigest: true } });

  it("loads a day through the ingest, then a 304 (ETag) leaves everything as it was", async () => {
    api.script(DAY, { body: fixture(`${DAY}.json`), etag: '"v1"' });
    const first = await run([DAY]);
    expect(first).toMatchObject({ fetched: 1, unchanged: 0, empty: 0, failed: 0 });
    expect(first.days[0]).toMatchObject({
      date: DAY,
      status: "fetched",
      attempts: 1,
      ingest: { status: "succeeded", change: "written", papersTotal: PAPERS, papersNew: PAPERS },
    });
    expect(await dayPapers(DAY)).toBe(PAPERS);
    expect(await runs()).toEqual([
      { status: "succeeded", source: `${api.baseUrl}/api/daily_papers?date=${DAY}` },
    ]);
    expect(await stored(DAY)).toEqual({ etag: '"v1"', lastModified: null });
    expect(api.hits[0]?.headers["if-none-match"]).toBeUndefined();

    const before = await dumpData(database.db);
    const second = await run([DAY]);
    expect(api.hits[1]?.headers["if-none-match"]).toBe('"v1"');
    expect(second).toMatchObject({ fetched: 0, unchanged: 1, failed: 0 });
    expect(second.days[0]).toMatchObject({ status: "unchanged", attempts: 1 });
    expect(await dumpData(database.db)).toEqual(before);
    expect(await runs()).toHaveLength(1);
  });

  it("sends Last-Modified back as If-Modified-Since; the same bytes again are not written twice", async () => {
    const lastModified = "Mon, 27 Jan 2025 18:00:00 GMT";
    api.script(DAY, { body: fixture(`${DAY}.json`), lastModified });
    await run([DAY]);
    expect(await run([DAY])).toMatchObject({ unchanged: 1 });
    expect(api.hits[1]?.headers["if-modified-since"]).toBe(lastModified);
    // A server without validators: the answer is downloaded again, and the ingest skips it.
    api.script(DAY, { body: fixture(`${DAY}.json`) });
    const again = await run([DAY]);
    expect(again.days[0]).toMatchObject({ status: "fetched", ingest: { status: "skipped" } });
    expect((await runs()).map((r) => r.status)).toEqual(["succeeded", "skipped"]);
    expect(await stored(DAY)).toEqual({ etag: null, lastModified: null });
  });

  it("429 with Retry-After: waits as told, then loads the day", async () => {
    api.script(DAY, { status: 429, retryAfter: "1" }, { body: fixture(`${DAY}.json`) });
    const report = await run([DAY]);
    expect(report.days[0]).toMatchObject({ status: "fetched", attempts: 2 });
    const [first, second] = api.hits;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950);
    expect(await dayPapers(DAY)).toBe(PAPERS);
  });

  it("a Retry-After past the bound fails the day at once instead of stalling the run", async () => {
    api.script(DAY, { status: 429, retryAfter: "86400" });
    api.script("2025-01-28", { body: fixture(`${DAY}.json`) });
    const started = Date.now();
    const report = await run([DAY, "2025-01-28"]);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(report).toMatchObject({ fetched: 1, failed: 1 });
    expect(report.days[0]).toMatchObject({ status: "failed", attempts: 1 });
    expect(report.days[0]).toHaveProperty(
      "error",
      "HTTP 429 Too Many Requests, Retry-After 86400 s: more than the 5 s waited at most",
    );
    expect(await dayPapers(DAY)).toBe(0);
    expect(await dayPapers("2025-01-28")).toBe(PAPERS);
  });

  it("500 then success: retried with backoff; a server that keeps failing fails its day alone", async () => {
    api.script(DAY, { status: 500 }, { body: fixture(`${DAY}.json`) });
    api.script("2025-01-28", { status: 503 });
    const report = await run([DAY, "2025-01-28"]);
    expect(report).toMatchObject({ fetched: 1, failed: 1 });
    expect(report.days[0]).toMatchObject({ status: "fetched", attempts: 2 });
    expect(report.days[1]).toMatchObject({
      status: "failed",
      attempts: 3,
      error: "HTTP 503 Service Unavailable (gave up after 3 attempts)",
    });
    expect(api.hits.filter((h) => h.date === "2025-01-28")).toHaveLength(3);
    expect(await dayPapers(DAY)).toBe(PAPERS);
    // Nothing was stored for the failed day: no run, no validators.
    expect(await stored("2025-01-28")).toBeUndefined();
    expect(await runs()).toHaveLength(1);
  });

  it("a 404 is not retried", async () => {
    const report = await run([DAY]);
    expect(report.days[0]).toMatchObject({
      status: "failed",
      attempts: 1,
      error: "HTTP 404 Not Found",
    });
  });

  it("a server that never answers: each attempt is cut at the time limit", async () => {
    api.script(DAY, { hang: true }, { body: fixture(`${DAY}.json`) });
    api.script("2025-01-28", { hang: true });
    const report = await run([DAY, "2025-01-28"], { timeoutMs: 300, attempts: 2 });
    expect(report.days[0]).toMatchObject({ status: "fetched", attempts: 2 });
    expect(report.days[1]).toMatchObject({
      status: "failed",
      attempts: 2,
      error: "no complete answer within 300 ms (gave up after 2 attempts)",
    });
    expect(await dayPapers(DAY)).toBe(PAPERS);
    expect(await dayPapers("2025-01-28")).toBe(0);
  });

  it("a truncated body is retried, and never half-written over a loaded day", async () => {
    api.script(DAY, { body: fixture(`${DAY}.json`), etag: '"v1"' });
    await run([DAY]);
    const before = await dumpData(database.db);
    // The next version (other upvotes) arrives cut in half, every time.
    const next = fixture(`${DAY}.json`).toString().replaceAll('"upvotes": ', '"upvotes": 1');
    api.script(DAY, { truncate: next });
    const report = await run([DAY]);
    expect(report.days[0]).toMatchObject({ status: "failed", attempts: 3 });
    expect(report.days[0]).toHaveProperty(
      "error",
      expect.stringMatching(
        /^the answer broke off before its end: .*\(gave up after 3 attempts\)$/,
      ),
    );
    expect(await dumpData(database.db)).toEqual(before);
    expect(await stored(DAY)).toEqual({ etag: '"v1"', lastModified: null });
    // Cut once, then whole: loaded.
    api.script(DAY, { truncate: next }, { body: next, etag: '"v2"' });
    expect((await run([DAY])).days[0]).toMatchObject({ status: "fetched", attempts: 2 });
    expect(await stored(DAY)).toMatchObject({ etag: '"v2"' });
  });

  it("an empty day is a valid answer that loads nothing and does not wipe a loaded day", async () => {
    api.script(DAY, { body: fixture(`${DAY}.json`) });
    await run([DAY]);
    const before = await dumpData(database.db);
    api.script(DAY, { body: "[]", etag: '"empty"' });
    api.script("2025-01-26", { body: "[]" });
    const report = await run(["2025-01-26", DAY]);
    expect(report).toMatchObject({ fetched: 0, empty: 2, failed: 0 });
    expect(await dumpData(database.db)).toEqual(before);
    expect(await dayPapers(DAY)).toBe(PAPERS);
    expect(await database.db.day.count({ where: { date: "2025-01-26" } })).toBe(0);
  });

  it("an answer that is not a digest, or too large, fails its day and writes nothing", async () => {
    api.script(DAY, { body: "<html>rate limited</html>" });
    api.script("2025-01-28", { body: fixture(`${DAY}.json`) });
    const report = await run([DAY, "2025-01-28"], { maxBytes: 1_000 });
    expect(report.days[0]).toMatchObject({ status: "failed", attempts: 1 });
    expect(report.days[1]).toMatchObject({
      status: "failed",
      error: "the answer is larger than 1000 bytes",
    });
    expect(await countData(database.db)).toMatchObject({ days: 0, papers: 0 });
    expect((await runs()).map((r) => r.status)).toEqual(["failed"]);
  });

  it("stops when its signal is aborted (SIGTERM to a runner): requests cancelled, nothing half-written", async () => {
    api.script(DAY, { body: fixture(`${DAY}.json`) });
    api.script("2025-01-28", { hang: true });
    const controller = new AbortController();
    const started = Date.now();
    const running = run([DAY, "2025-01-28"], { signal: controller.signal, concurrency: 1 });
    await expect.poll(() => api.hits.length).toBe(2);
    controller.abort(new Error("stopping"));
    await expect(running).rejects.toThrow("stopping");
    expect(Date.now() - started).toBeLessThan(4_000);
    await expect.poll(() => api.inFlight.now).toBe(0);
    expect(await dayPapers(DAY)).toBe(PAPERS);
    expect(await database.db.day.count()).toBe(1);
  });

  it("reports the ingest's warnings with the day they came from", async () => {
    api.script("2025-02-03", { body: fixture("2025-02-03-warnings.json") });
    const report = await run(["2025-02-03"]);
    const text = formatFetchReport(report);
    expect(text).toMatch(/^ {2}fetched {4}2025-02-03: written, 3 papers, 3 new/);
    expect(text).toMatch(
      /warning: .*date=2025-02-03: \$\[1\]\.paper\.githubStars: expected a non-negative integer/,
    );
    expect(text.split("\n").filter((l) => l.includes("warning:"))).toHaveLength(3);
    expect(text).toMatch(/\n1 day\(s\): 1 fetched, 0 unchanged, 0 empty, 0 failed; [\d.]+ s$/);
  });

  it("keeps to its concurrency, and reports the days oldest first", async () => {
    api.fallback = { body: fixture(`${DAY}.json`) };
    api.delayMs = 100;
    const days = recentDays("2025-02-05", 5);
    const report = await run(days, { concurrency: 2 });
    expect(report.fetched).toBe(6);
    expect(api.inFlight.max).toBe(2);
    expect(report.days.map((d) => d.date)).toEqual(days);
    expect(await database.db.day.count()).toBe(6);
  });
});

describe("fetch rules", () => {
  it("reads Retry-After as seconds or as an HTTP date", () => {
    const now = Date.parse("2026-11-29T12:00:00Z");
    expect(retryAfterMs("120", now)).toBe(120_000);
    expect(retryAfterMs("Sun, 29 Nov 2026 12:00:30 GMT", now)).toBe(30_000);
    expect(retryAfterMs("Sun, 29 Nov 2026 11:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs("soon", now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it("counts days in UTC across months and leap years", () => {
    expect(addDays("2024-03-01", -1)).toBe("2024-02-29");
    expect(addDays("2025-12-31", 1)).toBe("2026-01-01");
    expect(recentDays("2025-03-01", 2)).toEqual(["2025-02-27", "2025-02-28", "2025-03-01"]);
    expect(utcDay(new Date("2026-11-29T23:30:00-05:00"))).toBe("2026-11-30");
  });

  it("reads the fetch settings, with bounds and a message naming each wrong one", () => {
    expect(loadConfig({})).toMatchObject({
      fetch: {
        baseUrl: "https://huggingface.co",
        refetchDays: 3,
        concurrency: 2,
        timeoutMs: 30_000,
      },
      schedules: {},
    });
    expect(loadConfig({ FETCH_SCHEDULE: " 15 * * * * " }).schedules).toEqual({
      fetch: "15 * * * *",
    });
    expect(() =>
      loadConfig({ FETCH_REFETCH_DAYS: "31", FETCH_CONCURRENCY: "0", FETCH_TIMEOUT_MS: "soon" }),
    ).toThrow(
      /FETCH_CONCURRENCY "0" is not a whole number of at least 1\n {2}FETCH_TIMEOUT_MS "soon" is not a whole number of at least 100\n {2}FETCH_REFETCH_DAYS "31" is more than 30/,
    );
  });

  it("takes only five-field cron schedules both schedulers read alike", () => {
    expect(scheduleProblem("*/15 6-23 * * 1-5")).toBeNull();
    expect(scheduleProblem("0 5,17 * * *")).toBeNull();
    expect(scheduleProblem("* * * * * *")).toMatch(/expected 5 cron fields/);
    expect(scheduleProblem("0 24 * * *")).toMatch(/hour field "24" goes outside 0-23/);
    expect(scheduleProblem("0 5 * * MON")).toMatch(/day of week field "MON" is not/);
    expect(scheduleProblem("*/0 * * * *")).toMatch(/steps by 0/);
    expect(scheduleProblem("@daily")).toMatch(/expected 5 cron fields/);
  });
});

const BIN = "src/bin.mjs";

function cli(args: string[], env: Record<string, string>, signal: AbortSignal) {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    signal,
    killSignal: "SIGKILL",
  });
  return finished(child);
}

describe("papergraph fetch and papergraph worker", () => {
  let dir: string;
  let api: DailyPapersServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "papergraph-fetch-cli-"));
    api = await startDailyPapersServer();
  });
  afterAll(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.for<[string[], RegExp]>([
    [["--date", "2025-02-30"], /--date 2025-02-30 does not exist: February has 28 days in 2025/],
    [["--date", DAY, "--since", DAY], /--date names one day: it cannot go with --since or --until/],
    [["--until", DAY], /--until needs --since/],
    [["--since", "2025-02-02", "--until", "2025-02-01"], /--since 2025-02-02 is after 2025-02-01/],
    [["--since", "2020-01-01", "--until", "2025-01-01"], /more than 1000 days: fetch it in parts/],
    [["--date", "2999-01-01"], /2999-01-01 is after today/],
    [["--dates", DAY], /Unknown option '--dates'/],
    [[DAY], /fetch takes no arguments; unexpected: "2025-01-27"/],
  ])("exit 2 on wrong usage: %j", async ([args, message], { signal }) => {
    const result = await cli(["fetch", ...args], { DATABASE_URL: `file:${dir}/usage.db` }, signal);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/usage: papergraph fetch/);
  });

  it("refuses a wrong schedule or base URL, naming the variable", async ({ signal }) => {
    const result = await cli(
      ["fetch"],
      {
        FETCH_SCHEDULE: "every day",
        FETCH_BASE_URL: "ftp://example",
        DATABASE_URL: `file:${dir}/c.db`,
      },
      signal,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/FETCH_SCHEDULE "every day": expected 5 cron fields/);
    expect(result.stderr).toMatch(/FETCH_BASE_URL "ftp:\/\/example" is not an http\(s\) URL/);
  });

  it.for(ENGINES)(
    "prints the report and exits 1 when a day failed (%s)",
    async (provider, { signal }) => {
      const { target, drop } = await createTestTarget(provider);
      try {
        const env = { DATABASE_URL: target.url, FETCH_BASE_URL: api.baseUrl };
        if (provider === "postgresql") expect((await cli(["migrate"], env, signal)).code).toBe(0);
        api.script(DAY, { body: fixture(`${DAY}.json`), etag: '"cli"' });
        api.script("2025-01-28", { status: 404 });
        const failed = await cli(["fetch", "--since", DAY, "--until", "2025-01-28"], env, signal);
        expect(failed.stdout).toMatch(/fetched {4}2025-01-27: written, 4 papers, 4 new/);
        expect(failed.stdout).toMatch(/FAILED {5}2025-01-28: HTTP 404 Not Found/);
        expect(failed.stdout).toMatch(/2 day\(s\): 1 fetched, 0 unchanged, 0 empty, 1 failed/);
        expect(failed.code).toBe(1);
        const again = await cli(["fetch", "--date", DAY, "--json"], env, signal);
        expect(again.code).toBe(0);
        expect(JSON.parse(again.stdout)).toMatchObject({
          unchanged: 1,
          days: [{ date: DAY, status: "unchanged" }],
        });
      } finally {
        await drop();
      }
    },
  );

  it("papergraph worker needs a schedule, and stops on SIGTERM", async ({ signal }) => {
    const env = { DATABASE_URL: `file:${dir}/worker.db`, FETCH_BASE_URL: api.baseUrl };
    const none = await cli(["worker"], env, signal);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no job has a schedule: set FETCH_SCHEDULE/);
    const worker = startServerProcess(
      { ...env, FETCH_SCHEDULE: "0 5 * * *", LOG_LEVEL: "info" },
      { command: [process.execPath, BIN, "worker"], signal },
    );
    // A worker serves nothing: it never announces a URL.
    worker.url.catch(() => {});
    let stdout = "";
    worker.child.stdout?.on("data", (d) => {
      stdout += d;
    });
    await expect
      .poll(() => stdout, { timeout: 30_000 })
      .toMatch(/is running fetch \(0 5 \* \* \* UTC\) through in-process/);
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
    expect(worker.stderr()).toMatch(/"msg":"stopped"/);
  });
});

/**
 * The scheduled fetch: today (UTC) and FETCH_REFETCH_DAYS=1 day before it, every minute. Cron is
 * minute-grained (graphile-worker's crontab too), so this is a real every-minute schedule: the
 * processes start just after a minute begins, the test checks that each was scheduling before
 * the instant that ran, and that the instant ran once (each day requested once, one "job
 * started" among all of their logs). Today's request never gets an answer (its time limit is
 * 60 s), so SIGTERM finds the run in progress: the process must cancel it and exit 0 at once,
 * yesterday loaded. About a minute per engine.
 */
describe.each(ENGINES)("the schedule on %s", (provider) => {
  let api: DailyPapersServer;
  beforeEach(async () => {
    api = await startDailyPapersServer();
  });
  afterEach(() => api.close());

  const processes = provider === "postgresql" ? 2 : 1;
  it(`runs each scheduled instant once (${processes} server process(es)); SIGTERM cancels a run`, {
    tags: ["stress"],
    timeout: 180_000,
  }, async ({ signal }) => {
    const { target, drop } = await createTestTarget(provider);
    const servers: ReturnType<typeof startServerProcess>[] = [];
    try {
      if (provider === "postgresql") {
        const { upgradeDatabase } = await import("../src/db/client.ts");
        await upgradeDatabase(target);
      }
      const env = {
        DATABASE_URL: target.url,
        FETCH_BASE_URL: api.baseUrl,
        FETCH_SCHEDULE: "* * * * *",
        FETCH_REFETCH_DAYS: "1",
        FETCH_TIMEOUT_MS: "60000",
        SAMPLE_DATA: "false",
        LOG_LEVEL: "info",
      };
      await startOfAMinute(signal);
      const today = utcDay(new Date());
      api.fallback = { body: fixture(`${DAY}.json`) };
      api.script(today, { hang: true });
      for (let i = 0; i < processes; i++) servers.push(startServerProcess(env, { signal }));
      await Promise.all(servers.map((s) => s.url));
      for (const server of servers) {
        await expect
          .poll(() => server.stderr())
          .toMatch(
            provider === "postgresql"
              ? /scheduled jobs run through graphile-worker/
              : /scheduled jobs run in this process/,
          );
      }
      // The next minute's run: one request per day, from one process.
      const sql = openSqlClient(target);
      const days = async () =>
        (await sql.query<{ date: string }>(`SELECT "date" FROM "Day"`)).map((r) => r.date);
      try {
        await expect.poll(days, { timeout: 90_000, interval: 500 }).toEqual([addDays(today, -1)]);
      } finally {
        await sql.close();
      }
      const firstHit = api.hits[0]?.at ?? 0;
      // Every process was scheduling before the instant that ran (the minute the run began).
      const instant = Math.floor(firstHit / 60_000) * 60_000;
      for (const server of servers) {
        const line = server
          .stderr()
          .split("\n")
          .find((l) => l.includes("scheduled jobs run"));
        expect(JSON.parse(line ?? "{}").time).toBeLessThan(instant);
      }
      // Had another process run the same instant, it would have started within seconds.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      expect(api.hits.map((h) => h.date).sort()).toEqual([addDays(today, -1), today]);
      const started = servers.map((s) => s.stderr().match(/"msg":"job started"/g)?.length ?? 0);
      expect(started.reduce((a, b) => a + b)).toBe(1);
      expect(api.inFlight.now).toBe(1);

      const stopping = Date.now();
      for (const server of servers) server.child.kill("SIGTERM");
      for (const server of servers) {
        expect(await server.exited).toBe(0);
        expect(server.stderr()).toMatch(/"msg":"stopped"/);
      }
      // Well within the request's 60 s: the run was cancelled, not waited for.
      expect(Date.now() - stopping).toBeLessThan(20_000);
      const ran = servers.find((s) => s.stderr().includes('"msg":"job started"'));
      expect(ran?.stderr()).toMatch(/"msg":"job stopped: the runner is stopping"/);
      await expect.poll(() => api.inFlight.now).toBe(0);
    } finally {
      for (const server of servers) server.child.kill("SIGKILL");
      await drop();
    }
  });
});
