/**
 * Bounds on graphql-sse's single-connection mode (`/graphql/stream`, src/server.ts). A client
 * reserves a stream (PUT) and gets a token, opens the stream with it (GET or POST, `Accept:
 * text/event-stream`), then sends its operations with the token. graphql-sse keeps a reservation
 * in memory until its stream has been opened and closed, and by default takes a token the client
 * names, or makes one with Math.random. Here, through the handler's `authenticate` and
 * `onConnect` hooks:
 *
 * - A token is a random UUID from node:crypto, always the server's; a token the client names in
 *   a PUT is ignored.
 * - A client (its address, as for the subscription limits) may hold `perClient` reserved or open
 *   streams, the process `total`; past them a PUT is refused with 429 TOO_MANY_SUBSCRIPTIONS
 *   (`scope` `client` or `total`). A stream's place is free again when the client closes it.
 * - A reservation whose stream is not opened within `openWithinMs` is dropped (its place freed,
 *   graphql-sse's stream disposed by opening and cancelling it).
 *
 * Operations sent on a stream take subscription slots as any other (src/live/slots.ts).
 */
import { randomUUID } from "node:crypto";
import type { Plugin } from "graphql-yoga";
import type { ErrorCode } from "../graphql/errors.ts";
import type { ClientContext } from "../graphql/pubsub.ts";
import { type Slot, SubscriptionSlots } from "../live/slots.ts";

export interface StreamLimits {
  /** Reserved or open single-connection streams per client. */
  perClient: number;
  /** Reserved or open single-connection streams in all. */
  total: number;
  /** How long a reservation waits for its stream to be opened (ms). */
  openWithinMs: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  perClient: 5,
  total: 10_000,
  openWithinMs: 30_000,
};

/** graphql-sse's names for the token (graphql-sse/lib/common: TOKEN_HEADER_KEY, TOKEN_QUERY_KEY). */
const TOKEN_HEADER = "x-graphql-event-stream-token";
const TOKEN_QUERY = "token";

interface Reservation {
  slot: Slot;
  timer: NodeJS.Timeout;
  opened: boolean;
}

/** graphql-sse's answer: a body and its status and headers. */
type SseResponse = readonly [
  body: string,
  init: { status: number; statusText: string; headers: Record<string, string> },
];

/** graphql-sse's request, as its handler passes it to `authenticate` and `onConnect`. */
interface SseRequest {
  raw: Request;
}

function tokenOf(request: Request): string | null {
  return (
    request.headers.get(TOKEN_HEADER) ?? new URL(request.url).searchParams.get(TOKEN_QUERY) ?? null
  );
}

export function singleConnectionStreams(
  path: string,
  clientOf: (context: ClientContext) => string,
  limits: StreamLimits = DEFAULT_STREAM_LIMITS,
) {
  const places = new SubscriptionSlots({ perClient: limits.perClient, total: limits.total });
  const reservations = new Map<string, Reservation>();
  /** Node's request of each request to the endpoint (the client's address). */
  const nodeRequests = new WeakMap<Request, ClientContext["req"]>();
  /** The server's own `fetch`, to dispose of a stream never opened (see `expire`). */
  let serverFetch: ((url: string, init: RequestInit) => Promise<Response> | Response) | undefined;

  function drop(token: string) {
    const reservation = reservations.get(token);
    if (!reservation) return;
    reservations.delete(token);
    clearTimeout(reservation.timer);
    reservation.slot.release();
  }

  /** A reservation never opened: freed, and graphql-sse's stream opened and closed to dispose it. */
  function expire(token: string) {
    drop(token);
    if (!serverFetch) return;
    Promise.resolve(
      serverFetch(`http://papergraph.invalid${path}`, {
        headers: { accept: "text/event-stream", [TOKEN_HEADER]: token },
      }),
    ).then(
      (response) => response.body?.cancel(),
      () => {},
    );
  }

  const plugin: Plugin = {
    onRequest({ request, url, serverContext }) {
      if (url.pathname !== path) return;
      nodeRequests.set(request, (serverContext as ClientContext | undefined)?.req);
    },
  };

  return {
    /** Installed before graphql-sse's plugin: notes each request's connection. */
    plugin,
    /** Gives the server's `fetch` (its Yoga instance's), once it exists. */
    serveThrough(fetch: typeof serverFetch) {
      serverFetch = fetch;
    },
    /** graphql-sse's `authenticate`: the stream token of a request, or a refused reservation. */
    authenticate(req: SseRequest): SseResponse | string | undefined {
      const request = req.raw;
      if (request.method !== "PUT") return tokenOf(request) ?? undefined;
      const place = places.take(clientOf({ request, req: nodeRequests.get(request) }));
      if (!("release" in place)) {
        const message =
          place.scope === "client"
            ? `too many event streams: this client already holds ${place.limit}, the most allowed`
            : `too many event streams: the server already holds ${place.limit}, the most allowed`;
        const extensions = {
          code: "TOO_MANY_SUBSCRIPTIONS" satisfies ErrorCode,
          scope: place.scope,
          limit: place.limit,
        };
        return [
          JSON.stringify({ errors: [{ message, extensions }] }),
          {
            status: 429,
            statusText: "Too Many Requests",
            headers: { "content-type": "application/json; charset=utf-8" },
          },
        ];
      }
      const token = randomUUID();
      const timer = setTimeout(() => expire(token), limits.openWithinMs);
      timer.unref();
      reservations.set(token, { slot: place, timer, opened: false });
      return token;
    },
    /** graphql-sse's `onConnect`: a reserved stream opens; its place is freed when it closes. */
    onConnect(req: SseRequest): undefined {
      const token = tokenOf(req.raw);
      const reservation = token === null ? undefined : reservations.get(token);
      // Not a reservation (distinct mode), or one already open (graphql-sse answers 409).
      if (!reservation || reservation.opened) return undefined;
      reservation.opened = true;
      clearTimeout(reservation.timer);
      req.raw.signal.addEventListener("abort", () => drop(token as string), { once: true });
      return undefined;
    },
    /** Reserved or open streams: in all, or of one client. */
    open: (client?: string) => places.open(client),
  };
}
