import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { detectFormat, firstInvalidUtf8, parseDigest } from "../../src/ingest/parse.ts";
import { parseHfJsonDigest } from "../../src/ingest/parse-hf-json.ts";
import { parseTextDigest } from "../../src/ingest/parse-text.ts";
import { DigestError, LIMITS, type ParsedPaper } from "../../src/ingest/types.ts";

const FIXTURE_NAME = "2025-12-10-task-generalization.txt";
const FIXTURE = readFileSync(new URL(`../../prisma/seed/${FIXTURE_NAME}`, import.meta.url));
const FIXTURE_TEXT = FIXTURE.toString("utf8");
const FIXTURE_LINES = FIXTURE_TEXT.split("\n");

/** The DigestError `run` throws; fails the test if it throws nothing or something else. */
function errorOf(run: () => unknown): DigestError {
  try {
    run();
  } catch (error) {
    if (error instanceof DigestError) return error;
    throw error;
  }
  throw new Error("expected a DigestError, but nothing was thrown");
}

/** Parses page text with a fixed "today", as a file without a date in its name. */
function parse(text: string, options: { date?: string; today?: string; source?: string } = {}) {
  return parseTextDigest(text, { source: "digest.txt", today: "2025-12-20", ...options });
}

/** One paper entry as the page prints it. */
function entry(title: string, abstract: string, authors: string, date: string): string {
  return `${title}\n\n${abstract}\n\n  • ${authors}\n·\n${date}\n`;
}

const HEADER = "new\n\nDaily Papers\n\nbyAK and the research community\n\nDec 10\n\n";

/** The fields a page-text digest never has. */
const TEXT_NULLS = {
  arxivId: null,
  arxivVersion: null,
  authors: null,
  githubStars: null,
  thumbnailUrl: null,
  mediaUrls: null,
  commentCount: null,
  discussionId: null,
  submitterHandle: null,
  submitterName: null,
  aiSummary: null,
  aiKeywords: null,
  withdrawnAt: null,
  organization: null,
  submittedAt: null,
} satisfies Partial<ParsedPaper>;

