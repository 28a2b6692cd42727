/** Paper, its authors, appearances and upvote history; and the `papers` and `paper` queries. */
import { queryFromInfo } from "@pothos/plugin-prisma";
import DataLoader from "dataloader";
import type { GraphQLResolveInfo } from "graphql";
import { readerOf } from "../../db/client.ts";
import { compileSelection, findUnique } from "../../db/select-sql.ts";
import { arxivIdOf } from "../../papers/arxiv.ts";
import {
  countAuthorsPapers,
  countPapers,
  listAuthorsFirstPages,
  listPapers,
  PAGE_SIZE,
  type PageArgs,
  type PaperFilter,
  type PaperOrderField,
  type PaperPage,
} from "../../papers/list.ts";
import { builder, COSTS, filterCost } from "../builder.ts";
import type { Context } from "../context.ts";
import { cursorRule, KEYSET } from "../cursors.ts";
import { UserInputError } from "../errors.ts";

export const Author = builder.prismaNode("Author", {
  id: {
    field: "id",
    description: "The author's global id: opaque and stable; `node(id:)` fetches the author again.",
  },
  nullable: true,
  description:
    "A person named as an author of papers. Authors are told apart by name as the digests spell it: two people of one name are one Author.",
  fields: (t) => ({
    name: t.exposeString("name", { description: "The name as the digests spell it." }),
    huggingFaceUser: t.exposeString("hfUsername", {
      nullable: true,
      description: "The author's Hugging Face user name, when they claimed a paper.",
    }),
  }),
});

export const UpvotePoint = builder.prismaNode("UpvoteSnapshot", {
  name: "UpvotePoint",
  id: {
    field: "id",
    description:
      "The point's global id: opaque and stable; `node(id:)` fetches the point again. A point never changes once recorded.",
  },
  nullable: true,
  description: "A digest upvote count seen on a day: the points of a paper's upvote chart.",
  select: { id: true },
  fields: (t) => ({
    date: t.expose("seenOn", {
      type: "Date",
      description: "The digest day the count was seen on.",
    }),
    upvotes: t.exposeInt("upvotes", {
      description:
        "The paper's upvotes as that digest showed them (votes cast on this server not included).",
    }),
  }),
});

/** The items of a newline-separated list column; empty when there are none. */
function lines(value: string | null): string[] {
  return value ? value.split("\n").filter((line) => line !== "") : [];
}

const CODE_URL_RULE =
  "the digest's own code link (the Daily Papers API's `githubRepo`) when it gives one, else the first link in the abstract to a code host: github.com, gitlab.com, bitbucket.org or codeberg.org (subdomains included; trailing punctuation and `.git` removed)";

export const Submitter = builder
  .objectRef<{ handle: string; name: string | null }>("Submitter")
  .implement({
    description: "The Hugging Face user who submitted a paper to the Daily Papers list.",
    fields: (t) => ({
      handle: t.exposeString("handle", {
        description: "Their Hugging Face user name (`https://huggingface.co/<handle>`).",
      }),
      name: t.exposeString("name", { nullable: true, description: "Their display name." }),
    }),
  });

export const Organization = builder
  .objectRef<{ handle: string; name: string | null; avatarUrl: string | null }>("Organization")
  .implement({
    description: "The Hugging Face organization a paper was submitted under.",
    fields: (t) => ({
      handle: t.exposeString("handle", {
        description: "Its Hugging Face name (`https://huggingface.co/<handle>`), e.g. `google`.",
      }),
      name: t.exposeString("name", { nullable: true, description: "Its display name." }),
      avatarUrl: t.exposeString("avatarUrl", {
        nullable: true,
        description: "Its avatar image: an absolute http(s) URL, or null.",
      }),
    }),
  });

/** The page size a connection's cost counts: its page size, capped so that a too-large `first` is reported by the resolver as a bad argument rather than as a cost. */
export function pageMultiplier(args: { first?: number | null; last?: number | null }): number {
  return Math.min(args.first ?? args.last ?? PAGE_SIZE.default, PAGE_SIZE.max);
}

