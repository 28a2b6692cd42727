/**
 * Issue 10, how answers travel: compression, HTTP caching of GET queries (Cache-Control, ETag and
 * 304, Vary), automatic persisted queries and trusted documents, OpenTelemetry spans sent to a
 * collector. Real requests over node:http to a server on each engine's database (the raw bytes:
 * a compressed answer is decoded here, not by the client).
 *
 * Each test uses its own server; the one test that writes (a vote) votes as its own user on a
 * paper of its own. Every request takes the running test's signal, aborted when the test ends.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import {
  createServer as createHttpServer,
  type Server as HttpServer,
  request as httpRequest,
  type IncomingHttpHeaders,
} from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync, brotliDecompressSync, constants, gunzipSync } from "node:zlib";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createToken, createUser } from "../src/auth/tokens.ts";
import { loadConfig } from "../src/config.ts";
import { directOf } from "../src/db/client.ts";
import { type DataVersion, openDataVersion } from "../src/db/data-version.ts";
import { BROTLI_QUALITY, chooseEncoding } from "../src/http/compression.ts";
import { persistedOperations } from "../src/http/persisted.ts";
import { openTracing } from "../src/http/tracing.ts";
import { createServer, type ServerOptions } from "../src/server.ts";
import { createTestDatabase, ENGINES, type TestDatabase } from "./support/engines.ts";
import { loadCorpus } from "./support/ingest.ts";
import { abortedWithEachTest } from "./support/requests.ts";

const requests = abortedWithEachTest();

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The bytes as sent (encoded, if they were). */
  raw: Buffer;
  /** The body decoded per its Content-Encoding. */
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
  json: any;
}

function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: options.method ?? (options.body === undefined ? "GET" : "POST"),
      headers: options.headers,
      agent: false,
      signal: requests.signal,
    });
    req.on("error", reject);
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const raw = Buffer.concat(chunks);
        const encoding = res.headers["content-encoding"];
        const text = (
          encoding === "gzip"
            ? gunzipSync(raw)
            : encoding === "br"
              ? brotliDecompressSync(raw)
              : raw
        ).toString("utf8");
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = text;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, text, json });
      });
    });
    req.end(options.body);
  });
}

const JSON_HEADERS = { "content-type": "application/json", accept: "application/json" };

/** A POST of a GraphQL request body. */
function post(url: string, body: object, headers: Record<string, string> = {}) {
  return send(url, { headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) });
}

/** A GET with the request's parameters in the URL (objects as JSON), as Apollo's clients send. */
function get(url: string, params: Record<string, unknown>, headers: Record<string, string> = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    search.set(key, typeof value === "string" ? value : JSON.stringify(value));
  }
  return send(`${url}?${search}`, { headers: { accept: "application/json", ...headers } });
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

