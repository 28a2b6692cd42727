/**
 * Writes one parsed digest inside the caller's transaction, with a constant number of statements
 * per digest (batched reads, multi-row inserts and upserts), so cost grows linearly with the input.
 * A digest is written as a day (`writeDigest`) or, for a page-text capture of a search or listing
 * page, as a named list (`writeList`).
 *
 * Rules:
 * - A paper is matched by arXiv id, else by title key (src/search/documents.ts: LaTeX, case,
 *   accents and punctuation do not matter); one paper on several days gets several day entries,
 *   never two papers.
 * - A digest of the paper's newest day (`lastSeenOn`) or later updates it; an older digest only
 *   fills fields that are still empty, so ingesting out of order never rolls data back.
 * - The Daily Papers API outranks page text. A page-text capture only fills the empty fields of a
 *   paper the API described, never lowers a paper's count (a lower count is an older view of the
 *   page), and never changes a day the API listed (`Day.fromApi`): that day keeps the API's
 *   papers, ranks and counts, and the capture's other papers are reported, not added.
 * - Upvote history: a row whenever a digest shows a count different from the latest count seen on
 *   or before its day. Re-ingesting the same digest adds nothing.
 * - A day's entries are never dropped: papers the new digest lacks are kept, ranked after the
 *   listed ones and flagged `inLatestDigest = false`, and counted in `entriesKept`.
 */

import { refreshDayTotals } from "../db/day-totals.ts";
import {
  type Columns,
  type ColumnType,
  chunks,
  type Sql,
  type SqlValue,
  toDate,
} from "../db/sql.ts";
import { trendingScore, trendingSql } from "../db/trending.ts";
import type { PaperText } from "../db/words.ts";
import { nameKey } from "../search/documents.ts";
import type { Digest, ParsedAuthor, ParsedPaper } from "./types.ts";

/**
 * What a digest did to its day or list: `written`, the day or list did not exist; `updated`,
 * it existed and the digest changed it (its entries, or papers' fields, counts or authors);
 * `unchanged`, the digest said nothing the database did not already hold.
 */
export type WriteChange = "written" | "updated" | "unchanged";

export interface WriteCounts {
  change: WriteChange;
  papersTotal: number;
  papersNew: number;
  papersUpdated: number;
  papersUnchanged: number;
  /** Papers of the stored day that this digest did not list; kept, never dropped. */
  entriesKept: number;
  /** Papers the digest lists that were not loaded (a page-text capture of an API day). */
  papersNotLoaded: number;
  /** What the report should say about this write (e.g. that a capture left an API day alone). */
  notes: string[];
  /**
   * Papers whose search words must be (re)written: the new ones and those whose text changed.
   * The caller writes them (`writePaperWords`), once per batch of digests: FTS5 flushes its
   * index at every savepoint, so writing them digest by digest cost a flush per digest.
   */
  words: PaperText[];
}

/** The paper columns a digest decides (everything but ids, local votes and timestamps). */
interface PaperFields {
  arxivId: string | null;
  arxivVersion: number | null;
  titleKey: string;
  title: string;
  abstract: string;
  authorCount: number;
  publishedAt: Date | null;
  digestUpvotes: number | null;
  lastSeenOn: string | null;
  codeUrl: string | null;
  githubStars: number | null;
  projectUrl: string | null;
  thumbnailUrl: string | null;
  mediaUrls: string | null;
  commentCount: number | null;
  discussionId: string | null;
  submitterHandle: string | null;
  submitterName: string | null;
  aiSummary: string | null;
  aiKeywords: string | null;
  organizationHandle: string | null;
  organizationName: string | null;
  organizationAvatarUrl: string | null;
  withdrawnAt: Date | null;
}
type StoredPaper = PaperFields & { id: number; digestUpvotes: number };

