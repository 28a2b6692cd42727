/**
 * `npm start` (compiled: dist/main.js, see build.mjs and src/start.mjs): serves the GraphQL API. On
 * the embedded default it creates and migrates the SQLite database and, when it is empty, loads the
 * bundled sample digests. Logs are JSON lines (pino) on standard error; standard output gets one
 * line with the URL (and the dashboard's). With METRICS_PORT, /metrics is served on that port
 * alone. GraphQL over WebSocket shares the API's port (src/http/websocket.ts). With FETCH_SCHEDULE
 * or DIGEST_SCHEDULE (the schedules of src/jobs/registry.ts) it runs the scheduled jobs too
 * (src/jobs/runner.ts). SIGINT/SIGTERM: stop accepting, stop the job runner (runs in progress are
 * cancelled), close the WebSockets, finish what is in flight (up to 10 s), close the database, exit.
 */
import { createServer as createHttpServer, type ServerResponse } from "node:http";
import pino from "pino";
import { ConfigError, loadConfig, withStatementTimeout } from "./config.ts";
import { connect, directOf } from "./db/client.ts";
import { openDataVersion } from "./db/data-version.ts";
import { openRedis, redisReady } from "./db/redis.ts";
import { openSqlClient } from "./db/sql.ts";
import { createEvents } from "./graphql/pubsub.ts";
import { addressKey, clientAddress, memoryQueryBudget, redisQueryBudget } from "./http/budget.ts";
import { createMetrics, metricsListener } from "./http/metrics.ts";
import { openTracing } from "./http/tracing.ts";
import { serveWebSocket } from "./http/websocket.ts";
import { startJobs } from "./jobs/runner.ts";
import { CONFIRMATION_LIMITS, type DigestService } from "./mail/confirmations.ts";
import { openMailer } from "./mail/transport.ts";
import { SAMPLE_DIR } from "./paths.ts";
import { createServer } from "./server.ts";
import { memoryRateLimiter, redisRateLimiter } from "./votes/rate-limit.ts";

