/**
 * The response cache: answers to anonymous queries kept in memory and served again, through Yoga's
 * own plugin (@graphql-yoga/plugin-response-cache), and never stale.
 *
 * - **What is cached.** Only requests without an `Authorization` header: a request with one (valid
 *   or not) neither reads nor writes the cache, so per-viewer fields (`viewerHasUpvoted`, `viewer`)
 *   are only ever cached as an anonymous client sees them. Only answers without errors; never
 *   mutations or subscriptions (the plugin leaves them alone), nor an answer that selects
 *   `rateLimit` (its `RateLimit` is per client and per request), nor introspection.
 * - **Never stale.** Every key holds the data version (src/db/data-version.ts), read after the
 *   request arrived and before anything of it runs: key = (version, document, operation name,
 *   variables). Every committed write (a vote in any server process, an ingest in any process, a
 *   migration) moves the version after its commit, so once the writer has returned no request
 *   reads an answer stored before. Entity invalidation (the plugin's default) could not do this
 *   alone: a vote reorders lists the voted paper was not in, and another process's writes are
 *   never seen by it. A time limit (`RESPONSE_CACHE_LIMITS.ttlMs`) is only a safety net, for
 *   writes made outside papergraph.
 * - **HTTP.** Yoga's plugin sends `ETag` (the key: version and hash) and `Last-Modified`, and
 *   answers `304 Not Modified` to an `If-None-Match` naming a cached answer. Before it looks, this
 *   plugin checks that the tag names the current version: an older one gets the fresh answer,
 *   never a 304. Each answer says what the cache did in a `Cache-Status` header (RFC 9211):
 *   `papergraph; hit`, `papergraph; fwd=miss` or `papergraph; fwd=bypass` (authenticated, or the
 *   version could not be read). A hit is charged to the client's query budget (src/http/budget.ts:
 *   the fixed cost of a request, not the operation's), so it carries the RateLimit-* headers too.
 * - **Memory.** At most `entries` answers weighing `chars` characters of JSON together, the least
 *   recently used going first; an answer is serialised once, when stored, and that text is what
 *   every hit sends (Yoga uses a result's `stringify`).
 */
