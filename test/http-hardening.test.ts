/**
 * Issue 8, the HTTP layer: no anonymous request can exhaust or stall the server. One block per
 * item: bounded metrics behind a token or a port of their own; the body limit on the bytes read,
 * chunked or not; the cost model, the per-client query budget and the statement timeout;
 * cross-site requests (CSRF, CORS); identity providers' JWTs.
 *
 * Written to pass the same way on a loaded machine as on a quiet one (as test/votes.test.ts):
 * every request takes the running test's signal, aborted when the test ends; each test uses its
 * own users, papers and client addresses; nothing sleeps before a single event; the budget tests
 * use windows of an hour (a window opens with the client's first request, so none ends mid-test).
 */

import { generateKeyPairSync, randomBytes } from "node:crypto";
import { once } from "node:events";
import {
  createServer as createHttpServer,
  type Server as HttpServer,
  request as httpRequest,
  type IncomingHttpHeaders,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { parse } from "graphql";
import jwt from "jsonwebtoken";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { chunkedPost as postChunked } from "../bench/abuse/chunked-body.ts";
import { createToken, createUser } from "../src/auth/tokens.ts";
import { loadConfig, withStatementTimeout } from "../src/config.ts";
import { connect } from "../src/db/client.ts";
import { COSTS } from "../src/graphql/builder.ts";
import { schema } from "../src/graphql/schema.ts";
import {
  addressKey,
  clientAddress,
  memoryQueryBudget,
  redisQueryBudget,
} from "../src/http/budget.ts";
import { operationCost } from "../src/http/cost.ts";
import { createMetrics, OPERATION_NAMES } from "../src/http/metrics.ts";
import { ingest } from "../src/ingest/run.ts";
import { createServer, REQUEST_LIMITS, type ServerOptions } from "../src/server.ts";
import {
  createTestDatabase,
  createTestTarget,
  ENGINES,
  REDIS_URL,
  redisAvailable,
  type TestDatabase,
} from "./support/engines.ts";
import { JSON_FIXTURE } from "./support/ingest.ts";
import { startServerProcess } from "./support/process.ts";
import { abortedWithEachTest } from "./support/requests.ts";

/** Aborted when the running test ends (pass, failure or timeout): no request outlives its test. */
// Up to 60 requests in flight each listen to it.
const requests = abortedWithEachTest(200);

const paperGid = (id: number) => Buffer.from(`Paper:${id}`).toString("base64");
const METRICS_TOKEN = "metrics-token-of-the-tests-0123456789";

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  // biome-ignore lint/suspicious/noExplicitAny: responses are checked field by field
  json: any;
}

/**
 * One HTTP request with node:http (so that the client's address can be chosen: 127.0.0.2 is
 * another client than 127.0.0.1), the body sent with a Content-Length.
 */
function send(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    localAddress?: string;
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: options.method ?? (options.body === undefined ? "GET" : "POST"),
      headers: options.headers,
      localAddress: options.localAddress,
      agent: false,
      signal: requests.signal,
    });
    req.on("error", reject);
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        text += chunk;
      });
      res.on("error", reject);
      res.on("end", () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = text;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
      });
    });
    req.end(options.body);
  });
}

/** A GraphQL operation as JSON over HTTP. */
function gql(
  url: string,
  query: string,
  options: {
    variables?: object;
    token?: string;
    localAddress?: string;
    headers?: Record<string, string>;
  } = {},
) {
  return send(url, {
    headers: {
      "content-type": "application/json",
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables: options.variables ?? {} }),
    localAddress: options.localAddress,
  });
}

/** A chunked POST (bench/abuse/chunked-body.ts), its answer parsed. */
async function chunkedPost(
  url: string,
  query: string,
  bytes: number,
  token?: string,
): Promise<{ status: number; json: unknown; written: number }> {
  const answer = await postChunked({
    url,
    bytes,
    query,
    token,
    chunkBytes: 16 * 1024,
    signal: requests.signal,
  });
  return {
    status: answer.status,
    json: answer.text ? JSON.parse(answer.text) : null,
    written: answer.written,
  };
}

/**
 * Serves a Yoga server over HTTP on 127.0.0.1, remembering each connection's socket and each
 * response it finished sending (status and body), as the server sent it: a client may not get to
 * read an answer when the server closes the connection without reading the whole request.
 */
