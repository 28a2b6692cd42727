/**
 * Dashboard aggregates over a range of digest days: a time series in day, week or month buckets,
 * the top authors and the top papers. "Papers" are distinct papers listed in the range (a paper
 * listed on two days of a week counts once for that week); "upvotes" are those papers' upvotes now.
 *
 * The time series and the range totals read the day totals (`DayTotal`, src/db/totals.ts), not
 * the day entries: the distinct papers of days [from, to] are the entries of those days whose
 * previous listing is before `from` (or none), so summing the totals rows of the range's days with
 * `previousListedOn < from` counts each paper once. A bucket clipped to the range starts at the
 * later of its own first day and `from`. The top authors of a calendar month, quarter or year
 * read `AuthorYear`; of any other range, the day entries (see `topAuthorsOfPeriod`).
 */
import { placeholder, placeholders } from "../../db/placeholders.ts";
import { type AuthorYearColumn, upvotesColumn } from "../../db/totals.ts";
import { listPapers } from "../../papers/list.ts";
import { type Bucket, bucketsBetween, monthRange } from "../../papers/periods.ts";
import { builder, rangeCost } from "../builder.ts";
import type { Context } from "../context.ts";
import { UserInputError } from "../errors.ts";
import { Author } from "./paper.ts";

const MAX_BUCKETS = 1_000;
const MAX_TOP = 100;

const p = (ctx: Context, index: number) => placeholder(ctx.provider, index);

/** The key of the bucket holding the day `column` (`YYYY-MM-DD` text). */
function bucketSql(ctx: Context, bucket: Bucket, column: string): string {
  if (bucket === "DAY") return column;
  if (bucket === "MONTH") return `substr(${column}, 1, 7)`;
  return ctx.provider === "sqlite"
    ? `strftime('%G-W%V', ${column})`
    : `to_char(${column}::date, 'IYYY-"W"IW')`;
}

/** The first day of the bucket holding the day `column`: the day, its month's 1st, its Monday. */
function bucketStartSql(ctx: Context, bucket: Bucket, column: string): string {
  if (bucket === "DAY") return column;
  if (bucket === "MONTH") return `substr(${column}, 1, 7) || '-01'`;
  return ctx.provider === "sqlite"
    ? `date(${column}, '-' || ((CAST(strftime('%w', ${column}) AS INTEGER) + 6) % 7) || ' days')`
    : `to_char(date_trunc('week', ${column}::timestamp), 'YYYY-MM-DD')`;
}

function checkRange(from: string, to: string): void {
  if (from > to) throw new UserInputError("from", `${from} is after to ${to}`);
}

/** The size of a top list, checked. */
function topSize(first: number | null | undefined): number {
  const size = first ?? 10;
  if (size < 1 || size > MAX_TOP) {
    throw new UserInputError("first", `must be between 1 and ${MAX_TOP}, not ${size}`);
  }
  return size;
}

/** Distinct papers listed in [from, to] and the sum of their upvotes. */
export async function rangeTotals(ctx: Context, from: string, to: string) {
  const rows = await ctx.db.$queryRawUnsafe<
    { papers: bigint | number | null; upvotes: bigint | number | null }[]
  >(
    `SELECT sum("papers") AS "papers", sum("upvotes") AS "upvotes" FROM "DayTotal"
     WHERE "date" >= ${p(ctx, 1)} AND "date" <= ${p(ctx, 2)} AND "previousListedOn" < ${p(ctx, 3)}`,
    from,
    to,
    from,
  );
  return { papers: Number(rows[0]?.papers ?? 0), upvotes: Number(rows[0]?.upvotes ?? 0) };
}

/**
 * The top authors. For a calendar month, quarter or year (the usual dashboard ranges), AuthorYear
 * holds every author's count of distinct papers in it and their upvotes now (src/db/totals.ts):
 * the first `limit` by papers and upvotes are read from the year's rows in one pass, then ordered
 * with their names for ties, as `topAuthorsOfRange` orders them (when more authors tie with the
 * last one on both than were read, all of those are read). Other ranges count every author of the
 * range from the day entries.
 */
type AuthorRow = { authorId: number; papers: bigint | number; upvotes: bigint | number | null };

/** The AuthorYear column that counts [from, to] if it is a calendar year, quarter or month. */
export function calendarPeriod(
  from: string,
  to: string,
): { year: string; column: AuthorYearColumn } | null {
  const year = from.slice(0, 4);
  const month = from.slice(5, 7);
  if (from.slice(8) !== "01" || to.slice(0, 4) !== year) return null;
  if (month === "01" && to === `${year}-12-31`) return { year, column: "papers" };
  if (to === monthRange(from.slice(0, 7))?.end) {
    return { year, column: `m${month}` as AuthorYearColumn };
  }
  const quarter = Math.ceil(Number(month) / 3);
  const last = String(quarter * 3).padStart(2, "0");
  if (Number(month) === quarter * 3 - 2 && to === monthRange(`${year}-${last}`)?.end) {
    return { year, column: `q${quarter}` as AuthorYearColumn };
  }
  return null;
}

