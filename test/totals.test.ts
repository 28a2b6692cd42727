/**
 * The dashboards' totals (src/db/totals.ts) on both engines, each test on a database of its own:
 * after every kind of write (ingests in and out of order, forced re-ingests that change a day,
 * a page-text day replaced by the API's, named lists, votes and removals racing each other over
 * HTTP, votes during an ingest, the migration that fills them for an older database), the totals
 * equal a brute-force recount from the base tables, and the dashboards (time series, top authors,
 * day, week and month totals) answer exactly as the SQL before the totals did, for ranges that
 * start and end in the middle of buckets.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { random } from "../bench/generate.ts";
import { createToken, createUser } from "../src/auth/tokens.ts";
import { loadMigrations, migrate } from "../src/db/migrate.ts";
import { openSqlClient } from "../src/db/sql.ts";
import type { Provider } from "../src/db/target.ts";
import { WRITE_LOCK } from "../src/db/words.ts";
import { parseDigest } from "../src/ingest/parse.ts";
import { writeDigest } from "../src/ingest/write.ts";
import { bucketsBetween, isoWeek } from "../src/papers/periods.ts";
import { createServer, type Server } from "../src/server.ts";
import { memoryRateLimiter } from "../src/votes/rate-limit.ts";
import { type Listening, listenOnLoopback, post } from "./support/api.ts";
import {
  recount,
  referenceDayStats,
  referenceRangeTotals,
  referenceTimeSeries,
  referenceTopAuthors,
} from "./support/dashboards.ts";
import {
  createTestDatabase,
  createTestTarget,
  ENGINES,
  type TestDatabase,
} from "./support/engines.ts";
import { ingestBytes } from "./support/ingest.ts";

const TIMEOUT = 180_000;

interface TestPaper {
  id: string;
  title: string;
  /** Names, or [name, hidden]. */
  authors: (string | [string, boolean])[];
  upvotes: number;
}

const POOL = ["Ann Lee", "Bo Chen", "Cara Diaz", "Dev Rao", "Eli Moss", "Fay Ng", "Gus Park"];

function apiDigest(date: string, papers: TestPaper[]): string {
  return JSON.stringify(
    papers.map((p) => ({
      paper: {
        id: p.id,
        title: p.title,
        summary: `About ${p.title}.`,
        upvotes: p.upvotes,
        publishedAt: `${date}T00:00:00.000Z`,
        authors: p.authors.map((a) =>
          typeof a === "string" ? { name: a, hidden: false } : { name: a[0], hidden: a[1] },
        ),
      },
      title: p.title,
      publishedAt: `${date}T06:00:00.000Z`,
    })),
  );
}

const MONTH_NAMES = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(" ");

/** A Daily Papers page as copied: titles, abstracts, author counts and upvotes, no ids. */
function pageDigest(date: string, papers: TestPaper[]): string {
  const md = `${MONTH_NAMES[Number(date.slice(5, 7)) - 1]} ${Number(date.slice(8))}`;
  const head = `new\n\nDaily Papers\n\nbyAK and the research community\n\n${md}\n\n`;
  return (
    head +
    papers
      .map(
        (p) =>
          `${p.title}\n\nAbout ${p.title}.\n\n  • ${p.authors.length} authors\n·\n${md}, ${date.slice(0, 4)}${p.upvotes ? ` ${p.upvotes}` : ""}\n`,
      )
      .join("\n")
  );
}

function daysFrom(first: string, count: number): string[] {
  const start = Date.parse(`${first}T00:00:00Z`);
  return Array.from({ length: count }, (_, i) =>
    new Date(start + i * 86_400_000).toISOString().slice(0, 10),
  );
}

/**
 * Digests of `days` days: each day lists a few new papers and repeats papers of earlier days (the
 * day before or older ones, with a new count), authors drawn from a small pool so that they share
 * papers and tie, some hidden, some named twice in one list.
 */