describe("parseTextDigest: the real page-text fixture", () => {
  const digest = parseTextDigest(FIXTURE_TEXT, { source: FIXTURE_NAME, today: "2026-11-28" });
  const byTitle = (start: string) => {
    const paper = digest.papers.find((p) => p.title.startsWith(start));
    if (!paper) throw new Error(`no paper titled ${start}...`);
    return paper;
  };

  it("reads the day and all 34 papers", () => {
    expect(digest.format).toBe("text");
    expect(digest.date).toBe("2025-12-10");
    expect(digest.dateSource).toBe("file name");
    expect(digest.warnings).toEqual([]);
    expect(digest.papers).toHaveLength(34);
    expect(digest.papers.map((p) => p.rank)).toEqual(Array.from({ length: 34 }, (_, i) => i + 1));
  });

  it("gives 34 distinct, non-empty titles, title keys and abstracts", () => {
    const titles = digest.papers.map((p) => p.title);
    expect(new Set(titles).size).toBe(34);
    expect(new Set(digest.papers.map((p) => p.titleKey)).size).toBe(34);
    for (const paper of digest.papers) {
      expect(paper.title.trim()).toBe(paper.title);
      expect(paper.title.length).toBeGreaterThan(10);
      expect(paper.abstract.length).toBeGreaterThan(100);
      expect(paper.authorCount).toBeGreaterThanOrEqual(1);
      expect(paper.publishedAt?.getTime()).toBeLessThanOrEqual(Date.UTC(2025, 11, 10));
      expect(paper).toMatchObject(TEXT_NULLS);
    }
  });

  it("points each paper at its title line", () => {
    for (const paper of digest.papers) {
      const n = Number(/^line (\d+)$/.exec(paper.location)?.[1]);
      expect(FIXTURE_LINES[n - 1]).toBe(paper.title);
    }
  });

  it("maps the first paper completely", () => {
    expect(digest.papers[0]).toEqual({
      ...TEXT_NULLS,
      rank: 1,
      location: "line 13",
      title: "Multi-task Self-supervised Graph Neural Networks Enable Stronger Task Generalization",
      titleKey:
        "multi task self supervised graph neural networks enable stronger task generalization",
      abstract: FIXTURE_LINES[14],
      authorCount: 7,
      publishedAt: new Date("2022-10-05T00:00:00.000Z"),
      upvotes: 0,
      codeUrl: "https://github.com/jumxglhf/ParetoGNN",
      projectUrl: null,
    });
  });

  it("maps the last paper (no newline at the end of the file) completely", () => {
    expect(digest.papers[33]).toEqual({
      ...TEXT_NULLS,
      rank: 34,
      location: "line 277",
      title: "Knowledge Composition using Task Vectors with Learned Anisotropic Scaling",
      titleKey: "knowledge composition using task vectors with learned anisotropic scaling",
      abstract: FIXTURE_LINES[278],
      authorCount: 5,
      publishedAt: new Date("2024-07-03T00:00:00.000Z"),
      upvotes: 3,
      codeUrl: null,
      projectUrl: null,
    });
  });

  it("reads dates without a year and upvote counts", () => {
    expect(byTitle("OThink-MR1")).toMatchObject({
      authorCount: 6,
      publishedAt: new Date("2025-03-20T00:00:00Z"),
      upvotes: 3,
    });
    expect(byTitle("Only-IF")).toMatchObject({
      authorCount: 3,
      publishedAt: new Date("2024-10-06T00:00:00Z"),
      upvotes: 2,
    });
    expect(byTitle("PilotRL")).toMatchObject({
      authorCount: 5,
      publishedAt: new Date("2025-08-01T00:00:00Z"),
      upvotes: 0,
    });
    expect(byTitle("Unified Work Embeddings").publishedAt).toEqual(
      new Date("2025-11-11T00:00:00Z"),
    );
    expect(byTitle("Scalable Attentive").publishedAt).toEqual(new Date("2019-08-14T00:00:00Z"));
  });

  it("sums upvotes and author counts as the page shows them", () => {
    expect(digest.papers.reduce((sum, p) => sum + (p.upvotes ?? 0), 0)).toBe(
      3 + 4 + 2 + 4 + 3 + 2 + 2 + 3,
    );
    expect(digest.papers.filter((p) => p.authorCount === 10)).toHaveLength(4);
  });

  it("extracts code and project links from abstracts", () => {
    expect(byTitle("OneReward").projectUrl).toBe("https://one-reward.github.io");
    expect(byTitle("OneReward").codeUrl).toBeNull();
    expect(byTitle("Harvard Glaucoma").projectUrl).toBe(
      "https://ophai.hms.harvard.edu/datasets/harvard-gdp1000",
    );
    expect(byTitle("SARATR-X").codeUrl).toBe("https://github.com/waterdisappear/SARATR-X");
    expect(byTitle("Scalable Attentive").codeUrl).toBe(
      "https://github.com/microsoft/Distilled-Sentence-Embedding",
    );
    expect(digest.papers.filter((p) => p.codeUrl !== null)).toHaveLength(8);
  });

  it("takes the year from the file name when no --date is given", () => {
    const named = parseTextDigest(FIXTURE_TEXT, { source: `prisma/seed/${FIXTURE_NAME}` });
    expect(named.date).toBe("2025-12-10");
    expect(named.papers).toEqual(digest.papers);
  });

  it("takes the year from --date", () => {
    const dated = parseTextDigest(FIXTURE_TEXT, { source: "-", date: "2025-12-10" });
    expect(dated.papers).toEqual(digest.papers);
  });

  it("resolves missing years against an earlier digest day", () => {
    const older = parseTextDigest(FIXTURE_TEXT, { source: "-", today: "2025-06-01" });
    expect(older.date).toBe("2024-12-10");
    expect(older.dateSource).toBe("header");
    expect(older.papers.find((p) => p.title.startsWith("PilotRL"))?.publishedAt).toEqual(
      new Date("2024-08-01T00:00:00Z"),
    );
    // Dates with a year do not move.
    expect(older.papers[0]?.publishedAt).toEqual(new Date("2022-10-05T00:00:00Z"));
  });
});

