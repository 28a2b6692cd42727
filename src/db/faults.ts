/**
 * When a dependency of the server (the database, Redis) is down, frozen or busy: the one error the
 * data layer throws for it (`Unavailable`, which the API reports as SERVICE_UNAVAILABLE, HTTP 503),
 * the time limits that make such a failure quick instead of a hang, and the test that tells a
 * driver's connection failure from an ordinary error (a constraint, a bad query).
 */

export type Dependency = "database" | "redis";

/** A dependency did not answer in time, refused the connection, or (SQLite) stayed locked. */
export class Unavailable extends Error {
  override name = "Unavailable";
  constructor(
    readonly dependency: Dependency,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${dependency} unavailable: ${reason}`, options);
  }
}

/** The time limits (ms). Documented in the README ("Limits"). */
export const TIMEOUTS = {
  /** PostgreSQL: opening a connection (the handshake included), or waiting for a free one. */
  postgresConnect: 5_000,
  /**
   * PostgreSQL: the client gives up on an answer this long after the statement's own time limit
   * (`statement_timeout`, STATEMENT_TIMEOUT_MS): a server that is frozen or cut off never cancels
   * anything itself, while a slow statement is cancelled cleanly by the server first.
   */
  postgresAnswerMargin: 1_000,
  /** PostgreSQL: the same, for connections without a statement time limit (the CLI, tests). */
  postgresAnswer: 11_000,
  /** PostgreSQL: a transaction left open by a client that vanished holds its locks this long. */
  postgresIdleInTransaction: 10_000,
  /** SQLite: how long an API write waits (asynchronously) for another connection's write lock. */
  sqliteWriteLock: 10_000,
  /** Redis: opening a connection. */
  redisConnect: 2_000,
  /** Redis: an answer to a command. */
  redisCommand: 1_000,
  /** Each dependency's answer to a readiness probe. */
  readiness: 2_000,
} as const;

/**
 * SQLSTATE classes and codes that mean the connection or the server failed, not the statement:
 * 08 connection exceptions, 57P01-57P03 the server shutting down or starting, 53300 too many
 * connections. A statement cancelled by `statement_timeout` (57014) is not one of them: the
 * server answered.
 */
const POSTGRES_DOWN = /^(08...|57P0[123]|53300)$/;
const SOCKET_DOWN = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);
/** node-postgres's own errors for a connection that failed or timed out carry no code. */
const PG_CLIENT_DOWN =
  /Query read timeout|timeout exceeded when trying to connect|Connection terminated|connection timeout|Client has encountered a connection error|Connection closed/i;

/**
 * Whether an error of node-postgres (or of the sockets under it) means the database did not
 * answer: a connection refused, reset or timed out, or a server shutting down.
 */
export function isPostgresDown(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (SOCKET_DOWN.has(code) || POSTGRES_DOWN.test(code))) return true;
  return PG_CLIENT_DOWN.test(error.message);
}

/**
 * The dependency failure behind an error, if it is one: an `Unavailable` anywhere in its causes,
 * or Prisma's codes for a database it cannot reach (P1001), that timed out (P1008: also SQLite's
 * "database is locked") or closed the connection (P1017), or a pool with no free connection
 * (P2024).
 */
export function unavailableCause(error: unknown): Unavailable | null {
  for (let e = error, depth = 0; e && depth < 8; depth++) {
    if (e instanceof Unavailable) return e;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^P(1001|1008|1017|2024)$/.test(code)) {
      return new Unavailable("database", (e as Error).message.split("\n").at(-1) ?? code, {
        cause: e,
      });
    }
    if ((e as Error).name === "PrismaClientInitializationError") {
      return new Unavailable("database", "cannot connect", { cause: e });
    }
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/** `promise`, or an `Unavailable` of `dependency` after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, dependency: Dependency) {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Unavailable(dependency, `no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Where the data layer reports outages and recoveries (a pino logger fits). */
export interface FaultLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}
