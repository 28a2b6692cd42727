/**
 * Issue 8, item 1: metrics cardinality. Sends `requests` operations, each with a name of its own,
 * half of them as GET with a query string of its own, then scrapes /metrics (with the token, if
 * given) while /health is probed: how large the scrape grew, how long it took, how many label
 * values the operation names left, and what the server's memory did.
 */
import { type ErrorCount, inPool, type Measurements, type Target, underAttack } from "./measure.ts";

export interface MetricsCardinalityOptions {
  /** Operations sent (default 20,000), `concurrency` at a time (default 20). */
  requests?: number;
  concurrency?: number;
  /** Where /metrics is served (default: the API's host and port) and its token, if any. */
  metricsUrl?: string;
  metricsToken?: string;
  /** The attack stops at this limit (default 120 s). */
  limitMs?: number;
}

export interface MetricsCardinalityResult {
  measurements: Measurements;
  sent: number;
  /** The scrape without credentials: its status (200 when /metrics is public). */
  anonymousScrapeStatus: number;
  scrapeStatus: number;
  scrapeBytes: number;
  scrapeMs: number;
  /** /health's worst latency while the scrape ran, in ms. */
  healthDuringScrapeMs: number;
  /** Distinct values of operation-name labels in the scrape. */
  operationLabels: number;
}

export async function metricsCardinality(
  target: Target,
  options: MetricsCardinalityOptions = {},
): Promise<MetricsCardinalityResult> {
  const requests = options.requests ?? 20_000;
  const metricsUrl = options.metricsUrl ?? new URL("/metrics", target.url).toString();
  const { result, measurements } = await underAttack(
    target,
    async (signal, errors: ErrorCount) => {
      const sent = await inPool(requests, options.concurrency ?? 20, signal, async (i) => {
        const name = `Attack${i}_${Math.random().toString(36).slice(2)}`;
        const request =
          i % 2 === 0
            ? fetch(target.url, {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify({ query: `query ${name} { __typename }` }),
                signal,
              })
            : fetch(
                `${target.url}?query=${encodeURIComponent(`query ${name} { __typename }`)}&nonce=${i}`,
                { signal },
              );
        await errors.guard(request.then((response) => response.arrayBuffer()));
      });
      const anonymous = await errors.guard(fetch(metricsUrl, { signal }));
      await anonymous?.arrayBuffer();
      // The scrape, with /health probed alongside it.
      let scraping = true;
      let healthDuringScrapeMs = 0;
      const probe = (async () => {
        while (scraping) {
          const started = performance.now();
          await errors.guard(
            fetch(new URL("/health", target.url), { signal }).then((r) => r.text()),
          );
          healthDuringScrapeMs = Math.max(healthDuringScrapeMs, performance.now() - started);
        }
      })();
      const started = performance.now();
      const scrape = await errors.guard(
        fetch(metricsUrl, {
          headers: options.metricsToken ? { authorization: `Bearer ${options.metricsToken}` } : {},
          signal,
        }),
      );
      const text = (await scrape?.text()) ?? "";
      const scrapeMs = Math.round(performance.now() - started);
      scraping = false;
      await probe;
      const operations = new Set(
        [...text.matchAll(/operation(?:Name)?="([^"]*)"/g)].map((match) => match[1]),
      );
      return {
        sent,
        anonymousScrapeStatus: anonymous?.status ?? 0,
        scrapeStatus: scrape?.status ?? 0,
        scrapeBytes: Buffer.byteLength(text),
        scrapeMs,
        healthDuringScrapeMs: Math.round(healthDuringScrapeMs),
        operationLabels: operations.size,
      };
    },
    options.limitMs ?? 120_000,
  );
  return { measurements, ...result };
}
