/**
 * One SQL statement for what a GraphQL selection needs of a model: the Prisma selection that
 * @pothos/plugin-prisma builds from the query (`queryFromInfo`), compiled into a select list whose
 * relations come back as JSON (correlated subqueries with `json_agg` on PostgreSQL and
 * `json_group_array` on SQLite), and decoded into the very objects Prisma would have returned. A
 * page of 20 papers with their authors is then one statement instead of four (ids, papers, author
 * links, authors), on the read path beside Prisma (src/db/reader.ts).
 *
 * Only the shapes the schema's resolvers produce are compiled: scalars, to-one and to-many
 * relations with equality filters on booleans and numbers, an order of scalar columns, `take` and
 * `skip`, and relation counts. Anything else (`cursor`, string filters, operators, ...) returns
 * null, and the caller lets Prisma run it. test/select-sql.test.ts checks that both give the same
 * objects.
 */
import { getDatamodel } from "../generated/pothos/prisma-types.ts";
import type { Reader } from "./reader.ts";
import type { Provider } from "./target.ts";

interface FieldModel {
  name: string;
  kind: string;
  type: string;
  isList: boolean;
  isId: boolean;
  relationName?: string;
  relationFromFields?: string[];
}

const MODELS = getDatamodel().datamodel.models as unknown as Record<
  string,
  { fields: FieldModel[] }
>;

const SCALARS = new Set(["Int", "Float", "String", "Boolean", "DateTime"]);

interface Relation {
  field: FieldModel;
  plan: Plan;
  /** To-many only: `b."column" = literal` conditions, order, take, skip. */
  where: [string, boolean | number | null][];
  orderBy: SortKey[];
  take?: number;
  skip?: number;
}

interface Count {
  field: FieldModel;
  where: [string, boolean | number | null][];
}

interface Plan {
  model: string;
  scalars: FieldModel[];
  relations: Relation[];
  counts: Count[];
}

type Selection = Record<string, unknown>;

const isObject = (value: unknown): value is Selection =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Each model's fields by name, built once. */
const FIELDS = new Map(
  Object.entries(MODELS).map(([model, { fields }]) => [
    model,
    new Map(fields.map((f) => [f.name, f])),
  ]),
);
const NO_FIELDS = new Map<string, FieldModel>();

function fieldsOf(model: string): Map<string, FieldModel> {
  return FIELDS.get(model) ?? NO_FIELDS;
}

function idOf(model: string): FieldModel | null {
  const ids = (MODELS[model]?.fields ?? []).filter((f) => f.isId);
  return ids.length === 1 ? (ids[0] as FieldModel) : null;
}

/** `{ hidden: false }`: equality on scalar columns, with boolean, number or null values only. */
function equalities(model: string, where: unknown): [string, boolean | number | null][] | null {
  if (where === undefined) return [];
  if (!isObject(where)) return null;
  const fields = fieldsOf(model);
  const out: [string, boolean | number | null][] = [];
  for (const [name, value] of Object.entries(where)) {
    const field = fields.get(name);
    if (field?.kind !== "scalar") return null;
    if (value !== null && typeof value !== "boolean" && typeof value !== "number") return null;
    if (typeof value === "number" && !Number.isFinite(value)) return null;
    out.push([name, value]);
  }
  return out;
}

/** A sort key: a scalar column, or a scalar of a to-one relation (`{ day: { date: "asc" } }`). */
type SortKey = { path: [FieldModel] | [FieldModel, FieldModel]; direction: "asc" | "desc" };

function ordering(model: string, orderBy: unknown): SortKey[] | null {
  if (orderBy === undefined) return [];
  const fields = fieldsOf(model);
  const out: SortKey[] = [];
  for (const item of Array.isArray(orderBy) ? orderBy : [orderBy]) {
    if (!isObject(item)) return null;
    for (const [name, direction] of Object.entries(item)) {
      const field = fields.get(name);
      if (!field) return null;
      if (field.kind === "scalar" && (direction === "asc" || direction === "desc")) {
        out.push({ path: [field], direction });
        continue;
      }
      // A to-one relation's scalar.
      if (field.kind !== "object" || field.isList || !isObject(direction)) return null;
      const entries = Object.entries(direction);
      const [column, how] = entries[0] ?? [];
      const target = column === undefined ? undefined : fieldsOf(field.type).get(column);
      if (entries.length !== 1 || target?.kind !== "scalar") return null;
      if (how !== "asc" && how !== "desc") return null;
      if ((field.relationFromFields?.length ?? 0) !== 1 || !idOf(field.type)) return null;
      out.push({ path: [field, target], direction: how });
    }
  }
  return out;
}