const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.logLevel }, pino.destination(2));
  const database = await connect(withStatementTimeout(config.database, config.statementTimeoutMs), {
    log,
  });

  if (config.sampleData && (await database.db.day.count()) === 0) {
    // The ingest job is loaded only to fill an empty database: a server never needs it otherwise.
    const { ingest, listDigestFiles } = await import("./ingest/run.ts");
    const sql = openSqlClient(config.database);
    try {
      const files = listDigestFiles(SAMPLE_DIR).map((source) => ({ source }));
      const report = await ingest(sql, files);
      log.info({ papers: report.papersNew, days: report.days }, "loaded the sample digests");
    } finally {
      await sql.close();
    }
  }

  const redis = config.redisUrl ? openRedis(config.redisUrl, log) : undefined;
  if (redis && !(await redisReady(redis.commands))) {
    log.warn("Redis does not answer yet: votes get SERVICE_UNAVAILABLE until it does");
  }
  // Open subscriptions are limited per client: its address, told apart as the query budget does.
  const events = createEvents(redis, {
    ...config.subscriptions,
    clientOf: ({ req, request }) =>
      addressKey(
        clientAddress(
          req?.socket?.remoteAddress,
          request?.headers.get("x-forwarded-for") ?? null,
          config.trustProxyHops,
        ),
      ),
    log,
  });
  const rateLimiter = redis
    ? redisRateLimiter(redis.commands, config.votesPerMinute, 60)
    : memoryRateLimiter(config.votesPerMinute, 60);
  // Every query goes through the budget: on the same fail-fast connection (no offline queue, a
  // command time limit), falling back to this process's memory while Redis does not answer.
  const queryBudget = redis
    ? redisQueryBudget(redis.commands, config.queryBudgetPerMinute)
    : memoryQueryBudget(config.queryBudgetPerMinute);
  // Digest subscriptions' confirmation mails, limited per address and per client, shared
  // through Redis like the votes' limits when it is configured.
  const limiter = (limit: number) =>
    redis
      ? redisRateLimiter(redis.commands, limit, CONFIRMATION_LIMITS.windowSeconds)
      : memoryRateLimiter(limit, CONFIRMATION_LIMITS.windowSeconds);
  const mailer = config.mail ? openMailer(config.mail) : undefined;
  const digests: DigestService | undefined = mailer && {
    mailer,
    perAddress: limiter(CONFIRMATION_LIMITS.perAddress),
    perClient: limiter(CONFIRMATION_LIMITS.perClient),
    onMailError: (error) =>
      log.warn({ err: (error as Error).message }, "a confirmation mail could not be sent"),
  };
  const metrics = createMetrics({ token: config.metrics.token });
  // The response cache's keys and the feeds' ETags.
  const dataVersion = openDataVersion(database.target, directOf(database.db));
  // OpenTelemetry's packages are loaded only when an endpoint is configured.
  const tracing = config.tracing ? await openTracing(config.tracing) : undefined;
  if (tracing) log.info({ endpoint: config.tracing?.endpoint }, "tracing operations over OTLP");
  const yoga = createServer({
    db: database.db,
    provider: config.database.provider,
    logger: log,
    pubsub: events.pubsub,
    rateLimiter,
    queryBudget,
    trustProxyHops: config.trustProxyHops,
    jwt: config.jwt,
    corsOrigins: config.corsOrigins,
    metrics,
    // On the API's port only behind its token, and only when it has no port of its own.
    metricsEndpoint: config.metrics.token !== undefined && config.metrics.port === undefined,
    statementTimeoutMs:
      config.database.provider === "postgresql" ? config.statementTimeoutMs : undefined,
    redis: redis?.commands,
    responseCache: config.responseCache ? { version: dataVersion } : undefined,
    dataVersion,
    compressionMinBytes: config.compressionMinBytes,
    httpCacheMaxAge: config.httpCacheMaxAge,
    trustedDocuments: config.trustedDocuments,
    tracing: tracing?.plugin,
    graphiql: config.graphiql,
    introspection: config.introspection,
    dashboard: config.dashboard,
    digests,
  });
  // Requests being answered: the database closes only once they are (a client that hung up
  // leaves its request running; closing the connections alone does not wait for it). Event
  // streams (SSE, both modes: an `Accept: text/event-stream` request) are not waited for: they
  // never end by themselves, and are cut at shutdown (below).
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const streams = new Set<ServerResponse>();
  const http = createHttpServer((req, res) => {
    if (req.headers.accept?.includes("text/event-stream")) {
      // Yoga's promise settles once the stream has started: the stream lasts as long as the
      // answer does.
      streams.add(res);
      res.once("close", () => streams.delete(res));
      void yoga(req, res);
      return;
    }
    inFlight++;
    Promise.resolve(yoga(req, res)).finally(() => {
      inFlight--;
      if (inFlight === 0) drained?.();
    });
  });
  // GraphQL over WebSocket on the same port and path (graphql-ws), through the same Yoga plugins.
  const websocket = serveWebSocket(http, yoga, { corsOrigins: config.corsOrigins, log });
  await new Promise<void>((resolve) => http.listen(config.port, config.host, resolve));
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const host = config.host === "0.0.0.0" ? "localhost" : config.host;
  const metricsHttp =
    config.metrics.port === undefined ? undefined : createHttpServer(metricsListener(metrics));
  if (metricsHttp) {
    await new Promise<void>((resolve) =>
      metricsHttp.listen(config.metrics.port, config.host, resolve),
    );
    const metricsAddress = metricsHttp.address();
    log.info(
      { port: typeof metricsAddress === "object" && metricsAddress ? metricsAddress.port : null },
      "metrics listening",
    );
  }
  const jobs = await startJobs(config, log);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    const force = setTimeout(() => http.closeAllConnections(), SHUTDOWN_GRACE_MS);
    metricsHttp?.close();
    metricsHttp?.closeAllConnections();
    const jobsStopped = jobs?.stop().catch((error) => log.error({ err: error }, "job runner"));
    // Open sockets would keep the server from closing: each is closed (its subscriptions end).
    const socketsClosed = websocket.close();
    // So would open event streams: their connections are closed (their subscriptions end; a
    // client reconnects, to another process behind a load balancer).
    for (const res of streams) res.destroy();
    http.close(async () => {
      await socketsClosed;
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          drained = resolve;
          setTimeout(resolve, SHUTDOWN_GRACE_MS).unref();
        });
      }
      clearTimeout(force);
      await jobsStopped;
      await events.close();
      await redis?.close();
      mailer?.close();
      dataVersion.close();
      await tracing?.shutdown().catch(() => {});
      await database.close();
      log.info("stopped");
      process.exit(0);
    });
    http.closeIdleConnections();
  };
  // Before the URL is announced: a signal sent as soon as it is (a supervisor, a test) must find
  // its handler, not Node's default, which ends the process at once.
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));

  log.info(
    {
      port,
      database: config.database.provider,
      graphiql: config.graphiql,
      introspection: config.introspection,
      dashboard: config.dashboard,
    },
    "listening",
  );
  const origin = `http://${host === "127.0.0.1" ? "localhost" : host}:${port}`;
  console.log(
    `papergraph is serving ${origin}/graphql${config.dashboard ? ` (dashboard: ${origin}/dashboard)` : ""}`,
  );
}

main().catch((error) => {
  console.error(
    `papergraph: ${error instanceof ConfigError ? error.message : (error as Error).message}`,
  );
  process.exit(1);
});
