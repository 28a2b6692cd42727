/** Users, votes, the viewer and the vote mutations (the subscriptions are in subscriptions.ts). */
import { createContextCache } from "@pothos/core";
import { PAGE_SIZE } from "../../papers/list.ts";
import { freshPaper, PaperNotFound, setVote, type VoteResult } from "../../votes/votes.ts";
import { checkArguments } from "../arguments.ts";
import { builder } from "../builder.ts";
import type { Context } from "../context.ts";
import { cursorRule } from "../cursors.ts";
import { NotFoundError, RateLimitedError, UnauthenticatedError } from "../errors.ts";
import { globalIdArgument } from "../ids.ts";
import type { VoteEvent } from "../pubsub.ts";
import { checkPage } from "./day.ts";
import { pageMultiplier } from "./paper.ts";

export const User = builder.prismaNode("User", {
  id: {
    field: "id",
    description: "The user's global id: opaque and stable; `node(id:)` fetches the user again.",
  },
  nullable: true,
  description: "A user of this server, who signs in with an API token or a JWT.",
  fields: (t) => ({
    handle: t.exposeString("handle", {
      description:
        "The user's unique login handle (`npx papergraph user create <handle>`); for a JWT user, its `preferred_username` (else `sub`), made unique when taken.",
    }),
    name: t.exposeString("name", {
      nullable: true,
      description: "The user's display name; null when none was given.",
    }),
    createdAt: t.expose("createdAt", {
      type: "DateTime",
      description: "When the user was created (a JWT user: when first seen).",
    }),
  }),
});

