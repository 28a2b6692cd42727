/**
 * Issue 9: papergraph's read path beside PostGraphile v5 (Amber preset) and a raw floor (node:http
 * and pg, one hand-written statement per request), on the bench generator's corpus (1,000 days x
 * 100 papers, loaded through papergraph's ingest) in PostgreSQL, and papergraph on the same corpus
 * in SQLite. Every server is its own process; its CPU time and memory are read from /proc.
 *
 *   npm run bench:peers [-- --seconds 3 --rounds 3 --burst-seconds 30 --starts 5 --fresh]
 *   npm run bench:peers -- --quick      # a 1-second smoke run (README left alone unless --readme)
 *
 * 1. The databases: loaded once, reused while they hold the corpus (`--fresh` reloads).
 * 2. Cold starts: spawn to the first answer of Q3, `--starts` times, interleaved.
 * 3. Six servers: papergraph on PostgreSQL and on SQLite, each with RESPONSE_CACHE=off and =on,
 *    PostGraphile, the floor. Q1-Q5 are fetched from each and compared as rows: any difference
 *    stops the benchmark (exit 1) with the diff.
 * 4. `--rounds` interleaved rounds; in each, every server x query for `--seconds` with
 *    autocannon (`--connections`, 10); every answer is checked against the verified one.
 * 5. A burst: `--burst-connections` (64) clients on Q1 for `--burst-seconds`, papergraph on
 *    both engines and PostGraphile (for its tail, as a reference).
 * 6. The tables are printed and written into bench/README.md between the markers.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import Database from "better-sqlite3";
import pg from "pg";
import { matchExpression, searchTerms } from "../src/search/documents.ts";
import { DAYS, PAPERS_PER_DAY, prepareDatabases } from "./peers/corpus.ts";
import {
  answerRows,
  EXPECTED_ROWS,
  type Kind,
  type Parameters,
  pagingBody,
  QUERY_IDS,
  QUERY_TITLES,
  type QueryId,
  type Row,
  requestBody,
} from "./peers/queries.ts";
import {
  backendCpu,
  backendCpuDelta,
  buildPapergraph,
  floorCommand,
  killAll,
  memoryMb,
  papergraphCommand,
  papergraphLaunch,
  postgraphileCommand,
  type Server,
  type ServerCommand,
  serverCpuMs,
  startServer,
} from "./peers/servers.ts";

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string" },
    rounds: { type: "string" },
    connections: { type: "string" },
    "burst-seconds": { type: "string" },
    "burst-connections": { type: "string" },
    starts: { type: "string" },
    quick: { type: "boolean", default: false },
    fresh: { type: "boolean", default: false },
    /** Write bench/README.md even for a --quick run. */
    readme: { type: "boolean", default: false },
  },
});
const quick = args.quick;
const setting = (name: keyof typeof args, normal: number, smoke: number) => {
  const raw = args[name];
  const value = typeof raw === "string" ? Number(raw) : quick ? smoke : normal;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
};
const SECONDS = setting("seconds", 3, 1);
const ROUNDS = setting("rounds", 3, 1);
const CONNECTIONS = setting("connections", 10, 10);
const BURST_SECONDS = setting("burst-seconds", 30, 1);
const BURST_CONNECTIONS = setting("burst-connections", 64, 64);
const STARTS = setting("starts", 5, 3);
const WRITE_README = !quick || args.readme;

/** Q3's paper is one of those with a hidden author; Q5's words match a few dozen papers. */
const DATE = "2023-06-15";
const SEARCH = "kozendi7 kodira3";
const README = "bench/README.md";
const MARK_START = "<!-- bench:peers:start -->";
const MARK_END = "<!-- bench:peers:end -->";
const HEADING = "## Read path side by side (`npm run bench:peers`)";

// No orphans: servers are killed on Ctrl-C, on SIGTERM, and on any failure (and at exit).
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    console.error(`\n${signal}: stopping the servers`);
    killAll();
    process.exit(130);
  });
}

