/**
 * The read path's compiled statements (src/db/select-sql.ts) answer exactly what Prisma answers:
 * every operation below runs twice on the same database, compiled and through Prisma, and the
 * two answers must be equal. And a page of papers with their authors is one statement.
 */
import { rmSync } from "node:fs";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { setSelectionCompiler } from "../src/db/select-sql.ts";
import type { Server } from "../src/server.ts";
import { post, serverFor } from "./support/api.ts";
import { createTestDatabase, ENGINES, type TestDatabase } from "./support/engines.ts";
import { loadCorpus } from "./support/ingest.ts";

const PAPER_FIELDS = `id arxivId title abstract authorCount publishedAt upvotes digestUpvotes
  localUpvotes trendingScore codeUrl githubStars projectUrl thumbnailUrl mediaUrls commentCount
  discussionUrl arxivUrl pdfUrl aiSummary aiKeywords viewerHasUpvoted
  organization { handle name avatarUrl } submittedBy { handle name }
  authors { id name huggingFaceUser }
  appearances { id rank upvotes inLatestDigest day { id date } }
  upvoteHistory { id date upvotes }`;

/** Operations whose answers are compared; `$arxivId` and `$date` are filled in from the data. */
const OPERATIONS: Record<string, string> = {
  "a page by upvotes with authors": `{ papers(first: 20, orderBy: { field: UPVOTES }) {
    edges { cursor node { arxivId title upvotes authors { name } } } pageInfo { hasNextPage endCursor } } }`,
  "every paper field, by trending": `{ papers(first: 30) { totalCount nodes { ${PAPER_FIELDS} } } }`,
  "newest first (null dates last), backward": `{ papers(last: 15, orderBy: { field: PUBLISHED_AT }) {
    edges { cursor node { title publishedAt } } pageInfo { hasPreviousPage startCursor } } }`,
  "by day, ascending": `{ papers(first: 25, orderBy: { field: DAY, direction: ASC }) { nodes { title appearances { day { date } } } } }`,
  "a search by relevance": `{ papers(first: 10, filter: { search: "model" }, orderBy: { field: RELEVANCE }) {
    totalCount nodes { title authors { name } } } }`,
  "an author filter": `{ papers(first: 10, filter: { author: "wang" }, orderBy: { field: UPVOTES }) { nodes { title authors { name } } } }`,
  "one paper with every field": `query($arxivId: String!) { paper(arxivId: $arxivId) { ${PAPER_FIELDS} } }`,
  "a paper that is not there": `{ paper(arxivId: "9912.99999") { title } }`,
  "an author's papers below a paper": `query($arxivId: String!) { paper(arxivId: $arxivId) {
    authors { name papers(first: 3) { totalCount nodes { title } } } } }`,
  "the authors' papers below a page of papers": `{ papers(first: 8, orderBy: { field: UPVOTES }) {
    nodes { title authors { name papers(first: 2) { edges { cursor node { title publishedAt } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } } }`,
  // The last papers without a date: their authors' pages hold papers without a date too (last).
  "the authors' papers, dates missing": `{ papers(last: 6, orderBy: { field: PUBLISHED_AT }) {
    nodes { authors { papers(first: 4) { edges { cursor node { title publishedAt } } } } } } }`,
  "the authors' papers, filtered, ascending": `{ papers(first: 2, filter: { minUpvotes: 1 }) {
    nodes { authors { papers(first: 2, filter: { minUpvotes: 2 }, orderBy: { field: UPVOTES, direction: ASC }) {
      edges { cursor node { title upvotes } } pageInfo { hasNextPage } } } } } }`,
  "a day's first page": `query($date: Date!) { day(date: $date) { id date paperCount totalUpvotes
    previous { date } next { date }
    papers(first: 20) { totalCount edges { cursor node { id rank upvotes inLatestDigest paper { arxivId title authors { name } } } }
      pageInfo { hasNextPage endCursor } } } }`,
  "a day by upvotes": `query($date: Date!) { day(date: $date) { papers(first: 5, orderBy: UPVOTES) {
    edges { node { rank paper { title upvotes } } } } } }`,
  "a day that is not there": `{ day(date: "1999-01-01") { date } }`,
};

