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

export interface ChunkedPost {
  /** The status, or 0 when the connection was reset before an answer could be read. */
  status: number;
  /** The answer's body ("" without one). */
  text: string;
  /** Bytes the client had written when the answer came (or the connection closed). */
  written: number;
  ms: number;
}

/**
 * A POST whose body is sent chunked (no Content-Length), `bytes` long: a JSON document whose
 * `query` is `query`, padded with spaces, written `chunkBytes` at a time as fast as the server
 * reads; writing stops once the server has answered or closed the connection (a server that stops
 * reading closes with data unread, which the client sees as a reset: status 0).
 */
export function chunkedPost(options: {
  url: string;
  bytes: number;
  query?: string;
  token?: string;
  chunkBytes?: number;
  signal?: AbortSignal;
}): Promise<ChunkedPost> {
  const { url, bytes, query = "{ __typename }", token, chunkBytes = 64 * 1024, signal } = options;
  return new Promise<ChunkedPost>((resolve, reject) => {
    const started = performance.now();
    const req = request(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      agent: false,
      signal,
    });
    let written = 0;
    let answered = false;
    const head = `{"query":${JSON.stringify(query)},"extensions":{"pad":"`;
    const padding = Buffer.alloc(chunkBytes, " ");
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
          text,
          written: writtenAtAnswer,
          ms: performance.now() - started,
        });
      });
      res.on("error", reject);
    });
    req.on("error", (error) => {
      if (answered) return;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ECONNRESET" || code === "EPIPE") {
        answered = true;
        resolve({ status: 0, text: "", written, ms: performance.now() - started });
      } else reject(error);
    });
    req.write(head);
    written = head.length;
    pump();
  });
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
        const answers: (ChunkedPost & { executed: boolean })[] = [];
        await inPool(rounds, options.concurrency ?? 5, signal, async () => {
          const answer = await errors.guard(chunkedPost({ url: target.url, bytes, signal }));
          if (answer) answers.push({ ...answer, executed: answer.text.includes('"data"') });
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