interface Target {
  name: string;
  kind: Kind;
  /** Reads PostgreSQL (its backends' CPU and statements are measured), else SQLite. */
  postgres: boolean;
  command: ServerCommand;
}

interface Live extends Target {
  server: Server;
  parameters: Parameters;
  /** Per query: the verified body text, and its rows as JSON. */
  expected: Map<QueryId, { text: string; rows: string }>;
  /** Per query: SQL statements per request (warm). */
  statements: Map<QueryId, number>;
}

// biome-ignore lint/suspicious/noExplicitAny: answers are checked by answerRows
type Json = any;

async function post(
  url: string,
  body: string,
): Promise<{ status: number; text: string; json: Json }> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, text, json };
}

/** The rows of a server's answer to a query; throws with the answer when it is not a clean one. */
async function fetchRows(target: Target, url: string, id: QueryId, parameters: Parameters) {
  const { status, text, json } = await post(url, requestBody(target.kind, id, parameters));
  if (status !== 200 || !json?.data || json.errors) {
    throw new Error(`${target.name} ${id}: HTTP ${status}: ${text.slice(0, 2000)}`);
  }
  return { text, rows: answerRows(target.kind, id, json.data) };
}

/** Each server's cursor of row 10,000 in upvotes order: paged 100 (floor: 20) rows at a time. */
async function deepCursor(target: Target, url: string, parameters: Parameters): Promise<string> {
  if (target.kind === "floor") {
    let body = requestBody("floor", "Q1", parameters);
    let cursor = "";
    for (let rows = 0; rows < 10_000; rows += 20) {
      const { json } = await post(url, body);
      cursor = json.data.papers.edges.at(-1).cursor;
      body = requestBody("floor", "Q2", { ...parameters, after: cursor });
    }
    return cursor;
  }
  let cursor: string | null = null;
  for (let rows = 0; rows < 10_000; rows += 100) {
    const { status, json, text } = await post(url, pagingBody(target.kind, cursor));
    if (status !== 200 || json?.errors) throw new Error(`${target.name} paging: ${text}`);
    const connection = target.kind === "papergraph" ? json.data.papers : json.data.allPapers;
    cursor = connection.pageInfo.endCursor;
  }
  return cursor as string;
}

function diff(a: Row[], b: Row[]): string {
  const lines = [`rows: ${a.length} vs ${b.length}`];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const [x, y] = [JSON.stringify(a[i] ?? null), JSON.stringify(b[i] ?? null)];
    if (x !== y) lines.push(`  row ${i + 1}:\n    - ${x}\n    + ${y}`);
    if (lines.length > 8) break;
  }
  return lines.join("\n");
}

interface Run {
  rps: number;
  p50: number;
  p99: number;
  /** The slowest answer (a request still unanswered after 10 s is a timeout instead). */
  max: number;
  errors: number;
  /** What the errors were: timeouts, connection errors, HTTP statuses, wrong answers. */
  errorKinds: Record<string, number>;
  completed: number;
  serverCpuMs: number;
  dbCpuMs: number | null;
  /** CPU of this process (autocannon) meanwhile. */
  clientCpuMs: number;
}

const DATABASE_NAME = "papergraph_peers";
/** Requests, one after another, over which each server's statements per request are counted. */
const STATEMENT_SAMPLES = 4;

