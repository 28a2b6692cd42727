import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseDigest } from "../../src/ingest/parse.ts";
import {
  contentDay,
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

/** A file of test/fixtures/hf-api/ (our own, made in the shape of real responses). */
function hfFixture(name: string): string {
  return readFileSync(new URL(`../fixtures/hf-api/${name}`, import.meta.url), "utf8");
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
    // No item has submittedOnDailyAt: the items' publishedAt, all on 2024-10-25 (UTC), tell the day.
    expect(digest.dateSource).toBe("publishedAt");
    expect(digest.warnings).toEqual([]);
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
        organization: null,
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

  it("needs only paper.id and a title: everything else is null, upvotes included", () => {
    const digest = parse([{ paper: { id: "2410.00004", title: "Bare\n  Paper" } }], {
      source: "2024-10-25.json",
    });
    expect(digest.papers[0]).toEqual({
      rank: 1,
      location: "$[0]",
      arxivId: "2410.00004",
      arxivVersion: null,
      title: "Bare Paper",
      titleKey: "bare paper",
      abstract: "",
      authorCount: 0,
      authors: null,
      publishedAt: null,
      upvotes: null,
      codeUrl: null,
      githubStars: null,
      projectUrl: null,
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
    });
    expect(digest.warnings).toEqual([]);
  });

  it("takes the item title when it is non-empty after cleaning, else paper.title", () => {
    const blank = item("2410.00005");
    blank.title = " \u200b ";
    blank.paper.title = "From\n  the Paper";
    expect(parse([blank]).papers[0]?.title).toBe("From the Paper");
    const odd = item("2410.00006");
    (odd as Record<string, unknown>).title = 42;
    const digest = parse([odd]);
    expect(digest.papers[0]?.title).toBe("Paper 2410.00006");
    expect(digest.warnings).toEqual([
      "daily.json: $[0].title: expected a string, got number 42: using paper.title",
    ]);
  });

  it("reads the organization: handle, display name, and only an absolute avatar URL", () => {
    const withOrg = (organization: unknown) => {
      const it1 = item("2410.00007");
      it1.organization = organization;
      return parse([it1]);
    };
    expect(
      withOrg({
        _id: "x",
        name: "google",
        fullname: "Google",
        avatar: "https://cdn.example.org/g.png",
      }).papers[0]?.organization,
    ).toEqual({ handle: "google", name: "Google", avatarUrl: "https://cdn.example.org/g.png" });
    const relative = withOrg({ name: "tinyuni", avatar: "/avatars/1.svg" });
    expect(relative.papers[0]?.organization).toEqual({
      handle: "tinyuni",
      name: null,
      avatarUrl: null,
    });
    expect(relative.warnings).toEqual([]);
    const nameless = withOrg({ fullname: "No Handle" });
    expect(nameless.papers[0]?.organization).toBeNull();
    expect(nameless.warnings).toEqual([
      "daily.json: $[0].organization.name: expected a string, got nothing (the field is missing): organization ignored",
    ]);
    expect(withOrg("google").warnings).toEqual([
      'daily.json: $[0].organization: expected an object, got string "google": ignored',
    ]);
  });

  it("ignores fields it does not know", () => {
    const extra = item("2410.00008");
    Object.assign(extra, { isAuthorParticipating: true, somethingNew: { deep: [1, 2] } });
    Object.assign(extra.paper, { submittedOnDailyBy: { name: "x" }, mediaUrls: 5 });
    const digest = parse([extra]);
    expect(digest.papers).toHaveLength(1);
    expect(digest.warnings).toEqual([]);
  });

  it("needs of an author only a name; hidden defaults to false", () => {
    const it1 = item("2410.00009");
    (it1.paper as Record<string, unknown>).authors = [
      { name: "Only Name" },
      { _id: "a2", name: "  Spaced\u202e  Name ", hidden: true, status: "claimed_verified" },
      { name: "With User", user: { user: "wuser" } },
    ];
    expect(parse([it1]).papers[0]).toMatchObject({
      authorCount: 3,
      authors: [
        { name: "Only Name", hidden: false, externalId: null, status: null, hfUsername: null },
        {
          name: "Spaced Name",
          hidden: true,
          externalId: "a2",
          status: "claimed_verified",
          hfUsername: null,
        },
        { name: "With User", hidden: false, externalId: null, status: null, hfUsername: "wuser" },
      ],
    });
  });

  it("drops authors without a usable name, with a warning, and keeps doubtful ones hidden", () => {
    const it1 = item("2410.00010");
    (it1.paper as Record<string, unknown>).authors = [
      { name: "Kept" },
      { name: " \u200b\u2066 " },
      { name: 2503.0213 },
      "Jane Doe",
      { name: "n".repeat(501) },
      { name: "Maybe Hidden", hidden: "true" },
    ];
    const digest = parse([it1]);
    expect(digest.papers[0]?.authors?.map((a) => [a.name, a.hidden])).toEqual([
      ["Kept", false],
      ["Maybe Hidden", true],
    ]);
    expect(digest.papers[0]?.authorCount).toBe(2);
    expect(digest.warnings).toEqual([
      'daily.json: $[0].paper.authors[1].name: expected a non-empty name, got string " \u200b\u2066 ": author ignored',
      "daily.json: $[0].paper.authors[2].name: expected a string, got number 2503.0213: author ignored",
      'daily.json: $[0].paper.authors[3]: expected an object, got string "Jane Doe": author ignored',
      expect.stringMatching(
        /^daily\.json: \$\[0\]\.paper\.authors\[4\]\.name: too long: 501 characters \(limit 500\): "nnn.*: author ignored$/,
      ),
      'daily.json: $[0].paper.authors[5].hidden: expected true or false, got string "true": the author is kept hidden',
    ]);
  });

  it("removes control, bidi and zero-width characters from titles, abstracts and names", () => {
    const it1 = item("2410.00011");
    it1.title = "Clean\u200b Ti\u0007tle\u202e";
    it1.paper.summary = "An\u200d abs\u2067tract\ufeff\n  on two lines.";
    it1.submittedBy = { name: "ada", fullname: "Ada\u200f L." };
    const [paper] = parse([it1]).papers;
    expect(paper?.title).toBe("Clean Title");
    expect(paper?.abstract).toBe("An abstract on two lines.");
    expect(paper?.submitterName).toBe("Ada L.");
  });

  it("keeps LaTeX titles as given, and keys them by their words", () => {
    const latex = item("2410.04717");
    latex.title =
      "$\\textbf{Only-IF}$:Revealing the Decisive Effect of Instruction Diversity on Generalization";
    const [paper] = parse([latex]).papers;
    expect(paper?.title).toBe(latex.title);
    expect(paper?.titleKey).toBe(
      "only if revealing the decisive effect of instruction diversity on generalization",
    );
  });

  it("takes the abstract from the item's summary when the paper has none", () => {
    const it1 = item("2410.00012");
    delete (it1.paper as Partial<RawItem["paper"]>).summary;
    it1.summary = "Item\nsummary.";
    expect(parse([it1]).papers[0]?.abstract).toBe("Item summary.");
  });
});

