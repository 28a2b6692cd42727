/** `npm start` as a user runs it: a real process on the embedded default, over HTTP. */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JSON_FIXTURE } from "./support/ingest.ts";
import { startServerProcess } from "./support/process.ts";

function startServer(env: Record<string, string>) {
  const server = startServerProcess({ NODE_ENV: "production", ...env });
  return { ...server, output: server.stderr };
}

describe("the server on the embedded default", () => {
  let dir: string;
  let server: ReturnType<typeof startServer>;
  let url: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "papergraph-server-"));
    server = startServer({
      DATABASE_URL: `file:${join(dir, "pg.db")}`,
      PORT: "0",
      LOG_LEVEL: "info",
      METRICS_TOKEN: "metrics-token-of-the-server-test",
    });
    url = await server.url;
  });
  afterAll(() => {
    server.child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  // Every request takes the test's signal: one that hangs is cancelled when its test times out.
  it("creates the database, loads the sample digests and says where it listens", async ({
    signal,
  }) => {
    expect(url).toMatch(/^http:\/\/localhost:\d+\/graphql$/);
    const response = await fetch(url, {
      signal,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ papers { totalCount } days { totalCount } }" }),
    });
    expect(await response.json()).toEqual({
      data: { papers: { totalCount: 63 }, days: { totalCount: 1 } },
    });
    expect(server.output()).toMatch(/"msg":"loaded the sample digests"/);
    // The sample page text is a search page: it became a named list, not a second day.
    const lists = await fetch(url, {
      signal,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ paperLists { totalCount nodes { name paperCount } } }" }),
    });
    expect(await lists.json()).toEqual({
      data: {
        paperLists: {
          totalCount: 1,
          nodes: [{ name: "2025-12-10-task-generalization", paperCount: 34 }],
        },
      },
    });
  });

  it("sees digests that the ingest job loads while it runs", async ({ signal }) => {
    const json = JSON.parse(readFileSync(JSON_FIXTURE, "utf8"));
    const nextDay = json.map((item: { publishedAt: string; paper: object }) => ({
      ...item,
      publishedAt: "2024-10-26T08:00:00.000Z",
      paper: { ...item.paper, submittedOnDailyAt: undefined },
    }));
    const file = join(dir, "2024-10-26.json");
    writeFileSync(file, JSON.stringify(nextDay));
    // Asynchronously, with the test's signal: a slow ingest neither blocks the worker nor outlives
    // the test.
    await promisify(execFile)(process.execPath, ["src/bin.mjs", "ingest", file], {
      env: { ...process.env, DATABASE_URL: `file:${join(dir, "pg.db")}` },
      signal,
    });
    const response = await fetch(url, {
      signal,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        query: '{ day(date: "2024-10-26") { paperCount } papers { totalCount } }',
      }),
    });
    expect(await response.json()).toEqual({
      data: { day: { paperCount: 29 }, papers: { totalCount: 63 } },
    });
  });

  it("keeps GraphiQL and introspection off under NODE_ENV=production", async ({ signal }) => {
    const page = await fetch(url, { signal, headers: { accept: "text/html" } });
    expect(page.status).toBe(406);
    expect(await page.text()).not.toMatch(/graphiql/i);
    const introspection = await fetch(url, {
      signal,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ __schema { queryType { name } } }" }),
    });
    const body = (await introspection.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors.map((error) => error.extensions.code)).toEqual(["INTROSPECTION_DISABLED"]);
    expect(server.output()).toMatch(
      /"graphiql":false,"introspection":false,"dashboard":true,"msg":"listening"/,
    );
  });

  it("answers health, readiness and Prometheus metrics (behind METRICS_TOKEN)", async ({
    signal,
  }) => {
    const base = url.replace("/graphql", "");
    expect((await fetch(`${base}/health`, { signal })).status).toBe(200);
    expect((await fetch(`${base}/ready`, { signal })).status).toBe(200);
    expect((await fetch(`${base}/metrics`, { signal })).status).toBe(401);
    const metrics = await fetch(`${base}/metrics`, {
      signal,
      headers: { authorization: "Bearer metrics-token-of-the-server-test" },
    });
    expect(await metrics.text()).toMatch(/papergraph_http_request_duration_seconds/);
  });

  it("logs structured JSON lines", () => {
    const lines = server.output().trim().split("\n");
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
  });

  it("shuts down gracefully on SIGTERM", async () => {
    server.child.kill("SIGTERM");
    // `exited` waits for the end of the output too: the child's `exit` event may come before the
    // "stopped" line has been read.
    expect(await server.exited).toBe(0);
    expect(server.output()).toMatch(/"msg":"stopped"/);
  });
});

describe("configuration", () => {
  it("names each wrong value and exits non-zero", async () => {
    const { child, url, output } = startServer({
      PORT: "eighty",
      LOG_LEVEL: "loud",
      DATABASE_URL: "mysql://x",
    });
    await expect(url).rejects.toThrow();
    expect(child.exitCode).toBe(1);
    const text = output();
    expect(text).toMatch(/PORT "eighty" is not a port number/);
    expect(text).toMatch(/LOG_LEVEL "loud" is not one of/);
    expect(text).toMatch(/DATABASE_URL "mysql:\/\/x" is not supported/);
  });
});
