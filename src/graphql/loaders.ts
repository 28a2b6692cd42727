/**
 * Per-request DataLoaders for what Prisma cannot batch by itself: aggregates per day and a day's
 * neighbours. Each turns N calls in one tick into one SQL statement.
 */
import DataLoader from "dataloader";
import type { Credential } from "../auth/tokens.ts";
import type { Db } from "../db/client.ts";
import { placeholders } from "../db/placeholders.ts";
import type { Provider } from "../db/target.ts";

export interface DayStats {
  paperCount: number;
  totalUpvotes: number;
}

export interface Neighbours {
  previous: number | null;
  next: number | null;
}

export function createLoaders(db: Db, provider: Provider, viewer: () => Promise<Credential>) {
  return {
    /** Whether the viewer upvoted each paper: one query per page, false when signed out. */
    viewerUpvoted: new DataLoader<number, boolean>(async (paperIds) => {
      const credential = await viewer();
      if (credential.status !== "valid") return paperIds.map(() => false);
      const rows = await db.vote.findMany({
        where: { userId: credential.userId, paperId: { in: [...paperIds] } },
        select: { paperId: true },
      });
      const voted = new Set(rows.map((r) => r.paperId));
      return paperIds.map((id) => voted.has(id));
    }),
    dayStats: new DataLoader<number, DayStats>(async (dayIds) => {
      const rows = await db.$queryRawUnsafe<
        { dayId: number; n: bigint | number; upvotes: bigint | number | null }[]
      >(
        `SELECT e."dayId" AS "dayId", count(*) AS "n", sum(p."upvotes") AS "upvotes"
         FROM "DayEntry" e JOIN "Paper" p ON p."id" = e."paperId"
         WHERE e."dayId" IN (${placeholders(provider, dayIds.length)}) GROUP BY e."dayId"`,
        ...dayIds,
      );
      const byDay = new Map(rows.map((r) => [Number(r.dayId), r]));
      return dayIds.map((id) => {
        const row = byDay.get(id);
        return { paperCount: Number(row?.n ?? 0), totalUpvotes: Number(row?.upvotes ?? 0) };
      });
    }),
    dayNeighbours: new DataLoader<number, Neighbours>(async (dayIds) => {
      const rows = await db.$queryRawUnsafe<
        { id: number; previous: number | null; next: number | null }[]
      >(
        `SELECT "id", "previous", "next" FROM (
           SELECT "id", LAG("id") OVER (ORDER BY "date") AS "previous", LEAD("id") OVER (ORDER BY "date") AS "next"
           FROM "Day") AS "n"
         WHERE "id" IN (${placeholders(provider, dayIds.length)})`,
        ...dayIds,
      );
      const byDay = new Map(rows.map((r) => [Number(r.id), r]));
      return dayIds.map((id) => {
        const row = byDay.get(id);
        return {
          previous: row?.previous == null ? null : Number(row.previous),
          next: row?.next == null ? null : Number(row.next),
        };
      });
    }),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