describe("parseHfJsonDigest: invalid optional values are dropped with a warning", () => {
  /** The warnings, and the paper, of one item after `change`. */
  function warningsOf(change: (item: RawItem) => void) {
    const it1 = item("2410.00001");
    change(it1);
    const digest = parse([it1], { date: "2024-10-25" });
    return { warnings: digest.warnings, paper: digest.papers[0] };
  }

  it("names the JSON path and the value", () => {
    const { warnings, paper } = warningsOf((it1) => {
      it1.paper.projectPage = "n/a";
      it1.paper.githubStars = -1;
    });
    expect(warnings).toEqual([
      "daily.json: $[0].paper.githubStars: expected a non-negative integer, got number -1: ignored",
      'daily.json: $[0].paper.projectPage: not an http(s) URL "n/a": ignored',
    ]);
    expect(paper).toMatchObject({ githubStars: null, projectUrl: null });
  });

  it.each([
    [
      "upvotes as a string",
      (i: RawItem) => {
        i.paper.upvotes = "27";
      },
      "upvotes",
      null,
      '$[0].paper.upvotes: expected a number, got string "27": ignored',
    ],
    [
      "negative upvotes",
      (i: RawItem) => {
        i.paper.upvotes = -1;
      },
      "upvotes",
      null,
      "$[0].paper.upvotes: expected a non-negative integer, got number -1: ignored",
    ],
    [
      "fractional upvotes",
      (i: RawItem) => {
        i.paper.upvotes = 1.5;
      },
      "upvotes",
      null,
      "$[0].paper.upvotes: expected an integer, got number 1.5: ignored",
    ],
    [
      "upvotes above the 32-bit limit",
      (i: RawItem) => {
        i.paper.upvotes = 2 ** 31;
      },
      "upvotes",
      null,
      "$[0].paper.upvotes: 2147483648 is more than the limit of 2147483647 (a 32-bit count): ignored",
    ],
    [
      "a comment count above the limit",
      (i: RawItem) => {
        i.numComments = 99999999999;
      },
      "commentCount",
      null,
      "$[0].numComments: 99999999999 is more than the limit of 2147483647 (a 32-bit count): ignored",
    ],
    [
      "stars above the limit",
      (i: RawItem) => {
        i.paper.githubStars = 1e12;
      },
      "githubStars",
      null,
      "$[0].paper.githubStars: 1000000000000 is more than the limit of 2147483647 (a 32-bit count): ignored",
    ],
    [
      "a javascript: thumbnail",
      (i: RawItem) => {
        i.thumbnail = "javascript:alert(1)";
      },
      "thumbnailUrl",
      null,
      '$[0].thumbnail: not an http(s) URL "javascript:alert(1)": ignored',
    ],
    [
      "a relative githubRepo",
      (i: RawItem) => {
        i.paper.githubRepo = "github.com/a/b";
      },
      "codeUrl",
      null,
      '$[0].paper.githubRepo: not an http(s) URL "github.com/a/b": ignored',
    ],
    [
      "Feb 30 as publishedAt",
      (i: RawItem) => {
        i.paper.publishedAt = "2024-02-30T10:00:00.000Z";
      },
      "publishedAt",
      null,
      '$[0].paper.publishedAt: invalid date "2024-02-30T10:00:00.000Z": February has 29 days in 2024: ignored',
    ],
    [
      "words as the item's publishedAt",
      (i: RawItem) => {
        i.publishedAt = "Oct 25, 2024";
      },
      "submittedAt",
      null,
      '$[0].publishedAt: invalid date "Oct 25, 2024": expected an ISO timestamp like 2024-10-25T00:57:09.392Z: ignored',
    ],
    [
      "a number as discussionId",
      (i: RawItem) => {
        (i.paper as Record<string, unknown>).discussionId = 7;
      },
      "discussionId",
      null,
      "$[0].paper.discussionId: expected a string, got number 7: ignored",
    ],
    [
      "a string as authors",
      (i: RawItem) => {
        (i.paper as Record<string, unknown>).authors = "Jane Doe, John Roe";
      },
      "authors",
      null,
      '$[0].paper.authors: expected an array, got string "Jane Doe, John Roe": ignored',
    ],
    [
      "submittedBy as a string",
      (i: RawItem) => {
        (i as Record<string, unknown>).submittedBy = "ada";
      },
      "submitterHandle",
      null,
      '$[0].submittedBy: expected an object, got string "ada": ignored',
    ],
    [
      "a keyword that is not a string",
      (i: RawItem) => {
        i.paper.ai_keywords = ["ok", 3];
      },
      "aiKeywords",
      ["ok"],
      "$[0].paper.ai_keywords[1]: expected a string, got number 3: ignored",
    ],
    [
      "a media URL that is not one",
      (i: RawItem) => {
        i.mediaUrls = ["https://a.org/x.png", "x.png"];
      },
      "mediaUrls",
      ["https://a.org/x.png"],
      '$[0].mediaUrls[1]: not an http(s) URL "x.png": ignored',
    ],
  ])("%s", (_, change, field, stored, warning) => {
    const { warnings, paper } = warningsOf(change);
    expect(warnings).toEqual([`daily.json: ${warning}`]);
    expect((paper as unknown as Record<string, unknown>)[field]).toEqual(stored);
  });

  it("drops values over the length limits", () => {
    const { warnings, paper } = warningsOf((it1) => {
      it1.paper.summary = "word\n".repeat(LIMITS.abstractChars / 4);
      it1.thumbnail = `https://example.org/${"x".repeat(LIMITS.urlChars)}`;
      it1.paper.authors = Array.from({ length: LIMITS.authorsPerPaper + 1 }, (_, i) => ({
        _id: `id${i}`,
        name: `Author ${i}`,
        hidden: false,
      }));
    });
    expect(paper).toMatchObject({
      abstract: "",
      thumbnailUrl: null,
      authors: null,
      authorCount: 0,
    });
    expect(warnings).toEqual([
      "daily.json: $[0].paper.summary: abstract is 62499 characters long (limit 50000): ignored",
      "daily.json: $[0].paper.authors: too many items: 5001 (limit 5000): ignored",
      expect.stringMatching(
        /^daily\.json: \$\[0\]\.thumbnail: too long: 2020 characters \(limit 2000\): "https.*: ignored$/,
      ),
    ]);
  });

  it("treats null as missing, without a warning", () => {
    const { warnings, paper } = warningsOf((it1) => {
      it1.paper.upvotes = null;
      (it1 as Record<string, unknown>).thumbnail = null;
      (it1 as Record<string, unknown>).submittedBy = null;
    });
    expect(warnings).toEqual([]);
    expect(paper).toMatchObject({ upvotes: null, thumbnailUrl: null, submitterHandle: null });
  });

  it("lists 20 warnings and counts the rest", () => {
    const items = Array.from({ length: 25 }, (_, i) => {
      const it1 = item(`2410.${String(i + 1).padStart(5, "0")}`);
      it1.paper.githubRepo = "n/a";
      return it1;
    });
    const { warnings } = parse(items);
    expect(warnings).toHaveLength(LIMITS.problemsShown + 1);
    expect(warnings[0]).toBe(
      'daily.json: $[0].paper.githubRepo: not an http(s) URL "n/a": ignored',
    );
    expect(warnings.at(-1)).toBe("... and 5 more warnings");
  });
});

