/** Paper, its authors, appearances and upvote history; and the `papers` and `paper` queries. */
import { queryFromInfo } from "@pothos/plugin-prisma";
import type { GraphQLResolveInfo } from "graphql";
import {
  countPapers,
  listPapers,
  PAGE_SIZE,
  type PaperFilter,
  type PaperOrderField,
} from "../../papers/list.ts";
import { builder } from "../builder.ts";
import type { Context } from "../context.ts";
import { UserInputError } from "../errors.ts";

export const Author = builder.prismaNode("Author", {
  id: { field: "id" },
  nullable: true,
  description: "A person named as an author of papers.",
  fields: (t) => ({
    name: t.exposeString("name"),
    huggingFaceUser: t.exposeString("hfUsername", {
      nullable: true,
      description: "The author's Hugging Face user name, when they claimed a paper.",
    }),
  }),
});

export const UpvotePoint = builder.prismaObject("UpvoteSnapshot", {
  name: "UpvotePoint",
  description: "A digest upvote count seen on a day: the points of a paper's upvote chart.",
  select: { id: true },
  fields: (t) => ({
    date: t.expose("seenOn", {
      type: "Date",
      description: "The digest day the count was seen on.",
    }),
    upvotes: t.exposeInt("upvotes"),
  }),
});

/** The page size a connection's cost counts: its page size, capped so that a too-large `first` is reported by the resolver as a bad argument rather than as a cost. */
export function pageMultiplier(args: { first?: number | null; last?: number | null }): number {
  return Math.min(args.first ?? args.last ?? PAGE_SIZE.default, PAGE_SIZE.max);
}

export const Paper = builder.prismaNode("Paper", {
  id: { field: "id" },
  nullable: true,
  select: { id: true },
  description: "A research paper, as the digests list it.",
  fields: (t) => ({
    arxivId: t.exposeString("arxivId", {
      nullable: true,
      description: "The arXiv id (`2410.17243`), when known. Page-text digests do not give it.",
    }),
    title: t.exposeString("title"),
    abstract: t.exposeString("abstract"),
    authors: t.field({
      type: [Author],
      complexity: { field: 1, multiplier: 5 },
      description: "Authors in order; authors the digest marks hidden are left out.",
      select: (_args, _ctx, nestedSelection) => ({
        authors: {
          where: { hidden: false },
          orderBy: { position: "asc" },
          select: { author: nestedSelection(true) },
        },
      }),
      resolve: (paper) => paper.authors.map((a) => a.author),
    }),
    authorCount: t.exposeInt("authorCount", {
      description: "How many authors the digest counts (hidden ones included).",
    }),
    publishedAt: t.expose("publishedAt", {
      type: "DateTime",
      nullable: true,
      description: "Publication (arXiv) date; midnight UTC when the digest gave only a day.",
    }),
    upvotes: t.exposeInt("upvotes", {
      description: "The count users see: digestUpvotes + localUpvotes.",
    }),
    digestUpvotes: t.exposeInt("digestUpvotes", { description: "Upvotes in the newest digest." }),
    localUpvotes: t.exposeInt("localUpvotes", { description: "Upvotes cast on this server." }),
    trendingScore: t.exposeFloat("trendingScore", {
      description: "log10(1 + upvotes) + (days from 1970-01-01 to the newest day listing it) / 3.",
    }),
    codeUrl: t.exposeString("codeUrl", { nullable: true, description: "Code repository." }),
    projectUrl: t.exposeString("projectUrl", { nullable: true, description: "Project page." }),
    thumbnailUrl: t.exposeString("thumbnailUrl", { nullable: true }),
    commentCount: t.exposeInt("commentCount", { nullable: true }),
    arxivUrl: t.string({
      nullable: true,
      select: { arxivId: true },
      resolve: (p) => (p.arxivId ? `https://arxiv.org/abs/${p.arxivId}` : null),
    }),
    pdfUrl: t.string({
      nullable: true,
      select: { arxivId: true },
      resolve: (p) => (p.arxivId ? `https://arxiv.org/pdf/${p.arxivId}` : null),
    }),
    appearances: t.relation("dayEntries", {
      complexity: { field: 1, multiplier: 3 },
      description: "The days the paper was listed on, oldest first, with its rank there.",
      query: { orderBy: { day: { date: "asc" } } },
    }),
    upvoteHistory: t.relation("upvoteHistory", {
      complexity: { field: 1, multiplier: 5 },
      description: "Every change of its digest upvote count, oldest first: chart it.",
      query: { orderBy: [{ seenOn: "asc" }, { id: "asc" }] },
    }),
  }),
});

export const PaperOrderFieldEnum = builder.enumType("PaperOrderField", {
  values: {
    UPVOTES: { description: "By upvotes (digest + local)." },
    PUBLISHED_AT: { description: "By publication date; papers without one come last." },
    DAY: { description: "By the newest digest day that listed the paper." },
    TRENDING: {
      description:
        "By trendingScore = log10(1 + upvotes) + days(newest day listed) / 3: ten times the upvotes count as much as being three days newer.",
    },
    RELEVANCE: { description: "By full-text rank; only with filter.search." },
  } as const,
});

export const OrderDirection = builder.enumType("OrderDirection", {
  values: ["ASC", "DESC"] as const,
});

