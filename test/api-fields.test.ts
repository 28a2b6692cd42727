/**
 * The API's real-data fields on both engines, through real GraphQL operations: a paper's Daily
 * Papers details (stars, AI summary and keywords, media, submitter, organization, discussion),
 * `paper(arxivId)` in every form people paste, Date arguments that name themselves when wrong,
 * `topAuthors` with a name repeated in one author list, `Author.papers`, and named lists.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Server } from "../src/server.ts";
import { post, serverFor } from "./support/api.ts";
import { createTestDatabase, ENGINES, type TestDatabase } from "./support/engines.ts";
import { type ApiItem, ingestBytes, TEXT_FIXTURE } from "./support/ingest.ts";

// biome-ignore lint/suspicious/noExplicitAny: operation results, checked field by field below
type Json = any;

const DAY1 = "2025-03-03";
const DAY2 = "2025-03-04";
const LIST = "2025-12-10-task-generalization";
/** A paper of the captured listing (rank 3, 3 upvotes there) that an API digest also lists. */
const SHARED_TITLE =
  "OThink-MR1: Stimulating multimodal generalized reasoning capabilities via dynamic reinforcement learning";

interface ItemSpec {
  id: string;
  title: string;
  authors: (string | { name: string; hidden: boolean })[];
  upvotes: number;
  publishedAt: string;
  summary?: string;
  paper?: Record<string, unknown>;
  item?: Record<string, unknown>;
}

/** One item of a /api/daily_papers response. */
function apiItem(spec: ItemSpec): ApiItem {
  return {
    paper: {
      id: spec.id,
      title: spec.title,
      summary: spec.summary ?? `We study ${spec.title.toLowerCase()}.`,
      authors: spec.authors.map((a, i) => ({
        _id: `${spec.id}-${i}`,
        ...(typeof a === "string" ? { name: a, hidden: false } : a),
      })),
      publishedAt: `${spec.publishedAt}T12:00:00.000Z`,
      upvotes: spec.upvotes,
      ...spec.paper,
    },
    title: spec.title,
    ...spec.item,
  };
}

const P1 = apiItem({
  id: "2501.08313",
  title: "Lightning Attention at Scale",
  // Ann Lee is named twice: topAuthors must count the paper (and its upvotes) once for her.
  authors: ["Ann Lee", "Bob Stone", "Ann Lee"],
  upvotes: 50,
  publishedAt: "2025-01-14",
  summary: "Linear attention for long contexts. A port lives at https://gitlab.com/other/port.",
  paper: {
    githubRepo: "https://github.com/acme/lightning",
    githubStars: 1234,
    ai_summary: "Lightning attention makes\nlong contexts cheap.",
    ai_keywords: ["linear attention", "  long   context ", "MoE"],
    discussionId: "678f0c1d2e3a4b5c6d7e8f90",
  },
  item: {
    thumbnail: "https://cdn.example.org/thumbs/2501.08313.png",
    numComments: 7,
    mediaUrls: ["https://cdn.example.org/media/a.png", "https://cdn.example.org/media/b.mp4"],
    submittedBy: { name: "jdoe", fullname: "Jane Doe" },
    organization: {
      _id: "org1",
      name: "acme-ai",
      fullname: "Acme AI",
      avatar: "https://cdn.example.org/avatars/acme.png",
    },
  },
});

const P2 = apiItem({
  id: "2503.00002",
  title: "Tools for Graph Benchmarks",
  // Ann Lee's authorship is hidden here: it counts nowhere.
  authors: [{ name: "Ann Lee", hidden: true }, "Carl Moe"],
  upvotes: 10,
  publishedAt: "2025-03-01",
  summary: "Benchmarks for graphs. Code: https://gitlab.com/moe/tool.git.",
});

