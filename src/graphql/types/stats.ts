/**
 * Dashboard aggregates over a range of digest days: a time series in day, week or month buckets,
 * the top authors and the top papers. "Papers" are distinct papers listed in the range (a paper
 * listed on two days of a week counts once for that week); "upvotes" are those papers' upvotes now.
 * The series and the top authors are read from per-day totals (src/papers/totals.ts).
 */
import { listPapers } from "../../papers/list.ts";
import { type Bucket, bucketsBetween } from "../../papers/periods.ts";
import {
  bucketTotals,
  type Totals,
  topAuthorTotals,
  rangeTotals as totalsOfRange,
} from "../../papers/totals.ts";
import { builder, rangeCost } from "../builder.ts";
import type { Context } from "../context.ts";
import { UserInputError } from "../errors.ts";
import { Author } from "./paper.ts";

const MAX_BUCKETS = 1_000;
const MAX_TOP = 100;

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
export function rangeTotals(ctx: Context, from: string, to: string) {
  return totalsOfRange(ctx.db, ctx.provider, from, to);
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
      const totals = await bucketTotals(ctx.db, ctx.provider, buckets);
      return buckets.map((b, i) => ({ ...b, ...(totals[i] as Totals) }));
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
      return topAuthorTotals(ctx.db, ctx.provider, from, to, limit);
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
