/**
 * GraphQL over WebSocket (graphql-ws's `graphql-transport-ws` protocol, what Apollo Client's and
 * urql's subscription transports speak) on the API's own port and path, `/graphql`.
 *
 * Following graphql-yoga's graphql-ws recipe, every operation goes through Yoga's `getEnveloped`:
 * the same parse and validation limits (tokens, aliases, directives, depth, breadth, cost and
 * query budget), the same context, live delivery and error masking as over HTTP. What differs is
 * where the request comes from: each operation gets a Fetch `Request` made from the upgrade
 * request's headers, with the connection's credential as its `Authorization`, so that the plugins
 * and the context read it as they read an HTTP request's; Node's upgrade request is its `req`
 * (the client's address, for the per-client subscription limits).
 *
 * - Credential: `connectionParams.authorization` (`{ authorization: "Bearer pgt_..." }`, the key
 *   in any case), else the upgrade request's `Authorization` header. A credential that is given
 *   is checked once, when the client's `connection_init` arrives: a malformed, unknown, revoked
 *   or expired one closes the socket with 4403 (`Forbidden: <reason>`). Operations then check it
 *   again as HTTP requests do (a token revoked later stops working within TOKEN_CACHE_MS).
 * - Bounds: a message of at most `messageBytes` (larger: closed with 1009), `connection_init`
 *   within `connectionInitMs` (else closed with 4408), at most `operationsPerSocket` operations
 *   running at once on a socket (more: that operation's error is TOO_MANY_SUBSCRIPTIONS, scope
 *   `connection`); subscriptions also take their client's slots as over SSE (src/live/slots.ts).
 * - Shutdown: `close` refuses new sockets, closes the open ones with 1001 ("Going away"), which
 *   ends their subscriptions and frees their slots, and cuts those that do not answer the close
 *   within `closeGraceMs`.
 */
import type { Server as HttpServer, IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { type ExecutionArgs, GraphQLError, type GraphQLFormattedError } from "graphql";
import { CloseCode, type ConnectionInitMessage } from "graphql-ws";
import { type Extra, useServer } from "graphql-ws/use/ws";
import type { YogaServerInstance } from "graphql-yoga";
import { WebSocketServer } from "ws";
import type { Credential } from "../auth/tokens.ts";
import type { FaultLog } from "../db/faults.ts";
import { maskUnavailable, TooManySubscriptionsError } from "../graphql/errors.ts";

export interface WebSocketLimits {
  /** Bytes of one message from a client. */
  messageBytes: number;
  /** How long a new socket may wait before its `connection_init` (ms). */
  connectionInitMs: number;
  /** Operations one socket may have running at once (subscriptions, and queries not answered yet). */
  operationsPerSocket: number;
  /** How long sockets get to answer the server's close at shutdown before they are cut (ms). */
  closeGraceMs: number;
}

export const DEFAULT_WEBSOCKET_LIMITS: WebSocketLimits = {
  messageBytes: 64 * 1024,
  connectionInitMs: 3_000,
  operationsPerSocket: 25,
  closeGraceMs: 1_000,
};

export interface WebSocketOptions {
  /** The path sockets connect to; `/graphql` by default. */
  path?: string;
  limits?: Partial<WebSocketLimits>;
  /** With an allowlist (CORS_ORIGINS), a browser's socket from another origin is refused (403). */
  corsOrigins?: string[];
  log?: FaultLog & { error?: (object: object, message: string) => void };
}

export interface WebSocketTransport {
  /** Sockets open now. */
  open(): number;
  /** Refuses new sockets, closes the open ones (see the module's comment), and resolves when they are. */
  close(): Promise<void>;
}

/** What this transport needs of a Yoga server. */
type Yoga = Pick<
  YogaServerInstance<Record<string, unknown>, Record<string, unknown>>,
  "getEnveloped"
>;
type Enveloped = ReturnType<Yoga["getEnveloped"]>;

type SocketExtra = {
  /** The connection's credential, as an `Authorization` value; null when none was given. */
  authorization: string | null;
};
type SocketState = Extra & Partial<SocketExtra>;

/** Close codes beyond graphql-ws's own. */
const GOING_AWAY = 1001;
const TRY_AGAIN_LATER = 1013;

/** Hop-by-hop and WebSocket handshake headers: not part of an operation's request. */
const HANDSHAKE_HEADERS =
  /^(connection|upgrade|sec-websocket-.*|content-length|transfer-encoding)$/i;

/** The credential of a connection: `connectionParams.authorization` (any case), else the header. */
export function authorizationOf(
  params: ConnectionInitMessage["payload"],
  upgrade: IncomingMessage,
): string | null {
  if (params && typeof params === "object") {
    for (const [key, value] of Object.entries(params)) {
      if (key.toLowerCase() !== "authorization") continue;
      // Anything but a string is a credential the server cannot read: refused as malformed.
      return typeof value === "string" ? value : "";
    }
  }
  return upgrade.headers.authorization ?? null;
}

/** An operation's request: the upgrade request's headers, with the connection's credential. */
function requestOf(upgrade: IncomingMessage, authorization: string | null): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(upgrade.headers)) {
    if (value === undefined || HANDSHAKE_HEADERS.test(name)) continue;
    headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  headers.delete("authorization");
  if (authorization !== null) headers.set("authorization", authorization);
  // The host header is the client's to write: the URL is a fixed one, never parsed from it.
  return new Request("http://papergraph.invalid/graphql", { method: "POST", headers });
}