async function load(live: Live, id: QueryId, connections: number, seconds: number): Promise<Run> {
  const expected = live.expected.get(id);
  if (!expected) throw new Error(`${live.name} ${id}: not verified`);
  let wrong: string | undefined;
  const verifyBody = (body: string | Buffer | undefined) => {
    if (body === expected.text) return true;
    try {
      const data = JSON.parse(String(body)).data;
      if (JSON.stringify(answerRows(live.kind, id, data)) === expected.rows) return true;
    } catch {}
    wrong ??= String(body).slice(0, 500);
    return false;
  };
  const pid = live.server.pid;
  const db0 = live.postgres ? backendCpu(DATABASE_NAME) : null;
  const cpu0 = serverCpuMs(pid);
  const client0 = process.cpuUsage();
  const result = await autocannon({
    url: live.server.url,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: requestBody(live.kind, id, live.parameters),
    connections,
    duration: seconds,
    verifyBody,
  });
  const cpu1 = serverCpuMs(pid);
  const client = process.cpuUsage(client0);
  const db1 = live.postgres ? backendCpu(DATABASE_NAME) : null;
  const completed = result["1xx"] + result["2xx"] + result["3xx"] + result["4xx"] + result["5xx"];
  // A non-2xx answer also fails the body check: count it once, under its status.
  const wrongAnswers = Math.max(0, result.mismatches - result.non2xx);
  const errorKinds: Record<string, number> = {
    timeouts: result.timeouts,
    "connection errors": result.errors - result.timeouts,
    "wrong answers": wrongAnswers,
  };
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) {
    if (!code.startsWith("2")) errorKinds[`HTTP ${code}`] = stat.count ?? 0;
  }
  if (wrong) console.log(`${live.name} ${id}: an answer that is not the verified one: ${wrong}`);
  return {
    rps: (result["2xx"] - wrongAnswers) / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    max: result.latency.max,
    errors: Object.values(errorKinds).reduce((n, k) => n + k, 0),
    errorKinds,
    completed,
    serverCpuMs: cpu1 - cpu0,
    dbCpuMs: db0 && db1 ? backendCpuDelta(db0, db1) : null,
    clientCpuMs: (client.user + client.system) / 1000,
  };
}

/** `0`, or the count and what the errors were: `17 (timeouts 12, HTTP 503 5)`. */
function errorText(runs: Run[]): string {
  const kinds = new Map<string, number>();
  for (const run of runs) {
    for (const [kind, n] of Object.entries(run.errorKinds))
      kinds.set(kind, (kinds.get(kind) ?? 0) + n);
  }
  const nonZero = [...kinds].filter(([, n]) => n > 0);
  const total = nonZero.reduce((n, [, k]) => n + k, 0);
  return total === 0 ? "0" : `${total} (${nonZero.map(([k, n]) => `${k} ${n}`).join(", ")})`;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};
const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (n: number) => `${n < 10 ? fmt(n, 1) : fmt(n)} ms`;
const ratio = (a: number, b: number) => (b > 0 ? `${fmt(a / b, 2)}x` : "n/a");

