/**
 * Storing the words of src/search/words.ts: a paper's search words (the FTS5 table "PaperWords"
 * on SQLite, the tsvector column "searchVector" on PostgreSQL, with the vocabulary "SearchWord"),
 * its rank words (src/search/rank.ts: "PaperRankWords", "rankWords"), its title key and its
 * authors' name keys. The ingest job writes them with each paper; `reindexWords` rewrites every row when
 * the word rule has changed since they were written (the "wordRule" setting says which rule).
 */
import {
  FILLER,
  ftsText,
  indexedWords,
  nameKey,
  type PaperWords,
  paperWords,
  quoteLexeme,
  titleKey,
  tsvectorLiteral,
} from "../search/documents.ts";
import { RANK_WORDS_SETTING, RANK_WORDS_VERSION, rankWords } from "../search/rank.ts";
import type { Sql, SqlClient } from "./sql.ts";

/**
 * The version of the word rule. Change it whenever words.ts, documents.ts or title-key.ts would
 * give a stored row other words: the next start (SQLite) or `papergraph migrate` (PostgreSQL)
 * then rewrites every row.
 */
export const WORD_RULE_VERSION = "1";
const SETTING = "wordRule";

/**
 * The stored word rule, as one statement without parameters (it is sent with others, in one round
 * trip, by the start-up check of src/db/client.ts).
 */
export const STORED_WORD_RULE_SQL = `SELECT "value" FROM "Setting" WHERE "key" = '${SETTING}'`;

/** Any constant: the key of the PostgreSQL advisory lock that serialises writers of papers. */
export const WRITE_LOCK = 727_370_412;

export interface PaperText {
  id: number;
  title: string;
  abstract: string;
  /** The paper has no words yet (it was just inserted): nothing to replace. */
  isNew?: boolean;
}

/** Writes the search words of papers (replacing what was there). */
export async function writePaperWords(sql: Sql, papers: PaperText[]): Promise<void> {
  if (papers.length === 0) return;
  if (sql.provider === "sqlite") {
    for (const p of papers) {
      const doc = paperWords(p.title, p.abstract);
      const replace = p.isNew ? "" : "OR REPLACE ";
      await sql.execute(
        `INSERT ${replace}INTO "PaperWords" ("rowid", "title", "abstract") VALUES (?, ?, ?)`,
        [p.id, ftsText(doc.title), ftsText(doc.abstract)],
      );
      await writeSqliteRankWords(sql, p.id, doc, replace);
    }
    return;
  }
  const docs = papers.map((p) => paperWords(p.title, p.abstract));
  await sql.execute(
    `UPDATE "Paper" AS p SET "searchVector" = u."vector", "rankWords" = u."rank"
     FROM unnest(?::int[], ?::tsvector[], ?::tsvector[]) AS u("id", "vector", "rank")
     WHERE p."id" = u."id"`,
    [papers.map((p) => p.id), docs.map(tsvectorLiteral), docs.map(postgresRankWords)],
  );
  // Every word ever indexed, never removed (src/search/query.ts: a superset is what it needs).
  const words = new Set(docs.flatMap(indexedWords));
  await sql.execute(
    `INSERT INTO "SearchWord" ("word") SELECT unnest(?::text[]) ON CONFLICT DO NOTHING`,
    [[...words]],
  );
}

function writeSqliteRankWords(sql: Sql, id: number, doc: PaperWords, replace: string) {
  return sql.execute(`INSERT ${replace}INTO "PaperRankWords" ("rowid", "words") VALUES (?, ?)`, [
    id,
    ftsText(rankWords("sqlite", doc, FILLER)),
  ]);
}

/** PostgreSQL: the "rankWords" tsvector literal (lexemes without positions). */
function postgresRankWords(doc: PaperWords): string {
  return rankWords("postgresql", doc, FILLER).map(quoteLexeme).join(" ");
}

/** Writes the rank words of papers (replacing what was there), and nothing else. */
async function writeRankWords(sql: Sql, papers: PaperText[]): Promise<void> {
  const docs = papers.map((p) => paperWords(p.title, p.abstract));
  if (sql.provider === "sqlite") {
    for (const [i, p] of papers.entries()) {
      await writeSqliteRankWords(sql, p.id, docs[i] as PaperWords, "OR REPLACE ");
    }
    return;
  }
  await sql.execute(
    `UPDATE "Paper" AS p SET "rankWords" = u."rank"
     FROM unnest(?::int[], ?::tsvector[]) AS u("id", "rank") WHERE p."id" = u."id"`,
    [papers.map((p) => p.id), docs.map(postgresRankWords)],
  );
}

/** Whether the stored words were written by this version of the word rule. */
export async function wordsAreCurrent(sql: Sql): Promise<boolean> {
  const [row] = await sql.query<{ value: string }>(
    `SELECT "value" FROM "Setting" WHERE "key" = ?`,
    [SETTING],
  );
  return row?.value === WORD_RULE_VERSION;
}

