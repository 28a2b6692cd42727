/**
 * Writes a synthetic digest corpus: `days` consecutive days of `papers` papers each, as Daily
 * Papers API JSON, with every `textEvery`-th day as page text instead. About 10% of each day's
 * papers already appeared the day before (with more upvotes), as on the real feed, so the ingest
 * has to dedupe. Authors come from a pool of 20,000 people with realistic names (bench/names.ts).
 * Deterministic: the same arguments give the same bytes.
 *
 *   npx tsx bench/generate.ts [--days 1000] [--papers 100] [--text-every 10] [--out bench/out/digests]
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { authorPool } from "./names.ts";

export interface CorpusOptions {
  days: number;
  papers: number;
  textEvery: number;
  out: string;
}

/** mulberry32: a small, fast, seedable PRNG (benchmarks and tests replay the same data). */
export function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS =
  "learning model language vision diffusion graph agent reasoning benchmark transformer scaling efficient robust multimodal retrieval alignment reward policy token attention memory video audio code math data synthetic evaluation instruction generalization sparse dense latent contrastive self-supervised federated quantized".split(
    " ",
  );
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

interface Paper {
  n: number;
  arxivId: string;
  title: string;
  abstract: string;
  authors: string[];
  publishedAt: Date;
  upvotes: number;
}

export function generateCorpus({ days, papers, textEvery, out }: CorpusOptions): string[] {
  const rand = random(42);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)] as T;
  // A vocabulary like real abstracts': the field's common words plus 5,000 rarer made-up terms,
  // drawn with a Zipf-like skew (a full-text index behaves very differently on 30 words).
  const syllables = ["ra", "to", "mi", "ne", "ko", "lu", "sa", "ve", "di", "po", "qua", "zen"];
  const rare = Array.from({ length: 5_000 }, (_, i) =>
    [i % 12, Math.floor(i / 12) % 12, Math.floor(i / 144) % 12, 1 + (i % 7)]
      .map((k, j) => (j < 3 ? syllables[k] : String(k)))
      .join(""),
  );
  const word = () =>
    rand() < 0.5 ? pick(WORDS) : (rare[Math.floor(rare.length * rand() ** 2)] as string);
  const words = (n: number) => Array.from({ length: n }, word).join(" ");
  const people = authorPool(20_000, rand);
  let counter = 0;
  const newPaper = (day: Date): Paper => {
    counter += 1;
    const published = new Date(day.getTime() - Math.floor(rand() * 5) * 86_400_000);
    const yymm = `${String(published.getUTCFullYear()).slice(2)}${String(published.getUTCMonth() + 1).padStart(2, "0")}`;
    const title = `${words(3)} ${counter} ${words(4)}`.replace(/^./, (c) => c.toUpperCase());
    return {
      n: counter,
      arxivId: `${yymm}.${String(counter).padStart(5, "0")}`,
      title,
      abstract: `${words(140)}. Code: https://github.com/lab${counter % 97}/project-${counter}.`,
      authors: Array.from(
        { length: 3 + Math.floor(rand() * 10) },
        () => people[Math.floor(rand() * people.length)] as string,
      ),
      publishedAt: published,
      upvotes: Math.floor(rand() * 50),
    };
  };

  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const files: string[] = [];
  let yesterday: Paper[] = [];
  const start = Date.UTC(2022, 0, 1);
  for (let d = 0; d < days; d++) {
    const day = new Date(start + d * 86_400_000);
    const date = day.toISOString().slice(0, 10);
    const asText = textEvery > 0 && d % textEvery === textEvery - 1;
    // Page-text days carry no arXiv ids; keep them to new papers so every digest stands alone.
    const repeats = asText ? [] : yesterday.filter(() => rand() < 0.1);
    const list = [
      ...repeats.map((p) => ({ ...p, upvotes: p.upvotes + 1 + Math.floor(rand() * 20) })),
      ...Array.from({ length: papers - repeats.length }, () => newPaper(day)),
    ].sort((a, b) => b.upvotes - a.upvotes);
    yesterday = list;
    const file = join(out, `${date}.${asText ? "txt" : "json"}`);
    writeFileSync(file, asText ? pageText(day, list) : apiJson(day, list));
    files.push(file);
  }
  return files;
}

function pageText(day: Date, list: Paper[]): string {
  const md = (d: Date) => `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}`;
  const head = `new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\nbyAK and the research community\n\n${md(day)}\n\n`;
  return (
    head +
    list
      .map(
        (p) =>
          `${p.title}\n\n${p.abstract}\n\n  • ${p.authors.length} authors\n·\n${md(p.publishedAt)}, ${p.publishedAt.getUTCFullYear()}${p.upvotes ? ` ${p.upvotes}` : ""}\n`,
      )
      .join("\n")
  );
}

function apiJson(day: Date, list: Paper[]): string {
  return JSON.stringify(
    list.map((p) => ({
      paper: {
        id: p.arxivId,
        authors: p.authors.map((name, i) => ({ _id: `a${p.n}-${i}`, name, hidden: false })),
        publishedAt: p.publishedAt.toISOString(),
        title: p.title,
        summary: p.abstract,
        upvotes: p.upvotes,
        discussionId: `d${p.n}`,
      },
      publishedAt: new Date(day.getTime() + 3_600_000).toISOString(),
      title: p.title,
      thumbnail: `https://example.org/thumbnails/${p.arxivId}.png`,
      numComments: p.n % 7,
      submittedBy: { name: `user${p.n % 300}`, fullname: `User ${p.n % 300}` },
    })),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      days: { type: "string", default: "1000" },
      papers: { type: "string", default: "100" },
      "text-every": { type: "string", default: "10" },
      out: { type: "string", default: "bench/out/digests" },
    },
  });
  const files = generateCorpus({
    days: Number(values.days),
    papers: Number(values.papers),
    textEvery: Number(values["text-every"]),
    out: values.out,
  });
  console.log(`wrote ${files.length} digests to ${values.out}`);
}
