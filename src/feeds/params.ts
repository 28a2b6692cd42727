/**
 * The query parameters of the feeds (`/feeds/daily.*`, `/feeds/search.*`), read and bounded: every
 * parameter a client controls has a limit, an unknown or repeated parameter is refused (a typo such
 * as `query=` would otherwise give an unfiltered feed without a word), and each refusal is an
 * `ArgumentError` naming the parameter (HTTP 400, `BAD_USER_INPUT`, src/http/feeds.ts).
 */
import { ArgumentError } from "../papers/errors.ts";
import type { PaperFilter } from "../papers/list.ts";

/** Bounds of the parameters; the search and author bounds are those of the GraphQL filter. */
export const FEED_LIMITS = {
  /** Digest days of the daily feed: `days`. */
  days: { default: 3, max: 14 },
  /** Items of the daily feed: `limit`. */
  dailyItems: { default: 150, max: 500 },
  /** Items of a search feed: `limit` (one page of src/papers/list.ts at most). */
  searchItems: { default: 30, max: 100 },
  /** Characters of `q` and `author`. */
  searchChars: 500,
  authorChars: 200,
  /** `minUpvotes`: at most PostgreSQL's integer. */
  upvotes: 2 ** 31 - 1,
} as const;

export interface DailyFeedQuery {
  kind: "daily";
  days: number;
  limit: number;
}

export interface SearchFeedQuery {
  kind: "search";
  /** The papers filter of src/papers/list.ts: only the fields a feed accepts. */
  filter: Pick<PaperFilter, "search" | "author" | "minUpvotes" | "hasCode">;
  limit: number;
}

export type FeedQuery = DailyFeedQuery | SearchFeedQuery;

const DAILY_PARAMETERS = ["days", "limit"] as const;
const SEARCH_PARAMETERS = ["q", "author", "minUpvotes", "hasCode", "limit"] as const;

/** Each parameter's one value; refuses unknown and repeated ones. */
function single(params: URLSearchParams, known: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const [name, value] of params) {
    if (!known.includes(name)) {
      throw new ArgumentError(
        name,
        `is not a parameter of this feed (it takes ${known.join(", ")})`,
      );
    }
    if (values.has(name)) throw new ArgumentError(name, "is given more than once");
    values.set(name, value);
  }
  return values;
}

function integer(
  values: Map<string, string>,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const text = values.get(name);
  if (text === undefined) return undefined;
  if (!/^\d{1,10}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new ArgumentError(
      name,
      `must be a whole number from ${min} to ${max}, not "${text.slice(0, 20)}"`,
    );
  }
  return Number(text);
}

/** A text parameter, trimmed; refused when longer than `max` or empty once trimmed. */
function text(values: Map<string, string>, name: string, max: number): string | undefined {
  const value = values.get(name);
  if (value === undefined) return undefined;
  if (value.length > max) throw new ArgumentError(name, `is longer than ${max} characters`);
  const trimmed = value.trim();
  if (trimmed === "") throw new ArgumentError(name, "is empty");
  return trimmed;
}

function boolean(values: Map<string, string>, name: string): boolean | undefined {
  const value = values.get(name);
  if (value === undefined) return undefined;
  if (value === "true") return true;
  if (value === "false") return false;
  throw new ArgumentError(name, `must be true or false, not "${value.slice(0, 20)}"`);
}

export function dailyQuery(params: URLSearchParams): DailyFeedQuery {
  const values = single(params, DAILY_PARAMETERS);
  const { days, dailyItems } = FEED_LIMITS;
  return {
    kind: "daily",
    days: integer(values, "days", 1, days.max) ?? days.default,
    limit: integer(values, "limit", 1, dailyItems.max) ?? dailyItems.default,
  };
}

export function searchQuery(params: URLSearchParams): SearchFeedQuery {
  const values = single(params, SEARCH_PARAMETERS);
  const filter: SearchFeedQuery["filter"] = {};
  const search = text(values, "q", FEED_LIMITS.searchChars);
  const author = text(values, "author", FEED_LIMITS.authorChars);
  const minUpvotes = integer(values, "minUpvotes", 0, FEED_LIMITS.upvotes);
  const hasCode = boolean(values, "hasCode");
  // Only the fields given: the filter's shape is the feed's identity (its ETag, its self link).
  if (search !== undefined) filter.search = search;
  if (author !== undefined) filter.author = author;
  if (minUpvotes !== undefined) filter.minUpvotes = minUpvotes;
  if (hasCode !== undefined) filter.hasCode = hasCode;
  const { searchItems } = FEED_LIMITS;
  return {
    kind: "search",
    filter,
    limit: integer(values, "limit", 1, searchItems.max) ?? searchItems.default,
  };
}

/**
 * The query string that names this feed, parameters in a fixed order and defaults left out: the
 * feed's self link and identity, the same however the client spelt it.
 */
export function canonicalSearch(query: FeedQuery): string {
  const params = new URLSearchParams();
  if (query.kind === "daily") {
    if (query.days !== FEED_LIMITS.days.default) params.set("days", String(query.days));
    if (query.limit !== FEED_LIMITS.dailyItems.default) params.set("limit", String(query.limit));
  } else {
    const { search, author, minUpvotes, hasCode } = query.filter;
    if (search !== undefined) params.set("q", search as string);
    if (author !== undefined) params.set("author", author as string);
    if (minUpvotes !== undefined) params.set("minUpvotes", String(minUpvotes));
    if (hasCode !== undefined) params.set("hasCode", String(hasCode));
    if (query.limit !== FEED_LIMITS.searchItems.default) params.set("limit", String(query.limit));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}
