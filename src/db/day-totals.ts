/**
 * Keeps the dashboard's per-day totals (`DayTotal`, `AuthorDayTotal`; read by src/papers/totals.ts)
 * equal to a recount from the base tables: the ingest calls `refreshDayTotals` with the papers a
 * digest wrote, in the digest's own transaction, and every day those papers are listed on is
 * counted again from `DayEntry`, `Paper` and `PaperAuthor`. Nothing is added or subtracted, so
 * the totals cannot drift; the migration that created the tables filled them with the same SQL.
 *
 * A listing's `listedBefore` is the paper's latest listing before that day ('' for none): in a
 * range [from, to], each paper listed in it has exactly one listing in it whose `listedBefore` is
 * before `from` (its first one in the range), which is how a range counts each paper once.
 *
 * Votes do not write here: a total holds the papers' digest counts, and readers add local votes
 * (`Paper.localUpvotes`, a partial index over the voted papers). So a vote never waits for an
 * ingest's batch, and no lock order between the two can deadlock.
 */
import { chunks, type Sql } from "./sql.ts";

/** Each listing of the days in `days` (a `Sql.in` clause): its day, paper and previous day. */
const listings = (days: string) => `SELECT d."date", e."paperId",
    COALESCE((SELECT max(d2."date") FROM "DayEntry" e2 JOIN "Day" d2 ON d2."id" = e2."dayId"
              WHERE e2."paperId" = e."paperId" AND d2."date" < d."date"), '') AS "listedBefore"
  FROM "Day" d JOIN "DayEntry" e ON e."dayId" = d."id" WHERE d."date" ${days}`;

/**
 * The totals of the days in `days`, recounted. A paper's authors are its visible ones, each once
 * (the first of its entries when a name appears twice in the list).
 */
export const RECOUNT = {
  days: (days: string) => `SELECT l."date", l."listedBefore", count(*) AS "papers",
      sum(p."digestUpvotes") AS "digestUpvotes"
    FROM (${listings(days)}) l JOIN "Paper" p ON p."id" = l."paperId"
    GROUP BY l."date", l."listedBefore"`,
  authors: (days: string) => `SELECT l."date", l."listedBefore", pa."authorId",
      count(*) AS "papers", sum(p."digestUpvotes") AS "digestUpvotes"
    FROM (${listings(days)}) l JOIN "Paper" p ON p."id" = l."paperId"
    JOIN "PaperAuthor" pa ON pa."paperId" = l."paperId" AND pa."hidden" = false
      AND NOT EXISTS (SELECT 1 FROM "PaperAuthor" q WHERE q."paperId" = pa."paperId"
        AND q."authorId" = pa."authorId" AND q."hidden" = false AND q."position" < pa."position")
    GROUP BY l."date", l."listedBefore", pa."authorId"`,
};

/**
 * Counts again every day the given papers are listed on: call it after writing them (new or
 * changed papers, author lists, counts or day entries), in the same transaction. A constant
 * number of statements per call (per 5,000 papers).
 */
export async function refreshDayTotals(sql: Sql, paperIds: readonly number[]): Promise<void> {
  const days = new Set<string>();
  for (const part of chunks([...new Set(paperIds)])) {
    const where = sql.in(part, "int");
    const rows = await sql.query<{ date: string }>(
      `SELECT DISTINCT d."date" FROM "DayEntry" e JOIN "Day" d ON d."id" = e."dayId"
       WHERE e."paperId" ${where.sql}`,
      where.params,
    );
    for (const row of rows) days.add(row.date);
  }
  for (const part of chunks([...days].sort())) {
    const where = sql.in(part, "text");
    await sql.execute(`DELETE FROM "DayTotal" WHERE "date" ${where.sql}`, where.params);
    await sql.execute(`DELETE FROM "AuthorDayTotal" WHERE "date" ${where.sql}`, where.params);
    await sql.execute(
      `INSERT INTO "DayTotal" ("date", "listedBefore", "papers", "digestUpvotes")
       ${RECOUNT.days(where.sql)}`,
      where.params,
    );
    await sql.execute(
      `INSERT INTO "AuthorDayTotal" ("date", "listedBefore", "authorId", "papers", "digestUpvotes")
       ${RECOUNT.authors(where.sql)}`,
      where.params,
    );
  }
}
