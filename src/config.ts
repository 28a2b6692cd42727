/** Configuration from the environment, validated once, with a clear message for each wrong value. */
import { type DatabaseTarget, DEFAULT_DATABASE_URL, parseDatabaseUrl } from "./db/target.ts";
import { readTrustedDocuments } from "./http/trusted-documents.ts";
import { JOBS, scheduleProblem } from "./jobs/registry.ts";
import { checkEmail } from "./mail/address.ts";
import type { MailSettings } from "./mail/transport.ts";

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
  jwt:
    | {
        secret?: string;
        jwksUri?: string;
        issuer?: string;
        audience?: string;
        /** JWT_MAX_LIFETIME_SECONDS, default 86,400: longer-lived tokens (or none with no `exp`) are refused. */
        maxLifetimeSeconds: number;
      }
    | undefined;
  /**
   * METRICS_TOKEN: /metrics answers only requests with `Authorization: Bearer <token>`.
   * METRICS_PORT: /metrics is served on this port (on HOST) instead of the API's. Neither set: no
   * /metrics at all (it shows what clients send and how the server is doing).
   */
  metrics: { token?: string; port?: number };
  /** QUERY_BUDGET_PER_MINUTE: cost points a client (an IP address, or a user) may spend a minute. */
  queryBudgetPerMinute: number;
  /** CORS_ORIGINS: origins allowed to send credentials; unset: any origin, without credentials. */
  corsOrigins: string[] | undefined;
  /** STATEMENT_TIMEOUT_MS (PostgreSQL): the longest a single SQL statement of the server may run. */
  statementTimeoutMs: number;
  /** TRUST_PROXY_HOPS: reverse proxies in front of the server whose X-Forwarded-For is believed. */
  trustProxyHops: number;
  /**
   * RESPONSE_CACHE: `on` (default) or `off`. On, answers to anonymous queries are kept in memory,
   * keyed by the data version, so that no write leaves a stale one behind (src/http/response-cache.ts).
   */
  responseCache: boolean;
  /**
   * COMPRESSION_MIN_BYTES (default 1,024): JSON answers at least this large are sent gzip- or
   * brotli-encoded to clients that accept it (src/http/compression.ts).
   */
  compressionMinBytes: number;
  /**
   * HTTP_CACHE_MAX_AGE (seconds, default 0, at most 3,600): the `max-age` of anonymous GET
   * queries' `Cache-Control: public, ..., must-revalidate` (src/http/http-caching.ts).
   */
  httpCacheMaxAge: number;
  /**
   * TRUSTED_DOCUMENTS: a manifest `{ "<hash>": "<document>" }`; only its operations run (read at
   * start). Unset: any operation, and automatic persisted queries (src/http/persisted.ts).
   */
  trustedDocuments: Map<string, string> | undefined;
  /**
   * OTEL_EXPORTER_OTLP_ENDPOINT (an http(s) URL) and OTEL_SERVICE_NAME (default `papergraph`):
   * send a span per operation over OTLP/HTTP (src/http/tracing.ts). Unset: no tracing.
   */
  tracing: { endpoint: string; serviceName: string } | undefined;
  /**
   * GRAPHIQL: `on` or `off`. On, a browser's GET of /graphql gets GraphiQL with the example
   * operations, served from the installed packages. Default: off when NODE_ENV=production, else on.
   */
  graphiql: boolean;
  /**
   * INTROSPECTION: `on` or `off`. Off, `__schema` and `__type` are refused (INTROSPECTION_DISABLED).
   * Default: off when NODE_ENV=production, else on. GraphiQL needs it: GRAPHIQL=on with
   * INTROSPECTION=off is refused.
   */
  introspection: boolean;
  /**
   * DASHBOARD: `on` (default) or `off`. On, /dashboard serves the dashboard page (charts of the
   * dashboard queries, drawn from this API; src/http/dashboard.ts). It needs no introspection.
   */
  dashboard: boolean;
  /**
   * SMTP_URL (`smtp://` or `smtps://`), MAIL_FROM (an address, optionally `Name <address>`) and
   * PUBLIC_URL (the server's http(s) address as its mails' readers reach it): email digests. All
   * three or none; none: subscribeToDigest answers MAIL_UNAVAILABLE and `digest send` refuses.
   */
  mail: MailSettings | undefined;
  /**
   * The fetch from the Daily Papers API (src/fetch/): FETCH_BASE_URL (default
   * https://huggingface.co), FETCH_REFETCH_DAYS (days before today a scheduled run fetches again,
   * default 3, at most 30), FETCH_CONCURRENCY (requests at a time, default 2, at most 8) and
   * FETCH_TIMEOUT_MS (per request, default 30,000).
   */
  fetch: { baseUrl: string; refetchDays: number; concurrency: number; timeoutMs: number };
  /**
   * The schedule of each job of src/jobs/registry.ts that has one (FETCH_SCHEDULE...): five cron
   * fields, in UTC. A job without one never runs by itself.
   */
  schedules: Record<string, string>;
}