describe("parseHfJsonDigest: the digest day", () => {
  /** Items submitted (submittedOnDailyAt) at these times. */
  const submitted = (...times: string[]) =>
    times.map((time, i) => {
      const it1 = item(`2501.${String(i + 1).padStart(5, "0")}`, time);
      it1.paper.submittedOnDailyAt = time;
      return it1;
    });
  const wrap = (items: unknown[], date: unknown, count?: number) => ({
    status: "ok",
    date,
    count: count ?? items.length,
    data: items,
  });
  // Submitted the evening before (UTC), after 21:30: the list of the next day, as in real files.
  const evening = submitted("2025-01-26T21:45:00Z", "2025-01-26T23:59:00Z");

  it("comes from --date, then the file name, then the wrapper's date, then the content", () => {
    const day = (items: unknown, options: { date?: string; source?: string }) => {
      const { date, dateSource } = parse(items, options);
      return [date, dateSource];
    };
    const wrapped = wrap(evening, "2025-01-27");
    expect(day(wrapped, { date: "2025-01-27", source: "2025-01-27.json" })).toEqual([
      "2025-01-27",
      "--date",
    ]);
    expect(day(wrapped, { source: "dl/2025-01-27.json" })).toEqual(["2025-01-27", "file name"]);
    expect(day(wrapped, {})).toEqual(["2025-01-27", "wrapper date"]);
    // No name: the content, and a submission the evening before is the next day's list.
    expect(day(evening, {})).toEqual(["2025-01-27", "submittedOnDailyAt"]);
    expect(day([item("2410.00001", "2024-10-25T10:00:00Z")], {})).toEqual([
      "2024-10-25",
      "publishedAt",
    ]);
  });

  it("finds the day anywhere in the file's base name", () => {
    expect(parse(evening, { source: "dl/daily_papers_2025-01-27.json" }).date).toBe("2025-01-27");
    expect(parse(evening, { source: "2025-01-27/daily.json" }).dateSource).toBe(
      "submittedOnDailyAt",
    );
  });

  it("never takes the previous evening (UTC) for the day a name gives, and says nothing", () => {
    for (const options of [{ date: "2025-01-27" }, { source: "2025-01-27.json" }]) {
      const digest = parse(evening, options);
      expect(digest.date).toBe("2025-01-27");
      expect(digest.warnings).toEqual([]);
    }
    const wrapped = parse(wrap(evening, "2025-01-27"));
    expect([wrapped.date, wrapped.warnings]).toEqual(["2025-01-27", []]);
    // The named day itself among the content days: no warning either.
    const mixed = parse(submitted("2025-01-25T10:00:00Z", "2025-01-27T01:00:00Z"), {
      source: "2025-01-27.json",
    });
    expect(mixed.warnings).toEqual([]);
  });

  it("warns when the content's days do not include the named day", () => {
    const digest = parse(evening, { source: "2025-01-28.json" });
    expect(digest.date).toBe("2025-01-28");
    expect(digest.warnings).toEqual([
      "2025-01-28.json: the papers were submitted for the list of 2025-01-27 but the file name names 2025-01-28: using 2025-01-28",
    ]);
    const spread = parse(submitted("2025-01-20T10:00:00Z", "2025-01-21T10:00:00Z"), {
      date: "2025-01-27",
    });
    expect(spread.warnings).toEqual([
      "daily.json: the papers were submitted for the lists of 2025-01-20 to 2025-01-21, most for 2025-01-21, but --date is 2025-01-27: using 2025-01-27",
    ]);
  });

  it("uses submittedOnDailyAt over the items' publishedAt", () => {
    const it1 = item("2501.00001", "2025-01-20T10:00:00Z");
    it1.paper.submittedOnDailyAt = "2025-01-26T22:00:00Z";
    const it2 = item("2501.00002", "2025-01-20T10:00:00Z");
    const digest = parse([it1, it2], { source: "2025-01-27.json" });
    expect(digest.warnings).toEqual([]);
    expect(digest.papers.map((p) => p.submittedAt)).toEqual([
      new Date("2025-01-26T22:00:00Z"),
      new Date("2025-01-20T10:00:00Z"),
    ]);
  });

  it("warns when named days disagree, using the one of higher authority", () => {
    const digest = parse(wrap(evening, "2025-01-26"), { source: "2025-01-27.json" });
    expect(digest.date).toBe("2025-01-27");
    expect(digest.warnings).toEqual([
      "2025-01-27.json: the response's date is 2025-01-26 but the file name names 2025-01-27: using 2025-01-27",
    ]);
    expect(parse(evening, { source: "2025-01-26.json", date: "2025-01-27" }).warnings).toEqual([
      "2025-01-26.json: the file name names 2025-01-26 but --date is 2025-01-27: using 2025-01-27",
    ]);
  });

  it("warns when, without a named day, the papers span several days", () => {
    const spread = [
      item("2410.00001", "2024-10-24T12:00:00Z"),
      item("2410.00002", "2024-10-25T01:00:00Z"),
    ];
    const digest = parse(spread);
    expect(digest.date).toBe("2024-10-25");
    expect(digest.warnings).toEqual([
      "daily.json: no --date and no YYYY-MM-DD in the file name: the papers were submitted for the lists of 2024-10-24 to 2024-10-25, most for 2024-10-25: using 2024-10-25 (pass --date YYYY-MM-DD if that is wrong)",
    ]);
  });

  it("is a problem when nothing tells the day", () => {
    const error = errorOf(() => parse([{ paper: { id: "2410.00001", title: "T" } }]));
    expect(error.where).toBeNull();
    expect(error.problem).toBe(
      "cannot tell which day this digest is: no --date, no YYYY-MM-DD in the file name and no submission times (submittedOnDailyAt or publishedAt) in the items; pass --date YYYY-MM-DD",
    );
    expect(errorOf(() => parse(evening, { date: "2024-10-32" })).problem).toBe(
      'invalid --date "2024-10-32": expected YYYY-MM-DD',
    );
  });

  it("reads the wrapper: an invalid date or a count that disagrees is a warning", () => {
    const digest = parse(wrap(evening, "Jan 27", 5));
    expect(digest.date).toBe("2025-01-27");
    expect(digest.warnings).toEqual([
      "daily.json: $.count: the response says it holds 5 papers but lists 2",
      'daily.json: $.date: expected a day like 2025-03-04, got string "Jan 27": ignored',
    ]);
    expect(parse(wrap(evening, "2025-01-27T00:00:00.000Z")).date).toBe("2025-01-27");
    const bad = items3Bad();
    const error = errorOf(() => parse(wrap(bad, "2025-01-27")));
    expect(error.problems.map((p) => p.where)).toEqual(["$.data[0].paper.id", "$.data[2]"]);
  });

  it("contentDay: the list day most timestamps fall on (lists start 21:30 UTC the evening before)", () => {
    const at = (...times: string[]) => contentDay(times.map((t) => new Date(t)));
    expect(at()).toBeNull();
    // The real boundaries: 21:30 UTC opens the next day's list; 21:29 still belongs to its own.
    expect(at("2025-01-26T21:30:00Z")).toEqual({ day: "2025-01-27", spread: ["2025-01-27"] });
    expect(at("2025-01-26T21:29:59Z")).toEqual({ day: "2025-01-26", spread: ["2025-01-26"] });
    // 2024: D 00:00 to 16:00; 2025 (submittedOnDailyAt): D 00:00 to 09:00; both are day D.
    expect(at("2024-10-25T00:08:39Z", "2024-10-25T21:19:46Z")?.spread).toEqual(["2024-10-25"]);
    expect(at("2025-10-03T00:21:50Z", "2025-10-03T08:59:00Z")?.spread).toEqual(["2025-10-03"]);
    expect(at("2025-01-27T01:00:00Z", "2025-01-26T12:00:00Z", "2025-01-26T13:00:00Z")).toEqual({
      day: "2025-01-26",
      spread: ["2025-01-26", "2025-01-27"],
    });
    // Ties go to the later day.
    expect(at("2025-01-27T01:00:00Z", "2025-01-26T12:00:00Z")).toEqual({
      day: "2025-01-27",
      spread: ["2025-01-26", "2025-01-27"],
    });
    // An offset is read as the instant it names: 2025-01-26T23:00-02:00 is 01:00 UTC on the 27th.
    expect(at("2025-01-26T23:00:00-02:00")?.day).toBe("2025-01-27");
  });
});

