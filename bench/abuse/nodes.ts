/**
 * The `nodes(ids)` attack of issue 8, item 1: one small request naming many Day ids, each with a
 * full page of its papers and their abstracts. Before the cap, 1,500 ids (18 KB) passed the cost
 * limit and answered 165 MB.
 *
 * `runNodesAttack` sends it once to a server on this machine and measures what it cost the
 * server: the answer's size, the time to the last byte, and the server's peak resident memory
 * (VmHWM, when given its pid). It is bounded: loopback URLs only, one request of at most 10,000
 * ids, a timeout, a cap on the bytes read, and the answer is counted, not kept, past 1 MB.
 *
 * Run as a script, it loads a corpus of D days x 100 papers into a fresh database, starts the
 * server of the current directory's checkout in its own process (as `npm start` does) and
 * attacks it; run it from another checkout's directory to measure that code on the same data:
 *
 *   npx tsx bench/abuse/nodes.ts [--days 1500] [--ids 100,1500] [--engine sqlite|postgresql]
 *   cd ../other-checkout && npx tsx /path/to/this/bench/abuse/nodes.ts ...
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/** The request: `ids` forged Day ids (`Day:1`...), each with 100 papers' titles and abstracts. */
export const NODES_ATTACK_QUERY =
  "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Day { papers(first: 100) { nodes { rank paper { title abstract } } } } } }";

export interface NodesAttackOptions {
  /** The server's GraphQL URL: `http://127.0.0.1:<port>/graphql` (loopback hosts only). */
  url: string;
  /** How many Day ids the request names: 1,500 in the issue. */
  ids?: number;
  /** The server's process id, to read its peak resident memory from /proc (Linux). */
  pid?: number;
  /** Gives up after this many milliseconds (default 120,000). */
  timeoutMs?: number;
  /** Stops reading the answer after this many bytes (default 1 GB). */
  maxResponseBytes?: number;
  signal?: AbortSignal;
}

export interface NodesAttackResult {
  ids: number;
  requestBytes: number;
  /** The HTTP status, or null when no answer came (timeout, connection reset). */
  status: number | null;
  responseBytes: number;
  /** True when reading stopped at `maxResponseBytes`. */
  truncated: boolean;
  /** From sending the request to the last byte read. */
  ms: number;
  /** The `extensions.code` of each error, when the answer was read whole and is at most 1 MB. */
  errorCodes: string[];
  /** The server's peak resident memory (VmHWM) before and after the request, when `pid` is given. */
  peakRssBytesBefore: number | null;
  peakRssBytes: number | null;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const KEPT_BYTES = 1024 * 1024;
/** More ids than this would not fit the server's 64 KB body limit anyway. */
const MAX_IDS = 10_000;

/** The peak resident memory of a process (VmHWM), or null when it cannot be read. */
export function peakRssBytes(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const kb = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}

export async function runNodesAttack(options: NodesAttackOptions): Promise<NodesAttackResult> {
  const { url, ids = 1500, pid, timeoutMs = 120_000, maxResponseBytes = 1024 ** 3 } = options;
  if (!LOOPBACK.has(new URL(url).hostname)) {
    throw new Error(`refusing to attack ${url}: loopback servers only`);
  }
  if (!Number.isInteger(ids) || ids < 1 || ids > MAX_IDS) {
    throw new Error(`ids: 1 to ${MAX_IDS}, not ${ids}`);
  }
  const variables = { ids: Array.from({ length: ids }, (_, i) => btoa(`Day:${i + 1}`)) };
  const body = JSON.stringify({ query: NODES_ATTACK_QUERY, variables });
  const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])];
  const peakRssBytesBefore = peakRssBytes(pid);
  const started = performance.now();
  let status: number | null = null;
  let responseBytes = 0;
  let truncated = false;
  const kept: Uint8Array[] = [];
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body,
      signal: AbortSignal.any(signals),
    });
    status = response.status;
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (responseBytes <= KEPT_BYTES) kept.push(value);
      responseBytes += value.byteLength;
      if (responseBytes >= maxResponseBytes) {
        truncated = true;
        await reader.cancel();
        break;
      }
    }
  } catch (error) {
    // A timeout or a reset connection is a result too (status null); an abort of the caller's
    // own signal is not.
    if (options.signal?.aborted) throw error;
  }
  const ms = performance.now() - started;
  let errorCodes: string[] = [];
  if (!truncated && status !== null && responseBytes <= KEPT_BYTES) {
    try {
      const json = JSON.parse(Buffer.concat(kept).toString("utf8")) as {
        errors?: { extensions?: { code?: string } }[];
      };
      errorCodes = (json.errors ?? []).map((e) => String(e.extensions?.code));
    } catch {
      errorCodes = ["(not JSON)"];
    }
  }
  return {
    ids,
    requestBytes: Buffer.byteLength(body),
    status,
    responseBytes,
    truncated,
    ms,
    errorCodes,
    peakRssBytesBefore,
    peakRssBytes: peakRssBytes(pid),
  };
}

