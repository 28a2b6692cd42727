/**
 * GraphiQL served from the installed packages (its page, its policy and its files), the example
 * operations it opens on, and the production switches GRAPHIQL and INTROSPECTION. The page in a
 * real browser: test/graphiql-browser.test.ts.
 */
import { gunzipSync } from "node:zlib";
import { type IntrospectionQuery, parse, validate } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.ts";
import { schema } from "../src/graphql/schema.ts";
import { EXAMPLE_TABS, GRAPHIQL_CSP } from "../src/http/graphiql.ts";
import { post, serverFor } from "./support/api.ts";
import { createTestDatabase, ENGINES, type TestDatabase } from "./support/engines.ts";

const BASE = "http://papergraph.test";

function page(server: ReturnType<typeof serverFor>) {
  return server.fetch(`${BASE}/graphql`, { headers: { accept: "text/html" } });
}

describe.each(ENGINES)("GraphiQL and introspection on %s", (provider) => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase(provider);
  });
  afterAll(async () => {
    await database?.destroy();
  });

  it("serves the page with its own files only, under a policy that allows this origin's scripts alone", async () => {
    const response = await page(serverFor(database));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-security-policy")).toBe(GRAPHIQL_CSP);
    expect(GRAPHIQL_CSP).toMatch(/(^|; )script-src 'self'(;|$)/);
    expect(GRAPHIQL_CSP).toMatch(/(^|; )default-src 'none'(;|$)/);
    const html = await response.text();
    // No CDN: nothing the page loads is on another host.
    expect(html).not.toMatch(/(src|href)="?(https?:)?\/\//);
    expect(html).not.toContain("unpkg");
    // Every script is a file of this server; the options are a JSON data block, never executed.
    const scripts = [...html.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)];
    expect(scripts.length).toBe(3);
    for (const [, attributes, content] of scripts) {
      if (attributes?.includes('type="application/json"')) continue;
      expect(attributes).toMatch(/^ src="\/graphiql\/[0-9a-f]{12}\/[a-z.]+\.js"$/);
      expect(content).toBe("");
    }
    const options = JSON.parse(
      /<script type="application\/json" id="graphiql-options">([^<]*)<\/script>/.exec(
        html,
      )?.[1] as string,
    );
    expect(options.title).toBe("papergraph");
    expect(options.defaultTabs).toEqual(EXAMPLE_TABS);
  });

  it("serves the page's files from the installed packages, cached for good, and nothing else under their path", async () => {
    const server = serverFor(database);
    const html = await (await page(server)).text();
    const files = [...html.matchAll(/(?:src|href)="(\/graphiql\/[^"]+)"/g)].map((m) => m[1]);
    expect(files).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/graphiql\.css$/),
        expect.stringMatching(/graphiql\.js$/),
        expect.stringMatching(/start\.js$/),
      ]),
    );
    for (const file of files) {
      const response = await server.fetch(`${BASE}${file}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
    const base = (files[0] as string).replace(/[^/]*$/, "");
    for (const worker of ["editor.worker.js", "json.worker.js", "graphql.worker.js"]) {
      const response = await server.fetch(`${BASE}${base}${worker}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/javascript/);
      await response.arrayBuffer();
    }
    // Another hash (an old build's), an unknown file, a directory: not found.
    for (const path of ["/graphiql/000000000000/graphiql.js", `${base}secret.js`, base]) {
      const response = await server.fetch(`${BASE}${path}`);
      expect(response.status).toBe(404);
      await response.arrayBuffer();
    }
  });

  it("sends the files gzip-encoded to browsers that accept it (a quarter of the bytes), with an ETag per encoding", async () => {
    const server = serverFor(database);
    const html = await (await page(server)).text();
    const files = [...html.matchAll(/(?:src|href)="(\/graphiql\/[^"]+)"/g)].map((m) => m[1]);
    const base = (files[0] as string).replace(/[^/]*$/, "");
    let plainBytes = 0;
    let sentBytes = 0;
    for (const name of ["graphiql.js", "graphiql.css", "editor.worker.js", "json.worker.js"]) {
      const plain = await server.fetch(`${BASE}${base}${name}`);
      const body = Buffer.from(await plain.arrayBuffer());
      const encoded = await server.fetch(`${BASE}${base}${name}`, {
        headers: { "accept-encoding": "gzip, deflate, br" },
      });
      expect(encoded.headers.get("content-encoding")).toBe("gzip");
      expect(encoded.headers.get("vary")).toBe("Accept-Encoding");
      const gzipped = Buffer.from(await encoded.arrayBuffer());
      expect(gunzipSync(gzipped).equals(body)).toBe(true);
      plainBytes += body.byteLength;
      sentBytes += gzipped.byteLength;
      // Each encoding has its own ETag, and a browser holding it gets a 304.
      const etag = encoded.headers.get("etag") as string;
      expect(etag).not.toBe(plain.headers.get("etag"));
      const again = await server.fetch(`${BASE}${base}${name}`, {
        headers: { "accept-encoding": "gzip", "if-none-match": etag },
      });
      expect(again.status).toBe(304);
    }
    expect(plainBytes).toBeGreaterThan(5_000_000);
    expect(sentBytes / plainBytes).toBeLessThan(0.35);
  });

  it("answers introspection by default", async () => {
    const result = await post<IntrospectionQuery>(serverFor(database), {
      query: '{ __schema { queryType { name } } __type(name: "Paper") { name } }',
    });
    expect(result.data).toEqual({
      __schema: { queryType: { name: "Query" } },
      __type: { name: "Paper" },
    });
  });

  it("with INTROSPECTION off, refuses __schema and __type with INTROSPECTION_DISABLED and runs nothing", async () => {
    const server = serverFor(database, { introspection: false, graphiql: false });
    const result = await post(server, {
      query:
        '{ papers(first: 1) { totalCount } __schema { types { name fields { name } } } __type(name: "Paper") { name } }',
    });
    expect(result.data).toBeUndefined();
    expect(result.errors).toEqual([
      {
        message: "introspection is disabled on this server: `__schema` cannot be queried",
        locations: [{ line: 1, column: 35 }],
        extensions: { code: "INTROSPECTION_DISABLED", field: "__schema" },
      },
      {
        message: "introspection is disabled on this server: `__type` cannot be queried",
        locations: [{ line: 1, column: 79 }],
        extensions: { code: "INTROSPECTION_DISABLED", field: "__type" },
      },
    ]);
    // A fragment on an introspection type is refused as well.
    const fragment = await post(server, {
      query: "query { ...F } fragment F on Query { __schema { queryType { name } } }",
    });
    expect(fragment.errors?.map((error) => error.extensions?.code)).toEqual([
      "INTROSPECTION_DISABLED",
    ]);
    // The rest of the API, `__typename` included, is as it was.
    expect(await post(server, { query: "{ __typename papers(first: 1) { totalCount } }" })).toEqual(
      { status: 200, data: { __typename: "Query", papers: { totalCount: 0 } } },
    );
  });

  it("with GRAPHIQL off, serves no page and none of its files", async () => {
    const on = serverFor(database);
    const file = /src="(\/graphiql\/[^"]+graphiql\.js)"/.exec(await (await page(on)).text())?.[1];
    const off = serverFor(database, { graphiql: false });
    const response = await page(off);
    // Yoga answers a browser that asks for HTML, which the endpoint no longer gives, 406.
    expect(response.status).toBe(406);
    expect(response.headers.get("content-type") ?? "").not.toMatch(/html/);
    expect(await response.text()).not.toMatch(/graphiql/i);
    const asset = await off.fetch(`${BASE}${file}`);
    expect(asset.status).toBe(404);
    expect(await asset.text()).not.toMatch(/YogaGraphiQL/);
  });
});

