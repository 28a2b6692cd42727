/**
 * The response cache (src/http/response-cache.ts) on both engines: answers to anonymous queries are
 * served from memory (no SQL runs), and never stale: a vote through the API, an ingest by the CLI
 * in another process, a vote through another server process are all seen by the very next read.
 * Per-viewer fields never travel between users; RESPONSE_CACHE=off turns it all off.
 *
 * Every freshness test first shows that the answer it is about to invalidate was served from the
 * cache (`Cache-Status: papergraph; hit`): a test of a cache that never hit would prove nothing.
 * Each test votes as its own users on its own papers, or reads the state before acting.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken, createUser } from "../src/auth/tokens.ts";
import { loadConfig } from "../src/config.ts";
import { type Database, directOf, openDatabase, upgradeDatabase } from "../src/db/client.ts";
import { type DataVersion, openDataVersion } from "../src/db/data-version.ts";
import { COSTS } from "../src/graphql/builder.ts";
import { memoryQueryBudget, type QueryBudget } from "../src/http/budget.ts";
import { MemoryCache } from "../src/http/response-cache.ts";
import { createServer, type Server } from "../src/server.ts";
import {
  createTestDatabase,
  createTestTarget,
  ENGINES,
  type TestDatabase,
} from "./support/engines.ts";
import { ingestBytes, JSON_FIXTURE } from "./support/ingest.ts";
import { startServerProcess } from "./support/process.ts";

/** Tests that start processes: each loads tsx (and the sample digests), slowly when busy. */
const PROCESS_TEST_TIMEOUT = 180_000;
const HIT = "papergraph; hit";
const MISS = "papergraph; fwd=miss";
const BYPASS = "papergraph; fwd=bypass";

const UPVOTE = `mutation($id: ID!) { upvotePaper(input: { paperId: $id }) { changed } }`;
const REMOVE = `mutation($id: ID!) { removeUpvote(input: { paperId: $id }) { changed } }`;
const paperGid = (id: number) => Buffer.from(`Paper:${id}`).toString("base64");

interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
  body: any;
  cache: string | null;
}