import { createHash } from "node:crypto";
import { type Cache, useResponseCache } from "@graphql-yoga/plugin-response-cache";
import type { ExecutionResult, GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";
import { Counter, type Registry } from "prom-client";
import type { DataVersion } from "../db/data-version.ts";

export const RESPONSE_CACHE_LIMITS = {
  /** Answers kept (per server process). */
  entries: 10_000,
  /** Characters of JSON of all answers kept together (about bytes: answers are mostly ASCII). */
  chars: 64 * 1024 * 1024,
  /** How long an answer may be served at most, whatever the data version says (ms). */
  ttlMs: 60_000,
} as const;

/** What the cache did for a request (the `Cache-Status` header and the metric's label). */
export type CacheOutcome = "hit" | "miss" | "bypass";

export interface ResponseCacheOptions {
  version: DataVersion;
  limits?: Partial<Record<keyof typeof RESPONSE_CACHE_LIMITS, number>>;
  /** Where to count requests by outcome (`papergraph_response_cache_requests_total`). */
  registry?: Registry;
  /**
   * Charges a cached answer to its client (the query budget); returns the error to answer with
   * instead when the client may not have it.
   */
  chargeHit?: (request: Request, serverContext: unknown) => Promise<GraphQLError | undefined>;
}

/** The mark Yoga's plugin puts on an answer it served from the cache. */
const SERVED_FROM_CACHE = Symbol.for("servedFromResponseCache");

export function servedFromCache(result: unknown): boolean {
  return (
    typeof result === "object" &&
    result !== null &&
    (result as Record<symbol, unknown>)[SERVED_FROM_CACHE] === true
  );
}

/** Only requests without credentials use the cache. */
function anonymous(request: Request): boolean {
  return !request.headers.has("authorization");
}

/** `value` with object keys sorted at every level: `{a, b}` and `{b, a}` are one key. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== "object") return value;
  const object = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(object)
      .sort()
      .map((key) => [key, canonical(object[key])]),
  );
}

function digest(
  document: string,
  operationName: string | null | undefined,
  variables: unknown,
): string {
  return createHash("sha256")
    .update(JSON.stringify([document, operationName ?? null, canonical(variables ?? {})]))
    .digest("base64url");
}

/** What Yoga sends of a result without errors: all of it but `extensions.http` (its headers). */
function sent(result: ExecutionResult): ExecutionResult {
  if (!result.extensions?.http) return result;
  const { http: _headers, ...extensions } = result.extensions;
  return { ...result, extensions: Object.keys(extensions).length > 0 ? extensions : undefined };
}

interface Entry {
  result: ExecutionResult;
  chars: number;
  expiresAt: number;
}

/** The cache's storage: a bounded least-recently-used map with a time limit per entry. */
export class MemoryCache implements Cache {
  readonly #entries = new Map<string, Entry>();
  #chars = 0;

  constructor(private readonly limits: { entries: number; chars: number }) {}

  get size(): { entries: number; chars: number } {
    return { entries: this.#entries.size, chars: this.#chars };
  }

  set(key: string, result: ExecutionResult, _entities: unknown, ttl: number): void {
    if (!(ttl > 0)) return;
    const text = JSON.stringify(sent(result));
    // One answer never crowds out more than a sixteenth of the cache.
    if (text.length > this.limits.chars / 16) return;
    // Serialised once: Yoga sends a result through its `stringify` (this answer included, as it
    // is being sent now). Anything else made of it (another result, extensions added) is not the
    // stored answer, and is serialised as usual.
    const { data } = result;
    (result as ExecutionResult & { stringify?: (value: ExecutionResult) => string }).stringify = (
      value,
    ) =>
      value.data === data && value.errors === undefined && value.extensions === undefined
        ? text
        : JSON.stringify(value);
    this.#remove(key);
    this.#entries.set(key, { result, chars: text.length, expiresAt: Date.now() + ttl });
    this.#chars += text.length;
    for (const [oldest] of this.#entries) {
      if (this.#entries.size <= this.limits.entries && this.#chars <= this.limits.chars) break;
      this.#remove(oldest);
    }
  }

  get(key: string) {
    const entry = this.#entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= Date.now()) {
      this.#remove(key);
      return null;
    }
    // The most recently used go last: the first ones are evicted first.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.result as ReturnType<Cache["get"]> & ExecutionResult<Record<string, unknown>>;
  }

  /** Keys carry the data version: entity invalidation has nothing to add. */
  invalidate(): void {}

  #remove(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#chars -= entry.chars;
  }
}

/** The response cache as a Yoga plugin; put it after the plugins that may refuse an operation. */
export function responseCachePlugin({
  version,
  limits,
  registry,
  chargeHit,
}: ResponseCacheOptions): Plugin {
  const { entries, chars, ttlMs } = { ...RESPONSE_CACHE_LIMITS, ...limits };
  const cache = new MemoryCache({ entries, chars });
  /** Each request's data version, read once (its If-None-Match and its key use the same). */
  const versions = new WeakMap<Request, Promise<string>>();
  const outcomes = new WeakMap<Request, CacheOutcome>();
  /** Requests whose version could not be read (the database is down): no cache for them. */
  const unversioned = new WeakSet<Request>();
  /**
   * Conditional requests whose tag names an older version: Yoga's plugin must not answer them
   * 304 (it would, while the old answer is still in memory). Once their parameters are read, they
   * use the cache as any request does.
   */
  const outdated = new WeakSet<Request>();
  const requests = registry
    ? new Counter({
        name: "papergraph_response_cache_requests_total",
        help: "GraphQL requests by what the response cache did: hit (answered from memory), miss (executed; stored when cacheable), bypass (authenticated, or the data version could not be read).",
        labelNames: ["result"],
        registers: [registry],
      })
    : undefined;

  const versionOf = (request: Request): Promise<string> => {
    let read = versions.get(request);
    if (!read) {
      read = version.read();
      versions.set(request, read);
    }
    return read;
  };

  return {
    onPluginInit({ addPlugin }) {
      // Added right after this plugin: its hooks below run before the cache's own.
      addPlugin(
        useResponseCache({
          // One shared cache, for anonymous requests only (`enabled`).
          session: () => null,
          enabled: (request) =>
            anonymous(request) && !unversioned.has(request) && !outdated.has(request),
          cache,
          ttl: ttlMs,
          // Per request, whoever asks: never cached.
          ignoredTypes: ["RateLimit", "Viewer"],
          // No entity ids to collect (keys carry the version): the plugin then adds only
          // `__typename` to what runs (no extra `id` fields to resolve for bookkeeping).
          idFields: [],
          includeExtensionMetadata: false,
          shouldCacheResult: ({ result }) => !result.errors?.length,
          buildResponseCacheKey: async ({
            request,
            documentString,
            operationName,
            variableValues,
          }) => {
            if (!anonymous(request)) {
              outcomes.set(request, "bypass");
              return "bypass";
            }
            let current: string;
            try {
              current = await versionOf(request);
            } catch {
              // The request goes on without the cache, and fails as the database's outage says.
              unversioned.add(request);
              outcomes.set(request, "bypass");
              return "bypass";
            }
            outcomes.set(request, "miss");
            return `${current}:${digest(documentString, operationName, variableValues)}`;
          },
        }),
      );
    },
    onRequest({ request }) {
      const tag = request.headers.get("if-none-match");
      if (!tag || !anonymous(request)) return;
      return versionOf(request).then(
        (current) => {
          if (!tag.startsWith(`${current}:`)) outdated.add(request);
        },
        () => {
          outdated.add(request);
        },
      );
    },
    onParams({ request }) {
      outdated.delete(request);
    },
    async onExecutionResult({ request, result, setResult, context }) {
      if (!servedFromCache(result)) return;
      outcomes.set(request, "hit");
      const refusal = await chargeHit?.(request, context);
      if (refusal) setResult({ errors: [refusal] });
    },
    onResponse({ request, response }) {
      const outcome = response.status === 304 ? "hit" : outcomes.get(request);
      if (!outcome) return;
      response.headers.set(
        "Cache-Status",
        outcome === "hit" ? "papergraph; hit" : `papergraph; fwd=${outcome}`,
      );
      requests?.inc({ result: outcome });
    },
  };
}
