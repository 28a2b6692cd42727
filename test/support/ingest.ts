/** Helpers for ingest tests: run the real ingest on in-memory inputs and read tables back. */
import { readFileSync } from "node:fs";
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
