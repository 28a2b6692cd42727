/**
 * The dashboard's figures over date ranges, read from the per-day totals the ingest keeps
 * (src/db/day-totals.ts) instead of every listing and author link of the range: "papers" are the
 * distinct papers listed in a range (a paper listed on two of its days counts once), "upvotes"
 * the sum of those papers' upvotes now.
 *
 * A paper listed in [start, end] is counted at exactly one of its listings there: the one whose
 * previous listing (`listedBefore`, '' for none) is before `start`. A total holds the papers'
 * digest counts; their local votes are added here, from the voted papers (`localUpvotes > 0`, a
 * partial index) listed in the range, each once per bucket. Each figure is one statement, so it
 * reads one snapshot. Buckets are assigned in TypeScript (src/papers/periods.ts), as everywhere.
 */
import { type Db, readerOf } from "../db/client.ts";
import type { Provider } from "../db/target.ts";

export interface RangeBucket {
  key: string;
  start: string;
  end: string;
}

export interface Totals {
  papers: number;
  upvotes: number;
}

/**
 * The voted papers listed in [$1, $2]: one row per listing. Read from the voted papers (the
 * partial index) outwards: `CROSS JOIN` keeps SQLite, which has no statistics, from walking every
 * listing of the range to look each paper up (PostgreSQL plans it as an inner join either way).
 */
const VOTED_LISTINGS = `SELECT d."date", p."id" AS "paperId", p."localUpvotes" AS "upvotes"
  FROM "Paper" p CROSS JOIN "DayEntry" e CROSS JOIN "Day" d
  WHERE p."localUpvotes" > 0 AND e."paperId" = p."id" AND d."id" = e."dayId"
    AND d."date" >= $1 AND d."date" <= $2`;

/**
 * A statement written with numbered parameters (`$n`, each usable several times) in the engine's
 * own form, with its values: SQLite's `?` takes one value per occurrence.
 */
function forEngine(
  provider: Provider,
  sql: string,
  values: readonly unknown[],
): [string, unknown[]] {
  if (provider === "postgresql") return [sql, [...values]];
  const params: unknown[] = [];
  const text = sql.replace(/\$(\d+)/g, (_, n) => {
    params.push(values[Number(n) - 1]);
    return "?";
  });
  return [text, params];
}

/**
 * Papers and upvotes of each bucket; `buckets` are consecutive, in order, and cover the range
 * from the first one's start to the last one's end.
 */
export async function bucketTotals(
  db: Db,
  provider: Provider,
  buckets: readonly RangeBucket[],
): Promise<Totals[]> {
  const totals = buckets.map(() => ({ papers: 0, upvotes: 0 }));
  const first = buckets[0];
  const last = buckets[buckets.length - 1];
  if (!first || !last) return totals;
  // One row per (day, previous listing) from the totals, and one per listing of a voted paper
  // (`paperId` set): a statement, a snapshot.
  const rows = await readerOf(db).query<{
    date: string;
    listedBefore: string;
    papers: number | bigint;
    upvotes: number | bigint;
    paperId: number | null;
  }>(
    ...forEngine(
      provider,
      `SELECT "date", "listedBefore", "papers", "digestUpvotes" AS "upvotes", NULL AS "paperId"
       FROM "DayTotal" WHERE "date" >= $1 AND "date" <= $2
       UNION ALL
       SELECT v."date", '', 0, v."upvotes", v."paperId" FROM (${VOTED_LISTINGS}) v`,
      [first.start, last.end],
    ),
  );
  const bucketOf = bucketFinder(buckets);
  const voted = new Set<string>();
  for (const row of rows) {
    const index = bucketOf(row.date);
    const bucket = buckets[index] as RangeBucket;
    const total = totals[index] as Totals;
    if (row.paperId === null) {
      if (row.listedBefore >= bucket.start) continue; // counted at an earlier day of the bucket
      total.papers += Number(row.papers);
      total.upvotes += Number(row.upvotes);
    } else {
      const key = `${index}:${row.paperId}`;
      if (voted.has(key)) continue;
      voted.add(key);
      total.upvotes += Number(row.upvotes);
    }
  }
  return totals;
}

/** The index of the bucket holding a day (consecutive buckets, in order). */
function bucketFinder(buckets: readonly RangeBucket[]): (day: string) => number {
  return (day) => {
    let [low, high] = [0, buckets.length - 1];
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((buckets[middle] as RangeBucket).start <= day) low = middle;
      else high = middle - 1;
    }
    return low;
  };
}

/** Distinct papers listed in [from, to] and the sum of their upvotes now. */
export async function rangeTotals(
  db: Db,
  provider: Provider,
  from: string,
  to: string,
): Promise<Totals> {
  const [totals] = await bucketTotals(db, provider, [{ key: "", start: from, end: to }]);
  return totals as Totals;
}

export interface AuthorTotals extends Totals {
  authorId: number;
}

/**
 * The `limit` authors with the most distinct papers listed in [from, to] (visible authors; a
 * paper counts once per author), then the most upvotes, then by name. The authors' sums come
 * from `AuthorDayTotal`, plus the local votes of the voted papers listed in the range (each paper
 * once, to each of its visible authors once; `CROSS JOIN` again keeps SQLite from scanning every
 * author link). Only the authors ranked within `limit` (ties included: those whose papers and
 * upvotes reach the `limit`-th's) are joined to their names: a top-k sort, not a sort of all.
 */
export async function topAuthorTotals(
  db: Db,
  provider: Provider,
  from: string,
  to: string,
  limit: number,
): Promise<AuthorTotals[]> {
  const rows = await readerOf(db).query<{
    authorId: number | bigint;
    papers: number | bigint;
    upvotes: number | bigint;
  }>(
    ...forEngine(
      provider,
      `WITH "sums" AS (
         SELECT "authorId", sum("papers") AS "papers", sum("upvotes") AS "upvotes" FROM (
           SELECT "authorId", "papers", "digestUpvotes" AS "upvotes" FROM "AuthorDayTotal"
           WHERE "date" >= $1 AND "date" <= $2 AND "listedBefore" < $1
           UNION ALL
           SELECT pa."authorId", 0, v."upvotes"
           FROM (SELECT DISTINCT "paperId", "upvotes" FROM (${VOTED_LISTINGS}) l) v
           CROSS JOIN "PaperAuthor" pa
           WHERE pa."paperId" = v."paperId" AND pa."hidden" = false
             AND NOT EXISTS (SELECT 1 FROM "PaperAuthor" q WHERE q."paperId" = pa."paperId"
               AND q."authorId" = pa."authorId" AND q."hidden" = false
               AND q."position" < pa."position")) t
         GROUP BY "authorId"),
       "last" AS (
         SELECT "papers", "upvotes" FROM "sums"
         ORDER BY "papers" DESC, "upvotes" DESC LIMIT 1 OFFSET $3 - 1)
       SELECT s."authorId", s."papers", s."upvotes" FROM "sums" s
       JOIN "Author" a ON a."id" = s."authorId"
       WHERE NOT EXISTS (SELECT 1 FROM "last")
         OR (s."papers", s."upvotes") >= (SELECT "papers", "upvotes" FROM "last")
       ORDER BY s."papers" DESC, s."upvotes" DESC, a."name" ASC LIMIT $3`,
      [from, to, limit],
    ),
  );
  return rows.map((r) => ({
    authorId: Number(r.authorId),
    papers: Number(r.papers),
    upvotes: Number(r.upvotes),
  }));
}
