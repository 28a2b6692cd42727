/**
 * A relevance page without ranking every match, when that provably changes nothing.
 *
 * Ranking a search whose words are in most papers means scoring each match (BM25 on SQLite,
 * ts_rank on PostgreSQL), then sorting: 68,000 scores for a page of 20. Both formulas saturate,
 * so no bound from the indexes alone separates the top of the list from the rest: an abstract
 * that repeats a word scores nearly what a title scores (BM25's 2.2·f/(f + K) tends to 2.2 either
 * way; ts_rank's 1 - Π(1 - c) tends to 1). What separates them is how often, and how close
 * together, each paper has each word, which the ingest job knows when it writes the paper's words.
 * So it also writes each paper's *rank words*: the words that could lift it near the top.
 *
 * - SQLite (BM25, title weight 10): the title's words, the abstract's words it repeats at least
 *   `ABSTRACT_REPEATS` times, and `SHORT` for a paper of fewer than `SHORT_WORDS` words. A paper
 *   without a query word w_i among its rank words has w_i at most `ABSTRACT_REPEATS - 1` times,
 *   all in a document of `SHORT_WORDS` words or more, so its term for w_i is at most
 *   idf_i·h(ABSTRACT_REPEATS - 1, SHORT_WORDS), and every other term under idf_j·2.2.
 * - PostgreSQL (ts_rank): the title's words, and each word whose *pair potential* (the largest,
 *   over another word v, of Σ -log(1 - c) over the pairs of their positions, c being ts_rank's
 *   pair weight) reaches `PAIR_POTENTIAL`, or that occurs `MANY` times. With two query words, a
 *   paper without one of them among its rank words has ts_rank = 1 - Π(1 - c) below
 *   1 - e^-PAIR_POTENTIAL (+ float rounding over its < MANY·112 near pairs); with one query word,
 *   one absent from its title ranks below 0.4 (calc_rank_or with weight B only).
 *
 * A relevance page read from the top (rank descending) first ranks only the papers that have every
 * query word among their rank words (and SQLite's short ones): if it fills the page and its last
 * row (the one that tells whether there is a next page) ranks strictly above the bound, no other
 * paper can come before it, and the page is exactly the full ranking's. Otherwise the full
 * ranking runs. Either way the ranks are the engine's own, so cursors do not depend on the path.
 * Applies to searches of single-word terms, each asked for as a word (src/search/query.ts), all
 * different; on PostgreSQL one or two of them (the bound for more grows with the other pairs).
 */
import type { Db } from "../db/client.ts";
import type { Provider } from "../db/target.ts";
import type { PaperWords } from "./documents.ts";

/**
 * The version of the rank words. Change it whenever rankWords would give a paper other words: the
 * next start (SQLite) or `papergraph migrate` (PostgreSQL) writes them again (src/db/words.ts),
 * and until it is done (its setting says so) no page is certified.
 */
export const RANK_WORDS_VERSION = "1";
export const RANK_WORDS_SETTING = "rankWords";

/** SQLite: an abstract word that occurs this often is a rank word. */
export const ABSTRACT_REPEATS = 5;
/** SQLite: a paper with fewer words (title and abstract) is a candidate for every search. */
export const SHORT_WORDS = 100;
/** SQLite: the rank word of short papers (`¤` is no letter or digit: never a word). */
export const SHORT = "\u00a4short";
/** PostgreSQL: a word whose pair potential reaches this is a rank word (bound 1 - e^-3 = 0.95). */
export const PAIR_POTENTIAL = 3;
/** PostgreSQL: a word with this many positions is a rank word (bounds float rounding). */
export const MANY = 64;

/** ts_rank's position weights (its default {0.1, 0.2, 0.4, 1.0}): title A, abstract B. */
const WEIGHT_A = 1.0;
const WEIGHT_B = 0.4;

/** ts_rank's word_distance: pairs farther apart than 100 positions weigh 1e-30. */
function wordDistance(d: number): number {
  return d > 100 ? 1e-30 : 1.0 / (1.005 + 0.05 * Math.exp(d / 1.5 - 2));
}

