/**
 * Prometheus metrics with bounded label sets: whatever clients send, the scrape stays small.
 *
 * Labels are chosen from fixed sets: the route (the known endpoints, else `other`; never the URL
 * or its query string), the method, the status, the operation type, and the error code (this API's
 * codes and GraphQL's own, else `OTHER`). Operation names are the client's words: the first
 * OPERATION_NAMES distinct names seen keep their own label (cut at 40 characters), every later one
 * counts as `other`. Nothing is computed per request beyond a few counters: no walk of the document
 * (the Prometheus plugin looked for deprecated fields in every operation); an operation's type and
 * name are found once per parsed document, which Yoga's parser cache hands out again for the same
 * query text.
 *
 * /metrics shows what clients ask and how the server is doing, so it is never public: it is
 * served behind a token (METRICS_TOKEN) and/or on a port of its own (METRICS_PORT).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type DocumentNode, type GraphQLError, getOperationAST } from "graphql";
import type { Plugin } from "graphql-yoga";
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { ERROR_CODES } from "../graphql/errors.ts";
import { servedFromCache } from "./response-cache.ts";

/** Distinct operation names that keep their own label. */
export const OPERATION_NAMES = 50;
const ROUTES = new Set(["/graphql", "/health", "/ready", "/metrics"]);
const METHODS = new Set(["GET", "POST", "OPTIONS", "HEAD"]);
const CODES = new Set([
  ...Object.keys(ERROR_CODES),
  "INTERNAL_SERVER_ERROR",
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
]);

export interface Metrics {
  registry: Registry;
  /** The Yoga plugin that counts requests and operations. */
  plugin: Plugin;
  /** A scrape: the metrics, or a refusal when a token is required and not given. */
  scrape(authorization: string | null): Promise<Scrape>;
}

interface Operation {
  type: string;
  name: string | undefined;
}

interface Scrape {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export function createMetrics(options: { token?: string } = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: "papergraph_http_requests_total",
    help: "HTTP requests answered, by route, method and status.",
    labelNames: ["route", "method", "status"],
    registers: [registry],
  });
  const duration = new Histogram({
    name: "papergraph_http_request_duration_seconds",
    help: 'Time to answer an HTTP request (to the first byte of a streamed response), by route and operation type ("cached": answered by the response cache).',
    labelNames: ["route", "operation_type"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const operations = new Counter({
    name: "papergraph_graphql_operations_total",
    help: `GraphQL operations executed, by type, name (the first ${OPERATION_NAMES} names seen; later ones are "other") and outcome.`,
    labelNames: ["operation_type", "operation", "outcome"],
    registers: [registry],
  });
  const errors = new Counter({
    name: "papergraph_graphql_errors_total",
    help: "Errors returned to clients, by extensions.code.",
    labelNames: ["code"],
    registers: [registry],
  });

  const names = new Set<string>();
  const operationLabel = (name: string | undefined) => {
    if (!name) return "anonymous";
    const label = name.slice(0, 40);
    if (names.has(label)) return label;
    if (names.size >= OPERATION_NAMES) return "other";
    names.add(label);
    return label;
  };
  const started = new WeakMap<Request, number>();
  const operationTypes = new WeakMap<Request, string>();
  /** Per parsed document, per operation name asked for: the operation's type and name. */
  const operationsOf = new WeakMap<DocumentNode, Map<string, Operation>>();
  const operationOf = (document: DocumentNode, operationName: string | null | undefined) => {
    let byName = operationsOf.get(document);
    if (!byName) {
      byName = new Map();
      operationsOf.set(document, byName);
    }
    const key = operationName ?? "";
    let operation = byName.get(key);
    if (!operation) {
      const definition = getOperationAST(document, operationName);
      operation = { type: definition?.operation ?? "unknown", name: definition?.name?.value };
      byName.set(key, operation);
    }
    return operation;
  };

  const plugin: Plugin = {
    onRequest({ request }) {
      started.set(request, performance.now());
    },
    onExecute({ args }) {
      const operation = operationOf(args.document as DocumentNode, args.operationName);
      const request = (args.contextValue as { request?: Request }).request;
      if (request) operationTypes.set(request, operation.type);
      return {
        onExecuteDone({ result }) {
          const failed = "errors" in result && (result.errors?.length ?? 0) > 0;
          operations.inc({
            operation_type: operation.type,
            operation: operationLabel(operation.name),
            outcome: failed ? "error" : "ok",
          });
        },
      };
    },
    onExecutionResult({ request, result }) {
      // Answers of the response cache are timed as their own rows, never mixed with executed ones.
      if (servedFromCache(result)) operationTypes.set(request, "cached");
    },
    onResultProcess({ result }) {
      for (const single of Array.isArray(result) ? result : [result]) {
        for (const error of ("errors" in single ? single.errors : undefined) ?? []) {
          const code = String((error as GraphQLError).extensions?.code ?? "INTERNAL_SERVER_ERROR");
          errors.inc({ code: CODES.has(code) ? code : "OTHER" });
        }
      }
    },
    onResponse({ request, response }) {
      const route = routeOf(request.url);
      requests.inc({
        route,
        method: METHODS.has(request.method) ? request.method : "other",
        status: String(response.status),
      });
      const start = started.get(request);
      if (start !== undefined) {
        duration.observe(
          { route, operation_type: operationTypes.get(request) ?? "none" },
          (performance.now() - start) / 1000,
        );
      }
    },
  };

  const expected = options.token ? digest(options.token) : undefined;
  return {
    registry,
    plugin,
    async scrape(authorization): Promise<Scrape> {
      if (expected) {
        const given = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1];
        if (!given || !timingSafeEqual(digest(given), expected)) {
          return {
            status: 401,
            headers: {
              "content-type": "application/json; charset=utf-8",
              "www-authenticate": "Bearer",
            },
            body: JSON.stringify({
              errors: [
                {
                  message: "metrics need `Authorization: Bearer <METRICS_TOKEN>`",
                  extensions: {
                    code: "UNAUTHENTICATED",
                    reason: given ? "wrong metrics token" : "no metrics token",
                  },
                },
              ],
            }),
          };
        }
      }
      return {
        status: 200,
        headers: { "content-type": registry.contentType },
        body: await registry.metrics(),
      };
    },
  };
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** The route label of a URL: one of the known endpoints, else `other`. */
function routeOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const end = url.indexOf("?", start);
  const path = start < 0 ? "/" : url.slice(start, end < 0 ? undefined : end);
  return ROUTES.has(path) ? path : "other";
}

/** Serves /metrics on the API's port: a Yoga plugin that answers it before anything else. */
export function metricsEndpoint(metrics: Metrics): Plugin {
  return {
    async onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== "/metrics") return;
      const answer = await metrics.scrape(request.headers.get("authorization"));
      endResponse(
        new fetchAPI.Response(answer.body, { status: answer.status, headers: answer.headers }),
      );
    },
  };
}

/** Serves /metrics alone, for a port of its own (METRICS_PORT). */
export function metricsListener(metrics: Metrics) {
  return (request: IncomingMessage, response: ServerResponse) => {
    if (request.url?.split("?")[0] !== "/metrics") {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found: /metrics\n");
      return;
    }
    metrics.scrape(request.headers.authorization ?? null).then(
      (answer) => response.writeHead(answer.status, answer.headers).end(answer.body),
      () => response.writeHead(500).end(),
    );
  };
}
