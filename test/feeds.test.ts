/**
 * The RSS and Atom feeds (src/http/feeds.ts, src/feeds/) on both engines, through the real server
 * and parsed by a real feed parser (rss-parser): the elements the specs require, stable GUIDs
 * (across requests, a re-ingest and another database), RFC 822 / RFC 3339 dates, the filters
 * (the same papers as the API's `papers`), hidden authors, bounds, and the 304 flow with an ETag
 * and a Last-Modified that a vote and an ingest both change.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import Parser from "rss-parser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken, createUser } from "../src/auth/tokens.ts";
import { directOf } from "../src/db/client.ts";
import { type DataVersion, openDataVersion } from "../src/db/data-version.ts";
import type { FeedPaper } from "../src/feeds/items.ts";
import { paperGuid, renderFeed } from "../src/feeds/render.ts";
import { createServer, type Server } from "../src/server.ts";
import { createTestDatabase, ENGINES, type TestDatabase } from "./support/engines.ts";
import {
  type ApiItem,
  fixtureItems,
  ingestBytes,
  JSON_FIXTURE,
  TEXT_FIXTURE,
} from "./support/ingest.ts";
import { abortedWithEachTest } from "./support/requests.ts";

const TEST_TIMEOUT = 60_000;
const RFC_822 = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC_3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const UPVOTE = `mutation($id: ID!) { upvotePaper(input: { paperId: $id }) { changed } }`;
const paperGid = (id: number) => Buffer.from(`Paper:${id}`).toString("base64");

const parser = new Parser({
  customFields: {
    feed: ["id", "updated"],
    item: [["author", "authors", { keepArray: true }], "updated", "dc:creator"],
  },
});
// biome-ignore lint/suspicious/noExplicitAny: parsed feeds are checked field by field
type Parsed = any;

const requests = abortedWithEachTest();

/** Atom titles are HTML (`type="html"`): the text they stand for. */
function decodeHtml(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&");
}

/** The fixture's day listed again on 2024-10-26: its first five papers, one author hidden. */
function secondDay(hiddenName: string): string {
  const items = fixtureItems().slice(0, 5);
  return JSON.stringify(
    items.map((item: ApiItem) => ({
      ...item,
      publishedAt: "2024-10-26T08:00:00.000Z",
      paper: {
        ...item.paper,
        submittedOnDailyAt: undefined,
        authors: item.paper.authors.map((author: ApiItem) =>
          author.name === hiddenName ? { ...author, hidden: true } : author,
        ),
      },
    })),
  );
}

/** An author of the fixture's first paper whose name no other paper lists. */
function soleAuthorOfFirst(): string {
  const items = fixtureItems();
  const others = new Set(
    items.slice(1).flatMap((item: ApiItem) => item.paper.authors.map((a: ApiItem) => a.name)),
  );
  const name = items[0].paper.authors
    .map((a: ApiItem) => a.name as string)
    .find((n: string) => !others.has(n));
  if (!name) throw new Error("no author of the first paper is only theirs");
  return name;
}

