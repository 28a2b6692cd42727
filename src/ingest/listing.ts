/**
 * Telling a day's digest from a capture of a search or listing page. A page-text capture carries
 * a day header either way (the bundled seed is a search for "task generalization" shown under
 * "Dec 10"), but a day's digest lists papers published in the days before it, while a search or
 * listing page lists papers of any age. Such a capture is loaded as a named list, not as the day.
 */
import type { Digest } from "./types.ts";

/** A paper published more than this many days before the digest's day is "long before" it. */
export const LISTING_AGE_DAYS = 30;
const DAY_MS = 86_400_000;

/**
 * Why a digest looks like a search or listing page rather than the digest of its day (more than
 * half of its papers published over `LISTING_AGE_DAYS` days before the day), or null.
 */
export function listingReason(digest: Digest): string | null {
  if (digest.format !== "text") return null;
  const day = Date.parse(`${digest.date}T00:00:00Z`);
  const dates = digest.papers.flatMap((p) => (p.publishedAt ? [p.publishedAt.getTime()] : []));
  const old = dates.filter((t) => day - t > LISTING_AGE_DAYS * DAY_MS).length;
  if (old * 2 <= digest.papers.length) return null;
  const span = (t: number) => new Date(t).toISOString().slice(0, 10);
  return (
    `${old} of its ${digest.papers.length} papers were published more than ${LISTING_AGE_DAYS} days ` +
    `before ${digest.date} (${span(Math.min(...dates))} to ${span(Math.max(...dates))}): ` +
    "it looks like a search or listing page, not that day's digest"
  );
}
