/**
 * What other web sites may do with this API from a visitor's browser.
 *
 * CSRF: a page on another site can make the browser POST a form (urlencoded or multipart) or
 * text/plain body without asking the server first (no CORS preflight). Yoga would execute such a
 * body, mutations included; here only `application/json` (and `application/graphql`) POST bodies
 * are accepted, which a browser sends cross-site only after a preflight that CORS decides. GET
 * requests run queries only (Yoga refuses mutations over GET).
 *
 * CORS: with CORS_ORIGINS set, only those origins get CORS headers, with credentials; without it,
 * any origin may read responses, never with credentials (the API's own credentials are Bearer
 * tokens, which a page must add itself: no cookie is ever involved).
 */
import type { Plugin } from "graphql-yoga";
import { refusal } from "./errors.ts";

/** Media types a browser cannot send cross-site without a preflight. */
const ACCEPTED_BODIES = new Set([
  "application/json",
  "application/graphql-response+json",
  "application/graphql",
]);

/** Refuses POST bodies of any other media type (415 UNSUPPORTED_MEDIA_TYPE), before parsing. */
export function refuseSimplePosts(): Plugin {
  return {
    onRequest({ request, endResponse }) {
      if (request.method !== "POST") return;
      const type = (request.headers.get("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
      if (type && ACCEPTED_BODIES.has(type)) return;
      endResponse(
        refusal(
          415,
          "UNSUPPORTED_MEDIA_TYPE",
          `POST bodies must be application/json, not ${type ? JSON.stringify(type) : "untyped"}: forms and plain text are refused, because other sites can make a browser send them`,
        ),
      );
    },
  };
}

/** Headers a page may read from responses. */
const EXPOSED = ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"];

/**
 * Yoga's `cors` option: the origins of `allowed` get CORS headers with credentials, others none;
 * without `allowed`, every origin gets them without credentials.
 */
export function corsPolicy(allowed: string[] | undefined) {
  return (request: Request) => {
    const common = { exposedHeaders: EXPOSED, maxAge: 600 };
    if (!allowed) return { ...common, origin: "*", credentials: false };
    const origin = request.headers.get("origin");
    if (origin && allowed.includes(origin))
      return { ...common, origin: [origin], credentials: true };
    return false as const;
  };
}

/** With an allowlist, whether CORS headers are sent depends on Origin: say so to caches. */
export function varyByOrigin(): Plugin {
  return {
    onResponse({ response }) {
      const vary = response.headers.get("vary");
      if (!vary?.toLowerCase().includes("origin")) {
        response.headers.set("vary", vary ? `${vary}, Origin` : "Origin");
      }
    },
  };
}
