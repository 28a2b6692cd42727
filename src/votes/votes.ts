/**
 * Casting and removing upvotes. The vote row and the paper's counters change in one transaction:
 * the vote is written first (`INSERT ... ON CONFLICT DO NOTHING` / `DELETE`), and only if that
 * changed a row are the counters moved, by increments computed in the database, which returns the
 * fresh counts (`RETURNING`). So a double submit changes nothing, concurrent votes never lose an
 * update, and every counter equals its vote rows.
 *
 * - PostgreSQL: one statement (the writes in data-modifying CTEs), prepared once per connection:
 *   one round trip, no interactive transaction. It locks the vote row, then the paper row, always
 *   in that order: no deadlock.
 * - SQLite: a sequence of prepared statements in `BEGIN IMMEDIATE` on the server's writer
 *   connection (src/db/writer.ts), run synchronously in one turn of the event loop; a write lock
 *   held by another process is waited for asynchronously, never on the event loop.
 */
import { type Db, directOf, type Prisma } from "../db/client.ts";
import { dataChanged } from "../db/data-version.ts";
import type { GuardedPool } from "../db/postgres.ts";
import { sqliteInstant } from "../db/sqlite.ts";
import type { Provider } from "../db/target.ts";
import { trendingSql } from "../db/trending.ts";
import type { SqliteWriter } from "../db/writer.ts";

export interface VoteResult {
  /** False when the vote was already there (upvote) or not there (removal). */
  changed: boolean;
  /** The digest days the paper is listed on (when the vote changed something), for live updates. */
  days: string[];
  paper: { id: number; upvotes: number; localUpvotes: number; digestUpvotes: number };
}

export class PaperNotFound extends Error {
  override name = "PaperNotFound";
}

interface Counts {
  upvotes: number;
  localUpvotes: number;
  digestUpvotes: number;
}

const COUNTS = `"upvotes", "localUpvotes", "digestUpvotes"`;

/** Moves a paper's counters by `delta` (the paper's `upvotes` before the change, in SET). */
function counterUpdate(provider: Provider, delta: 1 | -1): string {
  const sign = delta > 0 ? "+" : "-";
  return `"localUpvotes" = "localUpvotes" ${sign} 1, "upvotes" = "upvotes" ${sign} 1,
    "trendingScore" = ${trendingSql(provider, `("upvotes" ${sign} 1)`, '"lastSeenOn"')}`;
}

const DAYS_OF_PAPER = `SELECT d."date" FROM "DayEntry" e JOIN "Day" d ON d."id" = e."dayId" WHERE e."paperId"`;

const SQLITE = {
  up: `INSERT INTO "Vote" ("userId", "paperId", "createdAt") VALUES (?, ?, ?) ON CONFLICT ("userId", "paperId") DO NOTHING`,
  down: `DELETE FROM "Vote" WHERE "userId" = ? AND "paperId" = ?`,
  counted: (delta: 1 | -1) =>
    `UPDATE "Paper" SET ${counterUpdate("sqlite", delta)} WHERE "id" = ? RETURNING ${COUNTS}`,
  counts: `SELECT ${COUNTS} FROM "Paper" WHERE "id" = ?`,
  days: `${DAYS_OF_PAPER} = ? ORDER BY d."date"`,
};

function voteOnSqlite(
  writer: SqliteWriter,
  userId: number,
  paperId: number,
  up: boolean,
): Promise<{ changed: boolean; days: string[]; counts: Counts | undefined }> {
  const createdAt = sqliteInstant(new Date());
  return writer.write(() => {
    const changed = up
      ? writer.statement(SQLITE.up).run(userId, paperId, createdAt).changes > 0
      : writer.statement(SQLITE.down).run(userId, paperId).changes > 0;
    if (!changed) {
      const counts = writer.statement(SQLITE.counts).get(paperId) as Counts | undefined;
      return { changed, days: [], counts };
    }
    const counts = writer.statement(SQLITE.counted(up ? 1 : -1)).get(paperId) as Counts;
    const days = writer.statement(SQLITE.days).pluck().all(paperId) as string[];
    return { changed, days, counts };
  });
}

