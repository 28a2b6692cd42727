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

/**
 * A paper's listing on a day: a node of its own, keyed by the day and the paper (`DayEntry:3:17`,
 * src/graphql/ids.ts), so that client caches can normalise it (README, "Ids and client caches").
 */
export const DayEntry = builder.prismaNode("DayEntry", {
  id: {
    description:
      "The listing's global id (the day's and the paper's, together): opaque and stable; `node(id:)` fetches the listing again.",
    resolve: (entry) => `${entry.dayId}:${entry.paperId}`,
  },
  // `id` is the key part of a global id, already read strictly by src/graphql/ids.ts: `3:17`.
  findUnique: (id) => {
    const [dayId, paperId] = id.split(":").map(Number) as [number, number];
    return { dayId_paperId: { dayId, paperId } };
  },
  nullable: true,
  description:
    "A paper as listed on one day's digest: its rank and the upvotes the digest showed that day. The same paper listed on another day is another DayEntry.",
  fields: (t) => ({
    rank: t.exposeInt("rank", { description: "Position in that day's digest, from 1." }),
    upvotes: t.exposeInt("upvotes", {
      description:
        "Upvotes the paper had in that day's digest (the newest digest of the day); the paper's own `upvotes` are its count now.",
    }),
    inLatestDigest: t.exposeBoolean("inLatestDigest", {
      description: "False when a later digest of the day no longer listed it (it is kept).",
    }),
    day: t.relation("day", { description: "The day whose digest lists the paper." }),
    paper: t.relation("paper", { description: "The paper listed." }),
  }),
});

export const DayPaperOrder = builder.enumType("DayPaperOrder", {
  description: "The order of a day's papers; the paper id breaks ties.",
  values: {
    RANK: { description: "As ranked in the day's digest." },
    UPVOTES: { description: "By the papers' upvotes now (digest + local), most first." },
  } as const,
});

export const Day = builder.prismaNode("Day", {
  id: {
    field: "id",
    description: "The day's global id: opaque and stable; `node(id:)` fetches the day again.",
  },
  nullable: true,
  description:
    "One day's digest: the papers the Daily Papers list showed that day, in its order. Only days with a digest exist here.",
  fields: (t) => ({
    date: t.expose("date", { type: "Date", description: "The day, `YYYY-MM-DD`." }),
    papers: t.relatedConnection(
      "entries",
      {
        description:
          "The day's papers, a page at a time (20 by default, at most 100): each node is the paper's listing (rank and upvotes on that day), ranked as in the digest by default.",
        args: {
          orderBy: t.arg({
            type: DayPaperOrder,
            defaultValue: "RANK",
            description: "The digest's rank (default), or the papers' upvotes now.",
          }),
        },
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
      {
        name: "DayPaperConnection",
        description: "A day's papers (their listings on that day), a page at a time.",
      },
      { name: "DayPaperEdge", description: "One paper's listing on the day, with its cursor." },
    ),
    paperCount: t.int({
      description:
        "How many papers the day's digest lists (those a later digest dropped included).",
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
    args: {
      date: t.arg({
        type: "Date",
        required: true,
        description: "The day, `YYYY-MM-DD` (the digest's day, as the Daily Papers list dates it).",
      }),
    },
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
      args: {
        from: t.arg({ type: "Date", description: "Only days on or after this one." }),
        to: t.arg({ type: "Date", description: "Only days on or before this one." }),
      },
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
    { name: "DayConnection", description: "Digest days, newest first, a page at a time." },
    { name: "DayEdge", description: "A digest day with its cursor." },
  ),
}));