describe("parseTextDigest: layout", () => {
  const two =
    HEADER +
    entry("Paper One", "First abstract.", "3 authors", "Oct 5, 2022") +
    "\n" +
    entry("Paper Two", "Second abstract.", "1 author", "Mar 20 3");

  it("reads a minimal digest", () => {
    const digest = parse(two);
    expect(digest.date).toBe("2025-12-10");
    expect(digest.papers.map((p) => [p.title, p.abstract, p.authorCount, p.upvotes])).toEqual([
      ["Paper One", "First abstract.", 3, 0],
      ["Paper Two", "Second abstract.", 1, 3],
    ]);
    expect(digest.papers[1]?.publishedAt).toEqual(new Date("2025-03-20T00:00:00Z"));
    expect(digest.papers.map((p) => p.location)).toEqual(["line 9", "line 17"]);
  });

  it("does not depend on blank lines or trailing spaces", () => {
    const squeezed = two.replace(/\n+/g, "\n");
    const spread = two.replace(/\n/g, "  \n\n\n \t\n");
    const expected = parse(two).papers.map(({ location, ...rest }) => rest);
    expect(parse(squeezed).papers.map(({ location, ...rest }) => rest)).toEqual(expected);
    expect(parse(spread).papers.map(({ location, ...rest }) => rest)).toEqual(expected);
  });

  it("accepts a missing `·` line", () => {
    const digest = parse(two.replace(/^·\n/gm, ""));
    expect(digest.papers).toHaveLength(2);
    expect(digest.papers[0]?.publishedAt).toEqual(new Date("2022-10-05T00:00:00Z"));
  });

  it("joins a multi-line abstract with single spaces and accepts a missing abstract", () => {
    const text =
      HEADER +
      entry("Wrapped", "Line one\nline   two\n\nline three.", "2 authors", "Oct 6, 2024 2") +
      "No Abstract Here\n\n  • 4 authors\n·\nDec 10\n";
    const [wrapped, bare] = parse(text).papers;
    expect(wrapped?.abstract).toBe("Line one line two line three.");
    expect(wrapped?.upvotes).toBe(2);
    expect(bare?.abstract).toBe("");
    expect(bare?.authorCount).toBe(4);
    expect(bare?.publishedAt).toEqual(new Date("2025-12-10T00:00:00Z"));
  });

  it("treats a bullet line in an abstract that is not an author line as abstract text", () => {
    const text = `${HEADER}Bullets\n• we propose X\n• we test Y\n  • 2 authors\n·\nDec 1\n`;
    expect(parse(text).papers[0]?.abstract).toBe("• we propose X • we test Y");
  });

  it("puts a day without a year in the latest year not after the digest day", () => {
    const text =
      HEADER +
      entry("Same Day", "a", "1 author", "Dec 10") +
      entry("Day After", "b", "1 author", "Dec 11 7") +
      entry("New Year", "c", "1 author", "Jan 1");
    const dates = parse(text).papers.map((p) => p.publishedAt?.toISOString().slice(0, 10));
    expect(dates).toEqual(["2025-12-10", "2024-12-11", "2025-01-01"]);
  });

  it("puts Feb 29 without a year in the latest leap year", () => {
    const text = `${HEADER.replace("Dec 10", "Mar 1")}${entry("Leap", "a", "1 author", "Feb 29")}`;
    expect(parse(text, { date: "2025-03-01" }).papers[0]?.publishedAt).toEqual(
      new Date("2024-02-29T00:00:00Z"),
    );
    expect(parse(text, { date: "2023-03-01" }).papers[0]?.publishedAt).toEqual(
      new Date("2020-02-29T00:00:00Z"),
    );
    expect(parse(text, { date: "2024-03-01" }).papers[0]?.publishedAt).toEqual(
      new Date("2024-02-29T00:00:00Z"),
    );
  });

  it("gives a Feb 29 digest day the latest leap year not after today", () => {
    const text = `Feb 29\n${entry("Leap", "a", "1 author", "Feb 28")}`;
    const digest = parse(text, { today: "2027-01-01" });
    expect(digest.date).toBe("2024-02-29");
    expect(digest.papers[0]?.publishedAt).toEqual(new Date("2024-02-28T00:00:00Z"));
  });

  it("finds the digest year from --date, then the file name, then today", () => {
    const text = HEADER + entry("P", "a", "1 author", "Jan 5");
    const day = (options: Parameters<typeof parse>[1]) => {
      const digest = parse(text, options);
      return [digest.date, digest.dateSource];
    };
    expect(day({ date: "2023-12-10" })).toEqual(["2023-12-10", "--date"]);
    expect(day({ source: "/tmp/2021-12-10.txt" })).toEqual(["2021-12-10", "file name"]);
    expect(day({ source: "/tmp/daily_2021-12-10_copy.txt" })).toEqual(["2021-12-10", "file name"]);
    expect(day({})).toEqual(["2025-12-10", "header"]);
    // A file name naming another day is not used, with a warning.
    const other = parse(text, { source: "/tmp/2021-12-11.txt" });
    expect([other.date, other.dateSource]).toEqual(["2025-12-10", "header"]);
    expect(other.warnings).toEqual([
      '/tmp/2021-12-11.txt:7: the file name names 2021-12-11 but the digest day line says "Dec 10": using 2025-12-10 (the latest Dec 10 not after 2025-12-20), not the file name\'s day',
    ]);
    expect(parse(text, { source: "2021-12-11.txt", date: "2021-12-10" }).warnings).toEqual([
      "2021-12-11.txt: the file name names 2021-12-11 but --date is 2021-12-10: using 2021-12-10",
    ]);
    expect(parse(text, { today: "2025-12-09" }).date).toBe("2024-12-10");
    expect(parse(text, { today: "2025-12-10" }).date).toBe("2025-12-10");
    // Without "today", the current date is used: the digest day is never in the future.
    const digest = parseTextDigest(text, { source: "-" });
    expect(digest.date <= new Date().toISOString().slice(0, 10)).toBe(true);
    expect(digest.date.slice(5)).toBe("12-10");
  });

  it("extracts links from the abstract", () => {
    const text =
      HEADER +
      entry(
        "Links",
        "See https://arxiv.org/abs/1 and (https://github.com/a/b.git), demo at https://a.github.io/p/.",
        "1 author",
        "Dec 1",
      );
    expect(parse(text).papers[0]).toMatchObject({
      codeUrl: "https://github.com/a/b",
      projectUrl: "https://a.github.io/p/",
    });
  });
});