/**
 * -log(1 - c) of a pair of positions, c = sqrt(w1·w2·word_distance(d)) as ts_rank computes it,
 * raised by 1e-5 (relative) over what PostgreSQL's float4 arithmetic can give.
 */
function pairPotential(w1: number, w2: number, d: number): number {
  const c = Math.min(Math.sqrt(w1 * w2 * wordDistance(d)) * (1 + 1e-5), 1 - 1e-12);
  return -Math.log1p(-c);
}

/** pairPotential by weights (title-title, title-abstract, abstract-abstract) and distance. */
const POTENTIALS = [
  [WEIGHT_A, WEIGHT_A],
  [WEIGHT_A, WEIGHT_B],
  [WEIGHT_B, WEIGHT_B],
].map(([w1, w2]) =>
  Float64Array.from({ length: 101 }, (_, d) =>
    d === 0 ? 0 : pairPotential(w1 as number, w2 as number, d),
  ),
);

/** What pairs farther than 100 positions add up to at most (16,383² pairs of 1e-15). */
const FAR_PAIRS = 1e-6;

/**
 * The rank words of a paper for an engine (see above), as the ingest job stores them. Positions
 * are the tsvector's: title words from 1, abstract words after a gap of one (the filler, which
 * src/search/documents.ts puts for a word's occurrences past its 256th, holds a position but is no
 * word).
 */
export function rankWords(provider: Provider, doc: PaperWords, filler: string): string[] {
  const found = new Set(doc.title.filter((w) => w !== filler));
  if (provider === "sqlite") {
    const counts = new Map<string, number>();
    for (const w of doc.abstract) counts.set(w, (counts.get(w) ?? 0) + 1);
    for (const [w, n] of counts) if (n >= ABSTRACT_REPEATS && w !== filler) found.add(w);
    if (doc.title.length + doc.abstract.length < SHORT_WORDS) found.add(SHORT);
    return [...found];
  }
  // The positions: word (as a number), place, and title (0) or abstract (1).
  const ids = new Map<string, number>();
  const names: string[] = [];
  const word: number[] = [];
  const at: number[] = [];
  const abstract: number[] = [];
  const push = (w: string, position: number, inAbstract: number) => {
    if (w === filler) return;
    let id = ids.get(w);
    if (id === undefined) {
      id = names.length;
      ids.set(w, id);
      names.push(w);
    }
    word.push(id);
    at.push(position);
    abstract.push(inAbstract);
  };
  for (const [i, w] of doc.title.entries()) push(w, 1 + i, 0);
  for (const [i, w] of doc.abstract.entries()) push(w, doc.title.length + 2 + i, 1);
  const n = names.length;
  const counts = new Uint32Array(n);
  for (const id of word) counts[id] = (counts[id] as number) + 1;
  // Σ over the pairs of positions of two different words closer than 101 positions.
  const sums = new Float64Array(n * n);
  for (let i = 0; i < word.length; i++) {
    const x = word[i] as number;
    for (let j = i + 1; j < word.length; j++) {
      const d = (at[j] as number) - (at[i] as number);
      if (d > 100) break;
      const v = word[j] as number;
      if (v === x) continue;
      const g = (POTENTIALS[(abstract[i] as number) + (abstract[j] as number)] as Float64Array)[d];
      sums[x * n + v] = (sums[x * n + v] as number) + (g as number);
      sums[v * n + x] = (sums[v * n + x] as number) + (g as number);
    }
  }
  for (let x = 0; x < n; x++) {
    let best = 0;
    for (let v = 0; v < n; v++) best = Math.max(best, sums[x * n + v] as number);
    if (best + FAR_PAIRS >= PAIR_POTENTIAL || (counts[x] as number) >= MANY) {
      found.add(names[x] as string);
    }
  }
  return [...found];
}

/** The query words a relevance page may be certified for, or null (see above). */
export function rankableWords(
  provider: Provider,
  terms: string[][],
  exact: boolean[],
): string[] | null {
  if (terms.some((term, i) => term.length !== 1 || !exact[i])) return null;
  const words = terms.map((term) => term[0] as string);
  if (new Set(words).size !== words.length) return null;
  if (provider === "postgresql" && words.length > 2) return null;
  return words;
}

