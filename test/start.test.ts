/**
 * `npm start` as a user runs it: the compiled server (dist/, built by `npm run build`, or by
 * `npm start` itself when it is missing or stale), with signals going through npm to the server.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build, DIST, staleness } from "../build.mjs";
import { startServerProcess } from "./support/process.ts";

describe("npm start", () => {
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "papergraph-start-"));
    // Built here, where the hook's time limit allows for it; `npm start` would build it too.
    if (staleness()) await build();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function npmStart(database: string, signal: AbortSignal) {
    return startServerProcess(
      { NODE_ENV: "production", DATABASE_URL: `file:${join(dir, database)}`, LOG_LEVEL: "info" },
      { command: ["npm", "start"], signal },
    );
  }

  it("runs the compiled server, and SIGTERM to npm stops it gracefully with exit code 0", async ({
    signal,
  }) => {
    const server = npmStart("term.db", signal);
    const url = await server.url;
    const response = await fetch(url, {
      signal,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "{ papers { totalCount } }" }),
    });
    expect(await response.json()).toEqual({ data: { papers: { totalCount: 63 } } });
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toMatch(/"signal":"SIGTERM","msg":"shutting down"/);
    expect(server.stderr()).toMatch(/"msg":"stopped"/);
  });

  it("SIGINT (Ctrl-C) stops it gracefully too", async ({ signal }) => {
    const server = npmStart("int.db", signal);
    await server.url;
    server.child.kill("SIGINT");
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toMatch(/"signal":"SIGINT","msg":"shutting down"/);
    expect(server.stderr()).toMatch(/"msg":"stopped"/);
  });

  it("builds dist/ first when a source changed since it was built, and says so", async ({
    signal,
  }) => {
    // As if a source had changed after the build: the manifest says it was built long ago.
    const manifest = join(DIST, "build.json");
    writeFileSync(
      manifest,
      JSON.stringify({ ...JSON.parse(readFileSync(manifest, "utf8")), builtAt: 0 }),
    );
    expect(staleness()).toMatch(/changed since the last build/);
    const server = npmStart("stale.db", signal);
    await server.url;
    expect(server.stderr()).toMatch(/changed since the last build: building dist\/ first/);
    expect(staleness()).toBeNull();
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  });

  it("the server process itself (what npm runs) stops gracefully on SIGTERM", async ({
    signal,
  }) => {
    const server = startServerProcess(
      { NODE_ENV: "production", DATABASE_URL: `file:${join(dir, "node.db")}`, LOG_LEVEL: "info" },
      { command: [process.execPath, "src/start.mjs"], signal },
    );
    await server.url;
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(server.stderr()).toMatch(/"msg":"stopped"/);
  });
});

describe("when dist/ must be built again", () => {
  // A checkout of its own: the inputs' times are set here, not on this checkout's sources.
  let root: string;
  let outdir: string;
  const at = (file: string, ms: number) => utimesSync(join(root, file), ms / 1000, ms / 1000);

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "papergraph-checkout-"));
    outdir = join(root, "dist");
    mkdirSync(join(root, "src"));
    mkdirSync(outdir);
    for (const file of ["src/main.ts", "src/server.ts", "package.json"]) {
      writeFileSync(join(root, file), "");
    }
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function built(builtAt: number, inputs: string[]) {
    writeFileSync(join(outdir, "build.json"), JSON.stringify({ builtAt, inputs }));
  }

  it("says so when it was never built", () => {
    expect(staleness({ outdir: join(root, "nothing"), root })).toBe("nothing/ has not been built");
  });

  it("is current when no input changed since the build, and names one that did", () => {
    const builtAt = Date.now() - 60_000;
    for (const file of ["src/main.ts", "src/server.ts", "package.json"]) at(file, builtAt - 1_000);
    built(builtAt, ["src/main.ts", "src/server.ts", "package.json"]);
    expect(staleness({ outdir, root })).toBeNull();
    at("src/server.ts", Date.now());
    expect(staleness({ outdir, root })).toBe("src/server.ts changed since the last build");
  });

  it("names a source that is gone; npm's record of node_modules may be absent", () => {
    built(Date.now(), ["src/main.ts", "node_modules/.package-lock.json"]);
    expect(staleness({ outdir, root })).toBeNull();
    built(Date.now(), ["src/main.ts", "src/no-such-module.ts"]);
    expect(staleness({ outdir, root })).toBe("src/no-such-module.ts is gone since the last build");
  });
});