describe("parseTextDigest: errors", () => {
  const good = HEADER + entry("Paper One", "Abstract.", "3 authors", "Oct 5, 2022");

  it("needs a digest day line", () => {
    const error = errorOf(() => parse("Daily Papers\n\nSome title\n"));
    expect(error.where).toBeNull();
    expect(error.problem).toBe("no digest day line (like `Dec 10`) found");
    expect(error.message).toBe("digest.txt: no digest day line (like `Dec 10`) found");
  });

  it("does not take a paper's date for the digest day", () => {
    const error = errorOf(() => parse(good.replace("Dec 10\n", "")));
    expect(error.where).toBe("line 12");
    expect(error.problem).toMatch(/no digest day line .* before the first paper/);
  });

  it("needs at least one paper", () => {
    expect(errorOf(() => parse(HEADER)).problem).toBe("digest lists no papers");
    expect(errorOf(() => parse(`${HEADER}\n\n   \n`)).problem).toBe("digest lists no papers");
  });

  it("rejects Feb 30, naming the line and the month's length", () => {
    const text = good.replace("Oct 5, 2022", "Feb 30");
    const error = errorOf(() => parse(text));
    expect(error.where).toBe("line 15");
    expect(error.problem).toBe('invalid date "Feb 30": February has 28 days in 2025');
    expect(error.message).toBe(
      'digest.txt:15: invalid date "Feb 30": February has 28 days in 2025',
    );

    const withYear = errorOf(() => parse(good.replace("Oct 5, 2022", "Feb 30, 2024 5")));
    expect(withYear.problem).toBe('invalid date "Feb 30, 2024 5": February has 29 days in 2024');
    expect(errorOf(() => parse(good.replace("Oct 5, 2022", "Apr 31, 2020"))).problem).toBe(
      'invalid date "Apr 31, 2020": April has 30 days in 2020',
    );
    expect(errorOf(() => parse(good.replace("Oct 5, 2022", "Jan 0"))).problem).toMatch(
      /^invalid date "Jan 0": days of the month start at 1/,
    );
  });

  it("rejects an invalid digest day", () => {
    const error = errorOf(() => parse(good.replace("Dec 10", "Feb 30")));
    expect(error.where).toBe("line 7");
    expect(error.problem).toMatch(/^invalid date "Feb 30": February has 2[89] days in 20\d\d$/);
  });

  it("rejects an unknown month or an unreadable date line", () => {
    const month = errorOf(() => parse(good.replace("Oct 5, 2022", "Okt 5, 2022")));
    expect(month.where).toBe("line 15");
    expect(month.problem).toMatch(
      /got "Okt 5, 2022" \(unknown month "Okt"; expected Jan \.\.\. Dec\)/,
    );

    const garbage = errorOf(() => parse(good.replace("Oct 5, 2022", "yesterday")));
    expect(garbage.where).toBe("line 15");
    expect(garbage.problem).toBe(
      'expected a date line like "Oct 5, 2022" or "Mar 20 3", got "yesterday"',
    );
    expect(errorOf(() => parse(good.replace("Oct 5, 2022", "Oct 5 2022 x"))).where).toBe("line 15");
  });

  it("rejects author lines without a positive count", () => {
    for (const line of ["0 authors", "x authors", "-1 authors", "many authors"]) {
      const error = errorOf(() => parse(good.replace("3 authors", line)));
      expect(error.where).toBe("line 13");
      expect(error.problem).toBe(
        `invalid author line "• ${line}": expected "• N authors" with N ≥ 1`,
      );
    }
  });

  it("rejects a file truncated after the abstract", () => {
    const text = `${HEADER}${entry("Paper One", "Abstract.", "3 authors", "Oct 5, 2022")}Paper Two\n\nHalf an abs`;
    const error = errorOf(() => parse(text));
    expect(error.where).toBe("line 16");
    expect(error.problem).toBe(
      'incomplete paper entry "Paper Two": expected a line like "• 7 authors", but the input ends',
    );
  });

  it("rejects a file truncated after the author line", () => {
    const error = errorOf(() => parse(good.replace(/·\nOct 5, 2022\n$/, "·\n")));
    expect(error.where).toBe("line 9");
    expect(error.problem).toBe(
      'incomplete paper entry "Paper One": expected a date line like "Oct 5, 2022" after line 13, but the input ends',
    );
  });

  it("rejects an entry whose author line is missing", () => {
    const text = `${HEADER}Paper One\n\nAbstract.\n\n·\nOct 5, 2022\n`;
    const error = errorOf(() => parse(text));
    expect(error.where).toBe("line 13");
    expect(error.problem).toBe(
      'incomplete paper entry "Paper One": expected a line like "• 7 authors" before "·"',
    );
    const noDot = errorOf(() => parse(`${HEADER}Paper One\n\nAbstract.\nOct 5, 2022\n`));
    expect(noDot.where).toBe("line 12");
  });

  it("rejects an author line or a date line where a title belongs", () => {
    const error = errorOf(() => parse(`${good}Mar 20 3\n`));
    expect(error.where).toBe("line 16");
    expect(error.problem).toBe('expected a paper title, got "Mar 20 3"');
    expect(errorOf(() => parse(`${good}  • 2 authors\n`)).problem).toBe(
      'expected a paper title, got "• 2 authors"',
    );
  });

  it("rejects the same paper twice, naming both lines", () => {
    const text = good + entry("Paper  one", "Other abstract.", "2 authors", "Oct 6, 2022");
    const error = errorOf(() => parse(text));
    expect(error.where).toBe("line 16");
    expect(error.problem).toBe('paper "Paper one" is listed twice (also at line 9)');
  });

  it("checks --date against the digest day line", () => {
    const error = errorOf(() => parse(good, { date: "2025-12-11" }));
    expect(error.where).toBe("line 7");
    expect(error.problem).toBe('the digest day line says "Dec 10" but --date is 2025-12-11');
    expect(errorOf(() => parse(good, { date: "2025-13-10" })).problem).toBe(
      'invalid --date "2025-13-10": expected YYYY-MM-DD',
    );
    expect(errorOf(() => parse(good, { today: "today" })).problem).toMatch(/invalid "today" date/);
  });

  it("enforces the title and abstract limits", () => {
    const longTitle = "T".repeat(LIMITS.titleChars + 1);
    const title = errorOf(() => parse(good.replace("Paper One", longTitle)));
    expect(title.where).toBe("line 9");
    expect(title.problem).toBe(`title is 1001 characters long (limit ${LIMITS.titleChars})`);

    const longAbstract = Array.from({ length: 600 }, () => "word ".repeat(20)).join("\n");
    const abstract = errorOf(() => parse(good.replace("Abstract.", longAbstract)));
    expect(abstract.where).toBe("line 9");
    expect(abstract.problem).toMatch(/^abstract is \d+ characters long \(limit 50000\)$/);
  });

  it("enforces the line length limit before anything else", () => {
    const line = "x".repeat(LIMITS.lineChars + 1);
    const error = errorOf(() => parse(`${line}\nno day line follows`));
    expect(error.where).toBe("line 1");
    expect(error.problem).toBe("line is 100001 characters long (limit 100000)");
  });

  it("enforces the paper count limit", () => {
    const papers = Array.from({ length: LIMITS.papersPerDigest + 1 }, (_, i) =>
      entry(`Paper ${i}`, "a", "1 author", "Dec 1"),
    );
    const error = errorOf(() => parse(HEADER + papers.join("")));
    expect(error.where).toBe(`line ${8 + LIMITS.papersPerDigest * 7 + 1}`);
    expect(error.problem).toMatch(/more than 10000 papers/);
  });
});

