/**
 * Dashboard latency, one request at a time: the dashboard operation of bench/api.ts and its parts
 * (the time series, the top authors, a month's and a day's totals), each the median of `--runs`
 * requests, on a database holding the bench corpus loaded through the real ingest. With
 * `--before <checkout>` the same corpus is loaded by that checkout's code into a database of its
 * own, both servers run side by side, and their requests alternate (before, this, before, ...),
 * so that both see the same machine load.
 *
 *   npx tsx bench/dashboard.ts [--days 1000] [--engines sqlite,postgresql] [--runs 20]
 *                              [--before <checkout>] [--keep]
 *
 * `--keep` keeps the databases (bench/out/dashboard_*.db, PostgreSQL databases
 * papergraph_dashboard_*) and reuses them on the next run with the same arguments: delete them
 * when a checkout's schema or ingest changed.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import type { Provider } from "../src/db/target.ts";
import { parseDatabaseUrl } from "../src/db/target.ts";
import { POSTGRES_ADMIN_URL, postgresAvailable } from "../test/support/engines.ts";
import { startServerProcess } from "../test/support/process.ts";
import { type Code, loadCheckout } from "./checkout.ts";
import { generateCorpus } from "./generate.ts";

const { values } = parseArgs({
  options: {
    days: { type: "string", default: "1000" },
    engines: { type: "string", default: "sqlite,postgresql" },
    runs: { type: "string", default: "20" },
    before: { type: "string" },
    keep: { type: "boolean", default: false },
  },
});
const DAYS = Number(values.days);
const PAPERS = 110;
const RUNS = Number(values.runs);
const dir = `bench/out/digests-${DAYS}x${PAPERS}`;

const OPERATIONS: Record<string, string> = {
  /** The floor: what any request costs (HTTP, GraphQL, the query budget) on this machine now. */
  "{ __typename }": `query { __typename }`,
  dashboard: `query { timeSeries(from: "2023-01-01", to: "2023-12-31", bucket: MONTH) { bucket papers upvotes } topAuthors(from: "2023-01-01", to: "2023-03-31", first: 10) { author { name } papers } }`,
  "timeSeries, a year by month": `query { timeSeries(from: "2023-01-01", to: "2023-12-31", bucket: MONTH) { bucket papers upvotes } }`,
  "timeSeries, a year by week": `query { timeSeries(from: "2023-01-01", to: "2023-12-31", bucket: WEEK) { bucket papers upvotes } }`,
  "topAuthors, a quarter": `query { topAuthors(from: "2023-01-01", to: "2023-03-31", first: 10) { author { name } papers upvotes } }`,
  "topAuthors, a year": `query { topAuthors(from: "2023-01-01", to: "2023-12-31", first: 10) { author { name } papers upvotes } }`,
  "month totals": `query { month(id: "2023-06") { paperCount totalUpvotes } }`,
  "days(first: 30) with totals": `query { days(first: 30, from: "2023-01-01", to: "2023-03-31") { nodes { date paperCount totalUpvotes } } }`,
};

interface Database {
  url: string;
  drop: () => Promise<void>;
}

