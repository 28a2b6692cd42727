/**
 * The typed errors of the HTTP layer: refusals answered before GraphQL runs (a JSON body shaped
 * like a GraphQL response, with `extensions.code`), and the mapping of failures that the database
 * reports in its own words (a statement timeout) to this API's codes (src/graphql/errors.ts
 * ERROR_CODES).
 */
import { GraphQLError } from "graphql";
import type { ErrorCode } from "../graphql/errors.ts";

/** A refusal before GraphQL runs: `{ errors: [{ message, extensions: { code, ... } }] }`. */
export function refusal(
  status: number,
  /**
   * One of this API's codes, Yoga's own `BAD_REQUEST` for a malformed request, or
   * `INTERNAL_SERVER_ERROR` for a failure of the server (details logged, never sent).
   */
  code: ErrorCode | "BAD_REQUEST" | "INTERNAL_SERVER_ERROR",
  message: string,
  extensions: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  return new Response(
    JSON.stringify({ errors: [{ message, extensions: { code, ...extensions } }] }),
    {
      status,
      headers: { "content-type": "application/json; charset=utf-8", ...headers },
    },
  );
}

/** The request body is over the size limit (src/http/body-limit.ts): nothing was parsed or ran. */
export class PayloadTooLargeError extends GraphQLError {
  constructor() {
    super("the request body exceeds the size limit", {
      extensions: { code: "PAYLOAD_TOO_LARGE" satisfies ErrorCode, http: { status: 413 } },
    });
  }
}

/** A request HTTP itself finds malformed (as Yoga reports those: `BAD_REQUEST`, HTTP 400). */
export class BadRequestError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: "BAD_REQUEST", http: { status: 400 } } });
  }
}

/** INTROSPECTION=off and the operation selects `__schema` or `__type` (src/http/introspection.ts). */
export class IntrospectionDisabledError extends GraphQLError {
  constructor(field: string, refusal: GraphQLError) {
    super(`introspection is disabled on this server: \`${field}\` cannot be queried`, {
      nodes: refusal.nodes,
      source: refusal.source,
      positions: refusal.positions,
      extensions: { code: "INTROSPECTION_DISABLED" satisfies ErrorCode, field },
    });
  }
}

/** The operation is over a depth, breadth or cost limit, or its SQL ran past the statement timeout. */
export class QueryTooComplexError extends GraphQLError {
  constructor(kind: "depth" | "breadth" | "complexity" | "time", value: number, limit: number) {
    const what =
      kind === "time"
        ? `query too slow: a statement ran past the timeout of ${limit} ms`
        : `query too ${kind === "complexity" ? "costly" : kind === "depth" ? "deep" : "broad"}: ${kind} ${value} exceeds the limit of ${limit}`;
    super(what, {
      extensions: { code: "QUERY_TOO_COMPLEX" satisfies ErrorCode, kind, value, limit },
    });
  }
}

/** The client spent its query budget: nothing ran. */
export class BudgetExceededError extends GraphQLError {
  constructor(budget: { cost: number; limit: number; remaining: number; resetAt: Date }) {
    const retryAfterSeconds = Math.max(
      1,
      Math.ceil((budget.resetAt.getTime() - Date.now()) / 1000),
    );
    super(
      `query budget exceeded: this operation costs ${budget.cost} points, ${budget.remaining} of ${budget.limit} are left until ${budget.resetAt.toISOString()}`,
      {
        extensions: {
          code: "BUDGET_EXCEEDED" satisfies ErrorCode,
          retryAfterSeconds,
          cost: budget.cost,
          limit: budget.limit,
          remaining: budget.remaining,
          resetAt: budget.resetAt.toISOString(),
          http: { status: 429, headers: { "retry-after": String(retryAfterSeconds) } },
        },
      },
    );
  }
}

/**
 * PostgreSQL's "canceling statement due to statement timeout", as Prisma's adapter reports it or
 * as pg does (the read path's own statements, src/db/reader.ts).
 */
function isStatementTimeout(error: unknown): boolean {
  const meta = (error as { meta?: { driverAdapterError?: { cause?: { code?: string } } } }).meta;
  return (
    meta?.driverAdapterError?.cause?.code === "57014" ||
    (error as { code?: unknown } | null)?.code === "57014"
  );
}

/**
 * This API's typed error for a failure Yoga or the database reported, or undefined when it is not
 * one of them (the caller masks it). `statementTimeoutMs` is the limit quoted to the client.
 */
export function typedError(error: unknown, statementTimeoutMs?: number): GraphQLError | undefined {
  const graphqlError = error instanceof GraphQLError ? error : undefined;
  const original = graphqlError?.originalError ?? error;
  if (isStatementTimeout(original)) {
    const typed = new QueryTooComplexError(
      "time",
      statementTimeoutMs ?? 0,
      statementTimeoutMs ?? 0,
    );
    return new GraphQLError(typed.message, {
      nodes: graphqlError?.nodes,
      path: graphqlError?.path,
      extensions: typed.extensions,
    });
  }
  return undefined;
}