/** How much float rounding can lift a PostgreSQL rank over its exact value (see above). */
const PG_ROUNDING = 1e-3;

/**
 * The rank no paper outside the candidates can reach, for the query words (see above), or
 * +Infinity while some paper may lack its rank words (not all written yet by this version, or on
 * PostgreSQL a paper with search words but no rank words). SQLite reads the statistics BM25
 * reads: the number of documents, their average length, and how many documents hold each word.
 */
export async function rankBound(db: Db, provider: Provider, words: string[]): Promise<number> {
  if (provider === "postgresql") {
    const [state] = await db.$queryRawUnsafe<{ version: string | null; missing: boolean }[]>(
      `SELECT (SELECT "value" FROM "Setting" WHERE "key" = $1) AS "version",
        EXISTS (SELECT 1 FROM "Paper" WHERE "rankWords" IS NULL AND "searchVector" IS NOT NULL)
          AS "missing"`,
      RANK_WORDS_SETTING,
    );
    if (state?.version !== RANK_WORDS_VERSION || state.missing) return Number.POSITIVE_INFINITY;
    return (words.length === 1 ? 0.4 : 1 - Math.exp(-PAIR_POTENTIAL)) + PG_ROUNDING;
  }
  const [state] = await db.$queryRawUnsafe<{ version: string | null; block: Uint8Array | null }[]>(
    `SELECT (SELECT "value" FROM "Setting" WHERE "key" = ?) AS "version",
      (SELECT "block" FROM "PaperWords_data" WHERE "id" = 1) AS "block"`,
    RANK_WORDS_SETTING,
  );
  if (state?.version !== RANK_WORDS_VERSION) return Number.POSITIVE_INFINITY;
  const [rows, tokens] = ftsAverages(state.block);
  if (rows === 0) return Number.POSITIVE_INFINITY;
  // How many documents hold each word; past half of them BM25's IDF is 1e-6 whatever the number,
  // so the count stops there (a word in most papers costs half its list).
  const half = Math.ceil(rows / 2);
  const hits = await db.$queryRawUnsafe<{ i: number | bigint; n: number | bigint }[]>(
    words
      .map(
        (_, i) => `SELECT ${i} AS "i", count(*) AS "n" FROM (SELECT 1 FROM "PaperWords"
          WHERE "PaperWords" MATCH ? LIMIT ${half})`,
      )
      .join(" UNION ALL "),
    ...words.map((w) => `"${w}"`),
  );
  // BM25's IDF (never below 1e-6), raised by a relative 1e-9 over libm's rounding of log().
  const idfs = hits.map((h) => {
    const n = Number(h.n);
    const idf = n >= half ? 1e-6 : Math.max(Math.log((rows - n + 0.5) / (n + 0.5)), 1e-6);
    return idf * (1 + 1e-9);
  });
  const avgdl = tokens / rows;
  const h = (f: number, d: number) => (f * 2.2) / (f + 1.2 * (1 - 0.75 + (0.75 * d) / avgdl));
  const missing = h(ABSTRACT_REPEATS - 1, SHORT_WORDS);
  const all = idfs.reduce((sum, idf) => sum + 2.2 * idf, 0);
  return (all - (2.2 - missing) * Math.min(...idfs)) * (1 + 1e-9);
}

/**
 * FTS5's averages record (the row of id 1 in "PaperWords_data"): the number of rows, then the
 * total tokens of each column, as varints (SQLite's 1-9 byte big-endian format).
 */
function ftsAverages(block: Uint8Array | null): [rows: number, tokens: number] {
  if (!block) return [0, 0];
  const values: number[] = [];
  for (let i = 0; i < block.length; ) {
    let value = 0;
    for (let k = 0; ; k++) {
      const byte = block[i++] as number;
      if (k === 8) {
        value = value * 256 + byte;
        break;
      }
      value = value * 128 + (byte & 0x7f);
      if (byte < 0x80) break;
    }
    values.push(value);
  }
  const [rows = 0, ...columns] = values;
  return [rows, columns.reduce((a, b) => a + b, 0)];
}
