/**
 * What every attack of bench/abuse/ reports, measured the same way: the server's peak memory while
 * the attack runs (VmRSS sampled from /proc, so the server must run on this machine), the latency
 * of /health probed meanwhile (p50 and p99: how much the attack stalls everyone else), and how
 * many of the attack's requests failed outright (network errors, timeouts).
 */
import { setMaxListeners } from "node:events";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/** The server under attack: its GraphQL URL (on loopback) and its process id. */
export interface Target {
  url: string;
  pid: number;
}

export interface Measurements {
  /** Resident memory before the attack and its peak during it, in MB. */
  rssBeforeMb: number;
  peakRssMb: number;
  /** /health latency while the attack ran, in ms; `failed`: probes with no 200 within 10 s. */
  health: { p50: number; p99: number; max: number; probes: number; failed: number };
  /** Requests of the attack that got no HTTP answer (connection errors, timeouts). */
  errors: number;
  /** Wall time of the attack, in ms. */
  ms: number;
}

const HEALTH_EVERY_MS = 50;
const HEALTH_TIMEOUT_MS = 10_000;
const RSS_EVERY_MS = 100;

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Counts the attack's requests that got no answer: wrap each request's promise with it. */
export class ErrorCount {
  count = 0;
  async guard<T>(request: Promise<T>): Promise<T | undefined> {
    try {
      return await request;
    } catch {
      this.count += 1;
      return undefined;
    }
  }
}

/**
 * Runs `attack` (given a signal that aborts at `limitMs`) while probing /health and sampling the
 * server's memory; returns what the attack returned and the measurements.
 */
export async function underAttack<T>(
  target: Target,
  attack: (signal: AbortSignal, errors: ErrorCount) => Promise<T>,
  limitMs: number,
): Promise<{ result: T; measurements: Measurements }> {
  const health = new URL("/health", target.url).toString();
  const rssBeforeMb = rssMb(target.pid);
  let peakRssMb = rssBeforeMb;
  let running = true;
  const latencies: number[] = [];
  let failed = 0;
  const probe = (async () => {
    while (running) {
      const started = performance.now();
      try {
        const response = await fetch(health, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
        await response.arrayBuffer();
        if (response.status === 200) latencies.push(performance.now() - started);
        else failed += 1;
      } catch {
        failed += 1;
      }
      await sleep(HEALTH_EVERY_MS);
    }
  })();
  const memory = setInterval(() => {
    try {
      peakRssMb = Math.max(peakRssMb, rssMb(target.pid));
    } catch {
      // The server exited: its last sample stands.
    }
  }, RSS_EVERY_MS);
  const errors = new ErrorCount();
  const started = performance.now();
  try {
    const signal = AbortSignal.timeout(limitMs);
    // Every request of the attack listens to it.
    setMaxListeners(0, signal);
    const result = await attack(signal, errors);
    const ms = Math.round(performance.now() - started);
    running = false;
    await probe;
    latencies.sort((a, b) => a - b);
    return {
      result,
      measurements: {
        rssBeforeMb,
        peakRssMb,
        health: {
          p50: Math.round(percentile(latencies, 50)),
          p99: Math.round(percentile(latencies, 99)),
          max: Math.round(latencies[latencies.length - 1] ?? Number.NaN),
          probes: latencies.length + failed,
          failed,
        },
        errors: errors.count,
        ms,
      },
    };
  } finally {
    running = false;
    clearInterval(memory);
    await probe;
  }
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` in flight, until `signal` aborts. */
export async function inPool(
  count: number,
  concurrency: number,
  signal: AbortSignal,
  task: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < count && !signal.aborted) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return next;
}
