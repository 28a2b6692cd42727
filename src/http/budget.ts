/**
 * Per-request limits and the per-client query budget, both decided before an operation runs.
 *
 * The cost of an operation (src/http/cost.ts, from the costs calibrated in src/graphql/builder.ts)
 * is known from its document and variables. An operation over the depth, breadth or cost limit is
 * refused with QUERY_TOO_COMPLEX. Otherwise its cost is charged to the client (a signed-in user, by
 * user id; anyone else by IP address, an IPv6 address by its /64) in a one-minute window that opens
 * with the client's first operation: over the budget it is refused with BUDGET_EXCEEDED (HTTP 429,
 * Retry-After) and charged nothing. Windows are shared through Redis (SET NX PX + INCRBY in a
 * MULTI, as the vote rate limits use INCR + EXPIRE) when several server processes run, in memory
 * otherwise. The outcome is reported in `rateLimit` and in
 * the RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset headers (IETF httpapi draft).
 * An answer of the response cache is charged the fixed cost of a request (`chargeHit`).
 */
import { isIP } from "node:net";
import type { DocumentNode } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Redis } from "ioredis";
import { COSTS } from "../graphql/builder.ts";
import type { Context } from "../graphql/context.ts";
import { type RateLimitStatus, reportRateLimit } from "../graphql/types/rate-limit.ts";
import { type Cost, operationCost } from "./cost.ts";
import { BudgetExceededError, QueryTooComplexError } from "./errors.ts";

export interface BudgetDecision extends RateLimitStatus {
  allowed: boolean;
}

export interface QueryBudget {
  /** Charges `cost` points to `client` unless that would exceed the budget (then charges none). */
  spend(client: string, cost: number): Promise<BudgetDecision>;
}

const WINDOW_SECONDS = 60;
/** Clients remembered by the in-memory budget before expired windows are dropped. */
const MEMORY_CLIENTS = 100_000;

export function memoryQueryBudget(limit: number, windowSeconds = WINDOW_SECONDS): QueryBudget {
  const windows = new Map<string, { used: number; resetAt: number }>();
  return {
    async spend(client, cost) {
      const now = Date.now();
      let window = windows.get(client);
      if (!window || window.resetAt <= now) {
        if (windows.size >= MEMORY_CLIENTS) {
          for (const [key, w] of windows) if (w.resetAt <= now) windows.delete(key);
          if (windows.size >= MEMORY_CLIENTS) windows.clear();
        }
        window = { used: 0, resetAt: now + windowSeconds * 1000 };
        windows.set(client, window);
      }
      const allowed = window.used + cost <= limit;
      if (allowed) window.used += cost;
      return {
        allowed,
        cost,
        limit,
        remaining: Math.max(0, limit - window.used),
        resetAt: new Date(window.resetAt),
      };
    },
  };
}

/**
 * Shared through Redis, under `prefix`. Should Redis fail (down, slow), the process falls back to
 * its own memory budget rather than refusing every query: each client stays bounded per process.
 */
export function redisQueryBudget(
  redis: Redis,
  limit: number,
  windowSeconds = WINDOW_SECONDS,
  prefix = "papergraph:budget",
  fallback: QueryBudget = memoryQueryBudget(limit, windowSeconds),
): QueryBudget {
  return {
    async spend(client, cost) {
      const key = `${prefix}:${client}`;
      try {
        // The window opens with the client's first operation: the key's expiry is its end.
        const results = await redis
          .multi()
          .set(key, 0, "PX", windowSeconds * 1000, "NX")
          .incrby(key, cost)
          .pttl(key)
          .exec();
        let used = Number(results?.[1]?.[1] ?? 0);
        const ttl = Number(results?.[2]?.[1] ?? 0);
        const allowed = used <= limit;
        if (!allowed) used = await redis.decrby(key, cost);
        return {
          allowed,
          cost,
          limit,
          remaining: Math.max(0, limit - used),
          resetAt: new Date(Date.now() + Math.max(0, ttl)),
        };
      } catch {
        return fallback.spend(client, cost);
      }
    },
  };
}

/** A request's GraphQL context, with what Yoga and node:http add to it. */
type RequestContext = Context & {
  request: Request;
  req?: { socket?: { remoteAddress?: string } };
};

/** The key of a client's budget: its user when the request carries valid credentials, else its address. */
export async function clientKey(context: RequestContext, trustProxyHops: number): Promise<string> {
  if (context.request.headers.get("authorization")) {
    try {
      const credential = await context.viewer();
      if (credential.status === "valid") return `user:${credential.userId}`;
    } catch {
      // Counted by address; the operation reports the failure itself if it needs the viewer.
    }
  }
  return addressClientKey(context.request, context.req, trustProxyHops);
}

/** The key of a client known by its address (no credentials). */
function addressClientKey(
  request: Request,
  req: RequestContext["req"],
  trustProxyHops: number,
): string {
  return `ip:${addressKey(clientAddress(req?.socket?.remoteAddress, request.headers.get("x-forwarded-for"), trustProxyHops))}`;
}

