/**
 * The cost of an operation, computed from its document and variables before anything runs, from
 * the `complexity` each field declares (plugin-complexity's annotations: a number, or `{ field,
 * multiplier }`, or a function of the field's arguments; src/graphql/builder.ts holds the
 * calibrated costs). The walk is plugin-complexity's, with one difference: a connection's page
 * size multiplies what is read per item (`edges`, `nodes`), once (plugin-complexity would count
 * these lists ten times more, as any list), and not what is read once per page (`totalCount`,
 * `pageInfo`). So a page of 100 titles costs 2 + 100 x (1 + 1), and a count what counting costs,
 * whatever the page size.
 *
 * Depth and breadth are counted as plugin-complexity counts them: depth is the longest chain of
 * nested fields, breadth the number of fields selected in the whole operation.
 */
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  getArgumentValues,
  getNamedType,
  getVariableValues,
  isCompositeType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from "graphql";

export interface Cost {
  complexity: number;
  depth: number;
  breadth: number;
}

type Complexity =
  | number
  | { field?: number; multiplier?: number }
  | ((args: Record<string, unknown>, ctx: unknown, field: unknown) => unknown);

/** The defaults of src/graphql/builder.ts: a field costs 1; a list multiplies by 10. */
const DEFAULT_FIELD = 1;
const DEFAULT_LIST_MULTIPLIER = 10;
/** The fields of a connection read once per item: the page size multiplies these only. */
const PER_ITEM = new Set(["edges", "nodes"]);

interface Walk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  context: unknown;
  /** Each selection set is costed once per parent type: reused fragments cost no extra walk. */
  done: Map<SelectionSetNode, Map<GraphQLCompositeType, Cost>>;
}

/**
 * The operation that `operationName` selects, or undefined (no such operation, or variables that
 * do not fit its definitions: execution refuses both before any resolver runs).
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  rawVariables: Record<string, unknown> | null | undefined,
  context: unknown,
): Cost | undefined {
  const fragments = new Map<string, FragmentDefinitionNode>();
  const operations: OperationDefinitionNode[] = [];
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION)
      fragments.set(definition.name.value, definition);
    if (definition.kind === Kind.OPERATION_DEFINITION) operations.push(definition);
  }
  const operation = operationName
    ? operations.find((o) => o.name?.value === operationName)
    : operations.length === 1
      ? operations[0]
      : undefined;
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return undefined;
  const coerced = getVariableValues(
    schema,
    operation.variableDefinitions ?? [],
    rawVariables ?? {},
  );
  if (coerced.errors) return undefined;
  const walk: Walk = { schema, fragments, variables: coerced.coerced, context, done: new Map() };
  return selectionCost(walk, operation.selectionSet, root);
}

/**
 * The fields a selection set selects on `type`, fragments spread (on their own type when they name
 * one). A named fragment spread twice in one selection selects its fields once (GraphQL merges
 * them), so it is spread once: repeated spreads cannot make the walk exponential.
 */
function fieldsOf(
  walk: Walk,
  set: SelectionSetNode,
  type: GraphQLCompositeType,
  out: { node: FieldNode; type: GraphQLCompositeType }[] = [],
  spread = new Set<string>(),
) {
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      out.push({ node: selection, type });
      continue;
    }
    let fragment: { typeCondition?: { name: { value: string } }; selectionSet: SelectionSetNode };
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const named = walk.fragments.get(selection.name.value);
      if (!named || spread.has(selection.name.value)) continue;
      spread.add(selection.name.value);
      fragment = named;
    } else {
      fragment = selection;
    }
    const condition = fragment.typeCondition
      ? walk.schema.getType(fragment.typeCondition.name.value)
      : type;
    fieldsOf(
      walk,
      fragment.selectionSet,
      isCompositeType(condition) ? condition : type,
      out,
      spread,
    );
  }
  return out;
}

function selectionCost(walk: Walk, set: SelectionSetNode, type: GraphQLCompositeType): Cost {
  const cached = walk.done.get(set)?.get(type);
  if (cached) return cached;
  const total: Cost = { complexity: 0, depth: 0, breadth: 0 };
  for (const { node, type: parent } of fieldsOf(walk, set, type)) {
    const cost = fieldCost(walk, node, parent);
    total.complexity += cost.complexity;
    total.breadth += cost.breadth;
    total.depth = Math.max(total.depth, cost.depth);
  }
  if (!walk.done.has(set)) walk.done.set(set, new Map());
  walk.done.get(set)?.set(type, total);
  return total;
}

/** A field's cost; `perItem`: a connection's `edges` or `nodes`, which the page size multiplies. */
function fieldCost(
  walk: Walk,
  node: FieldNode,
  parent: GraphQLCompositeType,
  perItem = false,
): Cost {
  const field =
    isObjectType(parent) || isInterfaceType(parent)
      ? (parent.getFields()[node.name.value] as GraphQLField<unknown, unknown> | undefined)
      : undefined;
  // Introspection (`__typename`, `__schema`...) and unknown fields cost one; execution refuses the
  // unknown ones.
  if (!field) return { complexity: DEFAULT_FIELD, depth: 1, breadth: 1 };
  let complexity = field.extensions?.complexity as Complexity | undefined;
  if (typeof complexity === "function") {
    complexity = complexity(
      getArgumentValues(field, node, walk.variables),
      walk.context,
      field,
    ) as Complexity;
  }
  const own =
    typeof complexity === "number"
      ? complexity
      : typeof complexity === "object"
        ? (complexity.field ?? DEFAULT_FIELD)
        : DEFAULT_FIELD;
  const listType = isNonNullType(field.type) ? field.type.ofType : field.type;
  const multiplier = perItem
    ? 1
    : Math.max(
        0,
        typeof complexity === "object" && complexity.multiplier !== undefined
          ? complexity.multiplier
          : isListType(listType)
            ? DEFAULT_LIST_MULTIPLIER
            : 1,
      );
  const cost: Cost = { complexity: own, depth: 1, breadth: 1 };
  const type = getNamedType(field.type);
  if (!node.selectionSet || !isCompositeType(type)) return cost;
  if (isConnection(type)) {
    // Per item (edges, nodes) times the page size; the rest (totalCount, pageInfo) once.
    for (const child of fieldsOf(walk, node.selectionSet, type)) {
      const item = PER_ITEM.has(child.node.name.value);
      const sub = fieldCost(walk, child.node, child.type, item);
      cost.complexity += sub.complexity * (item ? multiplier : 1);
      cost.breadth += sub.breadth;
      cost.depth = Math.max(cost.depth, 1 + sub.depth);
    }
    return cost;
  }
  const sub = selectionCost(walk, node.selectionSet, type);
  cost.complexity += sub.complexity * multiplier;
  cost.breadth += sub.breadth;
  cost.depth += sub.depth;
  return cost;
}

/** A Relay connection type: it has `edges` and `pageInfo`. */
function isConnection(type: GraphQLCompositeType): boolean {
  if (!isObjectType(type)) return false;
  const fields = type.getFields();
  return "edges" in fields && "pageInfo" in fields;
}
