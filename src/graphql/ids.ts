/**
 * Relay global ids: base64 of `Type:key`, where the key is a row id, a decimal integer in
 * 1..2^31-1 written canonically (no sign, no leading zero, no exponent), or for the types keyed by
 * two rows (COMPOUND_KEYS: a paper's listing on a day is keyed by the day and the paper) two such
 * row ids, `DayEntry:3:17`. One node has exactly one id string: `Paper:1e3`, `Paper:1.5`,
 * `Paper:01`, `Paper:1:2`, `Foo:1:2`, `DayEntry:3` or a base64 spelling other than the one this
 * API writes are not ids of anything, they are malformed, and a malformed id is the client's
 * mistake (BAD_USER_INPUT naming the argument). A well-formed id of a type that is not a node
 * here (`Foo:1`) or of a row that does not exist names nothing: `node` answers null, as
 * Relay's own servers (graphql-relay's `nodeDefinitions`) do.
 */
import { UserInputError } from "./errors.ts";

/** The largest row id: PostgreSQL's `integer`. */
export const MAX_ROW_ID = 2 ** 31 - 1;

/** A row id as this API writes it, or null: `1`, `42`; not `0`, `01`, `+1`, `1e3`, `1.5`. */
export function parseRowId(text: string): number | null {
  if (!/^[1-9][0-9]{0,9}$/.test(text)) return null;
  const id = Number(text);
  return id <= MAX_ROW_ID ? id : null;
}

/** The node types whose key is two row ids, by the GraphQL type name; every other has one. */
export const COMPOUND_KEYS: ReadonlySet<string> = new Set(["DayEntry"]);

export interface GlobalId {
  typename: string;
  /** The (first) row id of the key. */
  id: number;
  /** Every row id of the key: one, or two for COMPOUND_KEYS types. */
  key: number[];
}

/** A value as an error message shows it: JSON, cut to about 60 characters. */
function shown(value: unknown): string {
  const text = String(JSON.stringify(value) ?? value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** The type and row id a global id names, or why it is not one. */
export function parseGlobalId(value: unknown): GlobalId | string {
  const problem = `${shown(value)} is not an id from this API`;
  if (typeof value !== "string") return problem;
  const text = Buffer.from(value, "base64").toString("utf8");
  // Node's decoder skips characters that are not base64; writing the text back says whether
  // `value` was exactly the base64 of it.
  if (Buffer.from(text, "utf8").toString("base64") !== value) return problem;
  const match = /^([A-Za-z][A-Za-z0-9]*):(.*)$/s.exec(text);
  if (!match) return problem;
  const typename = match[1] as string;
  const parts = (match[2] as string).split(":");
  const key = parts.map(parseRowId);
  if (parts.length > 2 || key.some((id) => id === null)) return problem;
  if (key.length !== (COMPOUND_KEYS.has(typename) ? 2 : 1)) return problem;
  return { typename, id: key[0] as number, key: key as number[] };
}

/** The global id of a row (or of a pair of rows): what `parseGlobalId` reads back. */
export function globalIdOf(typename: string, ...key: number[]): string {
  return Buffer.from(`${typename}:${key.join(":")}`, "utf8").toString("base64");
}

/**
 * The id an argument holds, or BAD_USER_INPUT naming the argument (`id`, `ids[2]`,
 * `input.paperId`). With `type`, an id of another type is refused too.
 */
export function globalIdArgument(argument: string, value: unknown, type?: string): GlobalId {
  const parsed = parseGlobalId(value);
  if (typeof parsed === "string") throw new UserInputError(argument, parsed);
  if (type && parsed.typename !== type) {
    throw new UserInputError(
      argument,
      `${shown(value)} is the id of a ${parsed.typename}, not of a ${type}`,
    );
  }
  return parsed;
}
