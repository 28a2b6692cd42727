/**
 * The fetch job: GETs `/api/daily_papers?date=D` for each day asked for, a few at a time, and
 * loads each answer through the ingest job (src/ingest/run.ts) as that day's digest: the same
 * atomicity (a day is written whole or not at all), idempotency (the same bytes are skipped) and
 * run log. An answer listing no papers changes nothing (the ingest's "empty"), and a day already
 * loaded keeps every paper a later answer no longer lists (the ingest's "kept"), so no answer can
 * wipe or half-write a day. The validators of each ingested answer are kept in `FetchedDay` and
 * sent back next time: a 304 costs neither a download nor a write. Never imports the GraphQL schema.
 */
import type { Sql, SqlClient } from "../db/sql.ts";
import { parseYmd } from "../ingest/normalize.ts";
import { type FileReport, ingest } from "../ingest/run.ts";
import { LIMITS } from "../ingest/types.ts";
import { type DayAnswer, getDay, type HttpPolicy, type Validators } from "./http.ts";

/** The most days one run fetches (`--since` far back is refused past this). */
export const MAX_FETCH_DAYS = 1_000;

/** What one run does, besides the HTTP policy (all of which has defaults). */
export interface FetchOptions extends Partial<HttpPolicy> {
  baseUrl: string;
  /** Days fetched at the same time. */
  concurrency: number;
  /** Stops the run: requests in flight are cancelled, nothing half-written (the ingest's units). */
  signal?: AbortSignal;
}

export const DEFAULT_HTTP_POLICY: HttpPolicy = {
  timeoutMs: 30_000,
  attempts: 4,
  backoffMs: 1_000,
  maxRetryAfterMs: 60_000,
  maxBytes: LIMITS.fileBytes,
};

export type DayReport = {
  date: string;
  url: string;
  /** HTTP attempts made (retries included). */
  attempts: number;
} & (
  | /** The answer was loaded; `ingest` says what it changed (or `skipped`: the same bytes as before). */
  { status: "fetched"; ingest: FileReport }
  /** 304 Not Modified: the server's answer is the one loaded last time. */
  | { status: "unchanged" }
  /** The API lists no papers for the day (weekends, holidays, a day not published yet). */
  | { status: "empty" }
  | { status: "failed"; error: string }
);

export interface FetchReport {
  days: DayReport[];
  fetched: number;
  unchanged: number;
  empty: number;
  failed: number;
  seconds: number;
}

/** `YYYY-MM-DD` of a UTC instant. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** The day `n` days after `day` (before, for a negative `n`), both `YYYY-MM-DD`. */
export function addDays(day: string, n: number): string {
  const ymd = parseYmd(day);
  if (!ymd) throw new Error(`not a day: ${day}`);
  return utcDay(new Date(Date.UTC(ymd.year, ymd.month - 1, ymd.day + n)));
}

/** Every day from `since` to `until`, both included, oldest first. */
export function daysBetween(since: string, until: string): string[] {
  const days: string[] = [];
  for (let day = since; day <= until; day = addDays(day, 1)) days.push(day);
  return days;
}

/** What a scheduled run fetches: today (UTC) and the `refetch` days before it. */
export function recentDays(today: string, refetch: number): string[] {
  return daysBetween(addDays(today, -refetch), today);
}

export function dayUrl(baseUrl: string, day: string): string {
  return new URL(`/api/daily_papers?date=${day}`, baseUrl).toString();
}

async function storedValidators(sql: Sql, day: string, url: string): Promise<Validators | null> {
  const [row] = await sql.query<{ etag: string | null; lastModified: string | null }>(
    `SELECT "etag", "lastModified" FROM "FetchedDay" WHERE "date" = ? AND "url" = ?`,
    [day, url],
  );
  return row ? { etag: row.etag, lastModified: row.lastModified } : null;
}