/** MAIL_FROM's forms: `address` or `Name <address>`, the name without quotes or brackets. */
const MAIL_FROM = /^(?:([^"<>\r\n]*?)\s*<([^<>\s]+)>|([^<>\s]+))$/;

/** The mail settings, or undefined when none is set; a problem for each wrong or missing one. */
function mailSettings(env: NodeJS.ProcessEnv, problems: string[]): MailSettings | undefined {
  const { SMTP_URL: smtpUrl, MAIL_FROM: from, PUBLIC_URL: publicUrl } = env;
  if (!smtpUrl && !from && !publicUrl) return undefined;
  if (!smtpUrl || !from || !publicUrl) {
    problems.push("email digests need SMTP_URL, MAIL_FROM and PUBLIC_URL: set all three, or none");
    return undefined;
  }
  const protocol = (url: string) => {
    try {
      return new URL(url).protocol;
    } catch {
      return "";
    }
  };
  if (!["smtp:", "smtps:"].includes(protocol(smtpUrl))) {
    problems.push("SMTP_URL is not an smtp:// or smtps:// URL");
  }
  if (!["http:", "https:"].includes(protocol(publicUrl))) {
    problems.push(`PUBLIC_URL "${publicUrl}" is not an http(s) URL`);
  }
  const match = MAIL_FROM.exec(from.trim());
  try {
    checkEmail((match?.[2] ?? match?.[3] ?? "") as string, "MAIL_FROM");
  } catch {
    problems.push(
      `MAIL_FROM "${from}" is not an address (digest@example.org, or Name <digest@example.org>)`,
    );
  }
  return { smtpUrl, from: from.trim(), publicUrl };
}

/** The public Daily Papers API. */
export const DEFAULT_FETCH_BASE_URL = "https://huggingface.co";

/** Bounds of the fetch's settings: a scheduled run fetches at most a month again, politely. */
const MAX_REFETCH_DAYS = 30;
const MAX_FETCH_CONCURRENCY = 8;

const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;

/** A whole number of at least `min` from the environment (or the default); says so when it is not. */
function wholeNumber(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  problems: string[],
): number {
  const raw = env[name];
  const value = raw === undefined || raw === "" ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min) {
    problems.push(`${name} "${raw}" is not a whole number of at least ${min}`);
  }
  return value;
}

/** `on` or `off` (any case) from the environment, or the default when unset or empty. */
function onOff(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: boolean,
  problems: string[],
): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = raw.toLowerCase();
  if (value !== "on" && value !== "off") problems.push(`${name} "${raw}" is not on or off`);
  return value === "on";
}

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
  const maxLifetimeSeconds = wholeNumber(env, "JWT_MAX_LIFETIME_SECONDS", 86_400, 60, problems);
  const jwt =
    env.JWT_SECRET || env.JWT_JWKS_URI
      ? {
          secret: env.JWT_SECRET || undefined,
          jwksUri: env.JWT_JWKS_URI || undefined,
          issuer: env.JWT_ISSUER || undefined,
          audience: env.JWT_AUDIENCE || undefined,
          maxLifetimeSeconds,
        }
      : undefined;
  const metricsToken = env.METRICS_TOKEN || undefined;
  if (metricsToken !== undefined && metricsToken.length < 16) {
    problems.push("METRICS_TOKEN must be at least 16 characters");
  }
  const metricsPort = env.METRICS_PORT ? Number(env.METRICS_PORT) : undefined;
  if (
    metricsPort !== undefined &&
    (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535)
  ) {
    problems.push(`METRICS_PORT "${env.METRICS_PORT}" is not a port number (0-65535)`);
  } else if (metricsPort !== undefined && metricsPort !== 0 && metricsPort === port) {
    problems.push(
      `METRICS_PORT ${metricsPort} is the API's PORT: give metrics a port of their own`,
    );
  }
  const queryBudgetPerMinute = wholeNumber(env, "QUERY_BUDGET_PER_MINUTE", 100_000, 1, problems);
  const statementTimeoutMs = wholeNumber(env, "STATEMENT_TIMEOUT_MS", 5_000, 100, problems);
  const trustProxyHops = wholeNumber(env, "TRUST_PROXY_HOPS", 0, 0, problems);
  const responseCache = (env.RESPONSE_CACHE || "on").toLowerCase();
  if (responseCache !== "on" && responseCache !== "off") {
    problems.push(`RESPONSE_CACHE "${env.RESPONSE_CACHE}" is not on or off`);
  }
  // Production hides the schema unless asked: Apollo Server and Yoga do the same by default.
  const production = env.NODE_ENV === "production";
  const graphiql = onOff(env, "GRAPHIQL", !production, problems);
  const introspection = onOff(env, "INTROSPECTION", !production, problems);
  const dashboard = onOff(env, "DASHBOARD", true, problems);
  if (graphiql && !introspection) {
    problems.push(
      "GRAPHIQL=on needs INTROSPECTION=on (GraphiQL reads the schema through it): set both, or GRAPHIQL=off",
    );
  }
  const corsOrigins = env.CORS_ORIGINS
    ? env.CORS_ORIGINS.split(",")
        .map((origin) => origin.trim())
        .filter((origin) => origin !== "")
    : undefined;
  for (const origin of corsOrigins ?? []) {
    let valid = false;
    try {
      valid = new URL(origin).origin === origin;
    } catch {}
    if (!valid) {
      problems.push(
        `CORS_ORIGINS: "${origin}" is not an origin (scheme://host[:port], no path or trailing slash)`,
      );
    }
  }
  const compressionMinBytes = wholeNumber(env, "COMPRESSION_MIN_BYTES", 1024, 0, problems);
  const httpCacheMaxAge = wholeNumber(env, "HTTP_CACHE_MAX_AGE", 0, 0, problems);
  if (httpCacheMaxAge > 3600) {
    problems.push(`HTTP_CACHE_MAX_AGE "${env.HTTP_CACHE_MAX_AGE}" is more than 3600 seconds`);
  }
  let trustedDocuments: Map<string, string> | undefined;
  if (env.TRUSTED_DOCUMENTS) {
    try {
      trustedDocuments = readTrustedDocuments(env.TRUSTED_DOCUMENTS);
    } catch (error) {
      problems.push(`TRUSTED_DOCUMENTS: ${(error as Error).message}`);
    }
  }
  const otlpEndpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined;
  if (otlpEndpoint) {
    let valid = false;
    try {
      valid = ["http:", "https:"].includes(new URL(otlpEndpoint).protocol);
    } catch {}
    if (!valid) {
      problems.push(`OTEL_EXPORTER_OTLP_ENDPOINT "${otlpEndpoint}" is not an http(s) URL`);
    }
  }
  const fetchBaseUrl = env.FETCH_BASE_URL || DEFAULT_FETCH_BASE_URL;
  let validBase = false;
  try {
    validBase = ["http:", "https:"].includes(new URL(fetchBaseUrl).protocol);
  } catch {}
  if (!validBase) problems.push(`FETCH_BASE_URL "${fetchBaseUrl}" is not an http(s) URL`);
  const fetch = {
    baseUrl: fetchBaseUrl,
    refetchDays: wholeNumber(env, "FETCH_REFETCH_DAYS", 3, 0, problems),
    concurrency: wholeNumber(env, "FETCH_CONCURRENCY", 2, 1, problems),
    timeoutMs: wholeNumber(env, "FETCH_TIMEOUT_MS", 30_000, 100, problems),
  };
  if (fetch.refetchDays > MAX_REFETCH_DAYS) {
    problems.push(
      `FETCH_REFETCH_DAYS "${env.FETCH_REFETCH_DAYS}" is more than ${MAX_REFETCH_DAYS}`,
    );
  }
  if (fetch.concurrency > MAX_FETCH_CONCURRENCY) {
    problems.push(
      `FETCH_CONCURRENCY "${env.FETCH_CONCURRENCY}" is more than ${MAX_FETCH_CONCURRENCY}`,
    );
  }
  const schedules: Record<string, string> = {};
  for (const job of JOBS) {
    const schedule = env[job.scheduleVariable]?.trim();
    if (!schedule) continue;
    const problem = scheduleProblem(schedule);
    if (problem) problems.push(`${job.scheduleVariable} "${schedule}": ${problem}`);
    schedules[job.name] = schedule;
  }
  const mail = mailSettings(env, problems);
  if (schedules.digest && !mail && !problems.some((p) => p.startsWith("email digests need"))) {
    problems.push(
      "DIGEST_SCHEDULE needs SMTP_URL, MAIL_FROM and PUBLIC_URL: the digests are mailed",
    );
  }
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
    metrics: { token: metricsToken, port: metricsPort },
    queryBudgetPerMinute,
    corsOrigins,
    statementTimeoutMs,
    trustProxyHops,
    responseCache: responseCache === "on",
    compressionMinBytes,
    httpCacheMaxAge,
    trustedDocuments,
    tracing: otlpEndpoint
      ? { endpoint: otlpEndpoint, serviceName: env.OTEL_SERVICE_NAME || "papergraph" }
      : undefined,
    graphiql,
    introspection,
    fetch,
    schedules,
    dashboard,
    mail,
  };
}

/**
 * The server's PostgreSQL connections with STATEMENT_TIMEOUT_MS: PostgreSQL cancels any statement
 * that runs (or waits for a lock) longer, and the client gets QUERY_TOO_COMPLEX (`kind: time`).
 * A URL that sets its own `statement_timeout` or `options` keeps them. SQLite cannot interrupt a
 * statement: there the cost limits (src/graphql/builder.ts) bound the work of each request.
 */
export function withStatementTimeout(target: DatabaseTarget, ms: number): DatabaseTarget {
  if (target.provider !== "postgresql") return target;
  const url = new URL(target.url);
  if (url.searchParams.has("statement_timeout") || url.searchParams.has("options")) return target;
  url.searchParams.set("statement_timeout", String(ms));
  return { ...target, url: url.toString() };
}
