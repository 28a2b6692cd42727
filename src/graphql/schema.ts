/** The schema: the type modules register themselves on the builder; this only gathers them. */
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
import "./types/subscriptions.ts";
import "./types/paper-list.ts";
import "./types/rate-limit.ts";

/**
 * Fields check their Date and DateTime arguments (see arguments.ts) and their cursors (see
 * cursors.ts) before resolving.
 */
export const schema = checkCursorArguments(
  checkScalarArguments(builder.toSchema({ sortSchema: true })),
);