/** The digest-decided columns of Paper with their types. */
const FIELD_TYPES = {
  arxivId: "text",
  arxivVersion: "int",
  titleKey: "text",
  title: "text",
  abstract: "text",
  authorCount: "int",
  publishedAt: "timestamp",
  digestUpvotes: "int",
  lastSeenOn: "text",
  codeUrl: "text",
  githubStars: "int",
  projectUrl: "text",
  thumbnailUrl: "text",
  mediaUrls: "text",
  commentCount: "int",
  discussionId: "text",
  submitterHandle: "text",
  submitterName: "text",
  aiSummary: "text",
  aiKeywords: "text",
  organizationHandle: "text",
  organizationName: "text",
  organizationAvatarUrl: "text",
  withdrawnAt: "timestamp",
} as const satisfies Record<keyof PaperFields, ColumnType>;
const FIELDS = Object.keys(FIELD_TYPES) as (keyof PaperFields)[];
const PAPER_COLUMNS = {
  ...FIELD_TYPES,
  upvotes: "int",
  trendingScore: "float",
  createdAt: "timestamp",
  updatedAt: "timestamp",
} as const satisfies Columns;

/** Fields only the newest digest sets; the others an older digest may fill while still empty. */
const NEWEST_ONLY = new Set<keyof PaperFields>(["digestUpvotes", "lastSeenOn"]);

interface StoredAuthor {
  name: string;
  hidden: boolean;
  externalId: string | null;
  status: string | null;
}

/** The stored ids of the digest papers at these indexes. */
const idsAt = (paperIds: number[], indexes: Set<number>) =>
  [...indexes].map((i) => paperIds[i] as number);

const quoted = (columns: readonly string[]) => columns.map((c) => `"${c}"`).join(", ");

function incomingFields(p: ParsedPaper, day: string | null): PaperFields {
  return {
    arxivId: p.arxivId,
    arxivVersion: p.arxivVersion,
    titleKey: p.titleKey,
    title: p.title,
    abstract: p.abstract,
    authorCount: p.authors ? p.authors.length : p.authorCount,
    publishedAt: p.publishedAt,
    digestUpvotes: p.upvotes,
    lastSeenOn: day,
    codeUrl: p.codeUrl,
    githubStars: p.githubStars,
    projectUrl: p.projectUrl,
    thumbnailUrl: p.thumbnailUrl,
    mediaUrls: p.mediaUrls ? p.mediaUrls.join("\n") : null,
    commentCount: p.commentCount,
    discussionId: p.discussionId,
    submitterHandle: p.submitterHandle,
    submitterName: p.submitterName,
    aiSummary: p.aiSummary,
    aiKeywords: p.aiKeywords ? p.aiKeywords.join("\n") : null,
    organizationHandle: p.organization?.handle ?? null,
    organizationName: p.organization?.name ?? null,
    organizationAvatarUrl: p.organization?.avatarUrl ?? null,
    withdrawnAt: p.withdrawnAt,
  };
}

function same(a: unknown, b: unknown): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b;
}

/** How a digest may change a stored paper. */
interface Policy {
  /** The digest's day is the paper's newest (or later): it sets the count and `lastSeenOn`. */
  newer: boolean;
  /** It may replace the other fields' values (else it only fills empty ones). */
  replace: boolean;
  /** Never lower the count (page text). */
  neverLower: boolean;
  /** Keep the stored author count (the digest only counts authors, and a list is stored). */
  keepAuthorCount: boolean;
}

function merge(stored: StoredPaper, incoming: PaperFields, policy: Policy): PaperFields {
  const merged = { ...stored } as Record<keyof PaperFields, unknown>;
  for (const field of FIELDS) {
    const value = incoming[field];
    if (value === null) continue;
    if (NEWEST_ONLY.has(field)) {
      if (!policy.newer) continue;
      if (field === "digestUpvotes" && policy.neverLower) {
        merged.digestUpvotes = Math.max(stored.digestUpvotes, value as number);
      } else merged[field] = value;
    } else if (policy.replace || stored[field] === null) {
      merged[field] = value;
    }
  }
  if (policy.keepAuthorCount) merged.authorCount = stored.authorCount;
  return merged as unknown as PaperFields;
}

function sameAuthors(stored: StoredAuthor[], incoming: ParsedAuthor[]): boolean {
  return (
    stored.length === incoming.length &&
    stored.every(
      (s, i) =>
        s.name === incoming[i]?.name &&
        s.hidden === incoming[i]?.hidden &&
        s.externalId === incoming[i]?.externalId &&
        s.status === incoming[i]?.status,
    )
  );
}

