/**
 * The Relay `node(id)` and `nodes(ids)` queries. Defined here rather than by the Relay plugin so
 * that ids are read strictly (src/graphql/ids.ts), an id naming nothing (an unknown type, a row
 * that does not exist) resolves to null, and `nodes` is capped and costed by its length: each id
 * can load a whole subtree (a day with 100 papers), so 1,500 of them once made one request of
 * 18 KB answer 165 MB.
 */
import { resolveNodes } from "@pothos/plugin-relay";
import type { GraphQLInterfaceType, GraphQLResolveInfo } from "graphql";
import { PAGE_SIZE } from "../../papers/list.ts";
import { builder } from "../builder.ts";
import type { Context } from "../context.ts";
import { UserInputError } from "../errors.ts";
import { globalIdArgument } from "../ids.ts";

/** At most this many ids in `nodes`: a page, like `first`. */
export const MAX_NODES = PAGE_SIZE.max;

/** The nodes the ids name, in order; null for those that name nothing. Ids are checked first. */
async function loadNodes(
  ctx: Context,
  info: GraphQLResolveInfo,
  ids: readonly unknown[],
  argument: (index: number) => string,
): Promise<unknown[]> {
  const parsed = ids.map((value, i) => globalIdArgument(argument(i), value));
  const nodeInterface = info.schema.getType("Node") as GraphQLInterfaceType;
  const nodeTypes = new Set(info.schema.getPossibleTypes(nodeInterface).map((type) => type.name));
  const known = parsed.map((id) =>
    nodeTypes.has(id.typename) ? { typename: id.typename, id: id.key.join(":") } : null,
  );
  return Promise.all(await resolveNodes(builder, ctx, info, known));
}

builder.queryFields((t) => ({
  node: t.field({
    type: builder.nodeInterfaceRef(),
    nullable: true,
    description:
      "The object a Relay global id names, or null when it names nothing here (no such type or row). A malformed id is a BAD_USER_INPUT error.",
    args: {
      id: t.arg.id({
        required: true,
        description: "A global id this API wrote: the `id` of any object that implements Node.",
      }),
    },
    resolve: async (_root, { id }, ctx, info) => (await loadNodes(ctx, info, [id], () => "id"))[0],
  }),
  nodes: t.field({
    type: [builder.nodeInterfaceRef()],
    nullable: { list: false, items: true },
    description: `The objects Relay global ids name, in order; null for each id that names nothing. At most ${MAX_NODES} ids; a malformed one is a BAD_USER_INPUT error naming it (\`ids[2]\`).`,
    args: {
      ids: t.arg.idList({
        required: true,
        description: `Global ids this API wrote, at most ${MAX_NODES}; the answer has one item per id, in the same order.`,
      }),
    },
    // Each id costs what its selection costs. Past the cap nothing is loaded (the resolver
    // refuses the list, naming \`ids\`), so such a list costs one selection, not a cost error.
    complexity: (args) => ({
      field: 1,
      multiplier: args.ids.length > MAX_NODES ? 1 : args.ids.length,
    }),
    resolve: (_root, { ids }, ctx, info) => {
      if (ids.length > MAX_NODES) {
        throw new UserInputError("ids", `at most ${MAX_NODES} ids, not ${ids.length}`);
      }
      return loadNodes(ctx, info, ids, (i) => `ids[${i}]`);
    },
  }),
}));