function corpus(seed: number, days: string[], perDay = 6): Map<string, TestPaper[]> {
  const rand = random(seed);
  const out = new Map<string, TestPaper[]>();
  const seen: TestPaper[] = [];
  let counter = 0;
  for (const date of days) {
    const list: TestPaper[] = [];
    for (const p of seen) {
      if (rand() < 0.15 && !list.includes(p)) {
        list.push({ ...p, upvotes: p.upvotes + Math.floor(rand() * 7) - 2 });
      }
    }
    while (list.length < perDay) {
      counter += 1;
      const authors: (string | [string, boolean])[] = [];
      for (let i = 0, k = 1 + Math.floor(rand() * 4); i < k; i++) {
        const name = POOL[Math.floor(rand() * POOL.length)] as string;
        authors.push(rand() < 0.1 ? [name, true] : name);
      }
      if (rand() < 0.1) authors.push(authors[0] as string);
      list.push({
        id: `2401.${String(seed * 1000 + counter).padStart(5, "0")}`,
        title: `Paper ${seed} ${counter} on ${date}`,
        authors,
        upvotes: Math.floor(rand() * 20),
      });
    }
    for (const p of list) {
      const at = seen.findIndex((s) => s.id === p.id);
      if (at >= 0) seen[at] = p;
      else seen.push(p);
    }
    out.set(date, list);
  }
  return out;
}

function digests(days: Map<string, TestPaper[]>, dates: string[], page = false) {
  return Object.fromEntries(
    dates.map((d) => [
      `${d}.${page ? "txt" : "json"}`,
      page ? pageDigest(d, days.get(d) ?? []) : apiDigest(d, days.get(d) ?? []),
    ]),
  );
}

/** The ranges the dashboards are checked on: buckets cut at both ends, calendar periods, days. */
const RANGES: [string, string][] = [
  ["2024-01-20", "2024-03-10"],
  ["2024-01-27", "2024-02-08"],
  ["2024-01-31", "2024-02-01"],
  ["2024-02-01", "2024-02-29"],
  ["2024-01-01", "2024-01-31"],
  ["2024-01-01", "2024-03-31"],
  ["2024-01-01", "2024-12-31"],
  ["2024-01-29", "2024-02-04"],
  ["2024-02-06", "2024-02-06"],
  ["2023-12-01", "2023-12-31"],
];

/** Every dashboard answer on `ranges` equals the reference SQL's on the same database. */
async function expectDashboardsAsBefore(
  database: TestDatabase,
  server: Server,
  ranges: [string, string][] = RANGES,
) {
  const { db } = database;
  const provider = database.target.provider;
  const ask = async (query: string) => {
    const result = await post<Record<string, unknown>>(server, { query });
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    return result.data as Record<string, never>;
  };
  for (const [from, to] of ranges) {
    for (const bucket of ["DAY", "WEEK", "MONTH"] as const) {
      const got = await ask(
        `{ timeSeries(from: "${from}", to: "${to}", bucket: ${bucket}) { bucket papers upvotes } }`,
      );
      const reference = await referenceTimeSeries(db, provider, from, to, bucket);
      const want = bucketsBetween(from, to, bucket).map((b) => ({
        bucket: b.key,
        papers: reference.get(b.key)?.papers ?? 0,
        upvotes: reference.get(b.key)?.upvotes ?? 0,
      }));
      expect(got.timeSeries, `timeSeries ${from} ${to} ${bucket}`).toEqual(want);
    }
    for (const first of [1, 2, 3, 100]) {
      const got = await ask(
        `{ topAuthors(from: "${from}", to: "${to}", first: ${first}) { author { name } papers upvotes } }`,
      );
      expect(got.topAuthors, `topAuthors ${from} ${to} first ${first}`).toEqual(
        await referenceTopAuthors(db, provider, from, to, first),
      );
    }
    const week = isoWeek(from);
    const month = from.slice(0, 7);
    const periods = await ask(
      `{ week(id: "${week}") { start end paperCount totalUpvotes } month(id: "${month}") { start end paperCount totalUpvotes } }`,
    );
    for (const p of [periods.week, periods.month] as unknown as {
      start: string;
      end: string;
      paperCount: number;
      totalUpvotes: number;
    }[]) {
      const totals = await referenceRangeTotals(db, provider, p.start, p.end);
      expect({ papers: p.paperCount, upvotes: p.totalUpvotes }, `${p.start} ${p.end}`).toEqual(
        totals,
      );
    }
    const days = await ask(
      `{ days(from: "${from}", to: "${to}", first: 100) { nodes { id date paperCount totalUpvotes } } }`,
    );
    const nodes = (days.days as unknown as { nodes: { id: string; paperCount: number }[] }).nodes;
    const ids = (
      await db.day.findMany({
        where: { date: { gte: from, lte: to } },
        orderBy: { date: "desc" },
        take: 100,
      })
    ).map((d) => d.id);
    expect(
      nodes.map(({ paperCount, totalUpvotes }: { paperCount: number; totalUpvotes?: number }) => ({
        paperCount,
        totalUpvotes,
      })),
    ).toEqual(await referenceDayStats(db, provider, ids));
  }
}

