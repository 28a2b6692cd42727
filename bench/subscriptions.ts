/**
 * Subscription fan-out benchmark: a server process (as `npm start` runs it) on a fresh SQLite
 * database with the sample digests; 2,000 Server-Sent Events subscribers of `dayRanking` on the
 * sample day, 20 per local address (the default per-client limit); then 20 votes on 20 papers
 * of that day, sent at once. Reports the time until every subscriber got every vote's event,
 * the latency of /health meanwhile (asked one request after another), and the server's memory.
 *
 *   npx tsx bench/subscriptions.ts [--subscribers 2000] [--votes 20] [--label "this checkout"]
 *                                  [--checkout /path]...
 *
 * `--checkout` (repeatable) runs the same against the server of another checkout too (a git
 * worktree, with node_modules linked and src/generated copied), after this one. Server CPU is
 * the time the server process spent on a CPU from the first vote until the last event arrived,
 * bench CPU that of this process (the 2,000 clients) meanwhile: unlike the wall time, they
 * hardly depend on what else the machine runs.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { createToken, createUser } from "../src/auth/tokens.ts";
import { openDatabase } from "../src/db/client.ts";
import { migrate } from "../src/db/migrate.ts";
import { createTestTarget } from "../test/support/engines.ts";
import { startServerProcess } from "../test/support/process.ts";
import { openFlood } from "./abuse/subscriptions.ts";

const { values } = parseArgs({
  options: {
    subscribers: { type: "string", default: "2000" },
    votes: { type: "string", default: "20" },
    checkout: { type: "string", multiple: true, default: [] },
    label: { type: "string", default: "this checkout" },
  },
});
const SUBSCRIBERS = Number(values.subscribers);
const VOTES = Number(values.votes);
const DAY = "2024-10-25";

const METRICS_TOKEN = "bench-subscriptions-metrics";

/** The longest event-loop delay since the last scrape, in ms, or null when not served. */
async function eventLoopDelayMax(url: string): Promise<number | null> {
  const response = await fetch(url.replace("/graphql", "/metrics"), {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  });
  const text = await response.text();
  const seconds = /^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text)?.[1];
  return response.ok && seconds ? Number(seconds) * 1000 : null;
}

const paperGid = (id: number) => Buffer.from(`Paper:${id}`).toString("base64");

/** CPU time the process has used, in ms (user + system, from /proc). */
function cpuMs(pid: number): number {
  const fields = (readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1] ?? "").split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function memoryMb(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const mb = (field: string) =>
    Math.round(Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);
  return { rss: mb("VmRSS"), peak: mb("VmHWM") };
}

/**
 * Asks /health one request after another, from a worker thread (the subscribers keep this
 * thread's event loop busy, which would delay the answers it reads). `between(from, to)`: the
 * latencies of the requests started in that time (Date.now() values).
 */
async function healthPoller(url: string) {
  const worker = new Worker(
    `const { parentPort, workerData } = require("node:worker_threads");
     (async () => {
       for (;;) {
         const started = Date.now();
         const t = performance.now();
         const response = await fetch(workerData);
         await response.arrayBuffer();
         parentPort.postMessage([started, performance.now() - t]);
         await new Promise((r) => setTimeout(r, 20));
       }
     })();`,
    { eval: true, workerData: url },
  );
  const samples: [number, number][] = [];
  // Started once it has had a first answer (a worker and its first connection take a while).
  await new Promise<void>((resolve) =>
    worker.on("message", (sample: [number, number]) => {
      samples.push(sample);
      resolve();
    }),
  );
  return {
    between: (from: number, to: number) =>
      samples.filter(([started]) => started >= from && started <= to).map(([, ms]) => ms),
    stop: () => worker.terminate(),
  };
}