export const Paper = builder.prismaNode("Paper", {
  id: {
    field: "id",
    description:
      "The paper's global id: opaque and stable; `node(id:)` fetches the paper again, and votes name the paper by it.",
  },
  nullable: true,
  select: { id: true },
  description: "A research paper, as the digests list it.",
  fields: (t) => ({
    arxivId: t.exposeString("arxivId", {
      nullable: true,
      description: "The arXiv id (`2410.17243`), when known. Page-text digests do not give it.",
    }),
    title: t.exposeString("title", {
      description:
        "The title as the digest gave it, LaTeX included (`$\\textbf{Only-IF}$:Revealing ...`).",
    }),
    abstract: t.exposeString("abstract", {
      description:
        "The abstract as the digest gave it (page-text digests may cut it short; an API digest of the paper replaces it whole). Empty when no digest gave one.",
    }),
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
    digestUpvotes: t.exposeInt("digestUpvotes", {
      description:
        "Upvotes as the newest digest listing the paper gave them (page text never lowers them).",
    }),
    localUpvotes: t.exposeInt("localUpvotes", {
      description: "Upvotes cast on this server by its signed-in users (see `votes`).",
    }),
    trendingScore: t.exposeFloat("trendingScore", {
      description: "log10(1 + upvotes) + (days from 1970-01-01 to the newest day listing it) / 3.",
    }),
    codeUrl: t.exposeString("codeUrl", {
      nullable: true,
      description: `The code repository: ${CODE_URL_RULE}. Null when there is neither. The filter's \`hasCode\` tests this field.`,
    }),
    githubStars: t.exposeInt("githubStars", {
      nullable: true,
      description:
        "GitHub stars of the code repository, as the Daily Papers API last reported them (`githubStars`); null when it did not.",
    }),
    projectUrl: t.exposeString("projectUrl", {
      nullable: true,
      description:
        "The paper's project page: the Daily Papers API's `projectPage` when it gives one, else the first link in the abstract to a host that is not a code host, arxiv.org, doi.org, huggingface.co, hf.co, x.com or twitter.com (`*.github.io` pages count). Null when there is neither.",
    }),
    thumbnailUrl: t.exposeString("thumbnailUrl", {
      nullable: true,
      description:
        "The preview image the Daily Papers API shows for the paper (`thumbnail`); null when it gave none.",
    }),
    mediaUrls: t.stringList({
      description:
        "Images and videos the submitter attached to the paper on Hugging Face (the API's `mediaUrls`), in order; empty when there are none.",
      select: { mediaUrls: true },
      resolve: (p) => lines(p.mediaUrls),
    }),
    commentCount: t.exposeInt("commentCount", {
      nullable: true,
      description:
        "Comments in the paper's Hugging Face discussion, as the Daily Papers API last reported them (`numComments`); null when it did not.",
    }),
    discussionUrl: t.string({
      nullable: true,
      description:
        "Where the paper's Hugging Face discussion lives: its paper page, `https://huggingface.co/papers/<arxivId>`, whose comments are the discussion. Null unless the paper has both an arXiv id and a discussion (`discussionId`).",
      select: { arxivId: true, discussionId: true },
      resolve: (p) =>
        p.arxivId && p.discussionId ? `https://huggingface.co/papers/${p.arxivId}` : null,
    }),
    aiSummary: t.exposeString("aiSummary", {
      nullable: true,
      description:
        "A short summary written by Hugging Face's AI (the API's `ai_summary`), not by the authors; null when there is none.",
    }),
    aiKeywords: t.stringList({
      description:
        "Keywords chosen by Hugging Face's AI (the API's `ai_keywords`), in order; empty when there are none.",
      select: { aiKeywords: true },
      resolve: (p) => lines(p.aiKeywords),
    }),
    submittedBy: t.field({
      type: Submitter,
      nullable: true,
      description:
        "Who submitted the paper to the Daily Papers list; null when the digest did not say (page-text digests never do).",
      select: { submitterHandle: true, submitterName: true },
      resolve: (p) =>
        p.submitterHandle ? { handle: p.submitterHandle, name: p.submitterName } : null,
    }),
    organization: t.field({
      type: Organization,
      nullable: true,
      description:
        "The Hugging Face organization the paper was submitted under; null when none (or unknown: page-text digests do not say).",
      select: { organizationHandle: true, organizationName: true, organizationAvatarUrl: true },
      resolve: (p) =>
        p.organizationHandle
          ? {
              handle: p.organizationHandle,
              name: p.organizationName,
              avatarUrl: p.organizationAvatarUrl,
            }
          : null,
    }),
    arxivUrl: t.string({
      nullable: true,
      description:
        "The arXiv abstract page, `https://arxiv.org/abs/<arxivId>`; null without an arXiv id.",
      select: { arxivId: true },
      resolve: (p) => (p.arxivId ? `https://arxiv.org/abs/${p.arxivId}` : null),
    }),
    pdfUrl: t.string({
      nullable: true,
      description: "The arXiv PDF, `https://arxiv.org/pdf/<arxivId>`; null without an arXiv id.",
      select: { arxivId: true },
      resolve: (p) => (p.arxivId ? `https://arxiv.org/pdf/${p.arxivId}` : null),
    }),
    appearances: t.relation("dayEntries", {
      complexity: { field: 1, multiplier: 3 },
      description:
        "The paper's listings: one per day whose digest listed it, oldest day first, with its rank and upvotes there.",
      query: { orderBy: { day: { date: "asc" } } },
    }),
    upvoteHistory: t.relation("upvoteHistory", {
      complexity: { field: 1, multiplier: 5 },
      description:
        "Every change of its digest upvote count, oldest day first (ties in recording order): chart it. Votes cast on this server are not in it.",
      query: { orderBy: [{ seenOn: "asc" }, { id: "asc" }] },
    }),
  }),
});

