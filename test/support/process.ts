/**
 * Starts the server in its own process and waits for its URL: `src/main.ts` under tsx (no build
 * needed), or another command that runs it (`npm start`, the compiled `dist/main.js`).
 */
import { type ChildProcess, spawn } from "node:child_process";

export interface ServerProcess {
  child: ChildProcess;
  /** The URL the server says it serves; rejects, with what it logged, when it exits first. */
  url: Promise<string>;
  /**
   * The exit code (null when killed by a signal), once the process has exited and its output has
   * been read to the end: the child's `exit` event can come before the last of its output.
   */
  exited: Promise<number | null>;
  /** What the process wrote to standard error so far (its JSON logs). */
  stderr: () => string;
}

export interface StartOptions {
  /** Kills the process (SIGKILL) when aborted: a test that times out leaves no server behind. */
  signal?: AbortSignal;
  /** The checkout to run (its `src/main.ts`); this one by default. */
  cwd?: string;
  /** What to run instead of `src/main.ts` under tsx, e.g. `["npm", "start"]`. */
  command?: [string, ...string[]];
}

export function startServerProcess(
  env: Record<string, string>,
  options: StartOptions = {},
): ServerProcess {
  const [file, ...args] = options.command ?? [process.execPath, "--import", "tsx", "src/main.ts"];
  const child = spawn(file, args, {
    env: { ...process.env, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.cwd ? { cwd: options.cwd } : {}),
    ...(options.signal ? { signal: options.signal, killSignal: "SIGKILL" as const } : {}),
  });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on("close", (code) => resolve(code));
  });
  const url = new Promise<string>((resolve, reject) => {
    let stdout = "";
    child.stdout?.on("data", (d) => {
      stdout += d;
      const match = /serving (http:\/\/\S+)/.exec(stdout);
      if (match) resolve(match[1] as string);
    });
    // Killed through `signal`, the child emits an AbortError (then `close`).
    child.on("error", reject);
    exited.then((code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
  return { child, url, exited, stderr: () => stderr };
}

export interface Finished {
  /** The exit code; null when killed by a signal. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** What a child process (a CLI command) printed, and its exit code, once it has closed. */
export function finished(child: ChildProcess): Promise<Finished> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

/**
 * Waits, if need be, until a new minute has just begun: a process started then is up before the
 * next one. Schedules are cron, to the minute: tests of scheduled jobs start their processes here.
 */
export async function startOfAMinute(signal: AbortSignal): Promise<void> {
  const second = new Date().getUTCSeconds();
  if (second < 40) return;
  await new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, (61 - second) * 1000);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}