/** The stored papers each digest paper refers to, by arXiv id, else by title (each used once). */
async function matchStored(sql: Sql, papers: ParsedPaper[]): Promise<(StoredPaper | undefined)[]> {
  const arxivIds = papers.flatMap((p) => (p.arxivId ? [p.arxivId] : []));
  const titleKeys = papers.map((p) => p.titleKey);
  const stored: StoredPaper[] = [];
  const seen = new Set<number>();
  const read = async (column: string, keys: string[]) => {
    for (const part of chunks(keys)) {
      const where = sql.in(part, "text");
      const rows = await sql.query<StoredPaper>(
        `SELECT "id", ${quoted(FIELDS)} FROM "Paper" WHERE "${column}" ${where.sql}`,
        where.params,
      );
      for (const row of rows) {
        if (seen.has(row.id)) continue;
        seen.add(row.id);
        row.publishedAt = toDate(row.publishedAt);
        row.withdrawnAt = toDate(row.withdrawnAt);
        stored.push(row);
      }
    }
  };
  await read("arxivId", arxivIds);
  await read("titleKey", titleKeys);
  stored.sort((a, b) => a.id - b.id);
  const byArxiv = new Map(stored.filter((s) => s.arxivId).map((s) => [s.arxivId, s]));
  const claimed = new Set<number>();
  return papers.map((p) => {
    let found = p.arxivId ? byArxiv.get(p.arxivId) : undefined;
    if (!found) {
      found = stored.find(
        (s) =>
          s.titleKey === p.titleKey &&
          !claimed.has(s.id) &&
          (s.arxivId === null || p.arxivId === null),
      );
    }
    if (found) claimed.add(found.id);
    return found;
  });
}

async function storedAuthorLists(
  sql: Sql,
  paperIds: number[],
): Promise<Map<number, StoredAuthor[]>> {
  const lists = new Map<number, StoredAuthor[]>();
  for (const part of chunks(paperIds)) {
    const where = sql.in(part, "int");
    const rows = await sql.query<StoredAuthor & { paperId: number }>(
      `SELECT pa."paperId", pa."hidden", pa."externalId", pa."status", a."name"
       FROM "PaperAuthor" pa JOIN "Author" a ON a."id" = pa."authorId"
       WHERE pa."paperId" ${where.sql} ORDER BY pa."paperId", pa."position"`,
      where.params,
    );
    for (const { paperId, ...author } of rows) {
      const authors = lists.get(paperId) ?? [];
      authors.push({ ...author, hidden: Boolean(author.hidden) });
      lists.set(paperId, authors);
    }
  }
  return lists;
}

/** Author ids by name, creating the missing authors (and filling a missing HF user name). */
async function resolveAuthors(sql: Sql, authors: ParsedAuthor[]): Promise<Map<string, number>> {
  const wanted = new Map<string, string | null>();
  for (const a of authors)
    if (!wanted.has(a.name) || a.hfUsername) wanted.set(a.name, a.hfUsername);
  const ids = new Map<string, number>();
  const missingUsername: { id: number; hfUsername: string }[] = [];
  for (const part of chunks([...wanted.keys()])) {
    const where = sql.in(part, "text");
    const rows = await sql.query<{ id: number; name: string; hfUsername: string | null }>(
      `SELECT "id", "name", "hfUsername" FROM "Author" WHERE "name" ${where.sql}`,
      where.params,
    );
    for (const row of rows) {
      ids.set(row.name, row.id);
      const hfUsername = wanted.get(row.name);
      if (hfUsername && !row.hfUsername) missingUsername.push({ id: row.id, hfUsername });
    }
  }
  const fresh = [...wanted].filter(([name]) => !ids.has(name));
  const created = await sql.insertMany<{ id: number; name: string }>(
    "Author",
    { name: "text", nameKey: "text", hfUsername: "text" },
    fresh.map(([name, hfUsername]) => [name, nameKey(name), hfUsername]),
    'RETURNING "id", "name"',
  );
  for (const row of created) ids.set(row.name, Number(row.id));
  for (const { id, hfUsername } of missingUsername) {
    await sql.execute(`UPDATE "Author" SET "hfUsername" = ? WHERE "id" = ?`, [hfUsername, id]);
  }
  return ids;
}

