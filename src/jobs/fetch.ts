/**
 * The scheduled fetch: today (UTC) and the FETCH_REFETCH_DAYS days before it, since a day's
 * upvotes and listing keep changing for days after it is published. Logs one line of totals,
 * an error line naming each day that failed.
 */
import { openSqlClient } from "../db/sql.ts";
import { fetchDays, recentDays, utcDay } from "../fetch/run.ts";
import type { JobContext } from "./registry.ts";

export async function runFetchJob({ config, log, signal }: JobContext): Promise<void> {
  const days = recentDays(utcDay(new Date()), config.fetch.refetchDays);
  const sql = openSqlClient(config.database);
  try {
    const report = await fetchDays(sql, days, { ...config.fetch, signal });
    const totals = {
      job: "fetch",
      days: days.length,
      fetched: report.fetched,
      unchanged: report.unchanged,
      empty: report.empty,
      failed: report.failed,
      seconds: Number(report.seconds.toFixed(2)),
    };
    if (report.failed === 0) {
      log.info(totals, "fetched the Daily Papers API");
    } else {
      const failures = report.days.flatMap((d) =>
        d.status === "failed" ? [`${d.date}: ${d.error}`] : [],
      );
      log.error({ ...totals, failures }, "some days could not be fetched");
    }
  } finally {
    await sql.close();
  }
}
