/**
 * Votes over real HTTP on both engines: identity, idempotency, exact counts under concurrency.
 *
 * Written to pass the same way on a loaded machine as on a quiet one:
 * - Every request takes the running test's signal, aborted when the test ends, fails or times
 *   out (see `requests`), so no request of one test runs on into the next.
 * - Each test votes as its own users on its own papers, or reads the state before acting: none
 *   depends on counters another test moved.
 * - A subscriber cannot know when the server has subscribed it, so the subscription tests never
 *   sleep and publish once: they keep voting until an event arrives, up to a deadline (see
 *   `produceUntil`), and check the event against the counts their votes produced.
 *
 * The concurrency test runs at a size a loaded 2-core machine finishes comfortably, 20 users x 10
 * papers and 32 requests in flight, and at full size among the long proofs (`npm run
 * test:stress`): 50 users x 20 papers, 64 requests in flight.
 */
import type { ChildProcess } from "node:child_process";
import { randomInt } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken, createUser, revokeToken } from "../src/auth/tokens.ts";
import { upgradeDatabase } from "../src/db/client.ts";
import { createEvents, type VoteEvent } from "../src/graphql/pubsub.ts";
import { ingest } from "../src/ingest/run.ts";
import { createServer } from "../src/server.ts";
import { memoryRateLimiter } from "../src/votes/rate-limit.ts";
import { type Listening, listenOnLoopback } from "./support/api.ts";
import {
  createTestDatabase,
  createTestTarget,
  ENGINES,
  postgresAvailable,
  REDIS_URL,
  redisAvailable,
  type TestDatabase,
} from "./support/engines.ts";
import { JSON_FIXTURE, TEXT_FIXTURE } from "./support/ingest.ts";
import { startServerProcess } from "./support/process.ts";
import { abortedWithEachTest } from "./support/requests.ts";

const UPVOTE = `mutation($id: ID!) { upvotePaper(input: { paperId: $id }) { changed viewerHasUpvoted paper { upvotes localUpvotes digestUpvotes viewerHasUpvoted } } }`;
const REMOVE = `mutation($id: ID!) { removeUpvote(input: { paperId: $id }) { changed viewerHasUpvoted paper { upvotes localUpvotes } } }`;

const paperGid = (id: number) => Buffer.from(`Paper:${id}`).toString("base64");
const paperIdOf = (gid: string) => Number(Buffer.from(gid, "base64").toString().split(":")[1]);

/** The concurrency test's sizes: the everyday one, and the full one among the long proofs. */
const LOADS = [
  { name: "everyday", users: 20, papers: 10, inFlight: 32, timeout: 180_000, tags: [] },
  { name: "full", users: 50, papers: 20, inFlight: 64, timeout: 600_000, tags: ["stress"] },
];
/** Subscription tests vote every EVENT_EVERY_MS until an event arrives, for EVENT_DEADLINE_MS. */
const EVENT_EVERY_MS = 250;
const EVENT_DEADLINE_MS = 30_000;
/** Tests that start server processes: each loads tsx and the sample digests, slowly when busy. */
const PROCESS_TEST_TIMEOUT = 180_000;

/**
 * The running test's requests: aborted after it (pass, failure or timeout: Vitest aborts the
 * test's own signal when it times out, and the test function itself runs on), so that none of them
 * outlives it. `gql`, `pool` and `subscribe` use it unless given another signal.
 */
const requests = abortedWithEachTest();

interface Gql {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: responses are checked field by field
  data?: any;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

async function gql(
  url: string,
  query: string,
  variables: object = {},
  token?: string,
  signal: AbortSignal = requests.signal,
): Promise<Gql> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
    signal,
  });
  return { status: response.status, ...((await response.json()) as object) };
}

/**
 * Runs `tasks` with at most `limit` in flight, each given a signal. The first failure (or an abort
 * of `signal`) stops it: no further task starts, the running ones' requests are aborted, and it
 * returns only once every task has settled, then throws that failure.
 */
