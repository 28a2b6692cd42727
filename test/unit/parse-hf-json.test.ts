import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseDigest } from "../../src/ingest/parse.ts";
import {
  jsonPath,
  jsonSyntaxErrorOffset,
  parseHfJsonDigest,
} from "../../src/ingest/parse-hf-json.ts";
import { DigestError, LIMITS } from "../../src/ingest/types.ts";

const FIXTURE_TEXT = readFileSync(
  new URL("../../prisma/seed/2024-10-25.json", import.meta.url),
  "utf8",
);

/** The fields of the API response these tests look at. */
interface RawAuthor {
  _id: string;
  name: string;
  hidden: boolean;
  status?: string;
  user?: { user: string };
}
interface RawItem {
  paper: {
    id: unknown;
    authors: RawAuthor[];
    publishedAt: string;
    title: string;
    summary: string;
    upvotes: unknown;
    discussionId: string;
    [key: string]: unknown;
  };
  publishedAt: string;
  title: string;
  thumbnail: string;
  mediaUrls?: string[];
  numComments: number;
  submittedBy: { name: string; fullname: string };
  [key: string]: unknown;
}

/** A fresh, mutable copy of the fixture's items. */
function fixtureItems(): RawItem[] {
  return JSON.parse(FIXTURE_TEXT) as RawItem[];
}

function errorOf(run: () => unknown): DigestError {
  try {
    run();
  } catch (error) {
    if (error instanceof DigestError) return error;
    throw error;
  }
  throw new Error("expected a DigestError, but nothing was thrown");
}

function parse(items: unknown, options: { date?: string; source?: string } = {}) {
  return parseHfJsonDigest(JSON.stringify(items), { source: "daily.json", ...options });
}

/** A minimal valid item. */
function item(id: string, submitted = "2024-10-25T10:00:00.000Z"): RawItem {
  return {
    paper: {
      id,
      authors: [{ _id: "a1", name: "Ada Lovelace", hidden: false }],
      publishedAt: "2024-10-24T12:00:00.000Z",
      title: `Paper ${id}`,
      summary: "An abstract.",
      upvotes: 1,
      discussionId: "d1",
    },
    publishedAt: submitted,
    title: `Paper ${id}`,
    thumbnail: `https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/${id}.png`,
    numComments: 0,
    submittedBy: { name: "ada", fullname: "Ada L." },
  };
}

