/**
 * One day's GET from the Daily Papers API, politely: a time limit per attempt, a bound on the
 * answer's size, conditional requests (the validators of the last answer: a 304 means unchanged),
 * and retries with exponential backoff on 429, 5xx and broken connections, honouring Retry-After
 * up to a bound (a server asking for more is a failure of that day, not a stalled run).
 */

export interface Validators {
  etag: string | null;
  lastModified: string | null;
}

export interface HttpPolicy {
  /** Time limit of one attempt, answer body included. */
  timeoutMs: number;
  /** Attempts in all (the first and the retries). */
  attempts: number;
  /** The first retry's wait; each retry waits twice the one before (plus up to 25% jitter). */
  backoffMs: number;
  /** The longest Retry-After honoured; a server asking for longer fails the day at once. */
  maxRetryAfterMs: number;
  /** The largest answer read; a larger one fails the day without being read to the end. */
  maxBytes: number;
}

export type DayAnswer =
  | ({ status: "ok"; bytes: Buffer; attempts: number } & Validators)
  | { status: "not-modified"; attempts: number }
  | { status: "failed"; error: string; attempts: number };

/** What one attempt gave: an answer to keep, or why it failed and whether trying again may help. */
type Attempt = DayAnswer | { status: "retry"; error: string; waitMs?: number };

/** Statuses worth trying again: rate limited, or the server's own trouble. */
function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

/** Retry-After in milliseconds (delta-seconds or an HTTP date); undefined when absent or invalid. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The body, read up to `maxBytes`: a longer one is cut off (and refused) as soon as it is. */
async function readBounded(response: Response, maxBytes: number): Promise<Buffer | null> {
  const declared = Number(response.headers.get("content-length"));
  if (declared > maxBytes) {
    await response.body?.cancel();
    return null;
  }
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks);
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
}

/** Why a fetch threw, in one line: the time limit, a cut connection, a refused one... */
function failure(error: unknown, timeoutMs: number): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err.name === "TimeoutError") return `no complete answer within ${timeoutMs} ms`;
  const cause = err.cause?.code ?? err.cause?.message;
  return cause ? `${err.message} (${cause})` : err.message;
}

async function attempt(
  url: string,
  validators: Validators | null,
  policy: HttpPolicy,
  signal: AbortSignal | undefined,
): Promise<Attempt> {
  const timeout = AbortSignal.timeout(policy.timeoutMs);
  const headers: Record<string, string> = { accept: "application/json" };
  if (validators?.etag) headers["if-none-match"] = validators.etag;
  if (validators?.lastModified) headers["if-modified-since"] = validators.lastModified;
  try {
    const response = await fetch(url, {
      headers,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      redirect: "follow",
    });
    if (response.status === 304) {
      await response.body?.cancel();
      return { status: "not-modified", attempts: 0 };
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      const error = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
      if (!retryable(response.status)) return { status: "failed", error, attempts: 0 };
      const waitMs = retryAfterMs(response.headers.get("retry-after"));
      if (waitMs !== undefined && waitMs > policy.maxRetryAfterMs) {
        return {
          status: "failed",
          error: `${error}, Retry-After ${Math.ceil(waitMs / 1000)} s: more than the ${policy.maxRetryAfterMs / 1000} s waited at most`,
          attempts: 0,
        };
      }
      return { status: "retry", error, waitMs };
    }
    let bytes: Buffer | null;
    try {
      bytes = await readBounded(response, policy.maxBytes);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const why = failure(error, policy.timeoutMs);
      const timedOut = (error as Error).name === "TimeoutError";
      return {
        status: "retry",
        error: timedOut ? why : `the answer broke off before its end: ${why}`,
      };
    }
    if (!bytes) {
      return {
        status: "failed",
        error: `the answer is larger than ${policy.maxBytes} bytes`,
        attempts: 0,
      };
    }
    return {
      status: "ok",
      bytes,
      etag: response.headers.get("etag"),
      lastModified: response.headers.get("last-modified"),
      attempts: 0,
    };
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    return { status: "retry", error: failure(error, policy.timeoutMs) };
  }
}

/** Waits `ms`, or rejects as soon as `signal` is aborted. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * GETs `url`, trying again on 429, 5xx, a timeout or a broken answer (a truncated body is one:
 * the connection ends before the length it announced). Rejects only when `signal` is aborted.
 */
export async function getDay(
  url: string,
  validators: Validators | null,
  policy: HttpPolicy,
  signal?: AbortSignal,
): Promise<DayAnswer> {
  let last = "";
  for (let n = 1; n <= policy.attempts; n++) {
    const result = await attempt(url, validators, policy, signal);
    if (result.status !== "retry") return { ...result, attempts: n };
    last = result.error;
    if (n === policy.attempts) break;
    const backoff = policy.backoffMs * 2 ** (n - 1) * (1 + Math.random() / 4);
    await sleep(result.waitMs ?? backoff, signal);
  }
  return {
    status: "failed",
    error: `${last} (gave up after ${policy.attempts} attempts)`,
    attempts: policy.attempts,
  };
}
