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
  /** Subscribers whose stream is open (not refused, not ended). */
  readonly open: number;
  /** Refused subscriptions, by error code. */
  readonly refused: Record<string, number>;
  /** Subscriptions that could not be opened at all (connection errors). */
  readonly failed: number;
  /** How long opening them took, in ms. */
  readonly openingMs: number;
  /**
   * Calls `produce` every 250 ms until every open subscriber got an event with `key` (refusals
   * come first, so afterwards `open` counts the admitted subscribers). Returns the time it took.
   */
  warmUp(key: string, produce: () => Promise<unknown>): Promise<number>;
  /** Runs `produce` once; resolves when every open subscriber got an event of each key. */
  measure(keys: string[], produce: () => Promise<unknown>): Promise<Delivery>;
  close(): Promise<void>;
}

interface Subscriber {
  stream?: SseStream;
  /** Keys of the current phase received since it began. */
  keys: Set<string>;
  state: "opening" | "open" | "refused" | "failed" | "ended";
}

function localAddress(index: number, perAddress: number): string {
  const n = Math.floor(index / perAddress);
  return `127.0.${1 + Math.floor(n / 250)}.${1 + (n % 250)}`;
}

export async function openFlood(options: FloodOptions): Promise<Flood> {
  const { url, subscribers: count, query, variables = {}, keyOf } = options;
  const perAddress = options.perAddress ?? 20;
  const deadlineMs = options.deadlineMs ?? 60_000;
  if (!/^http:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])[:/]/.test(url)) {
    throw new Error(`the flood runs against loopback only, not ${url}`);
  }
  if (!(count >= 1 && count <= MAX_SUBSCRIBERS)) {
    throw new Error(`subscribers must be between 1 and ${MAX_SUBSCRIBERS}`);
  }
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  options.signal?.addEventListener("abort", () => controller.abort(), { once: true });
  const subscribers: Subscriber[] = [];
  const refused: Record<string, number> = {};

  /** The keys the current phase waits for, and how many open subscribers have them all. */
  let phase = { wanted: new Set<string>(), complete: 0, check: () => {} };
  const openCount = () => subscribers.filter((s) => s.state === "open").length;
  const done = () => phase.complete >= openCount();

  const onEvent = (subscriber: Subscriber, payload: Payload) => {
    if (payload.errors && !payload.data) {
      const code = String(payload.errors[0]?.extensions?.code ?? "ERROR");
      refused[code] = (refused[code] ?? 0) + 1;
      subscriber.state = "refused";
      subscriber.stream?.close();
      phase.check();
      return;
    }
    const key = keyOf(payload);
    if (key === null || !phase.wanted.has(key) || subscriber.keys.has(key)) return;
    subscriber.keys.add(key);
    if (subscriber.keys.size === phase.wanted.size) {
      phase.complete++;
      phase.check();
    }
  };

  const started = performance.now();
  let next = 0;
  const openOne = async (index: number) => {
    const subscriber: Subscriber = { keys: new Set(), state: "opening" };
    subscribers.push(subscriber);
    try {
      subscriber.stream = await openSse(
        url,
        { query, variables },
        {
          localAddress: localAddress(index, perAddress),
          signal: controller.signal,
          onEvent: (payload) => onEvent(subscriber, payload),
        },
      );
      if (subscriber.state === "opening") subscriber.state = "open";
      subscriber.stream.ended.then(() => {
        if (subscriber.state === "open") subscriber.state = "ended";
      });
    } catch {
      subscriber.state = "failed";
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(OPENING_AT_ONCE, count) }, async () => {
      while (next < count && !controller.signal.aborted) await openOne(next++);
    }),
  );
  const openingMs = performance.now() - started;

  /** Starts a phase waiting for `keys`; resolves true when every open subscriber has them all. */
  const waitFor = (keys: string[]) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => finish(false), deadlineMs);
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        phase.check = () => {};
        resolve(ok);
      };
      for (const s of subscribers) s.keys.clear();
      phase = {
        wanted: new Set(keys),
        complete: 0,
        check: () => {
          if (done()) finish(true);
        },
      };
    });

  return {
    get open() {
      return subscribers.filter((s) => s.state === "open").length;
    },
    refused,
    get failed() {
      return subscribers.filter((s) => s.state === "failed").length;
    },
    openingMs,
    async warmUp(key, produce) {
      const start = performance.now();
      let settled = false;
      const ready = waitFor([key]).finally(() => {
        settled = true;
      });
      while (!settled) {
        await produce();
        await Promise.race([ready, new Promise((r) => setTimeout(r, 250))]);
      }
      if (!(await ready)) throw new Error(`warm-up: not every subscriber got ${key}`);
      return performance.now() - start;
    },
    async measure(keys, produce) {
      const start = performance.now();
      const all = waitFor(keys);
      await produce();
      await all;
      const ms = performance.now() - start;
      const open = subscribers.filter((s) => s.state === "open");
      return {
        ms,
        complete: phase.complete,
        received: open.reduce((sum, s) => sum + s.keys.size, 0),
        expected: open.length * keys.length,
      };
    },
    async close() {
      controller.abort();
      for (const s of subscribers) s.stream?.close();
      await Promise.all(subscribers.map((s) => s.stream?.ended));
    },
  };
}
