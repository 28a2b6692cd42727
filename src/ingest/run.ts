/**
 * The ingest job: reads digests, writes each in one transaction, and records every run (failed and
 * skipped ones too) in `IngestRun`. Reuses the data layer; never imports the GraphQL schema.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { SqlClient } from "../db/sql.ts";
import { parseDigest } from "./parse.ts";
import { type Digest, DigestError, type DigestFormat, LIMITS } from "./types.ts";
import { INGEST_LOCK, type WriteCounts, writeDigest } from "./write.ts";

export interface IngestOptions {
  format?: "auto" | DigestFormat;
  /** The digest day, `YYYY-MM-DD`, for inputs that do not say (or to override). */
  date?: string;
  /** Read and check everything, write nothing. */
  dryRun?: boolean;
  /** Ingest even when the same bytes were ingested for the same day before. */
  force?: boolean;
  /** "Today" for page-text digests whose day has no year. */
  today?: string;
}

export interface InputFile {
  /** A path, or `-` for standard input. */
  source: string;
  bytes: Buffer;
}

export type FileReport = {
  source: string;
  format: DigestFormat | null;
  date: string | null;
  runId: number | null;
  seconds: number;
} & (
  | ({ status: "succeeded" | "dry-run" } & WriteCounts)
  | { status: "skipped"; previousRunId: number }
  | { status: "failed"; error: string }
);

export interface IngestReport {
  files: FileReport[];
  days: number;
  papersNew: number;
  papersUpdated: number;
  papersUnchanged: number;
  entriesKept: number;
  failed: number;
  skipped: number;
  seconds: number;
}

/** Thrown inside the transaction of a dry run, so that everything it wrote is rolled back. */
class DryRunRollback extends Error {
  constructor(readonly counts: WriteCounts) {
    super("dry run");
  }
}

/** Digest files in a directory: `.txt`, `.text` and `.json`, not hidden. */
export function listDigestFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => /\.(txt|text|json)$/i.test(name) && !name.startsWith("."))
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile());
}

export function readInput(source: string): InputFile {
  if (source !== "-" && statSync(source).size > LIMITS.fileBytes) {
    throw new DigestError(source, null, `file is larger than ${LIMITS.fileBytes} bytes`);
  }
  return { source, bytes: readFileSync(source === "-" ? 0 : source) };
}