async function listen(handler: Parameters<typeof createHttpServer>[1]) {
  const http: HttpServer = createHttpServer(handler);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  return {
    base,
    url: `${base}/graphql`,
    close: async () => {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}

/** A page of 50 papers as a front end asks for it: about 70 KB of JSON. */
const PAGE_OF_50 = `query Page { papers(first: 50) { edges { cursor node { id title abstract upvotes publishedAt arxivUrl codeUrl authors { name } } } pageInfo { hasNextPage endCursor } } }`;
const SMALL = `query Small { papers(first: 1) { nodes { title } } }`;
const paperGid = (id: number) => Buffer.from(`Paper:${id}`).toString("base64");

describe.each(ENGINES)("how answers travel on %s", (provider) => {
  let database: TestDatabase;
  let version: DataVersion;
  let corpus: string;
  let token: string;
  let servers: { close(): Promise<void> }[] = [];

  /** A server with the response cache, over HTTP, closed when the test ends. */
  async function serve(options: Partial<ServerOptions> = {}) {
    const yoga = createServer({
      db: database.db,
      provider,
      responseCache: { version },
      ...options,
    });
    const server = await listen(yoga);
    servers.push(server);
    return server;
  }

  beforeAll(async () => {
    database = await createTestDatabase(provider);
    corpus = await loadCorpus(database.sql, { days: 3, papers: 20, textEvery: 1000 });
    version = openDataVersion(database.target, directOf(database.db));
    await createUser(database.db, "delivery");
    token = (await createToken(database.db, "delivery")).token;
  }, 120_000);
  afterEach(async () => {
    await Promise.all(servers.map((server) => server.close()));
    servers = [];
  });
  afterAll(async () => {
    version?.close();
    await database?.destroy();
    if (corpus) rmSync(corpus, { recursive: true, force: true });
  });

  describe("compression", () => {
    it("sends a 50-paper page gzip- or brotli-encoded, decoding to the same JSON", async () => {
      const server = await serve({ responseCache: undefined });
      const plain = await post(server.url, { query: PAGE_OF_50 });
      expect(plain.status).toBe(200);
      expect(plain.json.data.papers.edges).toHaveLength(50);
      expect(plain.headers["content-encoding"]).toBeUndefined();
      expect(plain.raw.length).toBeGreaterThan(50_000);
      expect(plain.headers.vary).toMatch(/Accept-Encoding/);

      const gzip = await post(server.url, { query: PAGE_OF_50 }, { "accept-encoding": "gzip" });
      expect(gzip.headers["content-encoding"]).toBe("gzip");
      expect(gzip.raw.length).toBeLessThan(plain.raw.length / 2);
      expect(gzip.text).toBe(plain.text);

      // What browsers send: brotli is preferred.
      const br = await post(
        server.url,
        { query: PAGE_OF_50 },
        { "accept-encoding": "gzip, deflate, br, zstd" },
      );
      expect(br.headers["content-encoding"]).toBe("br");
      expect(br.raw.length).toBeLessThan(plain.raw.length / 2);
      expect(br.text).toBe(plain.text);
      // At the quality of src/http/compression.ts, not zlib's default (11: 250 ms of CPU here).
      const atQuality = (quality: number) =>
        brotliCompressSync(plain.raw, { params: { [constants.BROTLI_PARAM_QUALITY]: quality } });
      expect(br.raw.length).toBe(atQuality(BROTLI_QUALITY).length);
      expect(br.raw.length).not.toBe(atQuality(11).length);

      // q=0 refuses an encoding.
      const refused = await post(
        server.url,
        { query: PAGE_OF_50 },
        { "accept-encoding": "br;q=0, gzip;q=0.5" },
      );
      expect(refused.headers["content-encoding"]).toBe("gzip");
      const none = await post(
        server.url,
        { query: PAGE_OF_50 },
        { "accept-encoding": "identity, *;q=0" },
      );
      expect(none.headers["content-encoding"]).toBeUndefined();
      expect(none.text).toBe(plain.text);
    });

    it("leaves small answers and event streams as they are", async () => {
      const server = await serve();
      const small = await post(server.url, { query: SMALL }, { "accept-encoding": "gzip, br" });
      expect(small.status).toBe(200);
      expect(small.raw.length).toBeLessThan(1024);
      expect(small.headers["content-encoding"]).toBeUndefined();

      // A subscription's event stream: opened, its headers read, closed.
      const headers = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
        const req = httpRequest(server.url, {
          method: "POST",
          agent: false,
          signal: requests.signal,
          headers: {
            "content-type": "application/json",
            accept: "text/event-stream",
            "accept-encoding": "gzip, br",
          },
        });
        req.on("error", reject);
        req.on("response", (res) => {
          resolve(res.headers);
          res.destroy();
        });
        req.end(
          JSON.stringify({ query: `subscription { dayRanking(date: "2024-10-25") { upvotes } }` }),
        );
      });
      expect(headers["content-type"]).toMatch(/^text\/event-stream/);
      // Yoga says `none` to proxies of an event stream; never an encoding.
      expect(headers["content-encoding"] ?? "none").toBe("none");
    });

    it("reads Accept-Encoding as RFC 9110 does", () => {
      expect(chooseEncoding(null)).toBeUndefined();
      expect(chooseEncoding("gzip")).toBe("gzip");
      expect(chooseEncoding("gzip, br")).toBe("br");
      expect(chooseEncoding("br;q=0.5, gzip")).toBe("gzip");
      expect(chooseEncoding("*")).toBe("br");
      expect(chooseEncoding("*;q=0")).toBeUndefined();
      expect(chooseEncoding("deflate, identity")).toBeUndefined();
      expect(chooseEncoding("GZIP;Q=1")).toBe("gzip");
    });
  });

  describe("HTTP caching of GET queries", () => {
    it("makes anonymous GET queries public, with an ETag that answers 304 until the data changes", async () => {
      const server = await serve();
      const first = await get(server.url, { query: SMALL });
      expect(first.status).toBe(200);
      expect(first.headers["cache-control"]).toBe("public, max-age=0, must-revalidate");
      expect(first.headers.vary).toMatch(/Accept-Encoding/);
      expect(first.headers.vary).toMatch(/Authorization/);
      const etag = first.headers.etag as string;
      // Quoted, and weak: the same answer is also sent compressed.
      expect(etag).toMatch(/^W\/"[^"\s]+"$/);

      const again = await get(server.url, { query: SMALL }, { "if-none-match": etag });
      expect(again.status).toBe(304);
      expect(again.raw.length).toBe(0);
      expect(again.headers.etag).toBe(etag);
      expect(again.headers["cache-control"]).toBe("public, max-age=0, must-revalidate");
      expect(again.headers.vary).toMatch(/Accept-Encoding/);

      // A vote moves the data version: the same tag now gets the fresh answer, with a new tag.
      const paper = await database.db.paper.findFirstOrThrow({ orderBy: { id: "desc" } });
      const vote = await post(
        server.url,
        {
          query: `mutation($id: ID!) { upvotePaper(input: { paperId: $id }) { changed } }`,
          variables: { id: paperGid(paper.id) },
        },
        { authorization: `Bearer ${token}` },
      );
      expect(vote.json.data.upvotePaper.changed).toBe(true);
      expect(vote.headers["cache-control"]).toBe("private, no-store");
      const fresh = await get(server.url, { query: SMALL }, { "if-none-match": etag });
      expect(fresh.status).toBe(200);
      expect(fresh.headers.etag).toBeTruthy();
      expect(fresh.headers.etag).not.toBe(etag);
    });

    it("keeps credentials, mutations, POSTs, errors and per-request fields out of shared caches", async () => {
      const server = await serve();
      const signedIn = await get(
        server.url,
        { query: SMALL },
        { authorization: `Bearer ${token}` },
      );
      expect(signedIn.status).toBe(200);
      expect(signedIn.headers["cache-control"]).toBe("private, no-store");
      expect(signedIn.headers.etag).toBeUndefined();
      expect(signedIn.headers.vary).toMatch(/Authorization/);

      // Mutations over GET stay refused.
      const mutation = await get(server.url, {
        query: `mutation { upvotePaper(input: { paperId: "${paperGid(1)}" }) { changed } }`,
      });
      expect(mutation.status).toBe(405);
      expect(mutation.headers["cache-control"]).toBe("private, no-store");

      const posted = await post(server.url, { query: SMALL });
      expect(posted.status).toBe(200);
      expect(posted.headers["cache-control"]).toBe("private, no-store");

      const failed = await get(server.url, { query: `{ papers(first: 0) { nodes { title } } }` });
      expect(failed.json.errors[0].extensions.code).toBe("BAD_USER_INPUT");
      expect(failed.headers["cache-control"]).toBe("private, no-store");

      const perRequest = await get(server.url, { query: `{ rateLimit { remaining } }` });
      expect(perRequest.status).toBe(200);
      expect(perRequest.headers["cache-control"]).toBe("private, no-store");
    });

    it("takes max-age from HTTP_CACHE_MAX_AGE, and sends Cache-Control without the response cache", async () => {
      const server = await serve({ httpCacheMaxAge: 30, responseCache: undefined });
      const answer = await get(server.url, { query: SMALL });
      expect(answer.status).toBe(200);
      expect(answer.headers["cache-control"]).toBe("public, max-age=30, must-revalidate");
      // Without the response cache there is no data version, so no ETag.
      expect(answer.headers.etag).toBeUndefined();
    });
  });

  describe("automatic persisted queries", () => {
    it("answers an unknown hash PersistedQueryNotFound, then runs the hash alone once registered", async () => {
      const server = await serve();
      const query = `query Persisted { papers(first: 2) { nodes { title } } }`;
      const hash = sha256(query);

      const miss = await post(server.url, { extensions: persisted(hash) });
      expect(miss.status).toBe(404);
      expect(miss.json.errors).toEqual([
        expect.objectContaining({
          message: "PersistedQueryNotFound",
          extensions: expect.objectContaining({ code: "PERSISTED_QUERY_NOT_FOUND" }),
        }),
      ]);
      const missOverGet = await get(server.url, { extensions: persisted(hash) });
      expect(missOverGet.json.errors[0].message).toBe("PersistedQueryNotFound");

      const registered = await post(server.url, { query, extensions: persisted(hash) });
      expect(registered.status).toBe(200);
      expect(registered.json.data.papers.nodes).toHaveLength(2);

      const hit = await post(server.url, { extensions: persisted(hash) });
      expect(hit.status).toBe(200);
      expect(hit.json).toEqual(registered.json);
      // Over GET: a URL a CDN can cache.
      const hitOverGet = await get(server.url, { extensions: persisted(hash) });
      expect(hitOverGet.json).toEqual(registered.json);
      expect(hitOverGet.headers["cache-control"]).toBe("public, max-age=0, must-revalidate");

      const mismatch = await post(server.url, {
        query: SMALL,
        extensions: persisted(hash),
      });
      expect(mismatch.status).toBe(400);
      expect(mismatch.json.errors[0].extensions.code).toBe("PERSISTED_QUERY_MISMATCH");
    });
  });

  describe("trusted documents", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "papergraph-trusted-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("runs only the manifest's operations, named by hash", async () => {
      // The manifest as graphql-codegen's client preset writes it: SHA-256 of each document.
      const documents = [
        SMALL,
        `query Titles($first: Int!) { papers(first: $first) { nodes { title } } }`,
      ];
      const path = join(dir, "persisted-documents.json");
      writeFileSync(
        path,
        JSON.stringify(
          Object.fromEntries(documents.map((document) => [sha256(document), document])),
        ),
      );
      const config = loadConfig({ TRUSTED_DOCUMENTS: path });
      const server = await serve({ trustedDocuments: config.trustedDocuments });

      const trusted = await post(server.url, {
        variables: { first: 3 },
        extensions: persisted(sha256(documents[1] as string)),
      });
      expect(trusted.status).toBe(200);
      expect(trusted.json.data.papers.nodes).toHaveLength(3);
      const overGet = await get(server.url, { extensions: persisted(sha256(SMALL)) });
      expect(overGet.json.data.papers.nodes).toHaveLength(1);

      const unknown = await post(server.url, { extensions: persisted(sha256("{ __typename }")) });
      expect(unknown.status).toBe(404);
      expect(unknown.json.errors[0]).toMatchObject({
        message: "PersistedQueryNotFound",
        extensions: { code: "PERSISTED_QUERY_NOT_FOUND" },
      });
      // A document of its own is refused, even one of the manifest's, and so is no document.
      for (const body of [
        { query: "{ __typename }" },
        { query: SMALL },
        { query: SMALL, extensions: persisted(sha256(SMALL)) },
        {},
      ]) {
        const refused = await post(server.url, body);
        expect(refused.status, JSON.stringify(body)).toBe(400);
        expect(refused.json.errors[0].extensions.code, JSON.stringify(body)).toBe(
          "PERSISTED_QUERY_ONLY",
        );
      }
    });
  });

  describe("OpenTelemetry", () => {
    it("sends a span per operation to the OTLP endpoint", async () => {
      // A collector: receives OTLP/HTTP JSON at /v1/traces.
      const received: { path: string; type: string; body: string }[] = [];
      const collector = await listen((req, res) => {
        let body = "";
        req.setEncoding("utf8");
        req.on("data", (chunk) => {
          body += chunk;
        });
        req.on("end", () => {
          received.push({ path: req.url ?? "", type: req.headers["content-type"] ?? "", body });
          res.writeHead(200, { "content-type": "application/json" }).end("{}");
        });
      });
      servers.push(collector);
      const tracing = await openTracing({
        endpoint: `${collector.base}/`,
        serviceName: "papergraph-test",
        exportDelayMs: 50,
      });
      try {
        const server = await serve({ tracing: tracing.plugin });
        const answer = await post(server.url, {
          query: `query TracedPage { papers(first: 3) { nodes { title } } }`,
        });
        expect(answer.json.data.papers.nodes).toHaveLength(3);
      } finally {
        await tracing.shutdown();
      }
      expect(received.length).toBeGreaterThan(0);
      expect(received[0]?.path).toBe("/v1/traces");
      expect(received[0]?.type).toMatch(/application\/json/);
      const spans = received.flatMap((request) =>
        JSON.parse(request.body).resourceSpans.flatMap(
          (resource: {
            resource: { attributes: { key: string; value: { stringValue?: string } }[] };
            scopeSpans: { spans: { name: string; kind: number }[] }[];
          }) =>
            resource.scopeSpans.flatMap((scope) =>
              scope.spans.map((span) => ({
                name: span.name,
                kind: span.kind,
                service: resource.resource.attributes.find((a) => a.key === "service.name")?.value
                  .stringValue,
              })),
            ),
        ),
      );
      expect(spans).toContainEqual(
        expect.objectContaining({ name: "query.TracedPage", service: "papergraph-test" }),
      );
    });
  });
});

