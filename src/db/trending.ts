/**
 * The TRENDING score, a time-decayed popularity:
 *
 *   trendingScore = log10(1 + upvotes) + days(lastSeenOn) / 3
 *
 * where days() counts days from 1970-01-01 to the newest digest day that listed the paper. Ordering
 * by it is ordering by (1 + upvotes) * 10^(-age / 3 days) for any "now": ten times the upvotes
 * buys three days, and a paper's weight halves every 0.9 days of age. Unlike a score computed from
 * the current time, it does not change as time passes, so it is stored, indexed, and stable under
 * cursor pagination; it is recomputed whenever upvotes or lastSeenOn change, in the same statement.
 * The same formula backfills existing rows in the migration that added it.
 */
import type { Provider } from "./target.ts";

export const TRENDING_DAYS_PER_DECADE = 3;

/** The score as SQL, from SQL expressions for the upvote count and the `YYYY-MM-DD` day. */
export function trendingSql(provider: Provider, upvotes: string, day: string): string {
  return provider === "sqlite"
    ? `(log10(1 + ${upvotes}) + COALESCE(julianday(${day}) - 2440587.5, 0) / ${TRENDING_DAYS_PER_DECADE}.0)`
    : `(log((1 + ${upvotes})::double precision) + COALESCE((${day})::date - DATE '1970-01-01', 0) / ${TRENDING_DAYS_PER_DECADE}.0)`;
}

/** The same in JavaScript, for tests and checks. */
export function trendingScore(upvotes: number, day: string | null): number {
  const days = day ? Date.parse(`${day}T00:00:00Z`) / 86_400_000 : 0;
  return Math.log10(1 + upvotes) + days / TRENDING_DAYS_PER_DECADE;
}
