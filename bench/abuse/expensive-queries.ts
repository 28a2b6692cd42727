/**
 * Issue 8, item 3: cheap-looking, expensive operations. Sends, `rounds` times each and one at a
 * time, 30 aliases of `papers(first: 1, filter: { author: "eN" }) { totalCount }` and 28 aliases of
 * `topAuthors` (each over another month), then one client repeats a filtered count as fast as it
 * is answered for `drainSeconds`: how long each took, what it got back, how many of the repeated
 * ones ran before the budget refused them, while /health is probed (on SQLite a long statement
 * stalls the event loop, and /health with it). Meant for the benchmark corpus (bench/api.ts:
 * 100,000 papers, 2022-01-01 to 2024-09-26).
 */
import { type ErrorCount, type Measurements, type Target, underAttack } from "./measure.ts";

export interface ExpensiveQueriesOptions {
  /** Each aliased operation is sent this many times (default 3). */
  rounds?: number;
  /** The repeated filtered count runs this long (default 10 s), `drainConcurrency` at a time (4). */
  drainSeconds?: number;
  drainConcurrency?: number;
  /** The attack stops at this limit (default 180 s). */
  limitMs?: number;
}

export interface OperationOutcome {
  name: string;
  /** One entry per round: status, time (ms), and the error code when refused. */
  answers: { status: number; ms: number; code: string | null }[];
}

export interface ExpensiveQueriesResult {
  measurements: Measurements;
  operations: OperationOutcome[];
  drain: { ran: number; refused: number; other: number; firstRefusalAfter: number | null };
}

const AUTHOR_COUNTS = `{ ${Array.from(
  { length: 30 },
  (_, i) => `a${i}: papers(first: 1, filter: { author: "e${i}" }) { totalCount }`,
).join(" ")} }`;

const TOP_AUTHORS = `{ ${Array.from({ length: 28 }, (_, i) => {
  const month = new Date(Date.UTC(2022, i, 1));
  const end = new Date(Date.UTC(2022, i + 1, 0));
  const day = (d: Date) => d.toISOString().slice(0, 10);
  return `t${i}: topAuthors(from: "${day(month)}", to: "${day(end)}") { papers upvotes }`;
}).join(" ")} }`;

const FILTERED_COUNT = `{ papers(first: 1, filter: { author: "a" }) { totalCount } }`;

async function post(url: string, query: string, signal: AbortSignal) {
  const started = performance.now();
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query }),
    signal,
  });
  const json = (await response.json()) as {
    data?: unknown;
    errors?: { extensions?: { code?: string } }[];
  };
  return {
    status: response.status,
    ms: Math.round(performance.now() - started),
    code: json.errors?.[0]?.extensions?.code ?? null,
    ran: json.data !== undefined && json.data !== null,
  };
}

export async function expensiveQueries(
  target: Target,
  options: ExpensiveQueriesOptions = {},
): Promise<ExpensiveQueriesResult> {
  const rounds = options.rounds ?? 3;
  const { result, measurements } = await underAttack(
    target,
    async (signal, errors: ErrorCount) => {
      const operations: OperationOutcome[] = [];
      for (const [name, query] of [
        ["30 aliases of an author-filtered count", AUTHOR_COUNTS],
        ["28 aliases of topAuthors (a month each)", TOP_AUTHORS],
      ] as const) {
        const answers: OperationOutcome["answers"] = [];
        for (let round = 0; round < rounds && !signal.aborted; round++) {
          const answer = await errors.guard(post(target.url, query, signal));
          if (answer) answers.push({ status: answer.status, ms: answer.ms, code: answer.code });
        }
        operations.push({ name, answers });
      }
      const drain = { ran: 0, refused: 0, other: 0, firstRefusalAfter: null as number | null };
      const until = Date.now() + (options.drainSeconds ?? 10) * 1000;
      const worker = async () => {
        while (Date.now() < until && !signal.aborted) {
          const answer = await errors.guard(post(target.url, FILTERED_COUNT, signal));
          if (!answer) continue;
          if (answer.ran) drain.ran += 1;
          else if (answer.status === 429) {
            drain.refused += 1;
            drain.firstRefusalAfter ??= drain.ran;
          } else drain.other += 1;
        }
      };
      await Promise.all(Array.from({ length: options.drainConcurrency ?? 4 }, worker));
      return { operations, drain };
    },
    options.limitMs ?? 180_000,
  );
  return { measurements, ...result };
}