async function expectRecount(database: TestDatabase) {
  const { expected, actual } = await recount(database.sql);
  expect(actual.previousListings).toEqual(expected.previousListings);
  expect(actual.dayTotals).toEqual(expected.dayTotals);
  expect(actual.authorYears).toEqual(expected.authorYears);
}

async function succeeded(report: Promise<{ failed: number; files: unknown[] }>) {
  const r = await report;
  expect(r.failed, JSON.stringify(r.files)).toBe(0);
  return r;
}

describe.each(ENGINES)("dashboard totals on %s", (provider: Provider) => {
  let database: TestDatabase;
  let server: Server;

  beforeEach(async () => {
    database = await createTestDatabase(provider);
    server = createServer({
      db: database.db,
      provider,
      rateLimiter: memoryRateLimiter(1_000_000, 60),
    });
  });
  afterEach(async () => {
    await database?.destroy();
  });

  it("equal a recount after days with repeated papers, ingested out of order", {
    timeout: TIMEOUT,
  }, async () => {
    const dates = daysFrom("2024-01-22", 24);
    const days = corpus(1, dates);
    // Later days first, then the earliest, then those in between: previous listings change.
    await succeeded(ingestBytes(database.sql, digests(days, dates.slice(16))));
    await expectRecount(database);
    await succeeded(ingestBytes(database.sql, digests(days, dates.slice(0, 6))));
    await succeeded(ingestBytes(database.sql, digests(days, dates.slice(6, 16))));
    await expectRecount(database);
    await expectDashboardsAsBefore(database, server);
    // Some papers were listed on several days, some of them not on consecutive ones.
    const repeated = await database.sql.query<{ n: number }>(
      `SELECT count(*) AS "n" FROM "DayEntry" WHERE "previousListedOn" IS NOT NULL`,
    );
    expect(Number(repeated[0]?.n)).toBeGreaterThan(10);
  });

  it("equal a recount after forced re-ingests that change days (papers, authors, counts)", {
    timeout: TIMEOUT,
  }, async () => {
    const dates = daysFrom("2024-01-25", 14);
    const days = corpus(2, dates);
    await succeeded(ingestBytes(database.sql, digests(days, dates)));
    // The same bytes again, forced: nothing changes.
    const before = await recount(database.sql);
    await succeeded(ingestBytes(database.sql, digests(days, dates), { force: true }));
    expect((await recount(database.sql)).actual).toEqual(before.actual);
    // Two days change: a paper dropped (kept, no longer in the latest digest), a new one, a paper
    // of another day added, authors replaced, hidden, named twice, counts up and down.
    const [d1, d2] = [dates[3] as string, dates[9] as string];
    const l1 = [...(days.get(d1) ?? [])];
    const dropped = l1.shift() as TestPaper;
    const moved = (days.get(dates[11] as string) ?? [])[2] as TestPaper;
    l1[0] = { ...(l1[0] as TestPaper), authors: [["Ann Lee", true], "Zed Zu", "Zed Zu"] };
    l1[1] = { ...(l1[1] as TestPaper), upvotes: 0 };
    days.set(d1, [
      ...l1,
      moved,
      { id: "2402.99001", title: "A new paper", authors: ["Bo Chen"], upvotes: 3 },
    ]);
    days.set(
      d2,
      (days.get(d2) ?? []).map((p) => ({
        ...p,
        upvotes: p.upvotes + 40,
        authors: [...p.authors, "Gus Park"],
      })),
    );
    await succeeded(ingestBytes(database.sql, digests(days, [d1, d2]), { force: true }));
    const kept = await database.sql.query<{ inLatestDigest: unknown }>(
      `SELECT e."inLatestDigest" FROM "DayEntry" e JOIN "Paper" p ON p."id" = e."paperId"
       JOIN "Day" d ON d."id" = e."dayId" WHERE p."arxivId" = ? AND d."date" = ?`,
      [dropped.id, d1],
    );
    expect(Boolean(kept[0]?.inLatestDigest)).toBe(false);
    await expectRecount(database);
    await expectDashboardsAsBefore(database, server);
  });

  it("equal a recount after a page-text day, then the API's digest of the same day", {
    timeout: TIMEOUT,
  }, async () => {
    const dates = daysFrom("2024-01-29", 6);
    const days = corpus(3, dates);
    const day = dates[2] as string;
    // The page shows the day's papers without ids or author names, and one the API will not list.
    const page = [
      ...(days.get(day) ?? []),
      { id: "", title: "Only on the page", authors: ["x", "y"], upvotes: 7 },
    ];
    await succeeded(ingestBytes(database.sql, digests(days, dates.slice(0, 2))));
    await succeeded(ingestBytes(database.sql, { [`${day}.txt`]: pageDigest(day, page) }));
    await expectRecount(database);
    await expectDashboardsAsBefore(database, server);
    // The API's digest of the day: its papers (matched to the page's by title) with authors.
    await succeeded(ingestBytes(database.sql, digests(days, dates.slice(2))));
    await expectRecount(database);
    await expectDashboardsAsBefore(database, server);
    // A page-text capture of a day the API listed changes nothing.
    const before = await recount(database.sql);
    await succeeded(
      ingestBytes(database.sql, { [`${day}-again.txt`]: pageDigest(day, [...page].reverse()) }),
    );
    expect((await recount(database.sql)).actual).toEqual(before.actual);
  });

  it("do not count named lists, even those that give a listed paper its authors", {
    timeout: TIMEOUT,
  }, async () => {
    const dates = daysFrom("2024-02-05", 5);
    const days = corpus(4, dates);
    // A page-text day: its papers have no author names yet.
    await succeeded(ingestBytes(database.sql, digests(days, dates.slice(0, 2), true)));
    await succeeded(ingestBytes(database.sql, digests(days, dates.slice(2))));
    const series = () =>
      post(server, {
        query: `{ timeSeries(from: "2024-02-01", to: "2024-02-29", bucket: DAY) { bucket papers upvotes } }`,
      });
    const seriesBefore = await series();
    // A list (API JSON loaded as a list) of papers of both days and new ones, with authors.
    const listed = [
      ...(days.get(dates[0] as string) ?? []).slice(0, 3),
      ...(days.get(dates[3] as string) ?? []).slice(0, 2),
      { id: "2403.77001", title: "Only in the list", authors: ["Eli Moss"], upvotes: 99 },
    ];
    await succeeded(
      ingestBytes(
        database.sql,
        { "favourites.json": apiDigest("2024-02-20", listed) },
        {
          as: "list",
        },
      ),
    );
    expect(await series()).toEqual(seriesBefore);
    await expectRecount(database);
    await expectDashboardsAsBefore(database, server);
  });

  describe("with votes over HTTP", () => {
    let http: Listening;
    const UPVOTE = `mutation($id: ID!) { upvotePaper(input: { paperId: $id }) { changed } }`;
    const REMOVE = `mutation($id: ID!) { removeUpvote(input: { paperId: $id }) { changed } }`;
    const gid = (id: number) => Buffer.from(`Paper:${id}`).toString("base64");

    beforeEach(async () => {
      http = await listenOnLoopback(server);
    });
    afterEach(async () => {
      await http?.close();
    });

    async function vote(token: string, paperId: number, up: boolean) {
      const response = await fetch(http.url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: up ? UPVOTE : REMOVE, variables: { id: gid(paperId) } }),
      });
      const body = (await response.json()) as { errors?: unknown };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
    }

    async function tokens(count: number) {
      const out: string[] = [];
      for (let i = 0; i < count; i++) {
        await createUser(database.db, `voter${i}`);
        out.push((await createToken(database.db, `voter${i}`)).token);
      }
      return out;
    }

    /** Runs `tasks` with `limit` in flight. */
    async function inFlight(tasks: (() => Promise<void>)[], limit: number) {
      let next = 0;
      await Promise.all(
        Array.from({ length: limit }, async () => {
          while (next < tasks.length) await (tasks[next++] as () => Promise<void>)();
        }),
      );
    }

    it("equal a recount after concurrent votes and removals", { timeout: TIMEOUT }, async () => {
      const dates = daysFrom("2024-01-28", 10);
      const days = corpus(5, dates);
      await succeeded(ingestBytes(database.sql, digests(days, dates)));
      // Papers listed on several days first: their votes move several rows.
      const papers = (
        await database.sql.query<{ paperId: number }>(
          `SELECT "paperId" FROM "DayEntry" GROUP BY "paperId" ORDER BY count(*) DESC, "paperId" LIMIT 12`,
        )
      ).map((r) => Number(r.paperId));
      const voters = await tokens(8);
      const tasks: (() => Promise<void>)[] = [];
      voters.forEach((token, u) => {
        papers.forEach((paperId, p) => {
          const steps = [true, true, false, ...((u + p) % 3 ? [true] : [])];
          tasks.push(async () => {
            for (const up of steps) await vote(token, paperId, up);
          });
        });
      });
      await inFlight(tasks, 16);
      const counted = await database.sql.query<{ n: number }>(`SELECT count(*) AS "n" FROM "Vote"`);
      expect(Number(counted[0]?.n)).toBeGreaterThan(0);
      await expectRecount(database);
      await expectDashboardsAsBefore(database, server);
    });

    it("count a vote that waited for an ingest's commit in the rows that ingest wrote", {
      timeout: TIMEOUT,
    }, async () => {
      const days = corpus(9, ["2024-02-01", "2024-02-02"]);
      await succeeded(ingestBytes(database.sql, digests(days, ["2024-02-01"])));
      const [q, r] = days.get("2024-02-01") as [TestPaper, TestPaper];
      const idOf = async (p: TestPaper) =>
        Number(
          (
            await database.sql.query<{ id: number }>(
              `SELECT "id" FROM "Paper" WHERE "arxivId" = ?`,
              [p.id],
            )
          )[0]?.id,
        );
      const [qId, rId] = [await idOf(q), await idOf(r)];
      const [token] = await tokens(1);
      // The next day lists q again with another count: an ingest writes it and keeps its
      // transaction open while votes for q and for r (another paper of q's first day, whose
      // totals row the ingest changes) arrive.
      const batch = await database.sql.batch(WRITE_LOCK);
      let voted = false;
      let pending: Promise<void> | undefined;
      try {
        const digest = parseDigest(
          Buffer.from(apiDigest("2024-02-02", [{ ...q, upvotes: q.upvotes + 9 }])),
          { source: "2024-02-02.json" },
        );
        const written = await batch.unit((tx) => writeDigest(tx, digest, null));
        await written.totals.apply(batch);
        pending = Promise.all([
          vote(token as string, qId, true),
          vote(token as string, rId, true),
        ]).then(() => {
          voted = true;
        });
        await sleep(300);
        // Both wait for the ingest (PostgreSQL: its lock on q, and on the totals rows it changed,
        // which r's vote must change too; SQLite: the write lock).
        expect(voted).toBe(false);
        await batch.commit();
      } catch (error) {
        await batch.rollback();
        throw error;
      }
      await pending;
      expect(voted).toBe(true);
      await expectRecount(database);
      await expectDashboardsAsBefore(database, server, [["2024-02-01", "2024-02-29"]]);
    });

    it("stay exact when votes run during ingests", { timeout: TIMEOUT }, async () => {
      const dates = daysFrom("2024-01-25", 30);
      const days = corpus(6, dates, 12);
      await succeeded(ingestBytes(database.sql, digests(days, dates.slice(0, 10))));
      const papers = (
        await database.sql.query<{ id: number }>(`SELECT "id" FROM "Paper" ORDER BY "id"`)
      ).map((r) => Number(r.id));
      const voters = await tokens(6);
      // Votes on those papers keep coming while the later days (which list many of them again)
      // are ingested, then forced in again with other counts.
      let ingesting = true;
      let votedMeanwhile = 0;
      const votes = (async () => {
        const rand = random(7);
        while (ingesting) {
          await Promise.all(
            voters.map(async (token) => {
              const paperId = papers[Math.floor(rand() * papers.length)] as number;
              await vote(token, paperId, rand() < 0.6);
              if (ingesting) votedMeanwhile += 1;
            }),
          );
        }
      })();
      try {
        // Day by day, letting the server's event loop turn in between (the ingest job runs in a
        // process of its own; here it shares the server's, and SQLite's calls are synchronous).
        for (const date of dates.slice(10)) {
          await succeeded(ingestBytes(database.sql, digests(days, [date])));
          await sleep(20);
        }
        for (const p of days.get(dates[12] as string) ?? []) p.upvotes += 5;
        await succeeded(
          ingestBytes(database.sql, digests(days, dates.slice(10, 20)), { force: true }),
        );
      } finally {
        ingesting = false;
        await votes;
      }
      expect(votedMeanwhile).toBeGreaterThan(0);
      await expectRecount(database);
      const counters = await database.sql.query<{ id: number; localUpvotes: number; n: number }>(
        `SELECT p."id", p."localUpvotes", (SELECT count(*) FROM "Vote" v WHERE v."paperId" = p."id") AS "n"
         FROM "Paper" p`,
      );
      for (const c of counters) expect(Number(c.localUpvotes)).toBe(Number(c.n));
      await expectDashboardsAsBefore(database, server, RANGES.slice(0, 4));
    });
  });

  it("are filled in by the migration for a database that had none", {
    timeout: TIMEOUT,
  }, async () => {
    // A database at the previous version, with days, papers, repeats and authors written as that
    // version wrote them (no previous listings, no totals).
    const { target, drop } = await createTestTarget(provider);
    const sql = openSqlClient(target);
    try {
      const all = loadMigrations(provider);
      await migrate(
        target,
        all.filter((m) => !m.name.endsWith("_day_totals")),
      );
      const now = new Date("2024-03-01T00:00:00Z");
      const dates = ["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-03", "2024-03-31"];
      for (const [i, date] of dates.entries()) {
        await sql.execute(
          `INSERT INTO "Day" ("id", "date", "fromApi", "updatedAt") VALUES (?, ?, ?, ?)`,
          [i + 1, date, true, now],
        );
      }
      for (const [i, name] of POOL.entries()) {
        await sql.execute(`INSERT INTO "Author" ("id", "name") VALUES (?, ?)`, [i + 1, name]);
      }
      const rand = random(8);
      for (let id = 1; id <= 30; id++) {
        const upvotes = Math.floor(rand() * 30);
        await sql.execute(
          `INSERT INTO "Paper" ("id", "titleKey", "title", "abstract", "authorCount", "digestUpvotes",
             "localUpvotes", "upvotes", "updatedAt") VALUES (?, ?, ?, '', 3, ?, 1, ?, ?)`,
          [id, `paper ${id}`, `Paper ${id}`, upvotes - 1, upvotes, now],
        );
        for (let position = 0; position < 3; position++) {
          await sql.execute(
            `INSERT INTO "PaperAuthor" ("paperId", "position", "authorId", "hidden") VALUES (?, ?, ?, ?)`,
            [id, position, 1 + Math.floor(rand() * POOL.length), rand() < 0.15],
          );
        }
        const listed = dates.map((_, d) => d + 1).filter(() => rand() < 0.35);
        for (const [rank, dayId] of (listed.length ? listed : [1 + (id % 5)]).entries()) {
          await sql.execute(
            `INSERT INTO "DayEntry" ("dayId", "paperId", "rank", "upvotes") VALUES (?, ?, ?, ?)`,
            [dayId, id, rank + 1, upvotes],
          );
        }
      }
      await migrate(target, all);
      const { expected, actual } = await recount(sql);
      expect(actual).toEqual(expected);
      expect(actual.previousListings.some((p) => !p.endsWith("null"))).toBe(true);
    } finally {
      await sql.close();
      await drop();
    }
  });

  it("rank tied authors by upvotes, then names, at and past the cut", {
    timeout: TIMEOUT,
  }, async () => {
    const dates = ["2024-02-05", "2024-02-06", "2024-02-07"];
    // Authors with the same number of papers, some with the same upvotes too; and a paper with
    // 600 authors, so that in its month more authors tie at the cut than are worth reading
    // one by one (the range is then counted whole).
    const crowd = Array.from({ length: 600 }, (_, i) => `Crowd ${String(i).padStart(3, "0")}`);
    const days = new Map<string, TestPaper[]>([
      [
        "2024-02-05",
        [
          {
            id: "2402.00001",
            title: "One",
            authors: ["Ann Lee", "Bo Chen", "Cara Diaz"],
            upvotes: 5,
          },
          { id: "2402.00002", title: "Two", authors: ["Dev Rao", "Eli Moss"], upvotes: 5 },
        ],
      ],
      [
        "2024-02-06",
        [
          { id: "2402.00003", title: "Three", authors: ["Ann Lee", "Dev Rao"], upvotes: 2 },
          {
            id: "2402.00001",
            title: "One",
            authors: ["Ann Lee", "Bo Chen", "Cara Diaz"],
            upvotes: 6,
          },
        ],
      ],
      [
        "2024-02-07",
        [
          {
            id: "2402.00004",
            title: "Four",
            authors: ["Bo Chen", "Eli Moss", "Fay Ng"],
            upvotes: 1,
          },
          { id: "2402.00005", title: "Crowd", authors: crowd, upvotes: 3 },
        ],
      ],
    ]);
    await succeeded(ingestBytes(database.sql, digests(days, dates)));
    await expectRecount(database);
    await expectDashboardsAsBefore(database, server, [
      ["2024-02-01", "2024-02-29"],
      ["2024-02-05", "2024-02-06"],
      ["2024-01-01", "2024-03-31"],
    ]);
    for (const first of [4, 5, 6, 10, 50]) {
      const got = await post<{ topAuthors: unknown }>(server, {
        query: `{ topAuthors(from: "2024-02-01", to: "2024-02-29", first: ${first}) { author { name } papers upvotes } }`,
      });
      expect(got.data?.topAuthors).toEqual(
        await referenceTopAuthors(database.db, provider, "2024-02-01", "2024-02-29", first),
      );
    }
  });
});