const count = (value: unknown) =>
  value === undefined || (Number.isSafeInteger(value) && (value as number) >= 0);

/** The plan of a selection (`{ select }`, `{ include }`, `true`), or null if not compiled. */
function planOf(model: string, query: unknown): Plan | null {
  const fields = fieldsOf(model);
  const plan: Plan = { model, scalars: [], relations: [], counts: [] };
  let picks: Selection;
  if (query === true || (isObject(query) && !("select" in query) && !("include" in query))) {
    picks = {};
    plan.scalars = [...fields.values()].filter((f) => f.kind === "scalar");
  } else if (isObject(query) && isObject(query.select)) {
    picks = query.select;
  } else if (isObject(query) && isObject(query.include)) {
    picks = query.include;
    plan.scalars = [...fields.values()].filter((f) => f.kind === "scalar");
  } else {
    return null;
  }
  for (const [name, value] of Object.entries(picks)) {
    if (value === false || value === undefined) continue;
    if (name === "_count") {
      if (!isObject(value) || !isObject(value.select)) return null;
      for (const [relation, how] of Object.entries(value.select)) {
        const field = fields.get(relation);
        if (field?.kind !== "object" || !field.isList) return null;
        const where = how === true ? [] : isObject(how) ? equalities(field.type, how.where) : null;
        if (!where || (isObject(how) && Object.keys(how).some((k) => k !== "where"))) return null;
        plan.counts.push({ field, where });
      }
      continue;
    }
    const field = fields.get(name);
    if (!field) return null;
    if (field.kind === "scalar") {
      if (!SCALARS.has(field.type) || field.isList) return null;
      if (!plan.scalars.includes(field)) plan.scalars.push(field);
      continue;
    }
    if (field.kind !== "object") return null;
    const args = isObject(value) ? value : {};
    const known = field.isList
      ? ["select", "include", "where", "orderBy", "take", "skip"]
      : ["select", "include"];
    if (Object.keys(args).some((k) => !known.includes(k))) return null;
    const sub = planOf(field.type, value === true ? true : args);
    if (!sub) return null;
    const where = equalities(field.type, args.where);
    const orderBy = ordering(field.type, args.orderBy);
    if (!where || !orderBy || !count(args.take) || !count(args.skip)) return null;
    plan.relations.push({
      field,
      plan: sub,
      where,
      orderBy,
      take: args.take as number | undefined,
      skip: args.skip as number | undefined,
    });
  }
  return plan;
}

/** How a to-many relation's rows point back at their owner: (their column, the owner's id). */
function backLink(owner: string, field: FieldModel): [string, string] | null {
  const back = (MODELS[field.type]?.fields ?? []).find(
    (f) => f.relationName === field.relationName && (f.relationFromFields?.length ?? 0) === 1,
  );
  const id = idOf(owner);
  return back && id ? [back.relationFromFields?.[0] as string, id.name] : null;
}

class Emitter {
  private aliases = 0;
  constructor(readonly provider: Provider) {}

  alias(): string {
    this.aliases += 1;
    return `s${this.aliases}`;
  }

  literal(value: boolean | number | null): string {
    if (value === null) return "NULL";
    if (typeof value === "boolean") {
      return this.provider === "sqlite" ? (value ? "1" : "0") : value ? "true" : "false";
    }
    return String(value);
  }

  condition(alias: string, where: [string, boolean | number | null][]): string[] {
    return where.map(([column, value]) =>
      value === null
        ? `${alias}."${column}" IS NULL`
        : `${alias}."${column}" = ${this.literal(value)}`,
    );
  }

  sortKey(key: SortKey, alias: string): string {
    const [field, target] = key.path;
    if (!target) return `${alias}."${field.name}"`;
    const c = this.alias();
    const id = idOf(field.type) as FieldModel;
    return `(SELECT ${c}."${target.name}" FROM "${field.type}" ${c} WHERE ${c}."${id.name}" = ${alias}."${field.relationFromFields?.[0]}")`;
  }