export const PaperOrder = builder.inputType("PaperOrder", {
  description: "Every order ends with the paper id as a tie-breaker, so pages never overlap.",
  fields: (t) => ({
    field: t.field({ type: PaperOrderFieldEnum, required: true }),
    direction: t.field({ type: OrderDirection, defaultValue: "DESC" }),
  }),
});

export const PaperFilterInput = builder.inputType("PaperFilter", {
  description: "All given conditions must hold.",
  fields: (t) => ({
    dayFrom: t.field({ type: "Date", description: "Listed in a digest on or after this day." }),
    dayTo: t.field({ type: "Date", description: "Listed in a digest on or before this day." }),
    publishedFrom: t.field({ type: "DateTime" }),
    publishedTo: t.field({ type: "DateTime" }),
    minUpvotes: t.int(),
    maxUpvotes: t.int(),
    author: t.string({ description: "A visible author's name contains this (any case)." }),
    hasCode: t.boolean({ description: "Has (or has not) a code repository link." }),
    arxivIds: t.stringList({ description: "One of these arXiv ids (at most 100)." }),
    search: t.string({
      description:
        "Full-text search over title and abstract: every word must start a word of the paper (at most 12 words).",
    }),
  }),
});

type FilterArg = typeof PaperFilterInput.$inferInput;

export function checkFilter(filter: FilterArg | null | undefined): PaperFilter {
  const f = filter ?? {};
  if (f.arxivIds && f.arxivIds.length > 100) {
    throw new UserInputError("filter.arxivIds", `at most 100 ids, not ${f.arxivIds.length}`);
  }
  if (f.search != null && f.search.length > 500) {
    throw new UserInputError("filter.search", "at most 500 characters");
  }
  if (f.author != null && f.author.length > 200) {
    throw new UserInputError("filter.author", "at most 200 characters");
  }
  if (f.dayFrom && f.dayTo && f.dayFrom > f.dayTo) {
    throw new UserInputError("filter.dayFrom", `${f.dayFrom} is after dayTo ${f.dayTo}`);
  }
  return f;
}

/** Intersects a fixed day range (a week or month view) with the client's filter. */
export function withinDays(filter: PaperFilter, from: string, to: string): PaperFilter {
  return {
    ...filter,
    dayFrom: filter.dayFrom && filter.dayFrom > from ? filter.dayFrom : from,
    dayTo: filter.dayTo && filter.dayTo < to ? filter.dayTo : to,
  };
}

/** Loads a page of papers in order, with what the client selected below the connection. */
export async function resolvePaperConnection(
  ctx: Context,
  info: GraphQLResolveInfo,
  filter: PaperFilter,
  order: { field: PaperOrderField; direction?: "ASC" | "DESC" | null },
  args: {
    first?: number | null;
    after?: string | null;
    last?: number | null;
    before?: string | null;
  },
) {
  const page = await listPapers(
    ctx.db,
    ctx.provider,
    filter,
    order.field,
    order.direction ?? "DESC",
    args,
  );
  const query = queryFromInfo({
    context: ctx,
    info,
    typeName: "Paper",
    paths: [["nodes"], ["edges", "node"]],
  });
  const rows =
    page.ids.length === 0
      ? []
      : await ctx.db.paper.findMany({ ...query, where: { id: { in: page.ids } } } as never);
  const byId = new Map((rows as { id: number }[]).map((row) => [row.id, row]));
  return {
    edges: page.ids.map((id, i) => ({ cursor: page.cursors[i] as string, node: byId.get(id) })),
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: page.cursors[0] ?? null,
      endCursor: page.cursors[page.cursors.length - 1] ?? null,
    },
    totalCount: () => countPapers(ctx.db, ctx.provider, filter),
  };
}

export const PaperConnection = builder.connectionObject(
  {
    type: Paper,
    name: "PaperConnection",
    fields: (t) => ({
      totalCount: t.int({
        description: "How many papers match, in all pages. Counted only when asked for.",
        resolve: (parent) =>
          (parent as unknown as { totalCount: () => Promise<number> }).totalCount(),
      }),
    }),
  },
  { name: "PaperEdge" },
);

/** The arguments of every paper connection: filter, order and Relay page arguments. */
export function paperConnectionArgs(defaultOrder: PaperOrderField) {
  return builder.args((t) => ({
    filter: t.field({ type: PaperFilterInput }),
    orderBy: t.field({
      type: PaperOrder,
      defaultValue: { field: defaultOrder, direction: "DESC" },
    }),
    first: t.int(),
    after: t.string(),
    last: t.int(),
    before: t.string(),
  }));
}

builder.queryFields((t) => ({
  papers: t.field({
    type: PaperConnection,
    description: `Papers matching a filter, in an order, a page at a time (Relay cursors; ${PAGE_SIZE.default} by default, at most ${PAGE_SIZE.max}).`,
    args: paperConnectionArgs("TRENDING"),
    complexity: (args) => ({ field: 2, multiplier: pageMultiplier(args) }),
    resolve: (_root, args, ctx, info) =>
      resolvePaperConnection(
        ctx,
        info,
        checkFilter(args.filter),
        (args.orderBy ?? { field: "TRENDING" }) as { field: PaperOrderField },
        args,
      ) as never,
  }),
  paper: t.prismaField({
    type: "Paper",
    nullable: true,
    description: "A paper by its arXiv id (without version), or null.",
    args: { arxivId: t.arg.string({ required: true }) },
    resolve: (query, _root, { arxivId }, ctx) =>
      ctx.db.paper.findUnique({ ...query, where: { arxivId } }),
  }),
}));