/**
 * The client's address: the peer of the connection, or, behind `hops` trusted reverse proxies,
 * the address the outermost of them saw (the `hops`-th entry from the end of X-Forwarded-For).
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | null,
  hops: number,
): string {
  if (hops > 0 && forwardedFor) {
    const chain = forwardedFor.split(",").map((entry) => entry.trim());
    const address = chain[Math.max(0, chain.length - hops)];
    if (address && isIP(address)) return address;
  }
  return peer ?? "unknown";
}

/** An IPv4 address as it is; an IPv6 address by its /64 prefix (one subscriber's network). */
export function addressKey(address: string): string {
  const plain = address.replace(/%.*$/, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(plain);
  if (mapped) return mapped[1] as string;
  if (isIP(plain) !== 6) return plain;
  const [head = "", tail] = plain.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(8 - left.length - right.length).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(":")}::/64`;
}

export interface CostOptions {
  /** Per operation: beyond any of these, it is refused before it runs. */
  limits: { depth: number; breadth: number; complexity: number };
  /** Per client and minute; none: no budget (each request is still bounded by `limits`). */
  budget?: QueryBudget;
  /** Reverse proxies in front of the server whose X-Forwarded-For entries are believed. */
  trustProxyHops?: number;
}

export interface QueryCostPlugin extends Plugin {
  /**
   * Charges an answer the response cache served (src/http/response-cache.ts; anonymous requests
   * only, so the client is the address) `COSTS.operation`, the fixed work of any request, rather
   * than the operation's estimated cost: its resolvers and SQL did not run, and the estimate is of
   * them. So a hit costs what it costs the server, carries the RateLimit-* headers like any
   * answer, and a client that spent its budget is refused (BUDGET_EXCEEDED) even what is cached.
   * Returns that refusal, or undefined.
   */
  chargeHit(request: Request, serverContext: unknown): Promise<BudgetExceededError | undefined>;
}

/** Costs remembered per document: a few sets of variables each, of a bounded size. */
const COSTS_PER_DOCUMENT = 8;
const COST_KEY_CHARS = 512;

/** Refuses operations over the limits, and charges the rest to their client's budget. */
export function queryCostPlugin({
  limits,
  budget,
  trustProxyHops = 0,
}: CostOptions): QueryCostPlugin {
  const decisions = new WeakMap<Request, BudgetDecision>();
  /**
   * Costs by parsed document, then by operation name and variables. Yoga's parser cache hands out
   * the same document for the same query text, and a cost is a function of the document, the
   * operation and its arguments alone (the fields' complexity functions read their arguments,
   * never the context): the walk runs once per document and variables, not once per request.
   * Large variables are costed without being remembered.
   */
  const costs = new WeakMap<DocumentNode, Map<string, Cost | undefined>>();
  function costOf(args: Parameters<typeof check>[0]): Cost | undefined {
    const compute = () =>
      operationCost(
        args.schema,
        args.document,
        args.operationName,
        args.variableValues,
        args.contextValue,
      );
    const key = `${args.operationName ?? ""}\n${JSON.stringify(args.variableValues ?? {})}`;
    if (key.length > COST_KEY_CHARS) return compute();
    let byInput = costs.get(args.document);
    if (!byInput) {
      byInput = new Map();
      costs.set(args.document, byInput);
    }
    if (byInput.has(key)) return byInput.get(key);
    const cost = compute();
    if (byInput.size >= COSTS_PER_DOCUMENT) byInput.clear();
    byInput.set(key, cost);
    return cost;
  }

  /** The refusal of an operation, or undefined when it may run. */
  async function check(args: {
    schema: Parameters<typeof operationCost>[0];
    document: Parameters<typeof operationCost>[1];
    operationName?: string | null;
    variableValues?: Record<string, unknown> | null;
    contextValue: unknown;
  }) {
    const context = args.contextValue as RequestContext;
    const cost = costOf(args);
    // No cost: no such operation, or variables that do not fit: execution refuses it unrun.
    if (!cost) return undefined;
    for (const kind of ["depth", "breadth", "complexity"] as const) {
      if (cost[kind] > limits[kind])
        return new QueryTooComplexError(kind, cost[kind], limits[kind]);
    }
    if (!budget) return undefined;
    // The request's fixed work is charged too: many cheap operations are not free.
    const decision = await budget.spend(
      await clientKey(context, trustProxyHops),
      COSTS.operation + cost.complexity,
    );
    reportRateLimit(context, decision);
    decisions.set(context.request, decision);
    return decision.allowed ? undefined : new BudgetExceededError(decision);
  }

  return {
    async chargeHit(request, serverContext) {
      if (!budget) return undefined;
      const { req } = serverContext as Pick<RequestContext, "req">;
      const decision = await budget.spend(
        addressClientKey(request, req, trustProxyHops),
        COSTS.operation,
      );
      decisions.set(request, decision);
      return decision.allowed ? undefined : new BudgetExceededError(decision);
    },
    async onExecute({ args, setResultAndStopExecution }) {
      const refusal = await check(args);
      if (refusal) setResultAndStopExecution({ errors: [refusal] });
    },
    async onSubscribe({ args, setResultAndStopExecution }) {
      const refusal = await check(args);
      if (refusal) setResultAndStopExecution({ errors: [refusal] });
    },
    onResponse({ request, response }) {
      const decision = decisions.get(request);
      if (!decision) return;
      response.headers.set("RateLimit-Limit", String(decision.limit));
      response.headers.set("RateLimit-Remaining", String(decision.remaining));
      response.headers.set(
        "RateLimit-Reset",
        String(Math.max(0, Math.ceil((decision.resetAt.getTime() - Date.now()) / 1000))),
      );
    },
  };
}