const P3 = apiItem({
  id: "cs/0112017",
  title: "An Old Style Paper",
  authors: ["Bob Stone"],
  upvotes: 5,
  publishedAt: "2001-12-20",
  paper: { discussionId: "d3" },
  item: {
    submittedBy: { name: "solo" },
    // A relative avatar (as the API often gives) is not kept.
    organization: { _id: "org2", name: "old-lab", avatar: "/avatars/old-lab.png" },
  },
});

const P4 = apiItem({
  id: "math.GT/0309136",
  title: "Knots Revisited",
  authors: ["Ann Lee"],
  upvotes: 3,
  publishedAt: "2003-09-09",
  summary: "Knots, with code at https://codeberg.org/ann/knots).",
});

const P5 = apiItem({
  id: "2503.00005",
  title: "A Later Paper by Ann",
  authors: ["Ann Lee", "Dan Roe"],
  upvotes: 20,
  publishedAt: "2025-03-02",
});

const SHARED = apiItem({
  id: "2503.16081",
  title: SHARED_TITLE,
  authors: ["Zhiyuan Liu"],
  upvotes: 99,
  publishedAt: "2025-03-20",
});

/** Papers enough for pages of 20, each with every detail. */
const FILLERS = Array.from({ length: 25 }, (_, i) =>
  apiItem({
    id: `2503.${10100 + i}`,
    title: `Filler Study Number ${i}`,
    authors: [`Filler Author ${i}`, "Common Filler"],
    upvotes: 30 + i,
    publishedAt: "2025-03-02",
    paper: { githubRepo: `https://github.com/f/${i}`, githubStars: i, ai_keywords: ["filler"] },
    item: {
      mediaUrls: [`https://cdn.example.org/f/${i}.png`],
      submittedBy: { name: `user${i}`, fullname: `User ${i}` },
      organization: { _id: `o${i}`, name: `org-${i}`, fullname: `Org ${i}`, avatar: null },
      thumbnail: `https://cdn.example.org/f/${i}-thumb.png`,
      numComments: i,
    },
  }),
);

const PAPER_DETAILS = `
  arxivId title codeUrl githubStars aiSummary aiKeywords mediaUrls commentCount thumbnailUrl
  discussionUrl submittedBy { handle name } organization { handle name avatarUrl }`;

