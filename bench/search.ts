/**
 * Search benchmark (issue 9): a selective search beside one whose words are in most papers, on
 * the API benchmark's ~100,000-paper corpus (bench/api.ts), each ordered by RELEVANCE and by
 * UPVOTES, with and without totalCount, over HTTP to the server in its own process.
 *
 *   npx tsx bench/search.ts [--engines sqlite,postgresql] [--seconds 5] [--connections 10] [--fresh]
 *     [--checkout <dir>]
 *
 * The databases are kept between runs (bench/out/search/papergraph.db and the PostgreSQL
 * database papergraph_search) while they hold the corpus; `--fresh` loads them again (a few
 * minutes each). Each operation is timed alone (p50 and p90 of 50 requests, one at a time), then
 * under autocannon at `--connections` connections. The answer's digest (sha256 of its JSON, first
 * 12 hex digits) shows that two checkouts give the same results. `--checkout` runs the server of
 * another checkout (its `src/main.ts`, with node_modules and src/generated in place) on the same
 * databases, for a before/after under the same load (its migrations must be the same).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import pg from "pg";
import { upgradeDatabase } from "../src/db/client.ts";
import { openSqlClient } from "../src/db/sql.ts";
import { type DatabaseTarget, type Provider, parseDatabaseUrl } from "../src/db/target.ts";
import { ingest } from "../src/ingest/run.ts";
import { POSTGRES_ADMIN_URL, postgresAvailable } from "../test/support/engines.ts";
import { startServerProcess } from "../test/support/process.ts";
import { generateCorpus } from "./generate.ts";

const { values } = parseArgs({
  options: {
    engines: { type: "string", default: "sqlite,postgresql" },
    seconds: { type: "string", default: "5" },
    connections: { type: "string", default: "10" },
    fresh: { type: "boolean", default: false },
    /** Only the operations whose name contains this (e.g. `RELEVANCE`). */
    only: { type: "string", default: "" },
    checkout: { type: "string" },
  },
});

const DAYS = 1000;
const PAPERS = 110;
const corpus = `bench/out/digests-${DAYS}x${PAPERS}`;
const SQLITE_FILE = resolve("bench/out/search/papergraph.db");
const DATABASE_NAME = "papergraph_search";

const SEARCHES = { selective: "kozendi7 model", broad: "diffusion model" };
const operation = (search: string, field: string, count: boolean) => ({
  query: `query($search: String!) { papers(first: 20, filter: { search: $search, minUpvotes: 5 }, orderBy: { field: ${field} }) { ${count ? "totalCount " : ""}nodes { arxivId title upvotes publishedAt } } }`,
  variables: { search },
});
const OPERATIONS = Object.entries(SEARCHES).flatMap(([kind, search]) =>
  ["RELEVANCE", "UPVOTES"].flatMap((field) =>
    [true, false].map((count) => ({
      name: `${kind} ("${search}"), ${field}${count ? ", totalCount" : ""}`,
      ...operation(search, field, count),
    })),
  ),
);

async function post(url: string, query: string, variables: object) {
  const started = performance.now();
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const json = (await response.json()) as { data?: unknown; errors?: unknown };
  if (json.errors) throw new Error(JSON.stringify(json.errors));
  return { data: json.data, ms: performance.now() - started };
}

async function paperCount(target: DatabaseTarget): Promise<number> {
  const sql = openSqlClient(target);
  try {
    const [row] = await sql.query<{ n: number | bigint }>(`SELECT count(*) AS "n" FROM "Paper"`);
    return Number(row?.n ?? 0);
  } catch {
    return 0;
  } finally {
    await sql.close();
  }
}

/** The kept database of an engine, loaded with the corpus unless it already holds it. */
async function database(provider: Provider): Promise<DatabaseTarget> {
  let target: DatabaseTarget;
  if (provider === "sqlite") {
    mkdirSync(dirname(SQLITE_FILE), { recursive: true });
    target = parseDatabaseUrl(`file:${SQLITE_FILE}`);
  } else {
    const url = new URL(POSTGRES_ADMIN_URL);
    url.pathname = `/${DATABASE_NAME}`;
    target = parseDatabaseUrl(url.toString());
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    const { rowCount } = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [
      DATABASE_NAME,
    ]);
    if (values.fresh && rowCount) {
      await admin.query(`DROP DATABASE "${DATABASE_NAME}" WITH (FORCE)`);
    }
    if (values.fresh || !rowCount) await admin.query(`CREATE DATABASE "${DATABASE_NAME}"`);
    await admin.end();
  }
  if (provider === "sqlite" && values.fresh) {
    for (const suffix of ["", "-wal", "-shm"]) {
      rmSync(SQLITE_FILE + suffix, { force: true });
    }
  }
  // Migrations of this checkout (a kept database gets the ones it lacks).
  await upgradeDatabase(target);
  if ((await paperCount(target)) > 90_000) return target;
  console.log(`${provider}: ingesting ${DAYS} x ${PAPERS}...`);
  const sql = openSqlClient(target);
  await ingest(
    sql,
    readdirSync(corpus)
      .sort()
      .map((name) => ({ source: join(corpus, name) })),
  );
  await sql.close();
  return target;
}

async function run(provider: Provider): Promise<string[]> {
  const target = await database(provider);
  const server = startServerProcess(
    {
      DATABASE_URL: target.url,
      LOG_LEVEL: "warn",
      SAMPLE_DATA: "false",
      QUERY_BUDGET_PER_MINUTE: "1000000000",
      RESPONSE_CACHE: "off",
    },
    values.checkout ? { cwd: values.checkout } : {},
  );
  const rows: string[] = [];
  try {
    const url = await server.url;
    for (const op of OPERATIONS.filter((o) => o.name.includes(values.only))) {
      const first = await post(url, op.query, op.variables);
      const digest = createHash("sha256")
        .update(JSON.stringify(first.data))
        .digest("hex")
        .slice(0, 12);
      const times: number[] = [];
      for (let i = 0; i < 50; i++) times.push((await post(url, op.query, op.variables)).ms);
      times.sort((a, b) => a - b);
      const result = await autocannon({
        url,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: op.query, variables: op.variables }),
        connections: Number(values.connections),
        duration: Number(values.seconds),
      });
      const row = `| ${provider} | ${op.name} | ${(times[25] as number).toFixed(1)} ms | ${(times[45] as number).toFixed(1)} ms | ${Math.round(result.requests.average)} | ${result.latency.p50} ms | ${result.non2xx + result.errors} | ${digest} |`;
      console.log(row);
      rows.push(row);
    }
  } finally {
    server.child.kill("SIGTERM");
    await server.exited;
  }
  return rows;
}

if (!existsSync(corpus) || readdirSync(corpus).length !== DAYS) {
  console.log(`generating ${corpus}`);
  generateCorpus({ days: DAYS, papers: PAPERS, textEvery: 10, out: corpus });
}
const rows: string[] = [];
for (const engine of values.engines.split(",") as Provider[]) {
  if (engine === "postgresql" && !postgresAvailable) {
    console.log("postgresql: skipped (no server answers; set TEST_POSTGRES_URL)");
    continue;
  }
  rows.push(...(await run(engine)));
}
console.log(
  `\n| engine | search, order | alone p50 | alone p90 | req/s at ${values.connections} | p50 at ${values.connections} | errors | answer |\n|---|---|---|---|---|---|---|---|`,
);
console.log(rows.join("\n"));
