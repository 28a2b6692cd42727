import { describe, expect, it } from "vitest";
import {
  capWarnings,
  cleanText,
  daysInMonth,
  extractLinks,
  fileNameDay,
  isHttpUrl,
  isValidYmd,
  joinLines,
  latestYear,
  monthNumber,
  parseArxivId,
  parseIsoTimestamp,
  parseYmd,
  quote,
  stripInvisible,
  titleKey,
  utcMidnight,
  ymd,
} from "../../src/ingest/normalize.ts";
import { LIMITS } from "../../src/ingest/types.ts";

describe("text helpers", () => {
  it("cleanText collapses all whitespace", () => {
    expect(cleanText("  a \t b\n\n c  ")).toBe("a b c");
    expect(cleanText("\n \n")).toBe("");
  });

  it("joinLines collapses only runs that contain a newline", () => {
    expect(joinLines("one\ntwo  three\n\n   four \n")).toBe("one two  three four");
    expect(joinLines(" a\r\n b ")).toBe("a b");
  });

  it("joinLines stays fast on long runs of spaces", () => {
    const text = `a${" ".repeat(200_000)}b`;
    expect(joinLines(text)).toBe(text);
  });

  it("removes control, bidi and zero-width characters", () => {
    expect(stripInvisible("a\u0000b\u0007c\u007fd\u009fe")).toBe("abcde");
    expect(stripInvisible("\u202aL\u202bR\u202cE\u202dO\u202e|\u2066i\u2067s\u2068o\u2069")).toBe(
      "LREO|iso",
    );
    expect(stripInvisible("\u200eLRM\u200fRLM\u061cALM")).toBe("LRMRLMALM");
    expect(stripInvisible("zero\u200bwidth\u200c\u200d\u2060\ufeff")).toBe("zerowidth");
    // Whitespace is left to cleanText and joinLines; NEL is a line break.
    expect(stripInvisible("a\tb\nc\u0085d")).toBe("a\tb\nc\nd");
    expect(cleanText("\ufeff Title\u200b with\u202e marks \u0007")).toBe("Title with marks");
    expect(cleanText("\u200b\u2066 \u2069")).toBe("");
    expect(joinLines("An\u200d abs\u2067tract\ufeff\n  on\ttwo lines.\u0000")).toBe(
      "An abstract on two lines.",
    );
  });

  it("quote shows a value JSON-quoted and cut short", () => {
    expect(quote('say "hi"')).toBe('"say \\"hi\\""');
    expect(quote("x".repeat(100))).toBe(`"${"x".repeat(80)}…"`);
    expect(quote("abcdef", 3)).toBe('"abc…"');
  });
});

describe("titleKey", () => {
  it("ignores case, punctuation, spacing and accents", () => {
    expect(titleKey("Only-IF:Revealing the Decisive Effect")).toBe(
      "only if revealing the decisive effect",
    );
    expect(titleKey("Only-IF: Revealing  the decisive effect.")).toBe(
      "only if revealing the decisive effect",
    );
    expect(titleKey("Café Ünïcode — Résumé")).toBe("cafe unicode resume");
    expect(titleKey("ＦＵＬＬ Width 2")).toBe("full width 2");
  });

  it("keeps letters of any script and digits; each CJK character is a word", () => {
    expect(titleKey("GPT-4 与 中文")).toBe("gpt 4 与 中 文");
    expect(titleKey("Uni-Perceiver v2")).toBe("uni perceiver v2");
  });

  it("reads LaTeX as text, so a LaTeX title keys like its plain twin", () => {
    const plain =
      "only if revealing the decisive effect of instruction diversity on generalization";
    expect(
      titleKey(
        "$\\textbf{Only-IF}$:Revealing the Decisive Effect of Instruction Diversity on Generalization",
      ),
    ).toBe(plain);
    expect(
      titleKey("Only-IF: Revealing the Decisive Effect of Instruction Diversity on Generalization"),
    ).toBe(plain);
    expect(titleKey("$\\text{Transformer}^2$: Self-adaptive LLMs")).toBe(
      "transformer2 self adaptive llms",
    );
    expect(titleKey("$\\alpha$-Blend of Łódź Straße")).toBe("α blend of lodz strasse");
  });

  it("ignores invisible characters", () => {
    expect(titleKey("Zero\u200bWidth \u202eTitle")).toBe("zerowidth title");
  });

  it("falls back to the cleaned title when it has no letters or digits", () => {
    expect(titleKey(" ?!  ?! ")).toBe("?! ?!");
  });
});