async function listen(yoga: ReturnType<typeof createServer>) {
  const http: HttpServer = createHttpServer(yoga);
  const sockets: Socket[] = [];
  const sent: { status: number; body: string }[] = [];
  http.on("connection", (socket) => sockets.push(socket));
  http.on("request", (_request, response) => {
    const chunks: Buffer[] = [];
    const keep = (chunk: unknown) => {
      if (typeof chunk === "string" || chunk instanceof Uint8Array) chunks.push(Buffer.from(chunk));
    };
    const write = response.write.bind(response) as (...args: unknown[]) => boolean;
    const end = response.end.bind(response) as (...args: unknown[]) => typeof response;
    response.write = ((chunk: unknown, ...rest: unknown[]) => {
      keep(chunk);
      return write(chunk, ...rest);
    }) as typeof response.write;
    response.end = ((chunk?: unknown, ...rest: unknown[]) => {
      keep(chunk);
      return end(chunk, ...rest);
    }) as typeof response.end;
    response.on("finish", () =>
      sent.push({ status: response.statusCode, body: Buffer.concat(chunks).toString("utf8") }),
    );
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    url: `${base}/graphql`,
    base,
    sockets,
    sent,
    close: async () => {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

/** Every value each label takes in a Prometheus text exposition. */
function labelValues(text: string): Map<string, Set<string>> {
  const values = new Map<string, Set<string>>();
  for (const match of text.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
    const [, label, value] = match as unknown as [string, string, string];
    if (!values.has(label)) values.set(label, new Set());
    values.get(label)?.add(value);
  }
  return values;
}

describe.each(ENGINES)("the HTTP layer on %s", (provider) => {
  let database: TestDatabase;
  /** SQL statements the database has run: refusals must leave it unchanged. */
  const statements: string[] = [];
  let paperIds: number[] = [];
  const tokens: string[] = [];
  /** Servers a test started: closed after it. */
  let servers: { close(): Promise<void> }[] = [];

  /** A server over HTTP on this engine's database, closed when the test ends. */
  async function serve(options: Partial<ServerOptions> = {}) {
    const server = await listen(
      createServer({ db: database.db, provider: database.target.provider, ...options }),
    );
    servers.push(server);
    return server;
  }

  beforeAll(async () => {
    database = await createTestDatabase(provider, { onQuery: (sql) => statements.push(sql) });
    await ingest(database.sql, [{ source: JSON_FIXTURE }], { today: "2026-11-28" });
    paperIds = (
      await database.db.paper.findMany({ select: { id: true }, orderBy: { id: "asc" } })
    ).map((p) => p.id);
    for (let i = 0; i < 6; i++) {
      await createUser(database.db, `http${i}`);
      tokens.push((await createToken(database.db, `http${i}`)).token);
    }
  });
  afterEach(async () => {
    await Promise.all(servers.map((server) => server.close()));
    servers = [];
  });
  afterAll(async () => {
    await database?.destroy();
  });

  describe("metrics", () => {
    it("keeps the scrape small and its labels bounded, whatever names and URLs clients send", async () => {
      const metrics = createMetrics({ token: METRICS_TOKEN });
      const yoga = createServer({ db: database.db, provider, metrics, metricsEndpoint: true });
      const one = async (i: number) => {
        const named = await yoga.fetch("http://papergraph.test/graphql", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query: `query Client${i}Operation { __typename }` }),
          signal: requests.signal,
        });
        expect(named.status).toBe(200);
        const get = await yoga.fetch(
          `http://papergraph.test/graphql?query=%7B__typename%7D&nonce=${i}-${"x".repeat(100)}`,
          { signal: requests.signal },
        );
        expect(get.status).toBe(200);
        await (await yoga.fetch(`http://papergraph.test/nowhere/${i}`)).text();
      };
      // 1,000 of each kind (3,000 requests), 20 at a time.
      for (let i = 0; i < 1000; i += 20) {
        await Promise.all(Array.from({ length: 20 }, (_, j) => one(i + j)));
      }
      const scrape = await yoga.fetch("http://papergraph.test/metrics", {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
        signal: requests.signal,
      });
      expect(scrape.status).toBe(200);
      const text = await scrape.text();
      expect(Buffer.byteLength(text)).toBeLessThan(100_000);
      const values = labelValues(text);
      // The first OPERATION_NAMES names, then "other"; "anonymous" for the unnamed GET.
      expect(values.get("operation")?.size).toBeLessThanOrEqual(OPERATION_NAMES + 2);
      expect(values.get("operation")).toContain("other");
      expect(values.get("route")).toEqual(new Set(["/graphql", "other"]));
      expect(text).not.toMatch(/nonce|nowhere|Client999Operation/);
      expect(text).toMatch(
        /papergraph_graphql_operations_total\{[^}]*operation="other"[^}]*\} \d+/,
      );
    });

    it("serves /metrics on the API port only behind its token", async () => {
      const open = await serve();
      expect((await send(`${open.base}/metrics`)).status).toBe(404);
      const guarded = await serve({
        metrics: createMetrics({ token: METRICS_TOKEN }),
        metricsEndpoint: true,
      });
      const none = await send(`${guarded.base}/metrics`);
      expect(none.status).toBe(401);
      expect(none.json.errors[0].extensions).toEqual({
        code: "UNAUTHENTICATED",
        reason: "no metrics token",
      });
      const wrong = await send(`${guarded.base}/metrics`, {
        headers: { authorization: "Bearer not-the-metrics-token" },
      });
      expect(wrong.status).toBe(401);
      const right = await send(`${guarded.base}/metrics`, {
        headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      });
      expect(right.status).toBe(200);
      expect(right.json).toMatch(/papergraph_http_requests_total/);
    });
  });

  describe("the body limit", () => {
    it("refuses a chunked body over the limit with PAYLOAD_TOO_LARGE, unexecuted", async () => {
      const server = await serve();
      const paperId = paperIds[0] as number;
      const before = await database.db.vote.count({ where: { paperId } });
      const answer = await chunkedPost(
        server.url,
        `mutation { upvotePaper(input: { paperId: "${paperGid(paperId)}" }) { changed } }`,
        70 * 1024,
        tokens[0],
      );
      // As sent by the server (the client may see the connection reset instead: see listen()).
      expect(server.sent.map(({ status, body }) => ({ status, body: JSON.parse(body) }))).toEqual([
        {
          status: 413,
          body: {
            errors: [
              {
                message: "the request body exceeds the size limit",
                extensions: { code: "PAYLOAD_TOO_LARGE" },
              },
            ],
          },
        },
      ]);
      expect([0, 413]).toContain(answer.status);
      expect(await database.db.vote.count({ where: { paperId } })).toBe(before);
      // The same mutation, small, runs: the refusal was the size's.
      const small = await chunkedPost(
        server.url,
        `mutation { upvotePaper(input: { paperId: "${paperGid(paperId)}" }) { changed } }`,
        1024,
        tokens[0],
      );
      expect(small.status).toBe(200);
      expect(await database.db.vote.count({ where: { paperId } })).toBe(before + 1);
    });

    it("stops reading a 20 MB chunked body at the limit", async () => {
      const server = await serve();
      const paperId = paperIds[2] as number;
      const before = await database.db.vote.count({ where: { paperId } });
      const answer = await chunkedPost(
        server.url,
        `mutation { upvotePaper(input: { paperId: "${paperGid(paperId)}" }) { changed } }`,
        20 * 1024 * 1024,
        tokens[3],
      );
      // The server answered 413 and closed the connection. The client usually reads that answer;
      // it may instead see the connection reset, since the server does not read the rest.
      expect(server.sent).toHaveLength(1);
      expect(server.sent[0]?.status).toBe(413);
      expect(JSON.parse(server.sent[0]?.body ?? "").errors[0].extensions).toEqual({
        code: "PAYLOAD_TOO_LARGE",
      });
      expect([0, 413]).toContain(answer.status);
      await Promise.all(
        server.sockets.map((socket) => (socket.destroyed ? undefined : once(socket, "close"))),
      );
      // It read little more than the limit, whatever the client had sent by then.
      const read = server.sockets.reduce((sum, socket) => sum + socket.bytesRead, 0);
      expect(read).toBeLessThan(4 * REQUEST_LIMITS.bodyBytes);
      expect(answer.written).toBeLessThan(20 * 1024 * 1024);
      expect(await database.db.vote.count({ where: { paperId } })).toBe(before);
    });

    it("refuses a declared Content-Length over the limit with PAYLOAD_TOO_LARGE", async () => {
      const server = await serve();
      const answer = await gql(server.url, "{ __typename }", {
        variables: { pad: "x".repeat(REQUEST_LIMITS.bodyBytes) },
      });
      expect(answer.status).toBe(413);
      expect(answer.json.errors[0].extensions).toEqual({ code: "PAYLOAD_TOO_LARGE" });
    });
  });

  describe("what operations cost", () => {
    it("charges counts, filters and aggregates what they cost, before anything runs", async () => {
      const server = await serve();
      const cost = async (selection: string) => {
        const answer = await gql(server.url, `{ rateLimit { cost } ${selection} }`);
        return answer.json;
      };
      // A count is charged once, whatever the page size; items are charged per item.
      const countOne = "papers(first: 1) { totalCount }";
      const countHundred = "papers(first: 100) { totalCount }";
      const noBudget = { rateLimit: null };
      expect((await cost(countOne)).data).toMatchObject(noBudget);
      const seen = statements.length;
      const authorCounts = Array.from(
        { length: 30 },
        (_, i) => `a${i}: papers(first: 1, filter: { author: "e${i}" }) { totalCount }`,
      ).join(" ");
      const refused = await gql(server.url, `{ ${authorCounts} }`);
      expect(refused.json.data).toBeUndefined();
      expect(refused.json.errors[0].extensions).toEqual({
        code: "QUERY_TOO_COMPLEX",
        kind: "complexity",
        value: 30 * (2 + 4_000 + 5_000),
        limit: 50_000,
      });
      const topAuthors = Array.from(
        { length: 28 },
        (_, i) => `t${i}: topAuthors(from: "2024-01-01", to: "2025-12-31") { papers }`,
      ).join(" ");
      const refusedAggregates = await gql(server.url, `{ ${topAuthors} }`);
      expect(refusedAggregates.json.errors[0].extensions.code).toBe("QUERY_TOO_COMPLEX");
      // Refused before they ran: not one SQL statement.
      expect(statements.slice(seen)).toEqual([]);
      // What is allowed still runs, and costs what the model says.
      const budgeted = await serve({ queryBudget: memoryQueryBudget(1_000_000, 3600) });
      const costOf = async (selection: string) => {
        const answer = await gql(budgeted.url, `{ rateLimit { cost } ${selection} }`);
        expect(answer.json.errors).toBeUndefined();
        return (answer.json.data.rateLimit.cost as number) - COSTS.operation - 2;
      };
      expect(await costOf(countOne)).toBe(2 + 5_000);
      expect(await costOf(countHundred)).toBe(2 + 5_000);
      expect(await costOf("papers(first: 100) { nodes { title } }")).toBe(2 + 100 * 2);
      expect(
        await costOf('papers(first: 10, filter: { search: "model" }) { nodes { title } }'),
      ).toBe(2 + 10_000 + 10 * 2);
      expect(await costOf('topAuthors(from: "2024-10-01", to: "2024-10-31") { papers }')).toBe(
        31 * 75 + 10 * 1,
      );
    });

    it("costs one document by its variables, and a repeated one as the first time", async () => {
      const server = await serve({ queryBudget: memoryQueryBudget(1_000_000, 3600) });
      // The same text: Yoga's parser cache hands out one document, whose costs are remembered.
      const query =
        "query Page($n: Int) { rateLimit { cost } papers(first: $n) { nodes { title } } }";
      const costOf = async (n: number) => {
        const answer = await gql(server.url, query, { variables: { n } });
        expect(answer.json.errors).toBeUndefined();
        return (answer.json.data.rateLimit.cost as number) - COSTS.operation - 2;
      };
      expect(await costOf(10)).toBe(2 + 10 * 2);
      expect(await costOf(100)).toBe(2 + 100 * 2);
      expect(await costOf(10)).toBe(2 + 10 * 2);
      for (let n = 1; n <= 20; n++) expect(await costOf(n)).toBe(2 + n * 2);
      expect(await costOf(100)).toBe(2 + 100 * 2);
    });

    it("charges each client's budget, refuses beyond it with BUDGET_EXCEEDED, and runs nothing", async () => {
      const server = await serve({ queryBudget: memoryQueryBudget(20_000, 3600) });
      const query = `{ rateLimit { cost limit remaining resetAt } papers(first: 1, filter: { author: "a" }) { totalCount } }`;
      const cost = COSTS.operation + 2 + 4_000 + 5_000 + 5;
      const first = await gql(server.url, query, { localAddress: "127.0.0.1" });
      expect(first.status).toBe(200);
      expect(first.json.data.rateLimit).toMatchObject({
        cost,
        limit: 20_000,
        remaining: 20_000 - cost,
      });
      expect(first.headers["ratelimit-limit"]).toBe("20000");
      expect(first.headers["ratelimit-remaining"]).toBe(String(20_000 - cost));
      expect(Number(first.headers["ratelimit-reset"])).toBeGreaterThan(0);
      const second = await gql(server.url, query, { localAddress: "127.0.0.1" });
      expect(second.json.data.rateLimit.remaining).toBe(20_000 - 2 * cost);
      const seen = statements.length;
      const third = await gql(server.url, query, { localAddress: "127.0.0.1" });
      expect(third.status).toBe(429);
      expect(Number(third.headers["retry-after"])).toBeGreaterThan(0);
      expect(third.json.data).toBeUndefined();
      expect(third.json.errors[0].extensions).toMatchObject({
        code: "BUDGET_EXCEEDED",
        cost,
        limit: 20_000,
        remaining: 20_000 - 2 * cost,
      });
      expect(third.json.errors[0].extensions.retryAfterSeconds).toBeGreaterThan(0);
      expect(statements.slice(seen)).toEqual([]);
      // A refused operation spends nothing: a cheap one still fits.
      const cheap = await gql(server.url, "{ rateLimit { remaining } }", {
        localAddress: "127.0.0.1",
      });
      expect(cheap.json.data.rateLimit.remaining).toBe(20_000 - 2 * cost - COSTS.operation - 2);
      // Another address, and a signed-in user (from the same address), have budgets of their own.
      const other = await gql(server.url, query, { localAddress: "127.0.0.2" });
      expect(other.json.data.rateLimit.remaining).toBe(20_000 - cost);
      const user = await gql(server.url, query, {
        localAddress: "127.0.0.1",
        token: tokens[1],
      });
      expect(user.json.data.rateLimit.remaining).toBe(20_000 - cost);
    });

    it.skipIf(!redisAvailable)(
      "shares the budget between server processes through Redis",
      async () => {
        const { Redis } = await import("ioredis");
        const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
        const prefix = `papergraph:test-budget:${randomBytes(6).toString("hex")}`;
        try {
          const budget = () => redisQueryBudget(redis, 12_000, 3600, prefix);
          const a = await serve({ queryBudget: budget() });
          const b = await serve({ queryBudget: budget() });
          const query = `{ rateLimit { remaining } papers(first: 1, filter: { author: "a" }) { totalCount } }`;
          const spent = await gql(a.url, query);
          expect(spent.json.data.rateLimit.remaining).toBe(12_000 - COSTS.operation - 9_004);
          const refused = await gql(b.url, query);
          expect(refused.status).toBe(429);
          expect(refused.json.errors[0].extensions.code).toBe("BUDGET_EXCEEDED");
        } finally {
          const keys = await redis.keys(`${prefix}:*`);
          if (keys.length > 0) await redis.del(...keys);
          redis.disconnect();
        }
      },
    );

    // PostgreSQL only: SQLite cannot interrupt a statement (README, "Limits").
    if (provider === "postgresql") {
      it("stops a statement that runs past STATEMENT_TIMEOUT_MS, with a typed error", async () => {
        const timed = await connect(withStatementTimeout(database.target, 300));
        const locker = new pg.Client({ connectionString: database.target.url });
        await locker.connect();
        try {
          expect(await timed.db.$queryRawUnsafe("SHOW statement_timeout")).toEqual([
            { statement_timeout: "300ms" },
          ]);
          const server = await listen(
            createServer({ db: timed.db, provider, statementTimeoutMs: 300 }),
          );
          servers.push(server);
          // A statement that cannot finish: the table is locked by another transaction.
          await locker.query('BEGIN; LOCK TABLE "Paper" IN ACCESS EXCLUSIVE MODE');
          const started = performance.now();
          const answer = await gql(server.url, "{ papers(first: 1) { nodes { title } } }");
          expect(performance.now() - started).toBeLessThan(10_000);
          expect(answer.json.errors[0].extensions).toEqual({
            code: "QUERY_TOO_COMPLEX",
            kind: "time",
            value: 300,
            limit: 300,
          });
        } finally {
          await locker.query("ROLLBACK").catch(() => {});
          await locker.end();
          await timed.close();
        }
      });
    }
  });

  describe("cross-site requests", () => {
    it("refuses form, multipart and text bodies (no CSRF votes)", async () => {
      const server = await serve();
      const paperId = paperIds[1] as number;
      const before = await database.db.vote.count({ where: { paperId } });
      const mutation = `mutation { upvotePaper(input: { paperId: "${paperGid(paperId)}" }) { changed } }`;
      const auth = { authorization: `Bearer ${tokens[2]}` };
      const form = await send(server.url, {
        headers: { "content-type": "application/x-www-form-urlencoded", ...auth },
        body: new URLSearchParams({ query: mutation }).toString(),
      });
      const boundary = "----papergraph";
      const multipart = await send(server.url, {
        headers: { "content-type": `multipart/form-data; boundary=${boundary}`, ...auth },
        body: `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ query: mutation })}\r\n--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{}\r\n--${boundary}--\r\n`,
      });
      const text = await send(server.url, {
        headers: { "content-type": "text/plain", ...auth },
        body: JSON.stringify({ query: mutation }),
      });
      for (const answer of [form, multipart, text]) {
        expect(answer.status).toBe(415);
        expect(answer.json.errors[0].extensions).toEqual({ code: "UNSUPPORTED_MEDIA_TYPE" });
      }
      expect(await database.db.vote.count({ where: { paperId } })).toBe(before);
      // As JSON, the same mutation runs.
      const json = await gql(server.url, mutation, { token: tokens[2] });
      expect(json.json.data.upvotePaper.changed).toBe(true);
    });

    it("gives credentials to the allowed origins only", async () => {
      const allowed = "https://app.papergraph.test";
      const server = await serve({ corsOrigins: [allowed] });
      const query = JSON.stringify({ query: "{ __typename }" });
      const json = { "content-type": "application/json" };
      const mine = await send(server.url, { headers: { ...json, origin: allowed }, body: query });
      expect(mine.headers["access-control-allow-origin"]).toBe(allowed);
      expect(mine.headers["access-control-allow-credentials"]).toBe("true");
      expect(mine.headers.vary).toMatch(/Origin/);
      const preflight = await send(server.url, {
        method: "OPTIONS",
        headers: {
          origin: allowed,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type, authorization",
        },
      });
      expect(preflight.headers["access-control-allow-origin"]).toBe(allowed);
      expect(preflight.headers["access-control-allow-credentials"]).toBe("true");
      const evil = "https://evil.test";
      const theirs = await send(server.url, { headers: { ...json, origin: evil }, body: query });
      expect(theirs.status).toBe(200);
      expect(theirs.headers["access-control-allow-origin"]).toBeUndefined();
      expect(theirs.headers["access-control-allow-credentials"]).toBeUndefined();
      const theirPreflight = await send(server.url, {
        method: "OPTIONS",
        headers: {
          origin: evil,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type, authorization",
        },
      });
      expect(theirPreflight.headers["access-control-allow-origin"]).toBeUndefined();
      expect(theirPreflight.headers["access-control-allow-credentials"]).toBeUndefined();
      // Without an allowlist: any origin may read, never with credentials.
      const open = await serve();
      const anyone = await send(open.url, { headers: { ...json, origin: evil }, body: query });
      expect(anyone.headers["access-control-allow-origin"]).toBe(evil);
      expect(anyone.headers["access-control-allow-credentials"]).toBeUndefined();
      const openPreflight = await send(open.url, {
        method: "OPTIONS",
        headers: {
          origin: evil,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type, authorization",
        },
      });
      expect(openPreflight.status).toBeLessThan(300);
      expect(openPreflight.headers["access-control-allow-origin"]).toBe(evil);
      expect(openPreflight.headers["access-control-allow-methods"]).toMatch(/POST/);
      expect(openPreflight.headers["access-control-allow-headers"]).toMatch(/authorization/i);
      expect(openPreflight.headers["access-control-allow-credentials"]).toBeUndefined();
    });
  });

  describe("identity providers' JWTs", () => {
    const secret = "a-shared-secret-of-at-least-32-chars!";
    const VIEWER = "{ viewer { user { handle } } }";
    const now = () => Math.floor(Date.now() / 1000);

    it("refuses tokens without an expiry, too long-lived, badly signed or with a non-string subject, each with its reason", async () => {
      const server = await serve({ jwt: { secret, maxLifetimeSeconds: 86_400 } });
      const reasonOf = async (token: string) => {
        const answer = await gql(server.url, VIEWER, { token });
        expect(answer.status).toBe(401);
        expect(answer.json.errors[0].extensions.code).toBe("UNAUTHENTICATED");
        return answer.json.errors[0].extensions.reason as string;
      };
      expect(await reasonOf(jwt.sign({ sub: "j1" }, secret))).toBe("the token has no expiry (exp)");
      expect(await reasonOf(jwt.sign({ sub: "j1" }, secret, { expiresIn: "2d" }))).toMatch(
        /valid for longer than the 86400 s/,
      );
      expect(
        await reasonOf(jwt.sign({ sub: "j1", iat: now() - 3 * 86_400, exp: now() + 600 }, secret)),
      ).toMatch(/valid for longer/);
      expect(
        await reasonOf(
          jwt.sign({ sub: "j1" }, "another-secret-of-32-characters-long!", { expiresIn: "1h" }),
        ),
      ).toBe("invalid JWT: invalid signature");
      expect(await reasonOf(jwt.sign({ sub: 42 }, secret, { expiresIn: "1h" }))).toMatch(
        /subject \(sub\) is not a string/,
      );
      expect(await reasonOf(jwt.sign({ sub: "j1" }, secret, { expiresIn: -60 }))).toBe(
        "expired token",
      );
      const good = await gql(server.url, VIEWER, {
        token: jwt.sign({ sub: "j1", preferred_username: 7 }, secret, { expiresIn: "1h" }),
      });
      expect(good.json).toEqual({ data: { viewer: { user: { handle: "j1" } } } });
    });

    it("caches the provider's keys: unknown key ids are refused, and fetch them at most once a refresh period", async () => {
      const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
      let fetches = 0;
      const jwks = createHttpServer((_request, response) => {
        fetches += 1;
        response.writeHead(200, { "content-type": "application/json" });
        response.end(
          JSON.stringify({
            keys: [{ ...publicKey.export({ format: "jwk" }), kid: "k1", use: "sig" }],
          }),
        );
      });
      await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
      servers.push({
        close: () => new Promise((resolve) => jwks.close(() => resolve())),
      });
      const server = await serve({
        jwt: {
          jwksUri: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`,
          jwksRefreshSeconds: 3600,
        },
      });
      const sign = (kid: string, sub: string) =>
        jwt.sign({ sub }, privateKey, { algorithm: "RS256", keyid: kid, expiresIn: "1h" });
      const good = await gql(server.url, VIEWER, { token: sign("k1", "jwks-user") });
      expect(good.json.data.viewer.user.handle).toBe("jwks-user");
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          gql(server.url, VIEWER, { token: sign(`unknown-${i}`, "jwks-user") }),
        ),
      );
      for (const answer of answers) {
        expect(answer.status).toBe(401);
        expect(answer.json.errors[0].extensions).toEqual({
          code: "UNAUTHENTICATED",
          reason: expect.stringMatching(/^unknown signing key "unknown-\d+"$/),
        });
      }
      // The first token fetched the keys; the unknown ones at most once more.
      expect(fetches).toBeLessThanOrEqual(2);
      expect((await gql(server.url, VIEWER, { token: sign("k1", "jwks-user") })).status).toBe(200);
    });

    it("creates each provider user once, however many first requests race", async () => {
      const server = await serve({ jwt: { secret } });
      const subject = `racer-${randomBytes(4).toString("hex")}`;
      const token = jwt.sign({ sub: subject, preferred_username: "racer" }, secret, {
        expiresIn: "1h",
      });
      const answers = await Promise.all(
        Array.from({ length: 60 }, () => gql(server.url, VIEWER, { token })),
      );
      for (const answer of answers) expect(answer.json.errors).toBeUndefined();
      expect(await database.db.user.count({ where: { externalSubject: `|${subject}` } })).toBe(1);
      // Different subjects wanting the same handle at once: each gets a user, handles unique.
      const namesakes = Array.from({ length: 20 }, (_, i) =>
        jwt.sign({ sub: `${subject}-${i}`, preferred_username: "namesake" }, secret, {
          expiresIn: "1h",
        }),
      );
      const created = await Promise.all(
        namesakes.map((t) => gql(server.url, VIEWER, { token: t })),
      );
      const handles = created.map((answer) => answer.json.data.viewer.user.handle as string);
      expect(new Set(handles).size).toBe(20);
    });
  });
});

describe("metrics on a port of their own (METRICS_PORT)", () => {
  it("serves /metrics there, and not on the API port", async () => {
    const { target, drop } = await createTestTarget("sqlite");
    const server = startServerProcess(
      {
        DATABASE_URL: target.url,
        SAMPLE_DATA: "false",
        LOG_LEVEL: "info",
        METRICS_PORT: "0",
      },
      { signal: requests.signal },
    );
    try {
      const url = await server.url;
      // The log line comes on standard error, the URL on standard output: either may come first.
      const deadline = Date.now() + 30_000;
      let logged = /"port":(\d+),"msg":"metrics listening"/.exec(server.stderr());
      while (!logged && Date.now() < deadline) {
        await sleep(50, undefined, { signal: requests.signal });
        logged = /"port":(\d+),"msg":"metrics listening"/.exec(server.stderr());
      }
      expect(logged, server.stderr()).not.toBeNull();
      const metricsPort = Number(logged?.[1]);
      expect((await send(url.replace("/graphql", "/metrics"))).status).toBe(404);
      const scrape = await send(`http://127.0.0.1:${metricsPort}/metrics`);
      expect(scrape.status).toBe(200);
      expect(scrape.json).toMatch(
        /papergraph_http_requests_total\{route="\/metrics",method="GET",status="404"\} 1/,
      );
    } finally {
      server.child.kill("SIGKILL");
      await server.exited;
      await drop();
    }
  }, 180_000);
});

describe("who a client is, for its budget", () => {
  it("keys IPv4 addresses as they are and IPv6 ones by their /64", () => {
    expect(addressKey("203.0.113.9")).toBe("203.0.113.9");
    expect(addressKey("::ffff:203.0.113.9")).toBe("203.0.113.9");
    expect(addressKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8::1%eth0")).toBe("2001:db8:0:0::/64");
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
  });

  it("believes X-Forwarded-For only as far as TRUST_PROXY_HOPS says", () => {
    // Not behind a proxy: whatever the client writes in the header is ignored.
    expect(clientAddress("198.51.100.7", "203.0.113.1", 0)).toBe("198.51.100.7");
    // One proxy: the last entry is the address it saw; earlier ones are the client's own words.
    expect(clientAddress("10.0.0.2", "203.0.113.1, 198.51.100.7", 1)).toBe("198.51.100.7");
    expect(clientAddress("10.0.0.2", "203.0.113.1, 198.51.100.7, 10.0.0.1", 2)).toBe(
      "198.51.100.7",
    );
    expect(clientAddress("10.0.0.2", "not an address", 1)).toBe("10.0.0.2");
    expect(clientAddress("10.0.0.2", null, 1)).toBe("10.0.0.2");
  });
});

describe("the cost walk", () => {
  it("spreads a fragment once however often it is spread, so no document makes it exponential", () => {
    const levels = 30;
    const fragments = Array.from(
      { length: levels },
      (_, i) =>
        `fragment F${i} on Query { ${i + 1 < levels ? `...F${i + 1} ...F${i + 1}` : "__typename"} }`,
    ).join("\n");
    const started = performance.now();
    const cost = operationCost(schema, parse(`{ ...F0 }\n${fragments}`), undefined, {}, {});
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(cost).toEqual({ complexity: 1, depth: 1, breadth: 1 });
  });

  it("costs fragments on connections and on interfaces like the fields they spread", () => {
    const cost = (query: string) => operationCost(schema, parse(query), undefined, {}, {});
    const plain = cost("{ papers(first: 50) { totalCount nodes { title } } }");
    expect(plain?.complexity).toBe(2 + 5_000 + 50 * 2);
    expect(
      cost(
        "{ papers(first: 50) { ...Page } } fragment Page on PaperConnection { totalCount nodes { ...T } } fragment T on Paper { title }",
      ),
    ).toEqual(plain);
    expect(cost('{ node(id: "UGFwZXI6MQ==") { ... on Paper { title } } }')?.complexity).toBe(2);
    // Variables count as their values; an operation whose variables do not fit is left to
    // execution (which refuses it before any resolver runs).
    const byVariable = "query($n: Int) { papers(first: $n) { nodes { title } } }";
    expect(operationCost(schema, parse(byVariable), undefined, { n: 10 }, {})?.complexity).toBe(22);
    expect(operationCost(schema, parse(byVariable), undefined, { n: "x" }, {})).toBeUndefined();
  });
});

describe("the HTTP settings", () => {
  it("names each wrong value", () => {
    const problems = () => {
      try {
        loadConfig({
          PORT: "4000",
          METRICS_PORT: "4000",
          METRICS_TOKEN: "short",
          QUERY_BUDGET_PER_MINUTE: "lots",
          STATEMENT_TIMEOUT_MS: "5",
          TRUST_PROXY_HOPS: "-1",
          JWT_SECRET: "a-shared-secret-of-at-least-32-chars!",
          JWT_MAX_LIFETIME_SECONDS: "1.5",
          CORS_ORIGINS: "https://app.example, https://app.example/path",
        });
      } catch (error) {
        return (error as Error).message;
      }
      return "";
    };
    const message = problems();
    expect(message).toMatch(/METRICS_PORT 4000 is the API's PORT/);
    expect(message).toMatch(/METRICS_TOKEN must be at least 16 characters/);
    expect(message).toMatch(/QUERY_BUDGET_PER_MINUTE "lots" is not a whole number/);
    expect(message).toMatch(/STATEMENT_TIMEOUT_MS "5" is not a whole number of at least 100/);
    expect(message).toMatch(/TRUST_PROXY_HOPS "-1"/);
    expect(message).toMatch(/JWT_MAX_LIFETIME_SECONDS "1.5"/);
    expect(message).toMatch(/"https:\/\/app.example\/path" is not an origin/);
    expect(message).not.toMatch(/"https:\/\/app.example" is not/);
  });

  it("defaults to a budget of 100,000 points a minute, a 5 s statement timeout, no metrics endpoint and open CORS without credentials", () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      queryBudgetPerMinute: 100_000,
      statementTimeoutMs: 5_000,
      trustProxyHops: 0,
      corsOrigins: undefined,
      metrics: { token: undefined, port: undefined },
    });
    const postgres = withStatementTimeout(
      { provider: "postgresql", url: "postgresql://u@db:5432/papers?sslmode=require" },
      5_000,
    );
    expect(postgres.url).toBe(
      "postgresql://u@db:5432/papers?sslmode=require&statement_timeout=5000",
    );
    const own = {
      provider: "postgresql" as const,
      url: "postgresql://u@db/p?statement_timeout=900",
    };
    expect(withStatementTimeout(own, 5_000)).toEqual(own);
  });
});