/** A close reason within the 123 bytes WebSocket allows. */
function closeReason(reason: string): string {
  const bytes = Buffer.from(reason);
  return bytes.length <= 123
    ? reason
    : `${bytes
        .subarray(0, 120)
        .toString()
        .replace(/\uFFFD$/, "")}...`;
}

/** An error as the client sees it: Yoga's `extensions.http` (a status, headers) is HTTP's only. */
function formatted(error: GraphQLError): GraphQLFormattedError {
  const json = error.toJSON();
  if (json.extensions && "http" in json.extensions) {
    const { http: _http, ...extensions } = json.extensions;
    return { ...json, extensions };
  }
  return json;
}

/**
 * An error before the operation runs, as Yoga reports it: the client's (a syntax error, a typed
 * refusal) as it is, anything else masked.
 */
function masked(error: unknown): GraphQLError {
  if (error instanceof GraphQLError && (error.extensions?.code || !error.originalError)) {
    return error;
  }
  return maskUnavailable(error) ?? new GraphQLError("Unexpected error.");
}

export function serveWebSocket(
  http: HttpServer,
  yoga: Yoga,
  options: WebSocketOptions = {},
): WebSocketTransport {
  const { path = "/graphql", corsOrigins, log } = options;
  const limits = { ...DEFAULT_WEBSOCKET_LIMITS, ...options.limits };
  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: limits.messageBytes,
    perMessageDeflate: false,
  });
  /** The enveloped functions of each operation, by its execution arguments. */
  const operations = new WeakMap<object, Enveloped>();
  let stopping = false;

  /** Opens a context as an operation would, to check the credential: the reason it is refused. */
  async function refusalOf(state: SocketState): Promise<string | undefined> {
    if (state.authorization == null) return undefined;
    const enveloped = yoga.getEnveloped({
      request: requestOf(state.request, state.authorization),
      req: state.request,
      socket: state.socket,
      params: { query: "" },
    });
    try {
      const context = (await enveloped.contextFactory()) as { viewer?: () => Promise<Credential> };
      const credential = await context.viewer?.();
      return credential?.status === "invalid" ? credential.reason : undefined;
    } catch (error) {
      // An identity provider's JWT is refused while the context is made.
      if (error instanceof GraphQLError && error.extensions?.code === "UNAUTHENTICATED") {
        return String(error.extensions.reason ?? error.message);
      }
      throw error;
    }
  }

  useServer<ConnectionInitMessage["payload"], SocketExtra>(
    {
      connectionInitWaitTimeout: limits.connectionInitMs,
      async onConnect(ctx) {
        const state = ctx.extra;
        state.authorization = authorizationOf(ctx.connectionParams, state.request);
        try {
          const reason = await refusalOf(state);
          if (reason === undefined) return true;
          state.socket.close(CloseCode.Forbidden, closeReason(`Forbidden: ${reason}`));
        } catch (error) {
          log?.warn(
            { err: (error as Error).message },
            "a WebSocket credential could not be checked",
          );
          state.socket.close(
            TRY_AGAIN_LATER,
            "the credential could not be checked: try again later",
          );
        }
        return false;
      },
      async onSubscribe(ctx, _id, payload) {
        // This operation is already counted (graphql-ws reserves its id before calling this).
        if (Object.keys(ctx.subscriptions).length > limits.operationsPerSocket) {
          return [new TooManySubscriptionsError("connection", limits.operationsPerSocket)];
        }
        const state = ctx.extra;
        const enveloped = yoga.getEnveloped({
          request: requestOf(state.request, state.authorization ?? null),
          req: state.request,
          socket: state.socket,
          params: payload,
        });
        try {
          const document = enveloped.parse(payload.query);
          const errors = enveloped.validate(enveloped.schema, document);
          if (errors.length > 0) return errors;
          const args: ExecutionArgs = {
            schema: enveloped.schema,
            document,
            operationName: payload.operationName,
            variableValues: payload.variables,
            contextValue: await enveloped.contextFactory(),
          };
          operations.set(args, enveloped);
          return args;
        } catch (error) {
          const refusal = masked(error);
          if (refusal.message === "Unexpected error.") {
            log?.error?.({ err: error }, "a WebSocket operation failed before it ran");
          }
          return [refusal];
        }
      },
      execute: (args) => (operations.get(args) as Enveloped).execute(args),
      subscribe: (args) => (operations.get(args) as Enveloped).subscribe(args),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors
          ? { ...result, errors: result.errors.map((e) => formatted(e as GraphQLError)) }
          : undefined,
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatted(e as GraphQLError)),
    },
    sockets,
  );

  const refuse = (socket: Duplex, status: number, text: string) => {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  };
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const pathname = new URL(request.url ?? "/", "http://papergraph.invalid").pathname;
    if (pathname !== path) return refuse(socket, 404, "Not Found");
    if (stopping) return refuse(socket, 503, "Service Unavailable");
    const origin = request.headers.origin;
    if (corsOrigins && origin !== undefined && !corsOrigins.includes(origin)) {
      return refuse(socket, 403, "Forbidden");
    }
    sockets.handleUpgrade(request, socket, head, (ws) => sockets.emit("connection", ws, request));
  };
  http.on("upgrade", onUpgrade);

  return {
    open: () => sockets.clients.size,
    async close() {
      stopping = true;
      for (const socket of sockets.clients) socket.close(GOING_AWAY, "the server is shutting down");
      const cut = setTimeout(() => {
        for (const socket of sockets.clients) socket.terminate();
      }, limits.closeGraceMs);
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      clearTimeout(cut);
      http.off("upgrade", onUpgrade);
    },
  };
}
