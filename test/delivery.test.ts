/**
 * The whole delivery path, end to end, as `npm start` runs it (issue 11's "Done when"): server
 * processes with FETCH_SCHEDULE and DIGEST_SCHEDULE every minute, against a local Daily Papers
 * stand-in and a real SMTP server, on an empty database of each engine. A subscriber of each
 * frequency subscribes through GraphQL and confirms through the mailed link; the scheduled fetch
 * ingests the days, the scheduled digest mails each of them once; the server processes are
 * SIGKILLed while a fetch is in flight and started again on the same database, and after the
 * next instant of both jobs there is still one mail per subscriber and period, the day written
 * whole; the Atom feed lists the fetched papers. On PostgreSQL two server processes share the
 * database: each instant's fetch asks the stand-in once per day.
 *
 * Cron is minute-grained, so this takes three scheduled instants (about three minutes) per engine.
 * The subscribers confirm only once the first fetch has stored the days: a digest planned before
 * its days are stored would have no papers (an EMPTY period, rightly never sent).
 */
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import Parser from "rss-parser";
import { beforeAll, describe, type ExpectStatic, it } from "vitest";
import { build, staleness } from "../build.mjs";
import { openSqlClient } from "../src/db/sql.ts";
import { addDays, recentDays, utcDay } from "../src/fetch/run.ts";
import { isoWeek } from "../src/papers/periods.ts";
import { fixture, startDailyPapersServer } from "./support/daily-papers-server.ts";
import { createTestTarget, ENGINES } from "./support/engines.ts";
import { type ServerProcess, startOfAMinute, startServerProcess } from "./support/process.ts";
import { linkIn, recipient, startSmtp } from "./support/smtp.ts";

/** Longest wait for one scheduled instant's effect (a minute, and a loaded machine's slack). */
const TICK_MS = 150_000;
/** Up to five minutes waiting out midnight, then about three scheduled instants. */
const TEST_TIMEOUT = 900_000;
const MAIL_FROM = "Papergraph <digest@papergraph.test>";
/** The mails' links point here; the test sends them to the server process it started. */
const PUBLIC_URL = "https://papers.example.org";
/** The scheduled fetch asks for today and this many days before: the last full ISO week too. */
const REFETCH_DAYS = 7;
/** The fixtures served: the newest day's, and a day of the last full ISO week. */
const DAY_FIXTURE = "2025-01-27.json";
const WEEK_FIXTURE = "2024-05-06.json";

/** What `npm start` runs (without npm in between, so that SIGKILL reaches the server itself). */
const NPM_START: [string, ...string[]] = [process.execPath, "src/start.mjs"];

// Built here, where the hook's time limit allows for it (and not by two processes at once).
beforeAll(async () => {
  if (staleness()) await build();
}, 180_000);

/** Time the test spans at most: "today" must not change under it. */
const SPAN_MS = 5 * 60_000;

/** Waits, near midnight UTC, until the new day has begun: the days asked stay the same. */
async function clearOfMidnight(signal: AbortSignal): Promise<void> {
  const toMidnight = 86_400_000 - (Date.now() % 86_400_000);
  if (toMidnight < SPAN_MS) await sleep(toMidnight + 1_000, undefined, { signal });
}

const SUBSCRIBE = `mutation($input: SubscribeToDigestInput!) {
  subscribeToDigest(input: $input) { email frequency }
}`;

interface FixturePaper {
  title: string;
  paper: { id: string; upvotes: number };
}
const papersOf = (name: string) => JSON.parse(fixture(name).toString()) as FixturePaper[];
const titles = (name: string) => papersOf(name).map((p) => p.title);

/** Follows a mailed link on `server` as a browser would: GET the page, then POST its form. */
async function follow(
  link: string,
  server: string,
  signal: AbortSignal,
  expect: ExpectStatic,
): Promise<string> {
  const url = new URL(link);
  const local = new URL(`${url.pathname}${url.search}`, server);
  const page = await fetch(local, { signal });
  expect(page.status).toBe(200);
  const action = /<form method="post" action="([^"]+)"/.exec(await page.text())?.[1];
  expect(action).toBeTruthy();
  const posted = await fetch(new URL((action as string).replace(/&amp;/g, "&"), local), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "",
    signal,
  });
  expect(posted.status).toBe(200);
  return posted.text();
}

/** How many lines of a process's JSON log have this message (and, given, this job). */
function logged(server: ServerProcess, msg: string, job?: string): number {
  return server
    .stderr()
    .split("\n")
    .filter((line) => line.includes(`"msg":"${msg}"`) && (!job || line.includes(`"job":"${job}"`)))
    .length;
}