describe("parseTextDigest: every problem at once", () => {
  it("reports the problems of several entries, reading on after each bad one", () => {
    const text =
      HEADER +
      entry("Good One", "a", "1 author", "Dec 1") +
      entry("Bad Date", "b", "2 authors", "Feb 30") +
      "No Authors\n\nAbstract.\n·\nDec 2\n" +
      entry("Good Two", "c", "3 authors", "Dec 3 5") +
      entry("Zero Authors", "d", "0 authors", "Dec 4") +
      entry("Good One", "e", "1 author", "Dec 5") +
      entry("Huge Count", "f", "1 author", "Mar 20 99999999999");
    const error = errorOf(() => parse(text));
    expect(error.problems).toEqual([
      { where: "line 22", problem: 'invalid date "Feb 30": February has 28 days in 2025' },
      {
        where: "line 26",
        problem:
          'incomplete paper entry "No Authors": expected a line like "• 7 authors" before "·"',
      },
      {
        where: "line 39",
        problem: 'invalid author line "• 0 authors": expected "• N authors" with N ≥ 1',
      },
      { where: "line 42", problem: 'paper "Good One" is listed twice (also at line 9)' },
      {
        where: "line 55",
        problem:
          'upvote count in "Mar 20 99999999999" is too large (limit 2147483647, a 32-bit count)',
      },
    ]);
    expect(error.message.split("\n")[0]).toBe("digest.txt: 5 problems:");
    expect(error.message).toContain(
      '\n  digest.txt:22: invalid date "Feb 30": February has 28 days in 2025\n',
    );
  });

  it("resynchronises after a title-less entry at the next date line", () => {
    const text =
      HEADER +
      "  • 2 authors\n·\nDec 1\n" +
      entry("Fine", "a", "1 author", "Dec 2") +
      "Mar 20 3\n" +
      entry("Also Fine", "b", "1 author", "Dec 3");
    const error = errorOf(() => parse(text));
    expect(error.problems).toEqual([
      { where: "line 9", problem: 'expected a paper title, got "• 2 authors"' },
      { where: "line 19", problem: 'expected a paper title, got "Mar 20 3"' },
    ]);
  });

  it("lists 20 problems of a file with 40 bad entries and counts the rest", () => {
    const entries = Array.from({ length: 40 }, (_, i) =>
      entry(`Paper ${i}`, "a", "1 author", "Feb 30"),
    );
    const error = errorOf(() => parse(HEADER + entries.join("")));
    expect(error.problems).toHaveLength(40);
    const lines = error.message.split("\n");
    expect(lines[0]).toBe("digest.txt: 40 problems:");
    expect(lines[1]).toBe('  digest.txt:15: invalid date "Feb 30": February has 28 days in 2025');
    expect(lines).toHaveLength(1 + LIMITS.problemsShown + 1);
    expect(lines.at(-1)).toBe("  ... and 20 more problems");
  });

  it("reports every over-long line, and a bad day line together with bad entries", () => {
    const long = "x".repeat(LIMITS.lineChars + 1);
    const lines = errorOf(() => parse(`${long}\nDec 10\n${long}\n`));
    expect(lines.problems.map((p) => p.where)).toEqual(["line 1", "line 3"]);

    const text = HEADER.replace("Dec 10", "Feb 30") + entry("P", "a", "0 authors", "Dec 1");
    expect(errorOf(() => parse(text)).problems.map((p) => p.where)).toEqual(["line 7", "line 13"]);
    const dated = errorOf(() =>
      parse(HEADER + entry("P", "a", "x authors", "Dec 1"), { date: "2025-12-11" }),
    );
    expect(dated.problems.map((p) => p.where)).toEqual(["line 7", "line 13"]);
  });

  it("takes the largest count the database stores, and no more", () => {
    const at = (date: string) => parse(HEADER + entry("P", "a", "1 author", date)).papers[0];
    expect(at("Mar 20 2147483647")?.upvotes).toBe(LIMITS.count);
    expect(errorOf(() => at("Mar 20 2147483648")).problem).toBe(
      'upvote count in "Mar 20 2147483648" is too large (limit 2147483647, a 32-bit count)',
    );
  });

  it("removes control, bidi and zero-width characters", () => {
    const text =
      HEADER +
      entry("\u200bHidden\u202e Marks\u2066", "An\u200d abstract\u0007.", "1 author", "Dec 1");
    const [paper] = parse(text).papers;
    expect(paper?.title).toBe("Hidden Marks");
    expect(paper?.abstract).toBe("An abstract.");
    // A line of invisible characters only is a blank line.
    const blank = parse(`${HEADER}\u200b\u2060\n${entry("P", "a", "1 author", "Dec 1")}`);
    expect(blank.papers.map((p) => p.title)).toEqual(["P"]);
  });
});

