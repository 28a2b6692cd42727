/**
 * What each engine is given, built from the words of src/search/words.ts: a paper's words for
 * its index (FTS5 text on SQLite, a tsvector literal on PostgreSQL) and a search's terms as a
 * match expression (an FTS5 query, a tsquery literal). Neither engine tokenizes or folds: both
 * receive finished words, so they cannot disagree about what a word is.
 *
 * A search is a list of terms: the words of a double-quoted phrase, or of a run of non-space
 * characters (`Qwen2.5` is the term `qwen2 5`). A paper matches when every term's words follow
 * one another in its title or in its abstract, the last word of each term as a prefix.
 */
import type { Provider } from "../db/target.ts";
import { words } from "./words.ts";

/** A search may hold at most this many words (all its terms together). */
export const MAX_SEARCH_WORDS = 12;
/**
 * PostgreSQL keeps at most 256 positions of one word per tsvector and none past 16,383: a
 * document keeps at most that many of each, and that many words, on both engines alike.
 */
const MAX_POSITIONS_PER_WORD = 256;
const MAX_POSITION = 16_383;
/**
 * Stands in for an occurrence of a word past its 256th, so later words keep their positions.
 * Not a letter or a digit, so no search can ask for it; non-ASCII, so FTS5's ascii tokenizer
 * keeps it as a word.
 */
export const FILLER = "\u00a4";

/** The words of a paper as both engines index them. */
export interface PaperWords {
  title: string[];
  abstract: string[];
}

/**
 * The indexed words of a paper: its title's words, then its abstract's, with the per-word and
 * per-document limits above applied to both together (as PostgreSQL counts them).
 */
export function paperWords(title: string, abstract: string): PaperWords {
  const titleWords = words(title);
  const abstractWords = words(abstract);
  // Fewer words than a word may occur: no limit can apply (the case of nearly every paper).
  if (titleWords.length + abstractWords.length < MAX_POSITIONS_PER_WORD) {
    return { title: titleWords, abstract: abstractWords };
  }
  const seen = new Map<string, number>();
  let position = 0;
  const limit = (list: string[]): string[] => {
    const out: string[] = [];
    for (const word of list) {
      if (++position > MAX_POSITION) break;
      const count = (seen.get(word) ?? 0) + 1;
      seen.set(word, count);
      out.push(count > MAX_POSITIONS_PER_WORD ? FILLER : word);
    }
    return out;
  };
  const limitedTitle = limit(titleWords);
  position++; // a gap: a phrase never runs from the title into the abstract
  return { title: limitedTitle, abstract: limit(abstractWords) };
}

/** The distinct words a paper's index entry holds (the filler is no word). */
export function indexedWords(doc: PaperWords): string[] {
  const found = new Set([...doc.title, ...doc.abstract]);
  found.delete(FILLER);
  return [...found];
}

/** SQLite: the text of a column of the FTS5 table "PaperWords" (words separated by spaces). */
export function ftsText(list: string[]): string {
  return list.join(" ");
}

/** A word as a tsvector or tsquery literal quotes it. */
export const quoteLexeme = (word: string) => `'${word.replace(/['\\]/g, (c) => `\\${c}`)}'`;

/**
 * PostgreSQL: the "searchVector" tsvector as a literal: every word with its positions, title
 * words weighted A (positions 1...), abstract words B (after a gap of one position).
 */
export function tsvectorLiteral(doc: PaperWords): string {
  const positions = new Map<string, string[]>();
  const add = (list: string[], start: number, weight: "A" | "B") => {
    list.forEach((word, i) => {
      if (word === FILLER) return;
      const at = positions.get(word) ?? [];
      at.push(`${start + i}${weight}`);
      positions.set(word, at);
    });
  };
  add(doc.title, 1, "A");
  add(doc.abstract, doc.title.length + 2, "B");
  return [...positions].map(([word, at]) => `${quoteLexeme(word)}:${at.join(",")}`).join(" ");
}

/** A search that cannot be run, and why (the caller names the argument). */
export class SearchSyntaxError extends Error {
  override name = "SearchSyntaxError";
}

/** The terms of a search: each the words that must follow one another, the last as a prefix. */
export function searchTerms(search: string): string[][] {
  const terms: string[][] = [];
  for (const [, phrase, bare] of search.matchAll(/"([^"]*)"?|([^\s"]+)/g)) {
    const termWords = words(phrase ?? bare ?? "");
    if (termWords.length > 0) terms.push(termWords);
  }
  const count = terms.reduce((n, t) => n + t.length, 0);
  if (count === 0) throw new SearchSyntaxError("has no words to search for");
  if (count > MAX_SEARCH_WORDS) {
    throw new SearchSyntaxError(`has ${count} words; at most ${MAX_SEARCH_WORDS}`);
  }
  return terms;
}

/**
 * The match expression of a search: an FTS5 query (`"qwen2 5"* AND "diffusion"*`: a phrase
 * whose last word is a prefix) or a tsquery literal (`'qwen2' <-> '5':* & 'diffusion':*`).
 * `exact[i]` says that term i's last word is the only indexed word it is a prefix of, so it is
 * asked for as a word (`"diffusion"`, `'diffusion'`): the same papers, instances and ranks, without
 * the engine's merge of every word that starts with it (src/search/query.ts).
 */
export function matchExpression(
  provider: Provider,
  terms: string[][],
  exact: readonly boolean[] = [],
): string {
  const star = (i: number) => (exact[i] ? "" : "*");
  if (provider === "sqlite") return terms.map((t, i) => `"${t.join(" ")}"${star(i)}`).join(" AND ");
  const prefix = (i: number) => (exact[i] ? "" : ":*");
  return terms
    .map((t, k) =>
      t.map((w, i) => `${quoteLexeme(w)}${i === t.length - 1 ? prefix(k) : ""}`).join(" <-> "),
    )
    .join(" & ");
}

/**
 * The key under which two titles are the same paper: the title's words, space-separated (so
 * LaTeX, case, accents, punctuation and spacing do not matter: `$\textbf{Only-IF}$:Revealing`
 * and `Only-IF: Revealing` agree). A title without words keys on its lower-cased text.
 */
export function titleKey(title: string): string {
  const clean = title.replace(/\s+/g, " ").trim();
  return words(clean).join(" ") || clean.toLowerCase();
}

/** The words of an author name (the `author` filter matches a run of them). */
export function nameKey(name: string): string {
  return words(name).join(" ");
}