async function run(label: string, checkout: string): Promise<string> {
  const { target, drop } = await createTestTarget("sqlite");
  await migrate(target);
  // The server process runs the checkout's src/main.ts (startServerProcess spawns in the cwd).
  const cwd = process.cwd();
  process.chdir(checkout);
  const server = startServerProcess({
    DATABASE_URL: target.url,
    LOG_LEVEL: "warn",
    SAMPLE_DATA: "true",
    VOTES_PER_MINUTE: "1000000",
    // For the event-loop delay (prom-client's, reset at each scrape), where the server has it.
    METRICS_TOKEN: METRICS_TOKEN,
  });
  process.chdir(cwd);
  const pid = server.child.pid as number;
  const database = await openDatabase(target);
  try {
    const url = await server.url;
    const { db } = database;
    await createUser(db, "bench");
    const { token } = await createToken(db, "bench");
    const papers = await db.paper.findMany({
      where: { dayEntries: { some: { day: { date: DAY } } } },
      select: { id: true },
      orderBy: { id: "asc" },
    });
    if (papers.length < VOTES + 1) throw new Error(`${DAY} has ${papers.length} papers`);
    const [warm, ...voted] = papers.map((p) => p.id) as [number, ...number[]];
    const vote = async (paperId: number, up: boolean) => {
      const field = up ? "upvotePaper" : "removeUpvote";
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: `mutation($id: ID!) { ${field}(input: { paperId: $id }) { changed } }`,
          variables: { id: paperGid(paperId) },
        }),
      });
      const json = (await response.json()) as { errors?: unknown };
      if (json.errors) throw new Error(JSON.stringify(json.errors));
    };

    const flood = await openFlood({
      url: url.replace("localhost", "127.0.0.1"),
      subscribers: SUBSCRIBERS,
      query: `subscription($date: Date!) { dayRanking(date: $date) { upvotes paper { id title } } }`,
      variables: { date: DAY },
      keyOf: (payload) => payload.data?.dayRanking?.paper?.id ?? null,
      deadlineMs: 120_000,
    });
    let health: Awaited<ReturnType<typeof healthPoller>> | undefined;
    try {
      health = await healthPoller(url.replace("/graphql", "/health"));
      let up = true;
      await flood.warmUp(paperGid(warm), async () => {
        await vote(warm, up);
        up = !up;
      });
      if (flood.open < SUBSCRIBERS) {
        throw new Error(
          `${flood.open} of ${SUBSCRIBERS} open (refused ${JSON.stringify(flood.refused)}, failed ${flood.failed})`,
        );
      }
      const idle = memoryMb(pid);
      await eventLoopDelayMax(url);
      const from = Date.now();
      const cpuBefore = cpuMs(pid);
      const clientBefore = process.cpuUsage();
      const delivery = await flood.measure(voted.slice(0, VOTES).map(paperGid), () =>
        Promise.all(voted.slice(0, VOTES).map((id) => vote(id, true))),
      );
      const cpu = cpuMs(pid) - cpuBefore;
      const client = process.cpuUsage(clientBefore);
      const loopDelay = await eventLoopDelayMax(url);
      const to = Date.now();
      // The requests started before the end are answered shortly after it.
      await new Promise((r) => setTimeout(r, 500));
      const latencies = health.between(from, to).sort((a, b) => a - b);
      const after = memoryMb(pid);
      const pct = (q: number) =>
        (latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0).toFixed(
          0,
        );
      return `| ${label} | ${flood.open} | ${VOTES} | **${(delivery.ms / 1000).toFixed(2)} s** | ${delivery.received}/${delivery.expected} | ${(cpu / 1000).toFixed(2)} s | ${((client.user + client.system) / 1e6).toFixed(2)} s | ${loopDelay === null ? "n/a" : `${loopDelay.toFixed(0)} ms`} | ${pct(0.5)} ms / ${pct(1)} ms (${latencies.length}) | ${idle.rss} MB | ${after.rss} MB (peak ${after.peak} MB) |`;
    } finally {
      await health?.stop();
      await flood.close();
    }
  } finally {
    await database.close();
    // Stopped as in production; killed if it has not stopped within 15 s.
    server.child.kill("SIGTERM");
    const killer = setTimeout(() => server.child.kill("SIGKILL"), 15_000);
    await server.exited;
    clearTimeout(killer);
    await drop();
  }
}

const rows = [await run(values.label, ".")];
for (const checkout of values.checkout) rows.push(await run(checkout, resolve(checkout)));
console.log(
  "| code | subscribers | votes | every event delivered | events received | server CPU | bench CPU | server event-loop delay, max | /health p50 / max (requests) | server RSS, subscribed | server RSS, after delivery |\n|---|---|---|---|---|---|---|---|---|---|---|",
);
console.log(rows.join("\n"));
