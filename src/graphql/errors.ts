/**
 * The errors a client can get, each with a stable `extensions.code` (documented in the schema's
 * description and the README). Anything else is masked by Yoga: "Unexpected error.", no stack.
 */
import { GraphQLError } from "graphql";
import { type Dependency, unavailableCause } from "../db/faults.ts";

// Bundled (`npm run build`), graphql's class is named `_GraphQLError` (esbuild's name for a class
// that refers to itself); logs name errors by their class (`err.type`): the same in both.
if (GraphQLError.name !== "GraphQLError") {
  Object.defineProperty(GraphQLError, "name", { value: "GraphQLError" });
}

export const ERROR_CODES = {
  UNAUTHENTICATED:
    "the operation needs a valid `Authorization: Bearer <token>`; `extensions.reason` says what is wrong with the one given",
  NOT_FOUND: "the id names nothing",
  RATE_LIMITED:
    "too many mutations (votes per user, digest subscription requests per client); `extensions.retryAfterSeconds` says when to try again. Each refused mutation is its own field error (its field is null); the response is HTTP 429 only when none of its mutations applied",
  BAD_USER_INPUT:
    "an argument is invalid (a malformed id, a forged cursor or one of another connection, too many ids...); `extensions.argument` names it (`after`, `ids[2]`, `input.paperId`)",
  QUERY_TOO_COMPLEX:
    "the operation exceeds the depth, breadth or cost limit (`extensions.kind`, `value`, `limit`), or ran longer than the statement timeout (`kind: time`)",
  BUDGET_EXCEEDED:
    "the client spent its query budget for the minute (HTTP 429); `extensions.retryAfterSeconds` says when it is renewed, `cost` and `remaining` what was asked and what is left",
  PAYLOAD_TOO_LARGE:
    "the request body exceeds the size limit (64 KB; HTTP 413): nothing of it was parsed or ran",
  PERSISTED_QUERY_NOT_FOUND:
    "the message is `PersistedQueryNotFound`: the server does not know the hash in `extensions.persistedQuery.sha256Hash` (HTTP 404); with automatic persisted queries, send the query again with its hash",
  PERSISTED_QUERY_MISMATCH:
    "the hash in `extensions.persistedQuery.sha256Hash` is not the SHA-256 of the query sent with it (HTTP 400)",
  PERSISTED_QUERY_ONLY:
    "the server runs trusted documents only (TRUSTED_DOCUMENTS): send a document's hash as `extensions.persistedQuery.sha256Hash`, without a query (HTTP 400)",
  UNSUPPORTED_MEDIA_TYPE:
    "a POST body that is not `application/json` (or `application/graphql`): form and multipart posts are refused (HTTP 415)",
  TOO_MANY_SUBSCRIPTIONS:
    "a subscription was refused: the client (`extensions.scope` `client`) or the server (`total`) holds as many open subscriptions as allowed (`extensions.limit`), or the WebSocket (`connection`) runs as many operations as allowed; close one, or retry later",
  INTROSPECTION_DISABLED:
    "the operation selects `__schema` or `__type` and this server does not answer introspection (INTROSPECTION=off, the default in production); `extensions.field` names the field. Nothing ran",
  TOKEN_INVALID:
    "the link token of a digest subscription (confirmation or unsubscribe) is malformed, unknown, expired or already used: each works once",
  MAIL_UNAVAILABLE:
    "this server sends no mail (SMTP_URL, MAIL_FROM and PUBLIC_URL are not configured): digests cannot be subscribed to",
  SERVICE_UNAVAILABLE:
    "a service the server depends on (the database, Redis) is down, too slow or busy; `extensions.dependency` names it. HTTP 503 with `Retry-After`: try again shortly",
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

/**
 * A refused mutation. Alone in its request it answers HTTP 429 with a `Retry-After` header; in a
 * request where other mutations applied, it is a field error of an HTTP 200 response carrying
 * their data (see `answerOk`).
 */
export class RateLimitedError extends GraphQLError {
  constructor(retryAfterSeconds: number, what = "votes") {
    super(`too many ${what}: try again in ${retryAfterSeconds} s`, {
      extensions: {
        code: "RATE_LIMITED" satisfies ErrorCode,
        retryAfterSeconds,
        http: { status: 429, headers: { "retry-after": String(retryAfterSeconds) } },
      },
    });
  }

  /** Leaves the HTTP status (and header) of the response to the rest of the request. */
  answerOk(): void {
    delete this.extensions.http;
  }
}

/** A digest link token that does not work (src/mail/subscriptions.ts). */
export class TokenInvalidError extends GraphQLError {
  constructor() {
    super("the link is malformed, unknown, expired or already used", {
      extensions: { code: "TOKEN_INVALID" satisfies ErrorCode },
    });
  }
}

/** A digest subscription asked of a server that sends no mail. */
export class MailUnavailableError extends GraphQLError {
  constructor() {
    super("this server sends no mail: digests cannot be subscribed to", {
      extensions: { code: "MAIL_UNAVAILABLE" satisfies ErrorCode },
    });
  }
}

/** A subscription past the per-client or total limit of open subscriptions (src/live/slots.ts). */
export class TooManySubscriptionsError extends GraphQLError {
  constructor(scope: "client" | "total" | "connection", limit: number) {
    super(
      scope === "client"
        ? `too many subscriptions: this client already holds ${limit}, the most allowed`
        : scope === "total"
          ? `too many subscriptions: the server already holds ${limit}, the most allowed`
          : `too many operations: this WebSocket already runs ${limit}, the most allowed`,
      { extensions: { code: "TOO_MANY_SUBSCRIPTIONS" satisfies ErrorCode, scope, limit } },
    );
  }
}

/** Seconds a client is told to wait (`Retry-After`) when a dependency is unavailable. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

export class ServiceUnavailableError extends GraphQLError {
  constructor(
    dependency: Dependency,
    options: { nodes?: GraphQLError["nodes"]; path?: GraphQLError["path"] } = {},
  ) {
    super(`the ${dependency} is unavailable: try again shortly`, {
      ...options,
      extensions: {
        code: "SERVICE_UNAVAILABLE" satisfies ErrorCode,
        dependency,
        http: {
          status: 503,
          headers: { "retry-after": String(UNAVAILABLE_RETRY_AFTER_SECONDS) },
        },
      },
    });
  }
}

/**
 * For Yoga's `maskError`: the typed error a client sees when a resolver failed because a
 * dependency is unavailable (see src/db/faults.ts), at the same place in the response; null for
 * any other error. The driver's message (hosts, ports) stays in the server's logs.
 */
export function maskUnavailable(error: unknown): ServiceUnavailableError | null {
  const original = error instanceof GraphQLError ? error.originalError : error;
  const cause = unavailableCause(original);
  if (!cause) return null;
  return new ServiceUnavailableError(cause.dependency, {
    nodes: error instanceof GraphQLError ? error.nodes : undefined,
    path: error instanceof GraphQLError ? error.path : undefined,
  });
}
