/**
 * Named lists of papers (`PaperList`): page-text captures of a search or listing page, loaded
 * under a name rather than as a day (src/ingest/listing.ts). Their papers are a connection in list
 * order whose edges carry what the capture showed of each paper (rank, upvotes), the paper itself
 * being the node: the join row's data lives on the edge, as GitHub's `starredAt` does.
 */
import { basename } from "node:path";
import { prismaConnectionHelpers } from "@pothos/plugin-prisma";
import { PAGE_SIZE } from "../../papers/list.ts";
import { builder } from "../builder.ts";
import { cursorRule } from "../cursors.ts";
import { checkPage } from "./day.ts";
import { Paper, pageMultiplier } from "./paper.ts";

const LIST_MEANING =
  "A named list of papers that is not a day's digest: a page-text capture of a search or listing page (papers of any age, e.g. a search for `task generalization`), loaded by the ingest job under a name (`--list NAME`, else the file name without its extension).";

/** The entries of a list in list order, each resolving to its paper. */
const entries = prismaConnectionHelpers(builder, "PaperListEntry", {
  cursor: "listId_paperId",
  defaultSize: PAGE_SIZE.default,
  maxSize: PAGE_SIZE.max,
  select: (nodeSelection) => ({
    rank: true,
    upvotes: true,
    paper: nodeSelection({ select: { id: true } }),
  }),
  query: (args) => {
    checkPage(args);
    // Ranks are unique within a list; the paper id only makes the order total. (The helper's
    // type allows one orderBy object, Prisma takes the list.)
    return { orderBy: [{ rank: "asc" }, { paperId: "asc" }] as never };
  },
  resolveNode: (entry) => entry.paper,
});

export const PaperList = builder.prismaNode("PaperList", {
  id: { field: "id" },
  nullable: true,
  description: LIST_MEANING,
  fields: (t) => ({
    name: t.exposeString("name", { description: "The list's name, unique." }),
    capturedOn: t.expose("capturedOn", {
      type: "Date",
      nullable: true,
      description:
        "The day the captured page's header named (the day it was captured, not the papers' day), when it named one.",
    }),
    source: t.string({
      description:
        "The name of the file the ingest job loaded the list from (without its directory, which is the server's business).",
      select: { source: true },
      resolve: (list) => basename(list.source),
    }),
    createdAt: t.expose("createdAt", {
      type: "DateTime",
      description: "When the list was first loaded (loading it again replaces its papers).",
    }),
    paperCount: t.relationCount("entries", { description: "How many papers the list holds." }),
    papers: t.connection(
      {
        type: Paper,
        description:
          "The list's papers in list order, a page at a time. Each edge says where the capture ranked the paper and the upvotes it showed; the node is the paper (whose own `upvotes` are the latest count).",
        // The cursor is the entry's (list, paper) key: it must name this list.
        extensions: cursorRule({
          format: "pair",
          owner: { part: 0, of: (list: { id: number }) => list.id },
        }),
        complexity: (args) => ({ field: 2, multiplier: pageMultiplier(args) }),
        select: (args, ctx, nestedSelection) => ({
          entries: entries.getQuery(args, ctx, nestedSelection),
        }),
        resolve: (list, args, ctx) => entries.resolve(list.entries, args, ctx),
      },
      {
        name: "PaperListPaperConnection",
        description: "Papers of a named list, in list order.",
      },
      {
        name: "PaperListPaperEdge",
        description: "A paper of a named list, with what the capture showed of it.",
        fields: (edge) => ({
          rank: edge.int({
            description: "Its position in the captured page, from 1.",
            resolve: (entry) => entry.rank,
          }),
          upvotes: edge.int({
            description: "The upvotes the captured page showed for it.",
            resolve: (entry) => entry.upvotes,
          }),
        }),
      },
    ),
  }),
});

builder.queryFields((t) => ({
  paperList: t.prismaField({
    type: PaperList,
    nullable: true,
    description: `A named list by its name, or null when there is none. ${LIST_MEANING}`,
    args: {
      name: t.arg.string({
        required: true,
        description: "The list's name, e.g. `2025-12-10-task-generalization`.",
      }),
    },
    resolve: (query, _root, { name }, ctx) =>
      ctx.db.paperList.findUnique({ ...query, where: { name } }),
  }),
  paperLists: t.prismaConnection(
    {
      type: PaperList,
      cursor: "id",
      description:
        "The named lists (captures of search or listing pages, not days), most recently created first.",
      defaultSize: PAGE_SIZE.default,
      maxSize: PAGE_SIZE.max,
      totalCount: (_parent, _args, ctx) => ctx.db.paperList.count(),
      extensions: cursorRule({ format: "id" }),
      complexity: (args) => ({ field: 2, multiplier: pageMultiplier(args) }),
      resolve: (query, _root, args, ctx) => {
        checkPage(args);
        return ctx.db.paperList.findMany({ ...query, orderBy: { id: "desc" } });
      },
    },
    { name: "PaperListConnection", description: "Named lists, most recently created first." },
    { name: "PaperListEdge", description: "A named list." },
  ),
}));
