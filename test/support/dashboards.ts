/**
 * Independent checks of the dashboards' totals (src/db/totals.ts):
 *
 * - `recount` computes, in TypeScript from the base tables (days, entries, papers, author lists),
 *   what `DayEntry.previousListedOn`, `DayTotal` and `AuthorYear` (counts and upvotes) must hold,
 *   and reads what they hold; a test expects the two equal.
 * - `reference*` are the dashboards' SQL as it was before the totals existed (counting the day
 *   entries themselves, DISTINCT papers), kept verbatim: the API must answer exactly as they do.
 */
import type { Db } from "../../src/db/client.ts";
import { placeholder, placeholders } from "../../src/db/placeholders.ts";
import type { Sql } from "../../src/db/sql.ts";
import type { Provider } from "../../src/db/target.ts";
import type { Bucket } from "../../src/papers/periods.ts";

const MONTHS = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"];
const COLUMNS = ["papers", "q1", "q2", "q3", "q4", ...MONTHS.map((m) => `m${m}`)];
const UPVOTES = COLUMNS.map((c) => (c === "papers" ? "upvotes" : `${c}Upvotes`));

export interface Recount {
  previousListings: string[];
  dayTotals: string[];
  authorYears: string[];
}

/** What the totals must be (`expected`), by brute force, and what they are (`actual`). */
export async function recount(sql: Sql): Promise<{ expected: Recount; actual: Recount }> {
  const days = new Map(
    (await sql.query<{ id: number; date: string }>(`SELECT "id", "date" FROM "Day"`)).map((d) => [
      Number(d.id),
      d.date,
    ]),
  );
  const entries = (
    await sql.query<{ dayId: number; paperId: number; previousListedOn: string | null }>(
      `SELECT "dayId", "paperId", "previousListedOn" FROM "DayEntry"`,
    )
  ).map((e) => ({ ...e, paperId: Number(e.paperId), date: days.get(Number(e.dayId)) as string }));
  const upvotes = new Map(
    (await sql.query<{ id: number; upvotes: number }>(`SELECT "id", "upvotes" FROM "Paper"`)).map(
      (p) => [Number(p.id), Number(p.upvotes)],
    ),
  );
  const links = await sql.query<{ paperId: number; authorId: number; hidden: unknown }>(
    `SELECT "paperId", "authorId", "hidden" FROM "PaperAuthor"`,
  );

  // An entry's previous listing: the latest of its paper's other days that come before it.
  const previousOf = (e: { paperId: number; date: string }) => {
    let previous: string | null = null;
    for (const other of entries) {
      if (other.paperId === e.paperId && other.date < e.date) {
        if (previous === null || other.date > previous) previous = other.date;
      }
    }
    return previous;
  };

  const dayTotals = new Map<string, { papers: number; upvotes: number }>();
  for (const e of entries) {
    const key = `${e.date} | ${previousOf(e) ?? ""}`;
    const row = dayTotals.get(key) ?? { papers: 0, upvotes: 0 };
    row.papers += 1;
    row.upvotes += upvotes.get(e.paperId) ?? 0;
    dayTotals.set(key, row);
  }

  // Per author and year, the set of papers in each column.
  const visible = new Map<number, Set<number>>();
  for (const link of links) {
    if (link.hidden === true || link.hidden === 1) continue;
    const authors = visible.get(Number(link.paperId)) ?? new Set();
    authors.add(Number(link.authorId));
    visible.set(Number(link.paperId), authors);
  }
  const sets = new Map<string, Set<number>[]>();
  for (const e of entries) {
    const year = e.date.slice(0, 4);
    const month = Number(e.date.slice(5, 7));
    for (const authorId of visible.get(e.paperId) ?? []) {
      const key = `${year} | ${authorId}`;
      const columns = sets.get(key) ?? COLUMNS.map(() => new Set<number>());
      for (const column of ["papers", `q${Math.ceil(month / 3)}`, `m${e.date.slice(5, 7)}`]) {
        columns[COLUMNS.indexOf(column)]?.add(e.paperId);
      }
      sets.set(key, columns);
    }
  }

  const expected: Recount = {
    previousListings: entries.map((e) => `${e.date} ${e.paperId} ${previousOf(e)}`).sort(),
    dayTotals: [...dayTotals].map(([key, r]) => `${key}: ${r.papers} ${r.upvotes}`).sort(),
    authorYears: [...sets]
      .map(([key, s]) => {
        const sums = s.map((papers) =>
          [...papers].reduce((n, id) => n + (upvotes.get(id) ?? 0), 0),
        );
        return `${key}: ${s.map((x) => x.size).join(" ")} / ${sums.join(" ")}`;
      })
      .sort(),
  };
  const actual: Recount = {
    previousListings: entries.map((e) => `${e.date} ${e.paperId} ${e.previousListedOn}`).sort(),
    dayTotals: (
      await sql.query<{ date: string; previousListedOn: string; papers: number; upvotes: number }>(
        `SELECT * FROM "DayTotal"`,
      )
    )
      .map((r) => `${r.date} | ${r.previousListedOn}: ${r.papers} ${r.upvotes}`)
      .sort(),
    authorYears: (await sql.query<Record<string, number | string>>(`SELECT * FROM "AuthorYear"`))
      .map(
        (r) =>
          `${r.year} | ${r.authorId}: ${COLUMNS.map((c) => Number(r[c])).join(" ")} / ${UPVOTES.map((c) => Number(r[c])).join(" ")}`,
      )
      .sort(),
  };
  return { expected, actual };
}