// The engines' runs wait for the same scheduled minutes: they run side by side, each with its own
// database, stand-in, mail server and processes, and the signal of its own test.
describe.each(ENGINES)("delivery on %s", { concurrent: true }, (provider) => {
  const processes = provider === "postgresql" ? 2 : 1;

  it(`npm start fetches, ingests and mails each confirmed subscriber once per period, across a SIGKILL (${processes} server process(es))`, {
    tags: ["stress"],
    timeout: TEST_TIMEOUT,
  }, async ({ signal, expect }) => {
    // The test's own `expect`: the two engines' tests run at once (see above), and
    // `expect.poll` needs to know which test it belongs to.
    const api = await startDailyPapersServer();
    const inbox = await startSmtp(TICK_MS);
    const { target, drop } = await createTestTarget(provider);
    const sql = openSqlClient(target);
    let servers: ServerProcess[] = [];
    const killAll = () => {
      for (const server of servers) server.child.kill("SIGKILL");
    };
    try {
      if (provider === "postgresql") {
        const { upgradeDatabase } = await import("../src/db/client.ts");
        await upgradeDatabase(target);
      }
      const env = {
        DATABASE_URL: target.url,
        SAMPLE_DATA: "false",
        FETCH_SCHEDULE: "* * * * *",
        DIGEST_SCHEDULE: "* * * * *",
        FETCH_BASE_URL: api.baseUrl,
        FETCH_REFETCH_DAYS: String(REFETCH_DAYS),
        FETCH_TIMEOUT_MS: "120000",
        SMTP_URL: `smtp://127.0.0.1:${inbox.port}`,
        MAIL_FROM,
        PUBLIC_URL,
        LOG_LEVEL: "info",
      };
      const start = async () => {
        servers = Array.from({ length: processes }, () =>
          startServerProcess(env, { signal, command: NPM_START }),
        );
        const urls = await Promise.all(servers.map((s) => s.url));
        for (const server of servers) {
          await expect
            .poll(() => server.stderr(), { timeout: 30_000 })
            .toMatch(/"msg":"scheduled jobs run (through graphile-worker|in this process)"/);
        }
        return urls[0] as string;
      };

      await clearOfMidnight(signal);
      await startOfAMinute(signal);
      const today = utcDay(new Date());
      const day = addDays(today, -1);
      const weekDay = addDays(today, -REFETCH_DAYS);
      const week = isoWeek(weekDay);
      // The newest day: loaded; asked again while the processes are killed (no answer, ever);
      // then a new version (other upvotes). The week's day: the same answer each time (a 304).
      const changed = fixture(DAY_FIXTURE).toString().replaceAll('"upvotes": ', '"upvotes": 100');
      api.script(
        day,
        { body: fixture(DAY_FIXTURE), etag: '"v1"' },
        { hang: true },
        {
          body: changed,
          etag: '"v2"',
        },
      );
      api.script(weekDay, { body: fixture(WEEK_FIXTURE), etag: '"w1"' });
      api.fallback = { body: "[]" };
      let url = await start();

      // Subscribe through GraphQL: one daily, one weekly reader.
      const readers = {
        daily: `daily-${randomBytes(4).toString("hex")}@example.org`,
        weekly: `weekly-${randomBytes(4).toString("hex")}@example.org`,
      };
      for (const [frequency, email] of [
        ["DAILY", readers.daily],
        ["WEEKLY", readers.weekly],
      ] as const) {
        const response = await fetch(url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: SUBSCRIBE, variables: { input: { email, frequency } } }),
          signal,
        });
        const result = (await response.json()) as { errors?: unknown; data?: unknown };
        expect(result.errors).toBeUndefined();
      }
      const confirmations = await Promise.all([
        inbox.waitFor(readers.daily),
        inbox.waitFor(readers.weekly),
      ]);

      // The first scheduled instant: the fetch stores both days.
      const storedDays = async () =>
        (await sql.query<{ date: string }>(`SELECT "date" FROM "Day" ORDER BY "date"`)).map(
          (r) => r.date,
        );
      await expect
        .poll(storedDays, { timeout: TICK_MS, interval: 500 })
        .toEqual([weekDay, day].sort());

      // Now confirm, through the mailed links: the next instant's digest mails both.
      for (const [mail] of confirmations) {
        const link = linkIn(mail?.text ?? "", "/digest/confirm");
        expect(link.startsWith(`${PUBLIC_URL}/digest/confirm?token=`)).toBe(true);
        expect(await follow(link, url, signal, expect)).toMatch(/Confirmed/);
      }
      const digests = (email: string) =>
        inbox.accepted.filter(
          (m) => recipient(m) === email && /papers digest/.test(m.subject ?? ""),
        );
      const [, dailyMail] = await inbox.waitFor(readers.daily, 2);
      const [, weeklyMail] = await inbox.waitFor(readers.weekly, 2);
      expect(dailyMail?.subject).toBe(`Daily papers digest ${day}: 4 papers`);
      for (const title of titles(DAY_FIXTURE)) expect(dailyMail?.text).toContain(title);
      expect(weeklyMail?.subject).toMatch(new RegExp(`^Weekly papers digest ${week}: `));
      for (const title of titles(WEEK_FIXTURE)) expect(weeklyMail?.text).toContain(title);
      const messageId = (period: string) =>
        new RegExp(`^<digest\\.\\d+\\.${period}@papers\\.example\\.org>$`);
      expect(dailyMail?.messageId).toMatch(messageId(day));
      expect(weeklyMail?.messageId).toMatch(messageId(week));

      // The digest run marks each row sent just after the server's 250: wait for that, so that
      // the kill below cannot land in that window (which the outbox documents, and
      // test/digest.test.ts covers: a row then stays claimed until its lease lapses).
      await expect
        .poll(
          async () =>
            (
              await sql.query<{ status: string }>(
                `SELECT "status" FROM "DigestDelivery" ORDER BY "period"`,
              )
            ).map((r) => r.status),
          { timeout: TICK_MS, interval: 250 },
        )
        .toEqual(["SENT", "SENT"]);
      // SIGKILL while the second instant's fetch waits for the newest day's new answer (its
      // other days asked and answered).
      const asked = recentDays(today, REFETCH_DAYS).sort();
      await expect.poll(() => api.hits.length, { timeout: TICK_MS }).toBe(2 * asked.length);
      expect(api.inFlight.now).toBeGreaterThanOrEqual(1);
      killAll();
      for (const server of servers) expect(await server.exited).toBeNull();
      const killedAt = Date.now();
      const upvotes = async () =>
        (
          await sql.query<{ upvotes: number }>(
            `SELECT "p"."upvotes" FROM "Paper" "p"
             JOIN "DayEntry" "e" ON "e"."paperId" = "p"."id"
             JOIN "Day" "d" ON "d"."id" = "e"."dayId"
             WHERE "d"."date" = ? ORDER BY "p"."upvotes"`,
            [day],
          )
        ).map((r) => r.upvotes);
      const original = papersOf(DAY_FIXTURE)
        .map((p) => p.paper.upvotes)
        .sort((a, b) => a - b);
      expect(await upvotes()).toEqual(original);

      // Started again on the same database: the next instant loads the new version whole and
      // mails nobody again.
      url = await start();
      await expect
        .poll(upvotes, { timeout: TICK_MS, interval: 500 })
        .toEqual(original.map((n) => Number(`100${n}`)));
      await expect
        .poll(() => servers.reduce((n, s) => n + logged(s, "job finished", "digest"), 0), {
          timeout: TICK_MS,
        })
        .toBeGreaterThanOrEqual(1);
      // A second mail would have been sent within that run: there is none.
      expect(digests(readers.daily)).toHaveLength(1);
      expect(digests(readers.weekly)).toHaveLength(1);
      const outbox = await sql.query<{ period: string; status: string; attempts: number }>(
        `SELECT "period", "status", "attempts" FROM "DigestDelivery" ORDER BY "period"`,
      );
      expect(outbox).toEqual(
        [
          { period: day, status: "SENT", attempts: 1 },
          { period: week, status: "SENT", attempts: 1 },
        ].sort((a, b) => a.period.localeCompare(b.period)),
      );
      // Nothing half-written: the runs that wrote are the two days' first versions and the new one.
      const runs = await sql.query<{ status: string }>(
        `SELECT "status" FROM "IngestRun" WHERE "status" <> 'empty'`,
      );
      expect(runs.map((r) => r.status)).toEqual(["succeeded", "succeeded", "succeeded"]);

      // The feed lists the fetched papers.
      const atom = await fetch(new URL("/feeds/daily.atom", url), { signal });
      expect(atom.status).toBe(200);
      const feed = await new Parser().parseString(await atom.text());
      const listed = feed.items.map((item) => item.title);
      for (const title of titles(DAY_FIXTURE)) expect(listed).toContain(title);
      // Each instant's fetch asked the stand-in once for each of its days, from one process: the
      // three instants seen whole, and any later one begun meanwhile without a day asked twice.
      for (const server of servers) server.child.kill("SIGTERM");
      for (const server of servers) expect(await server.exited).toBe(0);
      const byInstant = new Map<number, string[]>();
      for (const hit of api.hits) {
        const instant = Math.floor(hit.at / 60_000) * 60_000;
        byInstant.set(instant, [...(byInstant.get(instant) ?? []), hit.date ?? ""]);
      }
      const instants = [...byInstant.keys()].sort((a, b) => a - b);
      expect(instants.length).toBeGreaterThanOrEqual(3);
      for (const [i, instant] of instants.entries()) {
        const dates = (byInstant.get(instant) ?? []).sort();
        const when = new Date(instant).toISOString();
        if (i < 3) expect(dates, when).toEqual(asked);
        else expect(new Set(dates).size, when).toBe(dates.length);
      }
      expect((instants[2] as number) > killedAt).toBe(true);
    } finally {
      killAll();
      await Promise.all(servers.map((s) => s.exited));
      await sql.close();
      await api.close();
      await inbox.close();
      await drop();
    }
  });
});