describe("parseHfJsonDigest: the real API fixture", () => {
  const raw = fixtureItems();
  const digest = parseHfJsonDigest(FIXTURE_TEXT, { source: "daily.json" });

  it("reads 29 papers of 2024-10-25", () => {
    expect(digest.format).toBe("hf-json");
    expect(digest.date).toBe("2024-10-25");
    expect(digest.papers).toHaveLength(29);
    expect(raw).toHaveLength(29);
  });

  it("maps every item field by field", () => {
    raw.forEach((item, i) => {
      const paper = digest.papers[i];
      expect(typeof item.paper.id).toBe("string");
      const abstract = item.paper.summary
        .split(/\s*\n\s*/)
        .join(" ")
        .trim();
      const links = [...abstract.matchAll(/https:\/\/github\.com\/[\w./-]+?(?=[.,)]?(?:\s|$))/g)];
      expect(paper).toEqual({
        rank: i + 1,
        location: `$[${i}]`,
        arxivId: item.paper.id,
        arxivVersion: null,
        title: item.title,
        titleKey: expect.any(String),
        abstract,
        authorCount: item.paper.authors.length,
        authors: item.paper.authors.map((author) => ({
          name: author.name,
          hidden: author.hidden,
          externalId: author._id,
          status: author.status ?? null,
          hfUsername: author.user?.user ?? null,
        })),
        publishedAt: new Date(item.paper.publishedAt),
        upvotes: item.paper.upvotes,
        codeUrl: links[0]?.[0] ?? null,
        githubStars: null,
        projectUrl: null,
        thumbnailUrl: item.thumbnail,
        mediaUrls: item.mediaUrls ?? null,
        commentCount: item.numComments,
        discussionId: item.paper.discussionId,
        submitterHandle: item.submittedBy.name,
        submitterName: item.submittedBy.fullname,
        aiSummary: null,
        aiKeywords: null,
        withdrawnAt: null,
        submittedAt: new Date(item.publishedAt),
      });
    });
  });

  it("keeps author order and hidden flags (2410.17897 has one hidden author)", () => {
    const paper = digest.papers.find((p) => p.arxivId === "2410.17897");
    expect(paper?.authors?.map((a) => [a.name, a.hidden])).toEqual([
      ["Zhanchao Zhou", true],
      ["Tianyi Wu", false],
      ["Zhiyun Jiang", false],
      ["Zhenzhong Lan", false],
    ]);
    expect(paper?.authors?.[0]).toMatchObject({
      status: "claimed_verified",
      hfUsername: "Zcchill",
    });
    const hidden = digest.papers.flatMap((p) => (p.authors ?? []).filter((a) => a.hidden));
    expect(hidden).toHaveLength(1);
  });

  it("spells out the first paper", () => {
    const first = digest.papers[0];
    expect(first?.arxivId).toBe("2410.17243");
    expect(first?.title).toBe(
      "Breaking the Memory Barrier: Near Infinite Batch Size Scaling for Contrastive Loss",
    );
    expect(first?.titleKey).toBe(
      "breaking the memory barrier near infinite batch size scaling for contrastive loss",
    );
    expect(first?.abstract).toMatch(
      /^Contrastive loss is a powerful approach for representation learning, where larger batch sizes/,
    );
    expect(first?.abstract).not.toMatch(/\n| {2}/);
    expect(first?.authors?.map((a) => a.hfUsername)).toEqual([
      "ClownRat",
      null,
      null,
      null,
      "Zhiqiang007",
      null,
      null,
      null,
      "LidongBing",
    ]);
    expect(first?.upvotes).toBe(64);
    expect(first?.mediaUrls).toHaveLength(3);
    expect(first?.submitterHandle).toBe("ClownRat");
    expect(first?.submittedAt).toEqual(new Date("2024-10-25T00:57:09.392Z"));
  });

  it("finds code links in abstracts and ignores dataset links for the project page", () => {
    const byId = (id: string) => digest.papers.find((p) => p.arxivId === id);
    expect(byId("2410.18798")?.codeUrl).toBe("https://github.com/hewei2001/ReachQA");
    expect(byId("2410.18775")?.codeUrl).toBe("https://github.com/Shilin-LU/VINE");
    expect(byId("2410.18505")).toMatchObject({ codeUrl: null, projectUrl: null });
    expect(digest.papers.filter((p) => p.codeUrl)).toHaveLength(4);
  });

  it("has distinct ids and title keys", () => {
    expect(new Set(digest.papers.map((p) => p.arxivId)).size).toBe(29);
    expect(new Set(digest.papers.map((p) => p.titleKey)).size).toBe(29);
  });
});

