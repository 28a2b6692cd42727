/**
 * The response cache: answers to anonymous queries kept in memory and served again, through Yoga's
 * own plugin (@graphql-yoga/plugin-response-cache), and never stale.
 *
 * - **What is cached.** Only requests without an `Authorization` header: a request with one (valid
 *   or not) neither reads nor writes the cache, so `viewerHasUpvoted` is only ever cached as an
 *   anonymous client sees it (false). Only answers to queries, without errors; never mutations or
 *   subscriptions, introspection, nor an operation that selects a per-request type anywhere
 *   (`rateLimit`: per client and request; `viewer`, even as an anonymous client's null).
 * - **Who does what.** Yoga's plugin builds the key (with ours), looks answers up before anything
 *   is parsed, and handles `If-None-Match`. Storing is ours (`store`, below): the plugin's own
 *   way rewrites every document and walks every result to collect entities, which versioned keys
 *   do not need, and which cost more than the rest of a miss together.
 * - **Never stale.** Every key holds the data version (src/db/data-version.ts), read after the
 *   request arrived and before anything of it runs: key = (version, document, operation name,
 *   variables). Every committed write (a vote in any server process, an ingest in any process, a
 *   migration) moves the version after its commit, so once the writer has returned no request
 *   reads an answer stored before. Entity invalidation (the plugin's default) could not do this
 *   alone: a vote reorders lists the voted paper was not in, and another process's writes are
 *   never seen by it. A time limit (`RESPONSE_CACHE_LIMITS.ttlMs`) is only a safety net, for
 *   writes made outside papergraph.
 * - **HTTP.** A cached answer has an `ETag` (its key, `W/"<version>:<hash>"`: weak, since it is
 *   also sent compressed) and `Last-Modified`, and Yoga's plugin answers `304 Not Modified` to
 *   an `If-None-Match` naming a cached answer. Before it looks, this plugin checks that the tag names the current version: an older one gets the fresh answer,
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
import {
  type DocumentNode,
  type ExecutionResult,
  type GraphQLError,
  type GraphQLSchema,
  getNamedType,
  getOperationAST,
  TypeInfo,
  visit,
  visitWithTypeInfo,
} from "graphql";
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
  /** Yoga's GraphQL endpoint: only its requests use the cache. */
  endpoint?: string;
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

/** Types whose value is per request, whoever asks: an operation that selects one is not stored. */
const PER_REQUEST_TYPES = new Set(["RateLimit", "Viewer"]);
const documentVerdicts = new WeakMap<DocumentNode, boolean>();

/**
 * Whether an answer to this operation may be stored: a query, selecting no introspection and no
 * field of a per-request type, anywhere in its document (fragments included). Decided once per
 * document (Yoga's parser cache hands the same document to every request with the same text).
 */
export function cacheableOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
): boolean {
  if (getOperationAST(document, operationName)?.operation !== "query") return false;
  let verdict = documentVerdicts.get(document);
  if (verdict === undefined) {
    let cacheable = true;
    const typeInfo = new TypeInfo(schema);
    visit(
      document,
      visitWithTypeInfo(typeInfo, {
        Field(node) {
          const type = typeInfo.getType();
          if (
            node.name.value === "__schema" ||
            node.name.value === "__type" ||
            (type && PER_REQUEST_TYPES.has(getNamedType(type).name))
          ) {
            cacheable = false;
          }
        },
      }),
    );
    verdict = cacheable;
    documentVerdicts.set(document, verdict);
  }
  return verdict;
}

/** Only requests without credentials use the cache. */
export function anonymous(request: Request): boolean {
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
  endpoint = "/graphql",
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

  /** The key of each cacheable request (anonymous, its version read). */
  const keys = new WeakMap<Request, string>();
  /** Requests whose lookup is done: from then on, the plugin's execution half is disabled. */
  const looked = new WeakSet<Request>();
  /**
   * Requests to Yoga's own endpoint, which read their parameters (the lookup) before they run.
   * Operations of the other transports (WebSocket, graphql-sse's endpoint) never do: the cache
   * stands aside for them, rather than fail looking for a key their parameters never made.
   */
  const viaEndpoint = new WeakSet<Request>();

  /**
   * Stores answers, in place of the plugin's execution half, which rewrites every document (a
   * `__typename` in every selection) and walks every result twice over to find the entities it
   * invalidates by: work that versioned keys do not need, measured at 1 to 3 ms of CPU per miss.
   * What may be stored is decided from the document instead: a query (not introspection) that
   * selects nothing per request (`rateLimit`, `viewer`), answered without errors.
   */
  const store: Plugin = {
    onParams({ request }) {
      looked.add(request);
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      const key = request && outcomes.get(request) === "miss" ? keys.get(request) : undefined;
      if (!key || !cacheableOperation(args.schema, args.document, args.operationName)) return;
      return {
        onExecuteDone({ result }) {
          if (!("data" in result) || result.errors?.length || !result.data) return;
          // As Yoga's plugin does: the key is the ETag, and the 304 answer needs Last-Modified.
          const http = { headers: { ETag: key, "Last-Modified": new Date().toUTCString() } };
          result.extensions = { ...result.extensions, http };
          cache.set(key, result, [], ttlMs);
        },
      };
    },
  };

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
      // Added right after this plugin, in this order: this plugin's hooks run first, then the
      // cache's (the lookup), then `store`.
      addPlugin(
        useResponseCache({
          // One shared cache, for anonymous requests only (`enabled`).
          session: () => null,
          // Once the lookup is done (`looked`), the plugin's execution half stands aside: `store`
          // stores instead (see its comment).
          enabled: (request) =>
            viaEndpoint.has(request) &&
            anonymous(request) &&
            !unversioned.has(request) &&
            !outdated.has(request) &&
            !looked.has(request),
          cache,
          includeExtensionMetadata: false,
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
            // The key is the answer's ETag: quoted as HTTP requires, and weak (W/), since the same
            // answer is also sent encoded (src/http/compression.ts), which changes its bytes.
            const key = `W/"${current}:${digest(documentString, operationName, variableValues)}"`;
            outcomes.set(request, "miss");
            keys.set(request, key);
            return key;
          },
        }),
      );
      addPlugin(store);
    },
    onRequest({ request, url }) {
      if (url.pathname === endpoint) viaEndpoint.add(request);
      const tag = request.headers.get("if-none-match");
      if (!tag || !anonymous(request)) return;
      return versionOf(request).then(
        (current) => {
          if (!tag.startsWith(`W/"${current}:`)) outdated.add(request);
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
