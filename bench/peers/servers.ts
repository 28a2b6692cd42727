/**
 * The server processes of the peer benchmark, each its own OS process started with `node`
 * directly (no npm or tsx wrapper in between), so that its CPU time and memory are read from
 * /proc/<pid>. Every process started here is killed when the benchmark ends, fails or is
 * interrupted.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");

/**
 * How papergraph is started, in one place: what `npm start` runs, as a `node` command line. When
 * package.json has a `build` script (compiled JavaScript, e.g. `node dist/main.js`), it is built
 * first and `start` is run as it says; without one, `node --import tsx src/main.ts` (what
 * `tsx src/main.ts` runs, in one process).
 */
export interface Launch {
  /** The npm script to run once before starting (`build`), or null. */
  build: string | null;
  /** Arguments of `node`. */
  args: string[];
  /** As shown in the results. */
  description: string;
}

export function papergraphLaunch(root = ROOT): Launch {
  const scripts: Record<string, string> =
    JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")).scripts ?? {};
  if (!scripts.build) {
    return {
      build: null,
      args: ["--import", "tsx", "src/main.ts"],
      description: "node --import tsx src/main.ts (no build script)",
    };
  }
  // `exec` (the shell replacing itself with node, so that signals reach it) changes nothing here.
  const start = (scripts.start ?? "").trim().replace(/^exec\s+/, "");
  const [program, ...rest] = start.split(/\s+/);
  if (/[;&|<>$`]/.test(start) || !program || rest.length === 0) {
    throw new Error(
      `cannot run "npm start" (${start}) as one node process: adjust papergraphLaunch`,
    );
  }
  const args =
    program === "node" ? rest : program === "tsx" ? ["--import", "tsx", ...rest] : undefined;
  if (!args) {
    throw new Error(`"npm start" runs ${program}, not node or tsx: adjust papergraphLaunch`);
  }
  return { build: "build", args, description: `npm run build, then node ${args.join(" ")}` };
}

/** Runs the launch's build script, if any (once per benchmark). */
export function buildPapergraph(launch: Launch, root = ROOT): void {
  if (!launch.build) return;
  console.log(`npm run ${launch.build}`);
  const result = spawnSync("npm", ["run", launch.build], { cwd: root, stdio: "inherit" });
  if (result.status !== 0) throw new Error(`npm run ${launch.build} failed (${result.status})`);
}

export interface ServerCommand {
  args: string[];
  env: Record<string, string>;
}

export function papergraphCommand(launch: Launch, env: Record<string, string>): ServerCommand {
  return {
    args: launch.args,
    env: {
      PORT: "0",
      LOG_LEVEL: "warn",
      SAMPLE_DATA: "false",
      // One client (this process) sends all the load: the per-client query budget would refuse it.
      QUERY_BUDGET_PER_MINUTE: "1000000000",
      ...env,
    },
  };
}

/**
 * PostGraphile is not a dependency of the project (its packages want Node 22, and only this
 * benchmark uses it): bench/peers/package.json and its lock pin it, and the first run installs
 * it into bench/peers/node_modules, where bench/peers/postgraphile.mjs finds it.
 */
export function ensurePostgraphile(): void {
  const dir = resolve(ROOT, "bench/peers");
  if (existsSync(resolve(dir, "node_modules/postgraphile/package.json"))) return;
  console.log("installing PostGraphile for this benchmark, once: npm ci --prefix bench/peers");
  execFileSync("npm", ["ci", "--prefix", dir, "--no-audit", "--no-fund", "--loglevel=error"], {
    stdio: "inherit",
  });
}

export function postgraphileCommand(databaseUrl: string): ServerCommand {
  ensurePostgraphile();
  return {
    args: [resolve(ROOT, "bench/peers/postgraphile.mjs")],
    env: { PORT: "0", DATABASE_URL: databaseUrl, GRAPHILE_ENV: "production" },
  };
}

export function floorCommand(databaseUrl: string): ServerCommand {
  return {
    args: [resolve(ROOT, "bench/peers/floor.mjs")],
    env: { PORT: "0", DATABASE_URL: databaseUrl },
  };
}

const live = new Set<ChildProcess>();

/** Kills every server still running (SIGKILL: used on the way out, when nothing else is left). */
export function killAll(): void {
  for (const child of live) child.kill("SIGKILL");
  live.clear();
}
process.on("exit", killAll);

export interface Server {
  pid: number;
  url: string;
  /** Milliseconds from spawn until it printed its URL. */
  listeningMs: number;
  /** Spawned at (performance.now()). */
  spawnedAt: number;
  stderr: () => string;
  /** SQL statements sent so far (a server started with `countStatements` only). */
  statements: () => Promise<number>;
  stop: () => Promise<void>;
}

const COUNTER = resolve(ROOT, "bench/peers/count-statements.mjs");

/**
 * Starts a server process and waits until it prints `serving http://...`. With `countStatements`
 * the process preloads bench/peers/count-statements.mjs, which counts its SQL statements.
 */
export async function startServer(
  name: string,
  command: ServerCommand,
  options: { countStatements?: "pg" | "sqlite"; timeoutMs?: number } = {},
): Promise<Server> {
  const timeoutMs = options.timeoutMs ?? 180_000;
  const counter = options.countStatements;
  const spawnedAt = performance.now();
  const child = spawn(
    process.execPath,
    counter ? ["--import", COUNTER, ...command.args] : command.args,
    {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: "production",
        ...command.env,
        ...(counter ? { COUNT_STATEMENTS: counter } : {}),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  live.add(child);
  let stderr = "";
  child.on("error", (error) => {
    stderr += `${error}\n`;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
    if (stderr.length > 100_000) stderr = stderr.slice(-50_000);
  });
  // Standard output, line by line: the URL first, then the statement counts asked for.
  const lineWaiters: ((line: string) => boolean)[] = [];
  let pending = "";
  child.stdout?.on("data", (d) => {
    pending += d;
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      const index = lineWaiters.findIndex((waiter) => waiter(line));
      if (index >= 0) lineWaiters.splice(index, 1);
    }
  });
  const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
  const stop = async () => {
    if (!live.has(child)) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
    live.delete(child);
  };
  /** The next line matching `pattern`, or a rejection when the process exits or time runs out. */
  const nextLine = (pattern: RegExp, ms: number) =>
    new Promise<RegExpExecArray>((resolveLine, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name}: no ${pattern} within ${ms / 1000} s: ${stderr}`)),
        ms,
      );
      lineWaiters.push((line) => {
        const match = pattern.exec(line);
        if (match) {
          clearTimeout(timer);
          resolveLine(match);
        }
        return match !== null;
      });
      exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code}: ${stderr}`));
      });
    });
  try {
    const [, url] = await nextLine(/serving (http:\/\/\S+)/, timeoutMs);
    const pid = child.pid as number;
    return {
      pid,
      url: (url as string).replace("//localhost:", "//127.0.0.1:"),
      listeningMs: performance.now() - spawnedAt,
      spawnedAt,
      stderr: () => stderr,
      statements: async () => {
        if (!counter) throw new Error(`${name} does not count its statements`);
        const line = nextLine(/^statements (\d+)$/, 10_000);
        child.kill("SIGUSR2");
        return Number((await line)[1]);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The process's children (e.g. the esbuild service tsx starts to compile TypeScript). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    } catch {
      // a thread that ended meanwhile
    }
  }
  return out;
}

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time a process has used (user + system), in milliseconds, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

/**
 * CPU time of a server: its process and any child processes it runs (none, normally; tsx's
 * esbuild while it compiles), so that no work is missed.
 */
export function serverCpuMs(pid: number): number {
  let total = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const next = pending.pop() as number;
    try {
      total += cpuMs(next);
      pending.push(...childrenOf(next));
    } catch {
      // ended meanwhile
    }
  }
  return total;
}

/** Resident memory now and at its peak (VmRSS, VmHWM), in MB. */
export function memoryMb(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: Math.round(kb("VmRSS") / 1024), peak: Math.round(kb("VmHWM") / 1024) };
}

/**
 * CPU time of the PostgreSQL backends serving a database (processes titled
 * `postgres: ... <user> <database> <client> ...`), by pid. Backends of other databases, and of
 * other people's tests on the same server, are not counted.
 */
export function backendCpu(database: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const title = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (!title.startsWith("postgres:") || !title.includes(` ${database} `)) continue;
      out.set(Number(entry), cpuMs(Number(entry)));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

/** CPU the backends used between two readings (a backend born meanwhile counts from zero). */
export function backendCpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}
