/**
 * One definition of a word on both engines. A corpus of awkward titles and abstracts (dotted
 * versions, slashes, hyphens, accents, Greek, CJK, LaTeX, ligatures) and author names goes through
 * the real ingest into every engine; each search and author filter must give the same papers on
 * every engine, and exactly the papers a brute-force oracle finds. The oracle implements the rule
 * README states ("Search: the word rule") with regular expressions over the folded text,
 * independently of how src/search builds the engines' index and queries; it shares only `fold`
 * and `plainLatex`, whose own behaviour the unit tests at the end pin down with examples.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Provider } from "../src/db/target.ts";
import { fold, plainLatex, words } from "../src/search/words.ts";
import type { Server } from "../src/server.ts";
import { post, serverFor } from "./support/api.ts";
import { createTestDatabase, ENGINES, type TestDatabase } from "./support/engines.ts";
import { ingestBytes } from "./support/ingest.ts";

/** Titles and abstracts as real digests write them (most titles are real papers'). */
const CORPUS: { title: string; abstract: string; authors: string[] }[] = [
  {
    title: "Qwen2.5-Coder Technical Report",
    abstract: "We release Qwen2.5-Coder-7B-Instruct and compare it with Qwen2-VL and GPT-4o.",
    authors: ["Binyuan Hui", "Jian Yang"],
  },
  {
    title: "Qwen2.5-VL Technical Report",
    abstract: "A vision-language model; see https://github.com/QwenLM/Qwen2.5-VL.",
    authors: ["Shuai Bai"],
  },
  {
    title: "Gemini 2.5: Pushing the Frontier with Advanced Reasoning",
    abstract: "Gemini 2.5 Pro and 2.5 Flash; a 12.5% gain over version 2.50 of the baseline.",
    authors: ["Gemini Team"],
  },
  {
    title: "Unified 2D/3D Perception with U-Net/Transformer Hybrids",
    abstract: "We bridge 2D and 3D: U-Net encoders meet Transformer decoders (2D/3D-aware).",
    authors: ["Łukasz Kaiser", "Ahmet Üstün"],
  },
  {
    title:
      "$\\textbf{Only-IF}$:Revealing the Decisive Effect of Instruction Diversity on Generalization",
    abstract:
      "Generalization emerges only when data is diversified; fine-tuning of $textbf{specialist} and textbf{generalist}$ models.",
    authors: ["Dylan Zhang", "Justin Wang", "Francois Charton"],
  },
  {
    title: "$\\text{Transformer}^2$: Self-adaptive LLMs",
    abstract:
      "Self-adaptive large language models adjust their weights with $\\alpha$-scaled vectors.",
    authors: ["Qi Sun", "Edoardo Cetin", "Yujin Tang"],
  },
  {
    title: "LLM$\\times$MapReduce: Simplified Long-Sequence Processing using Large Language Models",
    abstract: "Divide-and-conquer over long texts; O(n^2) attention avoided.",
    authors: ["Zihan Zhou"],
  },
  {
    title: "The Era of 1-bit LLMs: All Large Language Models are in 1.58 Bits",
    abstract: "BitNet b1.58 uses ternary weights {-1, 0, 1}.",
    authors: ["Shuming Ma", "Furu Wei"],
  },
  {
    title: "π0: A Vision-Language-Action Flow Model for General Robot Control",
    abstract:
      "Robot foundation model; μP-style transfer of the δ-parametrisation, Δ-Net and ΣΟΦΟΣ.",
    authors: ["Kevin Black", "Sergey Levine"],
  },
  {
    title: "Naïve Bayes Meets Large Language Models",
    abstract: "A naive baseline, a NAÏVE one and a naïve one; ﬁne-tuning with x² features.",
    authors: ["Sébastien Bubeck", "Søren Hauberg"],
  },
  {
    title: "CCI3.0-HQ: a large-scale Chinese dataset of high quality",
    abstract: "一个高质量的中文数据集，用于训练大语言模型。日本語の大規模言語モデルも評価する。",
    authors: ["张三", "山田太郎", "김철수"],
  },
  {
    title: "Self-Forcing++: Towards Minute-Scale High-Quality Video Generation",
    abstract: "Code in C++ and CUDA; works with LLaMA-3.1-8B-Instruct and Llama 3.1 70B.",
    authors: ["Justin Cui", "Jürgen Schmidhuber"],
  },
  {
    title:
      "SWE-Lancer: Can Frontier LLMs Earn $1 Million from Real-World Freelance Software Engineering?",
    abstract: "Prefill \\& Decode on \\$OneMillion-Bench; Straße, İstanbul and ＧＰＴ full-width.",
    authors: ["Samuel Miserendino", "Đorđe Miladinović", "Βασίλειος Παπαδόπουλος"],
  },
  {
    title: "o1-Coder: an o1 Replication for Coding",
    abstract: "DeepSeek-R1 and o1-preview; R1-Zero without supervised fine-tuning.",
    authors: ["Yuxiang Zhang"],
  },
];

