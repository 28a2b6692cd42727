/**
 * `npm start`: serves the GraphQL API. On the embedded default it creates and migrates the SQLite
 * database and, when it is empty, loads the bundled sample digests. Logs are JSON lines (pino) on
 * standard error; standard output gets one line with the URL. SIGINT/SIGTERM: stop accepting,
 * finish what is in flight (up to 10 s), close the database, exit.
 */
import { createServer as createHttpServer } from "node:http";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import pino from "pino";
import { ConfigError, loadConfig } from "./config.ts";
import { connect } from "./db/client.ts";
import { openSqlClient } from "./db/sql.ts";
import { createEvents } from "./graphql/pubsub.ts";
import { ingest, listDigestFiles } from "./ingest/run.ts";
import { createServer } from "./server.ts";
import { memoryRateLimiter, redisRateLimiter } from "./votes/rate-limit.ts";

const SAMPLE_DIR = fileURLToPath(new URL("../prisma/seed/", import.meta.url));
const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.logLevel }, pino.destination(2));
  const database = await connect(config.database);

  if (config.sampleData && (await database.db.day.count()) === 0) {
    const sql = openSqlClient(config.database);
    try {
      const files = listDigestFiles(SAMPLE_DIR).map((source) => ({ source }));
      const report = await ingest(sql, files);
      log.info({ papers: report.papersNew, days: report.days }, "loaded the sample digests");
    } finally {
      await sql.close();
    }
  }

  const events = createEvents(config.redisUrl, config.subscriptions);
  const rateLimiter = config.redisUrl
    ? redisRateLimiter(new Redis(config.redisUrl), config.votesPerMinute, 60)
    : memoryRateLimiter(config.votesPerMinute, 60);
  const yoga = createServer({
    db: database.db,
    provider: config.database.provider,
    logger: log,
    pubsub: events.pubsub,
    rateLimiter,
    jwt: config.jwt,
  });
  const http = createHttpServer(yoga);
  await new Promise<void>((resolve) => http.listen(config.port, config.host, resolve));
  const address = http.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const host = config.host === "0.0.0.0" ? "localhost" : config.host;
  log.info({ port, database: config.database.provider }, "listening");
  console.log(
    `papergraph is serving http://${host === "127.0.0.1" ? "localhost" : host}:${port}/graphql`,
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    const force = setTimeout(() => http.closeAllConnections(), SHUTDOWN_GRACE_MS);
    http.close(async () => {
      clearTimeout(force);
      await events.close();
      await database.close();
      log.info("stopped");
      process.exit(0);
    });
    http.closeIdleConnections();
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error) => {
  console.error(
    `papergraph: ${error instanceof ConfigError ? error.message : (error as Error).message}`,
  );
  process.exit(1);
});
