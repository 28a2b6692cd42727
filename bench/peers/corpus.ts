/**
 * The databases of the peer benchmark: the bench generator's corpus (1,000 days x 100 papers)
 * loaded through papergraph's own ingest into a PostgreSQL database and a SQLite file. A database
 * that already holds the corpus (every day, every digest's run, the same paper count on both) is
 * reused; `fresh` rebuilds both.
 *
 * PostGraphile serves the PostgreSQL database as it is, plus one SQL function for the full-text
 * search (Q5): it takes the tsquery text papergraph builds in TypeScript for a search
 * (src/search/documents.ts) and returns the matching papers by upvotes, as papergraph orders them.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import pg from "pg";
import { upgradeDatabase } from "../../src/db/client.ts";
import { openSqlClient } from "../../src/db/sql.ts";
import { type DatabaseTarget, parseDatabaseUrl } from "../../src/db/target.ts";
import { ingest, listDigestFiles } from "../../src/ingest/run.ts";
import { generateCorpus } from "../generate.ts";

export const DAYS = 1000;
export const PAPERS_PER_DAY = 100;
const CORPUS_DIR = `bench/out/digests-${DAYS}x${PAPERS_PER_DAY}`;

export const POSTGRES_SERVER_URL =
  process.env.PEERS_POSTGRES_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const DATABASE_NAME = "papergraph_peers";
export const SQLITE_FILE = resolve("bench/out/peers/papergraph.db");

export function postgresUrl(database = DATABASE_NAME): string {
  const url = new URL(POSTGRES_SERVER_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

export interface Databases {
  postgres: DatabaseTarget;
  sqlite: DatabaseTarget;
  papers: number;
  /** What was done: "reused" or the load times. */
  notes: string[];
}

/** The search function PostGraphile exposes (as `searchPapers(query: ...)`). */
const SEARCH_FUNCTION = `
CREATE OR REPLACE FUNCTION public.search_papers(query text) RETURNS SETOF public."Paper"
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT p.* FROM public."Paper" p
  WHERE p."searchVector" @@ query::tsquery
  ORDER BY p."upvotes" DESC, p."id" DESC
$$`;

const HIDE_AUTHORS = `UPDATE "PaperAuthor" SET "hidden" = TRUE
  WHERE "position" = 1 AND "paperId" % 10 = 0 AND "hidden" = FALSE`;

function corpusFiles(): string[] {
  if (!existsSync(CORPUS_DIR) || readdirSync(CORPUS_DIR).length !== DAYS) {
    console.log(`generating ${CORPUS_DIR}`);
    generateCorpus({ days: DAYS, papers: PAPERS_PER_DAY, textEvery: 10, out: CORPUS_DIR });
  }
  return listDigestFiles(CORPUS_DIR);
}

/** Papers, days and successful digest runs of a database, or null when it is not one of ours. */
async function holdings(target: DatabaseTarget) {
  if (target.provider === "sqlite" && !existsSync(target.file as string)) return null;
  const sql = openSqlClient(target);
  try {
    const [row] = await sql.query<{ papers: number; days: number; runs: number }>(
      `SELECT (SELECT count(*) FROM "Paper") AS "papers", (SELECT count(*) FROM "Day") AS "days",
        (SELECT count(*) FROM "IngestRun" WHERE "status" = 'succeeded') AS "runs"`,
    );
    return row
      ? { papers: Number(row.papers), days: Number(row.days), runs: Number(row.runs) }
      : null;
  } catch {
    return null; // no such tables: not loaded
  } finally {
    await sql.close();
  }
}

const complete = (h: { days: number; runs: number } | null) =>
  h !== null && h.days === DAYS && h.runs === DAYS;

async function postgresExists(name: string): Promise<boolean> {
  const admin = new pg.Client({ connectionString: POSTGRES_SERVER_URL });
  await admin.connect();
  try {
    return (
      (await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount === 1
    );
  } finally {
    await admin.end();
  }
}

async function recreatePostgres(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: POSTGRES_SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
}

async function load(target: DatabaseTarget, files: string[]): Promise<string> {
  const started = performance.now();
  await upgradeDatabase(target);
  const sql = openSqlClient(target);
  try {
    let shown = 0;
    const report = await ingest(
      sql,
      files.map((source) => ({ source })),
      {},
      (done, total) => {
        if (done - shown >= 100 || done === total) {
          shown = done;
          process.stdout.write(`\r  ${target.provider}: ${done}/${total} digests`);
        }
      },
    );
    process.stdout.write("\n");
    if (report.failed > 0) {
      const failure = report.files.find((f) => f.status === "failed");
      throw new Error(
        `${target.provider}: ${report.failed} digest(s) failed to load: ${JSON.stringify(failure)}`,
      );
    }
    if (target.provider === "postgresql") await sql.query("ANALYZE");
  } finally {
    await sql.close();
  }
  return `${target.provider} loaded in ${((performance.now() - started) / 1000).toFixed(0)} s`;
}

/** Both databases holding the corpus (loaded now, or found loaded), and the search function. */
export async function prepareDatabases(fresh: boolean): Promise<Databases> {
  const postgres = parseDatabaseUrl(postgresUrl());
  mkdirSync(join(SQLITE_FILE, ".."), { recursive: true });
  const sqlite = parseDatabaseUrl(`file:${SQLITE_FILE}`);
  const notes: string[] = [];
  let files: string[] | undefined;

  const pgHeld = !fresh && (await postgresExists(DATABASE_NAME)) ? await holdings(postgres) : null;
  if (complete(pgHeld)) {
    // What `npm run migrate` does when a deploy brings new migrations.
    await upgradeDatabase(postgres);
    notes.push(`postgresql reused (${pgHeld?.papers} papers)`);
  } else {
    files ??= corpusFiles();
    console.log(`loading ${files.length} digests into ${DATABASE_NAME} (PostgreSQL)`);
    await recreatePostgres(DATABASE_NAME);
    notes.push(await load(postgres, files));
  }

  const liteHeld = fresh ? null : await holdings(sqlite);
  if (complete(liteHeld)) {
    notes.push(`sqlite reused (${liteHeld?.papers} papers)`);
  } else {
    files ??= corpusFiles();
    console.log(`loading ${files.length} digests into ${SQLITE_FILE} (SQLite)`);
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${SQLITE_FILE}${suffix}`, { force: true });
    notes.push(await load(sqlite, files));
  }

  // The generator never hides an author; the API does, for some. Hide the second author of one
  // paper in ten on both engines, so that every server is seen to leave hidden authors out.
  for (const target of [postgres, sqlite]) {
    const sql = openSqlClient(target);
    try {
      await sql.execute(HIDE_AUTHORS);
    } finally {
      await sql.close();
    }
  }

  const [a, b] = [await holdings(postgres), await holdings(sqlite)];
  if (!a || !b || a.papers !== b.papers || !complete(a) || !complete(b)) {
    throw new Error(
      `the two databases do not hold the same corpus: PostgreSQL ${JSON.stringify(a)}, SQLite ${JSON.stringify(b)}; rerun with --fresh`,
    );
  }
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    await client.query(SEARCH_FUNCTION);
  } finally {
    await client.end();
  }
  return { postgres, sqlite, papers: a.papers, notes };
}
