/**
 * `rateLimit`: what the operation costs and what is left of the client's query budget, GitHub
 * style. The HTTP layer (src/http/budget.ts) charges the cost before the operation runs and
 * reports the outcome here, per request.
 */
import { builder } from "../builder.ts";

export interface RateLimitStatus {
  /** Points this operation cost. */
  cost: number;
  /** Points the client may spend per window. */
  limit: number;
  /** Points left in the window, after this operation. */
  remaining: number;
  /** When the window ends and the budget is whole again. */
  resetAt: Date;
}

const statuses = new WeakMap<object, RateLimitStatus>();

/** Records the budget outcome of the request whose GraphQL context this is. */
export function reportRateLimit(context: object, status: RateLimitStatus): void {
  statuses.set(context, status);
}

const RateLimit = builder.objectRef<RateLimitStatus>("RateLimit").implement({
  description:
    "The client's query budget: every operation costs points (its estimated cost, computed before it runs), charged to the client (a signed-in user, else the IP address) within a one-minute window that opens with its first operation. Over the budget an operation is refused (BUDGET_EXCEEDED) and charged nothing.",
  fields: (t) => ({
    cost: t.exposeInt("cost", { description: "What this operation cost." }),
    limit: t.exposeInt("limit", { description: "Points a client may spend per window." }),
    remaining: t.exposeInt("remaining", {
      description: "Points left in the current window, after this operation.",
    }),
    resetAt: t.expose("resetAt", {
      type: "DateTime",
      description: "When the window ends and the budget is whole again.",
    }),
  }),
});

builder.queryField("rateLimit", (t) =>
  t.field({
    type: RateLimit,
    nullable: true,
    description:
      "This operation's cost and the client's remaining query budget (also sent as RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset headers). Null when the server runs without a budget.",
    resolve: (_root, _args, ctx) => statuses.get(ctx) ?? null,
  }),
);
