/**
 * The dashboard page over HTTP, on each engine: its page, files and Chart.js served under its
 * policy (no inline script, nothing from elsewhere), revalidated by ETag, gzip-encoded for clients
 * that take it, nothing else under its path, the DASHBOARD switch, and its GraphQL operations:
 * valid against the schema, and its default range loaded several times a minute within a
 * client's query budget. The page in a
 * real browser, drawing the right numbers: test/dashboard-browser.test.ts.
 */
import { readdirSync, readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { parse, validate } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { schema } from "../src/graphql/schema.ts";
import { memoryQueryBudget } from "../src/http/budget.ts";
import { CHART_JS_NAME, DASHBOARD_CSP } from "../src/http/dashboard.ts";
import { GRAPHIQL_CSP } from "../src/http/graphiql.ts";
import { chartJsFile, DASHBOARD_DIR } from "../src/paths.ts";
import {
  DEFAULT_SPAN_DAYS,
  EXTENT,
  HISTORY,
  SERIES,
  TOP,
  TOP_AUTHORS,
  TOP_PAPERS,
} from "../web/dashboard/api.js";
import { post, serverFor } from "./support/api.ts";
import { createTestDatabase, ENGINES, type TestDatabase } from "./support/engines.ts";

const BASE = "http://papergraph.test";
const OPERATIONS = { EXTENT, SERIES, TOP_AUTHORS, TOP_PAPERS, HISTORY };

describe.each(ENGINES)("the dashboard page on %s", (provider) => {
  let database: TestDatabase;
  let server: ReturnType<typeof serverFor>;

  beforeAll(async () => {
    database = await createTestDatabase(provider);
    server = serverFor(database);
  });
  afterAll(async () => {
    await database?.destroy();
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    server.fetch(`${BASE}${path}`, { headers });

  it("serves the page under its own policy, with no inline script and nothing from elsewhere", async () => {
    for (const path of ["/dashboard", "/dashboard/"]) {
      const response = await get(path, { accept: "text/html" });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
      // Its own policy, not GraphiQL's (whose plugin sets one on the server's HTML answers).
      expect(response.headers.get("content-security-policy")).toBe(DASHBOARD_CSP);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      const html = await response.text();
      expect(html).toBe(readFileSync(`${DASHBOARD_DIR}index.html`, "utf8"));
    }
    expect(DASHBOARD_CSP).toMatch(/(^|; )default-src 'none'(;|$)/);
    expect(DASHBOARD_CSP).toMatch(/(^|; )script-src 'self'(;|$)/);
    expect(DASHBOARD_CSP).not.toMatch(/unsafe|data:|blob:|\*/);
    const html = readFileSync(`${DASHBOARD_DIR}index.html`, "utf8");
    expect(html).not.toMatch(/(src|href)="?(https?:)?\/\//);
    // Every script is a file of this server, none has a body, and no element has a style.
    const scripts = [...html.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)];
    expect(scripts.map(([, attributes]) => /src="([^"]+)"/.exec(attributes ?? "")?.[1])).toEqual([
      `/dashboard/${CHART_JS_NAME}`,
      "/dashboard/dashboard.js",
    ]);
    for (const [, , body] of scripts) expect(body).toBe("");
    expect(html).not.toMatch(/\sstyle=|<style|\son[a-z]+=/i);
    // GraphiQL's page keeps its own policy beside it.
    const graphiql = await get("/graphql", { accept: "text/html" });
    expect(graphiql.headers.get("content-security-policy")).toBe(GRAPHIQL_CSP);
    await graphiql.text();
  });

  it("serves each file of web/dashboard/ and Chart.js from the installed package, revalidated by ETag", async () => {
    const files = readdirSync(DASHBOARD_DIR).filter((name) => name !== "index.html");
    expect(files.sort()).toEqual([
      "api.js",
      "charts.js",
      "dashboard.css",
      "dashboard.js",
      "icon.svg",
    ]);
    const types: Record<string, string> = {
      js: "text/javascript; charset=utf-8",
      css: "text/css; charset=utf-8",
      svg: "image/svg+xml",
    };
    for (const name of files) {
      const response = await get(`/dashboard/${name}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe(types[name.split(".").pop() as string]);
      expect(response.headers.get("cache-control")).toBe("no-cache");
      expect(await response.text()).toBe(readFileSync(`${DASHBOARD_DIR}${name}`, "utf8"));
    }
    const chart = await get(`/dashboard/${CHART_JS_NAME}`);
    expect(chart.status).toBe(200);
    expect(chart.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const body = await chart.text();
    expect(body).toBe(readFileSync(chartJsFile(), "utf8"));
    expect(body).toMatch(/^\/\*!\n \* Chart\.js v4\./);
    // Asked again with its ETag: 304, no body.
    const etag = chart.headers.get("etag") as string;
    expect(etag).toMatch(/^"[\w-]{16}"$/);
    const again = await get(`/dashboard/${CHART_JS_NAME}`, { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(again.headers.get("etag")).toBe(etag);
    expect(await again.text()).toBe("");
    const changed = await get(`/dashboard/${CHART_JS_NAME}`, { "if-none-match": '"other"' });
    expect(changed.status).toBe(200);
    await changed.arrayBuffer();
    // HEAD: the headers alone.
    const head = await server.fetch(`${BASE}/dashboard/dashboard.js`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get("content-length"))).toBeGreaterThan(0);
    expect(await head.text()).toBe("");
  });

  it("sends Chart.js gzip-encoded to a client that accepts it, under an ETag of its own", async () => {
    const plain = await get(`/dashboard/${CHART_JS_NAME}`, { "accept-encoding": "identity" });
    const plainBody = new Uint8Array(await plain.arrayBuffer());
    const gzip = await get(`/dashboard/${CHART_JS_NAME}`, { "accept-encoding": "gzip, br" });
    expect(gzip.status).toBe(200);
    expect(gzip.headers.get("content-encoding")).toBe("gzip");
    expect(gzip.headers.get("vary")).toMatch(/accept-encoding/i);
    expect(gzip.headers.get("etag")).toBe(`${plain.headers.get("etag")?.slice(0, -1)}-gz"`);
    // The server adapter may decode it for this in-process client; either way the bytes match.
    const received = Buffer.from(await gzip.arrayBuffer());
    const decoded = received[0] === 0x1f && received[1] === 0x8b ? gunzipSync(received) : received;
    expect(Buffer.compare(decoded, Buffer.from(plainBody))).toBe(0);
    const length = Number(gzip.headers.get("content-length"));
    expect(length).toBeGreaterThan(0);
    expect(length).toBeLessThan(plainBody.byteLength / 2);
  });

  it("serves nothing else under its path, and only GET and HEAD", async () => {
    for (const path of [
      "/dashboard/secret.js",
      "/dashboard/index.htm",
      "/dashboard/vendor/chart.umd.js",
      "/dashboard/..%2fpackage.json",
      "/dashboard/vendor/",
      "/dashboard//dashboard.js",
    ]) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
      expect(response.headers.get("content-security-policy")).toBe(DASHBOARD_CSP);
      expect(await response.text()).toBe("not found");
    }
    const posted = await server.fetch(`${BASE}/dashboard`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(posted.status).toBe(405);
    expect(posted.headers.get("allow")).toBe("GET, HEAD");
    await posted.text();
    // Paths that only start alike, or that lead out of it, are not the dashboard's.
    for (const path of ["/dashboards", "/dashboard/%2e%2e/package.json"]) {
      const other = await get(path);
      expect(other.status, path).toBe(404);
      expect(other.headers.get("content-security-policy")).toBeNull();
      expect(await other.text()).not.toMatch(/papergraph/);
    }
  });

  it("with DASHBOARD off, serves no page and none of its files", async () => {
    const off = serverFor(database, { dashboard: false });
    for (const path of ["/dashboard", "/dashboard/dashboard.js", `/dashboard/${CHART_JS_NAME}`]) {
      const response = await off.fetch(`${BASE}${path}`);
      expect(response.status).toBe(404);
      expect(await response.text()).not.toMatch(/Chart|dashboard/);
    }
  });

  it("loads its default range several times a minute within a client's query budget", async () => {
    const budget = 100_000;
    const budgeted = serverFor(database, { queryBudget: memoryQueryBudget(budget) });
    /** Runs an operation of the page and says what it cost (the budget's RateLimit header). */
    let remaining = budget;
    const cost = async (query: string, variables: object) => {
      const response = await budgeted.fetch(`${BASE}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { errors?: unknown };
      expect(body.errors, query).toBeUndefined();
      const left = Number(response.headers.get("ratelimit-remaining"));
      const spent = remaining - left;
      remaining = left;
      return spent;
    };
    const to = "2024-12-02";
    const from = new Date(Date.parse(to) - (DEFAULT_SPAN_DAYS - 1) * 86_400_000)
      .toISOString()
      .slice(0, 10);
    const range = { from, to, first: TOP };
    const load = [
      await cost(EXTENT, {}),
      await cost(SERIES, { ...range, bucket: "MONTH" }),
      await cost(TOP_AUTHORS, range),
      await cost(TOP_PAPERS, range),
    ];
    for (const spent of load) expect(spent).toBeGreaterThan(0);
    const total = load.reduce((sum, spent) => sum + spent, 0);
    // The page's first load, as README says: about 17,000 points, four loads a minute or more.
    expect(total).toBeGreaterThan(15_000);
    expect(total).toBeLessThan(budget / 4);
    // A longer range, up to about 660 days, still fits one operation's limit (LIMITS.complexity).
    const long = { from: "2023-02-12", to, first: TOP };
    expect((Date.parse(to) - Date.parse(long.from)) / 86_400_000 + 1).toBe(660);
    const result = await post(server, { query: TOP_AUTHORS, variables: long });
    expect(result.errors).toBeUndefined();
  });
});

describe("the dashboard's operations", () => {
  it("are valid against the schema, one named operation each", () => {
    for (const [name, query] of Object.entries(OPERATIONS)) {
      const document = parse(query);
      expect(validate(schema, document), name).toEqual([]);
      expect(document.definitions).toHaveLength(1);
      const [operation] = document.definitions;
      expect(operation?.kind === "OperationDefinition" && operation.name?.value).toMatch(
        /^Dashboard[A-Z]/,
      );
    }
  });
});

describe("DASHBOARD", () => {
  it("is on unless set off, in production too, and names a wrong value", () => {
    expect(loadConfig({}).dashboard).toBe(true);
    expect(loadConfig({ NODE_ENV: "production" }).dashboard).toBe(true);
    expect(loadConfig({ DASHBOARD: "OFF" }).dashboard).toBe(false);
    expect(loadConfig({ DASHBOARD: "on" }).dashboard).toBe(true);
    expect(() => loadConfig({ DASHBOARD: "yes" })).toThrow(/DASHBOARD "yes" is not on or off/);
  });
});
