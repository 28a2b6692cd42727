/** The schema: the type modules register themselves on the builder; this only gathers them. */
import { type GraphQLSchema, isObjectType } from "graphql";
import { checkScalarArguments } from "./arguments.ts";
import { builder } from "./builder.ts";
import { checkCursorArguments } from "./cursors.ts";
import "./types/scalars.ts";
import "./types/error-codes.ts";
import "./types/node.ts";
import "./types/paper.ts";
import "./types/day.ts";
import "./types/period.ts";
import "./types/stats.ts";
import "./types/vote.ts";
import "./types/digest.ts";
import "./types/subscriptions.ts";
import "./types/paper-list.ts";
import "./types/rate-limit.ts";

/**
 * The `totalCount` fields that @pothos/plugin-prisma adds to its connections (`totalCount: true`)
 * take no options, so their descriptions are set here; test/unit/schema-docs.test.ts fails on any
 * field left without one.
 */
const TOTAL_COUNTS: Record<string, string> = {
  DayConnection:
    "How many days with a digest the range holds, in all pages. Counted only when asked for.",
  DayPaperConnection:
    "How many papers the day's digest lists, in all pages (as `Day.paperCount`). Counted only when asked for.",
  PaperListConnection: "How many named lists there are, in all pages. Counted only when asked for.",
  PaperVoteConnection:
    "How many votes the paper has in the range (`since`, `until`), in all pages. Counted only when asked for.",
};

function describeTotalCounts(built: GraphQLSchema): GraphQLSchema {
  for (const [typeName, description] of Object.entries(TOTAL_COUNTS)) {
    const type = built.getType(typeName);
    const field = isObjectType(type) ? type.getFields().totalCount : undefined;
    if (!field) throw new Error(`${typeName}.totalCount is not in the schema`);
    field.description ??= description;
  }
  return built;
}

/**
 * Fields check their Date and DateTime arguments (see arguments.ts) and their cursors (see
 * cursors.ts) before resolving.
 */
export const schema = checkCursorArguments(
  checkScalarArguments(describeTotalCounts(builder.toSchema({ sortSchema: true }))),
);
