/**
 * The Date and DateTime scalars. A value they refuse is parsed into an `InvalidValue` rather than
 * thrown, so that the field taking it reports a BAD_USER_INPUT error naming the argument
 * (src/graphql/arguments.ts); graphql-js would report it without the argument's name.
 */
import { dayProblem } from "../../ingest/normalize.ts";
import { InvalidValue } from "../arguments.ts";
import { builder } from "../builder.ts";

/** A value as a message shows it: JSON, cut to about 80 characters. */
function shown(value: unknown): string {
  const text = String(JSON.stringify(value) ?? value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** Why `YYYY`-`MM`-`DD` is not a day (`February has 28 days in 2025`), or null. */
function problemOfDay(year: string, month: string, day: string): string | null {
  return dayProblem({ year: Number(year), month: Number(month), day: Number(day) });
}

/** A valid day, or why not. The scalar types say `string`: see the module comment. */
export function parseDay(value: unknown): string {
  const match = typeof value === "string" ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(value) : null;
  if (!match) {
    return new InvalidValue(`expected a date YYYY-MM-DD, got ${shown(value)}`) as unknown as string;
  }
  const problem = problemOfDay(match[1] as string, match[2] as string, match[3] as string);
  if (problem) {
    return new InvalidValue(
      `expected a date YYYY-MM-DD, got ${shown(value)}: that day does not exist (${problem})`,
    ) as unknown as string;
  }
  return value as string;
}

/** A valid instant, or why not. */
export function parseDateTime(value: unknown): Date {
  const expected = `expected an ISO-8601 date-time, got ${shown(value)}`;
  const match = typeof value === "string" ? /^(\d{4})-(\d{2})-(\d{2})/.exec(value) : null;
  const date = match ? new Date(value as string) : null;
  if (!match || !date || Number.isNaN(date.getTime())) {
    return new InvalidValue(expected) as unknown as Date;
  }
  // `new Date` rolls a day that does not exist over into the next month: refuse it instead.
  const problem = problemOfDay(match[1] as string, match[2] as string, match[3] as string);
  if (problem) {
    return new InvalidValue(`${expected}: that day does not exist (${problem})`) as unknown as Date;
  }
  return date;
}

/** `YYYY-MM-DD`, a calendar day (digest days carry no time zone). */
export const DateScalar = builder.scalarType("Date", {
  description:
    "A calendar day, `YYYY-MM-DD`. A day that does not exist (`2025-02-30`) is a BAD_USER_INPUT error naming the argument.",
  serialize: (value) => value,
  parseValue: parseDay,
});

/** An instant, ISO-8601 in UTC. */
export const DateTimeScalar = builder.scalarType("DateTime", {
  description:
    "An instant, ISO-8601 (`2024-10-22T17:59:30.000Z`); returned in UTC. A day that does not exist is a BAD_USER_INPUT error naming the argument.",
  serialize: (value) => value.toISOString(),
  parseValue: parseDateTime,
});