describe("parseArxivId", () => {
  it("reads new-style ids with and without a version", () => {
    expect(parseArxivId("2410.17243")).toEqual({ id: "2410.17243", version: null });
    expect(parseArxivId("2410.17243v2")).toEqual({ id: "2410.17243", version: 2 });
    expect(parseArxivId("0704.0001")).toEqual({ id: "0704.0001", version: null });
    expect(parseArxivId("1412.9999v12")).toEqual({ id: "1412.9999", version: 12 });
  });

  it("reads old-style ids", () => {
    expect(parseArxivId("cs/0112017")).toEqual({ id: "cs/0112017", version: null });
    expect(parseArxivId("math.GT/0309136")).toEqual({ id: "math.GT/0309136", version: null });
    expect(parseArxivId("hep-th/9901001v3")).toEqual({ id: "hep-th/9901001", version: 3 });
  });

  it("rejects anything else", () => {
    for (const raw of [
      "",
      "2410.1724", // a 5-digit id that lost its trailing zero
      "1412.12345", // 5 digits before 2015
      "2413.12345", // month 13
      "2400.12345",
      "2410.17243v0",
      "2410.17243v",
      "arXiv:2410.17243",
      "https://arxiv.org/abs/2410.17243",
      " 2410.17243",
      "CS/0112017",
      "cs/011201",
      "2410,17243",
    ]) {
      expect(parseArxivId(raw), raw).toBeNull();
    }
  });
});

describe("extractLinks", () => {
  it("finds the code repository, without trailing punctuation or .git", () => {
    expect(extractLinks("Code is at https://github.com/jumxglhf/ParetoGNN.").codeUrl).toBe(
      "https://github.com/jumxglhf/ParetoGNN",
    );
    expect(extractLinks("(https://gitlab.com/a/b.git);").codeUrl).toBe("https://gitlab.com/a/b");
    expect(extractLinks("see https://bitbucket.org/x/y, and").codeUrl).toBe(
      "https://bitbucket.org/x/y",
    );
    expect(extractLinks("https://codeberg.org/x/y!").codeUrl).toBe("https://codeberg.org/x/y");
  });

  it("takes the first code link", () => {
    const links = extractLinks("https://github.com/a/one and https://github.com/b/two");
    expect(links.codeUrl).toBe("https://github.com/a/one");
  });

  it("keeps balanced parentheses inside a link", () => {
    expect(extractLinks("(see https://example.org/wiki/A_(b)).").projectUrl).toBe(
      "https://example.org/wiki/A_(b)",
    );
  });

  it("takes the first link off paper, model, code and social hosts as the project page", () => {
    const text =
      "Paper https://arxiv.org/abs/1, https://doi.org/10.1/x, https://huggingface.co/m, " +
      "https://hf.co/d, https://x.com/u, https://twitter.com/u, https://www.github.com/a/b, " +
      "then https://team.github.io/proj/ and https://other.org.";
    expect(extractLinks(text)).toEqual({
      codeUrl: "https://www.github.com/a/b",
      projectUrl: "https://team.github.io/proj/",
    });
    expect(extractLinks("Data: https://ophai.hms.harvard.edu/datasets/x.").projectUrl).toBe(
      "https://ophai.hms.harvard.edu/datasets/x",
    );
    expect(extractLinks("https://group.gitlab.io/p").projectUrl).toBe("https://group.gitlab.io/p");
  });

  it("cuts a link at LaTeX leftovers and other characters links never hold", () => {
    expect(
      extractLinks("Code: https://github.com/SKDDJ/LoLDU{https://github.com/SKDDJ/LoLDU}.").codeUrl,
    ).toBe("https://github.com/SKDDJ/LoLDU");
    expect(extractLinks("available https://github.com/x/URAE{here}.").codeUrl).toBe(
      "https://github.com/x/URAE",
    );
    expect(extractLinks("demo: https://example.github.io/unimumo_demo/{project").projectUrl).toBe(
      "https://example.github.io/unimumo_demo/",
    );
    expect(extractLinks("\\url{https://github.com/a/b}\\footnote").codeUrl).toBe(
      "https://github.com/a/b",
    );
    for (const end of ["\\", "|", "^", "`", "<", ">", '"', " ", "\n"]) {
      expect(extractLinks(`https://github.com/a/b${end}rest`).codeUrl, end).toBe(
        "https://github.com/a/b",
      );
    }
    expect(extractLinks(" https://github.com/a/b.git}, ").codeUrl).toBe("https://github.com/a/b");
  });

  it("ignores links whose host is not a dotted host name, or that do not parse", () => {
    expect(extractLinks("code at https://github and https://github.com/a/b").codeUrl).toBe(
      "https://github.com/a/b",
    );
    for (const text of [
      "https://localhost/x",
      "https://exa mple.org",
      "https://-bad-.org/x",
      "https://a..org/x",
      "https://[::1]/x",
      "https://user@/x",
      "https://:80/x",
      "https://github.com./a",
    ]) {
      expect(extractLinks(text), text).toEqual({ codeUrl: null, projectUrl: null });
    }
    expect(extractLinks("https://Example.ORG/Path").projectUrl).toBe("https://Example.ORG/Path");
    expect(extractLinks("https://müller.example.de/x").projectUrl).toBe(
      "https://müller.example.de/x",
    );
  });

  it("gives nulls when there are no links", () => {
    expect(extractLinks("No links, only github.com mentioned.")).toEqual({
      codeUrl: null,
      projectUrl: null,
    });
    expect(extractLinks(`https://example.org/${"x".repeat(3000)}`).projectUrl).toBeNull();
  });
});

