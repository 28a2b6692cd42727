/**
 * The feeds' HTTP routes, a Yoga plugin: RSS 2.0 and Atom of the daily digest and of a search or
 * filter (src/feeds/), with validators that make a reader's poll cheap.
 *
 * - **Routes.** `GET`/`HEAD` `/feeds/daily.xml` and `/feeds/daily.atom` (`days`, `limit`),
 *   `/feeds/search.xml` and `/feeds/search.atom` (`q`, `author`, `minUpvotes`, `hasCode`,
 *   `limit`; src/feeds/params.ts). A bad parameter is HTTP 400 with a JSON error
 *   (`BAD_USER_INPUT`, `extensions.argument` naming it); another path under /feeds/ is 404,
 *   another method 405.
 * - **ETag.** With the data version (src/db/data-version.ts, moved by every committed vote and
 *   ingest in any process), the tag is that version and the feed's canonical name: a poll whose
 *   `If-None-Match` names it gets `304 Not Modified` having read nothing but the version, and
 *   any write changes it. Without a data version (a server created without one, or a read of
 *   it that failed), the tag is a hash of the document, made again for each request. Weak
 *   (`W/`): the document is also sent compressed.
 * - **Last-Modified.** The first whole second after this process first read the current data
 *   version; `If-Modified-Since` (looked at only without `If-None-Match`) at or after it gets a
 *   304. It is given only once that second has passed: a version read later than that second
 *   was then made after it, so its own Last-Modified is later too, in this process or any other
 *   whose clock agrees, and a client holding an older copy never gets a 304 for a newer one, even
 *   when both changed within one second.
 * - **Caching and encoding.** `Cache-Control: public, max-age=<HTTP_CACHE_MAX_AGE>,
 *   must-revalidate` and `Vary: Accept-Encoding`; src/http/compression.ts encodes the document
 *   as it does large JSON answers.
 */
import { createHash } from "node:crypto";
import type { Plugin, YogaLogger } from "graphql-yoga";
import type { Db } from "../db/client.ts";
import type { DataVersion } from "../db/data-version.ts";
import { unavailableCause } from "../db/faults.ts";
import type { Provider } from "../db/target.ts";
import { dailyItems, searchItems } from "../feeds/items.ts";
import {
  canonicalSearch,
  dailyQuery,
  type FeedQuery,
  type SearchFeedQuery,
  searchQuery,
} from "../feeds/params.ts";
import { FEED_TYPES, type FeedDocument, type FeedFormat, renderFeed } from "../feeds/render.ts";
import { UNAVAILABLE_RETRY_AFTER_SECONDS } from "../graphql/errors.ts";
import { ArgumentError } from "../papers/errors.ts";
import { refusal } from "./errors.ts";

/** Where the feeds are served. */
export const FEEDS_PATH = "/feeds/";

const ROUTES = new Map<string, { kind: FeedQuery["kind"]; format: FeedFormat }>([
  ["/feeds/daily.xml", { kind: "daily", format: "rss" }],
  ["/feeds/daily.atom", { kind: "daily", format: "atom" }],
  ["/feeds/search.xml", { kind: "search", format: "rss" }],
  ["/feeds/search.atom", { kind: "search", format: "atom" }],
]);

export interface FeedsOptions {
  db: Db;
  provider: Provider;
  /**
   * The data version ETags are made of; without it (or when it cannot be read), a hash of each
   * document.
   */
  version?: DataVersion;
  /** `max-age` of the answers, in seconds (HTTP_CACHE_MAX_AGE). */
  maxAgeSeconds: number;
  log?: YogaLogger;
}

/** When this process first read each data version: the time Last-Modified is counted from. */
function versionClock(now: () => number = Date.now): (version: string) => number {
  let current: { version: string; since: number } | undefined;
  return (version) => {
    if (current?.version !== version) current = { version, since: now() };
    return current.since;
  };
}

/** Whether an `If-None-Match` names the tag (weak comparison, RFC 9110 13.1.2). */
export function matchesTag(ifNoneMatch: string, etag: string): boolean {
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  if (ifNoneMatch.trim() === "*") return true;
  return ifNoneMatch.split(",").some((tag) => opaque(tag) === opaque(etag));
}

function hash(text: string): string {
  return createHash("sha256").update(text).digest("base64url").slice(0, 22);
}

function searchTitle(filter: SearchFeedQuery["filter"]): string {
  const parts = [
    filter.search !== undefined ? `matching “${filter.search}”` : null,
    filter.author !== undefined ? `by ${filter.author}` : null,
    filter.minUpvotes !== undefined ? `with at least ${filter.minUpvotes} upvotes` : null,
    filter.hasCode === true ? "with code" : filter.hasCode === false ? "without code" : null,
  ].filter(Boolean);
  return parts.length > 0 ? `Papers ${parts.join(", ")}` : "Papers";
}