/** A hidden author must never be found by the author filter. */
const HIDDEN_AUTHOR = "Hidden Ångström";

const SEARCHES = [
  "Qwen2.5",
  "qwen2.5-vl",
  "2.5",
  "qwen",
  "2D",
  "3D",
  "2D/3D",
  "U-Net",
  "U-Net/Transformer",
  "transformer",
  "naive",
  "naïve",
  "NAÏVE bayes",
  "Only-IF",
  "only if",
  "specialist generalist",
  "Transformer2",
  "Transformer^2",
  "α",
  "alpha",
  "1.58",
  "1-bit",
  "b1",
  "π0",
  "μP",
  "δ",
  "Δ-Net",
  "σοφος",
  "LLM×MapReduce",
  "mapreduce",
  "中文",
  "数据集",
  "大語言",
  "言語モデル",
  "C++",
  "llama 3.1",
  "LLaMA-3.1-8B",
  '"large language models"',
  '"language large"',
  "GPT",
  "gpt-4o",
  "4o",
  "o1",
  "r1-zero",
  "fine-tuning",
  "strasse",
  "istanbul",
  "OneMillion",
  "$1",
  "12.5",
];

const AUTHOR_FILTERS = [
  "Łukasz",
  "łukasz",
  "ŁUKASZ",
  "Lukasz",
  "Üstün",
  "ustun",
  "kaiser",
  "Sébastien Bubeck",
  "sebastien",
  "Bubeck Sébastien",
  "søren",
  "soren",
  "Jürgen",
  "Đorđe",
  "dorde",
  "Βασίλειος",
  "βασιλειος",
  "张",
  "山田",
  "김철수",
  "ångström",
  "e",
];

// ---------------------------------------------------------------------------------------------
// The oracle: README's word rule, by regular expressions over folded text.

const WORD_CHAR = "[\\p{L}\\p{N}\\p{M}]";
const CJK = "[\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}]";
const isCjk = (c: string) => new RegExp(`^${CJK}$`, "u").test(c);
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Folded text as the rule reads it: LaTeX reduced, then folded. */
const readable = (text: string) => fold(plainLatex(text));

/**
 * Whether a term (the words of one query term) occurs in `text`: its words follow one another,
 * separated only by non-word characters, each starting at a word boundary, each but the last
 * ending at one (the last is a prefix). CJK characters are words of their own: no boundary is
 * needed around them.
 */
function termOccurs(text: string, term: string[]): boolean {
  const NON_CJK_WORD_CHAR = `(?:(?!${CJK})${WORD_CHAR})`;
  const parts = term.map((word, i) => {
    const cjk = isCjk(word);
    const before = cjk ? "" : `(?<!${NON_CJK_WORD_CHAR})`;
    const after = cjk || i === term.length - 1 ? "" : `(?!${NON_CJK_WORD_CHAR})`;
    return `${before}${escapeRegExp(word)}${after}`;
  });
  return new RegExp(parts.join(`[^\\p{L}\\p{N}\\p{M}]*`), "u").test(readable(text));
}

/** The query's terms: double-quoted phrases and runs of non-space characters, as words. */
function oracleTerms(search: string): string[][] {
  const terms: string[][] = [];
  for (const match of search.matchAll(/"([^"]*)"?|([^\s"]+)/g)) {
    const termWords = readable(match[1] ?? match[2] ?? "").match(
      new RegExp(`${CJK}|(?:(?!${CJK})[\\p{L}\\p{N}])(?:(?!${CJK})${WORD_CHAR})*`, "gu"),
    );
    if (termWords) terms.push(termWords);
  }
  return terms;
}