/** Spawn to the first correct answer of Q3, and the memory right then. */
async function coldStart(target: Target, parameters: Parameters) {
  const server = await startServer(target.name, target.command);
  try {
    const body = requestBody(target.kind, "Q3", parameters);
    for (;;) {
      const { status, json } = await post(server.url, body).catch(() => ({
        status: 0,
        json: null,
      }));
      if (status === 200 && json?.data && !json.errors) {
        const rows = answerRows(target.kind, "Q3", json.data);
        if (rows.length !== 1) throw new Error(`${target.name}: Q3 answered ${rows.length} rows`);
        return {
          ms: performance.now() - server.spawnedAt,
          listeningMs: server.listeningMs,
          rss: memoryMb(server.pid).rss,
        };
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    await server.stop();
  }
}

function machineNotes(extra: string[]): string[] {
  const cpus = os.cpus();
  return [
    `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, git ${gitHead()}`,
    `Node ${process.version}, ${cpus.length} cores (${cpus[0]?.model.trim() ?? "?"}), ${Math.round(os.totalmem() / 2 ** 30)} GB`,
    ...extra,
  ];
}

function gitHead(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"]).toString().trim();
    // This file's own results do not count as a change of the code measured.
    const dirty = execFileSync("git", [
      "status",
      "--porcelain",
      "--untracked-files=no",
      "--",
      ".",
      `:!${README}`,
    ])
      .toString()
      .trim();
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return "unknown";
  }
}

/** Whether this checkout reads RESPONSE_CACHE at all (otherwise cached = uncached). */
function hasResponseCacheSwitch(): boolean {
  try {
    execFileSync("grep", ["-rlq", "--exclude-dir=generated", "RESPONSE_CACHE", "src"]);
    return true;
  } catch {
    return false;
  }
}

function writeReadme(block: string): void {
  const text = readFileSync(README, "utf8");
  const start = text.indexOf(MARK_START);
  const end = text.indexOf(MARK_END);
  const next =
    start >= 0 && end > start
      ? `${text.slice(0, start + MARK_START.length)}\n${block}\n${text.slice(end)}`
      : `${text.trimEnd()}\n\n${HEADING}\n\n${MARK_START}\n${block}\n${MARK_END}\n`;
  writeFileSync(README, next);
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg()[0] as number;
  const databases = await prepareDatabases(args.fresh);
  const pgUrl = databases.postgres.url;
  const liteUrl = databases.sqlite.url;

  // What the queries ask: fixed, except the paper (one with a hidden second author).
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  const [{ arxivId, authorCount }] = (
    await client.query(`SELECT "arxivId", "authorCount" FROM "Paper" WHERE "arxivId" IS NOT NULL
      AND "id" % 10 = 0 AND "authorCount" > 2 ORDER BY "id" LIMIT 1 OFFSET 4000`)
  ).rows;
  const deep = (
    await client.query(`SELECT "title" FROM "Paper" ORDER BY "upvotes" DESC, "id" DESC
      OFFSET 10000 LIMIT 20`)
  ).rows.map((r) => r.title as string);
  const searchMatches = Number(
    (
      await client.query(`SELECT count(*) AS n FROM "Paper" WHERE "searchVector" @@ $1::tsquery`, [
        matchExpression("postgresql", searchTerms(SEARCH)),
      ])
    ).rows[0].n,
  );
  const pgVersion = (await client.query("SHOW server_version")).rows[0].server_version as string;
  await client.end();
  const lite = new Database(databases.sqlite.file as string, { readonly: true });
  const sqliteVersion = (lite.prepare("SELECT sqlite_version() AS v").get() as { v: string }).v;
  lite.close();
  const base: Parameters = {
    arxivId,
    date: DATE,
    search: SEARCH,
    tsquery: matchExpression("postgresql", searchTerms(SEARCH)),
    after: "",
  };

  const launch = papergraphLaunch();
  buildPapergraph(launch);
  const papergraph = (name: string, url: string, cache: "on" | "off"): Target => ({
    name,
    kind: "papergraph",
    postgres: url.startsWith("postgres"),
    command: papergraphCommand(launch, { DATABASE_URL: url, RESPONSE_CACHE: cache }),
  });
  const targets: Target[] = [
    papergraph("papergraph-pg", pgUrl, "off"),
    papergraph("papergraph-pg (cached)", pgUrl, "on"),
    papergraph("papergraph-sqlite", liteUrl, "off"),
    papergraph("papergraph-sqlite (cached)", liteUrl, "on"),
    {
      name: "postgraphile",
      kind: "postgraphile",
      postgres: true,
      command: postgraphileCommand(pgUrl),
    },
    { name: "floor", kind: "floor", postgres: true, command: floorCommand(pgUrl) },
  ];
  const byName = (name: string) => targets.find((t) => t.name === name) as Target;

  // Cold starts, before the benchmark's servers run: interleaved, each process killed after.
  const coldTargets = [
    byName("papergraph-pg"),
    byName("papergraph-sqlite"),
    byName("postgraphile"),
  ];
  const cold = new Map<string, { ms: number; listeningMs: number; rss: number }[]>();
  for (let i = 0; i < STARTS; i++) {
    for (const target of coldTargets) {
      const result = await coldStart(target, base);
      cold.set(target.name, [...(cold.get(target.name) ?? []), result]);
      console.log(`cold start ${i + 1}/${STARTS} ${target.name}: ${ms(result.ms)}`);
    }
  }

  // The servers of the benchmark, all running, one loaded at a time.
  const lives: Live[] = [];
  for (const target of targets) {
    const server = await startServer(target.name, target.command, {
      countStatements: target.postgres ? "pg" : "sqlite",
    });
    console.log(`${target.name}: pid ${server.pid}, ${server.url}`);
    lives.push({ ...target, server, parameters: base, expected: new Map(), statements: new Map() });
  }
  for (const live of lives) {
    live.parameters = { ...base, after: await deepCursor(live, live.server.url, base) };
  }

  // Every server must answer every query with the same rows, before anything is timed.
  for (const id of QUERY_IDS) {
    let reference: { name: string; rows: Row[] } | undefined;
    for (const live of lives) {
      await fetchRows(live, live.server.url, id, live.parameters); // a cached server caches here
      const { text, rows } = await fetchRows(live, live.server.url, id, live.parameters);
      live.expected.set(id, { text, rows: JSON.stringify(rows) });
      const before = await live.server.statements();
      for (let i = 0; i < STATEMENT_SAMPLES; i++) {
        await fetchRows(live, live.server.url, id, live.parameters);
      }
      live.statements.set(id, ((await live.server.statements()) - before) / STATEMENT_SAMPLES);
      if (rows.length !== EXPECTED_ROWS[id]) {
        throw new Error(`${live.name} ${id}: ${rows.length} rows, expected ${EXPECTED_ROWS[id]}`);
      }
      if (!reference) reference = { name: live.name, rows };
      else if (JSON.stringify(rows) !== JSON.stringify(reference.rows)) {
        throw new Error(
          `${id}: ${live.name} answers differently from ${reference.name}:\n${diff(reference.rows, rows)}`,
        );
      }
    }
    if (
      id === "Q2" &&
      JSON.stringify(reference?.rows.map((r) => r.title)) !== JSON.stringify(deep)
    ) {
      throw new Error(`Q2 is not rows 10,001-10,020 of the upvotes order: ${JSON.stringify(deep)}`);
    }
    if (id === "Q3" && reference?.rows[0]?.authors.length !== authorCount - 1) {
      throw new Error(
        `Q3's paper has ${authorCount} authors, one hidden, not these: ${JSON.stringify(reference?.rows[0])}`,
      );
    }
  }
  console.log(`all ${lives.length} servers answer Q1-Q5 with the same rows`);

  if (!quick) {
    console.log("warm-up: 1 s per server and query");
    for (const id of QUERY_IDS) for (const live of lives) await load(live, id, CONNECTIONS, 1);
  }

  const runs = new Map<string, Run[]>();
  const key = (live: Target, id: QueryId) => `${live.name}|${id}`;
  for (let round = 0; round < ROUNDS; round++) {
    const order = [...lives.slice(round % lives.length), ...lives.slice(0, round % lives.length)];
    for (const id of QUERY_IDS) {
      for (const live of order) {
        const run = await load(live, id, CONNECTIONS, SECONDS);
        runs.set(key(live, id), [...(runs.get(key(live, id)) ?? []), run]);
        console.log(
          `round ${round + 1}/${ROUNDS} ${id} ${live.name}: ${fmt(run.rps)} req/s, p50 ${ms(run.p50)}, p99 ${ms(run.p99)}, errors ${run.errors}, ${fmt(run.serverCpuMs / Math.max(run.completed, 1), 3)} ms CPU/req`,
        );
      }
    }
  }
  const memory = new Map(lives.map((live) => [live.name, memoryMb(live.server.pid)]));

  const bursts: { name: string; run: Run }[] = [];
  // PostGraphile's burst too: the tail a user would get from the peer, for comparison.
  for (const name of ["papergraph-pg", "papergraph-sqlite", "postgraphile"]) {
    const live = lives.find((l) => l.name === name) as Live;
    console.log(`burst: ${BURST_CONNECTIONS} clients on Q1 for ${BURST_SECONDS} s, ${name}`);
    bursts.push({ name, run: await load(live, "Q1", BURST_CONNECTIONS, BURST_SECONDS) });
  }
  const stderrs = lives.map((l) => ({ name: l.name, text: l.server.stderr().trim() }));
  for (const live of lives) await live.server.stop();
  const loadAfter = os.loadavg()[0] as number;

  // The tables.
  interface Summary {
    rps: number;
    rpsMin: number;
    rpsMax: number;
    p50: number;
    p99: number;
    errors: string;
    cpu: number;
    db: number | null;
  }
  const summary = (name: string, id: QueryId): Summary => {
    const list = runs.get(`${name}|${id}`) ?? [];
    const completed = list.reduce((n, r) => n + r.completed, 0);
    const rps = list.map((r) => r.rps);
    return {
      rps: median(rps),
      rpsMin: Math.min(...rps),
      rpsMax: Math.max(...rps),
      p50: median(list.map((r) => r.p50)),
      p99: median(list.map((r) => r.p99)),
      errors: errorText(list),
      cpu: list.reduce((n, r) => n + r.serverCpuMs, 0) / Math.max(completed, 1),
      db: list.every((r) => r.dbCpuMs !== null)
        ? list.reduce((n, r) => n + (r.dbCpuMs as number), 0) / Math.max(completed, 1)
        : null,
    };
  };
  const out: string[] = [];
  out.push(
    `\`npm run bench:peers${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(" ")}` : ""}\`: ${ROUNDS} interleaved round(s) of ${SECONDS} s per server and query, ${CONNECTIONS} connections (autocannon, in the benchmark's process on the same cores); req/s, p50 and p99 are medians of the rounds (req/s: min-max in brackets); CPU is per completed request over all rounds: the server process's (utime+stime from /proc) and, on PostgreSQL, the database backends' serving it; SQL statements per request are counted in each server process (bench/peers/count-statements.mjs, preloaded), over ${STATEMENT_SAMPLES} requests one after another.`,
    "",
    "| query | server | req/s | p50 | p99 | errors | server CPU/req | PostgreSQL CPU/req | SQL statements/req |",
    "|---|---|---|---|---|---|---|---|---|",
  );
  for (const id of QUERY_IDS) {
    for (const t of targets) {
      const s = summary(t.name, id);
      const statements = lives.find((l) => l.name === t.name)?.statements.get(id);
      const range = ROUNDS > 1 ? ` (${fmt(s.rpsMin)}-${fmt(s.rpsMax)})` : "";
      out.push(
        `| ${id} | ${t.name} | ${fmt(s.rps)}${range} | ${ms(s.p50)} | ${ms(s.p99)} | ${s.errors} | ${fmt(s.cpu, 2)} ms | ${s.db === null ? "(in process)" : `${fmt(s.db, 2)} ms`} | ${statements === undefined ? "?" : fmt(statements, Number.isInteger(statements) ? 0 : 2)} |`,
      );
    }
  }
  out.push(
    "",
    "Ratios (papergraph = papergraph-pg without the response cache unless said):",
    "",
    "| query | papergraph / PostGraphile req/s | papergraph / PostGraphile server CPU per request | the same, server + PostgreSQL CPU | papergraph (cached) / PostGraphile req/s | papergraph / floor req/s | SQLite / PostgreSQL req/s (papergraph) |",
    "|---|---|---|---|---|---|---|",
  );
  for (const id of QUERY_IDS) {
    const pgS = summary("papergraph-pg", id);
    const cached = summary("papergraph-pg (cached)", id);
    const lite = summary("papergraph-sqlite", id);
    const pgl = summary("postgraphile", id);
    const floor = summary("floor", id);
    out.push(
      `| ${QUERY_TITLES[id]} | ${ratio(pgS.rps, pgl.rps)} | ${ratio(pgS.cpu, pgl.cpu)} | ${ratio(pgS.cpu + (pgS.db ?? 0), pgl.cpu + (pgl.db ?? 0))} | ${ratio(cached.rps, pgl.rps)} | ${ratio(pgS.rps, floor.rps)} | ${ratio(lite.rps, pgS.rps)} |`,
    );
  }
  out.push(
    "",
    `Cold start: spawn to the first answer of Q3 (the server process is spawned with \`node\`, then asked as soon as it prints its URL), median of ${STARTS} starts, interleaved, on the existing database; memory right after that answer, and of the benchmark's server of the same configuration after all the load runs above:`,
    "",
    "| server | spawn to first Q3 answer | min-max | of which until it listened | RSS after the first answer | RSS after the load runs | peak RSS (VmHWM) |",
    "|---|---|---|---|---|---|---|",
  );
  for (const [name, list] of cold) {
    const m = memory.get(name);
    out.push(
      `| ${name} | ${ms(median(list.map((c) => c.ms)))} | ${ms(Math.min(...list.map((c) => c.ms)))}-${ms(Math.max(...list.map((c) => c.ms)))} | ${ms(median(list.map((c) => c.listeningMs)))} | ${median(list.map((c) => c.rss))} MB | ${m?.rss ?? "?"} MB | ${m?.peak ?? "?"} MB |`,
    );
  }
  out.push(
    "",
    "Memory of every server after the load runs:",
    "",
    "| server | RSS | peak (VmHWM) |",
    "|---|---|---|",
  );
  for (const [name, m] of memory) out.push(`| ${name} | ${m.rss} MB | ${m.peak} MB |`);
  out.push(
    "",
    `Burst: ${BURST_CONNECTIONS} concurrent clients on Q1 for ${BURST_SECONDS} s (a request unanswered after 10 s, autocannon's limit, is a timeout):`,
    "",
    "| server | req/s | p50 | p99 | p99/p50 | slowest answer | errors | server CPU/req |",
    "|---|---|---|---|---|---|---|---|",
  );
  for (const { name, run } of bursts) {
    out.push(
      `| ${name} | ${fmt(run.rps)} | ${ms(run.p50)} | ${ms(run.p99)} | ${ratio(run.p99, run.p50)} | ${ms(run.max)} | ${errorText([run])} | ${fmt(run.serverCpuMs / Math.max(run.completed, 1), 2)} ms |`,
    );
  }
  const cacheSwitch = hasResponseCacheSwitch();
  const allRuns = [...runs.values()].flat();
  const clientCpu =
    allRuns.reduce((n, r) => n + r.clientCpuMs, 0) /
    Math.max(
      allRuns.reduce((n, r) => n + r.completed, 0),
      1,
    );
  const notes = machineNotes([
    `load average (1 min) ${fmt(loadBefore, 1)} before, ${fmt(loadAfter, 1)} after${loadBefore > 1 ? ": the machine was shared with other jobs meanwhile" : ""}`,
    `corpus: ${DAYS} days x ${PAPERS_PER_DAY} papers (bench/generate.ts), ${fmt(databases.papers)} distinct papers, loaded by papergraph's ingest; the second author of one paper in ten marked hidden; ${databases.notes.join(", ")}`,
    `PostgreSQL ${pgVersion} (same machine, default settings), SQLite ${sqliteVersion}; every server has a pool of 10 PostgreSQL connections`,
    `papergraph: ${launch.description}, NODE_ENV=production, QUERY_BUDGET_PER_MINUTE=1000000000; ${cacheSwitch ? "RESPONSE_CACHE is read by this checkout" : "this checkout has no RESPONSE_CACHE switch: the (cached) rows run the same code as the others"}`,
    `the load generator (autocannon, in this process) used ${fmt(clientCpu, 2)} ms of CPU per request on average, on the same cores as the servers and PostgreSQL`,
    "PostGraphile 5.1.5, Amber preset, defaults (bench/peers/postgraphile.mjs); floor: node:http + pg, one prepared statement per request (bench/peers/floor.mjs)",
    `Q3: arXiv id ${arxivId}; Q4: ${DATE}; Q5: "${SEARCH}" (${searchMatches} matching papers; PostGraphile and the floor get papergraph's tsquery \`${base.tsquery}\`)`,
    ...(quick ? ["**--quick smoke run: not a measurement**"] : []),
  ]);
  const block = [...notes.map((n) => `- ${n}`), "", ...out].join("\n");
  console.log(`\n${block}\n`);
  const warnings = stderrs.filter((s) => s.text);
  for (const { name, text } of warnings) {
    console.log(`${name} logged:\n${text.split("\n").slice(0, 10).join("\n")}\n`);
  }
  if (WRITE_README) {
    writeReadme(block);
    console.log(`written to ${README}`);
  } else {
    console.log(`${README} not written (--quick; add --readme to write it)`);
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    killAll();
    process.exit(1);
  },
);