/** A GraphQL request to an in-process server (`Server`) or a server process (its URL). */
async function ask(
  to: Server | string,
  query: string,
  variables: object = {},
  headers: Record<string, string> = {},
): Promise<Answer> {
  const init = {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json", ...headers },
    body: JSON.stringify({ query, variables }),
  };
  const response =
    typeof to === "string"
      ? await fetch(to, { ...init, signal: AbortSignal.timeout(60_000) })
      : await to.fetch("http://papergraph.test/graphql", init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : null,
    cache: response.headers.get("cache-status"),
  };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Votes (or removes the vote) as the token's user; fails the test unless it changed something. */
async function vote(to: Server | string, token: string, paperId: number, up = true) {
  const answer = await ask(to, up ? UPVOTE : REMOVE, { id: paperGid(paperId) }, bearer(token));
  const field = up ? "upvotePaper" : "removeUpvote";
  expect(answer.body, JSON.stringify(answer.body)).toMatchObject({
    data: { [field]: { changed: true } },
  });
}

/** The next day's digest: the fixture's papers listed on 2024-10-26. */
function nextDayDigest(): string {
  const items = JSON.parse(readFileSync(JSON_FIXTURE, "utf8"));
  return JSON.stringify(
    items.map((item: { paper: object }) => ({
      ...item,
      publishedAt: "2024-10-26T08:00:00.000Z",
      paper: { ...item.paper, submittedOnDailyAt: undefined },
    })),
  );
}

describe.each(ENGINES)("the response cache on %s", (provider) => {
  let database: TestDatabase;
  let version: DataVersion;
  let server: Server;
  /** The SQL statements run since the test last emptied it. */
  const statements: string[] = [];
  const tokens: Record<string, string> = {};
  /** Papers a test already voted on: each test takes others. */
  const used = new Set<number>();

  beforeAll(async () => {
    database = await createTestDatabase(provider, { onQuery: (sql) => statements.push(sql) });
    await ingestBytes(database.sql, { [JSON_FIXTURE]: readFileSync(JSON_FIXTURE) });
    for (const handle of ["alice", "bob", "carol"]) {
      await createUser(database.db, handle);
      tokens[handle] = (await createToken(database.db, handle)).token;
    }
    version = openDataVersion(database.target, directOf(database.db));
    server = createServer({ db: database.db, provider, responseCache: { version } });
  });
  afterAll(async () => {
    version?.close();
    await database?.destroy();
  });

  /** Two papers no test voted on yet, whose counts differ by at most one: two votes reorder them. */
  async function closePair(): Promise<
    [{ id: number; arxivId: string }, { id: number; arxivId: string }]
  > {
    const papers = await database.db.paper.findMany({
      where: { arxivId: { not: null } },
      orderBy: [{ upvotes: "desc" }, { id: "asc" }],
    });
    for (let i = 0; i + 1 < papers.length; i++) {
      const [a, b] = [papers[i], papers[i + 1]] as [(typeof papers)[0], (typeof papers)[0]];
      if (used.has(a.id) || used.has(b.id) || a.upvotes - b.upvotes > 1) continue;
      used.add(a.id);
      used.add(b.id);
      return [
        { id: a.id, arxivId: a.arxivId as string },
        { id: b.id, arxivId: b.arxivId as string },
      ];
    }
    throw new Error("no two unused papers with close counts");
  }

  async function unusedPaper(): Promise<number> {
    const papers = await database.db.paper.findMany({ orderBy: { id: "asc" } });
    const paper = papers.find((p) => !used.has(p.id));
    if (!paper) throw new Error("no unused paper");
    used.add(paper.id);
    return paper.id;
  }

  it("serves a repeated anonymous query from memory: no SQL runs", async () => {
    const query = `query Front($first: Int, $order: PaperOrder) {
      papers(first: $first, orderBy: $order) { totalCount nodes { title upvotes authors { name } } }
    }`;
    const variables = { first: 5, order: { field: "UPVOTES", direction: "DESC" } };
    const first = await ask(server, query, variables);
    expect(first.status).toBe(200);
    expect(first.cache).toBe(MISS);
    expect(first.body.data.papers.nodes).toHaveLength(5);

    statements.length = 0;
    // The same variables in another order are the same question.
    const again = await ask(server, query, {
      order: { direction: "DESC", field: "UPVOTES" },
      first: 5,
    });
    expect(again.cache).toBe(HIT);
    expect(statements).toEqual([]);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("etag")).toBe(first.headers.get("etag"));

    // Other variables are another question.
    const other = await ask(server, query, { ...variables, first: 4 });
    expect(other.cache).toBe(MISS);
    expect(statements.length).toBeGreaterThan(0);

    // Introspection is never stored.
    for (let i = 0; i < 2; i++) {
      expect((await ask(server, `{ __schema { queryType { name } } }`)).cache).toBe(MISS);
    }
  });

  it("a vote through the API, then a read: fresh counts and order, lists without the paper too", async () => {
    const [a, b] = await closePair();
    // A list of one: whichever of the two leads. Voting for the other one, which the list does not
    // show, changes it: no entity of the answer names the voted paper, only the version can tell.
    const query = `query($ids: [String!]) {
      papers(first: 1, filter: { arxivIds: $ids }, orderBy: { field: UPVOTES }) { nodes { arxivId upvotes } }
      day(date: "2024-10-25") { totalUpvotes }
    }`;
    const variables = { ids: [a.arxivId, b.arxivId] };
    const before = await ask(server, query, variables);
    expect(before.cache).toBe(MISS);
    expect((await ask(server, query, variables)).cache).toBe(HIT);
    const leader = before.body.data.papers.nodes[0].arxivId as string;
    const other = leader === a.arxivId ? b : a;
    const total = before.body.data.day.totalUpvotes as number;

    await vote(server, tokens.alice as string, other.id);
    await vote(server, tokens.bob as string, other.id);
    const after = await ask(server, query, variables);
    expect(after.cache).toBe(MISS);
    expect(after.body.data.papers.nodes[0].arxivId).toBe(other.arxivId);
    expect(after.body.data.day.totalUpvotes).toBe(total + 2);
    expect((await ask(server, query, variables)).body).toEqual(after.body);

    await vote(server, tokens.alice as string, other.id, false);
    await vote(server, tokens.bob as string, other.id, false);
    const undone = await ask(server, query, variables);
    expect(undone.cache).toBe(MISS);
    expect(undone.body).toEqual(before.body);
  });

  it("answers a current ETag with 304, an older one with the fresh answer", async () => {
    const paper = await unusedPaper();
    const query = `query($id: ID!) { node(id: $id) { ... on Paper { upvotes } } }`;
    const variables = { id: paperGid(paper) };
    const first = await ask(server, query, variables);
    const tag = first.headers.get("etag") as string;
    expect(tag).toBeTruthy();
    const unchanged = await ask(server, query, variables, { "if-none-match": tag });
    expect(unchanged.status).toBe(304);

    await vote(server, tokens.carol as string, paper);
    const changed = await ask(server, query, variables, { "if-none-match": tag });
    expect(changed.status).toBe(200);
    expect(changed.body.data.node.upvotes).toBe(first.body.data.node.upvotes + 1);
    expect(changed.headers.get("etag")).not.toBe(tag);
  });

  it("never lets one viewer's fields reach another: authenticated requests skip the cache", async () => {
    const paper = await unusedPaper();
    await vote(server, tokens.alice as string, paper);
    const query = `query($id: ID!) { node(id: $id) { ... on Paper { upvotes viewerHasUpvoted } } }`;
    const variables = { id: paperGid(paper) };
    const as = (handle?: string) =>
      ask(server, query, variables, handle ? bearer(tokens[handle] as string) : {});
    const upvoted = (answer: Answer) => answer.body.data.node.viewerHasUpvoted;

    statements.length = 0;
    const alice = await as("alice");
    expect(upvoted(alice)).toBe(true);
    expect(alice.cache).toBe(BYPASS);
    expect(statements.length).toBeGreaterThan(0);

    // Alice's answer was not stored: the first anonymous read is a miss.
    const anonymous = await as();
    expect(upvoted(anonymous)).toBe(false);
    expect(anonymous.cache).toBe(MISS);
    const cached = await as();
    expect(cached.cache).toBe(HIT);
    expect(cached.body).toEqual(anonymous.body);

    // Nor is the anonymous answer read for a signed-in user.
    statements.length = 0;
    const bob = await as("bob");
    expect(upvoted(bob)).toBe(false);
    expect(bob.cache).toBe(BYPASS);
    const aliceAgain = await as("alice");
    expect(upvoted(aliceAgain)).toBe(true);
    expect(statements.length).toBeGreaterThan(0);
    // An invalid credential is not anonymous either: never answered from memory.
    statements.length = 0;
    const forged = await ask(server, query, variables, bearer("pgt_forged"));
    expect(forged.cache).toBe(BYPASS);
    expect(statements.length).toBeGreaterThan(0);

    // `viewer` is never stored, not even as an anonymous client's null.
    const who = `{ viewer { user { handle } } papers(first: 1) { totalCount } }`;
    const named = await ask(server, who, {}, bearer(tokens.alice as string));
    expect(named.body.data.viewer).toEqual({ user: { handle: "alice" } });
    for (let i = 0; i < 2; i++) {
      const nobody = await ask(server, who);
      expect(nobody.body.data.viewer).toBeNull();
      expect(nobody.cache).toBe(MISS);
    }
    const other = await ask(server, who, {}, bearer(tokens.bob as string));
    expect(other.body.data.viewer).toEqual({ user: { handle: "bob" } });
  });

  it("sees a digest that the ingest CLI loads in another process", async () => {
    const query = `{ day(date: "2024-10-26") { paperCount } papers { totalCount } }`;
    const before = await ask(server, query);
    expect(before.body.data.day).toBeNull();
    expect((await ask(server, query)).cache).toBe(HIT);

    const dir = mkdtempSync(join(tmpdir(), "papergraph-cache-"));
    try {
      const file = join(dir, "2024-10-26.json");
      writeFileSync(file, nextDayDigest());
      await promisify(execFile)(process.execPath, ["src/bin.mjs", "ingest", file], {
        env: { ...process.env, DATABASE_URL: database.target.url },
        timeout: 120_000,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const after = await ask(server, query);
    expect(after.cache).toBe(MISS);
    expect(after.body.data.day).toEqual({ paperCount: 29 });
    expect(after.body.data.papers.totalCount).toBe(before.body.data.papers.totalCount);
  });

  it("never caches `rateLimit`; a hit is charged the fixed cost of a request, and refused past the budget", async () => {
    const budget = memoryQueryBudget(100_000);
    const budgeted = createServer({
      db: database.db,
      provider,
      queryBudget: budget,
      responseCache: { version },
    });
    const query = `{ papers(first: 2) { totalCount } }`;
    const miss = await ask(budgeted, query);
    const hit = await ask(budgeted, query);
    expect(hit.cache).toBe(HIT);
    const remaining = (answer: Answer) => Number(answer.headers.get("ratelimit-remaining"));
    expect(remaining(hit)).toBe(remaining(miss) - COSTS.operation);

    const withStatus = `{ rateLimit { cost remaining } papers(first: 2) { totalCount } }`;
    const one = await ask(budgeted, withStatus);
    const two = await ask(budgeted, withStatus);
    expect(two.cache).toBe(MISS);
    expect(two.body.data.rateLimit.remaining).toBe(
      one.body.data.rateLimit.remaining - two.body.data.rateLimit.cost,
    );

    // A budget that allows two requests: the miss and one hit. The next hit is refused.
    let allowed = 2;
    const small: QueryBudget = {
      async spend(_client, cost) {
        const ok = allowed-- > 0;
        return {
          allowed: ok,
          cost,
          limit: 1_000,
          remaining: ok ? 500 : 0,
          resetAt: new Date(Date.now() + 60_000),
        };
      },
    };
    const tight = createServer({
      db: database.db,
      provider,
      queryBudget: small,
      responseCache: { version },
    });
    const tightQuery = `{ papers(first: 3) { totalCount } }`;
    expect((await ask(tight, tightQuery)).status).toBe(200);
    expect((await ask(tight, tightQuery)).cache).toBe(HIT);
    const refused = await ask(tight, tightQuery);
    expect(refused.status).toBe(429);
    expect(refused.body.errors[0].extensions.code).toBe("BUDGET_EXCEEDED");
  });

  it("runs the same SQL for a miss as without the cache", async () => {
    const query = `{
      papers(first: 3, orderBy: { field: DAY }) { nodes { title authors { name } appearances { rank day { date } } } }
      day(date: "2024-10-25") { paperCount papers(first: 2) { edges { node { rank paper { title } } } } }
    }`;
    const plain = createServer({ db: database.db, provider });
    statements.length = 0;
    const without = await ask(plain, query);
    const ran = [...statements];
    statements.length = 0;
    const miss = await ask(server, query);
    expect(miss.cache).toBe(MISS);
    expect(miss.body).toEqual(without.body);
    // The same statements (PostgreSQL runs some at once, in any order).
    expect([...statements].sort()).toEqual(ran.sort());
  });

  it("is off without a data version (RESPONSE_CACHE=off): no Cache-Status, every request runs", async () => {
    const plain = createServer({ db: database.db, provider });
    const query = `{ papers(first: 2) { nodes { title } } }`;
    await ask(plain, query);
    statements.length = 0;
    const again = await ask(plain, query);
    expect(again.cache).toBeNull();
    expect(again.headers.get("etag")).toBeNull();
    expect(statements.length).toBeGreaterThan(0);
  });
});

describe("the cache's memory", () => {
  const answer = (text: string) => ({ data: { text } });

  it("keeps the most recently used answers within its entries and characters", () => {
    const cache = new MemoryCache({ entries: 2, chars: 16 * 1_000 });
    cache.set("a", answer("a"), [], 60_000);
    cache.set("b", answer("b"), [], 60_000);
    expect(cache.get("a")).toMatchObject(answer("a")); // now the most recently used
    cache.set("c", answer("c"), [], 60_000);
    expect(cache.get("b")).toBeNull();
    expect(cache.get("a")).not.toBeNull();
    expect(cache.size.entries).toBe(2);

    // Answers of 159 characters of JSON; 25 of them weigh more than 3,200.
    const small = new MemoryCache({ entries: 100, chars: 3_200 });
    for (let i = 0; i < 25; i++) small.set(String(i), answer("x".repeat(140)), [], 60_000);
    expect(small.size.chars).toBeLessThanOrEqual(3_200);
    expect(small.size.entries).toBe(20);
    expect(small.get("24")).not.toBeNull();
    expect(small.get("0")).toBeNull();
    // An answer over a sixteenth of the whole (200) is not kept at all.
    small.set("big", answer("x".repeat(300)), [], 60_000);
    expect(small.get("big")).toBeNull();
  });

  it("forgets an answer once its time is up, and never keeps one with no time", () => {
    const cache = new MemoryCache({ entries: 10, chars: 1_000_000 });
    cache.set("now", answer("now"), [], 0);
    expect(cache.get("now")).toBeNull();
    cache.set("soon", answer("soon"), [], 1);
    const until = Date.now() + 5;
    while (Date.now() < until) {
      // wait past the answer's millisecond
    }
    expect(cache.get("soon")).toBeNull();
    expect(cache.size).toEqual({ entries: 0, chars: 0 });
  });
});

describe("RESPONSE_CACHE", () => {
  it("is on by default, off when asked, and anything else is refused", () => {
    expect(loadConfig({}).responseCache).toBe(true);
    expect(loadConfig({ RESPONSE_CACHE: "on" }).responseCache).toBe(true);
    expect(loadConfig({ RESPONSE_CACHE: "off" }).responseCache).toBe(false);
    expect(() => loadConfig({ RESPONSE_CACHE: "sometimes" })).toThrow(
      /RESPONSE_CACHE "sometimes" is not on or off/,
    );
  });
});

describe.each(ENGINES)(
  "two server processes on one %s database",
  { tags: ["stress"] },
  (provider) => {
    it("a vote through one is seen by the next read through the other", {
      timeout: PROCESS_TEST_TIMEOUT,
    }, async ({ signal }) => {
      const { target, drop } = await createTestTarget(provider);
      const stops: (() => Promise<unknown>)[] = [];
      let database: Database | undefined;
      const start = async (env: Record<string, string> = {}) => {
        const server = startServerProcess(
          { DATABASE_URL: target.url, LOG_LEVEL: "warn", SAMPLE_DATA: "true", ...env },
          { signal },
        );
        stops.push(() => {
          server.child.kill("SIGKILL");
          return server.exited;
        });
        return server.url;
      };
      try {
        if (provider === "postgresql") await upgradeDatabase(target);
        // One after the other: the first loads the sample digests.
        const a = await start();
        const b = await start();
        database = await openDatabase(target);
        await createUser(database.db, "alice");
        const { token } = await createToken(database.db, "alice");

        const query = `{
        papers(first: 3, orderBy: { field: UPVOTES }) { nodes { id upvotes } }
        day(date: "2024-10-25") { totalUpvotes }
      }`;
        const before = await ask(b, query);
        expect(before.status).toBe(200);
        expect((await ask(b, query)).cache).toBe(HIT);
        const top = before.body.data.papers.nodes[0];

        await vote(a, token, Number(Buffer.from(top.id, "base64").toString().split(":")[1]));
        const after = await ask(b, query);
        expect(after.cache).toBe(MISS);
        expect(after.body.data.papers.nodes[0]).toEqual({ ...top, upvotes: top.upvotes + 1 });
        expect(after.body.data.day.totalUpvotes).toBe(before.body.data.day.totalUpvotes + 1);
        expect((await ask(b, query)).cache).toBe(HIT);

        // RESPONSE_CACHE=off: a third process answers without the cache.
        if (provider === "sqlite") {
          const c = await start({ RESPONSE_CACHE: "off" });
          const plain = await ask(c, query);
          expect(plain.body).toEqual(after.body);
          expect(plain.cache).toBeNull();
        }
      } finally {
        await database?.close();
        await Promise.all(stops.map((stop) => stop()));
        await drop();
      }
    });
  },
);
