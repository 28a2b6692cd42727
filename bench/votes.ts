/**
 * Vote benchmark: 32 concurrent clients (one token each) upvoting and removing upvotes over HTTP
 * against a server process (as `npm start` runs it), on each engine; then checks that every
 * counter equals its vote rows.
 *
 *   npx tsx bench/votes.ts [--engines sqlite,postgresql] [--seconds 10] [--clients 32]
 *                          [--warmup 2] [--before <checkout>] [--runs 1]
 *
 * The first `--warmup` seconds of load are not counted (the server compiles its hot paths).
 * `--before <checkout>` also runs the server of another checkout (e.g. a git worktree of an older
 * commit, with node_modules linked and `src/generated` copied) on a database of its own, in the
 * same run, interleaved with this one's: results side by side from one machine state.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { createToken, createUser } from "../src/auth/tokens.ts";
import { openDatabase, upgradeDatabase } from "../src/db/client.ts";
import type { Provider } from "../src/db/target.ts";
import { createTestTarget, postgresAvailable } from "../test/support/engines.ts";
import { startServerProcess } from "../test/support/process.ts";

const { values } = parseArgs({
  options: {
    engines: { type: "string", default: "sqlite,postgresql" },
    seconds: { type: "string", default: "10" },
    clients: { type: "string", default: "32" },
    before: { type: "string" },
    runs: { type: "string", default: "1" },
    warmup: { type: "string", default: "2" },
  },
});
const CLIENTS = Number(values.clients);
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);

interface Code {
  label: string;
  /** The checkout whose server runs. */
  root: string;
}

interface Row {
  code: string;
  provider: Provider;
  perSecond: number;
  p50: number;
  p99: number;
  failed: number;
  mismatched: number;
}

async function run(provider: Provider, code: Code): Promise<Row> {
  const { target, drop } = await createTestTarget(provider);
  await upgradeDatabase(target);
  const server = startServerProcess(
    {
      DATABASE_URL: target.url,
      LOG_LEVEL: "warn",
      SAMPLE_DATA: "true",
      VOTES_PER_MINUTE: "1000000",
      QUERY_BUDGET_PER_MINUTE: "1000000000",
    },
    { cwd: code.root },
  );
  const { child } = server;
  const url = await server.url;
  const { db, close } = await openDatabase(target);
  try {
    const tokens: string[] = [];
    for (let i = 0; i < CLIENTS; i++) {
      await createUser(db, `bench${i}`);
      tokens.push((await createToken(db, `bench${i}`)).token);
    }
    const papers = (await db.paper.findMany({ select: { id: true }, take: 20 })).map((p) =>
      Buffer.from(`Paper:${p.id}`).toString("base64"),
    );
    const mutation = (up: boolean) =>
      `mutation($id: ID!) { ${up ? "upvotePaper" : "removeUpvote"}(input: { paperId: $id }) { changed paper { upvotes } } }`;
    let done = 0;
    let failed = 0;
    const latencies: number[] = [];
    const counted = performance.now() + WARMUP * 1000;
    const deadline = counted + SECONDS * 1000;
    await Promise.all(
      tokens.map(async (token, c) => {
        for (let i = 0; performance.now() < deadline; i++) {
          const started = performance.now();
          const response = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
            body: JSON.stringify({
              query: mutation(i % 2 === 0),
              variables: { id: papers[(c + i) % papers.length] },
            }),
          });
          const json = (await response.json()) as { errors?: unknown };
          if (started < counted) continue;
          latencies.push(performance.now() - started);
          if (json.errors) failed++;
          else done++;
        }
      }),
    );
    const mismatched = await db.$queryRawUnsafe<unknown[]>(
      `SELECT p."id" FROM "Paper" p WHERE p."localUpvotes" <> (SELECT count(*) FROM "Vote" v WHERE v."paperId" = p."id")`,
    );
    latencies.sort((a, b) => a - b);
    const pct = (q: number) => latencies[Math.floor(latencies.length * q)] ?? Number.NaN;
    return {
      code: code.label,
      provider,
      perSecond: Math.round(done / SECONDS),
      p50: pct(0.5),
      p99: pct(0.99),
      failed,
      mismatched: mismatched.length,
    };
  } finally {
    await close();
    child.kill("SIGTERM");
    await server.exited;
    await drop();
  }
}

const codes: Code[] = [{ label: "this checkout", root: process.cwd() }];
if (values.before) codes.push({ label: `before (${values.before})`, root: resolve(values.before) });
const rows: Row[] = [];
for (const engine of values.engines.split(",") as Provider[]) {
  if (engine === "postgresql" && !postgresAvailable) {
    console.log("postgresql: skipped (no server answers)");
    continue;
  }
  for (let r = 0; r < Number(values.runs); r++) {
    for (const code of codes) {
      const row = await run(engine, code);
      console.log(`${row.code} ${engine}: ${row.perSecond} votes/s, p99 ${row.p99.toFixed(1)} ms`);
      rows.push(row);
    }
  }
}
const line = (r: Row) =>
  `| ${r.code} | ${r.provider} | ${CLIENTS} | ${r.perSecond} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${r.failed} | ${r.mismatched} |`;
const header =
  "| code | engine | clients | votes/s | p50 | p99 | errors | counters != vote rows |\n|---|---|---|---|---|---|---|---|";
console.log(`\nEvery run, in order:\n${header}\n${rows.map(line).join("\n")}`);
if (Number(values.runs) > 1) {
  // The run with the median throughput of each code and engine.
  const medians = [...new Set(rows.map((r) => `${r.code}|${r.provider}`))].map((key) => {
    const runs = rows.filter((r) => `${r.code}|${r.provider}` === key);
    runs.sort((a, b) => a.perSecond - b.perSecond);
    return runs[Math.floor(runs.length / 2)] as Row;
  });
  console.log(`\nMedian run of ${values.runs}:\n${header}\n${medians.map(line).join("\n")}`);
}
