/**
 * HTTP caching headers of the GraphQL endpoint, for browsers, CDNs and proxies.
 *
 * - **Public: anonymous GET queries.** A query sent with GET and no `Authorization` header, that
 *   the response cache would store (src/http/response-cache.ts `cacheableOperation`: a query,
 *   no introspection, nothing per request such as `rateLimit` or `viewer`) and answered without
 *   errors, gets `Cache-Control: public, max-age=<HTTP_CACHE_MAX_AGE>, must-revalidate`. With
 *   the response cache on, it also has its `ETag`: a client or CDN that revalidates sends
 *   `If-None-Match` and gets `304 Not Modified` (no body, nothing run) while the data version is
 *   the same. The ETag is the response cache's own: one mechanism, not a second.
 * - **Why max-age 0 by default.** The API promises answers that are never stale (every vote
 *   moves the data version). With `max-age=0, must-revalidate`, caches keep the answer but ask
 *   before each reuse, which costs a 304 of no body and no SQL; a few seconds
 *   (`HTTP_CACHE_MAX_AGE=5`) let a CDN absorb bursts without asking, at the price of vote counts
 *   up to that old.
 * - **Private: everything else.** A request with a credential, a mutation (refused over GET by
 *   Yoga, run over POST), a subscription, an answer with errors, or a POST, gets
 *   `Cache-Control: private, no-store`: no shared cache keeps it, nor the browser.
 * - **Vary.** Every answer of the endpoint says `Vary: Accept-Encoding, Authorization`: the
 *   encoding (src/http/compression.ts) and the credential change the answer (with CORS_ORIGINS,
 *   src/http/cross-site.ts adds `Origin`).
 *
 * Event streams keep Yoga's own headers.
 */
import type { Plugin } from "graphql-yoga";
import { anonymous, cacheableOperation, servedFromCache } from "./response-cache.ts";

/** HTTP_CACHE_MAX_AGE's default, in seconds (see above). */
export const DEFAULT_HTTP_CACHE_MAX_AGE = 0;

type Verdict = "public" | "private";

function mergeVary(response: Response, names: string[]): void {
  const current = response.headers.get("vary");
  const present = new Set((current ?? "").split(",").map((name) => name.trim().toLowerCase()));
  const missing = names.filter((name) => !present.has(name.toLowerCase()));
  if (missing.length === 0) return;
  response.headers.set("vary", [current, ...missing].filter(Boolean).join(", "));
}

export function httpCaching(maxAgeSeconds: number = DEFAULT_HTTP_CACHE_MAX_AGE): Plugin {
  const verdicts = new WeakMap<Request, Verdict>();
  const publicValue = `public, max-age=${maxAgeSeconds}, must-revalidate`;
  const shareable = (request: Request) => request.method === "GET" && anonymous(request);
  return {
    onParams({ request }) {
      verdicts.set(request, "private");
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (!request || !shareable(request)) return;
      if (cacheableOperation(args.schema, args.document, args.operationName)) {
        verdicts.set(request, "public");
      }
    },
    onExecutionResult({ request, result }) {
      if (servedFromCache(result)) {
        // The response cache stores only what `cacheableOperation` allows.
        if (shareable(request)) verdicts.set(request, "public");
        return;
      }
      const errors = Array.isArray(result)
        ? result.some((part) => part.errors?.length)
        : result && "errors" in result && result.errors?.length;
      if (errors) verdicts.set(request, "private");
    },
    onResponse({ request, response }) {
      // A 304 of the response cache is answered before the parameters are read: it names an
      // answer that was stored, so a cacheable one.
      const verdict =
        response.status === 304
          ? shareable(request)
            ? "public"
            : "private"
          : verdicts.get(request);
      if (!verdict) return;
      const type = response.headers.get("content-type") ?? "";
      if (type.startsWith("text/event-stream")) return;
      response.headers.set(
        "cache-control",
        verdict === "public" && response.status < 400 ? publicValue : "private, no-store",
      );
      mergeVary(response, ["Accept-Encoding", "Authorization"]);
    },
  };
}
