/** Users, votes, the viewer and the vote mutations (the subscriptions are in subscriptions.ts). */
import { PAGE_SIZE } from "../../papers/list.ts";
import { PaperNotFound, setVote } from "../../votes/votes.ts";
import { checkArguments } from "../arguments.ts";
import { builder } from "../builder.ts";
import type { Context } from "../context.ts";
import { NotFoundError, RateLimitedError, UnauthenticatedError } from "../errors.ts";
import type { VoteEvent } from "../pubsub.ts";
import { checkPage } from "./day.ts";
import { Paper, pageMultiplier } from "./paper.ts";

export const User = builder.prismaNode("User", {
  id: { field: "id" },
  nullable: true,
  description: "A signed-in user of this server.",
  fields: (t) => ({
    handle: t.exposeString("handle"),
    name: t.exposeString("name", { nullable: true }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
  }),
});

export const Vote = builder.prismaObject("Vote", {
  description: "An upvote cast on this server.",
  fields: (t) => ({
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    paper: t.relation("paper"),
    user: t.relation("user"),
  }),
});

builder.prismaObjectField("Paper", "viewerHasUpvoted", (t) =>
  t.boolean({
    description: "Whether the signed-in user upvoted the paper; false when signed out.",
    resolve: (paper, _args, ctx) => ctx.loaders.viewerUpvoted.load(paper.id),
  }),
);

builder.prismaObjectField("Paper", "votes", (t) =>
  t.relatedConnection(
    "votes",
    {
      description: "Upvotes cast on this server, newest first, optionally within a time range.",
      cursor: "id",
      defaultSize: PAGE_SIZE.default,
      maxSize: PAGE_SIZE.max,
      totalCount: true,
      args: { since: t.arg({ type: "DateTime" }), until: t.arg({ type: "DateTime" }) },
      complexity: (args) => ({ field: 2, multiplier: pageMultiplier(args) }),
      query: (args) => {
        // Runs while the parent plans its SQL, before this field's own argument check.
        checkArguments(args);
        checkPage(args as { first?: number | null; last?: number | null });
        return {
          where: { createdAt: { gte: args.since ?? undefined, lte: args.until ?? undefined } },
          orderBy: { id: "desc" as const },
        };
      },
    },
    { name: "PaperVoteConnection" },
    { name: "PaperVoteEdge" },
  ),
);

/** The signed-in user's id; throws UNAUTHENTICATED when there is no valid token. */
async function requireUser(ctx: Context): Promise<number> {
  const credential = await ctx.viewer();
  if (credential.status === "valid") return credential.userId;
  throw new UnauthenticatedError(
    credential.status === "none" ? "no Authorization header" : credential.reason,
  );
}

const Viewer = builder.objectRef<{ userId: number }>("Viewer").implement({
  description: "The signed-in user and what they did.",
  fields: (t) => ({
    user: t.prismaField({
      type: "User",
      resolve: (query, v, _args, ctx) =>
        ctx.db.user.findUniqueOrThrow({ ...query, where: { id: v.userId } }),
    }),
    votes: t.prismaConnection(
      {
        type: "Vote",
        cursor: "id",
        description: "The viewer's upvotes, newest first.",
        defaultSize: PAGE_SIZE.default,
        maxSize: PAGE_SIZE.max,
        complexity: (args) => ({ field: 2, multiplier: pageMultiplier(args) }),
        resolve: (query, v, args, ctx) => {
          checkPage(args);
          return ctx.db.vote.findMany({
            ...query,
            where: { userId: v.userId },
            orderBy: { id: "desc" },
          });
        },
      },
      { name: "ViewerVoteConnection" },
      { name: "ViewerVoteEdge" },
    ),
  }),
});

builder.queryField("viewer", (t) =>
  t.field({
    type: Viewer,
    nullable: true,
    description: "The signed-in user, or null when no token is sent. An invalid token is an error.",
    resolve: async (_root, _args, ctx) => {
      const credential = await ctx.viewer();
      if (credential.status === "none") return null;
      return { userId: await requireUser(ctx) };
    },
  }),
);

const VoteInput = builder.inputType("VoteInput", {
  fields: (t) => ({ paperId: t.globalID({ required: true, for: [Paper] }) }),
});

const VotePayload = builder.objectRef<{
  paperId: number;
  changed: boolean;
  viewerHasUpvoted: boolean;
}>("VotePayload");
VotePayload.implement({
  fields: (t) => ({
    changed: t.exposeBoolean("changed", {
      description: "False when nothing changed: the vote was already there (or already gone).",
    }),
    viewerHasUpvoted: t.exposeBoolean("viewerHasUpvoted"),
    paper: t.prismaField({
      type: "Paper",
      description: "The paper with its fresh counts.",
      resolve: (query, payload, _args, ctx) =>
        ctx.db.paper.findUniqueOrThrow({ ...query, where: { id: payload.paperId } }),
    }),
  }),
});

async function vote(ctx: Context, paperGlobalId: { id: string }, up: boolean) {
  const userId = await requireUser(ctx);
  const decision = await ctx.rateLimiter.hit(`votes:${userId}`);
  if (!decision.allowed) throw new RateLimitedError(decision.retryAfterSeconds);
  const paperId = Number(paperGlobalId.id);
  if (!Number.isSafeInteger(paperId)) throw new NotFoundError(`paper ${paperGlobalId.id}`);
  try {
    const result = await setVote(ctx.db, ctx.provider, userId, paperId, up);
    if (result.changed) {
      const event: VoteEvent = { paperId, upvotes: result.paper.upvotes };
      ctx.pubsub.publish("paperVotes", event);
      for (const date of result.days) ctx.pubsub.publish("dayRanking", date, event);
    }
    return { paperId, changed: result.changed, viewerHasUpvoted: up };
  } catch (error) {
    if (error instanceof PaperNotFound) throw new NotFoundError(`paper ${paperId}`);
    throw error;
  }
}

builder.mutationType({});
builder.mutationFields((t) => ({
  upvotePaper: t.field({
    type: VotePayload,
    description:
      "Upvotes a paper as the signed-in user. Idempotent: a second upvote changes nothing.",
    args: { input: t.arg({ type: VoteInput, required: true }) },
    resolve: (_root, { input }, ctx) => vote(ctx, input.paperId, true),
  }),
  removeUpvote: t.field({
    type: VotePayload,
    description: "Takes the signed-in user's upvote back. Idempotent.",
    args: { input: t.arg({ type: VoteInput, required: true }) },
    resolve: (_root, { input }, ctx) => vote(ctx, input.paperId, false),
  }),
}));
