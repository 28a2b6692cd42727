/**
 * A local stand-in for the Daily Papers API: a node:http server answering
 * `/api/daily_papers?date=D` with scripted answers per day (a fixture file, an empty day, 429,
 * 500, no answer at all, a truncated body...), honouring If-None-Match / If-Modified-Since like a
 * real server, and recording every request it got. Never the internet.
 */
import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Answer =
  /** 200 with this body, and these validators (a later request carrying them gets a 304). */
  | { body: string | Buffer; etag?: string; lastModified?: string }
  | { status: number; retryAfter?: string }
  /** Headers and no body, ever: the client's time limit has to end it. */
  | { hang: true }
  /** Announces the whole body's length, sends its first half, and cuts the connection. */
  | { truncate: string | Buffer };

export interface Hit {
  date: string | null;
  headers: IncomingHttpHeaders;
  at: number;
}

export interface DailyPapersServer {
  baseUrl: string;
  hits: Hit[];
  /** Requests being answered right now, and the most there ever were at once. */
  inFlight: { now: number; max: number };
  /**
   * The answers to a day's requests, in order; the last one is repeated. A day without a
   * script gets `fallback` (default: a 404).
   */
  script(date: string, ...answers: Answer[]): void;
  fallback: Answer | undefined;
  /** Milliseconds every answer waits before it starts. */
  delayMs: number;
  close(): Promise<void>;
}

export function fixture(name: string): Buffer {
  return readFileSync(`test/fixtures/hf-api/${name}`);
}

function send(res: ServerResponse, answer: Answer, headers: IncomingHttpHeaders): void {
  if ("hang" in answer) {
    res.writeHead(200, { "content-type": "application/json" });
    res.flushHeaders();
    return;
  }
  if ("truncate" in answer) {
    const body = Buffer.from(answer.truncate);
    res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
    res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
    return;
  }
  if ("status" in answer) {
    res.writeHead(answer.status, answer.retryAfter ? { "retry-after": answer.retryAfter } : {});
    res.end();
    return;
  }
  const unchanged =
    (answer.etag !== undefined && headers["if-none-match"] === answer.etag) ||
    (answer.etag === undefined &&
      answer.lastModified !== undefined &&
      headers["if-modified-since"] === answer.lastModified);
  const validators = {
    ...(answer.etag ? { etag: answer.etag } : {}),
    ...(answer.lastModified ? { "last-modified": answer.lastModified } : {}),
  };
  if (unchanged) {
    res.writeHead(304, validators);
    res.end();
    return;
  }
  res.writeHead(200, { "content-type": "application/json", ...validators });
  res.end(answer.body);
}

export async function startDailyPapersServer(): Promise<DailyPapersServer> {
  const scripts = new Map<string, Answer[]>();
  const served = new Map<string, number>();
  const state: DailyPapersServer = {
    baseUrl: "",
    hits: [],
    inFlight: { now: 0, max: 0 },
    script: (date, ...answers) => {
      scripts.set(date, answers);
      served.set(date, 0);
    },
    fallback: undefined,
    delayMs: 0,
    close: async () => {},
  };
  const http = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const date = url.pathname === "/api/daily_papers" ? url.searchParams.get("date") : null;
    state.hits.push({ date, headers: req.headers, at: Date.now() });
    state.inFlight.now++;
    state.inFlight.max = Math.max(state.inFlight.max, state.inFlight.now);
    res.once("close", () => state.inFlight.now--);
    const answers = date === null ? undefined : scripts.get(date);
    let answer: Answer = state.fallback ?? { status: 404 };
    if (date !== null && answers?.length) {
      const n = served.get(date) ?? 0;
      served.set(date, n + 1);
      answer = answers[Math.min(n, answers.length - 1)] as Answer;
    }
    setTimeout(() => send(res, answer, req.headers), state.delayMs);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  state.baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise((resolve) => {
      http.closeAllConnections();
      http.close(() => resolve());
    });
  return state;
}
