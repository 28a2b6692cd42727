/**
 * Casting and removing upvotes. The vote row and the paper's counters change in one transaction:
 * the vote is written first (`INSERT ... ON CONFLICT DO NOTHING` / `DELETE`), and only if that
 * changed a row are the counters moved, by increments computed in the database. So a double
 * submit changes nothing, concurrent votes never lose an update, and every counter equals its
 * vote rows. The first statement is a write, so on SQLite the transaction takes the write lock at
 * once and a concurrent writer waits (busy timeout) instead of failing; on PostgreSQL each
 * transaction locks the vote row, then the paper row, always in that order: no deadlock.
 */
import type { Db } from "../db/client.ts";
import { placeholder as ph } from "../db/placeholders.ts";
import type { Provider } from "../db/target.ts";
import { trendingSql } from "../db/trending.ts";

export interface VoteResult {
  /** False when the vote was already there (upvote) or not there (removal). */
  changed: boolean;
  /** The digest days the paper is listed on, for live updates of their rankings. */
  days: string[];
  paper: { id: number; upvotes: number; localUpvotes: number; digestUpvotes: number };
}

export class PaperNotFound extends Error {
  override name = "PaperNotFound";
}

const TX = { maxWait: 15_000, timeout: 15_000 };

export async function setVote(
  db: Db,
  provider: Provider,
  userId: number,
  paperId: number,
  up: boolean,
): Promise<VoteResult> {
  const p = (i: number) => ph(provider, i);
  try {
    return await db.$transaction(async (tx) => {
      const changed = up
        ? await tx.$executeRawUnsafe(
            `INSERT INTO "Vote" ("userId", "paperId", "createdAt") VALUES (${p(1)}, ${p(2)}, ${p(3)})
             ON CONFLICT ("userId", "paperId") DO NOTHING`,
            userId,
            paperId,
            new Date(),
          )
        : await tx.$executeRawUnsafe(
            `DELETE FROM "Vote" WHERE "userId" = ${p(1)} AND "paperId" = ${p(2)}`,
            userId,
            paperId,
          );
      if (changed > 0) {
        const delta = up ? 1 : -1;
        await tx.$executeRawUnsafe(
          `UPDATE "Paper" SET "localUpvotes" = "localUpvotes" + ${delta}, "upvotes" = "upvotes" + ${delta},
             "trendingScore" = ${trendingSql(provider, `("upvotes" + ${delta})`, '"lastSeenOn"')}
           WHERE "id" = ${p(1)}`,
          paperId,
        );
      }
      const paper = await tx.paper.findUnique({
        where: { id: paperId },
        select: {
          id: true,
          upvotes: true,
          localUpvotes: true,
          digestUpvotes: true,
          dayEntries: { select: { day: { select: { date: true } } } },
        },
      });
      if (!paper) throw new PaperNotFound(`paper ${paperId} does not exist`);
      const { dayEntries, ...counts } = paper;
      return { changed: changed > 0, days: dayEntries.map((e) => e.day.date), paper: counts };
    }, TX);
  } catch (error) {
    // A vote for a paper that does not exist fails its foreign key.
    if ((error as { code?: string }).code === "P2003" || /foreign key/i.test(String(error))) {
      throw new PaperNotFound(`paper ${paperId} does not exist`);
    }
    throw error;
  }
}
