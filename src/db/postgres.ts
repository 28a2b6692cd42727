/**
 * The API server's PostgreSQL connection pool, shared by Prisma (through @prisma/adapter-pg) and
 * the few hand-written statements of the API (a vote is one statement): time limits on connecting
 * and on every statement, and a circuit breaker.
 *
 * A frozen or unreachable server never answers and never closes the connection: without limits a
 * request waits until it comes back. With them, a connection attempt fails after
 * `TIMEOUTS.postgresConnect`, and a statement that gets no answer a second after its own time
 * limit (the URL's `statement_timeout`: STATEMENT_TIMEOUT_MS for the server). The breaker then answers at once
 * while the server is known to be down: after a connection failure (not an ordinary error such as
 * a constraint or a cancelled slow statement), every query fails immediately with `Unavailable`,
 * and a probe (`SELECT 1`, every `PROBE_EVERY_MS`) runs in the background until one succeeds,
 * which closes the breaker. No request waits for the probe.
 */
import type Pg from "pg";
import { pgDriver } from "./drivers.ts";
import { isPostgresDown, TIMEOUTS, Unavailable } from "./faults.ts";

// pg is loaded with this module, which src/db/client.ts imports only to open a PostgreSQL database.
const { Pool } = pgDriver();
const poolQuery = Pool.prototype.query as (...args: unknown[]) => unknown;
const poolConnect = Pool.prototype.connect as (...args: unknown[]) => unknown;

export interface PoolEvents {
  /** The server stopped answering (once per outage). */
  onDown?: (error: Error) => void;
  /** It answers again. */
  onUp?: () => void;
  /** Called with each of the API's own statements (`run`), as Prisma's query events are. */
  onQuery?: (sql: string) => void;
}

/** How long to wait for an answer: the URL's `statement_timeout` and a margin, or a default. */
function answerTimeout(connectionString: string): number {
  const statement = Number(new URL(connectionString).searchParams.get("statement_timeout"));
  return statement > 0 ? statement + TIMEOUTS.postgresAnswerMargin : TIMEOUTS.postgresAnswer;
}

/** While the server is down, how often the breaker probes it. */
export const PROBE_EVERY_MS = 1_000;

export class GuardedPool extends Pool {
  /** Set while the server is known to be down: why. */
  private down: string | null = null;

  constructor(
    connectionString: string,
    private readonly events: PoolEvents = {},
  ) {
    super({
      connectionString,
      connectionTimeoutMillis: TIMEOUTS.postgresConnect,
      query_timeout: answerTimeout(connectionString),
      idle_in_transaction_session_timeout: TIMEOUTS.postgresIdleInTransaction,
      keepAlive: true,
    });
    // An idle connection that breaks (a restart, a dropped database) is removed from the pool;
    // without a listener the pool's `error` event would end the process.
    this.on("error", (error) => this.failed(error));
  }

  /** Why the server is known to be down, or null. */
  get outage(): string | null {
    return this.down;
  }

  private failed(error: Error): void {
    if (!isPostgresDown(error) || this.down !== null) return;
    this.down = error.message;
    this.events.onDown?.(error);
    this.probeLater();
  }

  private probeLater(): void {
    setTimeout(async () => {
      if (this.down === null || this.ending || this.ended) return;
      try {
        await poolQuery.call(this, "SELECT 1");
        this.down = null;
        this.events.onUp?.();
      } catch {
        this.probeLater();
      }
    }, PROBE_EVERY_MS).unref();
  }

  /** Runs `call`, unless the server is known to be down. */
  private async guard<T>(call: () => Promise<T>): Promise<T> {
    if (this.down !== null) {
      throw new Unavailable("database", `PostgreSQL is not answering (${this.down})`);
    }
    try {
      return await call();
    } catch (error) {
      if (!isPostgresDown(error)) throw error;
      this.failed(error as Error);
      throw new Unavailable("database", (error as Error).message, { cause: error });
    }
  }

  /** One of the API's own statements (a vote): guarded, and reported to `onQuery`. */
  async run<R>(
    text: string,
    values: unknown[],
    name?: string,
    types?: Pg.CustomTypesConfig,
  ): Promise<R[]> {
    this.events.onQuery?.(text);
    const result = await this.query({
      text,
      values,
      ...(name ? { name } : {}),
      ...(types ? { types } : {}),
    });
    return (result as { rows: R[] }).rows;
  }

  // Prisma's adapter calls `query(config)` and `connect()` (transactions) without callbacks;
  // calls with a callback (pg-pool's own `query` calls `connect` so) pass through unguarded.
  // biome-ignore lint/suspicious/noExplicitAny: pg.Pool's overloads
  override query(...args: any[]): any {
    if (typeof args.at(-1) === "function") return poolQuery.apply(this, args);
    return this.guard(() => poolQuery.apply(this, args) as Promise<unknown>);
  }

  // biome-ignore lint/suspicious/noExplicitAny: pg.Pool's overloads
  override connect(...args: any[]): any {
    if (typeof args.at(-1) === "function") return poolConnect.apply(this, args);
    return this.guard(() => poolConnect.apply(this, args) as Promise<unknown>);
  }
}