/** Three items: a bad id, a good one, and a Python repr string. */
function items3Bad(): unknown[] {
  return [item("2410.1724"), item("2410.00002"), "{'paper': {'id': '2410.00003'}}"];
}

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

  it("rejects a missing paper, id or title", () => {
    const noPaper = fixtureError((items) => {
      delete (items[1] as Partial<RawItem>).paper;
    });
    expect(noPaper.where).toBe("$[1].paper");
    expect(noPaper.problem).toBe("expected an object, got nothing (the field is missing)");

    const noId = fixtureError((items) => {
      delete (items[2] as RawItem).paper.id;
    });
    expect(noId.where).toBe("$[2].paper.id");
    expect(noId.problem).toBe("expected a string, got nothing (the field is missing)");

    const noTitle = fixtureError((items) => {
      delete (items[3] as Partial<RawItem>).title;
      delete (items[3] as RawItem as { paper: Partial<RawItem["paper"]> }).paper.title;
    });
    expect(noTitle.where).toBe("$[3].paper.title");
    expect(noTitle.problem).toBe("expected a string, got nothing (the field is missing)");

    const blank = fixtureError((items) => {
      (items[3] as RawItem).title = "";
      (items[3] as RawItem).paper.title = " \n\u200b ";
    });
    expect(blank.where).toBe("$[3].paper.title");
    expect(blank.problem).toBe("the title is empty");
  });

  it("reports every problem of the file at once", () => {
    const error = fixtureError((items) => {
      (items[4] as RawItem).paper.id = 2410.1869;
      (items[7] as RawItem).title = "";
      (items[7] as RawItem).paper.title = "";
      (items[9] as RawItem).paper.id = "2410.1897";
      (items[9] as RawItem).thumbnail = "javascript:alert(1)"; // only a warning
    });
    expect(error.problems).toEqual([
      { where: "$[4].paper.id", problem: "expected a string, got number 2410.1869" },
      { where: "$[7].paper.title", problem: "the title is empty" },
      {
        where: "$[9].paper.id",
        problem:
          'invalid arXiv id "2410.1897": expected one like 2410.17243, 2410.17243v2 or cs/0112017',
      },
    ]);
    expect(error.where).toBe("$[4].paper.id");
    expect(error.message).toBe(
      [
        "daily.json: 3 problems:",
        "  daily.json: $[4].paper.id: expected a string, got number 2410.1869",
        "  daily.json: $[7].paper.title: the title is empty",
        '  daily.json: $[9].paper.id: invalid arXiv id "2410.1897": expected one like 2410.17243, 2410.17243v2 or cs/0112017',
      ].join("\n"),
    );
  });

  it("lists 20 problems of a file with 40 bad items and counts the rest", () => {
    const items = Array.from({ length: 40 }, (_, i) => item(`2410.${i}`));
    const error = errorOf(() => parse(items));
    expect(error.problems).toHaveLength(40);
    const lines = error.message.split("\n");
    expect(lines[0]).toBe("daily.json: 40 problems:");
    expect(lines.slice(1, -1)).toHaveLength(LIMITS.problemsShown);
    expect(lines[1]).toBe(
      '  daily.json: $[0].paper.id: invalid arXiv id "2410.0": expected one like 2410.17243, 2410.17243v2 or cs/0112017',
    );
    expect(lines.at(-1)).toBe("  ... and 20 more problems");
  });

  it("rejects items that are not objects, each one", () => {
    const repr =
      "{'paper': {'id': '2405.21060', 'authors': [{'_id': '665a', 'name': 'A. Author'}]}}";
    const error = errorOf(() => parse([repr, item("2410.00002"), repr, 7]));
    // The value is shown cut to 80 characters.
    const shown = JSON.stringify(`${repr.slice(0, 80)}…`);
    expect(error.problems).toEqual([
      { where: "$[0]", problem: `expected an object, got string ${shown}` },
      { where: "$[2]", problem: `expected an object, got string ${shown}` },
      { where: "$[3]", problem: "expected an object, got number 7" },
    ]);
  });

  it("enforces the title and paper count limits", () => {
    const title = fixtureError((items) => {
      (items[1] as RawItem).title = "T".repeat(LIMITS.titleChars + 1);
    });
    expect(title.where).toBe("$[1].title");
    expect(title.problem).toMatch(/^title is 1001 characters long \(limit 1000\): "TTTT/);

    const many = Array.from({ length: LIMITS.papersPerDigest + 1 }, (_, i) =>
      item(`2410.${String(i).padStart(5, "0")}`),
    );
    const papers = errorOf(() => parse(many));
    expect(papers.where).toBe("$");
    expect(papers.problem).toBe("lists 10001 papers (limit 10000)");
  });

  it("rejects the same paper twice, naming both paths, each time", () => {
    const error = errorOf(() =>
      parse([item("2410.00001"), item("2410.00002"), item("2410.00001v2"), item("2410.00001")]),
    );
    expect(error.problems).toEqual([
      {
        where: "$[2].paper.id",
        problem: "paper 2410.00001 is listed twice (also at $[0].paper.id)",
      },
      {
        where: "$[3].paper.id",
        problem: "paper 2410.00001 is listed twice (also at $[0].paper.id)",
      },
    ]);
  });

  it("rejects a top-level value that is neither an array nor a wrapper, and no items", () => {
    const object = errorOf(() => parse(fixtureItems()[0]));
    expect(object.where).toBe("$");
    expect(object.problem).toBe(
      'expected an array of items (the /api/daily_papers response) or an object with a "data" array of them, got an object without "data"',
    );
    expect(errorOf(() => parse("2024-10-25")).problem).toMatch(/got string "2024-10-25"$/);
    // `[]` is the API's answer for weekends and holidays: an empty digest, not an error.
    const empty = parseHfJsonDigest("[ ]\n", { source: "2025-01-11.json" });
    expect([empty.date, empty.papers]).toEqual(["2025-01-11", []]);
    const data = errorOf(() => parse({ status: "ok", date: "2025-01-27", data: null }));
    expect(data.where).toBe("$.data");
    expect(data.problem).toBe("expected an array of items, got null");
    expect(parse({ date: "2025-01-27", data: [] }).papers).toEqual([]);
    const noData = parse({ status: "no_data", date: "2025-01-11", message: "No papers found" });
    expect([noData.date, noData.papers]).toEqual(["2025-01-11", []]);
  });

  it("reports the path of a bad second item", () => {
    const bad = item("2410.00002");
    (bad as Record<string, unknown>).paper = [bad.paper];
    const error = errorOf(() => parse([item("2410.00001"), bad]));
    expect(error.where).toBe("$[1].paper");
    expect(error.problem).toBe("expected an object, got an array of 1 items");
  });
});