async function storeValidators(
  sql: Sql,
  day: string,
  url: string,
  validators: Validators,
): Promise<void> {
  await sql.execute(
    `INSERT INTO "FetchedDay" ("date", "url", "etag", "lastModified", "checkedAt")
     VALUES (?, ?, ?, ?, ?)
     ON CONFLICT ("date") DO UPDATE SET "url" = excluded."url", "etag" = excluded."etag",
       "lastModified" = excluded."lastModified", "checkedAt" = excluded."checkedAt"`,
    [day, url, validators.etag, validators.lastModified, new Date()],
  );
}

/** Loads one answer as its day; keeps its validators once the day holds it. */
async function ingestAnswer(
  sql: SqlClient,
  day: string,
  url: string,
  answer: Extract<DayAnswer, { status: "ok" }>,
): Promise<DayReport> {
  const base = { date: day, url, attempts: answer.attempts };
  const report = await ingest(sql, [{ source: url, bytes: answer.bytes }], {
    format: "hf-json",
    date: day,
    as: "day",
  });
  const file = report.files[0] as FileReport;
  if (file.status === "failed") return { ...base, status: "failed", error: file.error };
  await storeValidators(sql, day, url, answer);
  return file.status === "empty"
    ? { ...base, status: "empty" }
    : { ...base, status: "fetched", ingest: file };
}

async function fetchDay(
  sql: SqlClient,
  day: string,
  options: FetchOptions,
  policy: HttpPolicy,
  inTurn: <T>(fn: () => Promise<T>) => Promise<T>,
): Promise<DayReport> {
  const url = dayUrl(options.baseUrl, day);
  const validators = await inTurn(() => storedValidators(sql, day, url));
  const answer = await getDay(url, validators, policy, options.signal);
  const base = { date: day, url, attempts: answer.attempts };
  if (answer.status === "failed") return { ...base, status: "failed", error: answer.error };
  if (answer.status === "not-modified") {
    await inTurn(() =>
      sql.execute(`UPDATE "FetchedDay" SET "checkedAt" = ? WHERE "date" = ?`, [new Date(), day]),
    );
    return { ...base, status: "unchanged" };
  }
  try {
    return await inTurn(() => ingestAnswer(sql, day, url, answer));
  } catch (error) {
    // The ingest reports a digest's own failure; this is the database failing around it.
    if (options.signal?.aborted) throw error;
    return { ...base, status: "failed", error: (error as Error).message };
  }
}

/**
 * Fetches and loads `days`, `options.concurrency` requests at a time; answers are loaded one at a
 * time, as they arrive. Resolves with a report of every day
 * (oldest first); rejects only when `options.signal` is aborted.
 */
export async function fetchDays(
  sql: SqlClient,
  days: readonly string[],
  options: FetchOptions,
): Promise<FetchReport> {
  const started = performance.now();
  const policy: HttpPolicy = { ...DEFAULT_HTTP_POLICY };
  for (const key of Object.keys(DEFAULT_HTTP_POLICY) as (keyof HttpPolicy)[]) {
    policy[key] = options[key] ?? DEFAULT_HTTP_POLICY[key];
  }
  // Database work one piece at a time: the client is one connection on SQLite, and an answer
  // is ingested under the write lock anyway.
  let queue: Promise<unknown> = Promise.resolve();
  const inTurn = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn);
    queue = next.catch(() => {});
    return next;
  };
  const reports: DayReport[] = new Array(days.length);
  let next = 0;
  const worker = async () => {
    while (next < days.length) {
      const i = next++;
      reports[i] = await fetchDay(sql, days[i] as string, options, policy, inTurn);
    }
  };
  // All settled before returning or throwing: no worker is left writing after the caller goes on
  // (and closes the client).
  const settled = await Promise.allSettled(
    Array.from({ length: Math.min(options.concurrency, days.length) }, worker),
  );
  for (const result of settled) if (result.status === "rejected") throw result.reason;
  const count = (status: DayReport["status"]) => reports.filter((r) => r.status === status).length;
  return {
    days: reports,
    fetched: count("fetched"),
    unchanged: count("unchanged"),
    empty: count("empty"),
    failed: count("failed"),
    seconds: (performance.now() - started) / 1000,
  };
}