export const Vote = builder.prismaNode("Vote", {
  id: {
    field: "id",
    description:
      "The vote's global id: opaque and stable while the vote stands; `node(id:)` fetches it again. A vote taken back and cast again is a new vote with a new id.",
  },
  nullable: true,
  description: "An upvote cast on this server: one user's on one paper.",
  fields: (t) => ({
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When it was cast." }),
    paper: t.relation("paper", { description: "The paper upvoted." }),
    user: t.relation("user", { description: "Who cast it." }),
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
      // The vote's (user, paper) key rather than its id, so that the cursor names this paper.
      cursor: "userId_paperId",
      extensions: cursorRule({
        format: "pair",
        owner: { part: 1, of: (paper: { id: number }) => paper.id },
      }),
      defaultSize: PAGE_SIZE.default,
      maxSize: PAGE_SIZE.max,
      totalCount: true,
      args: {
        since: t.arg({
          type: "DateTime",
          description: "Only votes cast at or after this instant.",
        }),
        until: t.arg({
          type: "DateTime",
          description: "Only votes cast at or before this instant.",
        }),
      },
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
    {
      name: "PaperVoteConnection",
      description: "A paper's votes, newest first, a page at a time.",
    },
    { name: "PaperVoteEdge", description: "A vote with its cursor." },
  ),
);

/** The signed-in user's id; throws UNAUTHENTICATED when there is no valid token. */
export async function requireUser(ctx: Context): Promise<number> {
  const credential = await ctx.viewer();
  if (credential.status === "valid") return credential.userId;
  throw new UnauthenticatedError(
    credential.status === "none" ? "no Authorization header" : credential.reason,
  );
}

export const Viewer = builder.objectRef<{ userId: number }>("Viewer").implement({
  description: "The signed-in user and what they did.",
  fields: (t) => ({
    user: t.prismaField({
      type: "User",
      description: "The signed-in user.",
      resolve: (query, v, _args, ctx) =>
        ctx.db.user.findUniqueOrThrow({ ...query, where: { id: v.userId } }),
    }),
    votes: t.prismaConnection(
      {
        type: "Vote",
        // The vote's (user, paper) key rather than its id, so that the cursor names this user.
        cursor: "userId_paperId",
        extensions: cursorRule({
          format: "pair",
          owner: { part: 0, of: (v: { userId: number }) => v.userId },
        }),
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
      {
        name: "ViewerVoteConnection",
        description: "The signed-in user's votes, newest first, a page at a time.",
      },
      { name: "ViewerVoteEdge", description: "A vote with its cursor." },
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
  description: "Which paper a vote mutation is about.",
  fields: (t) => ({
    // Read strictly by `vote` (src/graphql/ids.ts), which names `input.paperId` when it is wrong.
    paperId: t.id({ required: true, description: "The paper's global id (`Paper.id`)." }),
  }),
});

const VotePayload = builder.objectRef<{
  paperId: number;
  changed: boolean;
  viewerHasUpvoted: boolean;
  /** The counts the vote's own statement returned. */
  counts: VoteResult["paper"];
}>("VotePayload");
VotePayload.implement({
  description: "What a vote mutation did, and the paper as it now is.",
  fields: (t) => ({
    changed: t.exposeBoolean("changed", {
      description: "False when nothing changed: the vote was already there (or already gone).",
    }),
    viewerHasUpvoted: t.exposeBoolean("viewerHasUpvoted", {
      description:
        "Whether the signed-in user's upvote is now there: true after upvotePaper, false after removeUpvote.",
    }),
    paper: t.prismaField({
      type: "Paper",
      description: "The paper with its fresh counts.",
      resolve: (query, payload, _args, ctx) =>
        freshPaper(query, payload.counts) ??
        ctx.db.paper.findUniqueOrThrow({ ...query, where: { id: payload.paperId } }),
    }),
  }),
});

/**
 * What the vote mutations of one request did, for the HTTP status: a request whose mutations
 * were all refused answers 429; one in which some applied answers 200 with their data, the
 * refused ones being field errors. Mutations run one after another, so a refusal knows whether
 * one applied before it; one that applies after a refusal turns the earlier refusals' status off.
 */
const outcomes = createContextCache(() => ({ applied: false, refusals: [] as RateLimitedError[] }));

async function vote(ctx: Context, paperGlobalId: string | number, up: boolean) {
  const { id: paperId } = globalIdArgument("input.paperId", paperGlobalId, "Paper");
  const userId = await requireUser(ctx);
  const outcome = outcomes(ctx);
  const decision = await ctx.rateLimiter.hit(`votes:${userId}`);
  if (!decision.allowed) {
    const refusal = new RateLimitedError(decision.retryAfterSeconds);
    if (outcome.applied) refusal.answerOk();
    outcome.refusals.push(refusal);
    throw refusal;
  }
  try {
    const result = await setVote(ctx.db, ctx.provider, userId, paperId, up);
    if (result.changed) {
      const event: VoteEvent = { paperId, upvotes: result.paper.upvotes };
      ctx.pubsub.publish("paperVotes", event);
      for (const date of result.days) ctx.pubsub.publish("dayRanking", date, event);
      ctx.pubsub.publish("viewerVotes", String(userId), event);
    }
    outcome.applied = true;
    for (const refusal of outcome.refusals) refusal.answerOk();
    return { paperId, changed: result.changed, viewerHasUpvoted: up, counts: result.paper };
  } catch (error) {
    if (error instanceof PaperNotFound) throw new NotFoundError(`paper ${paperId}`);
    throw error;
  }
}

builder.mutationType({
  description:
    "Votes by the signed-in user (`Authorization: Bearer <token>`), rate-limited per user; email digest subscriptions (anyone; listed in `viewer` for a signed-in user).",
});
builder.mutationFields((t) => ({
  // Nullable, so that a refused mutation nulls its own field and not the others' data.
  upvotePaper: t.field({
    type: VotePayload,
    nullable: true,
    description:
      "Upvotes a paper as the signed-in user. Idempotent: a second upvote changes nothing. Null, with a field error, when refused (RATE_LIMITED, NOT_FOUND, BAD_USER_INPUT, UNAUTHENTICATED).",
    args: {
      input: t.arg({ type: VoteInput, required: true, description: "The paper to upvote." }),
    },
    resolve: (_root, { input }, ctx) => vote(ctx, input.paperId, true),
  }),
  removeUpvote: t.field({
    type: VotePayload,
    nullable: true,
    description:
      "Takes the signed-in user's upvote back. Idempotent. Null, with a field error, when refused, as for upvotePaper.",
    args: {
      input: t.arg({
        type: VoteInput,
        required: true,
        description: "The paper whose upvote to take back.",
      }),
    },
    resolve: (_root, { input }, ctx) => vote(ctx, input.paperId, false),
  }),
}));
