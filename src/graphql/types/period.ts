/** Week and month views: `week(id: "2024-W43")`, `month(id: "2024-10")`. */
import type { PaperOrderField } from "../../papers/list.ts";
import { monthRange, weekRange } from "../../papers/periods.ts";
import { builder, COSTS, filterCost } from "../builder.ts";
import { cursorRule, KEYSET } from "../cursors.ts";
import { UserInputError } from "../errors.ts";
import {
  checkFilter,
  PaperConnection,
  pageMultiplier,
  paperConnectionArgs,
  resolvePaperConnection,
  withinDays,
} from "./paper.ts";
import { rangeTotals } from "./stats.ts";

interface PeriodShape {
  kind: "WEEK" | "MONTH";
  id: string;
  start: string;
  end: string;
}

const PeriodKind = builder.enumType("PeriodKind", {
  description: "Whether a period is a week or a month.",
  values: {
    WEEK: { description: "An ISO week, Monday to Sunday (`2024-W43`)." },
    MONTH: { description: "A calendar month (`2024-10`)." },
  } as const,
});

export const Period = builder.objectRef<PeriodShape>("Period").implement({
  description: "A week (ISO, Monday first) or a month of digests.",
  fields: (t) => ({
    id: t.exposeString("id", {
      description:
        "The period's name, `2024-W43` or `2024-10`: what `week(id:)` or `month(id:)` takes, and the key client caches use with the type name (it is not a global id: `node(id:)` does not take it).",
    }),
    kind: t.field({
      type: PeriodKind,
      description: "A week or a month.",
      resolve: (p) => p.kind,
    }),
    start: t.field({
      type: "Date",
      description: "Its first day (a Monday, or the 1st of the month).",
      resolve: (p) => p.start,
    }),
    end: t.field({
      type: "Date",
      description: "Its last day, included (a Sunday, or the month's last day).",
      resolve: (p) => p.end,
    }),
    days: t.prismaField({
      type: ["Day"],
      description: "The days of the period that have a digest, oldest first.",
      resolve: (query, p, _args, ctx) =>
        ctx.db.day.findMany({
          ...query,
          where: { date: { gte: p.start, lte: p.end } },
          orderBy: { date: "asc" },
        }),
    }),
    paperCount: t.int({
      description: "Distinct papers listed in the period.",
      complexity: COSTS.periodTotal,
      resolve: async (p, _args, ctx) => (await rangeTotals(ctx, p.start, p.end)).papers,
    }),
    totalUpvotes: t.int({
      description: "Sum of those papers' upvotes now.",
      complexity: COSTS.periodTotal,
      resolve: async (p, _args, ctx) => (await rangeTotals(ctx, p.start, p.end)).upvotes,
    }),
    papers: t.field({
      type: PaperConnection,
      description:
        "Papers listed in the period (and matching the filter), most upvoted first by default.",
      args: paperConnectionArgs("UPVOTES"),
      extensions: cursorRule(KEYSET),
      complexity: (args) => ({
        field: 2 + filterCost(args.filter),
        multiplier: pageMultiplier(args),
      }),
      resolve: (p, args, ctx, info) =>
        resolvePaperConnection(
          ctx,
          info,
          withinDays(checkFilter(args.filter), p.start, p.end),
          (args.orderBy ?? { field: "UPVOTES" }) as { field: PaperOrderField },
          args,
        ) as never,
    }),
  }),
});

builder.queryFields((t) => ({
  week: t.field({
    type: Period,
    description: "An ISO week, `YYYY-Www` (Monday to Sunday).",
    args: {
      id: t.arg.string({
        required: true,
        description: "The ISO week, `2024-W43`; anything else is a BAD_USER_INPUT error.",
      }),
    },
    resolve: (_root, { id }) => {
      const range = weekRange(id);
      if (!range) throw new UserInputError("id", `"${id}" is not an ISO week like 2024-W43`);
      return { kind: "WEEK" as const, id, ...range };
    },
  }),
  month: t.field({
    type: Period,
    description: "A calendar month, `YYYY-MM`.",
    args: {
      id: t.arg.string({
        required: true,
        description: "The month, `2024-10`; anything else is a BAD_USER_INPUT error.",
      }),
    },
    resolve: (_root, { id }) => {
      const range = monthRange(id);
      if (!range) throw new UserInputError("id", `"${id}" is not a month like 2024-10`);
      return { kind: "MONTH" as const, id, ...range };
    },
  }),
}));