  /** A JSON object of the row `alias` of `plan.model`. */
  object(plan: Plan, alias: string): string | null {
    const pairs: string[] = [];
    for (const field of plan.scalars) pairs.push(`'${field.name}', ${alias}."${field.name}"`);
    for (const relation of plan.relations) {
      const sql = this.relation(plan.model, relation, alias);
      if (!sql) return null;
      pairs.push(`'${relation.field.name}', ${this.provider === "sqlite" ? `json(${sql})` : sql}`);
    }
    if (plan.counts.length > 0) {
      const counts: string[] = [];
      for (const c of plan.counts) {
        const sql = this.count(plan.model, c, alias);
        if (!sql) return null;
        counts.push(`'${c.field.name}', ${sql}`);
      }
      pairs.push(`'_count', ${this.build(counts)}`);
    }
    return this.build(pairs);
  }

  private build(pairs: string[]): string {
    return `${this.provider === "sqlite" ? "json_object" : "json_build_object"}(${pairs.join(", ")})`;
  }

  count(owner: string, c: Count, alias: string): string | null {
    const link = backLink(owner, c.field);
    if (!link) return null;
    const b = this.alias();
    const where = [`${b}."${link[0]}" = ${alias}."${link[1]}"`, ...this.condition(b, c.where)];
    return `(SELECT count(*) FROM "${c.field.type}" ${b} WHERE ${where.join(" AND ")})`;
  }

  /** A scalar subquery: the related row as a JSON object (or NULL), or its rows as a JSON array. */
  relation(owner: string, relation: Relation, alias: string): string | null {
    const { field, plan } = relation;
    const b = this.alias();
    if (!field.isList) {
      const from = field.relationFromFields ?? [];
      const id = idOf(field.type);
      if (from.length !== 1 || !id) return null;
      const object = this.object(plan, b);
      if (!object) return null;
      return `(SELECT ${object} FROM "${field.type}" ${b} WHERE ${b}."${id.name}" = ${alias}."${from[0]}")`;
    }
    const link = backLink(owner, field);
    const object = this.object(plan, b);
    if (!link || !object) return null;
    const where = [
      `${b}."${link[0]}" = ${alias}."${link[1]}"`,
      ...this.condition(b, relation.where),
    ];
    const keys = relation.orderBy.map((key, i) => `${this.sortKey(key, b)} AS "k${i}"`);
    const t = this.alias();
    const order = relation.orderBy.map((key, i) => `${t}."k${i}" ${key.direction.toUpperCase()}`);
    const limit =
      this.provider === "sqlite"
        ? relation.take !== undefined || relation.skip !== undefined
          ? ` LIMIT ${relation.take ?? -1} OFFSET ${relation.skip ?? 0}`
          : ""
        : `${relation.take !== undefined ? ` LIMIT ${relation.take}` : ""}${relation.skip ? ` OFFSET ${relation.skip}` : ""}`;
    const sortBy = relation.orderBy.map((key, i) => `"k${i}" ${key.direction.toUpperCase()}`);
    const inner = `SELECT ${[`${object} AS "o"`, ...keys].join(", ")} FROM "${field.type}" ${b} WHERE ${where.join(" AND ")}${sortBy.length ? ` ORDER BY ${sortBy.join(", ")}` : ""}${limit}`;
    const orderBy = order.length ? ` ORDER BY ${order.join(", ")}` : "";
    return this.provider === "sqlite"
      ? `(SELECT json_group_array(json(${t}."o")${orderBy}) FROM (${inner}) ${t})`
      : `(SELECT coalesce(json_agg(${t}."o"${orderBy}), '[]'::json) FROM (${inner}) ${t})`;
  }
}

/** A model's selection compiled: the select list over the row `alias`, and its decoder. */
export interface CompiledSelection {
  /** `alias."a" AS "a", (...) AS "rel", ...`; holds no parameters. */
  columns: string;
  decode(row: Record<string, unknown>): Record<string, unknown>;
}

function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === "number") return new Date(value);
  const text = String(value);
  // PostgreSQL's JSON of a `timestamp` has no zone; it holds UTC.
  return new Date(/(?:[zZ]|[+-]\d\d:?\d\d)$/.test(text) ? text : `${text}Z`);
}