/** The feed's title, description and items. */
async function feedDocument(
  options: FeedsOptions,
  query: FeedQuery,
  self: string,
): Promise<FeedDocument> {
  if (query.kind === "daily") {
    const { items, days } = await dailyItems(options.db, query);
    return {
      title: "Daily Papers (papergraph)",
      description:
        days.length > 0
          ? `The Daily Papers of ${days.at(-1)} to ${days[0]}: newest day first, each day in the digest's rank order.`
          : "The Daily Papers: no digest day yet.",
      self,
      items,
    };
  }
  const title = searchTitle(query.filter);
  return {
    title: `${title} (papergraph)`,
    description: `${title}, most recently listed in the Daily Papers first.`,
    self,
    items: await searchItems(options.db, options.provider, query),
  };
}

/** The answer to a feed request whose route is known. */
async function answer(
  options: FeedsOptions,
  clock: (version: string) => number,
  request: Request,
  url: URL,
  route: { kind: FeedQuery["kind"]; format: FeedFormat },
  /** The server adapter's own Response: src/http/compression.ts encodes only its bodies. */
  Response: typeof globalThis.Response,
): Promise<Response> {
  let query: FeedQuery;
  try {
    query = route.kind === "daily" ? dailyQuery(url.searchParams) : searchQuery(url.searchParams);
  } catch (error) {
    if (error instanceof ArgumentError) return badArgument(error);
    throw error;
  }
  const self = `${url.origin}${url.pathname}${canonicalSearch(query)}`;
  const headers = new Headers({
    "cache-control": `public, max-age=${options.maxAgeSeconds}, must-revalidate`,
    vary: "Accept-Encoding",
  });
  const ifNoneMatch = request.headers.get("if-none-match");
  const notModified = () => new Response(null, { status: 304, headers });

  const asked = Date.now();
  // A version that cannot be read (the database locked or away): the document's hash instead.
  const version = await options.version?.read().catch(() => undefined);
  if (version !== undefined) {
    headers.set("etag", `W/"${version}:${hash(`${route.format} ${self}`)}"`);
    const modified = Math.ceil(clock(version) / 1000) * 1000;
    if (modified < asked) headers.set("last-modified", new Date(modified).toUTCString());
    if (ifNoneMatch !== null) {
      if (matchesTag(ifNoneMatch, headers.get("etag") as string)) return notModified();
    } else if (headers.has("last-modified")) {
      const since = Date.parse(request.headers.get("if-modified-since") ?? "");
      if (since >= modified) return notModified();
    }
  }

  let document: FeedDocument;
  try {
    document = await feedDocument(options, query, self);
  } catch (error) {
    if (error instanceof ArgumentError) return badArgument(error);
    throw error;
  }
  const xml = renderFeed(document, route.format);
  if (version === undefined) {
    headers.set("etag", `W/"${hash(xml)}"`);
    if (ifNoneMatch !== null && matchesTag(ifNoneMatch, headers.get("etag") as string)) {
      return notModified();
    }
  }
  const body = new TextEncoder().encode(xml);
  headers.set("content-type", FEED_TYPES[route.format]);
  headers.set("content-length", String(body.byteLength));
  headers.set("x-content-type-options", "nosniff");
  return new Response(request.method === "HEAD" ? null : body, { status: 200, headers });
}

/** The feed parameter a filter's argument came from (src/papers/list.ts names the filter's). */
const FILTER_PARAMETERS: Record<string, string> = {
  "filter.search": "q",
  "filter.author": "author",
};

function badArgument(error: ArgumentError): Response {
  const argument = FILTER_PARAMETERS[error.argument] ?? error.argument;
  return refusal(400, "BAD_USER_INPUT", `${argument}: ${error.problem}`, { argument });
}

/** Serves the feeds (see above). */
export function feeds(options: FeedsOptions): Plugin {
  const clock = versionClock();
  return {
    async onRequest({ url, request, endResponse, fetchAPI }) {
      if (!url.pathname.startsWith(FEEDS_PATH)) return;
      const route = ROUTES.get(url.pathname);
      if (!route) {
        endResponse(new Response("not found", { status: 404 }));
        return;
      }
      if (request.method !== "GET" && request.method !== "HEAD") {
        endResponse(
          new Response("method not allowed", { status: 405, headers: { allow: "GET, HEAD" } }),
        );
        return;
      }
      try {
        endResponse(await answer(options, clock, request, url, route, fetchAPI.Response));
      } catch (error) {
        const unavailable = unavailableCause(error);
        if (unavailable) {
          endResponse(
            refusal(
              503,
              "SERVICE_UNAVAILABLE",
              `the ${unavailable.dependency} is unavailable: try again shortly`,
              { dependency: unavailable.dependency },
              { "retry-after": String(UNAVAILABLE_RETRY_AFTER_SECONDS) },
            ),
          );
          return;
        }
        options.log?.error(error);
        endResponse(refusal(500, "INTERNAL_SERVER_ERROR", "Unexpected error."));
      }
    },
  };
}