describe("parseHfJsonDigest: mapping", () => {
  it("reads optional fields when present", () => {
    const full = item("2410.00001v3");
    Object.assign(full.paper, {
      submittedOnDailyAt: "2024-10-25T08:00:00.000Z",
      ai_summary: "A summary.",
      ai_keywords: ["graphs", "SSL"],
      githubRepo: "https://github.com/org/repo",
      githubStars: 42,
      projectPage: "https://org.github.io/repo",
      withdrawnAt: "2024-11-01T00:00:00.000Z",
      summary: "Code: https://github.com/other/x. Page https://example.org/p.",
    });
    full.mediaUrls = ["https://cdn.example.org/a.png"];
    full.paper.authors[0] = {
      ...full.paper.authors[0],
      status: "claimed_verified",
      user: { user: "ada" },
    } as RawAuthor;
    const [paper] = parse([full]).papers;
    expect(paper).toMatchObject({
      arxivId: "2410.00001",
      arxivVersion: 3,
      codeUrl: "https://github.com/org/repo",
      githubStars: 42,
      projectUrl: "https://org.github.io/repo",
      aiSummary: "A summary.",
      aiKeywords: ["graphs", "SSL"],
      withdrawnAt: new Date("2024-11-01T00:00:00.000Z"),
      submittedAt: new Date("2024-10-25T08:00:00.000Z"),
      mediaUrls: ["https://cdn.example.org/a.png"],
      authors: [
        {
          name: "Ada Lovelace",
          hidden: false,
          externalId: "a1",
          status: "claimed_verified",
          hfUsername: "ada",
        },
      ],
    });
  });

  it("falls back to links in the abstract and accepts nulls for optional fields", () => {
    const it1 = item("2410.00002");
    Object.assign(it1.paper, {
      summary: "Code: https://github.com/other/x.git.\nPage (https://example.org/p).",
      githubRepo: null,
      projectPage: null,
      ai_keywords: null,
    });
    expect(parse([it1]).papers[0]).toMatchObject({
      codeUrl: "https://github.com/other/x",
      projectUrl: "https://example.org/p",
      aiKeywords: null,
    });
  });

  it("collapses line breaks in the abstract, and uses paper.title without an item title", () => {
    const it1 = item("2410.00003");
    it1.paper.summary = "  Line one\n  line two,  with two spaces.\n\nNext paragraph.\n";
    it1.paper.title = "A Title\n  Wrapped";
    delete (it1 as Partial<RawItem>).title;
    const [paper] = parse([it1]).papers;
    expect(paper?.abstract).toBe("Line one line two,  with two spaces. Next paragraph.");
    expect(paper?.title).toBe("A Title Wrapped");
  });

  it("accepts old-style arXiv ids", () => {
    const digest = parse([item("cs/0112017"), item("math.GT/0309136v2"), item("hep-th/9901001")]);
    expect(digest.papers.map((p) => [p.arxivId, p.arxivVersion])).toEqual([
      ["cs/0112017", null],
      ["math.GT/0309136", 2],
      ["hep-th/9901001", null],
    ]);
  });

  it("finds the digest day from --date, then the submission days, then the file name", () => {
    const spread = [
      item("2410.00001", "2024-10-24T23:00:00Z"),
      item("2410.00002", "2024-10-25T01:00:00Z"),
    ];
    expect(parse(spread, { date: "2024-10-26" }).date).toBe("2024-10-26");
    expect(parse([spread[0]]).date).toBe("2024-10-24");
    expect(parse(spread, { source: "data/2024-10-25.json" }).date).toBe("2024-10-25");
    const error = errorOf(() => parse(spread));
    expect(error.where).toBeNull();
    expect(error.problem).toBe(
      "the papers were submitted on 2 different days (2024-10-24, 2024-10-25); pass --date YYYY-MM-DD to say which day this digest is",
    );
    expect(errorOf(() => parse(spread, { date: "2024-10-32" })).problem).toBe(
      'invalid --date "2024-10-32": expected YYYY-MM-DD',
    );
  });
});