describe.each(ENGINES)("real-data fields on %s", (provider) => {
  let database: TestDatabase;
  let server: Server;
  const statements: string[] = [];

  async function run(query: string, variables?: Record<string, unknown>) {
    return post<Json>(server, { query, variables });
  }

  /** The data of an operation that must succeed. */
  async function ok(query: string, variables?: Record<string, unknown>): Promise<Json> {
    const result = await run(query, variables);
    expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
    return result.data;
  }

  /** How many SQL statements an operation costs. */
  async function cost(query: string, variables?: Record<string, unknown>): Promise<number> {
    statements.length = 0;
    await ok(query, variables);
    return statements.length;
  }

  beforeAll(async () => {
    database = await createTestDatabase(provider, { onQuery: (sql) => statements.push(sql) });
    const report = await ingestBytes(database.sql, {
      [`${DAY1}.json`]: JSON.stringify([P1, P2, P3, P4]),
      [`${DAY2}.json`]: JSON.stringify([P5, SHARED, ...FILLERS]),
      [TEXT_FIXTURE]: readFileSync(TEXT_FIXTURE),
    });
    expect(report.failed).toBe(0);
    server = serverFor(database);
  });

  afterAll(async () => {
    await database?.destroy();
  });

  describe("paper details", () => {
    it("gives every detail the API sent", async () => {
      const data = await ok(`{ paper(arxivId: "2501.08313") { ${PAPER_DETAILS} } }`);
      expect(data.paper).toEqual({
        arxivId: "2501.08313",
        title: "Lightning Attention at Scale",
        // githubRepo wins over the abstract's code-host link.
        codeUrl: "https://github.com/acme/lightning",
        githubStars: 1234,
        aiSummary: "Lightning attention makes long contexts cheap.",
        aiKeywords: ["linear attention", "long context", "MoE"],
        mediaUrls: ["https://cdn.example.org/media/a.png", "https://cdn.example.org/media/b.mp4"],
        commentCount: 7,
        thumbnailUrl: "https://cdn.example.org/thumbs/2501.08313.png",
        discussionUrl: "https://huggingface.co/papers/2501.08313",
        submittedBy: { handle: "jdoe", name: "Jane Doe" },
        organization: {
          handle: "acme-ai",
          name: "Acme AI",
          avatarUrl: "https://cdn.example.org/avatars/acme.png",
        },
      });
    });

    it("gives empty lists and nulls for what the API did not send", async () => {
      const data = await ok(`{ paper(arxivId: "2503.00002") { ${PAPER_DETAILS} } }`);
      expect(data.paper).toEqual({
        arxivId: "2503.00002",
        title: "Tools for Graph Benchmarks",
        // The abstract's first code-host link, without the sentence's dot and `.git`.
        codeUrl: "https://gitlab.com/moe/tool",
        githubStars: null,
        aiSummary: null,
        aiKeywords: [],
        mediaUrls: [],
        commentCount: null,
        thumbnailUrl: null,
        discussionUrl: null,
        submittedBy: null,
        organization: null,
      });
    });

    it("keeps a submitter without a display name and an organization without an avatar", async () => {
      const data = await ok(`{ paper(arxivId: "cs/0112017") { ${PAPER_DETAILS} } }`);
      expect(data.paper).toMatchObject({
        codeUrl: null,
        discussionUrl: "https://huggingface.co/papers/cs/0112017",
        submittedBy: { handle: "solo", name: null },
        organization: { handle: "old-lab", name: null, avatarUrl: null },
      });
    });

    it("gives page-text papers no Daily Papers details", async () => {
      const data = await ok(
        `query($f: PaperFilter) { papers(filter: $f, first: 1) { nodes { ${PAPER_DETAILS} } } }`,
        { f: { search: "ParetoGNN" } },
      );
      expect(data.papers.nodes).toEqual([
        expect.objectContaining({
          codeUrl: "https://github.com/jumxglhf/ParetoGNN",
          aiKeywords: [],
          mediaUrls: [],
          discussionUrl: null,
          submittedBy: null,
          organization: null,
        }),
      ]);
    });

    it("filters on hasCode exactly as codeUrl is set", async () => {
      const query = `query($f: PaperFilter) {
        papers(filter: $f, orderBy: { field: UPVOTES }) { nodes { arxivId codeUrl } } }`;
      const withCode = await ok(query, { f: { dayFrom: DAY1, dayTo: DAY1, hasCode: true } });
      expect(withCode.papers.nodes).toEqual([
        { arxivId: "2501.08313", codeUrl: "https://github.com/acme/lightning" },
        { arxivId: "2503.00002", codeUrl: "https://gitlab.com/moe/tool" },
        { arxivId: "math.GT/0309136", codeUrl: "https://codeberg.org/ann/knots" },
      ]);
      const without = await ok(query, { f: { dayFrom: DAY1, dayTo: DAY1, hasCode: false } });
      expect(without.papers.nodes).toEqual([{ arxivId: "cs/0112017", codeUrl: null }]);
    });

    it("costs the same statements for a page of 20 as for a page of 5 (no N+1)", async () => {
      // The fillers: every one has a submitter, an organization, keywords and media.
      const query = `query($first: Int!) {
        papers(first: $first, filter: { author: "Common Filler" }, orderBy: { field: UPVOTES }) {
          nodes { ${PAPER_DETAILS} authors { name } }
        }
      }`;
      const twenty = await cost(query, { first: 20 });
      const five = await cost(query, { first: 5 });
      expect(twenty).toBeLessThanOrEqual(five);
      // And the page of 20 really carried the details.
      const data = await ok(query, { first: 20 });
      expect(data.papers.nodes).toHaveLength(20);
      expect(data.papers.nodes[0]).toMatchObject({
        arxivId: "2503.10124",
        githubStars: 24,
        aiKeywords: ["filler"],
        mediaUrls: ["https://cdn.example.org/f/24.png"],
        submittedBy: { handle: "user24", name: "User 24" },
        organization: { handle: "org-24", name: "Org 24", avatarUrl: null },
      });
      for (const node of data.papers.nodes) {
        expect(node.submittedBy).not.toBeNull();
        expect(node.organization).not.toBeNull();
      }
    });
  });

  describe("paper(arxivId)", () => {
    it.each([
      ["2501.08313", "2501.08313"],
      ["2501.08313v1", "2501.08313"],
      ["arXiv:2501.08313", "2501.08313"],
      ["arxiv:2501.08313v3", "2501.08313"],
      [" 2501.08313 ", "2501.08313"],
      ["https://arxiv.org/abs/2501.08313v2", "2501.08313"],
      ["http://arxiv.org/pdf/2501.08313v1", "2501.08313"],
      ["https://arxiv.org/pdf/2501.08313v1.pdf", "2501.08313"],
      ["https://arxiv.org/abs/2501.08313?context=cs", "2501.08313"],
      ["arxiv.org/abs/2501.08313", "2501.08313"],
      ["cs/0112017", "cs/0112017"],
      ["cs/0112017v2", "cs/0112017"],
      ["https://arxiv.org/abs/cs/0112017v1", "cs/0112017"],
      ["math.GT/0309136", "math.GT/0309136"],
      ["arXiv:math.GT/0309136", "math.GT/0309136"],
      ["https://arxiv.org/pdf/math.GT/0309136v2.pdf", "math.GT/0309136"],
    ])("finds %j", async (input, arxivId) => {
      const data = await ok("query($id: String!) { paper(arxivId: $id) { arxivId } }", {
        id: input,
      });
      expect(data.paper).toEqual({ arxivId });
    });

    it("answers null for a well-formed id it does not have", async () => {
      const data = await ok('{ paper(arxivId: "https://arxiv.org/abs/2501.99999") { id } }');
      expect(data.paper).toBeNull();
    });

    it.each([
      "",
      "hello",
      "2501.0831",
      "2501.08313v0",
      "2513.00001",
      "arXiv:",
      "https://example.org/abs/2501.08313",
      "https://arxiv.org/list/cs.AI/recent",
      "https://huggingface.co/papers/2501.08313",
    ])("refuses %j naming arxivId", async (input) => {
      const result = await run("query($id: String!) { paper(arxivId: $id) { id } }", { id: input });
      expect(result.errors?.[0]?.extensions).toEqual({
        code: "BAD_USER_INPUT",
        argument: "arxivId",
      });
      expect(result.errors?.[0]?.message).toMatch(/^arxivId: .* is not an arXiv id/);
    });
  });

  describe("Date arguments", () => {
    it.each([
      ['{ day(date: "2025-02-30") { id } }', {}, "date", /February has 28 days in 2025/],
      ["query($d: Date!) { day(date: $d) { id } }", { d: "2025-02-30" }, "date", /February/],
      ['{ day(date: "yesterday") { id } }', {}, "date", /expected a date YYYY-MM-DD/],
      ["{ day(date: 20250230) { id } }", {}, "date", /expected a date YYYY-MM-DD, got 20250230/],
      ["query($d: Date!) { day(date: $d) { id } }", { d: 5 }, "date", /got 5/],
      ['{ days(from: "2025-02-29") { nodes { id } } }', {}, "from", /February has 28/],
      ["query($t: Date) { days(to: $t) { nodes { id } } }", { t: "2025-13-01" }, "to", /month 13/],
      [
        '{ timeSeries(from: "2025-02-29", to: "2025-03-01") { bucket } }',
        {},
        "from",
        /February has 28 days in 2025/,
      ],
      [
        'query($to: Date!) { topAuthors(from: "2025-03-01", to: $to) { papers } }',
        { to: "2025-04-31" },
        "to",
        /April has 30 days in 2025/,
      ],
      [
        '{ topPapers(from: "2024-02-30", to: "2024-03-01") { id } }',
        {},
        "from",
        /February has 29 days in 2024/,
      ],
      [
        '{ papers(filter: { dayFrom: "2025-02-30" }) { nodes { id } } }',
        {},
        "filter.dayFrom",
        /February has 28 days in 2025/,
      ],
      [
        "query($f: PaperFilter) { papers(filter: $f) { nodes { id } } }",
        { f: { dayFrom: DAY1, dayTo: "2025-02-30" } },
        "filter.dayTo",
        /February has 28 days in 2025/,
      ],
      [
        '{ week(id: "2025-W10") { papers(filter: { dayTo: "2025-02-30" }) { nodes { id } } } }',
        {},
        "filter.dayTo",
        /February/,
      ],
      [
        '{ papers(filter: { publishedFrom: "2025-02-30T00:00:00Z" }) { nodes { id } } }',
        {},
        "filter.publishedFrom",
        /February has 28 days in 2025/,
      ],
      [
        'query($s: DateTime) { paper(arxivId: "2501.08313") { votes(since: $s) { totalCount } } }',
        { s: "2025-02-30T00:00:00Z" },
        "since",
        /February has 28 days in 2025/,
      ],
    ])("%s %j names %s", async (query, variables, argument, message) => {
      const result = await run(query, variables);
      expect(result.errors).toHaveLength(1);
      expect(result.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", argument });
      expect(result.errors?.[0]?.message).toMatch(message);
      expect(result.errors?.[0]?.message.startsWith(`${argument}: `)).toBe(true);
    });

    it("says a day that does not exist does not exist", async () => {
      const result = await run('{ day(date: "2025-02-30") { id } }');
      expect(result.errors?.[0]?.message).toBe(
        'date: expected a date YYYY-MM-DD, got "2025-02-30": that day does not exist (February has 28 days in 2025)',
      );
    });

    it("names a bad Date inside Author.papers' filter", async () => {
      const ann = await annId();
      const result = await run(
        'query($id: ID!) { node(id: $id) { ... on Author { papers(filter: { dayFrom: "2025-02-30" }) { totalCount } } } }',
        { id: ann },
      );
      expect(result.errors?.[0]?.extensions).toEqual({
        code: "BAD_USER_INPUT",
        argument: "filter.dayFrom",
      });
    });

    it("still takes days that exist, leap days included", async () => {
      const data = await ok(
        '{ days(from: "2024-02-29", to: "2025-03-04") { nodes { date } } day(date: "2025-03-03") { date } }',
      );
      expect(data.days.nodes.map((d: Json) => d.date)).toEqual([DAY2, DAY1]);
      expect(data.day).toEqual({ date: DAY1 });
    });
  });

  describe("topAuthors", () => {
    it("counts a paper once per author even when the name repeats in its author list", async () => {
      const data = await ok(
        `{ topAuthors(from: "${DAY1}", to: "${DAY1}") { author { name } papers upvotes } }`,
      );
      expect(data.topAuthors).toEqual([
        { author: { name: "Bob Stone" }, papers: 2, upvotes: 55 },
        // P1 (named twice: 50 once) and P4 (3); P2's hidden authorship does not count.
        { author: { name: "Ann Lee" }, papers: 2, upvotes: 53 },
        { author: { name: "Carl Moe" }, papers: 1, upvotes: 10 },
      ]);
    });
  });

  /** The global id of the author Ann Lee. */
  async function annId(): Promise<string> {
    const data = await ok('{ paper(arxivId: "2501.08313") { authors { id name } } }');
    const names = data.paper.authors.map((a: Json) => a.name);
    expect(names).toEqual(["Ann Lee", "Bob Stone", "Ann Lee"]);
    return data.paper.authors[0].id;
  }

  describe("Author.papers", () => {
    const AUTHOR_PAPERS = `query($id: ID!, $filter: PaperFilter, $orderBy: PaperOrder, $first: Int, $after: String, $last: Int, $before: String) {
      node(id: $id) {
        ... on Author {
          name
          papers(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
            totalCount
            nodes { arxivId }
            pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          }
        }
      }
    }`;

    async function authorPapers(variables: Record<string, unknown>) {
      const data = await ok(AUTHOR_PAPERS, { id: await annId(), ...variables });
      const { papers } = data.node;
      return { ...papers, ids: papers.nodes.map((n: Json) => n.arxivId) };
    }

    it("lists only the papers the author visibly wrote, newest published first", async () => {
      const page = await authorPapers({});
      // Not 2503.00002, where Ann Lee's authorship is hidden; 2501.08313 once.
      expect(page.ids).toEqual(["2503.00005", "2501.08313", "math.GT/0309136"]);
      expect(page.totalCount).toBe(3);
    });

    it("pages forward and backward", async () => {
      const first = await authorPapers({ first: 2 });
      expect(first.ids).toEqual(["2503.00005", "2501.08313"]);
      expect(first.pageInfo.hasNextPage).toBe(true);
      const second = await authorPapers({ first: 2, after: first.pageInfo.endCursor });
      expect(second.ids).toEqual(["math.GT/0309136"]);
      expect(second.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
      const back = await authorPapers({ last: 2, before: second.pageInfo.startCursor });
      expect(back.ids).toEqual(["2503.00005", "2501.08313"]);
    });

    it("takes the filters and orders of papers", async () => {
      const byUpvotes = await authorPapers({ orderBy: { field: "UPVOTES", direction: "DESC" } });
      expect(byUpvotes.ids).toEqual(["2501.08313", "2503.00005", "math.GT/0309136"]);
      const ascending = await authorPapers({ orderBy: { field: "UPVOTES", direction: "ASC" } });
      expect(ascending.ids).toEqual(["math.GT/0309136", "2503.00005", "2501.08313"]);
      const withCode = await authorPapers({ filter: { hasCode: true } });
      expect(withCode.ids).toEqual(["2501.08313", "math.GT/0309136"]);
      expect(withCode.totalCount).toBe(2);
      const onDay2 = await authorPapers({ filter: { dayFrom: DAY2 } });
      expect(onDay2.ids).toEqual(["2503.00005"]);
      const searched = await authorPapers({
        filter: { search: "knots" },
        orderBy: { field: "RELEVANCE" },
      });
      expect(searched.ids).toEqual(["math.GT/0309136"]);
    });

    it("refuses a cursor of another author's papers", async () => {
      const ann = await authorPapers({ first: 1 });
      const bob = await ok('{ paper(arxivId: "cs/0112017") { authors { id } } }');
      const result = await run(AUTHOR_PAPERS, {
        id: bob.paper.authors[0].id,
        first: 1,
        after: ann.pageInfo.endCursor,
      });
      expect(result.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", argument: "after" });
    });
  });

  describe("named lists", () => {
    const LIST_PAGE = `query($name: String!, $first: Int, $after: String, $last: Int, $before: String) {
      paperList(name: $name) {
        id name capturedOn source paperCount
        papers(first: $first, after: $after, last: $last, before: $before) {
          edges { cursor rank upvotes node { title upvotes authors { name } } }
          nodes { title }
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        }
      }
    }`;

    it("describes the capture and pages its papers in list order, edges carrying rank and upvotes", async () => {
      const data = await ok(LIST_PAGE, { name: LIST, first: 3 });
      const list = data.paperList;
      expect(list).toMatchObject({
        name: LIST,
        capturedOn: "2025-12-10",
        source: "2025-12-10-task-generalization.txt",
        paperCount: 34,
      });
      expect(
        list.papers.edges.map((e: Json) => [e.rank, e.upvotes, e.node.title, e.node.upvotes]),
      ).toEqual([
        [
          1,
          0,
          "Multi-task Self-supervised Graph Neural Networks Enable Stronger Task Generalization",
          0,
        ],
        [2, 0, "Cross-Task Generalization via Natural Language Crowdsourcing Instructions", 0],
        // The capture showed 3; the paper's own count is the API digest's 99.
        [3, 3, SHARED_TITLE, 99],
      ]);
      expect(list.papers.nodes.map((n: Json) => n.title)).toEqual(
        list.papers.edges.map((e: Json) => e.node.title),
      );
      expect(list.papers.pageInfo.hasNextPage).toBe(true);

      const rest = await ok(LIST_PAGE, {
        name: LIST,
        first: 100,
        after: list.papers.pageInfo.endCursor,
      });
      const ranks = rest.paperList.papers.edges.map((e: Json) => e.rank);
      expect(ranks).toEqual(Array.from({ length: 31 }, (_, i) => i + 4));
      expect(rest.paperList.papers.pageInfo.hasNextPage).toBe(false);

      // The edges' upvotes are the capture's, as stored for the list.
      const rows = await database.db.paperListEntry.findMany({
        where: { list: { name: LIST } },
        orderBy: { rank: "asc" },
      });
      expect(
        [...list.papers.edges, ...rest.paperList.papers.edges].map((e: Json) => e.upvotes),
      ).toEqual(rows.map((r) => r.upvotes));

      const last = await ok(LIST_PAGE, { name: LIST, last: 2 });
      expect(last.paperList.papers.edges.map((e: Json) => e.rank)).toEqual([33, 34]);
      expect(last.paperList.papers.pageInfo.hasPreviousPage).toBe(true);
    });

    it("refuses a page size out of range", async () => {
      const result = await run(LIST_PAGE, { name: LIST, first: 0 });
      expect(result.errors?.[0]?.extensions).toEqual({ code: "BAD_USER_INPUT", argument: "first" });
    });

    it("answers null for a list it does not have, and a day is not a list", async () => {
      const data = await ok(
        `{ a: paperList(name: "no such list") { id } b: paperList(name: "${DAY1}") { id } }`,
      );
      expect(data).toEqual({ a: null, b: null });
    });

    it("costs the same statements for 20 list papers as for 5", async () => {
      const query = `query($first: Int!) {
        paperList(name: "${LIST}") {
          papers(first: $first) { edges { rank upvotes node { ${PAPER_DETAILS} authors { name } } } }
        }
      }`;
      const twenty = await cost(query, { first: 20 });
      const five = await cost(query, { first: 5 });
      expect(twenty).toBeLessThanOrEqual(five);
    });

    it("lists the lists newest first, as Relay nodes", async () => {
      const again = await ingestBytes(
        database.sql,
        { [TEXT_FIXTURE]: readFileSync(TEXT_FIXTURE) },
        { list: "task-generalization-again" },
      );
      expect(again.failed).toBe(0);
      const query = `query($after: String) {
        paperLists(first: 1, after: $after) {
          totalCount
          edges { cursor node { id name paperCount } }
          pageInfo { hasNextPage endCursor }
        }
      }`;
      const first = await ok(query);
      expect(first.paperLists.totalCount).toBe(2);
      expect(first.paperLists.edges[0].node).toMatchObject({
        name: "task-generalization-again",
        paperCount: 34,
      });
      expect(first.paperLists.pageInfo.hasNextPage).toBe(true);
      const second = await ok(query, { after: first.paperLists.pageInfo.endCursor });
      expect(second.paperLists.edges.map((e: Json) => e.node.name)).toEqual([LIST]);
      expect(second.paperLists.pageInfo.hasNextPage).toBe(false);

      const node = await ok("query($id: ID!) { node(id: $id) { ... on PaperList { name } } }", {
        id: second.paperLists.edges[0].node.id,
      });
      expect(node.node).toEqual({ name: LIST });
    });
  });
});