async function topAuthorsOfPeriod(
  ctx: Context,
  period: { year: string; column: AuthorYearColumn },
  limit: number,
): Promise<AuthorRow[]> {
  const papers = `y."${period.column}"`;
  const upvotes = `y."${upvotesColumn(period.column)}"`;
  const top = await ctx.db.$queryRawUnsafe<{ authorId: number; papers: number; upvotes: number }[]>(
    `SELECT y."authorId", ${papers} AS "papers", ${upvotes} AS "upvotes" FROM "AuthorYear" y
     WHERE y."year" = ${p(ctx, 1)} AND ${papers} > 0
     ORDER BY ${papers} DESC, ${upvotes} DESC LIMIT ${limit + 1}`,
    period.year,
  );
  const last = top[Math.min(limit, top.length) - 1];
  if (!last) return [];
  const next = top[limit];
  const select = `SELECT y."authorId", ${papers} AS "papers", ${upvotes} AS "upvotes"
    FROM "AuthorYear" y JOIN "Author" a ON a."id" = y."authorId" WHERE y."year" = ${p(ctx, 1)}`;
  const order = `ORDER BY ${papers} DESC, ${upvotes} DESC, a."name" ASC LIMIT ${limit}`;
  if (
    next &&
    Number(next.papers) === Number(last.papers) &&
    Number(next.upvotes) === Number(last.upvotes)
  ) {
    return ctx.db.$queryRawUnsafe<AuthorRow[]>(
      `${select} AND (${papers} > ${p(ctx, 2)} OR (${papers} = ${p(ctx, 3)} AND ${upvotes} >= ${p(ctx, 4)})) ${order}`,
      period.year,
      Number(last.papers),
      Number(last.papers),
      Number(last.upvotes),
    );
  }
  const ids = top.slice(0, limit).map((r) => Number(r.authorId));
  return ctx.db.$queryRawUnsafe<AuthorRow[]>(
    `${select} AND y."authorId" IN (${placeholders(ctx.provider, ids.length, 1)}) ${order}`,
    period.year,
    ...ids,
  );
}

/** The first `limit` authors by distinct papers listed in [from, to], counting every author. */
function topAuthorsOfRange(
  ctx: Context,
  from: string,
  to: string,
  limit: number,
): Promise<AuthorRow[]> {
  return ctx.db.$queryRawUnsafe<AuthorRow[]>(
    // The distinct papers of the range first, then their authors. An author whose name
    // appears twice in a paper's list has two PaperAuthor rows: only the first visible one
    // joins (the NOT EXISTS looks up that paper's few authors by primary key), so each
    // (paper, author) pair counts once, in the paper count and in the upvotes alike.
    `SELECT a."id" AS "authorId", a."name", count(*) AS "papers", sum(x."upvotes") AS "upvotes"
     FROM (SELECT DISTINCT p."id", p."upvotes" FROM "Day" d
           JOIN "DayEntry" e ON e."dayId" = d."id" JOIN "Paper" p ON p."id" = e."paperId"
           WHERE d."date" >= ${p(ctx, 1)} AND d."date" <= ${p(ctx, 2)}) AS x
     JOIN "PaperAuthor" pa ON pa."paperId" = x."id" AND pa."hidden" = false
       AND NOT EXISTS (SELECT 1 FROM "PaperAuthor" q WHERE q."paperId" = pa."paperId"
         AND q."authorId" = pa."authorId" AND q."hidden" = false AND q."position" < pa."position")
     JOIN "Author" a ON a."id" = pa."authorId"
     GROUP BY a."id", a."name" ORDER BY "papers" DESC, "upvotes" DESC, a."name" ASC LIMIT ${limit}`,
    from,
    to,
  );
}

const BucketEnum = builder.enumType("Bucket", {
  values: {
    DAY: { description: "One point per day." },
    WEEK: { description: "ISO weeks (`2024-W43`), Monday to Sunday." },
    MONTH: { description: "Calendar months (`2024-10`)." },
  } as const,
});

interface PointShape {
  key: string;
  start: string;
  end: string;
  papers: number;
  upvotes: number;
}

const SeriesPoint = builder.objectRef<PointShape>("SeriesPoint").implement({
  description: "One bucket of a time series; buckets without digests have zeros.",
  fields: (t) => ({
    bucket: t.exposeString("key", { description: "`2024-10-25`, `2024-W43` or `2024-10`." }),
    start: t.field({ type: "Date", resolve: (p) => p.start }),
    end: t.field({ type: "Date", resolve: (p) => p.end, description: "Clipped to the range." }),
    papers: t.exposeInt("papers", { description: "Distinct papers listed in the bucket." }),
    upvotes: t.exposeInt("upvotes", { description: "Sum of those papers' upvotes now." }),
  }),
});

