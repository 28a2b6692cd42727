/** The Pothos schema builder: configuration only; the types live in src/graphql/types/. */
import SchemaBuilder from "@pothos/core";
import ComplexityPlugin from "@pothos/plugin-complexity";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import { GraphQLError } from "graphql";
import type PrismaTypes from "../generated/pothos/prisma-types.ts";
import { getDatamodel } from "../generated/pothos/prisma-types.ts";
import { PAGE_SIZE } from "../papers/list.ts";
import type { Context } from "./context.ts";
import { UserInputError } from "./errors.ts";
import { parseGlobalId } from "./ids.ts";

/** Limits per operation: beyond them the operation is refused before anything runs. */
export const LIMITS = {
  /** Nesting depth of selections. */
  depth: 12,
  /** Fields selected in one selection set, aliases included. */
  breadth: 100,
  /** Estimated cost: 1 per field, times the page size for connections (lists: 3 to 10). */
  complexity: 50_000,
} as const;

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
    nodesOnConnection: true,
    // `node` and `nodes` are defined in types/node.ts, which reads ids strictly and caps `nodes`.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    // The remaining global-id arguments (`paperVotes(paperIds)`) read ids as strictly.
    decodeGlobalID: (globalID) => {
      const parsed = parseGlobalId(globalID);
      if (typeof parsed === "string") throw new UserInputError("id", parsed);
      return { typename: parsed.typename, id: String(parsed.id) };
    },
  },
  prisma: {
    client: (ctx) => ctx.db,
    dmmf: getDatamodel(),
    exposeDescriptions: false,
    filterConnectionTotalCount: true,
    onUnusedQuery: process.env.NODE_ENV === "test" ? "error" : null,
  },
  complexity: {
    defaultComplexity: 1,
    defaultListMultiplier: 10,
    limit: LIMITS,
    complexityError: (kind, result) => {
      const key = kind.toLowerCase() as "complexity" | "depth" | "breadth";
      return new GraphQLError(
        `query too ${key === "complexity" ? "costly" : key === "depth" ? "deep" : "broad"}: ${key} ${result[key]} exceeds the limit of ${LIMITS[key]}`,
        {
          extensions: {
            code: "QUERY_TOO_COMPLEX",
            kind: key,
            value: result[key],
            limit: LIMITS[key],
          },
        },
      );
    },
  },
});

builder.queryType({});
