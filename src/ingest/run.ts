/**
 * The ingest job: reads digests, writes each in one transaction, and records every run (failed and
 * skipped ones too) in `IngestRun`. Reuses the data layer; never imports the GraphQL schema.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import type { Batch, Sql, SqlClient } from "../db/sql.ts";
import { type PaperText, WRITE_LOCK, writePaperWords } from "../db/words.ts";
import { listingReason } from "./listing.ts";
import { fileNameDay } from "./normalize.ts";
import { parseDigest } from "./parse.ts";
import { type Digest, DigestError, type DigestFormat, LIMITS } from "./types.ts";
import { type WriteCounts, writeDigest, writeList } from "./write.ts";

export interface IngestOptions {
  format?: "auto" | DigestFormat;
  /** The digest day, `YYYY-MM-DD`, for inputs that do not say (or to override). */
  date?: string;
  /**
   * Read, check and write everything as a real run would, in one transaction that is rolled
   * back at the end: the report is the real run's, and nothing is kept.
   */
  dryRun?: boolean;
  /** Ingest even when the same bytes were ingested for the same day before. */
  force?: boolean;
  /** "Today" for page-text digests whose day has no year. */
  today?: string;
  /**
   * Load each digest as its day, as a named list, or (auto, the default) as a list only when it
   * looks like a search or listing page (see listing.ts).
   */
  as?: "auto" | "day" | "list";
  /** The name of the list to load into (implies `as: "list"`); default: the file's name. */
  list?: string;
}

export interface InputFile {
  /** A path, or `-` for standard input. */
  source: string;
  /** The content, when it is not a file to read from `source` (standard input, tests). */
  bytes?: Buffer;
}

/** The report of one digest, and the search words its write left to write (see `WriteCounts`). */
interface Written {
  report: FileReport;
  words: PaperText[];
}

export type FileReport = {
  source: string;
  format: DigestFormat | null;
  date: string | null;
  /** The named list the digest was loaded into, when it was not loaded as its day. */
  listName: string | null;
  /** The `IngestRun` row (null in a dry run: its rows are rolled back with the rest). */
  runId: number | null;
  /** Problems that did not stop the digest, each with its place (see `Digest.warnings`). */
  warnings: string[];
  /** Time spent in the database for this digest (reading and parsing are not counted). */
  seconds: number;
} & (
  | ({ status: "succeeded" } & Omit<WriteCounts, "words">)
  | { status: "skipped"; previousRunId: number }
  /** A digest that lists no papers (the API's answer for weekends and holidays): nothing to do. */
  | { status: "empty" }
  | { status: "failed"; error: string }
);

export interface IngestReport {
  /** A dry run: every figure is what the real run would have done; nothing was kept. */
  dryRun: boolean;
  files: FileReport[];
  days: number;
  papersNew: number;
  papersUpdated: number;
  papersUnchanged: number;
  entriesKept: number;
  papersNotLoaded: number;
  lists: number;
  failed: number;
  skipped: number;
  empty: number;
  warnings: number;
  seconds: number;
}

/**
 * Digest files in a directory: `.txt`, `.text` and `.json`, not hidden, not directories. An
 * entry that cannot be looked at (a dangling link, a link loop) is listed all the same: reading it
 * fails, and it is reported as a failed digest while the others load.
 */
export function listDigestFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => /\.(txt|text|json)$/i.test(name) && !name.startsWith("."))
    .map((name) => join(dir, name))
    .filter((path) => {
      try {
        return statSync(path).isFile();
      } catch {
        return true;
      }
    });
}

/**
 * Digests parsed for sorting are kept for writing up to this many input bytes; past it, files are
 * read and parsed again when their turn comes, so memory stays bounded on large directories.
 * Files whose name carries their day (nearly all) are not parsed for sorting at all.
 */
const KEEP_PARSED_BYTES = 64 * 1024 * 1024;

function readBytes(input: InputFile): Buffer {
  if (input.bytes) return input.bytes;
  if (statSync(input.source).size > LIMITS.fileBytes) {
    throw new DigestError(input.source, null, `file is larger than ${LIMITS.fileBytes} bytes`);
  }
  return readFileSync(input.source);
}

