/** The schema: the type modules register themselves on the builder; this only gathers them. */
import { builder } from "./builder.ts";
import "./types/scalars.ts";
import "./types/error-codes.ts";
import "./types/paper.ts";
import "./types/day.ts";
import "./types/period.ts";
import "./types/stats.ts";
import "./types/vote.ts";

export const schema = builder.toSchema({ sortSchema: true });