/** The script: a corpus in a fresh database, this directory's server, the attack. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      days: { type: "string", default: "1500" },
      ids: { type: "string", default: "100,1500" },
      engine: { type: "string", default: "sqlite" },
    },
  });
  const { generateCorpus } = await import("../generate.ts");
  const { upgradeDatabase } = await import("../../src/db/client.ts");
  const { openSqlClient } = await import("../../src/db/sql.ts");
  const { ingest } = await import("../../src/ingest/run.ts");
  const { createTestTarget } = await import("../../test/support/engines.ts");
  const { startServerProcess } = await import("../../test/support/process.ts");
  const days = Number(values.days);
  const dir = fileURLToPath(new URL(`../out/digests-${days}x100`, import.meta.url));
  if (!existsSync(dir) || readdirSync(dir).length !== days) {
    console.error(`generating ${dir}`);
    generateCorpus({ days, papers: 100, textEvery: 10, out: dir });
  }
  const { target, drop } = await createTestTarget(values.engine as "sqlite" | "postgresql");
  await upgradeDatabase(target);
  const sql = openSqlClient(target);
  console.error(`${values.engine}: ingesting ${days} x 100...`);
  const files = readdirSync(dir)
    .sort()
    .map((name) => ({ source: join(dir, name) }));
  await ingest(sql, files);
  await sql.close();
  console.error(`attacking the server of ${process.cwd()}`);
  const rows: string[] = [];
  try {
    for (const ids of values.ids.split(",").map(Number)) {
      // A fresh server per size, so that each peak is that request's alone.
      const server = startServerProcess({
        DATABASE_URL: target.url,
        LOG_LEVEL: "silent",
        SAMPLE_DATA: "false",
      });
      try {
        const r = await runNodesAttack({ url: await server.url, ids, pid: server.child.pid });
        const mb = (bytes: number | null) =>
          bytes === null ? "?" : (bytes / 1024 ** 2).toFixed(0);
        const size = (bytes: number) =>
          bytes < 1024 ** 2 ? `${bytes} B` : `${(bytes / 1024 ** 2).toFixed(1)} MB`;
        rows.push(
          `| ${values.engine} | ${ids} | ${size(r.requestBytes)} | ${r.status ?? "none"} ${r.errorCodes.join(" ")} | ${size(r.responseBytes)}${r.truncated ? " (cut)" : ""} | ${(r.ms / 1000).toFixed(2)} s | ${mb(r.peakRssBytesBefore)} -> ${mb(r.peakRssBytes)} MB |`,
        );
      } finally {
        server.child.kill("SIGTERM");
        await server.exited;
      }
    }
  } finally {
    await drop();
  }
  console.log(
    "| engine | ids | request | answer | size | time | server peak RSS |\n|---|---|---|---|---|---|---|",
  );
  console.log(rows.join("\n"));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