describe("the example operations", () => {
  it("opens on example operations that are valid against the schema", () => {
    const names = EXAMPLE_TABS.map((tab) => {
      const document = parse(tab.query);
      expect(validate(schema, document)).toEqual([]);
      for (const json of [tab.variables, tab.headers]) if (json) JSON.parse(json);
      const operation = document.definitions[0];
      return operation?.kind === "OperationDefinition" ? operation.name?.value : undefined;
    });
    expect(names).toEqual(["FrontPage", "Day", "Search", "Dashboard", "Vote"]);
  });
});

describe("GRAPHIQL and INTROSPECTION", () => {
  const problems = (env: NodeJS.ProcessEnv) => {
    try {
      loadConfig(env);
    } catch (error) {
      return (error as Error).message;
    }
    return "";
  };

  it("are on in development and off with NODE_ENV=production, unless set", () => {
    expect(loadConfig({})).toMatchObject({ graphiql: true, introspection: true });
    expect(loadConfig({ NODE_ENV: "development" })).toMatchObject({
      graphiql: true,
      introspection: true,
    });
    expect(loadConfig({ NODE_ENV: "production" })).toMatchObject({
      graphiql: false,
      introspection: false,
    });
    expect(
      loadConfig({ NODE_ENV: "production", GRAPHIQL: "on", INTROSPECTION: "ON" }),
    ).toMatchObject({ graphiql: true, introspection: true });
    expect(loadConfig({ NODE_ENV: "production", INTROSPECTION: "on" })).toMatchObject({
      graphiql: false,
      introspection: true,
    });
    expect(loadConfig({ GRAPHIQL: "off", INTROSPECTION: "off" })).toMatchObject({
      graphiql: false,
      introspection: false,
    });
  });

  it("name a wrong value, and refuse GraphiQL without introspection", () => {
    const message = problems({ GRAPHIQL: "yes", INTROSPECTION: "1" });
    expect(message).toMatch(/GRAPHIQL "yes" is not on or off/);
    expect(message).toMatch(/INTROSPECTION "1" is not on or off/);
    expect(problems({ INTROSPECTION: "off" })).toMatch(/GRAPHIQL=on needs INTROSPECTION=on/);
    expect(problems({ NODE_ENV: "production", GRAPHIQL: "on" })).toMatch(
      /GRAPHIQL=on needs INTROSPECTION=on/,
    );
  });
});
