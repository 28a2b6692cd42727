/** The Pothos schema builder: configuration only; the types live in src/graphql/types/. */
import SchemaBuilder from "@pothos/core";
import ComplexityPlugin from "@pothos/plugin-complexity";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import type PrismaTypes from "../generated/pothos/prisma-types.ts";
import { getDatamodel } from "../generated/pothos/prisma-types.ts";
import { PAGE_SIZE } from "../papers/list.ts";
import type { Context } from "./context.ts";
import { UserInputError } from "./errors.ts";
import { parseGlobalId } from "./ids.ts";

/**
 * Limits per operation: beyond them the operation is refused before anything runs
 * (src/http/budget.ts checks them, with the cost computed by src/http/cost.ts).
 */
export const LIMITS = {
  /** Nesting depth of selections. */
  depth: 12,
  /** Fields selected in the whole operation, aliases included. */
  breadth: 100,
  /** Estimated cost, in the points of COSTS (about 2.5 s of server time). */
  complexity: 50_000,
} as const;

/**
 * What reading costs, in points of about 50 microseconds of server time (20 points per ms). Every
 * operation costs COSTS.operation (the request's fixed work: HTTP, parsing, validation, the answer),
 * every field 1, and a list multiplies what is selected under it: a connection by its page size
 * (its `edges` and `nodes`; `totalCount` and `pageInfo` count once), a plain list by its own
 * multiplier (10 unless the field says). The other costs below are for work a page size does not
 * show.
 *
 * Calibrated with single requests (median of 5) on the benchmark corpus (bench/api.ts: 100,000
 * papers over 1,000 days) on a 2-core machine, SQLite / PostgreSQL 15, two runs (the second on a
 * busier machine):
 * - `{ __typename }`: 1.7 / 1.6 ms. A page of 100 papers with title, upvotes, date and authors,
 *   1,001 points by the field costs: 31-43 / 15-89 ms; a page of 20 (201 points): 8-27 / 11-31 ms.
 * - `totalCount` of papers (COSTS.count): unfiltered 3-16 / 79-151 ms; filtered, a count reads
 *   every match: 72-569 / 73-349 ms (author, minUpvotes, a day range), with the filter's cost.
 * - a filter other than `arxivIds` (COSTS.filter): a selective one reads the whole order index
 *   before it fills a page: `minUpvotes: 99999` 94-151 / 3-9 ms, `dayFrom` in the future 57-116 /
 *   195-292 ms.
 * - a search (COSTS.search, instead of COSTS.filter): a page by relevance ranks every match, 118-369
 *   / 237-442 ms for a common word; a count of a one-letter prefix 332-1,018 / 266-394 ms.
 * - range aggregates, per day of the range (an empty stretch costs as much as a full one: the cost
 *   is known before the query runs): `topAuthors` 31-62 / 99-113 ms for 31 days, 384-645 / 1,125-
 *   1,639 ms for 365, 1,719 / 3,401 ms for 1,000; for 1,000 days `topPapers` 3-15 / 535-683 ms and
 *   `timeSeries` 154-197 / 235-366 ms.
 * - a week's or month's `paperCount` with `totalUpvotes`: 8-14 / 13-23 ms; a day's, in one batched
 *   query for all the days asked: 100 days 12 / 82-152 ms.
 * The points over the milliseconds of these runs range from 6 to 1,100: the model overcharges what
 * one engine does cheaply (a count without filter on SQLite, `topPapers` and selective filters on
 * PostgreSQL) and is within a factor of 3 of the slower engine for the rest. SQLite cannot
 * interrupt a statement: these costs are what bounds its work (LIMITS.complexity), and
 * PostgreSQL's statement timeout stops the rest. `npx tsx bench/abuse/expensive-queries.ts`-style
 * single requests re-measure them when the queries change.
 */
export const COSTS = {
  operation: 50,
  count: 5_000,
  filter: 4_000,
  search: 10_000,
  periodTotal: 200,
  dayTotal: 15,
  perDay: { topAuthors: 75, topPapers: 12, timeSeries: 7 },
  minimum: { topAuthors: 1_000, topPapers: 200, timeSeries: 200 },
} as const;