describe("parseHfJsonDigest: errors", () => {
  /** The error for the fixture after `change` edits its items. */
  function fixtureError(change: (items: RawItem[]) => void): DigestError {
    const items = fixtureItems();
    change(items);
    return errorOf(() => parse(items));
  }

  it("rejects a paper id given as a number", () => {
    const error = errorOf(() =>
      parseHfJsonDigest(FIXTURE_TEXT.replace('"id":"2410.18533"', '"id":2503.02130'), {
        source: "daily.json",
      }),
    );
    expect(error.where).toBe("$[2].paper.id");
    expect(error.problem).toBe("expected a string, got number 2503.0213");
    expect(error.message).toBe(
      "daily.json: $[2].paper.id: expected a string, got number 2503.0213",
    );
  });

  it("rejects ids that are not arXiv ids", () => {
    for (const id of [
      "2410.1724",
      "arXiv:2410.17243",
      "2413.12345",
      "2410.17243v0",
      " 2410.17243",
      "abc",
    ]) {
      const error = fixtureError((items) => {
        (items[3] as RawItem).paper.id = id;
      });
      expect(error.where).toBe("$[3].paper.id");
      expect(error.problem).toBe(
        `invalid arXiv id ${JSON.stringify(id)}: expected one like 2410.17243, 2410.17243v2 or cs/0112017`,
      );
    }
  });

  it("rejects upvotes given as a string, or negative", () => {
    const error = fixtureError((items) => {
      (items[5] as RawItem).paper.upvotes = "27";
    });
    expect(error.where).toBe("$[5].paper.upvotes");
    expect(error.problem).toBe('expected a number, got string "27"');
    const negative = fixtureError((items) => {
      (items[5] as RawItem).paper.upvotes = -1;
    });
    expect(negative.problem).toBe("expected a non-negative integer, got number -1");
    const fraction = fixtureError((items) => {
      (items[5] as RawItem).paper.upvotes = 1.5;
    });
    expect(fraction.problem).toBe("expected an integer, got number 1.5");
  });

  it("rejects authors that are not an array, and bad author entries", () => {
    const error = fixtureError((items) => {
      (items[1] as RawItem).paper.authors = "Jane Doe, John Roe" as unknown as RawAuthor[];
    });
    expect(error.where).toBe("$[1].paper.authors");
    expect(error.problem).toBe('expected an array, got string "Jane Doe, John Roe"');

    const name = fixtureError((items) => {
      ((items[3] as RawItem).paper.authors[2] as RawAuthor).name = 2503.0213 as unknown as string;
    });
    expect(name.where).toBe("$[3].paper.authors[2].name");
    expect(name.problem).toBe("expected a string, got number 2503.0213");

    const hidden = fixtureError((items) => {
      delete ((items[0] as RawItem).paper.authors[1] as RawAuthor as Partial<RawAuthor>).hidden;
    });
    expect(hidden.where).toBe("$[0].paper.authors[1].hidden");
    expect(hidden.problem).toBe("expected true or false, got nothing (the field is missing)");

    const empty = fixtureError((items) => {
      ((items[0] as RawItem).paper.authors[0] as RawAuthor).name = "  ";
    });
    expect(empty.problem).toBe('expected a non-empty name, got string "  "');
  });

  it("reports the first problem and counts the others", () => {
    const error = fixtureError((items) => {
      (items[4] as RawItem).numComments = -2;
      (items[7] as RawItem).paper.upvotes = null;
      (items[9] as RawItem).thumbnail = "javascript:alert(1)";
    });
    expect(error.where).toBe("$[4].numComments");
    expect(error.problem).toBe(
      "expected a non-negative integer, got number -2 (and 2 more problems)",
    );
  });

  it("rejects invalid or non-ISO dates", () => {
    const feb30 = fixtureError((items) => {
      (items[2] as RawItem).paper.publishedAt = "2024-02-30T10:00:00.000Z";
    });
    expect(feb30.where).toBe("$[2].paper.publishedAt");
    expect(feb30.problem).toBe(
      'invalid date "2024-02-30T10:00:00.000Z": February has 29 days in 2024',
    );

    const words = fixtureError((items) => {
      (items[2] as RawItem).publishedAt = "Oct 25, 2024";
    });
    expect(words.where).toBe("$[2].publishedAt");
    expect(words.problem).toBe(
      'invalid date "Oct 25, 2024": expected an ISO timestamp like 2024-10-25T00:57:09.392Z',
    );
  });

  it("rejects a non-http thumbnail and a missing one", () => {
    const js = fixtureError((items) => {
      (items[0] as RawItem).thumbnail = "javascript:alert(1)";
    });
    expect(js.where).toBe("$[0].thumbnail");
    expect(js.problem).toBe('expected an http(s) URL, got string "javascript:alert(1)"');
    const missing = fixtureError((items) => {
      delete (items[0] as Partial<RawItem>).thumbnail;
    });
    expect(missing.problem).toBe("expected a string, got nothing (the field is missing)");
  });

  it("enforces the limits", () => {
    const title = fixtureError((items) => {
      (items[1] as RawItem).title = "T".repeat(LIMITS.titleChars + 1);
    });
    expect(title.where).toBe("$[1].title");
    expect(title.problem).toMatch(/^title is 1001 characters long \(limit 1000\): "TTTT/);

    const abstract = fixtureError((items) => {
      (items[1] as RawItem).paper.summary = "word\n".repeat(LIMITS.abstractChars / 4);
    });
    expect(abstract.where).toBe("$[1].paper.summary");
    expect(abstract.problem).toMatch(/^abstract is 62499 characters long \(limit 50000\)$/);

    const authors = fixtureError((items) => {
      (items[1] as RawItem).paper.authors = Array.from(
        { length: LIMITS.authorsPerPaper + 1 },
        (_, i) => ({
          _id: `id${i}`,
          name: `Author ${i}`,
          hidden: false,
        }),
      );
    });
    expect(authors.where).toBe("$[1].paper.authors");
    expect(authors.problem).toBe("too many items: 5001 (limit 5000)");

    const name = fixtureError((items) => {
      ((items[1] as RawItem).paper.authors[0] as RawAuthor).name = "n".repeat(501);
    });
    expect(name.where).toBe("$[1].paper.authors[0].name");
    expect(name.problem).toMatch(/^too long: 501 characters \(limit 500\): "nnnn/);

    const url = fixtureError((items) => {
      (items[1] as RawItem).thumbnail = `https://example.org/${"x".repeat(LIMITS.urlChars)}`;
    });
    expect(url.where).toBe("$[1].thumbnail");
    expect(url.problem).toMatch(/^too long: 2020 characters \(limit 2000\)/);

    const many = Array.from({ length: LIMITS.papersPerDigest + 1 }, (_, i) =>
      item(`2410.${String(i).padStart(5, "0")}`),
    );
    const papers = errorOf(() => parse(many));
    expect(papers.where).toBe("$");
    expect(papers.problem).toBe("lists 10001 papers (limit 10000)");
  });

  it("rejects the same paper twice, naming both paths", () => {
    const error = errorOf(() =>
      parse([item("2410.00001"), item("2410.00002"), item("2410.00001v2")]),
    );
    expect(error.where).toBe("$[2].paper.id");
    expect(error.problem).toBe("paper 2410.00001 is listed twice (also at $[0].paper.id)");
  });

  it("rejects a top-level object and an empty array", () => {
    const object = errorOf(() => parse(fixtureItems()[0]));
    expect(object.where).toBe("$");
    expect(object.problem).toBe(
      "expected an array of items (the /api/daily_papers response), got an object",
    );
    const empty = errorOf(() => parseHfJsonDigest("[ ]\n", { source: "daily.json" }));
    expect(empty.where).toBeNull();
    expect(empty.problem).toBe("digest lists no papers");
  });

  it("reports the path of a bad second item", () => {
    const bad = item("2410.00002");
    (bad.paper as Record<string, unknown>).authors = { name: "Ada" };
    const error = errorOf(() => parse([item("2410.00001"), bad]));
    expect(error.where).toBe("$[1].paper.authors");
    expect(error.problem).toBe("expected an array, got an object");
  });
});

describe("parseHfJsonDigest: JSON syntax errors", () => {
  it("reports a truncated file at its end, with line and column", () => {
    const half = FIXTURE_TEXT.slice(0, Math.floor(FIXTURE_TEXT.length / 2));
    const lines = half.trimEnd().split("\n");
    const error = errorOf(() => parseDigest(Buffer.from(half), { source: "half.json" }));
    expect(error.where).toBe(`line ${lines.length}, column ${(lines.at(-1)?.length ?? 0) + 1}`);
    expect(error.problem).toMatch(/^invalid JSON: /);
    expect(error.message).toMatch(new RegExp(`^half\\.json:${lines.length}:\\d+: invalid JSON`));
  });

  it("reports an end of input in the middle of a value", () => {
    const error = errorOf(() => parseHfJsonDigest('[{"paper": {"id": "24', { source: "x.json" }));
    expect(error.where).toBe("line 1, column 22");
    const end = errorOf(() => parseHfJsonDigest("[\n  {\n", { source: "x.json" }));
    expect(end.where).toBe("line 2, column 4");
    expect(end.problem).toMatch(
      /^invalid JSON: the input ends in the middle of a value \(truncated file\?\)/,
    );
  });

  it("locates errors V8 reports without a position", () => {
    const text = '[\n  {"paper": {"id": "2410.1"},\n   "title": }\n]';
    const error = errorOf(() => parseHfJsonDigest(text, { source: "x.json" }));
    expect(error.where).toBe("line 3, column 13");
    expect(error.problem).toMatch(/^invalid JSON: unexpected "}" near /);
  });

  it("uses V8's position when it gives one", () => {
    const error = errorOf(() =>
      parseHfJsonDigest('[\n  {"a": 1} {"b": 2}\n]', { source: "x.json" }),
    );
    expect(error.where).toBe("line 2, column 12");
    expect(error.problem).toMatch(/^invalid JSON: Expected ',' or ']' after array element near /);
  });

  it("finds syntax error offsets", () => {
    expect(jsonSyntaxErrorOffset('[1, {"a": [true, null, "x\\n"]}, -2.5e3]')).toBe(-1);
    expect(jsonSyntaxErrorOffset("[1,]")).toBe(3);
    expect(jsonSyntaxErrorOffset("[tru]")).toBe(1);
    expect(jsonSyntaxErrorOffset('{"a":}')).toBe(5);
    expect(jsonSyntaxErrorOffset("[01]")).toBe(2);
    expect(jsonSyntaxErrorOffset("[1] x")).toBe(4);
    expect(jsonSyntaxErrorOffset("[")).toBe(1);
    expect(jsonSyntaxErrorOffset(`${"[".repeat(100_000)}}`)).toBe(100_000);
  });

  it("writes JSON paths", () => {
    expect(jsonPath([3, "paper", "authors", 2, "name"])).toBe("$[3].paper.authors[2].name");
    expect(jsonPath(["odd key"])).toBe('$["odd key"]');
    expect(jsonPath([])).toBe("$");
  });
});