function decoder(
  plan: Plan,
  json: boolean,
): (row: Record<string, unknown>) => Record<string, unknown> {
  const relations = plan.relations.map((r) => {
    const inner = decoder(r.plan, true);
    return { name: r.field.name, list: r.field.isList, inner };
  });
  return (row) => {
    const out: Record<string, unknown> = {};
    for (const field of plan.scalars) {
      const value = row[field.name];
      if (value === null || value === undefined) out[field.name] = null;
      else if (field.type === "DateTime") out[field.name] = toDate(value);
      else if (field.type === "Boolean") out[field.name] = value === true || value === 1;
      else out[field.name] = value;
    }
    for (const relation of relations) {
      let value = row[relation.name];
      if (!json && typeof value === "string") value = JSON.parse(value);
      if (value === null || value === undefined) out[relation.name] = relation.list ? [] : null;
      else if (relation.list) {
        out[relation.name] = (value as Record<string, unknown>[]).map(relation.inner);
      } else out[relation.name] = relation.inner(value as Record<string, unknown>);
    }
    if (plan.counts.length > 0) {
      let counts = row._count;
      if (!json && typeof counts === "string") counts = JSON.parse(counts);
      const numbers: Record<string, number> = {};
      for (const c of plan.counts) {
        numbers[c.field.name] = Number((counts as Record<string, unknown>)[c.field.name]);
      }
      out._count = numbers;
    }
    return out;
  };
}

let compiling = true;

/** Turns the compiler off (every selection then goes to Prisma): how the tests compare the two. */
export function setSelectionCompiler(enabled: boolean): void {
  compiling = enabled;
}

/**
 * Compiles a Prisma selection of `model` (as `findMany`/`findUnique` take it: `{ select }` or
 * `{ include }`) over the row `alias`; null when it holds something this does not compile.
 */
export function compileSelection(
  provider: Provider,
  model: string,
  query: unknown,
  alias: string,
): CompiledSelection | null {
  if (!compiling) return null;
  // The same operation asks for the same selection every time: compiled once.
  const key = `${provider} ${model} ${alias} ${JSON.stringify(query)}`;
  let compiled = compiledSelections.get(key);
  if (compiled === undefined) {
    compiled = compile(provider, model, query, alias);
    if (compiledSelections.size >= COMPILED_SELECTIONS) {
      compiledSelections.delete(compiledSelections.keys().next().value as string);
    }
    compiledSelections.set(key, compiled);
  }
  return compiled;
}

/** Compiled selections kept (the oldest is dropped past this many): a client shapes them. */
const COMPILED_SELECTIONS = 500;
const compiledSelections = new Map<string, CompiledSelection | null>();

function compile(
  provider: Provider,
  model: string,
  query: unknown,
  alias: string,
): CompiledSelection | null {
  const plan = planOf(model, query);
  if (!plan) return null;
  const emitter = new Emitter(provider);
  const columns: string[] = plan.scalars.map((f) => `${alias}."${f.name}" AS "${f.name}"`);
  for (const relation of plan.relations) {
    const sql = emitter.relation(model, relation, alias);
    if (!sql) return null;
    columns.push(`${sql} AS "${relation.field.name}"`);
  }
  if (plan.counts.length > 0) {
    const counts: string[] = [];
    for (const c of plan.counts) {
      const sql = emitter.count(model, c, alias);
      if (!sql) return null;
      counts.push(`'${c.field.name}', ${sql}`);
    }
    columns.push(
      `${provider === "sqlite" ? "json_object" : "json_build_object"}(${counts.join(", ")}) AS "_count"`,
    );
  }
  if (columns.length === 0) return null;
  return { columns: columns.join(", "), decode: decoder(plan, false) };
}

/**
 * The one row of `model` whose unique `column` equals `value`, read with `query`'s selection in
 * one statement: what `findUnique({ ...query, where: { [column]: value } })` returns. Undefined
 * when the selection is not compiled (the caller asks Prisma).
 */
export function findUnique<T = Record<string, unknown>>(
  reader: Reader,
  provider: Provider,
  model: string,
  query: unknown,
  column: string,
  value: string | number,
): Promise<T | null> | undefined {
  const select = compileSelection(provider, model, query, "n");
  if (!select || !fieldsOf(model).has(column)) return undefined;
  const sql = `SELECT ${select.columns} FROM "${model}" n WHERE n."${column}" = ${provider === "sqlite" ? "?" : "$1"}`;
  return reader
    .query(sql, [value])
    .then((rows) => (rows[0] ? (select.decode(rows[0]) as T) : null));
}
