/**
 * API load benchmark: a ~100,000-paper / 1,000-day database per engine, the server in its own
 * process (as `npm start` runs it), and autocannon driving three representative operations over
 * HTTP. Also compares the latency of a page deep in the list with the first page.
 *
 *   npx tsx bench/api.ts [--engines sqlite,postgresql] [--seconds 10] [--connections 10]
 *
 * Prints a Markdown table: requests/s, p50 and p99 latency, and the server's peak memory (VmHWM);
 * then the latency of single requests, one at a time (p50 of 50), for the author filter.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { upgradeDatabase } from "../src/db/client.ts";
import { openSqlClient } from "../src/db/sql.ts";
import type { Provider } from "../src/db/target.ts";
import { ingest } from "../src/ingest/run.ts";
import { createTestTarget, postgresAvailable } from "../test/support/engines.ts";
import { startServerProcess } from "../test/support/process.ts";
import { generateCorpus } from "./generate.ts";

const { values } = parseArgs({
  options: {
    engines: { type: "string", default: "sqlite,postgresql" },
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "10" },
    /** Only the operations whose name contains this (e.g. `author`). */
    only: { type: "string", default: "" },
  },
});

const DAYS = 1000;
const PAPERS = 110; // ~10% repeat from the day before: ~100,000 distinct papers
const dir = `bench/out/digests-${DAYS}x${PAPERS}`;

const OPERATIONS = {
  "front page of a day": {
    query: `query($date: Date!) { day(date: $date) { date paperCount papers(first: 20) { edges { node { rank upvotes paper { title upvotes codeUrl authors { name } } } } } } }`,
    variables: { date: "2023-06-15" },
  },
  "filtered search, selective words": {
    query: `query($search: String!) { papers(first: 20, filter: { search: $search, minUpvotes: 5 }, orderBy: { field: RELEVANCE }) { totalCount nodes { title upvotes publishedAt } } }`,
    variables: { search: "kozendi7 model" },
  },
  "filtered search, words in most papers": {
    query: `query($search: String!) { papers(first: 20, filter: { search: $search, minUpvotes: 5 }, orderBy: { field: RELEVANCE }) { totalCount nodes { title upvotes publishedAt } } }`,
    variables: { search: "diffusion model" },
  },
  "dashboard series": {
    query: `query { timeSeries(from: "2023-01-01", to: "2023-12-31", bucket: MONTH) { bucket papers upvotes } topAuthors(from: "2023-01-01", to: "2023-03-31", first: 10) { author { name } papers } }`,
    variables: {},
  },
};

/**
 * Measured alone (one request at a time): the author filter, on a rare surname typed without its
 * accent, and on the most common surname of the corpus (about one author in eight, as `Wang` is
 * common on real papers), with the page's total count.
 */
const byAuthor = (author: string, count: boolean) => ({
  query: `query($author: String!) { papers(first: 20, filter: { author: $author }, orderBy: { field: UPVOTES }) { ${count ? "totalCount " : ""}nodes { title upvotes } } }`,
  variables: { author },
});
const ALONE = {
  'author filter, a surname typed without its accent ("wisniewski"), with totalCount': byAuthor(
    "wisniewski",
    true,
  ),
  'author filter, a full name ("Sofia Wang"), with totalCount': byAuthor("Sofia Wang", true),
  'author filter, the most common surname ("Wang"), a page': byAuthor("Wang", false),
  'author filter, the most common surname ("Wang"), with totalCount': byAuthor("Wang", true),
};

async function alone(url: string, operation: { query: string; variables: object }) {
  await post(url, operation.query, operation.variables);
  const times: number[] = [];
  for (let i = 0; i < 50; i++)
    times.push((await post(url, operation.query, operation.variables)).ms);
  times.sort((a, b) => a - b);
  return { p50: times[25] as number, p90: times[45] as number };
}

function peakMemoryMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

async function post(url: string, query: string, variables: object) {
  const started = performance.now();
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the benchmark reads a few known fields
  const json = (await response.json()) as { data?: any; errors?: unknown };
  if (json.errors) throw new Error(JSON.stringify(json.errors));
  return { data: json.data, ms: performance.now() - started };
}

/** Medians of the first page and of a page ~50,000 papers deep, measured alternately. */
async function deepPage(url: string) {
  const query = `query($after: String) { papers(first: 100, after: $after, orderBy: { field: UPVOTES }) { pageInfo { endCursor } nodes { title upvotes } } }`;
  let cursor: string | null = null;
  for (let i = 0; i < 500; i++) {
    cursor = (await post(url, query, { after: cursor })).data.papers.pageInfo.endCursor;
  }
  const first: number[] = [];
  const deep: number[] = [];
  for (let i = 0; i < 100; i++) {
    first.push((await post(url, query, { after: null })).ms);
    deep.push((await post(url, query, { after: cursor })).ms);
  }
  const median = (xs: number[]) =>
    [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  return { first: median(first), deep: median(deep) };
}

async function run(provider: Provider) {
  const { target, drop } = await createTestTarget(provider);
  await upgradeDatabase(target);
  const sql = openSqlClient(target);
  console.log(`${provider}: ingesting ${DAYS} x ${PAPERS}...`);
  await ingest(
    sql,
    readdirSync(dir)
      .sort()
      .map((name) => ({ source: join(dir, name) })),
  );
  const papers = (await sql.query<{ n: number }>(`SELECT count(*) AS "n" FROM "Paper"`))[0]?.n;
  await sql.close();
  const server = startServerProcess({
    DATABASE_URL: target.url,
    LOG_LEVEL: "warn",
    SAMPLE_DATA: "false",
    // One client (this process) measures throughput: the per-client query budget would refuse it.
    QUERY_BUDGET_PER_MINUTE: "1000000000",
  });
  const { child } = server;
  const url = await server.url;
  const rows: string[] = [];
  try {
    const wanted = ([name]: [string, unknown]) => name.includes(values.only);
    for (const [name, operation] of Object.entries(OPERATIONS).filter(wanted)) {
      await post(url, operation.query, operation.variables); // warm up, and fail loudly if broken
      const result = await autocannon({
        url,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(operation),
        connections: Number(values.connections),
        duration: Number(values.seconds),
      });
      rows.push(
        `| ${provider} | ${name} | ${Math.round(result.requests.average)} | ${result.latency.p50} ms | ${result.latency.p99} ms | ${result.non2xx + result.errors} |`,
      );
    }
    for (const [name, operation] of Object.entries(ALONE).filter(wanted)) {
      const { p50, p90 } = await alone(url, operation);
      rows.push(
        `| ${provider} | ${name}, alone | | ${p50.toFixed(1)} ms | p90 ${p90.toFixed(1)} ms | |`,
      );
    }
    const deep = values.only ? null : await deepPage(url);
    if (deep)
      rows.push(
        `| ${provider} | page 1 vs page 501 (UPVOTES, 100/page) | | ${deep.first.toFixed(1)} ms vs ${deep.deep.toFixed(1)} ms | ratio ${(deep.deep / deep.first).toFixed(2)} | |`,
      );
    rows.push(
      `| ${provider} | server peak memory | | ${peakMemoryMb(child.pid as number)} MB | ${papers} papers | |`,
    );
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.on("exit", r));
    await drop();
  }
  return rows;
}

if (!existsSync(dir) || readdirSync(dir).length !== DAYS) {
  console.log(`generating ${dir}`);
  generateCorpus({ days: DAYS, papers: PAPERS, textEvery: 10, out: dir });
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
  `\n| engine | operation | requests/s | p50 | p99 | errors |\n|---|---|---|---|---|---|`,
);
console.log(rows.join("\n"));