/** For papers last seen after `date`: the latest count seen on or before `date`. */
async function countsAsOf(
  sql: Sql,
  paperIds: number[],
  date: string,
): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const part of chunks(paperIds)) {
    const where = sql.in(part, "int");
    const rows = await sql.query<{ paperId: number; upvotes: number }>(
      `SELECT "paperId", "upvotes" FROM (
         SELECT "paperId", "upvotes",
                ROW_NUMBER() OVER (PARTITION BY "paperId" ORDER BY "seenOn" DESC, "id" DESC) AS "n"
         FROM "UpvoteSnapshot" WHERE "paperId" ${where.sql} AND "seenOn" <= ?) AS "latest"
       WHERE "n" = 1`,
      [...where.params, date],
    );
    for (const row of rows) counts.set(Number(row.paperId), Number(row.upvotes));
  }
  return counts;
}

/** What writing a digest's papers did, paper by paper. */
interface PaperWrites {
  /** The stored id of each digest paper (0 for one not loaded). */
  paperIds: number[];
  /** The stored paper each digest paper matched, if any. */
  matches: (StoredPaper | undefined)[];
  /** The count each paper has after the write (for day entries). */
  upvotes: number[];
  /** Indexes of matched papers whose row or author list changed. */
  touched: Set<number>;
  papersNew: number;
  /** Papers whose search words must be written (see `WriteCounts.words`). */
  words: PaperText[];
}

/**
 * Inserts the digest's new papers and updates the matched ones as `policyOf` allows; writes
 * their author lists and search words. `day` is the digest's day, or null for a named list.
 */
async function writePapers(
  sql: Sql,
  papers: ParsedPaper[],
  day: string | null,
  policyOf: (stored: StoredPaper, paper: ParsedPaper) => Policy,
  now: Date,
  insertNew = true,
): Promise<PaperWrites> {
  const matches = await matchStored(sql, papers);
  const matchedIds = matches.flatMap((m) => (m ? [m.id] : []));
  const authorLists = await storedAuthorLists(sql, matchedIds);

  const toInsert: { index: number; fields: PaperFields }[] = [];
  const toUpdate: { id: number; fields: PaperFields; textChanged: boolean }[] = [];
  const authorsToWrite: { index: number; authors: ParsedAuthor[] }[] = [];
  const touched = new Set<number>();
  const upvotes: number[] = papers.map(() => 0);
  papers.forEach((paper, index) => {
    const stored = matches[index];
    const incoming = incomingFields(paper, day);
    if (!stored) {
      if (!insertNew) return;
      toInsert.push({ index, fields: incoming });
      upvotes[index] = incoming.digestUpvotes ?? 0;
      if (paper.authors?.length) authorsToWrite.push({ index, authors: paper.authors });
      return;
    }
    const policy = policyOf(stored, paper);
    const list = authorLists.get(stored.id) ?? [];
    const merged = merge(stored, incoming, {
      ...policy,
      keepAuthorCount: policy.keepAuthorCount || (paper.authors === null && list.length > 0),
    });
    upvotes[index] = merged.digestUpvotes ?? 0;
    if (FIELDS.some((f) => !same(stored[f], merged[f]))) {
      const textChanged = stored.title !== merged.title || stored.abstract !== merged.abstract;
      toUpdate.push({ id: stored.id, fields: merged, textChanged });
      touched.add(index);
    }
    const mayReplaceAuthors = policy.replace || list.length === 0;
    if (paper.authors?.length && mayReplaceAuthors && !sameAuthors(list, paper.authors)) {
      authorsToWrite.push({ index, authors: paper.authors });
      touched.add(index);
    }
  });

  // A new paper has no local votes: its trending score is that of its digest count. An update's
  // is computed in the database, from the row's local votes (see below).
  const row = (fields: PaperFields, id?: number): SqlValue[] => [
    ...(id === undefined ? [] : [id]),
    ...FIELDS.map((f) => (f === "digestUpvotes" ? (fields[f] ?? 0) : fields[f]) as SqlValue),
    fields.digestUpvotes ?? 0,
    trendingScore(fields.digestUpvotes ?? 0, fields.lastSeenOn),
    now,
    now,
  ];

  // Insert new papers; resolve every digest paper to its id.
  const paperIds: number[] = matches.map((m) => m?.id ?? 0);
  const keyOf = (arxivId: string | null, titleKey: string) => arxivId ?? `\u0000${titleKey}`;
  const inserted = await sql.insertMany<{ id: number; arxivId: string | null; titleKey: string }>(
    "Paper",
    PAPER_COLUMNS,
    toInsert.map(({ fields }) => row(fields)),
    'RETURNING "id", "arxivId", "titleKey"',
  );
  const newIds = new Map(inserted.map((r) => [keyOf(r.arxivId, r.titleKey), Number(r.id)]));
  for (const { index } of toInsert) {
    const p = papers[index] as ParsedPaper;
    paperIds[index] = newIds.get(keyOf(p.arxivId, p.titleKey)) as number;
  }

  // Update changed papers in one upsert on the primary key. `upvotes` is computed in the database
  // from the row's current local votes, so a vote committed meanwhile is never lost.
  await sql.insertMany(
    "Paper",
    { id: "int", ...PAPER_COLUMNS },
    toUpdate.map(({ id, fields }) => row(fields, id)),
    `ON CONFLICT ("id") DO UPDATE SET ${FIELDS.map((f) => `"${f}" = excluded."${f}"`).join(", ")},
       "upvotes" = excluded."digestUpvotes" + "Paper"."localUpvotes",
       "trendingScore" = ${trendingSql(sql.provider, 'excluded."digestUpvotes" + "Paper"."localUpvotes"', 'excluded."lastSeenOn"')},
       "updatedAt" = excluded."updatedAt"`,
  );

  // Search words of the new papers and of those whose text changed (written by the caller).
  const words: PaperText[] = [
    ...toInsert.map(({ index, fields }) => ({
      id: paperIds[index] as number,
      title: fields.title,
      abstract: fields.abstract,
      isNew: true,
    })),
    ...toUpdate
      .filter((u) => u.textChanged)
      .map(({ id, fields }) => ({ id, title: fields.title, abstract: fields.abstract })),
  ];

  // Author lists: replace the changed ones.
  if (authorsToWrite.length > 0) {
    const authorIds = await resolveAuthors(
      sql,
      authorsToWrite.flatMap((a) => a.authors),
    );
    const replaced = authorsToWrite.flatMap((a) =>
      matches[a.index] ? [matches[a.index]?.id as number] : [],
    );
    for (const part of chunks(replaced)) {
      const where = sql.in(part, "int");
      await sql.execute(`DELETE FROM "PaperAuthor" WHERE "paperId" ${where.sql}`, where.params);
    }
    await sql.insertMany(
      "PaperAuthor",
      {
        paperId: "int",
        position: "int",
        authorId: "int",
        hidden: "boolean",
        externalId: "text",
        status: "text",
      },
      authorsToWrite.flatMap(({ index, authors }) =>
        authors.map((a, position) => [
          paperIds[index] as number,
          position,
          authorIds.get(a.name) as number,
          a.hidden,
          a.externalId,
          a.status,
        ]),
      ),
    );
  }
  return { paperIds, matches, upvotes, touched, papersNew: toInsert.length, words };
}