describe("isHttpUrl", () => {
  it("accepts absolute http(s) URLs only", () => {
    expect(isHttpUrl("https://example.org/a")).toBe(true);
    expect(isHttpUrl("http://example.org")).toBe(true);
    expect(isHttpUrl("/avatars/x.svg")).toBe(false);
    expect(isHttpUrl("javascript:alert(1)")).toBe(false);
    expect(isHttpUrl("ftp://example.org")).toBe(false);
  });
});

describe("dates", () => {
  it("reads month abbreviations exactly", () => {
    expect(monthNumber("Jan")).toBe(1);
    expect(monthNumber("Dec")).toBe(12);
    expect(monthNumber("dec")).toBeNull();
    expect(monthNumber("December")).toBeNull();
    expect(monthNumber("Sept")).toBeNull();
  });

  it("knows month lengths", () => {
    expect(daysInMonth(2024, 2)).toBe(29);
    expect(daysInMonth(2025, 2)).toBe(28);
    expect(daysInMonth(1900, 2)).toBe(28);
    expect(daysInMonth(2000, 2)).toBe(29);
    expect(daysInMonth(2025, 4)).toBe(30);
    expect(daysInMonth(2025, 12)).toBe(31);
  });

  it("validates YYYY-MM-DD", () => {
    expect(isValidYmd("2025-12-10")).toBe(true);
    expect(isValidYmd("2024-02-29")).toBe(true);
    expect(isValidYmd("2025-02-29")).toBe(false);
    expect(isValidYmd("2025-13-01")).toBe(false);
    expect(isValidYmd("2025-00-01")).toBe(false);
    expect(isValidYmd("2025-1-01")).toBe(false);
    expect(isValidYmd("2025-12-10T00:00:00Z")).toBe(false);
    expect(parseYmd("2025-12-10")).toEqual({ year: 2025, month: 12, day: 10 });
  });

  it("formats days and dates as YYYY-MM-DD in UTC", () => {
    expect(ymd(new Date("2024-10-25T23:59:59.999Z"))).toBe("2024-10-25");
    expect(ymd(new Date("2024-10-25T23:30:00-02:00"))).toBe("2024-10-26");
    expect(ymd({ year: 2025, month: 3, day: 5 })).toBe("2025-03-05");
    expect(utcMidnight({ year: 2025, month: 3, day: 5 }).toISOString()).toBe(
      "2025-03-05T00:00:00.000Z",
    );
  });

  it("finds the latest year of a day without a year", () => {
    const dec10 = { year: 2025, month: 12, day: 10 };
    expect(latestYear(12, 10, dec10)).toBe(2025);
    expect(latestYear(12, 11, dec10)).toBe(2024);
    expect(latestYear(3, 20, dec10)).toBe(2025);
    expect(latestYear(2, 29, dec10)).toBe(2024);
    expect(latestYear(2, 29, { year: 2024, month: 2, day: 28 })).toBe(2020);
    expect(latestYear(2, 29, { year: 2104, month: 3, day: 1 })).toBe(2104);
    expect(latestYear(2, 29, { year: 2103, month: 3, day: 1 })).toBe(2096);
    expect(latestYear(2, 30, dec10)).toBeNull();
    expect(latestYear(4, 31, dec10)).toBeNull();
  });

  it("reads the first real day anywhere in a file's base name", () => {
    expect(fileNameDay("prisma/seed/2025-12-10-task-generalization.txt")).toBe("2025-12-10");
    expect(fileNameDay("C:\\digests\\2024-10-25.json")).toBe("2024-10-25");
    expect(fileNameDay("2024-10-25")).toBe("2024-10-25");
    expect(fileNameDay("2024-10-25/digest.json")).toBeNull();
    expect(fileNameDay("digest-2024-10-25.json")).toBe("2024-10-25");
    expect(fileNameDay("daily_papers_2025-01-27.json")).toBe("2025-01-27");
    expect(fileNameDay("wrapped-2025-03-04.json")).toBe("2025-03-04");
    expect(fileNameDay("2025-02-30-then-2025-03-01.json")).toBe("2025-03-01");
    expect(fileNameDay("12025-01-270.json")).toBeNull();
    expect(fileNameDay("wrapped.json")).toBeNull();
    expect(fileNameDay("2025-02-30.json")).toBeNull();
    expect(fileNameDay("-")).toBeNull();
  });

  it("parses ISO timestamps", () => {
    expect(parseIsoTimestamp("2024-10-25T00:57:09.392Z")).toEqual(
      new Date(Date.UTC(2024, 9, 25, 0, 57, 9, 392)),
    );
    expect(parseIsoTimestamp("2024-10-25T02:57:09+02:00")).toEqual(
      new Date("2024-10-25T00:57:09Z"),
    );
    expect(parseIsoTimestamp("2024-10-25")).toEqual(new Date("2024-10-25T00:00:00Z"));
  });

  it("explains invalid timestamps", () => {
    expect(parseIsoTimestamp("2024-02-30T10:00:00.000Z")).toBe(
      'invalid date "2024-02-30T10:00:00.000Z": February has 29 days in 2024',
    );
    expect(parseIsoTimestamp("2024-10-25T24:00:00Z")).toBe(
      'invalid date "2024-10-25T24:00:00Z": the time of day does not exist',
    );
    for (const text of [
      "Oct 25, 2024",
      "2024-10-25T00:57:09",
      "1729817829",
      "",
      "2024-10-25 00:57:09Z",
    ]) {
      expect(parseIsoTimestamp(text)).toBe(
        `invalid date ${JSON.stringify(text)}: expected an ISO timestamp like 2024-10-25T00:57:09.392Z`,
      );
    }
  });
});

describe("capWarnings", () => {
  it("keeps up to LIMITS.problemsShown warnings and counts the rest", () => {
    const make = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`);
    expect(capWarnings(make(LIMITS.problemsShown))).toEqual(make(LIMITS.problemsShown));
    expect(capWarnings(make(LIMITS.problemsShown + 1))).toEqual([
      ...make(LIMITS.problemsShown),
      "... and 1 more warning",
    ]);
    expect(capWarnings(make(45)).at(-1)).toBe("... and 25 more warnings");
    expect(capWarnings([])).toEqual([]);
  });
});