/** What a paper filter adds to its connection: a search, any other condition, or nothing. */
export function filterCost(filter: Record<string, unknown> | null | undefined): number {
  if (!filter) return 0;
  if (filter.search != null) return COSTS.search;
  const conditions = Object.entries(filter).filter(
    ([key, value]) => key !== "arxivIds" && value != null,
  );
  return conditions.length > 0 ? COSTS.filter : 0;
}

/** A range aggregate's cost: per day of [from, to] (dates as YYYY-MM-DD), at least `minimum`. */
export function rangeCost(from: string, to: string, aggregate: keyof typeof COSTS.perDay): number {
  const days = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
  const perDay = COSTS.perDay[aggregate];
  return Math.max(COSTS.minimum[aggregate], Number.isFinite(days) ? Math.ceil(days * perDay) : 0);
}

export const builder = new SchemaBuilder<{
  PrismaTypes: PrismaTypes;
  Context: Context;
  DefaultFieldNullability: false;
  Scalars: {
    Date: { Input: string; Output: string };
    DateTime: { Input: Date; Output: Date };
  };
}>({
  plugins: [ComplexityPlugin, RelayPlugin, PrismaPlugin],
  defaultFieldNullability: false,
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    firstArgOptions: {
      description: `Items after \`after\` (from the start without it): ${PAGE_SIZE.default} by default, at most ${PAGE_SIZE.max}.`,
    },
    afterArgOptions: { description: "The endCursor of the previous page." },
    lastArgOptions: {
      description: `Items before \`before\` (from the end without it), at most ${PAGE_SIZE.max}.`,
    },
    beforeArgOptions: { description: "The startCursor of the next page." },
    nodeTypeOptions: {
      description:
        "An object with a global id: `node(id:)` and `nodes(ids:)` fetch it again, and client caches (Relay, Apollo, urql's graphcache) key it by its `id`.",
    },
    idFieldOptions: {
      description:
        "The object's global id: opaque (do not parse it), stable (the same object always has the same id) and unique across every type.",
    },
    pageInfoTypeOptions: {
      description: "Where a page lies in its connection, for the next request.",
    },
    hasNextPageFieldOptions: {
      description:
        "Whether items follow this page: ask for them with `first` and `after: endCursor`.",
    },
    hasPreviousPageFieldOptions: {
      description:
        "Whether items precede this page: ask for them with `last` and `before: startCursor`.",
    },
    startCursorFieldOptions: {
      description: "The cursor of the page's first item; null when the page is empty.",
    },
    endCursorFieldOptions: {
      description: "The cursor of the page's last item; null when the page is empty.",
    },
    pageInfoFieldOptions: { description: "Where this page lies in the connection." },
    edgesFieldOptions: {
      description: "The page's items in order, each with its cursor (and what an edge adds).",
    },
    nodesOnConnection: {
      description: "The page's items in order: `edges { node }` without the cursors.",
    },
    cursorFieldOptions: {
      description:
        "An opaque position in this connection: give it as `after` (or `before`) to the same field with the same arguments.",
    },
    nodeFieldOptions: { description: "The item at this position of the connection." },
    // `node` and `nodes` are defined in types/node.ts, which reads ids strictly and caps `nodes`.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    // The remaining global-id arguments (`paperVotes(paperIds)`) read ids as strictly.
    decodeGlobalID: (globalID) => {
      const parsed = parseGlobalId(globalID);
      if (typeof parsed === "string") throw new UserInputError("id", parsed);
      return { typename: parsed.typename, id: parsed.key.join(":") };
    },
  },
  prisma: {
    client: (ctx) => ctx.db,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: process.env.NODE_ENV === "test" ? "error" : null,
  },
  // The fields' costs only: the limits are checked before execution by src/http/budget.ts, which
  // also charges the cost to the client's budget.
  complexity: { defaultComplexity: 1, defaultListMultiplier: 10 },
});

builder.queryType({
  description:
    "Reads: papers, days, weeks and months, named lists, dashboards, and any object by its global id. No sign-in needed, except for `viewer`.",
});