/**
 * Writes a digest as its day. Call it inside a unit of `SqlClient.batch(WRITE_LOCK)`: it
 * relies on holding the write lock, so that no concurrent ingest changes the rows it read.
 */
export async function writeDigest(
  sql: Sql,
  digest: Digest,
  ingestRunId: number | null,
  now = new Date(),
): Promise<WriteCounts> {
  const { date, papers } = digest;
  const fromText = digest.format === "text";

  const created =
    (await sql.execute(
      `INSERT INTO "Day" ("date", "fromApi", "createdAt", "updatedAt") VALUES (?, ?, ?, ?)
       ON CONFLICT ("date") DO NOTHING`,
      [date, false, now, now],
    )) > 0;
  const [day] = await sql.query<{ id: number; fromApi: unknown }>(
    `SELECT "id", "fromApi" FROM "Day" WHERE "date" = ?`,
    [date],
  );
  if (!day) throw new Error(`day ${date} vanished during the ingest`);
  // A page-text capture of a day the API listed only fills empty fields of the papers it shares
  // with the listing; it adds no paper and changes no entry of the day.
  const apiDay = fromText && Boolean(day.fromApi);

  const written = await writePapers(
    sql,
    papers,
    date,
    (stored) => {
      const newer = !apiDay && (stored.lastSeenOn === null || date >= stored.lastSeenOn);
      // Page text never replaces what the API said of a paper; the API always replaces what
      // page text said (its abstracts are whole, the page's are cut short).
      const replace = fromText
        ? newer && stored.arxivId === null
        : newer || stored.arxivId === null;
      return { newer, replace, neverLower: fromText, keepAuthorCount: false };
    },
    now,
    !apiDay,
  );
  const { paperIds, matches, touched } = written;

  if (apiDay) {
    await refreshDayTotals(sql, idsAt(paperIds, touched));
    const listed = paperIds.filter((id) => id !== 0).length;
    const notLoaded = papers.length - listed;
    return {
      change: touched.size > 0 ? "updated" : "unchanged",
      papersTotal: papers.length,
      papersNew: 0,
      papersUpdated: touched.size,
      papersUnchanged: listed - touched.size,
      entriesKept: 0,
      papersNotLoaded: notLoaded,
      words: written.words,
      notes: [
        `${date} is listed by the Daily Papers API, so this page-text capture leaves the day as it is: ` +
          `${listed} of its ${papers.length} papers are in the listing (only their empty fields were filled)` +
          (notLoaded ? `, ${notLoaded} are not and were not loaded` : ""),
      ],
    };
  }

  // Upvote history.
  const older = papers.flatMap((_, i) => {
    const m = matches[i];
    return m?.lastSeenOn && date < m.lastSeenOn ? [m.id] : [];
  });
  const olderCounts = await countsAsOf(sql, older, date);
  const snapshots: SqlValue[][] = [];
  papers.forEach((p, i) => {
    if (p.upvotes === null) return;
    const stored = matches[i];
    let previous: number | undefined;
    if (!stored) previous = undefined;
    else if (stored.lastSeenOn && date < stored.lastSeenOn) previous = olderCounts.get(stored.id);
    else previous = stored.lastSeenOn === null ? undefined : stored.digestUpvotes;
    // A page-text count below the one known is an older view of the page: not a change.
    if (fromText && previous !== undefined && p.upvotes < previous) return;
    if (previous !== p.upvotes) {
      snapshots.push([paperIds[i] as number, p.upvotes, date, ingestRunId, now]);
      if (stored) touched.add(i);
    }
  });
  if (ingestRunId !== null) {
    await sql.insertMany(
      "UpvoteSnapshot",
      {
        paperId: "int",
        upvotes: "int",
        seenOn: "text",
        ingestRunId: "int",
        createdAt: "timestamp",
      },
      snapshots,
    );
  }

  // The day's entries: the digest's papers in its order, then the stored ones it lacks.
  const stored = (
    await sql.query<{
      paperId: number;
      rank: number;
      upvotes: number;
      submittedAt: unknown;
      inLatestDigest: unknown;
    }>(
      `SELECT "paperId", "rank", "upvotes", "submittedAt", "inLatestDigest" FROM "DayEntry"
       WHERE "dayId" = ? ORDER BY "rank", "paperId"`,
      [day.id],
    )
  ).map((e) => ({
    ...e,
    submittedAt: toDate(e.submittedAt),
    inLatestDigest: Boolean(e.inLatestDigest),
  }));
  const storedByPaper = new Map(stored.map((e) => [e.paperId, e]));
  const listed = new Set(paperIds);
  const kept = stored.filter((e) => !listed.has(e.paperId));
  const wanted = [
    ...papers.map((p, i) => ({
      paperId: paperIds[i] as number,
      rank: i + 1,
      upvotes: p.upvotes ?? (written.upvotes[i] as number),
      submittedAt: p.submittedAt,
      inLatestDigest: true,
      index: i,
    })),
    ...kept.map((e, k) => ({
      ...e,
      rank: papers.length + k + 1,
      inLatestDigest: false,
      index: -1,
    })),
  ];
  const entryChanges = wanted.filter((w) => {
    const e = storedByPaper.get(w.paperId);
    const changed =
      !e ||
      e.rank !== w.rank ||
      e.upvotes !== w.upvotes ||
      !same(e.submittedAt, w.submittedAt) ||
      e.inLatestDigest !== w.inLatestDigest;
    if (changed && w.index >= 0 && matches[w.index]) touched.add(w.index);
    return changed;
  });
  await sql.insertMany(
    "DayEntry",
    {
      dayId: "int",
      paperId: "int",
      rank: "int",
      upvotes: "int",
      submittedAt: "timestamp",
      inLatestDigest: "boolean",
    },
    entryChanges.map((w) => [
      day.id,
      w.paperId,
      w.rank,
      w.upvotes,
      w.submittedAt,
      w.inLatestDigest,
    ]),
    `ON CONFLICT ("dayId", "paperId") DO UPDATE SET "rank" = excluded."rank",
       "upvotes" = excluded."upvotes", "submittedAt" = excluded."submittedAt",
       "inLatestDigest" = excluded."inLatestDigest"`,
  );
  const becomesApiDay = !fromText && !day.fromApi;
  if (entryChanges.length > 0 || becomesApiDay) {
    await sql.execute(`UPDATE "Day" SET "updatedAt" = ?, "fromApi" = ? WHERE "id" = ?`, [
      now,
      !fromText || Boolean(day.fromApi),
      day.id,
    ]);
  }

  await refreshDayTotals(sql, [...idsAt(paperIds, touched), ...entryChanges.map((w) => w.paperId)]);

  const changed =
    written.papersNew > 0 || touched.size > 0 || entryChanges.length > 0 || becomesApiDay;
  return {
    change: created ? "written" : changed ? "updated" : "unchanged",
    papersTotal: papers.length,
    papersNew: written.papersNew,
    papersUpdated: touched.size,
    papersUnchanged: papers.length - written.papersNew - touched.size,
    entriesKept: kept.length,
    papersNotLoaded: 0,
    notes: [],
    words: written.words,
  };
}