const BATCH = 2_000;

/**
 * Rewrites the words of every paper and author if the word rule changed since they were
 * written (or they never were: the migration that moved the rule into papergraph). Each batch
 * is its own transaction, under the same lock as ingests; an interrupted run starts over next
 * time, which is harmless. Returns the rows rewritten, or null when all were current.
 */
export async function reindexWords(
  sql: SqlClient,
): Promise<{ papers: number; authors: number } | null> {
  if (await wordsAreCurrent(sql)) {
    await fillRankWords(sql);
    return null;
  }
  const papers = await eachBatch<PaperText>(
    sql,
    `"id", "title", "abstract" FROM "Paper"`,
    async (tx, rows) => {
      await writePaperWords(tx, rows);
      await tx.execute(
        `UPDATE "Paper" AS p SET "titleKey" = u."key"
       FROM ${idTextRows(tx, rows.length)} WHERE p."id" = u."id" AND p."titleKey" <> u."key"`,
        idTextParams(
          tx,
          rows.map((r) => [r.id, titleKey(r.title)]),
        ),
      );
    },
  );
  const authors = await eachBatch<{ id: number; name: string }>(
    sql,
    `"id", "name" FROM "Author"`,
    async (tx, rows) => {
      await tx.execute(
        `UPDATE "Author" AS a SET "nameKey" = u."key"
         FROM ${idTextRows(tx, rows.length)} WHERE a."id" = u."id" AND a."nameKey" <> u."key"`,
        idTextParams(
          tx,
          rows.map((r) => [r.id, nameKey(r.name)]),
        ),
      );
    },
  );
  await sql.execute(
    `INSERT INTO "Setting" ("key", "value") VALUES (?, ?)
     ON CONFLICT ("key") DO UPDATE SET "value" = excluded."value"`,
    [SETTING, WORD_RULE_VERSION],
  );
  // writePaperWords wrote the rank words too.
  await setSetting(sql, RANK_WORDS_SETTING, RANK_WORDS_VERSION);
  return { papers, authors };
}

async function setSetting(sql: Sql, key: string, value: string): Promise<void> {
  await sql.execute(
    `INSERT INTO "Setting" ("key", "value") VALUES (?, ?)
     ON CONFLICT ("key") DO UPDATE SET "value" = excluded."value"`,
    [key, value],
  );
}

/**
 * Writes every paper's rank words if they were written by another version of rank.ts (or never
 * were: the migration that created their table), batch by batch as reindexWords does, and
 * nothing else: rewriting FTS5's search words would change BM25's ranks, since a contentless
 * table's deletes (and replacements) do not subtract the old rows from the document count and
 * lengths BM25 normalises by.
 */
async function fillRankWords(sql: SqlClient): Promise<void> {
  const [row] = await sql.query<{ value: string }>(
    `SELECT "value" FROM "Setting" WHERE "key" = ?`,
    [RANK_WORDS_SETTING],
  );
  if (row?.value === RANK_WORDS_VERSION) return;
  await eachBatch<PaperText>(sql, `"id", "title", "abstract" FROM "Paper"`, writeRankWords);
  await setSetting(sql, RANK_WORDS_SETTING, RANK_WORDS_VERSION);
}

/**
 * Runs `fn` over every row of `columnsFrom` (`"id", ... FROM "Table"`), in id order, `BATCH`
 * rows at a time, each batch in its own transaction under the writers' lock. Returns the count.
 */
async function eachBatch<T extends { id: number }>(
  sql: SqlClient,
  columnsFrom: string,
  fn: (tx: Sql, rows: T[]) => Promise<void>,
): Promise<number> {
  let count = 0;
  for (let after = 0; ; ) {
    const rows = await sql.query<T>(
      `SELECT ${columnsFrom} WHERE "id" > ? ORDER BY "id" LIMIT ${BATCH}`,
      [after],
    );
    if (rows.length === 0) return count;
    await sql.transaction(WRITE_LOCK, (tx) => fn(tx, rows));
    count += rows.length;
    after = Number(rows.at(-1)?.id);
  }
}

/** A FROM item `u("id", "key")` of `rows` parameter pairs (see `idTextParams`). */
function idTextRows(sql: Sql, rows: number): string {
  if (sql.provider === "postgresql") return 'unnest(?::int[], ?::text[]) AS u("id", "key")';
  const values = Array.from({ length: rows }, () => "(?, ?)").join(", ");
  return `(SELECT "column1" AS "id", "column2" AS "key" FROM (VALUES ${values})) AS u`;
}

function idTextParams(sql: Sql, rows: [number, string][]) {
  if (sql.provider === "postgresql") return [rows.map((r) => r[0]), rows.map((r) => r[1])];
  return rows.flat();
}