interface AuthorStatShape {
  authorId: number;
  papers: number;
  upvotes: number;
}

const AuthorStat = builder.objectRef<AuthorStatShape>("AuthorStat").implement({
  fields: (t) => ({
    author: t.prismaField({
      type: Author,
      resolve: (query, s, _args, ctx) =>
        ctx.db.author.findUniqueOrThrow({ ...query, where: { id: s.authorId } }),
    }),
    papers: t.exposeInt("papers", { description: "Distinct papers listed in the range." }),
    upvotes: t.exposeInt("upvotes", { description: "Sum of those papers' upvotes now." }),
  }),
});

builder.queryFields((t) => ({
  timeSeries: t.field({
    type: [SeriesPoint],
    description: `Papers and upvotes per bucket over [from, to] (at most ${MAX_BUCKETS} buckets).`,
    args: {
      from: t.arg({ type: "Date", required: true }),
      to: t.arg({ type: "Date", required: true }),
      bucket: t.arg({ type: BucketEnum, defaultValue: "DAY" }),
    },
    complexity: (args) => rangeCost(args.from, args.to, "timeSeries"),
    resolve: async (_root, { from, to, bucket }, ctx) => {
      checkRange(from, to);
      const kind = (bucket ?? "DAY") as Bucket;
      const buckets = bucketsBetween(from, to, kind);
      if (buckets.length > MAX_BUCKETS) {
        throw new UserInputError(
          "to",
          `the range has ${buckets.length} buckets; at most ${MAX_BUCKETS}`,
        );
      }
      // A paper counts in a bucket by its first entry there: the one whose previous listing is
      // before the bucket's first day, or before `from` for a bucket the range clips.
      const rows = await ctx.db.$queryRawUnsafe<
        { key: string; papers: bigint | number; upvotes: bigint | number | null }[]
      >(
        `SELECT ${bucketSql(ctx, kind, 't."date"')} AS "key", sum(t."papers") AS "papers",
           sum(t."upvotes") AS "upvotes"
         FROM "DayTotal" t
         WHERE t."date" >= ${p(ctx, 1)} AND t."date" <= ${p(ctx, 2)}
           AND (t."previousListedOn" < ${p(ctx, 3)}
             OR t."previousListedOn" < ${bucketStartSql(ctx, kind, 't."date"')})
         GROUP BY "key"`,
        from,
        to,
        from,
      );
      const byKey = new Map(rows.map((r) => [r.key, r]));
      return buckets.map((b) => ({
        ...b,
        papers: Number(byKey.get(b.key)?.papers ?? 0),
        upvotes: Number(byKey.get(b.key)?.upvotes ?? 0),
      }));
    },
  }),
  topAuthors: t.field({
    type: [AuthorStat],
    description:
      "The authors with the most papers listed in [from, to] (visible authors only; an author named twice in one paper's list counts that paper once).",
    args: {
      from: t.arg({ type: "Date", required: true }),
      to: t.arg({ type: "Date", required: true }),
      first: t.arg.int({ defaultValue: 10 }),
    },
    complexity: (args) => ({
      field: rangeCost(args.from, args.to, "topAuthors"),
      multiplier: args.first ?? 10,
    }),
    resolve: async (_root, { from, to, first }, ctx) => {
      checkRange(from, to);
      const limit = topSize(first);
      const period = calendarPeriod(from, to);
      const rows = period
        ? await topAuthorsOfPeriod(ctx, period, limit)
        : await topAuthorsOfRange(ctx, from, to, limit);
      return rows.map((r) => ({
        authorId: Number(r.authorId),
        papers: Number(r.papers),
        upvotes: Number(r.upvotes ?? 0),
      }));
    },
  }),
  topPapers: t.prismaField({
    type: ["Paper"],
    description: "The most upvoted papers listed in [from, to].",
    args: {
      from: t.arg({ type: "Date", required: true }),
      to: t.arg({ type: "Date", required: true }),
      first: t.arg.int({ defaultValue: 10 }),
    },
    complexity: (args) => ({
      field: rangeCost(args.from, args.to, "topPapers"),
      multiplier: args.first ?? 10,
    }),
    resolve: async (query, _root, { from, to, first }, ctx) => {
      checkRange(from, to);
      const limit = topSize(first);
      const page = await listPapers(
        ctx.db,
        ctx.provider,
        { dayFrom: from, dayTo: to },
        "UPVOTES",
        "DESC",
        {
          first: limit,
        },
      );
      const rows = await ctx.db.paper.findMany({ ...query, where: { id: { in: page.ids } } });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return page.ids.map((id) => byId.get(id)).filter((r) => r !== undefined);
    },
  }),
}));
