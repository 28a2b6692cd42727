/** Configuration from the environment, validated once, with a clear message for each wrong value. */
import { type DatabaseTarget, DEFAULT_DATABASE_URL, parseDatabaseUrl } from "./db/target.ts";

export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface Config {
  database: DatabaseTarget;
  /** PORT, default 4000. */
  port: number;
  /** HOST, default 127.0.0.1 (set 0.0.0.0 to listen on every interface). */
  host: string;
  /** LOG_LEVEL: debug, info (default), warn, error or silent. */
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
  /**
   * SAMPLE_DATA: load the bundled sample digests into an empty database at start. Default: on for
   * the embedded SQLite database, off for PostgreSQL.
   */
  sampleData: boolean;
  /** REDIS_URL: share live updates and rate limits across server processes. */
  redisUrl: string | undefined;
  /** VOTES_PER_MINUTE: per user, default 60. */
  votesPerMinute: number;
  /**
   * SUBSCRIPTIONS_PER_CLIENT (default 20) and SUBSCRIPTIONS_TOTAL (default 10,000): open
   * subscriptions one client address, and all clients together, may hold in one server process.
   */
  subscriptions: { perClient: number; total: number };
  /**
   * JWT_SECRET (HS256) or JWT_JWKS_URI (RS256), with optional JWT_ISSUER and JWT_AUDIENCE: also
   * accept an identity provider's JWTs as Bearer credentials. Unset: API tokens only.
   */
  jwt: { secret?: string; jwksUri?: string; issuer?: string; audience?: string } | undefined;
}

const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  let database: DatabaseTarget | undefined;
  try {
    database = parseDatabaseUrl(env.DATABASE_URL || DEFAULT_DATABASE_URL);
  } catch (error) {
    problems.push((error as Error).message);
  }
  const port = Number(env.PORT ?? 4000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    problems.push(`PORT "${env.PORT}" is not a port number (0-65535)`);
  }
  const logLevel = (env.LOG_LEVEL ?? "info") as Config["logLevel"];
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL "${env.LOG_LEVEL}" is not one of ${LOG_LEVELS.join(", ")}`);
  }
  const sample = env.SAMPLE_DATA;
  if (sample !== undefined && !["true", "false", "1", "0"].includes(sample)) {
    problems.push(`SAMPLE_DATA "${sample}" is not true or false`);
  }
  const redisUrl = env.REDIS_URL || undefined;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) {
    problems.push(`REDIS_URL "${redisUrl}" is not a redis:// URL`);
  }
  const votesPerMinute = Number(env.VOTES_PER_MINUTE ?? 60);
  if (!Number.isInteger(votesPerMinute) || votesPerMinute < 1) {
    problems.push(`VOTES_PER_MINUTE "${env.VOTES_PER_MINUTE}" is not a positive whole number`);
  }
  const subscriptions = {
    perClient: Number(env.SUBSCRIPTIONS_PER_CLIENT ?? 20),
    total: Number(env.SUBSCRIPTIONS_TOTAL ?? 10_000),
  };
  if (!Number.isInteger(subscriptions.perClient) || subscriptions.perClient < 1) {
    problems.push(
      `SUBSCRIPTIONS_PER_CLIENT "${env.SUBSCRIPTIONS_PER_CLIENT}" is not a positive whole number`,
    );
  }
  if (!Number.isInteger(subscriptions.total) || subscriptions.total < 1) {
    problems.push(
      `SUBSCRIPTIONS_TOTAL "${env.SUBSCRIPTIONS_TOTAL}" is not a positive whole number`,
    );
  }
  if (env.JWT_SECRET && env.JWT_JWKS_URI) problems.push("set JWT_SECRET or JWT_JWKS_URI, not both");
  if (env.JWT_SECRET !== undefined && env.JWT_SECRET.length < 32) {
    problems.push("JWT_SECRET must be at least 32 characters");
  }
  if (env.JWT_JWKS_URI && !/^https?:\/\//.test(env.JWT_JWKS_URI)) {
    problems.push(`JWT_JWKS_URI "${env.JWT_JWKS_URI}" is not an http(s) URL`);
  }
  const jwt =
    env.JWT_SECRET || env.JWT_JWKS_URI
      ? {
          secret: env.JWT_SECRET || undefined,
          jwksUri: env.JWT_JWKS_URI || undefined,
          issuer: env.JWT_ISSUER || undefined,
          audience: env.JWT_AUDIENCE || undefined,
        }
      : undefined;
  if (problems.length > 0 || !database) {
    throw new ConfigError(`invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  return {
    database,
    port,
    host: env.HOST || "127.0.0.1",
    logLevel,
    sampleData:
      sample === undefined ? database.provider === "sqlite" : sample === "true" || sample === "1",
    redisUrl,
    votesPerMinute,
    subscriptions,
    jwt,
  };
}
