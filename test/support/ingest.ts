/** Helpers for ingest tests: run the real ingest on in-memory inputs and read tables back. */
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateCorpus } from "../../bench/generate.ts";
import type { Db } from "../../src/db/client.ts";
import type { SqlClient } from "../../src/db/sql.ts";
import { type IngestOptions, ingest } from "../../src/ingest/run.ts";

export const TEXT_FIXTURE = "prisma/seed/2025-12-10-task-generalization.txt";
export const JSON_FIXTURE = "prisma/seed/2024-10-25.json";

// biome-ignore lint/suspicious/noExplicitAny: raw API JSON items, read independently of the parser
export type ApiItem = any;

export function fixtureItems(): ApiItem[] {
  return JSON.parse(readFileSync(JSON_FIXTURE, "utf8"));
}

export function ingestBytes(
  sql: SqlClient,
  files: Record<string, string | Buffer>,
  options: IngestOptions = {},
) {
  const inputs = Object.entries(files).map(([source, content]) => ({
    source,
    bytes: Buffer.isBuffer(content) ? content : Buffer.from(content, "utf8"),
  }));
  return ingest(sql, inputs, { today: "2026-11-28", ...options });
}

/** Every row of the data tables (not the run log), in a stable order: to prove nothing changed. */
export async function dumpData(db: Db) {
  return {
    papers: await db.paper.findMany({ orderBy: { id: "asc" } }),
    authors: await db.author.findMany({ orderBy: { id: "asc" } }),
    paperAuthors: await db.paperAuthor.findMany({
      orderBy: [{ paperId: "asc" }, { position: "asc" }],
    }),
    days: await db.day.findMany({ orderBy: { id: "asc" } }),
    entries: await db.dayEntry.findMany({ orderBy: [{ dayId: "asc" }, { paperId: "asc" }] }),
    snapshots: await db.upvoteSnapshot.findMany({ orderBy: { id: "asc" } }),
  };
}

export async function countData(db: Db) {
  return {
    papers: await db.paper.count(),
    authors: await db.author.count(),
    paperAuthors: await db.paperAuthor.count(),
    days: await db.day.count(),
    entries: await db.dayEntry.count(),
    snapshots: await db.upvoteSnapshot.count(),
  };
}

export const EMPTY = { papers: 0, authors: 0, paperAuthors: 0, days: 0, entries: 0, snapshots: 0 };

/**
 * Loads a generated corpus (`days` x `papers`, every `textEvery`-th day as page text) and the two
 * bundled sample digests into `sql`'s database through the real ingest; returns the corpus
 * directory (the caller removes it).
 */
export async function loadCorpus(
  sql: SqlClient,
  corpus: { days: number; papers: number; textEvery: number },
): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), "papergraph-corpus-"));
  generateCorpus({ ...corpus, out });
  const files = [
    ...readdirSync(out).map((name) => ({ source: join(out, name) })),
    { source: JSON_FIXTURE },
    { source: TEXT_FIXTURE },
  ];
  const report = await ingest(sql, files, { today: "2026-11-28" });
  if (report.failed > 0)
    throw new Error(`the corpus did not load: ${JSON.stringify(report.files)}`);
  return out;
}
