import { GraphQLError } from "graphql";
import { isValidYmd } from "../../ingest/normalize.ts";
import { builder } from "../builder.ts";

/** `YYYY-MM-DD`, a calendar day (digest days carry no time zone). */
export const DateScalar = builder.scalarType("Date", {
  description: "A calendar day, `YYYY-MM-DD`.",
  serialize: (value) => value,
  parseValue: (value) => {
    if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value) || !isValidYmd(value)) {
      throw new GraphQLError(`expected a date YYYY-MM-DD, got ${JSON.stringify(value)}`, {
        extensions: { code: "BAD_USER_INPUT" },
      });
    }
    return value;
  },
});

/** An instant, ISO-8601 in UTC. */
export const DateTimeScalar = builder.scalarType("DateTime", {
  description: "An instant, ISO-8601 in UTC (`2024-10-22T17:59:30.000Z`).",
  serialize: (value) => value.toISOString(),
  parseValue: (value) => {
    const date = typeof value === "string" ? new Date(value) : null;
    if (!date || Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(String(value))) {
      throw new GraphQLError(`expected an ISO-8601 date-time, got ${JSON.stringify(value)}`, {
        extensions: { code: "BAD_USER_INPUT" },
      });
    }
    return date;
  },
});
