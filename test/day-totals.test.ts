/**
 * The dashboard's per-day totals on both engines: after every kind of ingest (a new day, a paper
 * on two days, a re-ingest with changed counts and authors, an older digest, hidden and repeated
 * authors), after votes and unvotes, and with votes cast while an ingest runs, the tables equal a
 * recount from the base tables, and the figures read from them (src/papers/totals.ts) equal a
 * brute force over the base rows in TypeScript, for several ranges and every bucket size; their
 * migration fills them in a database that held digests before it; and the dashboard's statement
 * count does not grow with its top list.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createUser } from "../src/auth/tokens.ts";
import { RECOUNT } from "../src/db/day-totals.ts";
import { migrate } from "../src/db/migrate.ts";
import { type Bucket, bucketsBetween } from "../src/papers/periods.ts";
import { bucketTotals, topAuthorTotals } from "../src/papers/totals.ts";
import { setVote } from "../src/votes/votes.ts";
import { post, serverFor } from "./support/api.ts";
import { createTestDatabase, ENGINES, type TestDatabase } from "./support/engines.ts";
import { type ApiItem, fixtureItems, ingestBytes } from "./support/ingest.ts";

/** Generous: PostgreSQL database creation and ingests are slow on a loaded 2-core machine. */
const TIMEOUT = 120_000;
const SHARED = "Ada Shared";
const OTHER = "Bo Shared";

/** The fixture's papers, `count` from `start`, with two authors shared between many papers. */
function items(start: number, count: number, extraUpvotes = 0): ApiItem[] {
  return fixtureItems()
    .slice(start, start + count)
    .map((item: ApiItem, i: number) => {
      const paper = item.paper;
      const authors = [...paper.authors];
      const n = start + i;
      // Shared authors: visible on most papers, hidden on some, named twice on others.
      if (n % 3 !== 2) authors.push({ _id: `s${n}`, name: SHARED, hidden: n % 7 === 4 });
      if (n % 4 === 1) authors.push({ _id: `t${n}`, name: SHARED, hidden: false });
      if (n % 2 === 0) authors.push({ _id: `o${n}`, name: OTHER, hidden: false });
      return { ...item, paper: { ...paper, authors, upvotes: paper.upvotes + extraUpvotes } };
    });
}

const json = (list: ApiItem[]) => JSON.stringify(list);

/** The migration that created and filled the totals. */
const MIGRATION = "20261129150000_dashboard_day_totals";

