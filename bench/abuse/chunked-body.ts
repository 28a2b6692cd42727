/**
 * Issue 8, item 2: bodies over the size limit sent chunked (no Content-Length, so a check of the
 * header alone lets them through). Sends `rounds` bodies of each size (default 720 KB and 20 MB),
 * `concurrency` at a time: the status each got, whether the operation ran (the answer has data),
 * how many bytes the client got to write before the server answered or closed, and how long that
 * took, while /health is probed.
 */
import { request } from "node:http";
import { type ErrorCount, inPool, type Measurements, type Target, underAttack } from "./measure.ts";

export interface ChunkedBodyOptions {
  /** Body sizes in bytes (default 720 KB and 20 MB). */
  sizes?: number[];
  /** Bodies of each size (default 5), `concurrency` at a time (default 5). */
  rounds?: number;
  concurrency?: number;
  /** The attack stops at this limit (default 120 s). */
  limitMs?: number;
}

export interface ChunkedBodyOutcome {
  bytes: number;
  /** Statuses of the answers, e.g. { "413": 5 }; "none" when the connection ended without one. */
  statuses: Record<string, number>;
  /** Answers that carried data: the operation ran. */
  executed: number;
  /** Bytes the client had written when the answer came (median). */
  writtenMedian: number;
  /** Time until the answer (median, ms). */
  msMedian: number;
}

/** One chunked POST of `bytes`: its status, whether it ran, and what the client got to write. */
function chunkedPost(url: string, bytes: number, signal: AbortSignal) {
  return new Promise<{ status: number; executed: boolean; written: number; ms: number }>(
    (resolve, reject) => {
      const started = performance.now();
      const req = request(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        agent: false,
        signal,
      });
      let written = 0;
      let answered = false;
      const head = '{"query":"{ __typename }","extensions":{"pad":"';
      const padding = Buffer.alloc(64 * 1024, " ");
      const pump = () => {
        while (!answered && written < bytes) {
          written += padding.length;
          if (!req.write(padding)) {
            req.once("drain", pump);
            return;
          }
        }
        if (!answered) req.end('"}}');
      };
      req.on("response", (res) => {
        answered = true;
        const writtenAtAnswer = written;
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => {
          text += chunk;
        });
        res.on("end", () => {
          req.destroy();
          resolve({
            status: res.statusCode ?? 0,
            executed: text.includes('"data"'),
            written: writtenAtAnswer,
            ms: performance.now() - started,
          });
        });
      });
      req.on("error", (error) => {
        if (answered) return;
        // Closed by the server before any answer: it refused to read on.
        if (
          (error as NodeJS.ErrnoException).code === "ECONNRESET" ||
          (error as NodeJS.ErrnoException).code === "EPIPE"
        ) {
          answered = true;
          resolve({ status: 0, executed: false, written, ms: performance.now() - started });
        } else reject(error);
      });
      req.write(head);
      written = head.length;
      pump();
    },
  );
}

export async function chunkedBody(
  target: Target,
  options: ChunkedBodyOptions = {},
): Promise<{ measurements: Measurements; outcomes: ChunkedBodyOutcome[] }> {
  const sizes = options.sizes ?? [720 * 1024, 20 * 1024 * 1024];
  const rounds = options.rounds ?? 5;
  const { result, measurements } = await underAttack(
    target,
    async (signal, errors: ErrorCount) => {
      const outcomes: ChunkedBodyOutcome[] = [];
      for (const bytes of sizes) {
        const answers: { status: number; executed: boolean; written: number; ms: number }[] = [];
        await inPool(rounds, options.concurrency ?? 5, signal, async () => {
          const answer = await errors.guard(chunkedPost(target.url, bytes, signal));
          if (answer) answers.push(answer);
        });
        const median = (values: number[]) =>
          [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
        const statuses: Record<string, number> = {};
        for (const answer of answers) {
          const key = answer.status ? String(answer.status) : "none";
          statuses[key] = (statuses[key] ?? 0) + 1;
        }
        outcomes.push({
          bytes,
          statuses,
          executed: answers.filter((answer) => answer.executed).length,
          writtenMedian: median(answers.map((answer) => answer.written)),
          msMedian: Math.round(median(answers.map((answer) => answer.ms))),
        });
      }
      return outcomes;
    },
    options.limitMs ?? 120_000,
  );
  return { measurements, outcomes: result };
}
