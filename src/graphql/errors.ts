/**
 * The errors a client can get, each with a stable `extensions.code` (documented in the schema's
 * description and the README). Anything else is masked by Yoga: "Unexpected error.", no stack.
 */
import { GraphQLError } from "graphql";

export const ERROR_CODES = {
  UNAUTHENTICATED:
    "the operation needs a valid `Authorization: Bearer <token>`; `extensions.reason` says what is wrong with the one given",
  NOT_FOUND: "the id names nothing",
  RATE_LIMITED: "too many mutations; `extensions.retryAfterSeconds` says when to try again",
  BAD_USER_INPUT: "an argument is invalid; `extensions.argument` names it",
  QUERY_TOO_COMPLEX:
    "the operation exceeds the depth, breadth or cost limit, or the body size limit (HTTP 413)",
  TOO_MANY_SUBSCRIPTIONS:
    "a subscription was refused: the client (`extensions.scope` `client`) or the server (`total`) holds as many open subscriptions as allowed (`extensions.limit`); close one, or retry later",
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An argument the client got wrong: says which one and why. */
export class UserInputError extends GraphQLError {
  constructor(argument: string, message: string) {
    super(`${argument}: ${message}`, {
      extensions: { code: "BAD_USER_INPUT" satisfies ErrorCode, argument },
    });
  }
}

export class UnauthenticatedError extends GraphQLError {
  constructor(reason: string) {
    super(`sign in: ${reason}`, {
      extensions: { code: "UNAUTHENTICATED" satisfies ErrorCode, reason, http: { status: 401 } },
    });
  }
}

export class NotFoundError extends GraphQLError {
  constructor(what: string) {
    super(`${what} does not exist`, { extensions: { code: "NOT_FOUND" satisfies ErrorCode } });
  }
}

export class RateLimitedError extends GraphQLError {
  constructor(retryAfterSeconds: number) {
    super(`too many votes: try again in ${retryAfterSeconds} s`, {
      extensions: {
        code: "RATE_LIMITED" satisfies ErrorCode,
        retryAfterSeconds,
        http: { status: 429, headers: { "retry-after": String(retryAfterSeconds) } },
      },
    });
  }
}

/** A subscription past the per-client or total limit of open subscriptions (src/live/slots.ts). */
export class TooManySubscriptionsError extends GraphQLError {
  constructor(scope: "client" | "total", limit: number) {
    super(
      scope === "client"
        ? `too many subscriptions: this client already holds ${limit}, the most allowed`
        : `too many subscriptions: the server already holds ${limit}, the most allowed`,
      { extensions: { code: "TOO_MANY_SUBSCRIPTIONS" satisfies ErrorCode, scope, limit } },
    );
  }
}
