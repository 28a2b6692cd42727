/** The schema: the type modules register themselves on the builder; this only gathers them. */
import { checkScalarArguments } from "./arguments.ts";
import { builder } from "./builder.ts";
import "./types/scalars.ts";
import "./types/error-codes.ts";
import "./types/paper.ts";
import "./types/day.ts";
import "./types/period.ts";
import "./types/stats.ts";
import "./types/vote.ts";
import "./types/paper-list.ts";
import "./types/rate-limit.ts";

/** Fields check their Date and DateTime arguments before resolving (see arguments.ts). */
export const schema = checkScalarArguments(builder.toSchema({ sortSchema: true }));