/** One line: Prisma's messages span several lines and start with the call that failed. */
function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .replace(/^\s*Invalid `[^`]+` invocation:?/, "")
    .replace(/\s+/g, " ")
    .trim();
}

interface Parsed {
  input: InputFile;
  hash: string;
  /** Set when the input could not be read or parsed. */
  error?: string;
  format?: DigestFormat;
  date?: string;
  /** The list it goes into, when it is not loaded as its day. */
  listName?: string;
  /** Why it is loaded as a list although no option asked for it. */
  listReason?: string;
  /** The digest, unless dropped to bound memory (then parsed again when written). */
  digest?: Digest;
  /** Not read yet: sorted by the day in its file name, read when its turn comes. */
  deferred?: boolean;
}

/** Whether a digest goes into a named list (and which), following the options and listing.ts. */
function destination(
  input: InputFile,
  digest: Digest,
  options: IngestOptions,
): { listName?: string; listReason?: string } {
  const fileName = () => basename(input.source, extname(input.source));
  if (options.list) return { listName: options.list };
  if (options.as === "list") return { listName: input.source === "-" ? digest.date : fileName() };
  if (options.as === "day") return {};
  const reason = listingReason(digest);
  if (!reason) return {};
  const listName = input.source === "-" ? `${digest.date}-list` : fileName();
  return {
    listName,
    listReason: `${reason}: loaded as the list "${listName}" (--as day loads it as the day)`,
  };
}

function parseInput(input: InputFile, options: IngestOptions): Parsed & { size: number } {
  let bytes: Buffer;
  try {
    bytes = readBytes(input);
  } catch (error) {
    const reason =
      error instanceof DigestError ? error.message : `${input.source}: ${message(error)}`;
    return { input, hash: "", error: reason, size: 0 };
  }
  const hash = createHash("sha256").update(bytes).digest("hex");
  try {
    const digest = parseDigest(bytes, {
      source: input.source,
      format: options.format ?? "auto",
      date: options.date,
      today: options.today,
    });
    return {
      input,
      hash,
      digest,
      format: digest.format,
      date: digest.date,
      ...destination(input, digest, options),
      size: bytes.length,
    };
  } catch (error) {
    if (!(error instanceof DigestError)) throw error;
    return { input, hash, error: error.message, size: bytes.length };
  }
}

/** The run log: one `IngestRun` row per run, failed and skipped ones too. */
async function recordRun(
  sql: Sql,
  parsed: Parsed,
  fields: { status: string; finishedAt: Date | null; error?: string; warnings?: string[] },
): Promise<number> {
  const [row] = await sql.insertMany<{ id: number }>(
    "IngestRun",
    {
      source: "text",
      contentHash: "text",
      format: "text",
      digestDate: "text",
      listName: "text",
      startedAt: "timestamp",
      finishedAt: "timestamp",
      status: "text",
      error: "text",
      warnings: "text",
    },
    [
      [
        parsed.input.source,
        parsed.hash,
        parsed.format ?? "unknown",
        parsed.date ?? null,
        parsed.listName ?? null,
        new Date(),
        fields.finishedAt,
        fields.status,
        fields.error ?? null,
        fields.warnings?.length ? fields.warnings.join("\n") : null,
      ],
    ],
    'RETURNING "id"',
  );
  return Number(row?.id);
}

async function ingestParsed(sql: Batch, item: Parsed, options: IngestOptions): Promise<Written> {
  const parsed = item.deferred ? parseInput(item.input, options) : item;
  const { input, hash } = parsed;
  const digest = parsed.digest ?? (parsed.error ? undefined : parseInput(input, options).digest);
  const warnings = [
    ...(parsed.listReason ? [`${input.source}: ${parsed.listReason}`] : []),
    ...(digest?.warnings ?? []),
  ];
  const base = {
    source: input.source,
    format: parsed.format ?? null,
    date: parsed.date ?? null,
    listName: parsed.listName ?? null,
    warnings,
  };
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const record = (fields: Parameters<typeof recordRun>[2]) => recordRun(sql, parsed, fields);

  if (!digest) {
    const error = parsed.error ?? `${input.source}: changed while it was being ingested`;
    const runId = await record({ status: "failed", finishedAt: new Date(), error });
    return { report: { ...base, runId, status: "failed", error, seconds: elapsed() }, words: [] };
  }
  if (digest.papers.length === 0) {
    const runId = await record({ status: "empty", finishedAt: new Date(), warnings });
    return { report: { ...base, runId, status: "empty", seconds: elapsed() }, words: [] };
  }
  if (!options.force) {
    const [previous] = await sql.query<{ id: number }>(
      `SELECT "id" FROM "IngestRun" WHERE "contentHash" = ? AND "status" = 'succeeded'
         AND "digestDate" = ? AND "format" = ? AND COALESCE("listName", '') = ?
       ORDER BY "id" DESC LIMIT 1`,
      [hash, digest.date, digest.format, parsed.listName ?? ""],
    );
    if (previous) {
      const runId = await record({ status: "skipped", finishedAt: new Date() });
      const previousRunId = Number(previous.id);
      const report: FileReport = {
        ...base,
        runId,
        status: "skipped",
        previousRunId,
        seconds: elapsed(),
      };
      return { report, words: [] };
    }
  }

  // The run's row is written in the digest's own unit of work: a run that dies half-way leaves
  // the database exactly as it was, with no row claiming a run is still going.
  let runId: number | null = null;
  try {
    const counts = await sql.unit(async (tx) => {
      runId = await recordRun(tx, parsed, { status: "running", finishedAt: null });
      const counts = parsed.listName
        ? await writeList(tx, digest, parsed.listName, input.source)
        : await writeDigest(tx, digest, runId);
      const allWarnings = [...warnings, ...counts.notes];
      await tx.execute(
        `UPDATE "IngestRun" SET "status" = 'succeeded', "finishedAt" = ?, "papersTotal" = ?,
           "papersNew" = ?, "papersUpdated" = ?, "papersUnchanged" = ?, "entriesKept" = ?,
           "warnings" = ?
         WHERE "id" = ?`,
        [
          new Date(),
          counts.papersTotal,
          counts.papersNew,
          counts.papersUpdated,
          counts.papersUnchanged,
          counts.entriesKept,
          allWarnings.length ? allWarnings.join("\n") : null,
          runId,
        ],
      );
      return counts;
    });
    const { words, ...written } = counts;
    const report: FileReport = {
      ...base,
      warnings: [...warnings, ...counts.notes],
      runId,
      status: "succeeded",
      ...written,
      seconds: elapsed(),
    };
    return { report, words };
  } catch (error) {
    const text = `${input.source}: ${message(error)}`;
    runId = await record({ status: "failed", finishedAt: new Date(), error: text, warnings });
    return {
      report: { ...base, runId, status: "failed", error: text, seconds: elapsed() },
      words: [],
    };
  }
}

/**
 * Digests are written in batches: one transaction holds digests until it has this many papers or
 * has been open this long, each digest in its own savepoint (see `Batch` in src/db/sql.ts). Each
 * digest stays all-or-nothing and a bad one does not undo the others; a commit, its WAL flush and
 * its fsync are paid once per batch instead of once per digest (real daily files are small, so
 * that cost dominated), and the write lock is never held much longer than this.
 */
const BATCH_LIMITS = { papers: 2_000, ms: 250 } as const;

/**
 * After a run has added this many papers, and again each time it doubles, the tables it grows
 * get fresh planner statistics: a first load into an empty PostgreSQL database otherwise plans
 * its lookups for empty tables (full scans) until autovacuum catches up, a minute later.
 */
const ANALYZE_AFTER_PAPERS = 500;
const GROWING_TABLES = ["Paper", "PaperAuthor", "Author", "DayEntry", "UpvoteSnapshot"] as const;

/**
 * Ingests the given inputs in digest-date order (unreadable ones first, as failures), each in its
 * own unit of work: one bad digest does not undo the others.
 *
 * A dry run does exactly what the real run does, run log included, in one batch that it never
 * commits but rolls back at the end: each digest sees what the digests before it would have
 * written (a day loaded twice, a paper listed on several days, the same file given twice), so its
 * report is the real run's. It holds the write lock while it runs, as one long batch would.
 */
export async function ingest(
  sql: SqlClient,
  inputs: InputFile[],
  options: IngestOptions = {},
  onProgress?: (done: number, total: number, papers: number) => void,
): Promise<IngestReport> {
  const started = performance.now();
  let keptBytes = 0;
  const parsed: Parsed[] = inputs.map((input) => {
    // The day in a file's name outranks its content (unless --date names one for all): sort by
    // it, and read the file once, when its turn comes.
    const named = !input.bytes && options.date === undefined ? fileNameDay(input.source) : null;
    if (named) return { input, hash: "", date: named, deferred: true };
    const { size, ...item } = parseInput(input, options);
    keptBytes += size;
    return keptBytes > KEEP_PARSED_BYTES && !input.bytes ? { ...item, digest: undefined } : item;
  });
  parsed.sort(
    (a, b) =>
      (a.date ?? "").localeCompare(b.date ?? "") ||
      basename(a.input.source).localeCompare(basename(b.input.source)),
  );
  const files: FileReport[] = [];
  let papers = 0;
  let newPapers = 0;
  let analyzeAt = ANALYZE_AFTER_PAPERS;
  let batch: {
    sql: Batch;
    opened: number;
    papers: number;
    first: number;
    words: Map<number, PaperText>;
  } | null = null;
  const commit = async () => {
    if (!batch) return;
    const { sql: open, first, words } = batch;
    batch = null;
    try {
      await writePaperWords(open, [...words.values()]);
      await open.commit();
    } catch (error) {
      // Nothing of the batch was written: each of its digests failed, and says why.
      await open.rollback();
      const why = `the database refused the commit: ${message(error)}`;
      for (let i = first; i < files.length; i++) {
        const file = files[i] as FileReport;
        const { source, format, date, listName, warnings, seconds } = file;
        const text = `${source}: ${why}`;
        files[i] = {
          source,
          format,
          date,
          listName,
          warnings,
          seconds,
          runId: null,
          status: "failed",
          error: text,
        };
      }
    }
  };
  try {
    for (const item of parsed) {
      batch ??= {
        sql: await sql.batch(WRITE_LOCK),
        opened: performance.now(),
        papers: 0,
        first: files.length,
        words: new Map(),
      };
      const { report, words } = await ingestParsed(batch.sql, item, options);
      // The last text of a paper wins, as it would digest by digest; a paper new in this batch
      // has no words to replace yet.
      for (const paper of words) {
        const isNew = paper.isNew || batch.words.get(paper.id)?.isNew;
        batch.words.set(paper.id, { ...paper, isNew });
      }
      files.push(report);
      if ("papersTotal" in report) {
        papers += report.papersTotal;
        newPapers += report.papersNew;
        batch.papers += report.papersTotal;
      }
      if (
        !options.dryRun &&
        (batch.papers >= BATCH_LIMITS.papers || performance.now() - batch.opened >= BATCH_LIMITS.ms)
      ) {
        await commit();
        if (newPapers >= analyzeAt) {
          await sql.analyze(GROWING_TABLES);
          analyzeAt = newPapers * 2;
        }
      }
      onProgress?.(files.length, parsed.length, papers);
    }
    if (options.dryRun) {
      await (batch as { sql: Batch } | null)?.sql.rollback();
      batch = null;
      for (const file of files) file.runId = null;
    } else {
      await commit();
    }
  } catch (error) {
    await (batch as { sql: Batch } | null)?.sql.rollback();
    throw error;
  }
  const sum = (key: Exclude<keyof WriteCounts, "change" | "notes" | "words">) =>
    files.reduce((n, f) => n + (key in f ? (f as unknown as WriteCounts)[key] : 0), 0);
  const written = files.filter((f) => "papersTotal" in f);
  return {
    dryRun: options.dryRun === true,
    files,
    days: new Set(written.filter((f) => !f.listName).map((f) => f.date)).size,
    lists: new Set(written.filter((f) => f.listName).map((f) => f.listName)).size,
    papersNew: sum("papersNew"),
    papersUpdated: sum("papersUpdated"),
    papersUnchanged: sum("papersUnchanged"),
    entriesKept: sum("entriesKept"),
    papersNotLoaded: sum("papersNotLoaded"),
    failed: files.filter((f) => f.status === "failed").length,
    skipped: files.filter((f) => f.status === "skipped").length,
    empty: files.filter((f) => f.status === "empty").length,
    warnings: files.reduce((n, f) => n + f.warnings.length, 0),
    seconds: (performance.now() - started) / 1000,
  };
}