export const PaperOrderFieldEnum = builder.enumType("PaperOrderField", {
  description: "What papers are ordered by.",
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
  description: "Which way an order runs; ties are broken by the paper id, in the same direction.",
  values: {
    ASC: { description: "Smallest (oldest, fewest) first." },
    DESC: { description: "Largest (newest, most) first." },
  } as const,
});

export const PaperOrder = builder.inputType("PaperOrder", {
  description: "Every order ends with the paper id as a tie-breaker, so pages never overlap.",
  fields: (t) => ({
    field: t.field({
      type: PaperOrderFieldEnum,
      required: true,
      description: "What to order by.",
    }),
    direction: t.field({
      type: OrderDirection,
      defaultValue: "DESC",
      description: "Which way: DESC (most, newest first) by default.",
    }),
  }),
});

export const PaperFilterInput = builder.inputType("PaperFilter", {
  description: "All given conditions must hold.",
  fields: (t) => ({
    dayFrom: t.field({ type: "Date", description: "Listed in a digest on or after this day." }),
    dayTo: t.field({ type: "Date", description: "Listed in a digest on or before this day." }),
    publishedFrom: t.field({
      type: "DateTime",
      description:
        "Published (`publishedAt`) at or after this instant; papers without a date fail it.",
    }),
    publishedTo: t.field({
      type: "DateTime",
      description:
        "Published (`publishedAt`) at or before this instant; papers without a date fail it.",
    }),
    minUpvotes: t.int({ description: "At least this many `upvotes` (digest + local)." }),
    maxUpvotes: t.int({ description: "At most this many `upvotes` (digest + local)." }),
    author: t.string({ description: "A visible author's name contains this (any case)." }),
    hasCode: t.boolean({
      description: `true: only papers whose \`codeUrl\` is set; false: only papers without one. \`codeUrl\` is ${CODE_URL_RULE}.`,
    }),
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

/** The `orderBy` argument of a paper connection, as the resolvers get it. */
type PaperOrderArg = { field: PaperOrderField; direction?: "ASC" | "DESC" | null };

/** Loads a page of papers in order, with what the client selected below the connection. */
export async function resolvePaperConnection(
  ctx: Context,
  info: GraphQLResolveInfo,
  filter: PaperFilter,
  order: PaperOrderArg,
  args: PageArgs,
) {
  const query = queryFromInfo({
    context: ctx,
    info,
    typeName: "Paper",
    paths: [["nodes"], ["edges", "node"]],
  });
  // The page and what the client selected of its papers in one statement; Prisma reads what
  // src/db/select-sql.ts does not compile.
  const select = compileSelection(ctx.provider, "Paper", query, "n") ?? undefined;
  const page = await listPapers(
    ctx.db,
    ctx.provider,
    filter,
    order.field,
    order.direction ?? "DESC",
    args,
    select,
  );
  let nodes = page.nodes;
  if (!nodes) {
    const rows =
      page.ids.length === 0
        ? []
        : await ctx.db.paper.findMany({ ...query, where: { id: { in: page.ids } } } as never);
    const byId = new Map((rows as { id: number }[]).map((row) => [row.id, row]));
    nodes = page.ids.map((id) => byId.get(id) as Record<string, unknown>);
  }
  return connectionOf(ctx, filter, page, nodes);
}

/** A connection's object from a page of papers and their nodes. */
function connectionOf(
  ctx: Context,
  filter: PaperFilter,
  page: PaperPage,
  nodes: Record<string, unknown>[],
) {
  return {
    edges: nodes.map((node, i) => ({ cursor: page.cursors[i] as string, node })),
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: page.cursors[0] ?? null,
      endCursor: page.cursors[page.cursors.length - 1] ?? null,
    },
    totalCount: () => countPapers(ctx.db, ctx.provider, filter),
  };
}

type AuthorPages = DataLoader<number, PaperPage | null>;

/** `Author.papers { totalCount }`, counted with the other authors' of the request. */
function authorPaperCount(ctx: Context, filter: PaperFilter, authorId: number): Promise<number> {
  const key = `Author.papers totalCount ${JSON.stringify(filter)}`;
  let loader = ctx.batches.get(key) as DataLoader<number, number> | undefined;
  if (!loader) {
    loader = new DataLoader<number, number>(async (ids) => {
      const counts = await countAuthorsPapers(ctx.db, ctx.provider, ids, filter);
      return ids.map((id) => counts.get(id) ?? 0);
    });
    ctx.batches.set(key, loader);
  }
  return loader.load(authorId);
}

/**
 * The first page of `Author.papers` for an author, read with the other authors' of the same
 * request that ask the same (selection, filter, order, size) in one statement
 * (`listAuthorsFirstPages`): under a page of papers' authors it would otherwise be a statement per
 * author. `null` when the page cannot be read so (a cursor, RELEVANCE, a selection Prisma reads).
 */
async function authorFirstPage(
  ctx: Context,
  info: GraphQLResolveInfo,
  authorId: number,
  filter: PaperFilter,
  order: PaperOrderArg,
  args: PageArgs,
): Promise<PaperPage | null> {
  if (args.after || args.before || args.last != null || order.field === "RELEVANCE") return null;
  const query = queryFromInfo({
    context: ctx,
    info,
    typeName: "Paper",
    paths: [["nodes"], ["edges", "node"]],
  });
  const select = compileSelection(ctx.provider, "Paper", query, "n");
  if (!select) return null;
  const direction = order.direction ?? "DESC";
  const key = JSON.stringify(["Author.papers", filter, order.field, direction, args.first ?? null]);
  let groups = ctx.batches.get(select) as Map<string, AuthorPages> | undefined;
  if (!groups) {
    groups = new Map();
    ctx.batches.set(select, groups);
  }
  let loader = groups.get(key);
  if (!loader) {
    loader = new DataLoader<number, PaperPage | null>(async (ids) => {
      const pages = await listAuthorsFirstPages(
        ctx.db,
        ctx.provider,
        ids,
        filter,
        order.field,
        direction,
        args,
        select,
      );
      return ids.map((id) => pages?.get(id) ?? null);
    });
    groups.set(key, loader);
  }
  return loader.load(authorId);
}

export const PaperConnection = builder.connectionObject(
  {
    type: Paper,
    name: "PaperConnection",
    description: "Papers in the order asked for, a page at a time.",
    fields: (t) => ({
      totalCount: t.int({
        description: "How many papers match, in all pages. Counted only when asked for.",
        complexity: COSTS.count,
        resolve: (parent) =>
          (parent as unknown as { totalCount: () => Promise<number> }).totalCount(),
      }),
    }),
  },
  { name: "PaperEdge", description: "A paper with its cursor." },
);

/** The arguments of every paper connection: filter, order and Relay page arguments. */
export function paperConnectionArgs(defaultOrder: PaperOrderField) {
  return builder.args((t) => ({
    filter: t.field({
      type: PaperFilterInput,
      description: "Only papers meeting every condition given.",
    }),
    orderBy: t.field({
      type: PaperOrder,
      defaultValue: { field: defaultOrder, direction: "DESC" },
      description: "The order of the papers; the id breaks ties.",
    }),
    first: t.int({
      description: `Papers after \`after\` (from the start without it): ${PAGE_SIZE.default} by default, at most ${PAGE_SIZE.max}.`,
    }),
    after: t.string({ description: "The endCursor of the previous page." }),
    last: t.int({
      description: `Papers before \`before\` (from the end without it), at most ${PAGE_SIZE.max}.`,
    }),
    before: t.string({ description: "The startCursor of the next page." }),
  }));
}

builder.queryFields((t) => ({
  papers: t.field({
    type: PaperConnection,
    description: `Papers matching a filter, in an order, a page at a time (Relay cursors; ${PAGE_SIZE.default} by default, at most ${PAGE_SIZE.max}).`,
    args: paperConnectionArgs("TRENDING"),
    extensions: cursorRule(KEYSET),
    complexity: (args) => ({
      field: 2 + filterCost(args.filter),
      multiplier: pageMultiplier(args),
    }),
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
    description: "A paper by its arXiv id, or null when there is no such paper here.",
    args: {
      arxivId: t.arg.string({
        required: true,
        description:
          "The id (`2501.08313`, old style `cs/0112017` or `math.GT/0309136`), with or without a version (`2501.08313v1`: ignored) or an `arXiv:` prefix, or a link to its arxiv.org page (`https://arxiv.org/abs/2501.08313v2`, `http://arxiv.org/pdf/2501.08313v1`, `https://arxiv.org/pdf/2501.08313v1.pdf`). Anything else is a BAD_USER_INPUT error.",
      }),
    },
    resolve: (query, _root, args, ctx) => {
      const arxivId = arxivIdOf(args.arxivId);
      if (!arxivId) {
        throw new UserInputError(
          "arxivId",
          `${JSON.stringify(args.arxivId.slice(0, 100))} is not an arXiv id or arxiv.org link: expected one like 2501.08313, 2501.08313v1, arXiv:2501.08313, cs/0112017 or https://arxiv.org/abs/2501.08313`,
        );
      }
      return (
        findUnique<never>(readerOf(ctx.db), ctx.provider, "Paper", query, "arxivId", arxivId) ??
        ctx.db.paper.findUnique({ ...query, where: { arxivId } })
      );
    },
  }),
}));

builder.prismaObjectField("Author", "papers", (t) =>
  t.field({
    type: PaperConnection,
    description:
      "The papers the author is a visible author of (hidden authorships are left out), with the filters and orders of `papers`; newest published first by default.",
    args: paperConnectionArgs("PUBLISHED_AT"),
    extensions: cursorRule(KEYSET),
    complexity: (args) => ({
      field: 2 + filterCost(args.filter),
      multiplier: pageMultiplier(args),
    }),
    resolve: async (author, args, ctx, info) => {
      const others = checkFilter(args.filter);
      // `authorId` is understood by listPapers (src/papers/list.ts): a visible authorship.
      const filter: PaperFilter & { authorId: number } = { ...others, authorId: author.id };
      const order = (args.orderBy ?? { field: "PUBLISHED_AT" }) as { field: PaperOrderField };
      const page = await authorFirstPage(ctx, info, author.id, others, order, args);
      const connection = page
        ? connectionOf(ctx, filter, page, page.nodes ?? [])
        : await resolvePaperConnection(ctx, info, filter, order, args);
      // The counts of all the authors asking with the same filter: one statement.
      connection.totalCount = () => authorPaperCount(ctx, others, author.id);
      return connection as never;
    },
  }),
);
