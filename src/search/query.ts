/**
 * Running a search on each engine (src/papers/list.ts builds the rest of the query): the match
 * expression, resolved against the words the index holds, and the SQL a search adds to a page or
 * to a count of papers. Every shape here returns exactly the papers, order and ranks of the plain
 * one (a join of every match, ranked, then sorted): test/search.test.ts compares them.
 *
 * Where a search whose words are in most papers spends its time (bench/README.md, "Search"):
 * reading the match lists, ranking every match, and on SQLite reading each match's paper row
 * (about 1.5 KB with its abstract) for the filters. So:
 *
 * - A term's last word is a prefix (`diffus` finds `diffusion`). When the index holds no longer
 *   word that starts with it, it is asked for as a word: both engines otherwise merge the lists of
 *   every word with that prefix first (FTS5 builds a merged list; GIN a bitmap it cannot skip
 *   through), 2-6x the time of reading one list. Same papers, same ranks.
 * - SQLite, other orders than relevance: the matches are collected once (an in-memory set with a
 *   Bloom filter) and the order's index is read until the page is full. Dense matches fill it in
 *   a few rows; sparse ones cost a walk of the index with one lookup per row, cheaper than reading
 *   each match's paper row and sorting them (EXPLAIN QUERY PLAN in bench/README.md).
 * - SQLite, other orders, when most papers match (denseSearch): collecting the matches alone reads
 *   every one of them (190 ms for 75,000 of 100,000 papers). Then the order's index is read first,
 *   at most `PROBE_BUDGET` rows a page row, and each row is probed in FTS5 (a rowid lookup in the
 *   lists, ~0.1 ms): 20-30 probes fill a page. A walk that does not fill its page within the budget
 *   is run again with the set (src/papers/list.ts), so the budget bounds the extra work.
 * - SQLite, relevance: the matches are ranked and sorted inside FTS5 (a co-routine), then joined to
 *   their papers in rank order until the page is full, instead of reading every match's paper.
 * - SQLite, a count: the filter columns are read from a narrow index keyed by id
 *   ("Paper_id_upvotes_publishedAt_idx") instead of the paper rows; a search alone counts FTS5's
 *   list without a join. Never a rank.
 * - PostgreSQL plans these itself (GIN bitmap for sparse matches, the order's index for dense ones).
 */
import { type Db, readerOf } from "../db/client.ts";
import type { Provider } from "../db/target.ts";
import { matchExpression, quoteLexeme } from "./documents.ts";
import { rankableWords, rankBound, SHORT } from "./rank.ts";

/** A search resolved against the index: its match expression, and what src/search/rank.ts needs. */
export interface ResolvedSearch {
  match: string;
  /** The query words a relevance page may be certified for (src/search/rank.ts), or null. */
  rankable: string[] | null;
}

/** The parts of a paper query (src/papers/list.ts) a search adds to. */
export interface SearchQuery {
  readonly provider: Provider;
  from: string;
  readonly where: string[];
  relevance: string | null;
  /** Adds a parameter; returns its placeholder. */
  p(value: unknown): string;
}

/** What the search is part of: a page in an order, a page by relevance read in `dir`, a count. */
export type SearchShape =
  | { kind: "page" }
  | { kind: "relevance"; dir: "ASC" | "DESC" }
  | { kind: "count"; narrow: boolean };

/**
 * Bounds of the words longer than `word` that start with it, in the byte order both indexes keep
 * words in: from `word` + U+0001 (words hold letters, digits and marks only, all past it) to
 * `word` + U+10FFFF (past every character). The lower bound leaves `word` itself out: FTS5's
 * vocabulary table counts the list of every word it visits, and `diffusion` has 86,000 papers.
 */
const LONGER_FROM = "\u0001";
const LONGER_TO = "\u{10FFFF}";

/**
 * The match expression of a search's terms (src/search/documents.ts), each term's last word asked
 * for as a word when no longer indexed word starts with it. One statement whatever the number of
 * terms; each probe stops at the first longer word (an index range, ~0.1 ms).
 *
 * SQLite reads FTS5's own vocabulary ("PaperWordsVocab", fts5vocab): exactly the words indexed.
 * PostgreSQL has no view of a GIN index's words: "SearchWord" keeps every word ever written
 * (src/db/words.ts adds a paper's words with its vector, and never removes any), a superset of the
 * indexed ones, so a word it calls exact is.
 */
