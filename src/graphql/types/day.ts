/** Day, a paper's appearance on a day (DayEntry), and the `day` and `days` queries. */
import { readerOf } from "../../db/client.ts";
import { findUnique } from "../../db/select-sql.ts";
import { PAGE_SIZE } from "../../papers/list.ts";
import { builder, COSTS } from "../builder.ts";
import { cursorRule } from "../cursors.ts";
import { UserInputError } from "../errors.ts";
import { pageMultiplier } from "./paper.ts";

/** Relay page arguments outside 1..100 are an error, not silently clamped. */
export function checkPage(args: { first?: number | null; last?: number | null }): void {
  for (const name of ["first", "last"] as const) {
    const value = args[name];
    if (value != null && (value < 1 || value > PAGE_SIZE.max)) {
      throw new UserInputError(name, `must be between 1 and ${PAGE_SIZE.max}, not ${value}`);
    }
  }
}

export const DayEntry = builder.prismaObject("DayEntry", {
  description: "A paper as listed on one day.",
  fields: (t) => ({
    rank: t.exposeInt("rank", { description: "Position in that day's digest, from 1." }),
    upvotes: t.exposeInt("upvotes", { description: "Upvotes the paper had in that day's digest." }),
    inLatestDigest: t.exposeBoolean("inLatestDigest", {
      description: "False when a later digest of the day no longer listed it (it is kept).",
    }),
    day: t.relation("day"),
    paper: t.relation("paper"),
  }),
});

export const DayPaperOrder = builder.enumType("DayPaperOrder", {
  values: {
    RANK: { description: "As ranked in the day's digest." },
    UPVOTES: { description: "By the papers' upvotes now (digest + local), most first." },
  } as const,
});

export const Day = builder.prismaNode("Day", {
  id: { field: "id" },
  nullable: true,
  description: "One digest day.",
  fields: (t) => ({
    date: t.expose("date", { type: "Date" }),
    papers: t.relatedConnection(
      "entries",
      {
        description: "The day's papers, a page at a time.",
        args: { orderBy: t.arg({ type: DayPaperOrder, defaultValue: "RANK" }) },
        cursor: "dayId_paperId",
        defaultSize: PAGE_SIZE.default,
        maxSize: PAGE_SIZE.max,
        totalCount: true,
        // The cursor is the entry's (day, paper) key: it must name this day.
        extensions: cursorRule({
          format: "pair",
          owner: { part: 0, of: (day: { id: number }) => day.id },
        }),
        complexity: (args) => ({ field: 2, multiplier: pageMultiplier(args) }),
        query: (args) => {
          checkPage(args as { first?: number | null; last?: number | null });
          return {
            orderBy:
              args.orderBy === "UPVOTES"
                ? [{ paper: { upvotes: "desc" as const } }, { paperId: "desc" as const }]
                : [{ rank: "asc" as const }, { paperId: "asc" as const }],
          };
        },
      },
      { name: "DayPaperConnection" },
      { name: "DayPaperEdge" },
    ),
    paperCount: t.int({
      complexity: COSTS.dayTotal,
      resolve: async (day, _args, ctx) => (await ctx.loaders.dayStats.load(day.id)).paperCount,
    }),
    totalUpvotes: t.int({
      description: "Sum of the day's papers' upvotes now.",
      complexity: COSTS.dayTotal,
      resolve: async (day, _args, ctx) => (await ctx.loaders.dayStats.load(day.id)).totalUpvotes,
    }),
    previous: t.prismaField({
      type: "Day",
      nullable: true,
      description: "The closest earlier day with a digest.",
      resolve: async (query, day, _args, ctx) => {
        const { previous } = await ctx.loaders.dayNeighbours.load(day.id);
        return previous === null
          ? null
          : ctx.db.day.findUnique({ ...query, where: { id: previous } });
      },
    }),
    next: t.prismaField({
      type: "Day",
      nullable: true,
      description: "The closest later day with a digest.",
      resolve: async (query, day, _args, ctx) => {
        const { next } = await ctx.loaders.dayNeighbours.load(day.id);
        return next === null ? null : ctx.db.day.findUnique({ ...query, where: { id: next } });
      },
    }),
  }),
});

builder.queryFields((t) => ({
  day: t.prismaField({
    type: "Day",
    nullable: true,
    description: "The digest of a day, or null if there is none.",
    args: { date: t.arg({ type: "Date", required: true }) },
    resolve: (query, _root, { date }, ctx) =>
      findUnique<never>(readerOf(ctx.db), ctx.provider, "Day", query, "date", date) ??
      ctx.db.day.findUnique({ ...query, where: { date } }),
  }),
  days: t.prismaConnection(
    {
      type: "Day",
      cursor: "date",
      description: "Digest days, newest first, optionally within a range.",
      defaultSize: PAGE_SIZE.default,
      maxSize: PAGE_SIZE.max,
      totalCount: (_parent, args, ctx) =>
        ctx.db.day.count({
          where: { date: { gte: args.from ?? undefined, lte: args.to ?? undefined } },
        }),
      args: { from: t.arg({ type: "Date" }), to: t.arg({ type: "Date" }) },
      extensions: cursorRule({ format: "day" }),
      complexity: (args) => ({ field: 2, multiplier: pageMultiplier(args) }),
      resolve: (query, _root, args, ctx) => {
        checkPage(args);
        return ctx.db.day.findMany({
          ...query,
          where: { date: { gte: args.from ?? undefined, lte: args.to ?? undefined } },
          orderBy: { date: "desc" },
        });
      },
    },
    { name: "DayConnection" },
    { name: "DayEdge" },
  ),
}));
