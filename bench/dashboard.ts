/**
 * Dashboard benchmark (issue 9: the dashboard operation alone at most 20 ms): this checkout's
 * server and another checkout's (`--before`), each on its own copy of the same data, timed
 * alternately, one request at a time, after checking that both give the same answer.
 *
 *   npx tsx bench/dashboard.ts --before <checkout> [--engines sqlite,postgresql] [--rounds 60]
 *
 * The data is the API benchmark's corpus (bench/api.ts: 1,000 days x 110 papers, 99,964
 * papers). The "before" database is loaded by the other checkout's own `papergraph ingest` and
 * kept (bench/out/dashboard/before.db, PostgreSQL `papergraph_dashboard_before`); the "after"
 * one is a copy of it, made anew at each run, upgraded by this checkout's migrations (their time
 * is printed: it is what an existing database pays once). Both servers run with
 * `RESPONSE_CACHE=off`. `answer` is the sha256 of the answer's JSON (12 hex digits), equal on
 * both sides or the run stops.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import Sqlite from "better-sqlite3";
import pg from "pg";
import { upgradeDatabase } from "../src/db/client.ts";
import { type DatabaseTarget, type Provider, parseDatabaseUrl } from "../src/db/target.ts";
import { POSTGRES_ADMIN_URL, postgresAvailable } from "../test/support/engines.ts";
import { startServerProcess } from "../test/support/process.ts";
import { generateCorpus } from "./generate.ts";

const { values } = parseArgs({
  options: {
    before: { type: "string" },
    engines: { type: "string", default: "sqlite,postgresql" },
    rounds: { type: "string", default: "60" },
  },
});
if (!values.before) throw new Error("--before <checkout> is required");
const before = resolve(values.before);

const DAYS = 1000;
const PAPERS = 110;
const corpus = resolve(`bench/out/digests-${DAYS}x${PAPERS}`);
const DIR = resolve("bench/out/dashboard");

const OPERATIONS = {
  "the floor: { __typename } (HTTP, Yoga, no statement)": `query { __typename }`,
  "dashboard (bench/api.ts: a year by month + a quarter's top 10 authors)": `query { timeSeries(from: "2023-01-01", to: "2023-12-31", bucket: MONTH) { bucket papers upvotes } topAuthors(from: "2023-01-01", to: "2023-03-31", first: 10) { author { name } papers } }`,
  "timeSeries, a year by DAY": `query { timeSeries(from: "2023-01-01", to: "2023-12-31", bucket: DAY) { bucket papers upvotes } }`,
  "timeSeries, 1,000 days by WEEK": `query { timeSeries(from: "2022-01-01", to: "2024-09-26", bucket: WEEK) { bucket papers upvotes } }`,
  "topAuthors, a quarter": `query { topAuthors(from: "2023-01-01", to: "2023-03-31", first: 10) { author { name } papers upvotes } }`,
  "topAuthors, a year": `query { topAuthors(from: "2023-01-01", to: "2023-12-31", first: 10) { author { name } papers upvotes } }`,
  "month view totals": `query { month(id: "2023-06") { paperCount totalUpvotes } }`,
};

async function post(url: string, query: string) {
  const started = performance.now();
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query }),
  });
  const json = (await response.json()) as { data?: unknown; errors?: unknown };
  if (json.errors) throw new Error(JSON.stringify(json.errors));
  return { data: json.data, ms: performance.now() - started };
}

const digest = (data: unknown) =>
  createHash("sha256").update(JSON.stringify(data)).digest("hex").slice(0, 12);

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function postgresUrl(name: string): string {
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Papers in a database, 0 when it has none (or no tables). */
async function paperCount(url: string): Promise<number> {
  const target = parseDatabaseUrl(url);
  try {
    if (target.provider === "sqlite") {
      if (!existsSync(target.file as string)) return 0;
      const db = new Sqlite(target.file as string, { readonly: true });
      const row = db.prepare(`SELECT count(*) AS "n" FROM "Paper"`).get() as { n: number };
      db.close();
      return row.n;
    }
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query(`SELECT count(*) AS "n" FROM "Paper"`);
    await client.end();
    return Number(rows[0].n);
  } catch {
    return 0;
  }
}

