/**
 * Dashboard aggregates over a range of digest days: a time series in day, week or month buckets,
 * the top authors and the top papers. "Papers" are distinct papers listed in the range (a paper
 * listed on two days of a week counts once for that week); "upvotes" are those papers' upvotes now.
 */
import { placeholder } from "../../db/placeholders.ts";
import { listPapers } from "../../papers/list.ts";
import { type Bucket, bucketsBetween } from "../../papers/periods.ts";
import { builder, rangeCost } from "../builder.ts";
import type { Context } from "../context.ts";
import { UserInputError } from "../errors.ts";
import { Author } from "./paper.ts";

const MAX_BUCKETS = 1_000;
const MAX_TOP = 100;

const p = (ctx: Context, index: number) => placeholder(ctx.provider, index);

function bucketSql(ctx: Context, bucket: Bucket): string {
  if (bucket === "DAY") return 'd."date"';
  if (bucket === "MONTH") return 'substr(d."date", 1, 7)';
  return ctx.provider === "sqlite"
    ? `strftime('%G-W%V', d."date")`
    : `to_char(d."date"::date, 'IYYY-"W"IW')`;
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
    { papers: bigint | number; upvotes: bigint | number | null }[]
  >(
    `SELECT count(*) AS "papers", sum("upvotes") AS "upvotes" FROM (
       SELECT DISTINCT p."id", p."upvotes" FROM "Day" d
       JOIN "DayEntry" e ON e."dayId" = d."id" JOIN "Paper" p ON p."id" = e."paperId"
       WHERE d."date" >= ${p(ctx, 1)} AND d."date" <= ${p(ctx, 2)}) AS "listed"`,
    from,
    to,
  );
  return { papers: Number(rows[0]?.papers ?? 0), upvotes: Number(rows[0]?.upvotes ?? 0) };
}

const BucketEnum = builder.enumType("Bucket", {
  description: "The size of a time series' buckets.",
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
    start: t.field({
      type: "Date",
      description: "The bucket's first day, clipped to the range (`from` for the first bucket).",
      resolve: (p) => p.start,
    }),
    end: t.field({
      type: "Date",
      description:
        "The bucket's last day, included, clipped to the range (`to` for the last bucket).",
      resolve: (p) => p.end,
    }),
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
  description:
    "An author's papers in a date range (`topAuthors`): a figure of that range, not an object of its own, so it has no id (client caches keep it inside the query's answer).",
  fields: (t) => ({
    author: t.prismaField({
      type: Author,
      description: "The author.",
      resolve: (query, s, _args, ctx) =>
        ctx.db.author.findUniqueOrThrow({ ...query, where: { id: s.authorId } }),
    }),
    papers: t.exposeInt("papers", { description: "Distinct papers listed in the range." }),
    upvotes: t.exposeInt("upvotes", { description: "Sum of those papers' upvotes now." }),
  }),
});

/** The arguments of every range field: the range's days, `from` and `to` included. */
const rangeArgs = () =>
  builder.args((t) => ({
    from: t.field({ type: "Date", required: true, description: "The range's first day." }),
    to: t.field({
      type: "Date",
      required: true,
      description: "The range's last day, included; not before `from`.",
    }),
  }));

/** The size of a top list. */
const topArgs = () =>
  builder.args((t) => ({
    first: t.int({
      defaultValue: 10,
      description: `How many to return: 10 by default, 1 to ${MAX_TOP}.`,
    }),
  }));

builder.queryFields((t) => ({
  timeSeries: t.field({
    type: [SeriesPoint],
    description: `Papers and upvotes per bucket over [from, to] (at most ${MAX_BUCKETS} buckets).`,
    args: {
      ...rangeArgs(),
      bucket: t.arg({
        type: BucketEnum,
        defaultValue: "DAY",
        description: "One point per day (default), ISO week or calendar month.",
      }),
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
      const rows = await ctx.db.$queryRawUnsafe<
        { key: string; papers: bigint | number; upvotes: bigint | number | null }[]
      >(
        `SELECT "key", count(*) AS "papers", sum("upvotes") AS "upvotes" FROM (
           SELECT DISTINCT ${bucketSql(ctx, kind)} AS "key", p."id", p."upvotes" FROM "Day" d
           JOIN "DayEntry" e ON e."dayId" = d."id" JOIN "Paper" p ON p."id" = e."paperId"
           WHERE d."date" >= ${p(ctx, 1)} AND d."date" <= ${p(ctx, 2)}) AS "listed"
         GROUP BY "key"`,
        from,
        to,
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
      ...rangeArgs(),
      ...topArgs(),
    },
    complexity: (args) => ({
      field: rangeCost(args.from, args.to, "topAuthors"),
      multiplier: args.first ?? 10,
    }),
    resolve: async (_root, { from, to, first }, ctx) => {
      checkRange(from, to);
      const limit = topSize(first);
      const rows = await ctx.db.$queryRawUnsafe<
        {
          authorId: number;
          name: string;
          papers: bigint | number;
          upvotes: bigint | number | null;
        }[]
      >(
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
      ...rangeArgs(),
      ...topArgs(),
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