describe.each(ENGINES)("dashboard totals on %s", (provider) => {
  let database: TestDatabase;
  const statements: string[] = [];
  beforeEach(async () => {
    database = await createTestDatabase(provider, { onQuery: (sql) => statements.push(sql) });
  }, TIMEOUT);
  afterEach(async () => {
    await database?.destroy();
  });
  const run = (files: Record<string, string>, options = {}) =>
    ingestBytes(database.sql, files, options);

  /** Rows with their counts as numbers (PostgreSQL gives sums and counts as text). */
  const numbers = (rows: Record<string, unknown>[]) =>
    rows.map((r) => ({
      ...r,
      papers: Number(r.papers),
      digestUpvotes: Number(r.digestUpvotes),
      ...("authorId" in r ? { authorId: Number(r.authorId) } : {}),
    }));

  /** The tables, row for row, equal their recount from the base tables. */
  async function expectRecounted() {
    const { sql } = database;
    const order = `ORDER BY "date", "listedBefore"`;
    const days = await sql.query(
      `SELECT "date", "listedBefore", "papers", "digestUpvotes" FROM "DayTotal" ${order}`,
    );
    const recountedDays = await sql.query(
      `SELECT * FROM (${RECOUNT.days("IS NOT NULL")}) r ${order}`,
    );
    expect(numbers(days)).toEqual(numbers(recountedDays));
    expect(days.length).toBeGreaterThan(0);
    const authorOrder = `${order}, "authorId"`;
    const authors = await sql.query(
      `SELECT "date", "listedBefore", "authorId", "papers", "digestUpvotes" FROM "AuthorDayTotal" ${authorOrder}`,
    );
    const recountedAuthors = await sql.query(
      `SELECT * FROM (${RECOUNT.authors("IS NOT NULL")}) r ${authorOrder}`,
    );
    expect(numbers(authors)).toEqual(numbers(recountedAuthors));
  }

  /** The base rows: each paper's days, upvotes now and visible authors (each once). */
  async function baseRows() {
    const papers = await database.db.paper.findMany({
      select: {
        id: true,
        upvotes: true,
        dayEntries: { select: { day: { select: { date: true } } } },
        authors: { where: { hidden: false }, select: { author: true } },
      },
    });
    return papers.map((p) => ({
      id: p.id,
      upvotes: p.upvotes,
      days: p.dayEntries.map((e) => e.day.date),
      authors: [...new Map(p.authors.map((a) => [a.author.id, a.author.name]))],
    }));
  }

  /** Every figure read from the totals equals a brute force over the base rows. */
  async function expectFigures(ranges: [string, string][]) {
    const papers = await baseRows();
    for (const [from, to] of ranges) {
      const listed = papers.filter((p) => p.days.some((d) => d >= from && d <= to));
      for (const bucket of ["DAY", "WEEK", "MONTH"] as Bucket[]) {
        const buckets = bucketsBetween(from, to, bucket);
        const expected = buckets.map((b) => {
          const inBucket = papers.filter((p) => p.days.some((d) => d >= b.start && d <= b.end));
          return {
            papers: inBucket.length,
            upvotes: inBucket.reduce((n, p) => n + p.upvotes, 0),
          };
        });
        const got = await bucketTotals(database.db, provider, buckets);
        expect(got, `${from}..${to} by ${bucket}`).toEqual(expected);
      }
      const byAuthor = new Map<number, { name: string; papers: number; upvotes: number }>();
      for (const p of listed) {
        for (const [id, name] of p.authors) {
          const a = byAuthor.get(id) ?? { name, papers: 0, upvotes: 0 };
          byAuthor.set(id, { name, papers: a.papers + 1, upvotes: a.upvotes + p.upvotes });
        }
      }
      const top = [...byAuthor]
        .sort(
          ([, a], [, b]) =>
            b.papers - a.papers || b.upvotes - a.upvotes || (a.name < b.name ? -1 : 1),
        )
        .slice(0, 100)
        .map(([authorId, a]) => ({ authorId, papers: a.papers, upvotes: a.upvotes }));
      expect(await topAuthorTotals(database.db, provider, from, to, 100), `${from}..${to}`).toEqual(
        top,
      );
      // A short list cuts the same order, ties broken by name.
      expect(await topAuthorTotals(database.db, provider, from, to, 3)).toEqual(top.slice(0, 3));
    }
  }

  const RANGES: [string, string][] = [
    ["2024-10-01", "2024-11-30"],
    ["2024-10-21", "2024-10-27"],
    ["2024-10-25", "2024-10-28"],
    ["2024-10-24", "2024-10-24"],
  ];

  async function expectAll() {
    await expectRecounted();
    await expectFigures(RANGES);
  }

  it(
    "equal a recount after a new day, a paper on two days, changed counts and authors, and an older digest",
    async () => {
      await run({ "2024-10-24.json": json(items(0, 20)) });
      await expectAll();
      // The next day lists ten of them again, with more upvotes, and nine new papers.
      await run({ "2024-10-25.json": json(items(10, 19, 3)) });
      await expectAll();
      // The same day again with changed counts, and an author list that hides an author.
      const again = items(10, 19, 5);
      again[0].paper.authors[0].hidden = true;
      await run({ "2024-10-25.json": json(again) });
      await expectAll();
      // Only an author list changes (same counts, same entries): a paper on both days.
      again[1].paper.authors = again[1].paper.authors.map((a: ApiItem) => ({ ...a, hidden: true }));
      await run({ "2024-10-25.json": json(again) });
      await expectAll();
      // An older digest, ingested last: those papers' later listings are no longer their first.
      await run({ "2024-10-20.json": json(items(2, 6, -1)) });
      await expectAll();
      // A later day across a month's end (a week and a month bucket of their own).
      await run({ "2024-11-01.json": json(items(0, 4, 9)) });
      await expectAll();
      // An unchanged re-ingest writes nothing and changes nothing.
      await run({ "2024-11-01.json": json(items(0, 4, 9)) }, { force: true });
      await expectAll();
    },
    TIMEOUT,
  );

  it(
    "give upvotes now after votes and unvotes (local votes added once per paper and bucket)",
    async () => {
      await run({
        "2024-10-24.json": json(items(0, 20)),
        "2024-10-25.json": json(items(10, 19, 3)),
      });
      const { db } = database;
      const users = await Promise.all(["ann", "ben", "cy"].map((h) => createUser(db, h)));
      const ids = (await db.paper.findMany({ select: { id: true }, orderBy: { id: "asc" } })).map(
        (p) => p.id,
      );
      // Papers on one day and on both, by several users.
      for (const [u, user] of users.entries()) {
        for (const id of ids.filter((_, i) => i % (u + 2) === 0)) {
          await setVote(db, provider, user.id, id, true);
        }
      }
      await expectAll();
      for (const id of ids.filter((_, i) => i % 4 === 0)) {
        await setVote(db, provider, (users[0] as { id: number }).id, id, false);
      }
      await expectAll();
    },
    TIMEOUT,
  );

  it(
    "equal a recount when votes are cast while an ingest runs",
    async () => {
      await run({ "2024-10-24.json": json(items(0, 20)) });
      const { db } = database;
      const users = await Promise.all(["dee", "eli"].map((h) => createUser(db, h)));
      const ids = (await db.paper.findMany({ select: { id: true }, orderBy: { id: "asc" } })).map(
        (p) => p.id,
      );
      // A batch of digests (one transaction): new days, the voted papers' counts changing.
      let ingesting = true;
      const ingestion = run({
        "2024-10-25.json": json(items(5, 20, 4)),
        "2024-10-24.json": json(items(0, 20, 2)),
        "2024-10-22.json": json(items(8, 10, -1)),
        "2024-10-26.json": json(items(0, 29, 6)),
      }).finally(() => {
        ingesting = false;
      });
      let votes = 0;
      const voting = (async () => {
        for (let i = 0; ingesting || i < 20; i++) {
          const user = users[i % 2] as { id: number };
          await setVote(db, provider, user.id, ids[i % ids.length] as number, i % 3 !== 2);
          votes += 1;
        }
      })();
      const [report] = await Promise.all([ingestion, voting]);
      expect(report.failed).toBe(0);
      expect(votes).toBeGreaterThanOrEqual(20);
      // Counters and vote rows agree, and the totals with a recount.
      const counts = await db.paper.findMany({
        select: {
          upvotes: true,
          digestUpvotes: true,
          localUpvotes: true,
          _count: { select: { votes: true } },
        },
      });
      for (const c of counts) {
        expect([c.upvotes, c.localUpvotes]).toEqual([
          c.digestUpvotes + c._count.votes,
          c._count.votes,
        ]);
      }
      await expectAll();
    },
    TIMEOUT,
  );

  it(
    "answer the dashboard in the same few statements for a short and a long top list",
    async () => {
      await run({
        "2024-10-24.json": json(items(0, 20)),
        "2024-10-25.json": json(items(10, 19, 3)),
      });
      const server = serverFor(database);
      const count = async (first: number) => {
        statements.length = 0;
        const result = await post<{ topAuthors: unknown[] }>(server, {
          query: `query($first: Int!) { timeSeries(from: "2024-10-01", to: "2024-10-31", bucket: WEEK) { bucket papers upvotes } topAuthors(from: "2024-10-20", to: "2024-10-26", first: $first) { author { name } papers upvotes } }`,
          variables: { first },
        });
        expect(result.errors).toBeUndefined();
        expect(result.data?.topAuthors).toHaveLength(first);
        return statements.length;
      };
      const short = await count(2);
      expect(await count(40)).toBe(short);
      // The series, the top list and the authors' names.
      expect(short).toBeGreaterThanOrEqual(2);
      expect(short).toBeLessThanOrEqual(3);
    },
    TIMEOUT,
  );

  it(
    "are filled by their migration in a database that held digests before it",
    async () => {
      await run({
        "2024-10-24.json": json(items(0, 20)),
        "2024-10-25.json": json(items(10, 19, 3)),
        "2024-10-20.json": json(items(2, 6, -1)),
      });
      // The database as the previous version left it: no totals, the migration not applied.
      const { sql } = database;
      await sql.execute(`DROP INDEX "Paper_voted_idx"`);
      await sql.execute(`DROP TABLE "AuthorDayTotal"`);
      await sql.execute(`DROP TABLE "DayTotal"`);
      await sql.execute(`DELETE FROM "_prisma_migrations" WHERE "migration_name" = ?`, [MIGRATION]);
      expect(await migrate(database.target)).toEqual([MIGRATION]);
      await expectAll();
    },
    TIMEOUT,
  );
});