/** The before database: loaded by the other checkout's own CLI unless it already holds the corpus. */
async function beforeDatabase(provider: Provider): Promise<DatabaseTarget> {
  const url =
    provider === "sqlite" ? `file:${DIR}/before.db` : postgresUrl("papergraph_dashboard_before");
  if ((await paperCount(url)) > 90_000) return parseDatabaseUrl(url);
  console.log(`${provider}: loading the before database with ${before}'s ingest...`);
  if (provider === "sqlite") {
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${DIR}/before.db${suffix}`, { force: true });
  } else {
    await admin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS "papergraph_dashboard_before" WITH (FORCE)`);
      await c.query(`CREATE DATABASE "papergraph_dashboard_before"`);
    });
  }
  const cli = (...args: string[]) =>
    execFileSync(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
      cwd: before,
      env: { ...process.env, DATABASE_URL: url },
      stdio: "inherit",
    });
  cli("migrate");
  cli("ingest", corpus);
  return parseDatabaseUrl(url);
}

/** A fresh copy of the before database, upgraded by this checkout's migrations (timed). */
async function afterDatabase(provider: Provider, from: DatabaseTarget): Promise<DatabaseTarget> {
  let target: DatabaseTarget;
  if (provider === "sqlite") {
    const db = new Sqlite(from.file as string);
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.close();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${DIR}/after.db${suffix}`, { force: true });
    copyFileSync(from.file as string, `${DIR}/after.db`);
    target = parseDatabaseUrl(`file:${DIR}/after.db`);
  } else {
    await admin(async (c) => {
      await c.query(`DROP DATABASE IF EXISTS "papergraph_dashboard_after" WITH (FORCE)`);
      await c.query(
        `CREATE DATABASE "papergraph_dashboard_after" TEMPLATE "papergraph_dashboard_before"`,
      );
    });
    target = parseDatabaseUrl(postgresUrl("papergraph_dashboard_after"));
  }
  const started = performance.now();
  await upgradeDatabase(target);
  console.log(
    `${provider}: this checkout's migrations on the copy: ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return target;
}

const ENV = {
  LOG_LEVEL: "warn",
  SAMPLE_DATA: "false",
  QUERY_BUDGET_PER_MINUTE: "1000000000",
  RESPONSE_CACHE: "off",
};

async function run(provider: Provider): Promise<string[]> {
  const old = await beforeDatabase(provider);
  const fresh = await afterDatabase(provider, old);
  const servers = [
    startServerProcess({ ...ENV, DATABASE_URL: old.url }, { cwd: before }),
    startServerProcess({ ...ENV, DATABASE_URL: fresh.url }),
  ];
  const rows: string[] = [];
  try {
    const [oldUrl, newUrl] = (await Promise.all(servers.map((s) => s.url))) as [string, string];
    for (const [name, query] of Object.entries(OPERATIONS)) {
      const answers = [
        digest((await post(oldUrl, query)).data),
        digest((await post(newUrl, query)).data),
      ];
      if (answers[0] !== answers[1]) throw new Error(`${name}: the answers differ (${answers})`);
      const times: [number[], number[]] = [[], []];
      const failed: [number, number] = [0, 0];
      const timed = async (side: 0 | 1, url: string) => {
        try {
          times[side].push((await post(url, query)).ms);
        } catch {
          failed[side] += 1; // e.g. the server's statement timeout: counted, not timed
        }
      };
      for (let i = 0; i < Number(values.rounds); i++) {
        await timed(0, oldUrl);
        await timed(1, newUrl);
      }
      const [b, a] = times.map((t) => t.sort((x, y) => x - y));
      const at = (t: number[], q: number) => t[Math.floor(t.length * q)] as number;
      const row = `| ${provider} | ${name} | ${at(b as number[], 0.5).toFixed(1)} ms | ${at(a as number[], 0.5).toFixed(1)} ms | ${at(b as number[], 0.9).toFixed(1)} ms | ${at(a as number[], 0.9).toFixed(1)} ms | ${(at(b as number[], 0.5) / at(a as number[], 0.5)).toFixed(1)}x | ${failed[0]}, ${failed[1]} | ${answers[0]} |`;
      console.log(row);
      rows.push(row);
    }
  } finally {
    for (const server of servers) server.child.kill("SIGTERM");
    await Promise.all(servers.map((s) => s.exited));
  }
  return rows;
}

mkdirSync(DIR, { recursive: true });
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
  "\n| engine | operation, alone | before p50 | after p50 | before p90 | after p90 | p50 before/after | errors before, after | answer |\n|---|---|---|---|---|---|---|---|---|",
);
console.log(rows.join("\n"));
