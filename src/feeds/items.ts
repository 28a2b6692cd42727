/**
 * What the feeds list: papers with the fields an item shows, read in a fixed number of statements
 * whatever the number of items (never one per paper).
 *
 * - **The daily feed** lists the papers of the newest `days` digest days, newest day first, each
 *   day in its digest's rank order: a reader that polls once a day, or misses a weekend, still
 *   gets every paper, and readers drop the items they already have by their GUID. A paper listed
 *   on several of those days is listed once, on its newest. Papers a later digest of a day no
 *   longer listed (`inLatestDigest` false) are left out, as the day's page leaves them out.
 * - **A search feed** lists the papers a filter finds (src/papers/list.ts: the same search,
 *   author and upvote rules as the API), most recently listed in a digest first (the `DAY`
 *   order): new matches come first, as a reader expects of a feed.
 *
 * An item's date is the digest day that listed the paper (midnight UTC): stable, and what "new"
 * means here. Hidden authors are never read.
 */
import type { Db } from "../db/client.ts";
import type { Provider } from "../db/target.ts";
import { listPapers } from "../papers/list.ts";
import type { DailyFeedQuery, SearchFeedQuery } from "./params.ts";

/** The columns of a paper an item shows, and its visible authors in order. */
const PAPER_SELECT = {
  id: true,
  arxivId: true,
  titleKey: true,
  title: true,
  abstract: true,
  aiSummary: true,
  codeUrl: true,
  projectUrl: true,
  publishedAt: true,
  lastSeenOn: true,
  createdAt: true,
  authors: {
    where: { hidden: false },
    orderBy: { position: "asc" },
    select: { author: { select: { name: true } } },
  },
} as const;

export interface FeedPaper {
  arxivId: string | null;
  titleKey: string;
  title: string;
  abstract: string;
  aiSummary: string | null;
  codeUrl: string | null;
  projectUrl: string | null;
  publishedAt: Date | null;
  authors: string[];
}

export interface FeedItem {
  paper: FeedPaper;
  /** The digest day that listed the paper, as an instant (midnight UTC). */
  date: Date;
}

/** A digest day (`YYYY-MM-DD`) as an instant: its midnight, UTC. */
function dayStart(day: string): Date {
  return new Date(`${day}T00:00:00.000Z`);
}

/** A paper as PAPER_SELECT reads it: its visible authors still as rows. */
type PaperRow = Omit<FeedPaper, "authors"> & { authors: { author: { name: string } }[] };

function feedPaper(row: PaperRow): FeedPaper {
  return {
    arxivId: row.arxivId,
    titleKey: row.titleKey,
    title: row.title,
    abstract: row.abstract,
    aiSummary: row.aiSummary,
    codeUrl: row.codeUrl,
    projectUrl: row.projectUrl,
    publishedAt: row.publishedAt,
    authors: row.authors.map((link) => link.author.name),
  };
}

/** The daily feed's items (see above); `days` lists the digest days they come from, newest first. */
export async function dailyItems(
  db: Db,
  query: DailyFeedQuery,
): Promise<{ items: FeedItem[]; days: string[] }> {
  const days = await db.day.findMany({
    orderBy: { date: "desc" },
    take: query.days,
    select: { id: true, date: true },
  });
  if (days.length === 0) return { items: [], days: [] };
  // The listings alone first (a few numbers each), then the papers of the first `limit`.
  const entries = await db.dayEntry.findMany({
    where: { dayId: { in: days.map((day) => day.id) }, inLatestDigest: true },
    orderBy: [{ day: { date: "desc" } }, { rank: "asc" }, { paperId: "asc" }],
    // Enough for `limit` papers even if every paper were listed on every day.
    take: query.limit * days.length,
    select: { paperId: true, dayId: true },
  });
  const dates = new Map(days.map((day) => [day.id, day.date]));
  const newest = new Map<number, string>();
  for (const entry of entries) {
    if (newest.size === query.limit) break;
    if (!newest.has(entry.paperId)) {
      newest.set(entry.paperId, dates.get(entry.dayId) as string);
    }
  }
  const papers = await db.paper.findMany({
    where: { id: { in: [...newest.keys()] } },
    select: PAPER_SELECT,
  });
  const byId = new Map(papers.map((paper) => [paper.id, paper]));
  const items = [...newest].flatMap(([id, date]) => {
    const paper = byId.get(id);
    return paper ? [{ paper: feedPaper(paper), date: dayStart(date) }] : [];
  });
  return { items, days: days.map((day) => day.date) };
}

/** A search feed's items: the filter's papers through src/papers/list.ts, then their fields. */
export async function searchItems(
  db: Db,
  provider: Provider,
  query: SearchFeedQuery,
): Promise<FeedItem[]> {
  const page = await listPapers(db, provider, query.filter, "DAY", "DESC", { first: query.limit });
  if (page.ids.length === 0) return [];
  const rows = await db.paper.findMany({
    where: { id: { in: page.ids } },
    select: PAPER_SELECT,
  });
  const byId = new Map(rows.map((row) => [row.id, row]));
  return page.ids.flatMap((id) => {
    const row = byId.get(id);
    if (!row) return []; // Deleted between the two statements.
    // A paper no digest day listed (only a named list did): the day papergraph first stored it.
    const date = row.lastSeenOn ? dayStart(row.lastSeenOn) : row.createdAt;
    return [{ paper: feedPaper(row), date }];
  });
}