/**
 * Writes a page-text capture of a search or listing page as the named list `name`, replacing
 * the list's entries. Its papers are matched and created like a digest's, but a list never
 * changes what days say: matched papers only get their empty fields filled, new ones have no
 * day (`lastSeenOn` null), and no upvote history is written.
 */
export async function writeList(
  sql: Sql,
  digest: Digest,
  name: string,
  source: string,
  now = new Date(),
): Promise<WriteCounts> {
  const written = await writePapers(
    sql,
    digest.papers,
    null,
    () => ({ newer: false, replace: false, neverLower: true, keepAuthorCount: true }),
    now,
  );
  const entries = digest.papers.map((p, i) => ({
    paperId: written.paperIds[i] as number,
    rank: i + 1,
    upvotes: p.upvotes ?? (written.upvotes[i] as number),
  }));
  const [stored] = await sql.query<{ id: number; capturedOn: string; source: string | null }>(
    `SELECT "id", "capturedOn", "source" FROM "PaperList" WHERE "name" = ?`,
    [name],
  );
  const { papersNew, touched } = written;
  await refreshDayTotals(sql, idsAt(written.paperIds, touched));
  let change: WriteChange = stored ? "updated" : "written";
  if (
    stored &&
    papersNew === 0 &&
    touched.size === 0 &&
    stored.capturedOn === digest.date &&
    stored.source === source
  ) {
    const before = await sql.query<{ paperId: number; rank: number; upvotes: number }>(
      `SELECT "paperId", "rank", "upvotes" FROM "PaperListEntry" WHERE "listId" = ?
       ORDER BY "rank", "paperId"`,
      [stored.id],
    );
    const same = (a: (typeof entries)[number], b: (typeof before)[number] | undefined) =>
      b !== undefined &&
      Number(b.paperId) === a.paperId &&
      Number(b.rank) === a.rank &&
      Number(b.upvotes) === a.upvotes;
    if (before.length === entries.length && entries.every((e, i) => same(e, before[i]))) {
      change = "unchanged";
    }
  }
  if (change !== "unchanged") {
    const [list] = await sql.query<{ id: number }>(
      `INSERT INTO "PaperList" ("name", "capturedOn", "source", "createdAt", "updatedAt")
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT ("name") DO UPDATE SET "capturedOn" = excluded."capturedOn",
         "source" = excluded."source", "updatedAt" = excluded."updatedAt"
       RETURNING "id"`,
      [name, digest.date, source, now, now],
    );
    if (!list) throw new Error(`list ${name} could not be written`);
    await sql.execute(`DELETE FROM "PaperListEntry" WHERE "listId" = ?`, [list.id]);
    await sql.insertMany(
      "PaperListEntry",
      { listId: "int", paperId: "int", rank: "int", upvotes: "int" },
      entries.map((e) => [list.id, e.paperId, e.rank, e.upvotes]),
    );
  }
  return {
    change,
    papersTotal: digest.papers.length,
    papersNew,
    papersUpdated: touched.size,
    papersUnchanged: digest.papers.length - papersNew - touched.size,
    entriesKept: 0,
    papersNotLoaded: 0,
    notes: [],
    words: written.words,
  };
}