describe("the delivery settings", () => {
  it("names each wrong value", () => {
    const dir = mkdtempSync(join(tmpdir(), "papergraph-settings-"));
    try {
      const broken = join(dir, "broken.json");
      writeFileSync(broken, JSON.stringify({ abc: 42 }));
      const problems = (env: NodeJS.ProcessEnv) => {
        try {
          loadConfig(env);
        } catch (error) {
          return (error as Error).message;
        }
        return "";
      };
      const message = problems({
        COMPRESSION_MIN_BYTES: "-1",
        HTTP_CACHE_MAX_AGE: "86400",
        TRUSTED_DOCUMENTS: broken,
        OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318",
      });
      expect(message).toMatch(/COMPRESSION_MIN_BYTES "-1" is not a whole number of at least 0/);
      expect(message).toMatch(/HTTP_CACHE_MAX_AGE "86400" is more than 3600 seconds/);
      expect(message).toMatch(
        /OTEL_EXPORTER_OTLP_ENDPOINT "collector:4318" is not an http\(s\) URL/,
      );
      expect(problems({ TRUSTED_DOCUMENTS: join(dir, "missing.json") })).toMatch(
        /TRUSTED_DOCUMENTS: cannot read .*missing.json: ENOENT/,
      );
      writeFileSync(broken, "[]");
      expect(problems({ TRUSTED_DOCUMENTS: broken })).toMatch(/is not an object/);
      // A document that does not parse: the server is not created (main.ts says why and stops).
      writeFileSync(broken, JSON.stringify({ abc: "query {" }));
      const { trustedDocuments } = loadConfig({ TRUSTED_DOCUMENTS: broken });
      expect(() => persistedOperations(trustedDocuments)).toThrow(
        /TRUSTED_DOCUMENTS: the entry "abc" does not parse/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("defaults to compression from 1 KB, max-age 0, APQ and no tracing", () => {
    expect(loadConfig({})).toMatchObject({
      compressionMinBytes: 1024,
      httpCacheMaxAge: 0,
      trustedDocuments: undefined,
      tracing: undefined,
    });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" }).tracing).toEqual({
      endpoint: "http://collector:4318",
      serviceName: "papergraph",
    });
  });
});