describe("parseTextDigest: test/fixtures/text/2024-10-25-daily.txt (made from the real API day)", () => {
  const name = "2024-10-25-daily.txt";
  const text = readFileSync(new URL(`../fixtures/text/${name}`, import.meta.url), "utf8");
  const digest = parseTextDigest(text, { source: name, today: "2026-08-01" });
  const api = parseHfJsonDigest(
    readFileSync(new URL("../../prisma/seed/2024-10-25.json", import.meta.url), "utf8"),
    { source: "2024-10-25.json" },
  );

  it("reads the day from the header and the file name", () => {
    expect([digest.date, digest.dateSource, digest.warnings]).toEqual([
      "2024-10-25",
      "file name",
      [],
    ]);
    expect(parseTextDigest(text, { source: "-", today: "2025-06-01" }).date).toBe("2024-10-25");
  });

  it("matches the API day paper by paper", () => {
    expect(digest.papers).toHaveLength(29);
    digest.papers.forEach((paper, i) => {
      const twin = api.papers[i] as ParsedPaper;
      expect(paper.title).toBe(twin.title);
      expect(paper.titleKey).toBe(twin.titleKey);
      expect(paper.abstract).toBe(twin.abstract.replace(/\s+/g, " "));
      expect(paper.authorCount).toBe(twin.authorCount);
      expect(paper.upvotes).toBe(twin.upvotes);
      expect(paper.publishedAt?.toISOString().slice(0, 10)).toBe(
        twin.publishedAt?.toISOString().slice(0, 10),
      );
      expect(paper.codeUrl).toBe(twin.codeUrl);
      expect(paper).toMatchObject(TEXT_NULLS);
    });
  });
});