/** One line: Prisma's messages span several lines and start with the call that failed. */
function message(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .replace(/^\s*Invalid `[^`]+` invocation:?/, "")
    .replace(/\s+/g, " ")
    .trim();
}

type Parsed = { input: InputFile; hash: string } & (
  | { digest: Digest; error?: undefined }
  | { digest?: undefined; error: string }
);

function parseInput(input: InputFile, options: IngestOptions): Parsed {
  const hash = createHash("sha256").update(input.bytes).digest("hex");
  try {
    const digest = parseDigest(input.bytes, {
      source: input.source,
      format: options.format ?? "auto",
      date: options.date,
      today: options.today,
    });
    return { input, hash, digest };
  } catch (error) {
    if (!(error instanceof DigestError)) throw error;
    return { input, hash, error: error.message };
  }
}

/** The run log: one `IngestRun` row per run, failed and skipped ones too. */
async function recordRun(
  sql: SqlClient,
  parsed: Parsed,
  fields: { status: string; finishedAt: Date | null; error?: string },
): Promise<number> {
  const [row] = await sql.insertMany<{ id: number }>(
    "IngestRun",
    ["source", "contentHash", "format", "digestDate", "startedAt", "finishedAt", "status", "error"],
    [
      [
        parsed.input.source,
        parsed.hash,
        parsed.digest?.format ?? "unknown",
        parsed.digest?.date ?? null,
        new Date(),
        fields.finishedAt,
        fields.status,
        fields.error ?? null,
      ],
    ],
    'RETURNING "id"',
  );
  return Number(row?.id);
}

async function ingestParsed(
  sql: SqlClient,
  parsed: Parsed,
  options: IngestOptions,
): Promise<FileReport> {
  const started = performance.now();
  const { input, hash, digest } = parsed;
  const base = {
    source: input.source,
    format: digest?.format ?? null,
    date: digest?.date ?? null,
  };
  const elapsed = () => (performance.now() - started) / 1000;

  if (!digest) {
    const runId = options.dryRun
      ? null
      : await recordRun(sql, parsed, {
          status: "failed",
          finishedAt: new Date(),
          error: parsed.error,
        });
    return { ...base, runId, status: "failed", error: parsed.error, seconds: elapsed() };
  }
  if (!options.dryRun && !options.force) {
    const [previous] = await sql.query<{ id: number }>(
      `SELECT "id" FROM "IngestRun" WHERE "contentHash" = ? AND "status" = 'succeeded'
         AND "digestDate" = ? AND "format" = ? ORDER BY "id" DESC LIMIT 1`,
      [hash, digest.date, digest.format],
    );
    if (previous) {
      const runId = await recordRun(sql, parsed, { status: "skipped", finishedAt: new Date() });
      const previousRunId = Number(previous.id);
      return { ...base, runId, status: "skipped", previousRunId, seconds: elapsed() };
    }
  }

  const runId = options.dryRun
    ? null
    : await recordRun(sql, parsed, { status: "running", finishedAt: null });
  try {
    const counts = await sql.transaction(INGEST_LOCK, async (tx) => {
      const counts = await writeDigest(tx, digest, runId);
      if (runId === null) throw new DryRunRollback(counts);
      await tx.execute(
        `UPDATE "IngestRun" SET "status" = 'succeeded', "finishedAt" = ?, "papersTotal" = ?,
           "papersNew" = ?, "papersUpdated" = ?, "papersUnchanged" = ?, "entriesKept" = ?
         WHERE "id" = ?`,
        [
          new Date(),
          counts.papersTotal,
          counts.papersNew,
          counts.papersUpdated,
          counts.papersUnchanged,
          counts.entriesKept,
          runId,
        ],
      );
      return counts;
    });
    return { ...base, runId, status: "succeeded", ...counts, seconds: elapsed() };
  } catch (error) {
    if (error instanceof DryRunRollback) {
      return { ...base, runId: null, status: "dry-run", ...error.counts, seconds: elapsed() };
    }
    const text = `${input.source}: ${message(error)}`;
    if (runId !== null) {
      await sql.execute(
        `UPDATE "IngestRun" SET "status" = 'failed', "finishedAt" = ?, "error" = ? WHERE "id" = ?`,
        [new Date(), text, runId],
      );
    }
    return { ...base, runId, status: "failed", error: text, seconds: elapsed() };
  }
}

/**
 * Ingests the given inputs in digest-date order (unreadable ones first, as failures), each in its
 * own transaction: one bad digest does not undo the others.
 */
export async function ingest(
  sql: SqlClient,
  inputs: InputFile[],
  options: IngestOptions = {},
  onProgress?: (done: number, total: number, papers: number) => void,
): Promise<IngestReport> {
  const started = performance.now();
  const parsed = inputs.map((input) => parseInput(input, options));
  parsed.sort(
    (a, b) =>
      (a.digest?.date ?? "").localeCompare(b.digest?.date ?? "") ||
      basename(a.input.source).localeCompare(basename(b.input.source)),
  );
  const files: FileReport[] = [];
  let papers = 0;
  for (const item of parsed) {
    const report = await ingestParsed(sql, item, options);
    files.push(report);
    if ("papersTotal" in report) papers += report.papersTotal;
    onProgress?.(files.length, parsed.length, papers);
  }
  const sum = (key: keyof WriteCounts) =>
    files.reduce((n, f) => n + (key in f ? (f as unknown as WriteCounts)[key] : 0), 0);
  return {
    files,
    days: new Set(files.filter((f) => "papersTotal" in f).map((f) => f.date)).size,
    papersNew: sum("papersNew"),
    papersUpdated: sum("papersUpdated"),
    papersUnchanged: sum("papersUnchanged"),
    entriesKept: sum("entriesKept"),
    failed: files.filter((f) => f.status === "failed").length,
    skipped: files.filter((f) => f.status === "skipped").length,
    seconds: (performance.now() - started) / 1000,
  };
}