type Count = bigint | number | null;
const n = (value: Count | undefined) => Number(value ?? 0);

/** The time series as the SQL before the totals computed it. */
export async function referenceTimeSeries(
  db: Db,
  provider: Provider,
  from: string,
  to: string,
  bucket: Bucket,
): Promise<Map<string, { papers: number; upvotes: number }>> {
  const key =
    bucket === "DAY"
      ? 'd."date"'
      : bucket === "MONTH"
        ? 'substr(d."date", 1, 7)'
        : provider === "sqlite"
          ? `strftime('%G-W%V', d."date")`
          : `to_char(d."date"::date, 'IYYY-"W"IW')`;
  const rows = await db.$queryRawUnsafe<{ key: string; papers: Count; upvotes: Count }[]>(
    `SELECT "key", count(*) AS "papers", sum("upvotes") AS "upvotes" FROM (
       SELECT DISTINCT ${key} AS "key", p."id", p."upvotes" FROM "Day" d
       JOIN "DayEntry" e ON e."dayId" = d."id" JOIN "Paper" p ON p."id" = e."paperId"
       WHERE d."date" >= ${placeholder(provider, 1)} AND d."date" <= ${placeholder(provider, 2)}) AS "listed"
     GROUP BY "key"`,
    from,
    to,
  );
  return new Map(rows.map((r) => [r.key, { papers: n(r.papers), upvotes: n(r.upvotes) }]));
}

/** Distinct papers of [from, to] and their upvotes, as the SQL before the totals counted them. */
export async function referenceRangeTotals(db: Db, provider: Provider, from: string, to: string) {
  const rows = await db.$queryRawUnsafe<{ papers: Count; upvotes: Count }[]>(
    `SELECT count(*) AS "papers", sum("upvotes") AS "upvotes" FROM (
       SELECT DISTINCT p."id", p."upvotes" FROM "Day" d
       JOIN "DayEntry" e ON e."dayId" = d."id" JOIN "Paper" p ON p."id" = e."paperId"
       WHERE d."date" >= ${placeholder(provider, 1)} AND d."date" <= ${placeholder(provider, 2)}) AS "listed"`,
    from,
    to,
  );
  return { papers: n(rows[0]?.papers), upvotes: n(rows[0]?.upvotes) };
}

/** A day's entries and their papers' upvotes, as the SQL before the totals counted them. */
export async function referenceDayStats(db: Db, provider: Provider, dayIds: number[]) {
  if (dayIds.length === 0) return [];
  const rows = await db.$queryRawUnsafe<{ dayId: number; n: Count; upvotes: Count }[]>(
    `SELECT e."dayId" AS "dayId", count(*) AS "n", sum(p."upvotes") AS "upvotes"
     FROM "DayEntry" e JOIN "Paper" p ON p."id" = e."paperId"
     WHERE e."dayId" IN (${placeholders(provider, dayIds.length)}) GROUP BY e."dayId"`,
    ...dayIds,
  );
  const byDay = new Map(rows.map((r) => [Number(r.dayId), r]));
  return dayIds.map((id) => ({
    paperCount: n(byDay.get(id)?.n),
    totalUpvotes: n(byDay.get(id)?.upvotes),
  }));
}

/** The top authors as the SQL before the totals ranked them. */
export async function referenceTopAuthors(
  db: Db,
  provider: Provider,
  from: string,
  to: string,
  limit: number,
) {
  const rows = await db.$queryRawUnsafe<
    { authorId: number; name: string; papers: Count; upvotes: Count }[]
  >(
    `SELECT a."id" AS "authorId", a."name", count(*) AS "papers", sum(x."upvotes") AS "upvotes"
     FROM (SELECT DISTINCT p."id", p."upvotes" FROM "Day" d
           JOIN "DayEntry" e ON e."dayId" = d."id" JOIN "Paper" p ON p."id" = e."paperId"
           WHERE d."date" >= ${placeholder(provider, 1)} AND d."date" <= ${placeholder(provider, 2)}) AS x
     JOIN "PaperAuthor" pa ON pa."paperId" = x."id" AND pa."hidden" = false
       AND NOT EXISTS (SELECT 1 FROM "PaperAuthor" q WHERE q."paperId" = pa."paperId"
         AND q."authorId" = pa."authorId" AND q."hidden" = false AND q."position" < pa."position")
     JOIN "Author" a ON a."id" = pa."authorId"
     GROUP BY a."id", a."name" ORDER BY "papers" DESC, "upvotes" DESC, a."name" ASC LIMIT ${limit}`,
    from,
    to,
  );
  return rows.map((r) => ({
    author: { name: r.name },
    papers: n(r.papers),
    upvotes: n(r.upvotes),
  }));
}
