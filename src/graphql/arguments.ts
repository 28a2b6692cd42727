/**
 * Bad scalar values that name their argument. graphql-js rejects a value its scalar refuses before
 * any resolver runs, in words that never name the argument (`Variable "$d" got invalid value`,
 * or for a literal just the scalar's message), so a client could not tell `from` from `to`.
 * Instead the scalars of this API (Date, DateTime) parse a bad value into an `InvalidValue`, and
 * every field that takes one of them checks its arguments before resolving: the first bad value
 * becomes a BAD_USER_INPUT error whose `extensions.argument` is its path (`date`, `from`,
 * `filter.dayFrom`, `ids[2]`), the same for a literal and for a variable.
 */
import {
  defaultFieldResolver,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  isInputObjectType,
  isObjectType,
  isScalarType,
} from "graphql";
import { UserInputError } from "./errors.ts";

/** What a scalar's parser returns for a value it refuses: why, for the argument check. */
export class InvalidValue {
  constructor(readonly problem: string) {}
}

/** The scalars that parse bad values into `InvalidValue`. */
const CHECKED_SCALARS = new Set(["Date", "DateTime"]);

/** Whether values of this input type can hold a checked scalar, at any depth. */
function holdsChecked(type: GraphQLInputType, seen = new Set<string>()): boolean {
  const named = getNamedType(type);
  if (isScalarType(named)) return CHECKED_SCALARS.has(named.name);
  if (!isInputObjectType(named) || seen.has(named.name)) return false;
  seen.add(named.name);
  return Object.values(named.getFields()).some((field) => holdsChecked(field.type, seen));
}

/** The path and problem of the first `InvalidValue` in an argument value, or null. */
function findInvalid(value: unknown, path: string): { path: string; problem: string } | null {
  if (value instanceof InvalidValue) return { path, problem: value.problem };
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findInvalid(item, `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  if (typeof value === "object" && value !== null) {
    const proto = Object.getPrototypeOf(value);
    // Input objects are plain objects; parsed scalars (a DateTime's Date) are not walked.
    if (proto !== Object.prototype && proto !== null) return null;
    for (const [key, item] of Object.entries(value)) {
      const found = findInvalid(item, `${path}.${key}`);
      if (found) return found;
    }
  }
  return null;
}

/**
 * Throws BAD_USER_INPUT naming the first bad value among a field's arguments (all of them, or
 * those named). Fields check themselves (see `checkScalarArguments`), but a Prisma relation
 * field's `query` runs earlier, while its parent plans the SQL: such a `query` calls this first.
 */
export function checkArguments(
  args: Record<string, unknown>,
  names: readonly string[] = Object.keys(args),
): void {
  for (const name of names) {
    const found = findInvalid(args[name], name);
    if (found) throw new UserInputError(found.path, found.problem);
  }
}

/**
 * Makes every field with an argument that can hold a Date or DateTime check its arguments before
 * it resolves (or subscribes). Changes the schema's fields in place and returns the schema.
 */
export function checkScalarArguments(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith("__")) continue;
    for (const field of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) {
      const names = field.args.filter((arg) => holdsChecked(arg.type)).map((arg) => arg.name);
      if (names.length === 0) continue;
      const resolve = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        checkArguments(args, names);
        return resolve(source, args, context, info);
      };
      const subscribe = field.subscribe;
      if (subscribe) {
        field.subscribe = (source, args, context, info) => {
          checkArguments(args, names);
          return subscribe(source, args, context, info);
        };
      }
    }
  }
  return schema;
}
