/**
 * The live-update subscriptions, over Server-Sent Events and WebSocket (src/http/websocket.ts):
 * `paperVotes(paperIds)` and `dayRanking(date)`, which need no sign-in, and `viewerVotes`, the
 * signed-in user's own votes (UNAUTHENTICATED without a valid credential). What keeps them cheap
 * and bounded:
 *
 * - Limits: each open subscription holds a slot of its client's (SUBSCRIPTIONS_PER_CLIENT) and
 *   of the server's (SUBSCRIPTIONS_TOTAL) until the client leaves; past them a subscription is
 *   refused with TOO_MANY_SUBSCRIPTIONS (`listen` in ../pubsub.ts).
 * - One read per event, not per subscriber: the paper an event is about is read once per event
 *   and process, by the first subscriber that resolves it, and shared by the others
 *   (src/live/shared.ts). Every selection of the paper's own fields is answered from that read;
 *   a selection with relations (authors, appearances...) is read once per event for each
 *   distinct selection.
 * - One execution per event and operation: the live-delivery plugin (../live-delivery.ts) runs
 *   an event's selection once for all the subscribers of the same operation, variables and
 *   credential, instead of once per subscriber.
 * - Order: the paper is read when the event is delivered, not when the vote was cast. Under
 *   concurrent votes on one paper, events can arrive out of order, but each carries the counts
 *   current when it was delivered, so the last event a subscriber gets has the current count.
 */
import type { Prisma } from "../../db/client.ts";
import { oncePerEvent } from "../../live/shared.ts";
import { builder } from "../builder.ts";
import type { Context } from "../context.ts";
import { NotFoundError, UserInputError } from "../errors.ts";
import { globalIdArgument } from "../ids.ts";
import type { ClientContext, VoteEvent } from "../pubsub.ts";
import { requireUser } from "./vote.ts";

/** Papers one `paperVotes` subscription may follow. */
export const MAX_PAPER_IDS = 100;

/** The paper an event is about, every column, as it is now: read once per event. */
function currentPaper(event: VoteEvent, ctx: Context) {
  return oncePerEvent(event, "paper", () =>
    ctx.db.paper.findUnique({ where: { id: event.paperId } }),
  );
}

/** Whether a planned Prisma query reads only the paper's own columns (no relation, no count). */
function columnsOnly(query: { select?: object | null; include?: object | null }): boolean {
  return (
    !query.include &&
    query.select != null &&
    Object.values(query.select).every((selected) => selected === true)
  );
}

const VoteEventRef = builder.objectRef<VoteEvent>("VoteEvent").implement({
  description:
    "A paper's upvote count changed. The paper is as it was when the event was delivered: events can come out of order under concurrent votes, but the last one delivered has the current count.",
  fields: (t) => ({
    upvotes: t.int({
      description: "The paper's upvote count when the event was delivered.",
      resolve: async (event, _args, ctx) =>
        (await currentPaper(event, ctx))?.upvotes ?? event.upvotes,
    }),
    paper: t.prismaField({
      type: "Paper",
      description: "The paper whose count changed, as it is when the event is delivered.",
      resolve: async (query, event, _args, ctx) => {
        const paper = columnsOnly(query)
          ? await currentPaper(event, ctx)
          : await oncePerEvent(event, `paper ${JSON.stringify(query)}`, () =>
              ctx.db.paper.findUnique({
                ...(query as Prisma.PaperFindUniqueArgs),
                where: { id: event.paperId },
              }),
            );
        if (!paper) throw new NotFoundError(`paper ${event.paperId}`);
        return paper;
      },
    }),
  }),
});

builder.subscriptionType({
  description:
    "Live updates over Server-Sent Events (`accept: text/event-stream`); no sign-in needed. A client may hold a limited number of them open (TOO_MANY_SUBSCRIPTIONS).",
});
builder.subscriptionFields((t) => ({
  paperVotes: t.field({
    type: VoteEventRef,
    description: `Upvote counts of the given papers (at most ${MAX_PAPER_IDS}) as they change.`,
    args: {
      paperIds: t.arg.idList({
        required: true,
        description: `The papers' global ids (\`Paper.id\`), 1 to ${MAX_PAPER_IDS}.`,
      }),
    },
    subscribe: (_root, { paperIds }, ctx) => {
      if (paperIds.length === 0 || paperIds.length > MAX_PAPER_IDS) {
        throw new UserInputError(
          "paperIds",
          `between 1 and ${MAX_PAPER_IDS} ids, not ${paperIds.length}`,
        );
      }
      const wanted = new Set(
        paperIds.map((id, i) => globalIdArgument(`paperIds[${i}]`, id, "Paper").id),
      );
      return ctx.pubsub.listen(ctx as ClientContext, "paperVotes", undefined, (event) =>
        wanted.has(event.paperId),
      );
    },
    resolve: (event) => event,
  }),
  dayRanking: t.field({
    type: VoteEventRef,
    description: "Vote changes of the papers of a day: refetch its ranking by upvotes.",
    args: {
      date: t.arg({
        type: "Date",
        required: true,
        description: "The digest day whose papers to watch; a day without a digest sends nothing.",
      }),
    },
    subscribe: (_root, { date }, ctx) =>
      ctx.pubsub.listen(ctx as ClientContext, "dayRanking", date),
    resolve: (event) => event,
  }),
  viewerVotes: t.field({
    type: VoteEventRef,
    description:
      "The signed-in user's own upvotes and removals, from any device and server process (`paper { viewerHasUpvoted }` says which). UNAUTHENTICATED without a valid credential.",
    subscribe: async (_root, _args, ctx) => {
      const userId = await requireUser(ctx);
      return ctx.pubsub.listen(ctx as ClientContext, "viewerVotes", String(userId));
    },
    resolve: (event) => event,
  }),
}));
