/**
 * Cursor checks: a forged cursor, one of another connection, or garbage is a BAD_USER_INPUT error
 * naming `after` or `before`, never an unexpected error, and never reaches SQL.
 *
 * Every field that takes `after`/`before` declares how its cursors look, in its `extensions`
 * (`cursorRule`), and `checkCursorArguments` refuses a schema with one that does not:
 * - `KEYSET`: the paper connections, whose cursors src/papers/list.ts writes and checks itself
 *   (base64url JSON of the query's fingerprint, the sort key and the id).
 * - a row cursor: the connections of plugin-prisma, whose cursors are the base64 of `GPC:` and
 *   the cursor columns' values: `N:<id>` (one row id), `S:<YYYY-MM-DD>` (a day), or
 *   `T:["N:<id>","N:<id>"]` (a compound key). plugin-prisma parses them loosely (a bad one fails
 *   as an internal error, or reaches Prisma as `NaN`), and it parses a nested connection's
 *   cursor while its ancestor plans the SQL, before the connection's own resolver runs. So each
 *   root field first checks the row cursors of every connection selected beneath it (its error
 *   then nulls the root field); and each connection whose compound key names its parent (the day
 *   of `Day.papers`) checks, when it resolves, that the cursor names this parent.
 * The formats are plugin-prisma's: an upgrade that changes them fails the pagination tests.
 */
import {
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  getArgumentValues,
  getNamedType,
  isInterfaceType,
  isObjectType,
  Kind,
  type SelectionSetNode,
} from "graphql";
import { dayProblem } from "../ingest/normalize.ts";
import { UserInputError } from "./errors.ts";
import { parseRowId } from "./ids.ts";

/** How the cursors of a plugin-prisma connection look, and whose they are. */
export interface RowCursor {
  /** `id`: one row id; `day`: a `YYYY-MM-DD` day; `pair`: the two row ids of a compound key. */
  format: "id" | "day" | "pair";
  /** For a pair that names the connection's parent: which part, and the parent's id. */
  owner?: { part: 0 | 1; of: (parent: never) => number };
}

/** The cursors of src/papers/list.ts, which checks them itself. */
export const KEYSET = "keyset";

type CursorRule = RowCursor | typeof KEYSET;

/** The `extensions` of a field that takes a cursor. */
export function cursorRule(rule: CursorRule): { cursor: CursorRule } {
  return { cursor: rule };
}

const ID = "([1-9][0-9]{0,9})";
const PATTERNS = {
  id: new RegExp(`^GPC:N:${ID}$`),
  day: /^GPC:S:(\d{4})-(\d{2})-(\d{2})$/,
  pair: new RegExp(`^GPC:T:\\["N:${ID}","N:${ID}"\\]$`),
} as const;

/** The values a row cursor holds (ids, or a day's year, month and day), or null. */
function readRowCursor(rule: RowCursor, cursor: string): number[] | null {
  const text = Buffer.from(cursor, "base64").toString("utf8");
  // Node's decoder skips characters that are not base64: only the exact encoding is accepted.
  if (Buffer.from(text, "utf8").toString("base64") !== cursor) return null;
  const parts = PATTERNS[rule.format].exec(text)?.slice(1);
  if (!parts) return null;
  if (rule.format === "day") {
    const [year, month, day] = parts.map(Number) as [number, number, number];
    return dayProblem({ year, month, day }) ? null : [year, month, day];
  }
  const ids = parts.map(parseRowId);
  return ids.every((id) => id !== null) ? (ids as number[]) : null;
}

/** Throws BAD_USER_INPUT unless the `after` and `before` of `args` are cursors of this field. */
function checkRowCursors(
  rule: RowCursor,
  args: Record<string, unknown>,
  field: string,
  parent?: unknown,
): void {
  for (const argument of ["after", "before"]) {
    const cursor = args[argument];
    if (cursor == null) continue;
    const values = typeof cursor === "string" ? readRowCursor(rule, cursor) : null;
    if (!values) throw new UserInputError(argument, `is not a cursor of ${field}`);
    const owner = rule.owner;
    if (owner && parent !== undefined && values[owner.part] !== owner.of(parent as never)) {
      throw new UserInputError(argument, `is a cursor of another ${field} connection`);
    }
  }
}

function ruleOf(field: GraphQLField<unknown, unknown>): CursorRule | undefined {
  return (field.extensions as { cursor?: CursorRule }).cursor;
}

/** Checks the row cursors of every connection selected beneath a root field (see the top). */
function checkCursorsBeneath(info: GraphQLResolveInfo): void {
  const seen = new Map<SelectionSetNode, Set<string>>();
  const visit = (selectionSet: SelectionSetNode, type: GraphQLNamedType): void => {
    // Each selection set once per type: fragments spread many times are read once.
    const types = seen.get(selectionSet) ?? new Set<string>();
    seen.set(selectionSet, types);
    if (types.has(type.name)) return;
    types.add(type.name);
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const fields = isObjectType(type) || isInterfaceType(type) ? type.getFields() : {};
        const field = fields[selection.name.value];
        if (!field) continue;
        const rule = ruleOf(field);
        if (rule && rule !== KEYSET) {
          const args = getArgumentValues(field, selection, info.variableValues);
          checkRowCursors(rule, args, `${type.name}.${field.name}`);
        }
        if (selection.selectionSet) visit(selection.selectionSet, getNamedType(field.type));
      } else {
        const fragment =
          selection.kind === Kind.INLINE_FRAGMENT
            ? selection
            : info.fragments[selection.name.value];
        if (!fragment) continue;
        const condition =
          fragment.typeCondition && info.schema.getType(fragment.typeCondition.name.value);
        visit(fragment.selectionSet, condition || type);
      }
    }
  };
  const type = getNamedType(info.returnType);
  for (const node of info.fieldNodes) if (node.selectionSet) visit(node.selectionSet, type);
}

/**
 * Makes the schema's fields check cursors (see the top): root query and mutation fields check
 * those beneath them, connections their own. Throws when a field takes a cursor without a rule.
 * Changes the schema's fields in place and returns the schema.
 */
export function checkCursorArguments(schema: GraphQLSchema): GraphQLSchema {
  const roots = new Set([schema.getQueryType(), schema.getMutationType()]);
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    for (const field of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) {
      const rule = ruleOf(field);
      if (!rule && field.args.some((arg) => arg.name === "after" || arg.name === "before")) {
        throw new Error(`${type.name}.${field.name} takes a cursor but declares no cursorRule`);
      }
      const resolve = field.resolve;
      if (!resolve) continue;
      const root = roots.has(type);
      if (!root && (!rule || rule === KEYSET)) continue;
      const name = `${type.name}.${field.name}`;
      field.resolve = (source, args, context, info) => {
        if (root) checkCursorsBeneath(info);
        if (rule && rule !== KEYSET) checkRowCursors(rule, args, name, source);
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}
