/**
 * A small Server-Sent Events client for GraphQL subscriptions, on `node:http` so that it can
 * connect from a chosen local address (127.0.0.2, 127.0.0.3...: every 127.x address is loopback
 * on Linux), i.e. as different clients. Used by the subscription tests and benchmarks.
 */
import { request } from "node:http";

// biome-ignore lint/suspicious/noExplicitAny: payloads are checked field by field by the callers
export type Payload = any;

export interface SseOptions {
  /** The local address to connect from (default: the system's choice). */
  localAddress?: string;
  /** Closes the stream (and fails the opening) when aborted. */
  signal?: AbortSignal;
  /** More request headers (an `authorization`, say). */
  headers?: Record<string, string>;
  /** Called with each `next` event's payload as it arrives (besides queueing it for `next`). */
  onEvent?: (payload: Payload) => void;
}

export interface SseStream {
  /** The next `next` payload not read yet; rejects once the stream has ended and none is left. */
  next(): Promise<Payload>;
  /** Ends the stream from this side: the server sees the client leave. */
  close(): void;
  /** Resolves when the stream has ended (either side). */
  ended: Promise<void>;
}

/**
 * Opens a subscription: resolves once the server answered with an event stream (for a refused
 * subscription, the stream's one event carries the errors), rejects on any other answer.
 */
export function openSse(url: string, body: unknown, options: SseOptions = {}): Promise<SseStream> {
  const { localAddress, signal, onEvent, headers = {} } = options;
  return new Promise((resolve, reject) => {
    const queue: Payload[] = [];
    let waiting: { resolve: (p: Payload) => void; reject: (e: Error) => void } | undefined;
    let finished = false;
    let endedResolve: () => void = () => {};
    const ended = new Promise<void>((r) => {
      endedResolve = r;
    });
    const finish = () => {
      if (finished) return;
      finished = true;
      endedResolve();
      waiting?.reject(new Error("the stream ended"));
      waiting = undefined;
    };
    const req = request(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
      ...(localAddress ? { localAddress } : {}),
      ...(signal ? { signal } : {}),
    });
    req.on("error", (error) => {
      finish();
      reject(error);
    });
    req.on("response", (res) => {
      if (res.statusCode !== 200 || !res.headers["content-type"]?.includes("text/event-stream")) {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => {
          text += d;
        });
        res.on("end", () => reject(new Error(`not an event stream: ${res.statusCode} ${text}`)));
        return;
      }
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!message.startsWith("event: next\n")) continue;
          const payload = JSON.parse(message.slice(message.indexOf("data: ") + 6));
          onEvent?.(payload);
          if (waiting) {
            waiting.resolve(payload);
            waiting = undefined;
          } else {
            queue.push(payload);
          }
        }
      });
      res.on("close", finish);
      res.on("error", finish);
      resolve({
        next: () => {
          if (queue.length > 0) return Promise.resolve(queue.shift());
          if (finished) return Promise.reject(new Error("the stream ended"));
          return new Promise((resolveNext, rejectNext) => {
            waiting = { resolve: resolveNext, reject: rejectNext };
          });
        },
        close: () => {
          req.destroy();
          finish();
        },
        ended,
      });
    });
    req.end(JSON.stringify(body));
  });
}