export async function resolveSearch(
  db: Db,
  provider: Provider,
  terms: string[][],
): Promise<ResolvedSearch> {
  const lastWords = [...new Set(terms.map((term) => term[term.length - 1] as string))];
  const params: string[] = [];
  const p = (value: string) => {
    params.push(value);
    return provider === "sqlite" ? "?" : `$${params.length}`;
  };
  const [table, column] =
    provider === "sqlite" ? ['"PaperWordsVocab"', '"term"'] : ['"SearchWord"', '"word"'];
  const probes = lastWords.map(
    (word, i) =>
      `SELECT ${i} AS "i" FROM (SELECT 1 FROM ${table}
        WHERE ${column} >= ${p(word + LONGER_FROM)} AND ${column} < ${p(word + LONGER_TO)} LIMIT 1) AS "w${i}"`,
  );
  const rows = await db.$queryRawUnsafe<{ i: number | bigint }[]>(
    probes.join(" UNION ALL "),
    ...params,
  );
  const longer = new Set(rows.map((row) => lastWords[Number(row.i)]));
  const exact = terms.map((term) => !longer.has(term[term.length - 1] as string));
  return {
    match: matchExpression(provider, terms, exact),
    rankable: rankableWords(provider, terms, exact),
  };
}

/** SQLite: the newest papers (by id) whose share of matches tells a dense search. */
const DENSITY_WINDOW = 1000;
/** SQLite: a search is dense when it matches at least this share of the newest papers. */
const DENSE_SHARE = 1 / 4;
/**
 * SQLite: order's index rows read per page row by a probing walk before it gives up (at a quarter
 * of the papers matching, four rows a page row are expected).
 */
export const PROBE_BUDGET = 8;

/**
 * SQLite: whether a search matches so many papers that a page in another order than relevance is
 * best read by probing each row of the order's index (see above). Decided on the newest
 * `DENSITY_WINDOW` papers: FTS5 reads only that end of each list (~0.5 ms). Only the plan depends
 * on it, never the result.
 */
export async function denseSearch(db: Db, match: string): Promise<boolean> {
  const [row] = await readerOf(db).query<{ hits: number | bigint; papers: number | bigint }>(
    `SELECT (SELECT count(*) FROM "PaperWords" WHERE "PaperWords" MATCH ?
        AND "rowid" > (SELECT max("id") FROM "Paper") - ${DENSITY_WINDOW}) AS "hits",
      (SELECT count(*) FROM "Paper"
        WHERE "id" > (SELECT max("id") FROM "Paper") - ${DENSITY_WINDOW}) AS "papers"`,
    [match],
  );
  const papers = Number(row?.papers ?? 0);
  return papers > 0 && Number(row?.hits ?? 0) >= papers * DENSE_SHARE;
}

/**
 * SQLite: a page read by probing each row of `walk` in FTS5. `walk` reads the page's papers in
 * order (columns `__id`, `__key`), filtered and past the cursor but not searched, and bounded
 * (`LIMIT`); `order` is its order over those columns. `p` adds the parameters after walk's.
 */
export function probedPage(
  walk: string,
  order: string,
  match: string,
  p: (value: unknown) => string,
  limit: number,
): string {
  // The outer order is the co-routine's own: SQLite reads it in order and stops at the LIMIT
  // (no sort), so a page probes only the rows up to its last.
  return `SELECT w."__id", w."__key" FROM (${walk}) w
    WHERE EXISTS (SELECT 1 FROM "PaperWords" WHERE "PaperWords" MATCH ${p(match)}
      AND "rowid" = w."__id")
    ORDER BY ${order} LIMIT ${p(limit)}`;
}

/** Where a relevance page's SQL takes the restriction to rank candidates (src/search/rank.ts). */
const CANDIDATES = "/*candidates*/";

/** Adds a search (its resolved match expression) to a query of papers `p`. */
export function addSearch(q: SearchQuery, match: string, shape: SearchShape): void {
  if (q.provider === "postgresql") {
    const tsquery = `${q.p(match)}::tsquery`;
    q.where.push(
      `p."searchVector" @@ ${tsquery}${shape.kind === "relevance" ? ` ${CANDIDATES}` : ""}`,
    );
    if (shape.kind === "relevance") q.relevance = `ts_rank(p."searchVector", ${tsquery})`;
    return;
  }
  switch (shape.kind) {
    case "relevance":
      // `LIMIT -1` keeps the subquery a co-routine in rank order (unflattened), so the outer query
      // reads papers only until its page is full. Its order is the page's: rank, then id.
      q.from = `FROM (SELECT "rowid" AS "id", -bm25("PaperWords", 10.0, 1.0) AS "rank"
          FROM "PaperWords" WHERE "PaperWords" MATCH ${q.p(match)} ${CANDIDATES}
          ORDER BY 2 ${shape.dir}, 1 ${shape.dir} LIMIT -1) s
        CROSS JOIN "Paper" p ON p."id" = s."id"`;
      q.relevance = 's."rank"';
      return;
    case "page":
      // `+` keeps the planner from driving the query by the set (a lookup per match, then a
      // sort): it reads the order's index and checks each paper against the set.
      q.where.push(
        `+p."id" IN (SELECT "rowid" FROM "PaperWords" WHERE "PaperWords" MATCH ${q.p(match)})`,
      );
      return;
    case "count":
      // INDEXED BY: without table statistics SQLite looks each id up in the table itself.
      q.from = `FROM (SELECT "rowid" AS "id" FROM "PaperWords" WHERE "PaperWords" MATCH ${q.p(match)}) s
        CROSS JOIN "Paper" p${shape.narrow ? ` INDEXED BY "${NARROW_INDEX}"` : ""} ON p."id" = s."id"`;
      return;
  }
}