function oracleSearch(search: string): string[] {
  const terms = oracleTerms(search);
  return CORPUS.filter((p) =>
    terms.every((t) => termOccurs(p.title, t) || termOccurs(p.abstract, t)),
  )
    .map((p) => p.title)
    .sort();
}

/** Name words, space-separated, contain the filter's words, space-separated. */
function oracleAuthor(filter: string): string[] {
  const key = (s: string) => (readable(s).match(/[\p{L}\p{N}]+/gu) ?? []).join(" ");
  const cjkSplit = (s: string) =>
    key(s.replace(new RegExp(CJK, "gu"), (c) => ` ${c} `)).replace(/\s+/g, " ");
  const wanted = cjkSplit(filter);
  return CORPUS.filter((p) => p.authors.some((a) => cjkSplit(a).includes(wanted)))
    .map((p) => p.title)
    .sort();
}

// ---------------------------------------------------------------------------------------------

function digestOf(corpus: typeof CORPUS): string {
  return JSON.stringify(
    corpus.map((p, i) => ({
      paper: {
        id: `2501.${String(10001 + i)}`,
        title: p.title,
        summary: p.abstract,
        upvotes: 100 - i,
        publishedAt: "2025-01-08T10:00:00.000Z",
        authors: [
          ...p.authors.map((name, k) => ({ _id: `a${i}-${k}`, name, hidden: false })),
          ...(i === 0 ? [{ _id: "hidden", name: HIDDEN_AUTHOR, hidden: true }] : []),
        ],
      },
      title: p.title,
      publishedAt: "2025-01-10T08:00:00.000Z",
    })),
  );
}

const Search = `query($filter: PaperFilter) { papers(filter: $filter, first: 100) { totalCount nodes { title } } }`;

describe("the word rule, on every engine", () => {
  const servers = new Map<Provider, Server>();
  const databases: TestDatabase[] = [];

  beforeAll(async () => {
    for (const provider of ENGINES) {
      const database = await createTestDatabase(provider);
      databases.push(database);
      const report = await ingestBytes(database.sql, { "2025-01-10.json": digestOf(CORPUS) });
      expect(report.failed, JSON.stringify(report.files)).toBe(0);
      servers.set(provider, serverFor(database));
    }
  });
  afterAll(async () => {
    for (const database of databases) await database.destroy();
  });

  async function titles(provider: Provider, filter: object): Promise<string[]> {
    const result = await post<{ papers: { totalCount: number; nodes: { title: string }[] } }>(
      servers.get(provider) as Server,
      { query: Search, variables: { filter } },
    );
    if (!result.data) throw new Error(JSON.stringify(result.errors));
    expect(result.data.papers.totalCount).toBe(result.data.papers.nodes.length);
    return result.data.papers.nodes.map((n) => n.title).sort();
  }

  it("search: every engine finds exactly the oracle's papers", async () => {
    for (const search of SEARCHES) {
      const expected = oracleSearch(search);
      for (const provider of ENGINES) {
        expect(await titles(provider, { search }), `${provider}: ${search}`).toEqual(expected);
      }
    }
  });

  it("author: every engine finds exactly the oracle's papers, never by a hidden author", async () => {
    for (const author of AUTHOR_FILTERS) {
      const expected = oracleAuthor(author);
      for (const provider of ENGINES) {
        expect(await titles(provider, { author }), `${provider}: ${author}`).toEqual(expected);
      }
    }
  });

  it("the rule finds what users type: versions, halves, accents, LaTeX and CJK", async () => {
    const provider = ENGINES[ENGINES.length - 1] as Provider;
    const find = async (search: string) => titles(provider, { search });
    const t = (i: number) => CORPUS[i]?.title as string;
    // `Qwen2.5` finds every paper that says Qwen2.5 (in title or abstract), not Qwen2-VL alone.
    expect(await find("Qwen2.5")).toEqual([t(0), t(1)].sort());
    // `2.5` is a version wherever it starts a word: Gemini 2.5, not 12.5; 2.50 starts with it.
    expect(await find("2.5")).toEqual([t(2)]);
    // Both halves of `2D/3D` and of `U-Net/Transformer` are words.
    expect(await find("3D")).toEqual([t(3)]);
    expect(await find("U-Net/Transformer")).toEqual([t(3)]);
    // Accents and case fold away on both sides.
    expect(await find("naive")).toEqual(await find("NAÏVE"));
    expect(await find("naive")).toEqual([t(9)]);
    // LaTeX is read as it renders.
    expect(await find("Only-IF")).toEqual([t(4)]);
    expect(await find("Transformer2")).toEqual([t(5)]);
    expect(await find("specialist generalist")).toEqual([t(4)]);
    // Each CJK character is a word: a CJK word is found inside a sentence.
    expect(await find("数据集")).toEqual([t(10)]);
    // A quoted phrase keeps its order.
    expect(await find('"large language models"')).toContain(t(7));
    expect(await find('"language large"')).toEqual([]);
    const author = async (name: string) => titles(provider, { author: name });
    expect(await author("Łukasz")).toEqual([t(3)]);
    expect(await author("LUKASZ")).toEqual([t(3)]);
    expect(await author("Üstün")).toEqual([t(3)]);
    expect(await author("ångström")).toEqual([]);
  });

  it("a search without words, or with too many, is a typed error", async () => {
    for (const search of ["!!", "a b c d e f g h i j k l m"]) {
      for (const provider of ENGINES) {
        const result = await post<unknown>(servers.get(provider) as Server, {
          query: Search,
          variables: { filter: { search } },
        });
        expect(result.errors?.[0]?.extensions).toMatchObject({
          code: "BAD_USER_INPUT",
          argument: "filter.search",
        });
      }
    }
  });

  it("a re-ingested title is searchable by its new words only", async () => {
    for (const database of databases) {
      const provider = database.target.provider;
      const renamed = CORPUS.map((p, i) =>
        i === 13 ? { ...p, title: "Zyxwvut quokka study" } : p,
      );
      const report = await ingestBytes(database.sql, { "2025-01-11.json": digestOf(renamed) });
      expect(report.failed).toBe(0);
      expect(await titles(provider, { search: "quokka zyxw" })).toEqual(["Zyxwvut quokka study"]);
      expect(await titles(provider, { search: "o1-Coder" })).toEqual([]);
      // Back again: the old words are found again, the new ones no longer.
      await ingestBytes(database.sql, { "2025-01-12.json": digestOf(CORPUS) });
      expect(await titles(provider, { search: "quokka" })).toEqual([]);
      expect(await titles(provider, { search: "o1-Coder" })).toEqual([CORPUS[13]?.title]);
    }
  });
});

