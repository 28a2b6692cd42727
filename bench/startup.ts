/**
 * Issue 9's start-up and memory measures, side by side: for each command that starts a server
 * (this checkout's `npm start`, `node dist/main.js`, another checkout's start...), on each
 * database, interleaved run by run:
 *
 * - cold start on an existing database: from spawning the command to the first answer of a page
 *   of papers (the server's URL line, then one request), wall time and the CPU time the server's
 *   process had used by then, and its RSS then;
 * - memory under load: after `--seconds` of autocannon (10 connections) on that page, the
 *   server's RSS and peak RSS (VmHWM), its CPU time per request and the requests per second.
 *
 *   npx tsx bench/startup.ts --database file:bench/out/big.db [--database postgresql://...]
 *     [--runs 7] [--seconds 10] [--load-runs 3] [--query '{ __typename }']
 *     [--command 'label=node dist/main.js'] [--command 'before=/path/to/checkout:npx tsx src/main.ts']
 *
 * A command is `label=[directory:]command line`, run in that directory (this checkout by
 * default). Without --command: `npm start` and `node dist/main.js` of this checkout. Build a
 * ~100,000-paper database as bench/api.ts does (its corpus, `npx papergraph ingest`), or use any
 * migrated one: the cold start should not depend on its size. Medians; CPU time comes from
 * /proc (Linux).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import autocannon from "autocannon";

const { values } = parseArgs({
  options: {
    database: { type: "string", multiple: true, default: [] },
    command: { type: "string", multiple: true, default: [] },
    runs: { type: "string", default: "7" },
    "load-runs": { type: "string", default: "3" },
    seconds: { type: "string", default: "10" },
    /** The operation asked, first and under load (e.g. `{ __typename }`: the server's own cost). */
    query: {
      type: "string",
      default:
        "{ papers(first: 20, orderBy: {field: UPVOTES}) { edges { node { arxivId title upvotes authors { name } } } } }",
    },
  },
});

const QUERY = JSON.stringify({ query: values.query });

interface Command {
  label: string;
  cwd: string;
  argv: string[];
}

const commands: Command[] = (
  values.command.length > 0
    ? values.command
    : ["npm start=npm start", "node dist/main.js=node dist/main.js"]
).map((spec) => {
  const [label, rest] = [spec.slice(0, spec.indexOf("=")), spec.slice(spec.indexOf("=") + 1)];
  const colon = rest.indexOf(":");
  const cwd = colon > 0 && rest.startsWith("/") ? rest.slice(0, colon) : process.cwd();
  const line = colon > 0 && rest.startsWith("/") ? rest.slice(colon + 1) : rest;
  return { label, cwd, argv: line.split(" ").filter(Boolean) };
});
if (values.database.length === 0) {
  console.error("give at least one --database (a migrated database: file:... or postgresql://...)");
  process.exit(2);
}

/** The process that serves: the deepest descendant of `pid` (npm runs the server as a child). */
function serverPid(pid: number): number {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(" ");
    const child = Number(children.at(-1));
    return child ? serverPid(child) : pid;
  } catch {
    return pid;
  }
}

/** CPU time (ms) of a process so far. */
function cpuMs(pid: number): number {
  const fields = (readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1] as string).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

function memoryMb(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
}

async function post(url: string): Promise<void> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: QUERY,
  });
  const json = (await response.json()) as { data?: unknown; errors?: unknown };
  if (!json.data) throw new Error(JSON.stringify(json.errors));
}

async function start(command: Command, database: string) {
  const started = performance.now();
  const child: ChildProcess = spawn(command.argv[0] as string, command.argv.slice(1), {
    cwd: command.cwd,
    env: {
      ...process.env,
      DATABASE_URL: database,
      PORT: "0",
      LOG_LEVEL: "warn",
      SAMPLE_DATA: "false",
      // One client (this process) measures throughput: the per-client budget would refuse it.
      QUERY_BUDGET_PER_MINUTE: "1000000000",
    },
    stdio: ["ignore", "pipe", "inherit"],
    // A process group of its own: stopping it signals every process of the command. A checkout
    // whose `npm start` does not hand signals on (npm, then tsx) would otherwise leave its server
    // running.
    detached: true,
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk) => {
      out += chunk;
      const match = /serving (http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1] as string);
    });
    child.on("exit", (code) => reject(new Error(`${command.label} exited with ${code}`)));
  });
  await post(url);
  const firstAnswerMs = performance.now() - started;
  const pid = serverPid(child.pid as number);
  return {
    url,
    pid,
    firstAnswerMs,
    cpuMs: cpuMs(pid),
    rss: memoryMb(pid).rss,
    stop: async () => {
      process.kill(-(child.pid as number), "SIGTERM");
      while (alive(pid)) await sleep(20);
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const round = (x: number) => Math.round(x);

for (const database of values.database) {
  const cold = new Map<string, { wall: number[]; cpu: number[]; rss: number[] }>();
  for (let run = 0; run < Number(values.runs); run++) {
    for (const command of commands) {
      const server = await start(command, database);
      await server.stop();
      const row = cold.get(command.label) ?? { wall: [], cpu: [], rss: [] };
      row.wall.push(server.firstAnswerMs);
      row.cpu.push(server.cpuMs);
      row.rss.push(server.rss);
      cold.set(command.label, row);
    }
  }
  const load = new Map<string, { rss: number[]; hwm: number[]; cpu: number[]; rps: number[] }>();
  for (let run = 0; run < Number(values["load-runs"]); run++) {
    for (const command of commands) {
      const server = await start(command, database);
      const before = cpuMs(server.pid);
      const result = await autocannon({
        url: server.url,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: QUERY,
        connections: 10,
        duration: Number(values.seconds),
      });
      const { rss, hwm } = memoryMb(server.pid);
      const row = load.get(command.label) ?? { rss: [], hwm: [], cpu: [], rps: [] };
      row.rss.push(rss);
      row.hwm.push(hwm);
      row.cpu.push(((cpuMs(server.pid) - before) * 1000) / Math.max(1, result.requests.total));
      row.rps.push(result.requests.average);
      load.set(command.label, row);
      if (result.errors + result.non2xx > 0) console.warn(`${command.label}: errors under load`);
      await server.stop();
    }
  }
  console.log(`\n${database.replace(/\/\/[^@]*@/, "//")}\n`);
  console.log(
    "| command | first answer (wall) | CPU by then | RSS then | RSS after load | peak RSS | CPU per request | requests/s |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  for (const { label } of commands) {
    const c = cold.get(label);
    const l = load.get(label);
    if (!c || !l) continue;
    console.log(
      `| ${label} | ${round(median(c.wall))} ms [${c.wall.map(round).join(" ")}] | ${round(median(c.cpu))} ms | ${round(median(c.rss))} MB | ${round(median(l.rss))} MB [${l.rss.map(round).join(" ")}] | ${round(median(l.hwm))} MB | ${round(median(l.cpu))} us | ${round(median(l.rps))} |`,
    );
  }
}