async function pool<T>(
  tasks: ((signal: AbortSignal) => Promise<T>)[],
  limit: number,
  signal: AbortSignal = requests.signal,
): Promise<T[]> {
  const controller = new AbortController();
  const stop = () => controller.abort(signal.reason);
  if (signal.aborted) stop();
  signal.addEventListener("abort", stop, { once: true });
  const results: T[] = [];
  let failure: { error: unknown } | undefined;
  let next = 0;
  const worker = async () => {
    while (next < tasks.length && !controller.signal.aborted) {
      const i = next++;
      try {
        results[i] = await (tasks[i] as (signal: AbortSignal) => Promise<T>)(controller.signal);
      } catch (error) {
        failure ??= { error };
        controller.abort(error);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  } finally {
    signal.removeEventListener("abort", stop);
  }
  if (failure) throw failure.error;
  controller.signal.throwIfAborted();
  return results;
}

/** Reads the Server-Sent Events of a subscription; `close` (or the end of the test) ends it. */
async function subscribe(url: string, query: string, variables: object) {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.any([controller.signal, requests.signal]),
  });
  if (!response.ok || !response.headers.get("content-type")?.includes("text/event-stream")) {
    const body = await response.text();
    controller.abort();
    throw new Error(`subscription refused: ${response.status} ${body}`);
  }
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return {
    /** The next event. */
    // biome-ignore lint/suspicious/noExplicitAny: event payloads are checked field by field
    async next(): Promise<any> {
      for (;;) {
        const match = /event: next\ndata: (.*)\n\n/.exec(buffer);
        if (match) {
          buffer = buffer.slice((match.index ?? 0) + match[0].length);
          return JSON.parse(match[1] as string);
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        buffer += decoder.decode(value, { stream: true });
      }
    },
    close: () => controller.abort(),
  };
}

/**
 * Calls `produce` (one round of votes), then waits EVENT_EVERY_MS, again and again until `event`
 * settles, and returns it. A subscriber is not told when the server has subscribed it (in memory,
 * on the first read of the stream; through Redis, once SUBSCRIBE has reached the Redis server), so
 * a single event published after a fixed sleep can be lost and the subscriber wait forever.
 * Producing until one arrives cannot. Every round has completed when this returns, so the event
 * is one of the rounds'. Fails after EVENT_DEADLINE_MS, saying what did not come.
 */
async function produceUntil<T>(
  event: Promise<T>,
  produce: () => Promise<unknown>,
  what: () => string,
): Promise<T> {
  let settled = false;
  const watched = event.finally(() => {
    settled = true;
  });
  const arrived = watched.then(
    () => {},
    () => {},
  );
  const deadline = Date.now() + EVENT_DEADLINE_MS;
  for (let round = 0; !settled; round++) {
    if (Date.now() > deadline) {
      throw new Error(
        `no ${what()} within ${EVENT_DEADLINE_MS / 1000} s, ${round} rounds of votes`,
      );
    }
    await produce();
    await Promise.race([arrived, sleep(EVENT_EVERY_MS, undefined, { signal: requests.signal })]);
  }
  return watched;
}

/** `promise`, or a failure saying what did not come within EVENT_DEADLINE_MS. */
async function withinDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no ${what} within ${EVENT_DEADLINE_MS / 1000} s`)),
      EVENT_DEADLINE_MS,
    );
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One user's vote on one paper, flipped at each call: a removal first (whatever the state was),
 * then an upvote, a removal, an upvote... Throws on an error, or when a flip changes nothing
 * (but the first). `counts` holds the paper's upvote count after each change, in order: the
 * counts its live events can carry.
 */
function voteFlipper(url: string, token: string, paperId: number) {
  const counts: number[] = [];
  let flips = 0;
  return {
    counts,
    async flip(): Promise<void> {
      const up = flips % 2 === 1;
      const result = await gql(url, up ? UPVOTE : REMOVE, { id: paperGid(paperId) }, token);
      const payload = result.data?.[up ? "upvotePaper" : "removeUpvote"];
      if (result.errors || !payload || (flips > 0 && !payload.changed)) {
        throw new Error(
          `${up ? "upvote" : "removal"} of paper ${paperId}: ${JSON.stringify(result)}`,
        );
      }
      flips += 1;
      if (payload.changed) counts.push(payload.paper.upvotes);
    },
  };
}

/** Checks counts alternate between two neighbours, as one user's flips alone make them. */
function expectFlipSequence(counts: number[]) {
  expect(counts.length).toBeGreaterThan(0);
  expect(new Set(counts).size, `counts ${counts.join(", ")}`).toBeLessThanOrEqual(2);
  counts.slice(1).forEach((count, i) => {
    expect(Math.abs(count - (counts[i] as number)), `counts ${counts.join(", ")}`).toBe(1);
  });
}

describe.each(ENGINES)("votes on %s", (provider) => {
  let database: TestDatabase;
  let http: Listening;
  let url: string;
  /** The concurrency tests' own papers, touched by no other test. */
  let stressPapers: number[] = [];
  /** Users and papers for the other tests: each test uses its own, or reads before acting. */
  const tokens: string[] = [];
  let paperIds: number[] = [];
  const queries: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(provider, { onQuery: (sql) => queries.push(sql) });
    await ingest(database.sql, [{ source: JSON_FIXTURE }, { source: TEXT_FIXTURE }], {
      today: "2026-11-28",
      // The seed page text is a search page; loaded as its day, it gives papers on a second day.
      as: "day",
    });
    for (let i = 0; i < 16; i++) {
      await createUser(database.db, `user${i}`);
      tokens.push((await createToken(database.db, `user${i}`)).token);
    }
    const all = (
      await database.db.paper.findMany({ select: { id: true }, orderBy: { id: "asc" } })
    ).map((p) => p.id);
    expect(all.length).toBeGreaterThanOrEqual(40);
    stressPapers = all.slice(0, Math.max(...LOADS.map((load) => load.papers)));
    paperIds = all.slice(20, 40);
    const yoga = createServer({
      db: database.db,
      provider,
      rateLimiter: memoryRateLimiter(100_000, 60),
    });
    http = await listenOnLoopback(yoga);
    url = http.url;
  });
  afterAll(async () => {
    await http?.close();
    await database?.destroy();
  });

  const counters = (ids: number[]) =>
    database.db.paper.findMany({
      where: { id: { in: ids } },
      orderBy: { id: "asc" },
      select: {
        id: true,
        upvotes: true,
        localUpvotes: true,
        digestUpvotes: true,
        _count: { select: { votes: true } },
      },
    });

  for (const load of LOADS) {
    it(`${load.users} users voting and unvoting on ${load.papers} papers, ${load.inFlight} requests in flight: counters equal vote rows`, {
      timeout: load.timeout,
      tags: load.tags,
    }, async () => {
      // For every (user, paper): upvote, upvote again, remove, and upvote once more for two pairs
      // in three. Each pair's steps run in order; the pairs race each other, `inFlight` requests
      // at a time. The users are this test's own, so each pair adds 1 or 0 to what was there.
      const papers = stressPapers.slice(0, load.papers);
      const tokens: string[] = [];
      for (let i = 0; i < load.users; i++) {
        await createUser(database.db, `${load.name}${i}`);
        tokens.push((await createToken(database.db, `${load.name}${i}`)).token);
      }
      const expected = new Map((await counters(papers)).map((p) => [p.id, p.localUpvotes]));
      const chains: ((signal: AbortSignal) => Promise<Gql[]>)[] = [];
      tokens.forEach((token, u) => {
        papers.forEach((id, p) => {
          const endsUp = (u + p) % 3 !== 0;
          if (endsUp) expected.set(id, (expected.get(id) ?? 0) + 1);
          const steps = [UPVOTE, UPVOTE, REMOVE, ...(endsUp ? [UPVOTE] : [])];
          chains.push(async (signal) => {
            const out: Gql[] = [];
            for (const step of steps) {
              out.push(await gql(url, step, { id: paperGid(id) }, token, signal));
            }
            return out;
          });
        });
      });
      const results = await pool(chains, load.inFlight);
      const errors = results.flat().filter((r) => r.errors);
      expect(errors).toEqual([]);
      for (const paper of await counters(papers)) {
        expect(paper.localUpvotes, `paper ${paper.id}`).toBe(paper._count.votes);
        expect(paper.localUpvotes, `paper ${paper.id}`).toBe(expected.get(paper.id));
        expect(paper.upvotes).toBe(paper.digestUpvotes + paper.localUpvotes);
      }
    });
  }

  it("double submits change the count once, and say so", async () => {
    const id = paperIds[0] as number;
    const token = tokens[0] as string;
    await gql(url, REMOVE, { id: paperGid(id) }, token);
    const before = (await counters([id]))[0];
    const [a, b] = await Promise.all([
      gql(url, UPVOTE, { id: paperGid(id) }, token),
      gql(url, UPVOTE, { id: paperGid(id) }, token),
    ]);
    expect([a.data.upvotePaper.changed, b.data.upvotePaper.changed].sort()).toEqual([false, true]);
    expect(a.data.upvotePaper.paper.viewerHasUpvoted).toBe(true);
    const after = (await counters([id]))[0];
    expect(after?.upvotes).toBe((before?.upvotes ?? 0) + 1);
    const again = await gql(url, REMOVE, { id: paperGid(id) }, token);
    const twice = await gql(url, REMOVE, { id: paperGid(id) }, token);
    expect([again.data.removeUpvote.changed, twice.data.removeUpvote.changed]).toEqual([
      true,
      false,
    ]);
    expect(twice.data.removeUpvote.viewerHasUpvoted).toBe(false);
  });

  it("rejects missing, malformed, unknown, revoked and expired tokens", async () => {
    await createUser(database.db, "leaver");
    const revoked = await createToken(database.db, "leaver");
    await revokeToken(database.db, String(revoked.id));
    const expired = await createToken(database.db, "leaver", { expiresInDays: 1 });
    await database.db.apiToken.update({
      where: { id: expired.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const paperId = paperIds[1] as number;
    const id = paperGid(paperId);
    const cases: [string | undefined, RegExp][] = [
      [undefined, /no Authorization header/],
      ["not-a-token", /malformed token/],
      [`pgt_${"A".repeat(43)}`, /unknown token/],
      [revoked.token, /revoked token/],
      [expired.token, /expired token/],
    ];
    const before = await database.db.vote.count({ where: { paperId } });
    for (const [token, reason] of cases) {
      const result = await gql(url, UPVOTE, { id }, token);
      expect(result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      expect(result.errors?.[0]?.message).toMatch(reason);
    }
    expect(await database.db.vote.count({ where: { paperId } })).toBe(before);
  });

  it("stores no token in a readable form", async () => {
    const rows = await database.db.apiToken.findMany();
    const dump = JSON.stringify(rows);
    for (const token of tokens) {
      expect(dump).not.toContain(token);
      expect(dump).not.toContain(token.slice(12));
    }
    for (const row of rows) expect(row.secretHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("says NOT_FOUND for a paper that does not exist, and refuses a malformed id", async () => {
    const missing = await gql(url, UPVOTE, { id: paperGid(987_654) }, tokens[1]);
    expect(missing.errors?.[0]?.extensions?.code).toBe("NOT_FOUND");
    const wrongType = await gql(
      url,
      UPVOTE,
      { id: Buffer.from("Day:1").toString("base64") },
      tokens[1],
    );
    expect(wrongType.errors?.[0]).toBeDefined();
    const garbage = await gql(url, UPVOTE, { id: "garbage" }, tokens[1]);
    expect(garbage.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
  });

  it("reads viewerHasUpvoted with one query per page, and the viewer's votes", async () => {
    for (const id of paperIds.slice(6, 9)) {
      expect((await gql(url, UPVOTE, { id: paperGid(id) }, tokens[2])).errors).toBeUndefined();
    }
    const page = (first: number) =>
      `{ papers(first: ${first}, orderBy: { field: UPVOTES }) { nodes { id title viewerHasUpvoted } } viewer { user { handle } votes(first: 5) { edges { node { paper { title } } } } } }`;
    // A token is looked up at most once per TOKEN_CACHE_MS: whether a request does depends on the
    // clock, not on the page, so the lookups are left out of the count.
    const resolving = () => queries.filter((sql) => !sql.includes("ApiToken")).length;
    queries.length = 0;
    const small = await gql(url, page(5), {}, tokens[2]);
    const smallCount = resolving();
    queries.length = 0;
    const large = await gql(url, page(60), {}, tokens[2]);
    expect(resolving()).toBe(smallCount);
    expect(small.data.viewer.user.handle).toBe("user2");
    const mine = new Set(
      (
        await database.db.vote.findMany({
          where: { user: { handle: "user2" } },
          select: { paperId: true },
        })
      ).map((v) => v.paperId),
    );
    expect(mine.size).toBe(3);
    const nodes: { id: string; title: string; viewerHasUpvoted: boolean }[] =
      large.data.papers.nodes;
    for (const node of nodes) {
      expect(node.viewerHasUpvoted, node.title).toBe(mine.has(paperIdOf(node.id)));
    }
    expect(nodes.filter((n) => n.viewerHasUpvoted).length).toBeGreaterThan(0);
    const anonymous = await gql(url, page(5));
    expect(anonymous.data.viewer).toBeNull();
    expect(
      anonymous.data.papers.nodes.every((n: { viewerHasUpvoted: boolean }) => !n.viewerHasUpvoted),
    ).toBe(true);
  });

  it("lists a paper's votes as a connection filterable by time", async () => {
    const id = paperIds[3] as number;
    for (const token of [tokens[3], tokens[4]]) {
      expect((await gql(url, UPVOTE, { id: paperGid(id) }, token)).errors).toBeUndefined();
    }
    const q = `query($id: ID!, $since: DateTime) { node(id: $id) { ... on Paper { votes(first: 100, since: $since) { totalCount edges { node { user { handle } } } } } } }`;
    const all = await gql(url, q, { id: paperGid(id) });
    expect(all.data.node.votes.totalCount).toBe(
      await database.db.vote.count({ where: { paperId: id } }),
    );
    const handles = all.data.node.votes.edges.map(
      (e: { node: { user: { handle: string } } }) => e.node.user.handle,
    );
    expect(handles).toEqual(expect.arrayContaining(["user3", "user4"]));
    const future = await gql(url, q, {
      id: paperGid(id),
      since: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(future.data.node.votes.totalCount).toBe(0);
  });

  it("re-ingesting a digest keeps local votes and never counts them twice", async () => {
    const voted = await gql(url, UPVOTE, { id: paperGid(paperIds[9] as number) }, tokens[5]);
    expect(voted.errors).toBeUndefined();
    const before = await counters(paperIds);
    expect(before.some((p) => p.localUpvotes > 0)).toBe(true);
    await ingest(database.sql, [{ source: JSON_FIXTURE }, { source: TEXT_FIXTURE }], {
      force: true,
      today: "2026-11-28",
      // The seed page text is a search page; loaded as its day, it gives papers on a second day.
      as: "day",
    });
    const after = await counters(paperIds);
    expect(after).toEqual(before);
  });

  it("rate-limits votes per user, saying when to retry", async () => {
    const yoga = createServer({ db: database.db, provider, rateLimiter: memoryRateLimiter(3, 60) });
    const limited = await listenOnLoopback(yoga);
    const limitedUrl = limited.url;
    try {
      const results = [];
      for (let i = 0; i < 4; i++)
        results.push(
          await gql(limitedUrl, UPVOTE, { id: paperGid(paperIds[5] as number) }, tokens[7]),
        );
      expect(results.slice(0, 3).every((r) => !r.errors)).toBe(true);
      const refused = results[3];
      expect(refused?.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
      expect(refused?.errors?.[0]?.extensions?.retryAfterSeconds).toBeGreaterThan(0);
    } finally {
      await limited.close();
    }
  });

  it("accepts an identity provider's JWTs when configured, mapped to users", async () => {
    const { default: jwt } = await import("jsonwebtoken");
    const secret = "a-shared-secret-of-at-least-32-chars!";
    const yoga = createServer({
      db: database.db,
      provider,
      jwt: { secret, issuer: "https://idp.test" },
    });
    const server = await listenOnLoopback(yoga);
    const jwtUrl = server.url;
    try {
      const good = jwt.sign({ sub: "42", preferred_username: "Carol" }, secret, {
        issuer: "https://idp.test",
        expiresIn: "1h",
      });
      const id = paperGid(paperIds[12] as number);
      const first = await gql(jwtUrl, UPVOTE, { id }, good);
      expect(first.errors).toBeUndefined();
      expect(first.data.upvotePaper.changed).toBe(true);
      const again = await gql(jwtUrl, UPVOTE, { id }, good);
      expect(again.data.upvotePaper.changed).toBe(false);
      const user = await database.db.user.findUniqueOrThrow({
        where: { externalSubject: "https://idp.test|42" },
      });
      expect(user.handle).toBe("carol");
      const forged = jwt.sign({ sub: "43" }, "some-other-secret-of-32-characters!!", {
        issuer: "https://idp.test",
        expiresIn: "1h",
      });
      const refused = await gql(jwtUrl, UPVOTE, { id }, forged);
      expect(refused.errors?.[0]).toBeDefined();
      expect(refused.status).toBe(401);
      const wrongIssuer = jwt.sign({ sub: "44" }, secret, {
        issuer: "https://evil.test",
        expiresIn: "1h",
      });
      expect((await gql(jwtUrl, UPVOTE, { id }, wrongIssuer)).status).toBe(401);
      // API tokens keep working next to JWTs.
      expect((await gql(jwtUrl, UPVOTE, { id }, tokens[12])).errors).toBeUndefined();
    } finally {
      await server.close();
    }
  });

  it("pushes vote counts to subscribers over Server-Sent Events", async () => {
    const id = paperIds[10] as number;
    const votes = voteFlipper(url, tokens[9] as string, id);
    const stream = await subscribe(
      url,
      `subscription($ids: [ID!]!) { paperVotes(paperIds: $ids) { upvotes paper { title } } }`,
      { ids: [paperGid(id)] },
    );
    try {
      const event = await produceUntil(
        stream.next(),
        () => votes.flip(),
        () => "paperVotes event",
      );
      // Whichever vote it reflects, it carries the count that vote left, and the paper.
      expectFlipSequence(votes.counts);
      expect(votes.counts).toContain(event.data.paperVotes.upvotes);
      const paper = await database.db.paper.findUniqueOrThrow({ where: { id } });
      expect(event.data.paperVotes.paper.title).toBe(paper.title);
      expect(paper.upvotes).toBe(votes.counts.at(-1));
    } finally {
      stream.close();
    }
  });
});

describe.each(ENGINES)("a day's ranking, live, on %s", (provider) => {
  it("tells subscribers of a day when one of its papers' counts changes", async () => {
    const day = "2024-10-25";
    const database = await createTestDatabase(provider);
    const yoga = createServer({ db: database.db, provider });
    const http = await listenOnLoopback(yoga);
    const { url } = http;
    try {
      await ingest(database.sql, [{ source: JSON_FIXTURE }, { source: TEXT_FIXTURE }], {
        today: "2026-11-28",
        // The seed page text is a search page; loaded as its day, it gives papers on a second day.
        as: "day",
      });
      await createUser(database.db, "dana");
      const { token } = await createToken(database.db, "dana");
      const onDay = await database.db.paper.findFirstOrThrow({
        where: { dayEntries: { some: { day: { date: day } } } },
        orderBy: { id: "asc" },
      });
      const alsoOnDay = await database.db.paper.findFirstOrThrow({
        where: { id: { not: onDay.id }, dayEntries: { some: { day: { date: day } } } },
        orderBy: { id: "asc" },
      });
      const elsewhere = await database.db.paper.findFirstOrThrow({
        where: {
          dayEntries: { some: { day: { date: "2025-12-10" } }, none: { day: { date: day } } },
        },
      });
      const stream = await subscribe(
        url,
        `subscription { dayRanking(date: "${day}") { upvotes paper { arxivId } } }`,
        {},
      );
      try {
        const onDayVotes = voteFlipper(url, token, onDay.id);
        const elsewhereVotes = voteFlipper(url, token, elsewhere.id);
        const first = await produceUntil(
          stream.next(),
          async () => {
            await elsewhereVotes.flip();
            await onDayVotes.flip();
          },
          () => "dayRanking event",
        );
        // Subscribed now: a vote on another day's paper, then one on a second paper of this day.
        // Had the first been sent, it would come before the second.
        await elsewhereVotes.flip();
        const last = await gql(url, UPVOTE, { id: paperGid(alsoOnDay.id) }, token);
        expect(last.data?.upvotePaper?.changed).toBe(true);
        const events = [first];
        while (events.at(-1)?.data?.dayRanking?.paper?.arxivId !== alsoOnDay.arxivId) {
          events.push(await withinDeadline(stream.next(), "dayRanking event of the second paper"));
        }
        expect(events.pop().data.dayRanking).toEqual({
          upvotes: last.data.upvotePaper.paper.upvotes,
          paper: { arxivId: alsoOnDay.arxivId },
        });
        // The rest are this day's paper's, each with a count one of its votes left.
        expectFlipSequence(onDayVotes.counts);
        expect(onDayVotes.counts.every((n) => n === onDay.upvotes || n === onDay.upvotes + 1)).toBe(
          true,
        );
        for (const event of events) {
          expect(event.data.dayRanking.paper).toEqual({ arxivId: onDay.arxivId });
          expect(onDayVotes.counts).toContain(event.data.dayRanking.upvotes);
        }
      } finally {
        stream.close();
      }
    } finally {
      await http.close();
      await database.destroy();
    }
  });
});

/** Kills the test's server processes and waits until they are gone. */
async function stopAll(children: ChildProcess[], exits: Promise<unknown>[]) {
  for (const child of children) child.kill("SIGKILL");
  await Promise.all(exits);
}

describe("two server processes on one SQLite file", { tags: ["stress"] }, () => {
  it("count every vote exactly: concurrent writers wait, never fail", {
    timeout: PROCESS_TEST_TIMEOUT,
  }, async () => {
    const { target, drop } = await createTestTarget("sqlite");
    const children: ChildProcess[] = [];
    const exits: Promise<unknown>[] = [];
    try {
      await upgradeDatabase(target);
      const servers = [0, 1].map(() => {
        const server = startServerProcess(
          {
            DATABASE_URL: target.url,
            LOG_LEVEL: "warn",
            SAMPLE_DATA: "true",
            VOTES_PER_MINUTE: "100000",
          },
          { signal: requests.signal },
        );
        children.push(server.child);
        exits.push(server.exited);
        return server.url;
      });
      const urls = await Promise.all(servers);
      const database = await import("../src/db/client.ts").then((m) => m.openDatabase(target));
      try {
        const tokens: string[] = [];
        for (let i = 0; i < 16; i++) {
          await createUser(database.db, `w${i}`);
          tokens.push((await createToken(database.db, `w${i}`)).token);
        }
        const papers = (
          await database.db.paper.findMany({
            select: { id: true, localUpvotes: true },
            orderBy: { id: "asc" },
            take: 10,
          })
        ).map((p) => ({ id: p.id, expected: p.localUpvotes + tokens.length }));
        const tasks = tokens.flatMap((token, u) =>
          papers.map(
            ({ id }, p) =>
              (signal: AbortSignal) =>
                gql(urls[(u + p) % 2] as string, UPVOTE, { id: paperGid(id) }, token, signal),
          ),
        );
        const results = await pool(tasks, 32);
        expect(results.filter((r) => r.errors)).toEqual([]);
        const rows = await database.db.paper.findMany({
          where: { id: { in: papers.map((p) => p.id) } },
          orderBy: { id: "asc" },
          select: { localUpvotes: true, _count: { select: { votes: true } } },
        });
        expect(rows.map((r) => [r.localUpvotes, r._count.votes])).toEqual(
          papers.map((p) => [p.expected, p.expected]),
        );
      } finally {
        await database.close();
      }
    } finally {
      await stopAll(children, exits);
      await drop();
    }
  });
});

describe.skipIf(!postgresAvailable || !redisAvailable)(
  "two server processes sharing PostgreSQL and Redis",
  { tags: ["stress"] },
  () => {
    it("a vote through one process reaches a subscriber of the other", {
      timeout: PROCESS_TEST_TIMEOUT,
    }, async () => {
      const { target, drop } = await createTestTarget("postgresql");
      const children: ChildProcess[] = [];
      const exits: Promise<unknown>[] = [];
      const start = () => {
        const server = startServerProcess(
          {
            DATABASE_URL: target.url,
            REDIS_URL,
            LOG_LEVEL: "warn",
            SAMPLE_DATA: "true",
            // The Redis rate-limit counters are keyed by user id and outlive the database: other
            // runs' users with the same ids must not use this test's allowance up.
            VOTES_PER_MINUTE: "100000",
          },
          { signal: requests.signal },
        );
        children.push(server.child);
        exits.push(server.exited);
        return server.url;
      };
      try {
        await upgradeDatabase(target);
        const a = await start();
        const b = await start();
        const database = await import("../src/db/client.ts").then((m) => m.openDatabase(target));
        try {
          await createUser(database.db, "alice");
          const { token } = await createToken(database.db, "alice");
          const paper = await database.db.paper.findFirstOrThrow({ orderBy: { id: "asc" } });
          // Redis channels are the Redis server's, not the database's: another run of this suite
          // on the same Redis publishes for the same paper ids, with the same sample counts. So
          // this paper gets a count of its own, and the subscriber skips events without it.
          const base = 1_000_000 + randomInt(1_000_000_000);
          await database.db.paper.update({
            where: { id: paper.id },
            data: { digestUpvotes: base, upvotes: base + paper.localUpvotes },
          });
          // Alice has not voted: her flips leave it at `start` or `start + 1`.
          const start = base + paper.localUpvotes;
          const ours = (n: unknown) => n === start || n === start + 1;
          const skipped: unknown[] = [];
          const votes = voteFlipper(a, token, paper.id);
          const stream = await subscribe(
            b,
            `subscription($ids: [ID!]!) { paperVotes(paperIds: $ids) { upvotes } }`,
            { ids: [paperGid(paper.id)] },
          );
          try {
            const received = (async () => {
              for (;;) {
                const event = await stream.next();
                if (ours(event?.data?.paperVotes?.upvotes)) return event;
                skipped.push(event);
              }
            })();
            const event = await produceUntil(
              received,
              () => votes.flip(),
              () =>
                `paperVotes event from the other process (skipped ${skipped.length} with other counts, the last: ${JSON.stringify(skipped.slice(-2))})`,
            );
            expectFlipSequence(votes.counts);
            expect(votes.counts).toContain(event.data.paperVotes.upvotes);
            const now = await database.db.paper.findUniqueOrThrow({ where: { id: paper.id } });
            expect(now.upvotes).toBe(votes.counts.at(-1));
          } finally {
            stream.close();
          }
        } finally {
          await database.close();
        }
      } finally {
        await stopAll(children, exits);
        await drop();
      }
    });

    it("shares its event target between processes through Redis", async () => {
      // The same wiring main.ts uses, checked directly: publish in one, receive in another. Published
      // until received (SUBSCRIBE takes a round trip to Redis), with a payload of its own: other
      // runs on the same Redis publish on the same channel.
      const one = createEvents(REDIS_URL);
      const two = createEvents(REDIS_URL);
      const mine: VoteEvent = { paperId: 7, upvotes: randomInt(1_000_000_000) };
      const iterator = two.pubsub.subscribe("paperVotes")[Symbol.asyncIterator]();
      try {
        const received = (async () => {
          for (;;) {
            const next = await iterator.next();
            if (next.done) throw new Error("the subscription ended");
            if (next.value.upvotes === mine.upvotes) return next.value;
          }
        })();
        const event = await produceUntil(
          received,
          async () => one.pubsub.publish("paperVotes", mine),
          () => "event through Redis",
        );
        expect(event).toEqual(mine);
      } finally {
        await iterator.return?.();
        await one.close();
        await two.close();
      }
    });
  },
);