describe.each(ENGINES)("feeds on %s", (provider) => {
  let database: TestDatabase;
  let version: DataVersion;
  let server: Server;
  let token: string;
  const statements: string[] = [];
  const hidden = soleAuthorOfFirst();

  beforeAll(async () => {
    database = await createTestDatabase(provider, { onQuery: (sql) => statements.push(sql) });
    const report = await ingestBytes(database.sql, {
      [JSON_FIXTURE]: readFileSync(JSON_FIXTURE),
      "2024-10-26.json": secondDay(hidden),
      [TEXT_FIXTURE]: readFileSync(TEXT_FIXTURE),
    });
    expect(report.failed).toBe(0);
    await createUser(database.db, "feeder");
    token = (await createToken(database.db, "feeder")).token;
    version = openDataVersion(database.target, directOf(database.db));
    server = createServer({ db: database.db, provider, dataVersion: version });
  }, TEST_TIMEOUT);
  afterAll(async () => {
    version?.close();
    await database?.destroy();
  });

  async function get(path: string, headers: Record<string, string> = {}, method = "GET") {
    return server.fetch(`http://papergraph.test${path}`, {
      method,
      headers,
      signal: requests.signal,
    });
  }

  async function feed(path: string): Promise<{ response: Response; xml: string; parsed: Parsed }> {
    const response = await get(path);
    const xml = await response.text();
    expect(response.status, xml).toBe(200);
    return { response, xml, parsed: await parser.parseString(xml) };
  }

  async function graphql(query: string, variables: object, headers: Record<string, string> = {}) {
    const response = await server.fetch("http://papergraph.test/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify({ query, variables }),
      signal: requests.signal,
    });
    const body = (await response.json()) as { data?: Parsed; errors?: unknown };
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    return body.data;
  }

  it(
    "RSS: the channel's and items' required elements, GUIDs, RFC 822 dates, days newest first",
    async () => {
      const { response, xml, parsed } = await feed("/feeds/daily.xml");
      expect(response.headers.get("content-type")).toBe("application/rss+xml; charset=utf-8");
      expect(parsed.title).toBeTruthy();
      expect(parsed.link).toBe("https://huggingface.co/papers");
      expect(parsed.description).toBeTruthy();
      expect(parsed.feedUrl ?? xml).toContain("http://papergraph.test/feeds/daily.xml");
      expect(xml).toMatch(
        /<atom:link href="http:\/\/papergraph.test\/feeds\/daily.xml" rel="self"/,
      );
      expect(parsed.lastBuildDate).toMatch(RFC_822);

      // Two days (the page-text capture is a named list, not a day): the second day, then the
      // fixture's day without the five papers the second day listed again.
      const days = await database.db.day.findMany({
        include: { entries: true },
        orderBy: { date: "desc" },
      });
      const expected = days.flatMap((day) => day.entries.filter((e) => e.inLatestDigest)).length;
      expect(parsed.items.length).toBe(expected - 5);
      const papers = await database.db.paper.findMany();
      for (const item of parsed.items) {
        expect(item.title).toBeTruthy();
        expect(item.guid).toBeTruthy();
        expect(item.link).toMatch(/^https:\/\//);
        expect(item.pubDate).toMatch(RFC_822);
        expect(new Date(item.pubDate).getUTCHours()).toBe(0);
      }
      const guids = parsed.items.map((item: Parsed) => item.guid);
      expect(new Set(guids).size).toBe(guids.length);
      // Each GUID is the paper's arXiv URL, or the URN of its title key when it has no arXiv id.
      expect(new Set(guids)).toEqual(
        new Set(papers.filter((p) => p.lastSeenOn).map((p) => paperGuid(p))),
      );
      const arxiv = parsed.items.find((item: Parsed) =>
        item.guid.startsWith("https://arxiv.org/abs/"),
      );
      expect(arxiv.link).toBe(`https://huggingface.co/papers/${arxiv.guid.slice(22)}`);
      expect(arxiv["content:encoded"]).toContain(
        `href="https://arxiv.org/pdf/${arxiv.guid.slice(22)}"`,
      );
      // Newest day first, each day in rank order.
      const dates = parsed.items.map((item: Parsed) =>
        new Date(item.pubDate).toISOString().slice(0, 10),
      );
      expect(dates).toEqual([...dates].sort().reverse());
      expect(dates[0]).toBe("2024-10-26");
      const second = parsed.items.filter((_: Parsed, i: number) => dates[i] === "2024-10-26");
      expect(second.map((item: Parsed) => item.guid)).toEqual(
        fixtureItems()
          .slice(0, 5)
          .map((item: ApiItem) => `https://arxiv.org/abs/${item.paper.id}`),
      );
      expect(arxiv.creator ?? arxiv["dc:creator"]).toBeTruthy();
    },
    TEST_TIMEOUT,
  );

  it(
    "Atom: feed id, title, updated, self link; entry id, title, updated, authors; RFC 3339",
    async () => {
      const { response, xml, parsed } = await feed("/feeds/daily.atom");
      expect(response.headers.get("content-type")).toBe("application/atom+xml; charset=utf-8");
      expect(parsed.id).toBe("http://papergraph.test/feeds/daily.atom");
      expect(parsed.title).toBeTruthy();
      expect(parsed.updated).toMatch(RFC_3339);
      expect(parsed.updated).toBe("2024-10-26T00:00:00.000Z");
      expect(parsed.feedUrl).toBe("http://papergraph.test/feeds/daily.atom");
      // Entries without a visible author take the feed's.
      expect(xml).toMatch(/<feed[^>]*>[\s\S]*?<author>\s*<name>papergraph<\/name>/);
      const rss = (await feed("/feeds/daily.xml")).parsed;
      expect(parsed.items.map((e: Parsed) => e.id)).toEqual(rss.items.map((i: Parsed) => i.guid));
      for (const entry of parsed.items) {
        expect(entry.id).toBeTruthy();
        expect(entry.title).toBeTruthy();
        expect(entry.updated).toMatch(RFC_3339);
      }
      // Authors in order, as the API lists them.
      const first = fixtureItems()[1];
      const entry = parsed.items.find(
        (e: Parsed) => e.id === `https://arxiv.org/abs/${first.paper.id}`,
      );
      expect(entry.authors.map((a: Parsed) => a.name[0])).toEqual(
        first.paper.authors.filter((a: ApiItem) => !a.hidden).map((a: ApiItem) => a.name),
      );
    },
    TEST_TIMEOUT,
  );

  it(
    "never shows a hidden author, in either format",
    async () => {
      const firstGuid = `https://arxiv.org/abs/${fixtureItems()[0].paper.id}`;
      for (const path of ["/feeds/daily.xml", "/feeds/daily.atom", "/feeds/search.xml?q=video"]) {
        const { xml } = await feed(path);
        expect(xml).not.toContain(hidden);
      }
      const { parsed } = await feed("/feeds/daily.atom");
      const entry = parsed.items.find((e: Parsed) => e.id === firstGuid);
      expect(entry.authors.length).toBe(fixtureItems()[0].paper.authors.length - 1);
    },
    TEST_TIMEOUT,
  );

  it(
    "GUIDs do not change between requests, after a re-ingest, nor in another database",
    async () => {
      const guids = async (s: Server) => {
        const response = await s.fetch("http://papergraph.test/feeds/daily.atom", {
          signal: requests.signal,
        });
        return ((await parser.parseString(await response.text())).items as Parsed[]).map(
          (e) => e.id,
        );
      };
      const before = await guids(server);
      expect(await guids(server)).toEqual(before);
      // The same digests again, the fixture's with other counts: the same items.
      const recounted = fixtureItems().map((item: ApiItem) => ({
        ...item,
        paper: { ...item.paper, upvotes: item.paper.upvotes + 1 },
      }));
      const report = await ingestBytes(database.sql, {
        "2024-10-25-recount.json": JSON.stringify(recounted),
      });
      expect(report.failed).toBe(0);
      expect(await guids(server)).toEqual(before);

      const other = await createTestDatabase(provider);
      try {
        await ingestBytes(other.sql, {
          [TEXT_FIXTURE]: readFileSync(TEXT_FIXTURE),
          "2024-10-26.json": secondDay(hidden),
          [JSON_FIXTURE]: readFileSync(JSON_FIXTURE),
        });
        const elsewhere = await guids(createServer({ db: other.db, provider }));
        expect(new Set(elsewhere)).toEqual(new Set(before));
      } finally {
        await other.destroy();
      }
    },
    TEST_TIMEOUT * 2,
  );

  it(
    "search feeds list what the API's papers filter lists, newest listing first",
    async () => {
      const query = `query($filter: PaperFilter!) {
      papers(filter: $filter, orderBy: { field: DAY, direction: DESC }, first: 100) { nodes { title } }
    }`;
      const cases: [string, object][] = [
        ["q=video", { search: "video" }],
        ["q=language%20model&minUpvotes=10", { search: "language model", minUpvotes: 10 }],
        ["author=Zhang", { author: "Zhang" }],
        ["hasCode=true&minUpvotes=5", { hasCode: true, minUpvotes: 5 }],
      ];
      for (const [params, filter] of cases) {
        const api = await graphql(query, { filter });
        const expected = api.papers.nodes.map((n: Parsed) => n.title);
        expect(expected.length, params).toBeGreaterThan(0);
        for (const path of [`/feeds/search.xml?${params}`, `/feeds/search.atom?${params}`]) {
          const { parsed } = await feed(path);
          const titles = parsed.items.map((i: Parsed) => decodeHtml(i.title));
          expect(titles, path).toEqual(expected.slice(0, 30));
        }
      }
      const limited = await feed("/feeds/search.xml?minUpvotes=0&limit=3");
      expect(limited.parsed.items).toHaveLength(3);
      // The self link names the feed with its parameters in one order, defaults left out.
      const self = await feed("/feeds/search.atom?minUpvotes=5&q=video&limit=30");
      expect(self.parsed.feedUrl).toBe(
        "http://papergraph.test/feeds/search.atom?q=video&minUpvotes=5",
      );
    },
    TEST_TIMEOUT,
  );

  it(
    "refuses bad parameters with a typed 400 naming them; other paths and methods",
    async () => {
      const cases: [string, string][] = [
        [`/feeds/search.xml?q=${"a".repeat(501)}`, "q"],
        ["/feeds/search.xml?q=%20", "q"],
        [`/feeds/search.atom?q=${Array.from({ length: 13 }, (_, i) => `w${i}`).join("+")}`, "q"],
        ["/feeds/search.xml?author=%21%21", "author"],
        ["/feeds/search.xml?limit=101", "limit"],
        ["/feeds/search.xml?limit=0", "limit"],
        ["/feeds/search.xml?minUpvotes=-1", "minUpvotes"],
        ["/feeds/search.xml?minUpvotes=99999999999", "minUpvotes"],
        ["/feeds/search.xml?hasCode=yes", "hasCode"],
        ["/feeds/search.xml?query=video", "query"],
        ["/feeds/search.xml?q=a&q=b", "q"],
        ["/feeds/daily.xml?days=15", "days"],
        ["/feeds/daily.atom?limit=501", "limit"],
        ["/feeds/daily.atom?q=video", "q"],
      ];
      for (const [path, argument] of cases) {
        const response = await get(path);
        expect(response.status, path).toBe(400);
        expect(response.headers.get("content-type")).toMatch(/^application\/json/);
        const body = (await response.json()) as Parsed;
        expect(body.errors[0].extensions, path).toEqual({ code: "BAD_USER_INPUT", argument });
        expect(body.errors[0].message).toMatch(new RegExp(`^${argument}: `));
      }
      expect((await get("/feeds/weekly.xml")).status).toBe(404);
      const post = await get("/feeds/daily.xml", {}, "POST");
      expect(post.status).toBe(405);
      expect(post.headers.get("allow")).toBe("GET, HEAD");
      const head = await get("/feeds/daily.xml", {}, "HEAD");
      expect(head.status).toBe(200);
      expect(Number(head.headers.get("content-length"))).toBeGreaterThan(1000);
      expect(await head.text()).toBe("");
    },
    TEST_TIMEOUT,
  );

  it(
    "reads a feed in a fixed number of statements whatever its size; a 304 runs none",
    async () => {
      /** Prisma's reads of the papers, their author links and authors (not src/papers/list.ts's). */
      const prismaReads = () =>
        statements.filter((sql) => /^SELECT [`"](main|public)[`"]\./.test(sql));
      statements.length = 0;
      await feed("/feeds/daily.xml?limit=2");
      const few = statements.length;
      statements.length = 0;
      const all = await feed("/feeds/daily.xml?days=14");
      expect(all.parsed.items.length).toBeGreaterThan(20);
      expect(statements.length).toBe(few);
      // The days, their listings, the papers, their author links, the authors.
      expect(few).toBeLessThanOrEqual(6);
      for (const limit of [2, 100]) {
        statements.length = 0;
        const { parsed } = await feed(`/feeds/search.atom?q=model&limit=${limit}`);
        expect(parsed.items.length).toBe(Math.min(limit, parsed.items.length));
        // The page (src/papers/list.ts: a few statements whatever its size), then three reads.
        expect(prismaReads()).toHaveLength(3);
        expect(statements.length).toBeLessThanOrEqual(10);
      }

      const etag = all.response.headers.get("etag") as string;
      statements.length = 0;
      const again = await get("/feeds/daily.xml?days=14", { "if-none-match": etag });
      expect(again.status).toBe(304);
      expect(statements).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    "304 on If-None-Match and If-Modified-Since until a vote, then until an ingest",
    async () => {
      const path = "/feeds/daily.atom";
      const first = await get(path);
      const etag = first.headers.get("etag") as string;
      expect(etag).toMatch(/^W\/".+"$/);
      expect(first.headers.get("cache-control")).toBe("public, max-age=0, must-revalidate");
      expect(first.headers.get("vary")).toContain("Accept-Encoding");
      await first.text();
      // Another feed, or the other format, has another tag.
      expect((await get("/feeds/daily.xml")).headers.get("etag")).not.toBe(etag);

      const notModified = await get(path, { "if-none-match": etag });
      expect(notModified.status).toBe(304);
      expect(await notModified.text()).toBe("");
      expect(notModified.headers.get("etag")).toBe(etag);
      expect((await get(path, { "if-none-match": `"other", ${etag}` })).status).toBe(304);
      expect((await get(path, { "if-none-match": '"other"' })).status).toBe(200);

      // Last-Modified: given once the version is a whole second old.
      let lastModified: string | null = null;
      for (let i = 0; i < 30 && !lastModified; i++) {
        lastModified = (await get(path)).headers.get("last-modified");
        if (!lastModified) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(lastModified).toMatch(RFC_822);
      expect((await get(path, { "if-modified-since": lastModified as string })).status).toBe(304);
      const earlier = new Date(Date.parse(lastModified as string) - 1000).toUTCString();
      expect((await get(path, { "if-modified-since": earlier })).status).toBe(200);

      // A vote: the same paper list, but the data moved, so neither validator holds.
      const paper = await database.db.paper.findFirstOrThrow({ orderBy: { id: "asc" } });
      const voted = await graphql(
        UPVOTE,
        { id: paperGid(paper.id) },
        { authorization: `Bearer ${token}` },
      );
      expect(voted.upvotePaper.changed).toBe(true);
      const afterVote = await get(path, { "if-none-match": etag });
      expect(afterVote.status).toBe(200);
      const voteEtag = afterVote.headers.get("etag") as string;
      expect(voteEtag).not.toBe(etag);
      expect((await get(path, { "if-modified-since": lastModified as string })).status).toBe(200);
      expect((await get(path, { "if-none-match": voteEtag })).status).toBe(304);

      // An ingest (the ingest job's own connection): a new day, in the feed at once.
      const report = await ingestBytes(database.sql, {
        "2024-10-27.json": JSON.stringify(
          fixtureItems()
            .slice(5, 7)
            .map((item: ApiItem) => ({
              ...item,
              publishedAt: "2024-10-27T08:00:00.000Z",
              paper: { ...item.paper, submittedOnDailyAt: undefined },
            })),
        ),
      });
      expect(report.failed).toBe(0);
      const afterIngest = await get(path, { "if-none-match": voteEtag });
      expect(afterIngest.status).toBe(200);
      expect(afterIngest.headers.get("etag")).not.toBe(voteEtag);
      const parsed = await parser.parseString(await afterIngest.text());
      expect(parsed.items.some((e: Parsed) => e.updated === "2024-10-27T00:00:00.000Z")).toBe(true);
    },
    TEST_TIMEOUT,
  );

  it(
    "without a data version: an ETag of the document, still a 304 and still changed by a vote",
    async () => {
      const plain = createServer({ db: database.db, provider });
      const ask = (headers: Record<string, string> = {}) =>
        plain.fetch("http://papergraph.test/feeds/search.xml?minUpvotes=0", {
          headers,
          signal: requests.signal,
        });
      const first = await ask();
      const etag = first.headers.get("etag") as string;
      expect(etag).toMatch(/^W\/".+"$/);
      expect(first.headers.get("last-modified")).toBeNull();
      expect((await ask({ "if-none-match": etag })).status).toBe(304);
      // A vote that puts a paper at the top of the list (its newest listing day) changes nothing
      // here: the order is by day; but a new listing does.
      const report = await ingestBytes(database.sql, {
        "2024-10-28.json": JSON.stringify(
          fixtureItems()
            .slice(8, 9)
            .map((item: ApiItem) => ({
              ...item,
              publishedAt: "2024-10-28T08:00:00.000Z",
              paper: { ...item.paper, submittedOnDailyAt: undefined },
            })),
        ),
      });
      expect(report.failed).toBe(0);
      expect((await ask({ "if-none-match": etag })).status).toBe(200);
    },
    TEST_TIMEOUT,
  );

  it(
    "a data version that cannot be read (the file locked, the server away): the document's tag",
    async () => {
      const unreadable: DataVersion = {
        read: () => Promise.reject(new Error("database is locked")),
        close: () => {},
      };
      const locked = createServer({ db: database.db, provider, dataVersion: unreadable });
      const ask = (headers: Record<string, string> = {}) =>
        locked.fetch("http://papergraph.test/feeds/daily.atom", {
          headers,
          signal: requests.signal,
        });
      const first = await ask();
      expect(first.status).toBe(200);
      expect((await parser.parseString(await first.text())).items.length).toBeGreaterThan(0);
      const etag = first.headers.get("etag") as string;
      expect(etag).toMatch(/^W\/"[\w-]+"$/);
      expect((await ask({ "if-none-match": etag })).status).toBe(304);
    },
    TEST_TIMEOUT,
  );

  it(
    "compresses a feed for a client that accepts it",
    async () => {
      const response = await get("/feeds/daily.xml?days=14", { "accept-encoding": "gzip" });
      expect(response.status).toBe(200);
      expect(response.headers.get("content-encoding")).toBe("gzip");
      const xml = gunzipSync(Buffer.from(await response.arrayBuffer())).toString("utf8");
      expect((await parser.parseString(xml)).items.length).toBeGreaterThan(20);
    },
    TEST_TIMEOUT,
  );
});

describe("feed documents from messy data", () => {
  const messy: FeedPaper = {
    arxivId: null,
    titleKey: "a b and c",
    title: "A <b>bold</b> & \u0008strange\uD800 title",
    abstract: "x < y\u0000 and \uFFFE done",
    aiSummary: null,
    codeUrl: "javascript:alert(1)",
    projectUrl: "not a url",
    publishedAt: null,
    authors: [],
  };
  const document = {
    title: "Papers",
    description: "test",
    self: "http://papergraph.test/feeds/search.xml?q=a&author=b",
    items: [{ paper: messy, date: new Date("2024-10-25T00:00:00.000Z") }],
  };

  it("stay well-formed, keep the text, and link only to web pages", async () => {
    for (const format of ["rss", "atom"] as const) {
      const xml = renderFeed(document, format);
      for (const gone of ["\u0000", "\u0008", "\uFFFE", "javascript:", "not a url"]) {
        expect(xml).not.toContain(gone);
      }
      const parsed: Parsed = await parser.parseString(xml);
      const [item] = parsed.items;
      const title = format === "atom" ? decodeHtml(item.title) : item.title;
      expect(title).toBe("A <b>bold</b> & strange title");
      expect(item.link).toBe("https://huggingface.co/papers");
      expect(item.guid ?? item.id).toBe(paperGuid(messy));
      expect(item.guid ?? item.id).toMatch(/^urn:papergraph:paper:[0-9a-f]{64}$/);
      const content = format === "atom" ? item.content : item["content:encoded"];
      expect(content).toContain("x &lt; y and  done");
      expect(content).not.toContain("<a ");
      if (format === "atom") {
        // No visible author: the entry takes the feed's.
        expect(item.authors).toBeUndefined();
        expect(xml).toMatch(/<feed[^>]*>[\s\S]*?<author>\s*<name>papergraph<\/name>/);
      }
    }
  });
});