/**
 * Runs a statement that ranks or counts a search's matches. PostgreSQL runs it without sequential
 * scans (SET LOCAL, in a transaction of its own): its planner counts `@@` as a cheap filter and
 * scans the table when most papers match, but there every paper's vector (~1.9 KB, stored out of
 * line) is fetched and decoded to test it; through the GIN index only the matches' rows are read,
 * and no vector at all for a count (250 ms instead of 900-1,900 ms for 68,000 of 100,000 papers).
 * The same plan is kept when another index (an order, arxivIds) serves the query better.
 */
export async function querySearch<T>(
  db: Db,
  provider: Provider,
  sql: string,
  params: unknown[],
): Promise<T[]> {
  if (provider === "sqlite") return db.$queryRawUnsafe<T[]>(sql, ...params);
  return db.$transaction(async (tx) => {
    await tx.$executeRawUnsafe("SET LOCAL enable_seqscan = off");
    return tx.$queryRawUnsafe<T[]>(sql, ...params);
  });
}

/** How often relevance pages were certified from their candidates, or ranked every match. */
export const relevancePaths = { certified: 0, full: 0 };

/**
 * Runs a relevance page (`limit` rows of `sql`, built by src/papers/list.ts with addSearch's
 * relevance shape, read in `dir`): first over the rank candidates only when src/search/rank.ts
 * can certify the result, else over every match.
 */
export async function queryRelevance<T extends { key: unknown }>(
  db: Db,
  provider: Provider,
  sql: string,
  params: unknown[],
  search: ResolvedSearch,
  limit: number,
  dir: "ASC" | "DESC",
): Promise<T[]> {
  const full = () => querySearch<T>(db, provider, sql.replace(CANDIDATES, ""), params);
  const words = search.rankable;
  if (!words || dir !== "DESC") return full();
  const version = () => dataVersion(db, provider);
  const before = await version();
  const [restricted, restrictedParams] = withCandidates(provider, sql, params, words);
  const rows = await querySearch<T>(db, provider, restricted, restrictedParams);
  // The last row (the next page's first) ranks above any paper outside the candidates.
  const last = rows[limit - 1];
  if (last && Number(last.key) > (await rankBound(db, provider, words))) {
    // SQLite: the statistics were read by separate statements; none changed in between.
    if ((await version()) === before) {
      relevancePaths.certified++;
      return rows;
    }
  }
  relevancePaths.full++;
  return full();
}

/** The relevance page's SQL and parameters restricted to the papers with every word as a rank word. */
function withCandidates(
  provider: Provider,
  sql: string,
  params: unknown[],
  words: string[],
): [string, unknown[]] {
  if (provider === "sqlite") {
    // The placeholder follows the search's own, the first of the statement.
    const words_ = words.map((w) => `"${w}"`).join(" AND ");
    return [
      sql.replace(
        CANDIDATES,
        `AND +"rowid" IN (SELECT "rowid" FROM "PaperRankWords" WHERE "PaperRankWords" MATCH ?)`,
      ),
      [params[0], `(${words_}) OR "${SHORT}"`, ...params.slice(1)],
    ];
  }
  return [
    sql.replace(CANDIDATES, `AND p."rankWords" @@ $${params.length + 1}::tsquery`),
    [...params, words.map(quoteLexeme).join(" & ")],
  ];
}

/** SQLite: changes whenever another connection commits (PRAGMA data_version). */
async function dataVersion(db: Db, provider: Provider): Promise<number> {
  if (provider !== "sqlite") return 0;
  const [row] =
    await db.$queryRawUnsafe<{ data_version: number | bigint }[]>("PRAGMA data_version");
  return Number(row?.data_version);
}

/** SQLite: the papers' filter columns keyed by id (prisma/models.prisma). */
const NARROW_INDEX = "Paper_id_upvotes_publishedAt_idx";

/** The count of the papers a search alone finds: its list, without a join (never a rank). */
export function searchOnlyCount(provider: Provider, match: string): [string, unknown[]] {
  return provider === "sqlite"
    ? [`SELECT count(*) AS "n" FROM "PaperWords" WHERE "PaperWords" MATCH ?`, [match]]
    : [`SELECT count(*) AS "n" FROM "Paper" WHERE "searchVector" @@ $1::tsquery`, [match]];
}
