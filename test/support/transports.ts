/**
 * The real clients of the three subscription transports, behind one small interface: graphql-ws
 * over `ws` (`/graphql`), and graphql-sse in its single-connection mode (`/graphql/stream`) and in
 * its distinct-connections mode (`/graphql`, Yoga's own SSE). Every client made here is disposed
 * by `disposeClients` (the suites call it in afterEach).
 */
import { createClient as createSseClient, type Client as SseClient } from "graphql-sse";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import { WebSocket } from "ws";

// biome-ignore lint/suspicious/noExplicitAny: payloads are checked field by field by the callers
export type Payload = any;

export type Transport = "graphql-ws" | "graphql-sse single connection" | "graphql-sse distinct";
export const TRANSPORTS: Transport[] = [
  "graphql-ws",
  "graphql-sse single connection",
  "graphql-sse distinct",
];

export interface ClientOptions {
  /** graphql-ws: `connectionParams.authorization`; graphql-sse: the `Authorization` header. */
  authorization?: string;
  /** graphql-ws: the upgrade request's `Authorization` header instead of connectionParams. */
  headerAuthorization?: string;
  /** graphql-ws: the local address to connect from (127.x: another client). */
  localAddress?: string;
}

/** A subscription's results, one at a time. */
export interface Results {
  /** The next result; rejects with what ended the operation (errors, a close) if it ended. */
  next(): Promise<Payload>;
  /** Completes the operation from the client's side. */
  close(): Promise<void>;
}

export interface TestClient {
  subscribe(query: string, variables?: Record<string, unknown>): Results;
  /** Runs a query or mutation over the same transport. */
  run(query: string, variables?: Record<string, unknown>): Promise<Payload>;
  /** graphql-ws: the close events the socket got ({ code, reason }). */
  closes: { code: number; reason: string }[];
  dispose(): Promise<void>;
}

const open = new Set<TestClient>();

/** Disposes every client made since the last call. */
export async function disposeClients(): Promise<void> {
  const clients = [...open];
  open.clear();
  await Promise.all(clients.map((client) => client.dispose().catch(() => {})));
}

function results(iterator: AsyncIterableIterator<Payload>): Results {
  return {
    async next() {
      const step = await iterator.next();
      if (step.done) throw new Error("the operation completed");
      return step.value;
    },
    async close() {
      await iterator.return?.();
    },
  };
}

/** `subscribe` and `run` over a client's `iterate`, the same for every transport. */
function operations(
  iterate: (request: {
    query: string;
    variables: Record<string, unknown>;
  }) => AsyncIterableIterator<Payload>,
): Pick<TestClient, "subscribe" | "run"> {
  return {
    subscribe: (query, variables = {}) => results(iterate({ query, variables })),
    async run(query, variables = {}) {
      const iterator = iterate({ query, variables });
      const step = await iterator.next();
      await iterator.return?.();
      return step.value;
    },
  };
}

/** `url`: the API's `http://host:port/graphql`. */
export function connect(
  transport: Transport,
  url: string,
  options: ClientOptions = {},
): TestClient {
  const client =
    transport === "graphql-ws" ? webSocketClient(url, options) : sseClient(transport, url, options);
  open.add(client);
  return client;
}

function webSocketClient(url: string, options: ClientOptions): TestClient {
  const { authorization, headerAuthorization, localAddress } = options;
  const closes: { code: number; reason: string }[] = [];
  class Socket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, {
        ...(localAddress ? { localAddress } : {}),
        ...(headerAuthorization ? { headers: { authorization: headerAuthorization } } : {}),
      });
    }
  }
  const client: WsClient = createWsClient({
    url: url.replace(/^http/, "ws"),
    webSocketImpl: Socket,
    retryAttempts: 0,
    ...(authorization ? { connectionParams: { authorization } } : {}),
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        closes.push({ code, reason: String(reason) });
      },
    },
  });
  return {
    ...operations((request) => client.iterate(request)),
    closes,
    dispose: () => client.dispose() as Promise<void>,
  };
}

function sseClient(transport: Transport, url: string, options: ClientOptions): TestClient {
  const single = transport === "graphql-sse single connection";
  const client: SseClient = createSseClient({
    url: single ? `${url}/stream` : url,
    singleConnection: single,
    retryAttempts: 0,
    headers: options.authorization ? { authorization: options.authorization } : {},
  });
  return {
    ...operations((request) => client.iterate(request)),
    closes: [],
    dispose: async () => client.dispose(),
  };
}