describe("parseDigest: bytes to digest", () => {
  const options = { source: "in.txt", today: "2026-11-28" };

  it("detects the format from the first non-whitespace character", () => {
    expect(detectFormat(Buffer.from("[]"))).toBe("hf-json");
    expect(detectFormat(Buffer.from(" \r\n\t{"))).toBe("hf-json");
    expect(detectFormat(Buffer.from("\uFEFF\n[{}]"))).toBe("hf-json");
    expect(detectFormat(Buffer.from("Daily Papers\n[1]"))).toBe("text");
    expect(detectFormat(Buffer.from(""))).toBe("text");
  });

  it("reads the fixture with a BOM and CRLF or CR line ends like the plain one", () => {
    const plain = parseDigest(FIXTURE, options);
    expect(plain.papers).toHaveLength(34);
    const crlf = Buffer.from(`\uFEFF${FIXTURE_TEXT.replace(/\n/g, "\r\n")}`);
    expect(parseDigest(crlf, options)).toEqual(plain);
    const cr = Buffer.from(FIXTURE_TEXT.replace(/\n/g, "\r"));
    expect(parseDigest(cr, options)).toEqual(plain);
  });

  it("honours an explicit format", () => {
    const error = errorOf(() => parseDigest(FIXTURE, { ...options, format: "hf-json" }));
    expect(error.where).toBe("line 1, column 1");
    expect(error.problem).toMatch(/^invalid JSON/);
    expect(parseDigest(FIXTURE, { ...options, format: "text" }).papers).toHaveLength(34);
  });

  it("rejects an empty file and whitespace-only input", () => {
    for (const bytes of ["", "  \n\t\r\n  ", "\uFEFF\n"]) {
      const error = errorOf(() => parseDigest(Buffer.from(bytes), options));
      expect(error.where).toBeNull();
      expect(error.message).toBe("in.txt: empty digest");
    }
  });

  it("rejects binary data with NUL bytes, naming the line", () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
    const error = errorOf(() => parseDigest(png, { source: "image.png" }));
    // CR LF ends line 1, LF ends line 2.
    expect(error.where).toBe("line 3");
    expect(error.problem).toBe("contains a NUL byte: this is binary data, not a digest");
  });

  it("rejects invalid UTF-8, naming the line of the bad byte", () => {
    const bad = Buffer.concat([
      Buffer.from(FIXTURE_TEXT.split("\n").slice(0, 30).join("\n")),
      Buffer.from([0x0a, 0x41, 0xff, 0x42, 0x0a]),
      Buffer.from("more text\n"),
    ]);
    const error = errorOf(() => parseDigest(bad, options));
    expect(error.where).toBe("line 31");
    expect(error.problem).toBe(
      "invalid UTF-8 (byte 0xff): a digest must be UTF-8 text (binary file, or another encoding?)",
    );
    expect(error.message).toMatch(/^in\.txt:31: invalid UTF-8/);
    // Latin-1 "é" in CRLF text.
    const latin1 = Buffer.from([0x61, 0x0d, 0x0a, 0x62, 0x0d, 0x0a, 0x63, 0xe9, 0x0d, 0x0a]);
    expect(errorOf(() => parseDigest(latin1, options)).where).toBe("line 3");
  });

  it("finds the first invalid UTF-8 byte", () => {
    expect(firstInvalidUtf8(Buffer.from("héllo ✓ 𝄞"))).toBe(-1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0x80]))).toBe(1); // overlong
    expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).toBe(0); // surrogate
    expect(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xe2, 0x9c]))).toBe(2); // truncated
    expect(firstInvalidUtf8(Buffer.from([0xf4, 0x90, 0x80, 0x80]))).toBe(0); // > U+10FFFF
    expect(firstInvalidUtf8(Buffer.from([0x80]))).toBe(0); // lone continuation byte
  });

  it("rejects Feb 30 in a text digest", () => {
    const text = FIXTURE_TEXT.replace("Mar 20 3", "Feb 30 3");
    const error = errorOf(() => parseDigest(Buffer.from(text), options));
    expect(error.where).toBe("line 35");
    expect(error.message).toBe('in.txt:35: invalid date "Feb 30 3": February has 28 days in 2025');
  });

  it("rejects a 10 MB line by its length", () => {
    const line = "a".repeat(10 * 1024 * 1024);
    const bytes = Buffer.from(`Daily Papers\nDec 10\n${line}\nmore\n`);
    const error = errorOf(() => parseDigest(bytes, options));
    expect(error.where).toBe("line 3");
    expect(error.problem).toBe("line is 10485760 characters long (limit 100000)");
  });

  it("rejects a text digest truncated mid-entry", () => {
    const cut = FIXTURE_TEXT.split("\n").slice(0, 97).join("\n"); // ends at "  • 9 authors"
    const error = errorOf(() => parseDigest(Buffer.from(cut), options));
    expect(error.where).toBe("line 93");
    expect(error.problem).toBe(
      'incomplete paper entry "Test-time adaptation with slot-centric models": expected a date line like "Oct 5, 2022" after line 97, but the input ends',
    );
    const midAbstract = FIXTURE_TEXT.slice(0, FIXTURE_TEXT.indexOf("Current supervised") + 40);
    expect(errorOf(() => parseDigest(Buffer.from(midAbstract), options)).problem).toMatch(
      /^incomplete paper entry "Test-time adaptation with slot-centric models": expected a line like "• 7 authors"/,
    );
  });

  it("rejects files over the size limit", () => {
    const bytes = Buffer.alloc(LIMITS.fileBytes + 1, 0x61);
    const error = errorOf(() => parseDigest(bytes, options));
    expect(error.where).toBeNull();
    expect(error.problem).toBe(`file is ${LIMITS.fileBytes + 1} bytes (limit ${LIMITS.fileBytes})`);
  });
});