/**
 * PostgreSQL, one statement: `v` writes the vote (a row when it changed something), `p` moves the
 * counters only then, and the outer query returns the fresh counts (`p`), or the current ones
 * when nothing changed (`q`, the statement's snapshot), with the paper's days.
 */
function postgresStatement(up: boolean): string {
  const vote = up
    ? `INSERT INTO "Vote" ("userId", "paperId", "createdAt") VALUES ($1, $2, $3::timestamp)
       ON CONFLICT ("userId", "paperId") DO NOTHING RETURNING 1`
    : `DELETE FROM "Vote" WHERE "userId" = $1 AND "paperId" = $2 RETURNING 1`;
  return `WITH v AS (${vote}),
    p AS (UPDATE "Paper" SET ${counterUpdate("postgresql", up ? 1 : -1)}
          WHERE "id" = $2 AND EXISTS (SELECT 1 FROM v) RETURNING ${COUNTS})
    SELECT EXISTS (SELECT 1 FROM v) AS "changed",
      COALESCE(p."upvotes", q."upvotes") AS "upvotes",
      COALESCE(p."localUpvotes", q."localUpvotes") AS "localUpvotes",
      COALESCE(p."digestUpvotes", q."digestUpvotes") AS "digestUpvotes",
      CASE WHEN EXISTS (SELECT 1 FROM v) THEN ARRAY(${DAYS_OF_PAPER} = $2 ORDER BY d."date") END AS "days"
    FROM "Paper" q LEFT JOIN p ON true WHERE q."id" = $2`;
}

const POSTGRES = { up: postgresStatement(true), down: postgresStatement(false) };

async function voteOnPostgres(pool: GuardedPool, userId: number, paperId: number, up: boolean) {
  // The removal has no third parameter: PostgreSQL refuses a parameter the statement never uses.
  const values = up ? [userId, paperId, new Date().toISOString()] : [userId, paperId];
  const rows = await pool.run<Counts & { changed: boolean; days: string[] | null }>(
    up ? POSTGRES.up : POSTGRES.down,
    values,
    up ? "papergraph-upvote" : "papergraph-remove-upvote",
  );
  const row = rows[0];
  return { changed: row?.changed ?? false, days: row?.days ?? [], counts: row };
}

export async function setVote(
  db: Db,
  _provider: Provider,
  userId: number,
  paperId: number,
  up: boolean,
): Promise<VoteResult> {
  const direct = directOf(db);
  try {
    const { changed, days, counts } =
      direct.provider === "sqlite"
        ? await voteOnSqlite(direct.writer, userId, paperId, up)
        : await voteOnPostgres(direct.pool, userId, paperId, up);
    if (!counts) throw new PaperNotFound(`paper ${paperId} does not exist`);
    // Committed: response caches must not answer with what was read before (data-version.ts).
    if (changed) await dataChanged(direct);
    const { upvotes, localUpvotes, digestUpvotes } = counts;
    return { changed, days, paper: { id: paperId, upvotes, localUpvotes, digestUpvotes } };
  } catch (error) {
    // A vote for a paper that does not exist fails its foreign key.
    const code = String((error as { code?: unknown }).code);
    if (code === "23503" || code === "SQLITE_CONSTRAINT_FOREIGNKEY") {
      throw new PaperNotFound(`paper ${paperId} does not exist`);
    }
    throw error;
  }
}

const FRESH_FIELDS = new Set(["id", "upvotes", "localUpvotes", "digestUpvotes"]);

/**
 * The voted paper as a Prisma selection asks for it, from the counts the vote returned, when the
 * selection asks for nothing else (`paper { upvotes }` in a vote's payload); otherwise null, and
 * the paper is read again. Saves a query per vote.
 */
export function freshPaper(
  query: { select?: Record<string, unknown>; include?: unknown },
  paper: VoteResult["paper"],
): Prisma.PaperModel | null {
  if (!query.select || query.include) return null;
  const wanted = Object.entries(query.select).filter(([, on]) => on);
  const fresh = wanted.every(([field, on]) => on === true && FRESH_FIELDS.has(field));
  // Only the selected fields are read, as from a Prisma result with this selection.
  return fresh ? (paper as Prisma.PaperModel) : null;
}
