/**
 * Ingest benchmark: the synthetic corpus (bench/generate.ts; 1,000 days x 100 papers by default)
 * into a fresh database of each engine, through the same code as `papergraph ingest`.
 *
 *   npm run bench -- [--days 1000] [--papers 100] [--engines sqlite,postgresql] [--before <dir>]
 *
 * `--before <dir>` loads the same corpus with another checkout's ingest code too (a git worktree
 * of an older commit: see bench/checkout.ts), interleaved, for a side-by-side comparison.
 * Reports papers/s for the first load and for a forced re-ingest (everything unchanged), and the
 * ratio of the mean time per digest over the last 10% of days to the first 10%: near 1 means the
 * cost per digest does not grow with the database, i.e. total cost is linear in the input.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Provider } from "../src/db/target.ts";
import { createTestTarget, postgresAvailable } from "../test/support/engines.ts";
import { type Code, loadCheckout } from "./checkout.ts";
import { generateCorpus } from "./generate.ts";

const { values } = parseArgs({
  options: {
    days: { type: "string", default: "1000" },
    papers: { type: "string", default: "100" },
    engines: { type: "string", default: "sqlite,postgresql" },
    before: { type: "string" },
  },
});
const days = Number(values.days);
const papers = Number(values.papers);
const dir = `bench/out/digests-${days}x${papers}`;
if (!existsSync(dir) || readdirSync(dir).length !== days) {
  console.log(`generating ${days} digests x ${papers} papers into ${dir}`);
  generateCorpus({ days, papers, textEvery: 10, out: dir });
}
const files = readdirSync(dir)
  .sort()
  .map((name) => ({ source: join(dir, name) }));

async function run(code: Code, provider: Provider) {
  const { target, drop } = await createTestTarget(provider);
  await code.upgrade(target);
  const sql = code.sql.openSqlClient(target);
  try {
    const first = await code.ingest.ingest(sql, files);
    if (first.failed > 0) throw new Error(`${first.failed} digests failed`);
    const again = await code.ingest.ingest(sql, files, { force: true });
    const tenth = Math.max(1, Math.floor(files.length / 10));
    const mean = (list: { seconds: number }[]) =>
      list.reduce((s, f) => s + f.seconds, 0) / list.length;
    const growth = mean(first.files.slice(-tenth)) / mean(first.files.slice(0, tenth));
    const total = days * papers;
    return {
      code: code.label,
      engine: provider,
      papers: total,
      loadSeconds: first.seconds,
      loadRate: Math.round(total / first.seconds),
      reingestRate: Math.round(total / again.seconds),
      growth: Number(growth.toFixed(2)),
    };
  } finally {
    await sql.close();
    await drop();
  }
}

const engines = values.engines.split(",") as Provider[];
const codes = [await loadCheckout("this checkout", ".")];
if (values.before) codes.push(await loadCheckout("before", values.before));
const results = [];
for (const engine of engines) {
  if (engine === "postgresql" && !postgresAvailable) {
    console.log("postgresql: skipped (no server answers; set TEST_POSTGRES_URL)");
    continue;
  }
  for (const code of codes) {
    console.log(`${engine}, ${code.label}: ingesting ${files.length} digests...`);
    results.push(await run(code, engine));
  }
}
console.log(
  "\n| code | engine | papers | first load | papers/s | re-ingest papers/s | last/first 10% per digest |",
);
console.log("|---|---|---|---|---|---|---|");
for (const r of results) {
  console.log(
    `| ${r.code} | ${r.engine} | ${r.papers} | ${r.loadSeconds.toFixed(1)} s | ${r.loadRate} | ${r.reingestRate} | ${r.growth} |`,
  );
}
