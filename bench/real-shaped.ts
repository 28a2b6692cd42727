/**
 * Real-shaped directory benchmark: 580 daily Daily Papers API files of ~17 papers each, shaped
 * like two years of the real feed (May 2024 to August 2026, weekdays only), through the same code
 * as `papergraph ingest <dir>`, into a fresh database of each engine. Small files are the real
 * case, where the cost per file (not per paper) decides.
 *
 *   npx tsx bench/real-shaped.ts [--engines sqlite,postgresql] [--before <checkout>] [--runs 3]
 *
 * The files follow the real field history (see test/fixtures/README.md): before 2024-06-12 items
 * have `mediaUrl` and no thumbnail, submittedBy or discussionId; `submittedBy` from 2024-06-13;
 * `discussionId` from 2024-08-02; items submitted the evening before (UTC) from December 2024;
 * `submittedOnDailyAt`, `ai_keywords`, `githubRepo`/`projectPage` from March 2025; `ai_summary`
 * from May 2025; `githubStars` from June 2025; `organization` from October 2025; hard-wrapped
 * titles and abstracts until November 2025. About 8% of a day's papers were listed on an earlier
 * day too. Deterministic: the same bytes every time.
 *
 * `--before <checkout>` runs the same files through another checkout's ingest code (e.g. a git
 * worktree of an older commit) in the same run, interleaved, for a side-by-side comparison.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { Provider } from "../src/db/target.ts";
import { createTestTarget, postgresAvailable } from "../test/support/engines.ts";
import { type Code, loadCheckout } from "./checkout.ts";
import { random } from "./generate.ts";
import { authorPool } from "./names.ts";

const VOCABULARY =
  "learning model language vision diffusion graph agent reasoning benchmark transformer scaling efficient robust multimodal retrieval alignment reward policy token attention memory video audio code math data synthetic evaluation instruction generalization sparse dense latent contrastive self-supervised quantized Qwen2.5-7B GPT-4o LLaMA-3.1 2D/3D U-Net naïve Schrödinger".split(
    " ",
  );

const DAY_MS = 86_400_000;

/** Wraps text at ~80 columns with `\n` (what the API did until November 2025). */
function hardWrap(text: string, indent = ""): string {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + word.length > 78) {
      out.push(line);
      line = indent + word;
    } else line = line ? `${line} ${word}` : word;
  }
  out.push(line);
  return out.join("\n");
}

export function generateRealShaped(out: string): string[] {
  const rand = random(2024);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)] as T;
  const words = (n: number) => Array.from({ length: n }, () => pick(VOCABULARY)).join(" ");
  const people = authorPool(30_000, rand);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const files: string[] = [];
  const seen: {
    id: string;
    title: string;
    summary: string;
    authors: string[];
    published: string;
  }[] = [];
  let counter = 0;
  for (let t = Date.UTC(2024, 4, 27); files.length < 580; t += DAY_MS) {
    const day = new Date(t);
    if (day.getUTCDay() === 0 || day.getUTCDay() === 6) continue;
    const date = day.toISOString().slice(0, 10);
    const wrapped = date < "2025-11-13";
    const count = 10 + Math.floor(rand() * 15);
    const listed = new Set<string>();
    const items = Array.from({ length: count }, (_, rank) => {
      const again = seen.length > 50 && rand() < 0.08 ? pick(seen) : null;
      const base =
        again && !listed.has(again.id)
          ? again
          : (() => {
              counter++;
              const published = new Date(t - (1 + Math.floor(rand() * 4)) * DAY_MS);
              const yymm = date.slice(2, 4) + date.slice(5, 7);
              const paper = {
                id: `${yymm}.${String(counter % 100_000).padStart(5, "0")}`,
                title: `${words(4)} ${counter}: ${words(5)}`.replace(/^./, (c) => c.toUpperCase()),
                summary: `${words(150)}. Code at https://github.com/lab${counter % 97}/p${counter}.`,
                authors: Array.from({ length: 2 + Math.floor(rand() * 12) }, () => pick(people)),
                published: published.toISOString(),
              };
              seen.push(paper);
              return paper;
            })();
      listed.add(base.id);
      const submitted = new Date(
        date >= "2024-12-02" && date < "2025-03-11"
          ? t - 2 * 3_600_000 + Math.floor(rand() * 12 * 3_600_000)
          : t + Math.floor(rand() * 9 * 3_600_000),
      ).toISOString();
      const paper: Record<string, unknown> = {
        id: base.id,
        authors: base.authors.map((name, i) => ({
          _id: `${base.id}-${i}`,
          name,
          hidden: false,
          ...(i === 0 && rand() < 0.3
            ? { status: "claimed_verified", user: { _id: "u", user: `user${i}`, fullname: name } }
            : {}),
        })),
        publishedAt: base.published,
        title: wrapped ? hardWrap(base.title, "  ") : base.title,
        summary: wrapped ? hardWrap(base.summary) : base.summary,
        upvotes: Math.max(0, 60 - rank * 3 + Math.floor(rand() * 10)),
      };
      const item: Record<string, unknown> = {
        paper,
        publishedAt: submitted,
        title: base.title,
        numComments: Math.floor(rand() * 5),
      };
      if (date < "2024-06-12") item.mediaUrl = `https://cdn.example/${base.id}.png`;
      else item.thumbnail = `https://cdn.example/${base.id}.png`;
      if (date >= "2024-06-13" && !(date >= "2025-03-11" && date < "2025-03-17")) {
        item.submittedBy = { name: `user${counter % 300}`, fullname: `User ${counter % 300}` };
      }
      if (date >= "2024-08-02") paper.discussionId = `d${base.id}`;
      if (date >= "2025-03-17") paper.submittedOnDailyAt = submitted;
      if (date >= "2025-03-11") paper.ai_keywords = words(6).split(" ");
      if (date >= "2025-03-04" && rand() < 0.5)
        paper.githubRepo = `https://github.com/x/${base.id}`;
      if (date >= "2025-03-04" && rand() < 0.3)
        paper.projectPage = `https://x.github.io/${base.id}/`;
      if (date >= "2025-05-22") paper.ai_summary = words(30);
      if (date >= "2025-06-25" && paper.githubRepo) paper.githubStars = Math.floor(rand() * 900);
      if (date >= "2025-10-03" && rand() < 0.6) {
        const organization = {
          _id: "o",
          name: `org${counter % 40}`,
          fullname: `Org ${counter % 40}`,
        };
        item.organization = organization;
        paper.organization = organization;
      }
      return item;
    });
    const file = join(out, `${date}.json`);
    writeFileSync(file, JSON.stringify(items, null, 2));
    files.push(file);
  }
  return files;
}