describe("folding and LaTeX (the parts the oracle shares)", () => {
  it("folds case, accents, compatibility forms and letters without a separable accent", () => {
    expect(words("Naïve ŁUKASZ Üstün Straße İstanbul ΣΟΦΟΣ ﬁne x² ＧＰＴ Søren Đorđe")).toEqual([
      "naive",
      "lukasz",
      "ustun",
      "strasse",
      "istanbul",
      "σοφοσ",
      "fine",
      "x2",
      "gpt",
      "soren",
      "dorde",
    ]);
  });

  it("splits at every non-letter, non-digit; CJK characters are words of their own", () => {
    expect(words("Qwen2.5-7B-Instruct 2D/3D U-Net/Transformer")).toEqual([
      "qwen2",
      "5",
      "7b",
      "instruct",
      "2d",
      "3d",
      "u",
      "net",
      "transformer",
    ]);
    expect(words("GPT模型 大语言")).toEqual(["gpt", "模", "型", "大", "语", "言"]);
    expect(words("हिंदी भाषा")).toHaveLength(2);
  });

  it("reads LaTeX as it renders", () => {
    expect(plainLatex("$\\textbf{Only-IF}$:Revealing")).toBe("Only-IF:Revealing");
    expect(plainLatex("$\\text{Transformer}^2$: Self-adaptive LLMs")).toBe(
      "Transformer2: Self-adaptive LLMs",
    );
    expect(plainLatex("$\\alpha$-Trimming and \\emph{nested \\textbf{x}}")).toBe(
      "α-Trimming and nested x",
    );
    expect(plainLatex("Prefill \\& Decode, \\$OneMillion")).toBe("Prefill & Decode, $OneMillion");
    expect(plainLatex("of $textbf{specialist} and textbf{generalist}$ models")).toBe(
      "of specialist and generalist models",
    );
    expect(plainLatex("Plain title")).toBe("Plain title");
  });
});
