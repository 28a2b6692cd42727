/**
 * Issue 8, item 1, reproduced: SQLite lock waits must not freeze the server. While another
 * process ingests thousands of papers into the server's SQLite file (`papergraph ingest` of the
 * real-shaped directory, ~9,900 papers in 580 files; it holds the write lock for up to 250 ms per
 * batch), one signed-in vote is cast every 200 ms, and `/health` and a read are timed one after
 * the other. Bounded: stops when the ingest ends, or after `maxSeconds` (the ingest is then
 * killed). Returns the latencies.
 *
 *   npx tsx bench/abuse/sqlite-locks.ts [--before <checkout>] [--max-seconds 120]
 *
 * run directly, it starts a server process on a fresh SQLite file (and, with `--before`, one of
 * another checkout on another file, afterwards) and prints percentiles of each.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createToken, createUser } from "../../src/auth/tokens.ts";
import { openDatabase, upgradeDatabase } from "../../src/db/client.ts";
import { parseDatabaseUrl } from "../../src/db/target.ts";
import { createTestTarget } from "../../test/support/engines.ts";
import { startServerProcess } from "../../test/support/process.ts";
import { generateRealShaped } from "../real-shaped.ts";

export interface LockAbuseOptions {
  /** The server's GraphQL URL (`http://127.0.0.1:PORT/graphql`). */
  url: string;
  /** The SQLite file that server uses. */
  file: string;
  /** The directory of digests to ingest; the real-shaped one by default. */
  digests?: string;
  maxSeconds?: number;
  voteEveryMs?: number;
  signal?: AbortSignal;
}

export interface LockAbuseResult {
  ingestSeconds: number;
  /** Whether the ingest finished (false: stopped at `maxSeconds`). */
  ingestFinished: boolean;
  /** Milliseconds per request. */
  health: number[];
  read: number[];
  vote: number[];
  /** Requests that failed (an error, a non-200 status, no answer). */
  failures: number;
}

const REAL_SHAPED = "bench/out/real-shaped";
const REQUEST_BOUND_MS = 30_000;
const READ = `{ papers(first: 20, orderBy: { field: TRENDING }) { nodes { title upvotes authors { name } } } }`;

export async function sqliteLocks(options: LockAbuseOptions): Promise<LockAbuseResult> {
  const { url, file, maxSeconds = 120, voteEveryMs = 200 } = options;
  const digests = options.digests ?? REAL_SHAPED;
  if (!options.digests && (!existsSync(digests) || readdirSync(digests).length !== 580)) {
    generateRealShaped(digests);
  }
  const target = parseDatabaseUrl(`file:${file}`);
  const database = await openDatabase(target);
  let token: string;
  let paperId: number;
  try {
    const handle = `lock-abuse-${Date.now()}`;
    await createUser(database.db, handle);
    token = (await createToken(database.db, handle)).token;
    paperId = (await database.db.paper.findFirstOrThrow({ orderBy: { id: "asc" } })).id;
  } finally {
    await database.close();
  }

  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const result: LockAbuseResult = {
    ingestSeconds: 0,
    ingestFinished: false,
    health: [],
    read: [],
    vote: [],
    failures: 0,
  };
  const timed = async (into: number[], request: () => Promise<Response>) => {
    const started = performance.now();
    try {
      const response = await request();
      const body = await response.text();
      if (response.status !== 200 || body.includes('"errors"')) result.failures++;
      into.push(performance.now() - started);
    } catch {
      result.failures++;
    }
  };
  // Requests are not cancelled when the run stops (the last ones finish in milliseconds); they
  // give up after REQUEST_BOUND_MS.
  const post = (query: string, variables: object, auth?: string) =>
    fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(auth ? { authorization: `Bearer ${auth}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(REQUEST_BOUND_MS),
    });

  const started = performance.now();
  const ingest = new Promise<boolean>((done) => {
    const child = execFile(
      process.execPath,
      ["src/bin.mjs", "ingest", digests],
      { env: { ...process.env, DATABASE_URL: `file:${file}` }, signal, maxBuffer: 1 << 26 },
      (error) => done(!error),
    );
    child.on("error", () => {});
  });
  const deadline = setTimeout(() => stop.abort(), maxSeconds * 1000);
  ingest.then(() => stop.abort());

  // One vote every `voteEveryMs`, each on its own (a slow one does not delay the next).
  const votes: Promise<void>[] = [];
  const voting = setInterval(() => {
    const up = votes.length % 2 === 0;
    const id = Buffer.from(`Paper:${paperId}`).toString("base64");
    const mutation = `mutation($id: ID!) { ${up ? "upvotePaper" : "removeUpvote"}(input: { paperId: $id }) { changed } }`;
    votes.push(timed(result.vote, () => post(mutation, { id }, token)));
  }, voteEveryMs);
  // /health and a read, one after the other, as fast as they answer.
  while (!signal.aborted) {
    await timed(result.health, () =>
      fetch(url.replace(/\/graphql$/, "/health"), {
        signal: AbortSignal.timeout(REQUEST_BOUND_MS),
      }),
    );
    await timed(result.read, () => post(READ, {}));
  }
  clearInterval(voting);
  clearTimeout(deadline);
  result.ingestFinished = await ingest;
  result.ingestSeconds = (performance.now() - started) / 1000;
  await Promise.all(votes);
  return result;
}

function summary(label: string, ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) =>
    (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0).toFixed(0);
  return `| ${label} | ${ms.length} | ${at(0.5)} ms | ${at(0.99)} ms | ${at(1)} ms |`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      before: { type: "string" },
      "max-seconds": { type: "string", default: "120" },
    },
  });
  const codes = [{ label: "this checkout", root: process.cwd() }];
  if (values.before) codes.push({ label: "before", root: resolve(values.before) });
  const rows: string[] = [];
  for (const code of codes) {
    const { target, drop } = await createTestTarget("sqlite");
    await upgradeDatabase(target);
    const server = startServerProcess(
      {
        DATABASE_URL: target.url,
        LOG_LEVEL: "warn",
        SAMPLE_DATA: "true",
        // One client sends ~200 reads a second here: out of the query budget's way.
        QUERY_BUDGET_PER_MINUTE: "1000000000",
      },
      { cwd: code.root },
    );
    try {
      const url = await server.url;
      const r = await sqliteLocks({
        url,
        file: target.file as string,
        maxSeconds: Number(values["max-seconds"]),
      });
      console.log(
        `${code.label}: ingest ${r.ingestSeconds.toFixed(1)} s${r.ingestFinished ? "" : " (stopped)"}, ${r.failures} failures`,
      );
      rows.push(
        summary(`${code.label}: /health`, r.health),
        summary(`${code.label}: read (20 papers)`, r.read),
        summary(`${code.label}: vote`, r.vote),
      );
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
      await drop();
    }
  }
  console.log("\n| request | count | p50 | p99 | max |\n|---|---|---|---|---|");
  console.log(rows.join("\n"));
}
