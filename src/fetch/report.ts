/** The human summary of a fetch: one line per day, then the totals. */
import type { DayReport, FetchReport } from "./run.ts";

function attempts(day: DayReport): string {
  return day.attempts > 1 ? ` (${day.attempts} attempts)` : "";
}

function describe(day: DayReport): string {
  switch (day.status) {
    case "failed":
      return `  FAILED     ${day.date}: ${day.error}`;
    case "unchanged":
      return `  unchanged  ${day.date}: not modified since the last fetch${attempts(day)}`;
    case "empty":
      return `  empty      ${day.date}: the API lists no papers for this day: nothing to load${attempts(day)}`;
    default: {
      const file = day.ingest;
      if (file.status === "skipped") {
        return `  fetched    ${day.date}: the same answer as loaded by run #${file.previousRunId}: nothing to write${attempts(day)}`;
      }
      if (file.status !== "succeeded") return `  fetched    ${day.date}: ${file.status}`;
      const kept = file.entriesKept
        ? `; ${file.entriesKept} papers of the stored day no longer listed, kept`
        : "";
      return `  fetched    ${day.date}: ${file.change}, ${file.papersTotal} papers, ${file.papersNew} new, ${file.papersUpdated} updated, ${file.papersUnchanged} unchanged${kept}${attempts(day)}`;
    }
  }
}

export function formatFetchReport(report: FetchReport): string {
  const lines = report.days.flatMap((day) => [
    describe(day),
    // The ingest's warnings (an invalid optional field, the content naming another day...).
    ...(day.status === "fetched"
      ? day.ingest.warnings.map((w) => `             warning: ${w}`)
      : []),
  ]);
  lines.push(
    `${report.days.length} day(s): ${report.fetched} fetched, ${report.unchanged} unchanged, ` +
      `${report.empty} empty, ${report.failed} failed; ${report.seconds.toFixed(2)} s`,
  );
  return lines.join("\n");
}