describe("parseHfJsonDigest: test/fixtures/hf-api (our files, in the shapes real responses take)", () => {
  const load = (name: string, options: { date?: string } = {}) =>
    parseDigest(Buffer.from(hfFixture(name)), { source: `fixtures/${name}`, ...options });

  it("2024-05-06.json: items without discussionId, thumbnail, submittedBy or submittedOnDailyAt", () => {
    const digest = load("2024-05-06.json");
    expect([digest.date, digest.dateSource, digest.warnings]).toEqual([
      "2024-05-06",
      "file name",
      [],
    ]);
    expect(digest.papers.map((p) => p.arxivId)).toEqual(["2405.01434", "2405.02246", "2405.00332"]);
    for (const paper of digest.papers) {
      expect(paper).toMatchObject({
        discussionId: null,
        thumbnailUrl: null,
        submitterHandle: null,
        submitterName: null,
        mediaUrls: null,
        organization: null,
      });
      expect(paper.upvotes).toBeGreaterThan(0);
    }
    expect(digest.papers[0]).toMatchObject({
      title: "Sparse Mixture Routing for Long-Context Retrieval",
      codeUrl: "https://github.com/example-lab/sparse-routing",
      authorCount: 3,
      submittedAt: new Date("2024-05-06T02:11:40.120Z"),
    });
  });

  it("published-at-only.json: the day from the items' publishedAt; a missing upvote count", () => {
    const digest = load("published-at-only.json");
    expect(digest.date).toBe("2024-07-15");
    expect(digest.dateSource).toBe("publishedAt");
    // One item entered the list at 21:37 UTC the evening before: the 15th's list, no warning.
    expect(digest.warnings).toEqual([]);
    expect(digest.papers.map((p) => p.upvotes)).toEqual([31, null, 12]);
    expect(load("published-at-only.json", { date: "2024-07-15" }).warnings).toEqual([]);
  });

  it("wrapped.json: a wrapped response; its date names the day", () => {
    const digest = load("wrapped.json");
    expect([digest.date, digest.dateSource, digest.warnings]).toEqual([
      "2025-03-04",
      "wrapper date",
      [],
    ]);
    expect(digest.papers.map((p) => [p.location, p.arxivId])).toEqual([
      ["$.data[0]", "2503.01785"],
      ["$.data[1]", "2503.01743"],
      ["$.data[2]", "2503.02130"],
    ]);
    expect(digest.papers[1]?.organization).toEqual({
      handle: "microsoft",
      name: "Microsoft",
      avatarUrl:
        "https://cdn-avatars.huggingface.co/v1/production/uploads/1583646260758-5e64858c87403103f9f1055d.png",
    });
  });

  it("wrapped-2025-03-04.json: the file name names the day; a wrong count is a warning", () => {
    const digest = load("wrapped-2025-03-04.json");
    expect([digest.date, digest.dateSource]).toEqual(["2025-03-04", "file name"]);
    expect(digest.warnings).toEqual([
      "fixtures/wrapped-2025-03-04.json: $.count: the response says it holds 5 papers but lists 3",
    ]);
    expect(digest.papers).toEqual(load("wrapped.json").papers);
  });

  it("2024-06-01-repr.json: items that are Python reprs are rejected, every one listed", () => {
    const error = errorOf(() => load("2024-06-01-repr.json"));
    expect(error.problems.map((p) => p.where)).toEqual(["$[0]", "$[1]", "$[2]", "$[3]"]);
    for (const problem of error.problems) {
      expect(problem.problem).toMatch(
        /^expected an object, got string "\{'paper': \{'id': '2405\./,
      );
    }
    expect(error.message.split("\n")[0]).toBe("fixtures/2024-06-01-repr.json: 4 problems:");
  });

  it("2025-10-08.json: LaTeX titles are kept as given and keyed by their words", () => {
    const digest = load("2025-10-08.json");
    expect(digest.warnings).toEqual([]);
    expect(digest.papers.map((p) => [p.title, p.titleKey])).toEqual([
      [
        "$\\textbf{Only-IF}$:Revealing the Decisive Effect of Instruction Diversity on Generalization",
        "only if revealing the decisive effect of instruction diversity on generalization",
      ],
      ["$\\text{Transformer}^2$: Self-adaptive LLMs", "transformer2 self adaptive llms"],
      [
        "LoLDU: Low-Rank Adaptation via Lower-Diag-Upper Decomposition for Parameter-Efficient Fine-Tuning",
        "loldu low rank adaptation via lower diag upper decomposition for parameter efficient fine tuning",
      ],
    ]);
    // Links in abstracts lose the LaTeX braces around them.
    expect(digest.papers[2]).toMatchObject({
      codeUrl: "https://github.com/SKDDJ/LoLDU",
      projectUrl: "https://example.github.io/loldu_demo/",
    });
  });

  it("2025-01-27.json: submitted the evening before (UTC), loads as the named Monday", () => {
    const digest = load("2025-01-27.json");
    expect([digest.date, digest.dateSource, digest.warnings]).toEqual([
      "2025-01-27",
      "file name",
      [],
    ]);
    expect(new Date(`${digest.date}T00:00:00Z`).getUTCDay()).toBe(1);
    for (const paper of digest.papers) {
      expect(paper.submittedAt?.toISOString()).toMatch(/^2025-01-26T(1[89]|2\d):/);
    }
  });

  it("2025-01-27.json: reads organization, AI summary and keywords, repository, stars, pages, media", () => {
    const [omni, exam, video] = load("2025-01-27.json").papers;
    expect(omni).toMatchObject({
      arxivId: "2501.15368",
      upvotes: 52,
      codeUrl: "https://github.com/example-ai/Omni-1.5",
      githubStars: 412,
      projectUrl: "https://example-ai.github.io/omni/",
      mediaUrls: ["https://cdn-uploads.huggingface.co/production/uploads/example/fig1.png"],
      aiSummary:
        "An omni-modal model handles text, image, video and audio input and speaks its answers.",
      aiKeywords: ["omni-modal", "speech generation", "multimodal LLM"],
      organization: {
        handle: "example-ai",
        name: "Example AI Lab",
        avatarUrl: "https://cdn-avatars.huggingface.co/v1/production/uploads/example-ai/logo.png",
      },
      submitterHandle: "yadongli",
      submitterName: "Yadong Li",
      submittedAt: new Date("2025-01-26T21:52:07.146Z"),
    });
    expect(omni?.authors?.[0]).toEqual({
      name: "Yadong Li",
      hidden: false,
      externalId: "6796f0a1b2c3d4e5f6a70001",
      status: "claimed_verified",
      hfUsername: "yadongli",
    });
    expect(exam?.authors?.map((a) => a.hidden)).toEqual([false, true]);
    expect(exam).toMatchObject({ codeUrl: null, projectUrl: "https://lastexam.example.org" });
    // A relative avatar path is not kept; the abstract's LaTeX-wrapped link is cut at the brace.
    expect(video).toMatchObject({
      organization: { handle: "tinyuni", name: "Tiny University", avatarUrl: null },
      codeUrl: "https://github.com/tinyuni/Video-MMMU",
    });
  });

  it("2025-02-03-warnings.json: invalid optional values load as null, with warnings", () => {
    const digest = load("2025-02-03-warnings.json");
    expect(digest.papers).toHaveLength(3);
    expect(digest.warnings).toEqual([
      'fixtures/2025-02-03-warnings.json: $[1].paper.authors[1].name: expected a non-empty name, got string "": author ignored',
      "fixtures/2025-02-03-warnings.json: $[1].paper.githubStars: expected a non-negative integer, got number -1: ignored",
      'fixtures/2025-02-03-warnings.json: $[1].paper.projectPage: not an http(s) URL "n/a": ignored',
    ]);
    expect(digest.papers[1]).toMatchObject({
      githubStars: null,
      projectUrl: null,
      authorCount: 1,
      upvotes: 88,
    });
    expect(digest.papers[2]?.upvotes).toBeNull();
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