async function database(code: Code, tag: string, provider: Provider): Promise<Database> {
  const name = `dashboard_${tag}_${DAYS}`;
  let url: string;
  let fresh: boolean;
  let drop: () => Promise<void>;
  if (provider === "sqlite") {
    const file = resolve(`bench/out/${name}.db`);
    fresh = !existsSync(file);
    url = `file:${file}`;
    drop = async () => {
      for (const suffix of ["", "-wal", "-shm"]) rmSync(`${file}${suffix}`, { force: true });
    };
  } else {
    const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
    await admin.connect();
    const db = `papergraph_${name}`;
    const found = await admin.query(`SELECT 1 FROM pg_database WHERE datname = $1`, [db]);
    fresh = found.rowCount === 0;
    if (fresh) await admin.query(`CREATE DATABASE "${db}"`);
    await admin.end();
    const u = new URL(POSTGRES_ADMIN_URL);
    u.pathname = `/${db}`;
    url = u.toString();
    drop = async () => {
      const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
      await c.end();
    };
  }
  if (fresh || !values.keep) {
    if (!fresh) {
      await drop();
      return database(code, tag, provider);
    }
    const target = parseDatabaseUrl(url);
    await code.upgrade(target);
    const sql = code.sql.openSqlClient(target);
    console.log(`${provider}, ${code.label}: ingesting ${DAYS} x ${PAPERS}...`);
    const started = performance.now();
    const report = await code.ingest.ingest(
      sql,
      readdirSync(dir)
        .sort()
        .map((f) => ({ source: join(dir, f) })),
    );
    await sql.close();
    if (report.failed > 0) throw new Error(`${report.failed} digests failed`);
    console.log(`  ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  return { url, drop: values.keep ? async () => {} : drop };
}

async function post(url: string, query: string): Promise<{ ms: number; body: string }> {
  const started = performance.now();
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query }),
  });
  const body = await response.text();
  const ms = performance.now() - started;
  if (!response.ok || body.includes('"errors"')) throw new Error(body);
  return { ms, body };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[(s.length - 1) / 2] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};

async function run(provider: Provider, codes: { code: Code; root: string }[]) {
  const servers = [];
  for (const [i, { code, root }] of codes.entries()) {
    const db = await database(code, i === 0 ? "this" : "before", provider);
    const server = startServerProcess(
      {
        DATABASE_URL: db.url,
        LOG_LEVEL: "warn",
        SAMPLE_DATA: "false",
        QUERY_BUDGET_PER_MINUTE: "1000000000",
        // A cold PostgreSQL cache on a busy machine can take longer than the default 5 s.
        STATEMENT_TIMEOUT_MS: "120000",
      },
      { cwd: root },
    );
    servers.push({ label: code.label, db, server, url: await server.url });
  }
  const rows: string[] = [];
  try {
    for (const [name, query] of Object.entries(OPERATIONS)) {
      const times: number[][] = servers.map(() => []);
      const bodies = await Promise.all(servers.map((s) => post(s.url, query)));
      for (const s of servers) await post(s.url, query); // warm up
      for (let r = 0; r < RUNS; r++) {
        for (const [i, s] of servers.entries()) times[i]?.push((await post(s.url, query)).ms);
      }
      const same = bodies.every((b) => b.body === bodies[0]?.body);
      rows.push(
        `| ${provider} | ${name} | ${servers.map((s, i) => `${s.label}: ${median(times[i] ?? []).toFixed(1)} ms`).join(" | ")} |${servers.length > 1 ? ` ${same ? "same" : "DIFFERENT"} |` : ""}`,
      );
      if (!same) console.log(bodies.map((b) => b.body).join("\n"));
      console.log(rows[rows.length - 1]);
    }
  } finally {
    for (const s of servers) {
      s.server.child.kill("SIGTERM");
      await s.server.exited;
      await s.db.drop();
    }
  }
  return rows;
}

if (!existsSync(dir) || readdirSync(dir).length !== DAYS) {
  console.log(`generating ${dir}`);
  generateCorpus({ days: DAYS, papers: PAPERS, textEvery: 10, out: dir });
}
const codes = [{ code: await loadCheckout("this checkout", "."), root: "." }];
if (values.before) {
  codes.push({ code: await loadCheckout("before", values.before), root: resolve(values.before) });
}
const rows: string[] = [];
for (const engine of values.engines.split(",") as Provider[]) {
  if (engine === "postgresql" && !postgresAvailable) {
    console.log("postgresql: skipped (no server answers)");
    continue;
  }
  rows.push(...(await run(engine, codes)));
}
console.log(`\n${DAYS} days x ${PAPERS} papers, median of ${RUNS} requests one at a time\n`);
console.log(rows.join("\n"));
