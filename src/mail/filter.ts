/**
 * A digest's papers filter, kept as JSON in its subscription: the papers filter of the API (see
 * src/papers/list.ts) without the day range, which the digest's period sets. Written canonically
 * (keys sorted, empty conditions left out), so that one filter is one string, and read back
 * through a schema, so that a row written by another version never reaches the SQL unchecked.
 */
import { z } from "zod";
import { ArgumentError } from "../papers/errors.ts";
import type { PaperFilter } from "../papers/list.ts";
import { nameKey, SearchSyntaxError, searchTerms } from "../search/documents.ts";

/** The filter of a digest: the papers filter without days (the period) or an author id. */
export type DigestFilter = Omit<PaperFilter, "dayFrom" | "dayTo" | "authorId">;

/** The longest stored filter, in characters of JSON. */
export const MAX_FILTER_JSON = 4096;

const STORED = z
  .object({
    publishedFrom: z.iso.datetime().optional(),
    publishedTo: z.iso.datetime().optional(),
    minUpvotes: z.number().int().optional(),
    maxUpvotes: z.number().int().optional(),
    author: z.string().max(200).optional(),
    hasCode: z.boolean().optional(),
    arxivIds: z.array(z.string().max(100)).max(100).optional(),
    search: z.string().max(500).optional(),
  })
  .strict();

/**
 * The canonical JSON of a subscription's filter, after the checks the papers query would make
 * when the digest is sent (a search's syntax, an author with letters): refused now, with the
 * argument named under `argument` (`input.filter`), rather than failing every digest later.
 */
export function filterJson(filter: PaperFilter, argument: string): string {
  if (filter.dayFrom || filter.dayTo) {
    const name = filter.dayFrom ? "dayFrom" : "dayTo";
    throw new ArgumentError(
      `${argument}.${name}`,
      "a digest lists the papers of its own day or week: give no day range",
    );
  }
  if (filter.search != null) {
    try {
      searchTerms(filter.search);
    } catch (error) {
      if (error instanceof SearchSyntaxError)
        throw new ArgumentError(`${argument}.search`, error.message);
      throw error;
    }
  }
  if (filter.author != null && !nameKey(filter.author)) {
    throw new ArgumentError(`${argument}.author`, "has no letters or digits to look for");
  }
  const entries: [string, unknown][] = [
    ["arxivIds", filter.arxivIds ? [...filter.arxivIds] : null],
    ["author", filter.author],
    ["hasCode", filter.hasCode],
    ["maxUpvotes", filter.maxUpvotes],
    ["minUpvotes", filter.minUpvotes],
    ["publishedFrom", filter.publishedFrom?.toISOString()],
    ["publishedTo", filter.publishedTo?.toISOString()],
    ["search", filter.search],
  ];
  const json = JSON.stringify(Object.fromEntries(entries.filter(([, value]) => value != null)));
  if (json.length > MAX_FILTER_JSON) {
    throw new ArgumentError(argument, `at most ${MAX_FILTER_JSON} characters as JSON`);
  }
  return json;
}

/** A stored filter, checked; throws when the row holds something this version cannot read. */
export function parseFilter(json: string): DigestFilter {
  const stored = STORED.parse(JSON.parse(json));
  return {
    ...stored,
    publishedFrom: stored.publishedFrom ? new Date(stored.publishedFrom) : undefined,
    publishedTo: stored.publishedTo ? new Date(stored.publishedTo) : undefined,
  };
}
