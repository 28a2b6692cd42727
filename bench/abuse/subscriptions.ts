/**
 * Subscription flood: opens N Server-Sent Events subscribers against a server on loopback, spread
 * over local addresses (127.0.1.x: each address is a client to the per-client limit), and
 * measures how events reach them. Bounded: at most MAX_SUBSCRIBERS, at most OPENING_AT_ONCE
 * connections opening at a time, a deadline on every wait, and everything closed by `close` (or
 * when `signal` aborts).
 *
 *   const flood = await openFlood({ url, subscribers: 2000, query, keyOf });
 *   await flood.warmUp("paper-1", () => vote(1));        // every subscriber is listening
 *   const run = await flood.measure(keys, () => votes()); // until all have every key
 *   await flood.close();
 */
import { setMaxListeners } from "node:events";
import { openSse, type Payload, type SseStream } from "../../test/support/sse.ts";

export const MAX_SUBSCRIBERS = 20_000;
const OPENING_AT_ONCE = 100;

export interface FloodOptions {
  /** The server's GraphQL URL, on loopback. */
  url: string;
  subscribers: number;
  /** The subscription every subscriber opens. */
  query: string;
  variables?: object;
  /** Which event a payload is (e.g. its paper id), or null for payloads to ignore. */
  keyOf: (payload: Payload) => string | null;
  /** Subscribers per local address (default 20, the default per-client limit). */
  perAddress?: number;
  /** The longest any phase may take (default 60 s). */
  deadlineMs?: number;
  signal?: AbortSignal;
}

export interface Delivery {
  /** From the start of `produce` until every subscriber had every key (or the deadline). */
  ms: number;
  /** Subscribers that got every key. */
  complete: number;
  /** Events received (of the keys awaited), and expected. */
  received: number;
  expected: number;
}

export interface Flood {
  /** Subscribers whose stream is open (not refused). */
  open: number;
  /** Refused subscriptions, by error code. */
  refused: Record<string, number>;
  /** Subscriptions that could not be opened at all (connection errors). */
  failed: number;
  /** How long opening them took, in ms. */
  openingMs: number;
  /** Calls `produce` every 250 ms until every open subscriber got an event with `key`. */
  warmUp(key: string, produce: () => Promise<unknown>): Promise<number>;
  /** Runs `produce` once; resolves when every open subscriber got an event of each key. */
  measure(keys: string[], produce: () => Promise<unknown>): Promise<Delivery>;
  close(): Promise<void>;
}

function localAddress(index: number, perAddress: number): string {
  const n = Math.floor(index / perAddress);
  return `127.0.${1 + Math.floor(n / 250)}.${1 + (n % 250)}`;
}

export async function openFlood(options: FloodOptions): Promise<Flood> {
  const { url, subscribers, query, variables = {}, keyOf } = options;
  const perAddress = options.perAddress ?? 20;
  const deadlineMs = options.deadlineMs ?? 60_000;
  if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])[:/]/.test(url)) {
    throw new Error(`the flood runs against loopback only, not ${url}`);
  }
  if (!(subscribers >= 1 && subscribers <= MAX_SUBSCRIBERS)) {
    throw new Error(`subscribers must be between 1 and ${MAX_SUBSCRIBERS}`);
  }
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  options.signal?.addEventListener("abort", () => controller.abort(), { once: true });
  /** Per subscriber: the keys received since the current phase began. */
  const seen: Set<string>[] = [];
  let onProgress = () => {};
  const streams: SseStream[] = [];
  const refused: Record<string, number> = {};
  let failed = 0;

  const started = performance.now();
  let next = 0;
  const openOne = async (index: number) => {
    const keys = new Set<string>();
    let first = true;
    let refusedCode: string | null = null;
    try {
      const stream = await openSse(
        url,
        { query, variables },
        {
          localAddress: localAddress(index, perAddress),
          signal: controller.signal,
          onEvent: (payload) => {
            if (first && payload.errors) {
              refusedCode = String(payload.errors[0]?.extensions?.code ?? "ERROR");
            }
            first = false;
            const key = payload.data ? keyOf(payload) : null;
            if (key !== null) {
              keys.add(key);
              onProgress();
            }
          },
        },
      );
      // A refusal is the stream's one event, sent at once: wait for the stream to end or stay.
      await Promise.race([stream.ended, new Promise((r) => setTimeout(r, 50))]);
      if (refusedCode) {
        refused[refusedCode] = (refused[refusedCode] ?? 0) + 1;
        stream.close();
        return;
      }
      streams.push(stream);
      seen.push(keys);
    } catch {
      failed += 1;
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(OPENING_AT_ONCE, subscribers) }, async () => {
      while (next < subscribers && !controller.signal.aborted) await openOne(next++);
    }),
  );
  const openingMs = performance.now() - started;

  /** Resolves when `done()` holds (checked on every event), or false at the deadline. */
  const until = (done: () => boolean) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), deadlineMs);
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        onProgress = () => {};
        resolve(ok);
      };
      onProgress = () => {
        if (done()) finish(true);
      };
      onProgress();
    });

  return {
    open: streams.length,
    refused,
    failed,
    openingMs,
    async warmUp(key, produce) {
      const start = performance.now();
      let warm = false;
      const ready = until(() => seen.every((keys) => keys.has(key))).then((ok) => {
        warm = true;
        return ok;
      });
      while (!warm) {
        await produce();
        await Promise.race([ready, new Promise((r) => setTimeout(r, 250))]);
      }
      if (!(await ready)) throw new Error(`warm-up: not every subscriber got ${key}`);
      return performance.now() - start;
    },
    async measure(keys, produce) {
      for (const s of seen) s.clear();
      const wanted = new Set(keys);
      const has = (s: Set<string>) => [...wanted].every((key) => s.has(key));
      const start = performance.now();
      const all = until(() => seen.every(has));
      await produce();
      await all;
      const ms = performance.now() - start;
      let received = 0;
      for (const s of seen) for (const key of wanted) if (s.has(key)) received++;
      return {
        ms,
        complete: seen.filter(has).length,
        received,
        expected: seen.length * wanted.size,
      };
    },
    async close() {
      controller.abort();
      for (const stream of streams) stream.close();
      await Promise.all(streams.map((s) => s.ended));
    },
  };
}