async function runOnce(code: Code, provider: Provider, files: string[]) {
  const { target, drop } = await createTestTarget(provider);
  await code.upgrade(target);
  const client = code.sql.openSqlClient(target);
  try {
    const started = performance.now();
    const report = await code.ingest.ingest(
      client,
      files.map((source) => ({ source })),
    );
    const seconds = (performance.now() - started) / 1000;
    const loaded = report.files.reduce(
      (n, f) => n + ("papersTotal" in f ? (f as { papersTotal: number }).papersTotal : 0),
      0,
    );
    return { seconds, failed: report.failed, loaded };
  } finally {
    await client.close();
    await drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      engines: { type: "string", default: "sqlite,postgresql" },
      before: { type: "string" },
      runs: { type: "string", default: "3" },
      out: { type: "string", default: "bench/out/real-shaped" },
    },
  });
  const out = values.out;
  if (!existsSync(out) || readdirSync(out).length !== 580) generateRealShaped(out);
  const files = readdirSync(out)
    .sort()
    .map((name) => join(out, name));
  const codes = [await loadCheckout("this checkout", ".")];
  if (values.before) codes.push(await loadCheckout("before", values.before));
  const engines = (values.engines.split(",") as Provider[]).filter(
    (e) => e !== "postgresql" || postgresAvailable,
  );
  const results = new Map<string, { seconds: number[]; failed: number; loaded: number }>();
  for (let run = 0; run < Number(values.runs); run++) {
    for (const engine of engines) {
      for (const code of codes) {
        const r = await runOnce(code, engine, files);
        const key = `${code.label}|${engine}`;
        const entry = results.get(key) ?? { seconds: [], failed: r.failed, loaded: r.loaded };
        entry.seconds.push(r.seconds);
        results.set(key, entry);
        console.log(
          `${code.label} ${engine}: ${r.seconds.toFixed(2)} s, ${r.loaded} papers, ${r.failed} files failed`,
        );
      }
    }
  }
  console.log(`\n${files.length} files; median of ${values.runs} interleaved runs\n`);
  console.log("| code | engine | files failed | papers loaded | seconds | papers/s |");
  console.log("|---|---|---|---|---|---|");
  for (const [key, r] of results) {
    const [label, engine] = key.split("|");
    const median = [...r.seconds].sort((a, b) => a - b)[Math.floor(r.seconds.length / 2)] as number;
    console.log(
      `| ${label} | ${engine} | ${r.failed} | ${r.loaded} | ${median.toFixed(2)} | ${Math.round(r.loaded / median)} |`,
    );
  }
}