describe.each(ENGINES)("compiled reads on %s", (provider) => {
  let database: TestDatabase;
  let server: Server;
  let corpus: string;
  let variables: { arxivId: string; date: string };
  const statements: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(provider, { onQuery: (sql) => statements.push(sql) });
    corpus = await loadCorpus(database.sql, { days: 12, papers: 15, textEvery: 5 });
    // Null keys for the nullable orders, and hidden authors to leave out.
    await database.db.paper.updateMany({ where: { id: { lte: 9 } }, data: { publishedAt: null } });
    await database.db.paperAuthor.updateMany({ where: { position: 1 }, data: { hidden: true } });
    server = serverFor(database);
    const paper = await database.db.paper.findFirstOrThrow({
      where: { arxivId: { not: null }, dayEntries: { some: {} } },
      orderBy: { upvotes: "desc" },
    });
    const day = await database.db.day.findFirstOrThrow({ orderBy: { date: "desc" } });
    variables = { arxivId: paper.arxivId as string, date: day.date };
  }, 120_000);
  afterEach(() => setSelectionCompiler(true));
  afterAll(async () => {
    setSelectionCompiler(true);
    await database?.destroy();
    rmSync(corpus, { recursive: true, force: true });
  });

  it.each(Object.entries(OPERATIONS))("%s: the same answer as Prisma's", async (_name, query) => {
    setSelectionCompiler(true);
    const compiled = await post(server, { query, variables });
    setSelectionCompiler(false);
    const prisma = await post(server, { query, variables });
    expect(compiled.errors).toBeUndefined();
    expect(compiled).toEqual(prisma);
    expect(JSON.stringify(compiled.data)).not.toMatch(/"(?:edges|nodes)":\[\]/);
  });

  it("counts each author's papers under a list of authors as the database does", async () => {
    const result = await post<{
      papers: { nodes: { authors: { id: string; papers: { totalCount: number } }[] }[] };
    }>(server, {
      // One paper: a count under a list is costed as if each were its own statement.
      query: `{ papers(first: 1, orderBy: { field: UPVOTES }) { nodes { authors { id
        papers(filter: { minUpvotes: 2 }) { totalCount } } } } }`,
    });
    expect(result.errors).toBeUndefined();
    const authors = result.data?.papers.nodes.flatMap((n) => n.authors) ?? [];
    expect(authors.length).toBeGreaterThan(1);
    for (const author of authors) {
      const authorId = Number(Buffer.from(author.id, "base64").toString().split(":")[1]);
      const expected = await database.db.paper.count({
        where: { authors: { some: { authorId, hidden: false } }, upvotes: { gte: 2 } },
      });
      expect(author.papers.totalCount, `author ${authorId}`).toBe(expected);
    }
  });

  it("reads a page of papers with their authors in one statement", async () => {
    const count = async (query: string) => {
      statements.length = 0;
      const result = await post(server, { query, variables });
      expect(result.errors).toBeUndefined();
      return statements.length;
    };
    const page = (first: number) =>
      `{ papers(first: ${first}, orderBy: { field: UPVOTES }) { edges { cursor node { arxivId title upvotes authors { name } } } } }`;
    expect(await count(page(5))).toBe(1);
    expect(await count(page(100))).toBe(1);
    expect(
      await count(
        `query($arxivId: String!) { paper(arxivId: $arxivId) { title authors { name } } }`,
      ),
    ).toBe(1);
    expect(
      await count(
        `query($date: Date!) { day(date: $date) { papers(first: 20) { edges { node { id rank upvotes paper { id title authors { name } } } } } } }`,
      ),
    ).toBe(1);
    // The authors' own pages under a page of papers: one statement for all of them.
    const nested = (first: number) =>
      `{ papers(first: ${first}, orderBy: { field: UPVOTES }) { nodes { authors { name papers(first: 2) { nodes { title } } } } } }`;
    expect(await count(nested(3))).toBe(2);
    expect(await count(nested(40))).toBe(2);
  });
});
