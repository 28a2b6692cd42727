/** The human summary of an ingest (of a dry run too: it reports what the real run would do). */
import type { FileReport, IngestReport } from "./run.ts";

/** Files listed one by one when there are at most this many (failures and skips always are). */
const LIST_ALL_UP_TO = 20;

function describe(file: FileReport): string {
  const where = `${file.source}${file.date ? ` (${file.date})` : ""}`;
  switch (file.status) {
    case "failed":
      return `  FAILED     ${file.error}`;
    case "skipped":
      return `  skipped    ${where}: already ingested by run #${file.previousRunId}, nothing changed (--force to ingest again)`;
    case "empty":
      return `  empty      ${where}: lists no papers (the API's answer for weekends and holidays): nothing to load`;
    default: {
      const kept = file.entriesKept
        ? `; ${file.entriesKept} papers of the stored day were not in this digest and were kept`
        : "";
      const into = file.listName ? ` -> list "${file.listName}"` : "";
      return `  ${file.change.padEnd(9)}  ${where}${into}: ${file.papersTotal} papers, ${file.papersNew} new, ${file.papersUpdated} updated, ${file.papersUnchanged} unchanged${kept}`;
    }
  }
}

export function formatReport(report: IngestReport, verbose = false): string {
  const lines: string[] = [];
  if (report.dryRun) lines.push("dry run: what the ingest would do; nothing was written");
  for (const file of report.files) {
    if (
      verbose ||
      report.files.length <= LIST_ALL_UP_TO ||
      file.status === "failed" ||
      file.status === "skipped" ||
      file.listName ||
      file.warnings.length > 0 ||
      ("entriesKept" in file && file.entriesKept > 0)
    ) {
      lines.push(describe(file));
      for (const warning of file.warnings) lines.push(`             warning: ${warning}`);
    }
  }
  const changes = (change: string) =>
    report.files.filter((f) => "change" in f && f.change === change).length;
  const lists = report.lists ? `${report.lists} list(s); ` : "";
  const empty = report.empty ? `, ${report.empty} empty` : "";
  const warnings = report.warnings ? `; ${report.warnings} warning(s)` : "";
  lines.push(
    `${report.dryRun ? "dry run: " : ""}${report.files.length} digest(s): ` +
      `${changes("written")} written, ${changes("updated")} updated, ${changes("unchanged")} unchanged, ` +
      `${report.skipped} skipped${empty}, ${report.failed} failed; ` +
      `${report.days} day(s); ${lists}papers ${report.papersNew} new, ${report.papersUpdated} updated, ` +
      `${report.papersUnchanged} unchanged${warnings}; ${report.seconds.toFixed(2)} s`,
  );
  return lines.join("\n");
}
