/** Votes over real HTTP on both engines: identity, idempotency, exact counts under concurrency. */
import type { ChildProcess } from "node:child_process";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken, createUser, revokeToken } from "../src/auth/tokens.ts";
import { migrate } from "../src/db/migrate.ts";
import { createEvents } from "../src/graphql/pubsub.ts";
import { ingest } from "../src/ingest/run.ts";
import { createServer } from "../src/server.ts";
import { memoryRateLimiter } from "../src/votes/rate-limit.ts";
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

const UPVOTE = `mutation($id: ID!) { upvotePaper(input: { paperId: $id }) { changed viewerHasUpvoted paper { upvotes localUpvotes digestUpvotes viewerHasUpvoted } } }`;
const REMOVE = `mutation($id: ID!) { removeUpvote(input: { paperId: $id }) { changed viewerHasUpvoted paper { upvotes localUpvotes } } }`;

const paperGid = (id: number) => Buffer.from(`Paper:${id}`).toString("base64");

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
): Promise<Gql> {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

/** Runs `tasks` with at most `limit` in flight. */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await (tasks[i] as () => Promise<T>)();
      }
    }),
  );
  return results;
}

/** Reads Server-Sent Events of a subscription until `until` returns true for one. */
async function subscribe(url: string, query: string, variables: object) {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream" },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  return {
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

describe.each(ENGINES)("votes on %s", (provider) => {
  let database: TestDatabase;
  let http: HttpServer;
  let url: string;
  const tokens: string[] = [];
  let paperIds: number[] = [];
  const queries: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(provider, { onQuery: (sql) => queries.push(sql) });
    await ingest(database.sql, [{ source: JSON_FIXTURE }, { source: TEXT_FIXTURE }], {
      today: "2026-11-28",
    });
    for (let i = 0; i < 50; i++) {
      await createUser(database.db, `user${i}`);
      tokens.push((await createToken(database.db, `user${i}`)).token);
    }
    paperIds = (
      await database.db.paper.findMany({ select: { id: true }, orderBy: { id: "asc" }, take: 20 })
    ).map((p) => p.id);
    const yoga = createServer({
      db: database.db,
      provider,
      rateLimiter: memoryRateLimiter(100_000, 60),
    });
    http = createHttpServer(yoga);
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`;
  });
  afterAll(async () => {
    await new Promise((resolve) => http?.close(resolve));
    await database?.destroy();
  });

  const counters = async () => {
    const papers = await database.db.paper.findMany({
      where: { id: { in: paperIds } },
      select: {
        id: true,
        upvotes: true,
        localUpvotes: true,
        digestUpvotes: true,
        _count: { select: { votes: true } },
      },
    });
    return papers;
  };

  it("50 users voting and unvoting on 20 papers, 64 requests in flight: counters equal vote rows", async () => {
    // For every (user, paper): upvote, upvote again, remove, and upvote once more for two pairs in
    // three. Each pair's steps run in order; the 1,000 pairs race each other, 64 requests at a time.
    const expected = new Map<number, number>();
    const chains: (() => Promise<Gql[]>)[] = [];
    tokens.forEach((token, u) => {
      paperIds.forEach((id, p) => {
        const endsUp = (u + p) % 3 !== 0;
        expected.set(id, (expected.get(id) ?? 0) + (endsUp ? 1 : 0));
        const steps = [UPVOTE, UPVOTE, REMOVE, ...(endsUp ? [UPVOTE] : [])];
        chains.push(async () => {
          const out: Gql[] = [];
          for (const step of steps) out.push(await gql(url, step, { id: paperGid(id) }, token));
          return out;
        });
      });
    });
    const results = await pool(chains, 64);
    const errors = results.flat().filter((r) => r.errors);
    expect(errors).toEqual([]);
    for (const paper of await counters()) {
      expect(paper.localUpvotes, `paper ${paper.id}`).toBe(paper._count.votes);
      expect(paper.localUpvotes).toBe(expected.get(paper.id));
      expect(paper.upvotes).toBe(paper.digestUpvotes + paper.localUpvotes);
    }
  });

  it("double submits change the count once, and say so", async () => {
    const id = paperIds[0] as number;
    const token = tokens[0] as string;
    await gql(url, REMOVE, { id: paperGid(id) }, token);
    const before = (await counters()).find((p) => p.id === id);
    const [a, b] = await Promise.all([
      gql(url, UPVOTE, { id: paperGid(id) }, token),
      gql(url, UPVOTE, { id: paperGid(id) }, token),
    ]);
    expect([a.data.upvotePaper.changed, b.data.upvotePaper.changed].sort()).toEqual([false, true]);
    expect(a.data.upvotePaper.paper.viewerHasUpvoted).toBe(true);
    const after = (await counters()).find((p) => p.id === id);
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
    const id = paperGid(paperIds[1] as number);
    const cases: [string | undefined, RegExp][] = [
      [undefined, /no Authorization header/],
      ["not-a-token", /malformed token/],
      [`pgt_${"A".repeat(43)}`, /unknown token/],
      [revoked.token, /revoked token/],
      [expired.token, /expired token/],
    ];
    const before = await database.db.vote.count();
    for (const [token, reason] of cases) {
      const result = await gql(url, UPVOTE, { id }, token);
      expect(result.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED");
      expect(result.errors?.[0]?.message).toMatch(reason);
    }
    expect(await database.db.vote.count()).toBe(before);
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
    const page = (first: number) =>
      `{ papers(first: ${first}, orderBy: { field: UPVOTES }) { nodes { title viewerHasUpvoted } } viewer { user { handle } votes(first: 5) { edges { node { paper { title } } } } } }`;
    queries.length = 0;
    const small = await gql(url, page(5), {}, tokens[2]);
    const smallCount = queries.length;
    queries.length = 0;
    const large = await gql(url, page(60), {}, tokens[2]);
    expect(queries.length).toBe(smallCount);
    expect(small.data.viewer.user.handle).toBe("user2");
    const upvoted = large.data.papers.nodes.filter(
      (n: { viewerHasUpvoted: boolean }) => n.viewerHasUpvoted,
    );
    const rows = await database.db.vote.count({ where: { user: { handle: "user2" } } });
    expect(upvoted.length).toBe(rows);
    const anonymous = await gql(url, page(5));
    expect(anonymous.data.viewer).toBeNull();
    expect(
      anonymous.data.papers.nodes.every((n: { viewerHasUpvoted: boolean }) => !n.viewerHasUpvoted),
    ).toBe(true);
  });

  it("lists a paper's votes as a connection filterable by time", async () => {
    const id = paperIds[3] as number;
    const q = `query($id: ID!, $since: DateTime) { node(id: $id) { ... on Paper { votes(first: 100, since: $since) { totalCount edges { node { user { handle } } } } } } }`;
    const all = await gql(url, q, { id: paperGid(id) });
    expect(all.data.node.votes.totalCount).toBe(
      await database.db.vote.count({ where: { paperId: id } }),
    );
    const future = await gql(url, q, {
      id: paperGid(id),
      since: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(future.data.node.votes.totalCount).toBe(0);
  });

  it("re-ingesting a digest keeps local votes and never counts them twice", async () => {
    const before = await counters();
    await ingest(database.sql, [{ source: JSON_FIXTURE }, { source: TEXT_FIXTURE }], {
      force: true,
      today: "2026-11-28",
    });
    const after = await counters();
    expect(after).toEqual(before);
  });

  it("rate-limits votes per user, saying when to retry", async () => {
    const yoga = createServer({ db: database.db, provider, rateLimiter: memoryRateLimiter(3, 60) });
    const limited = createHttpServer(yoga);
    await new Promise<void>((resolve) => limited.listen(0, "127.0.0.1", resolve));
    const limitedUrl = `http://127.0.0.1:${(limited.address() as AddressInfo).port}/graphql`;
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
      await new Promise((resolve) => limited.close(resolve));
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
    const server = createHttpServer(yoga);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const jwtUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
    try {
      const good = jwt.sign({ sub: "42", preferred_username: "Carol" }, secret, {
        issuer: "https://idp.test",
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
      });
      const refused = await gql(jwtUrl, UPVOTE, { id }, forged);
      expect(refused.errors?.[0]).toBeDefined();
      expect(refused.status).toBe(401);
      const wrongIssuer = jwt.sign({ sub: "44" }, secret, { issuer: "https://evil.test" });
      expect((await gql(jwtUrl, UPVOTE, { id }, wrongIssuer)).status).toBe(401);
      // API tokens keep working next to JWTs.
      expect((await gql(jwtUrl, UPVOTE, { id }, tokens[12])).errors).toBeUndefined();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("pushes vote counts to subscribers over Server-Sent Events", async () => {
    const id = paperIds[10] as number;
    const stream = await subscribe(
      url,
      `subscription($ids: [ID!]!) { paperVotes(paperIds: $ids) { upvotes paper { title } } }`,
      {
        ids: [paperGid(id)],
      },
    );
    try {
      await new Promise((r) => setTimeout(r, 200));
      await gql(url, REMOVE, { id: paperGid(id) }, tokens[9]);
      const voted = await gql(url, UPVOTE, { id: paperGid(id) }, tokens[9]);
      const event = await stream.next();
      const last = voted.data.upvotePaper.paper.upvotes;
      expect([last, last - 1]).toContain(event.data.paperVotes.upvotes);
    } finally {
      stream.close();
    }
  });
});

describe.each(ENGINES)("a day's ranking, live, on %s", (provider) => {
  it("tells subscribers of a day when one of its papers' counts changes", async () => {
    const database = await createTestDatabase(provider);
    const yoga = createServer({ db: database.db, provider });
    const http = createHttpServer(yoga);
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`;
    try {
      await ingest(database.sql, [{ source: JSON_FIXTURE }, { source: TEXT_FIXTURE }], {
        today: "2026-11-28",
      });
      await createUser(database.db, "dana");
      const { token } = await createToken(database.db, "dana");
      const onDay = await database.db.paper.findFirstOrThrow({
        where: { dayEntries: { some: { day: { date: "2024-10-25" } } } },
      });
      const elsewhere = await database.db.paper.findFirstOrThrow({
        where: { dayEntries: { some: { day: { date: "2025-12-10" } } } },
      });
      const stream = await subscribe(
        url,
        `subscription { dayRanking(date: "2024-10-25") { upvotes paper { arxivId } } }`,
        {},
      );
      try {
        await new Promise((r) => setTimeout(r, 200));
        await gql(url, UPVOTE, { id: paperGid(elsewhere.id) }, token);
        await gql(url, UPVOTE, { id: paperGid(onDay.id) }, token);
        const event = await stream.next();
        // The vote on another day's paper was not sent; this day's was, with its new count.
        expect(event.data.dayRanking).toEqual({
          upvotes: onDay.upvotes + 1,
          paper: { arxivId: onDay.arxivId },
        });
      } finally {
        stream.close();
      }
    } finally {
      await new Promise((resolve) => http.close(resolve));
      await database.destroy();
    }
  });
});

describe("two server processes on one SQLite file", () => {
  it("count every vote exactly: concurrent writers wait, never fail", async () => {
    const { target, drop } = await createTestTarget("sqlite");
    const children: ChildProcess[] = [];
    try {
      await migrate(target);
      const servers = [0, 1].map(() => {
        const server = startServerProcess({
          DATABASE_URL: target.url,
          LOG_LEVEL: "warn",
          SAMPLE_DATA: "true",
          VOTES_PER_MINUTE: "100000",
        });
        children.push(server.child);
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
        const papers = (await database.db.paper.findMany({ select: { id: true }, take: 10 })).map(
          (p) => p.id,
        );
        const tasks = tokens.flatMap((token, u) =>
          papers.map(
            (id, p) => () => gql(urls[(u + p) % 2] as string, UPVOTE, { id: paperGid(id) }, token),
          ),
        );
        const results = await pool(tasks, 32);
        expect(results.filter((r) => r.errors)).toEqual([]);
        const rows = await database.db.paper.findMany({
          where: { id: { in: papers } },
          select: { localUpvotes: true, _count: { select: { votes: true } } },
        });
        expect(rows.map((r) => [r.localUpvotes, r._count.votes])).toEqual(rows.map(() => [16, 16]));
      } finally {
        await database.close();
      }
    } finally {
      for (const child of children) child.kill("SIGKILL");
      await drop();
    }
  });
});

describe.skipIf(!postgresAvailable || !redisAvailable)(
  "two server processes sharing PostgreSQL and Redis",
  () => {
    const children: ChildProcess[] = [];
    let drop: () => Promise<void>;

    afterAll(async () => {
      for (const child of children) child.kill("SIGKILL");
      await drop?.();
    });

    function start(databaseUrl: string): Promise<string> {
      const server = startServerProcess({
        DATABASE_URL: databaseUrl,
        REDIS_URL,
        LOG_LEVEL: "warn",
        SAMPLE_DATA: "true",
      });
      children.push(server.child);
      return server.url;
    }

    it("a vote through one process reaches a subscriber of the other", async () => {
      const made = await createTestTarget("postgresql");
      drop = made.drop;
      await migrate(made.target);
      const a = await start(made.target.url);
      const b = await start(made.target.url);
      const database = await import("../src/db/client.ts").then((m) => m.openDatabase(made.target));
      try {
        await createUser(database.db, "alice");
        const { token } = await createToken(database.db, "alice");
        const paper = await database.db.paper.findFirstOrThrow({ orderBy: { id: "asc" } });
        const stream = await subscribe(
          b,
          `subscription($ids: [ID!]!) { paperVotes(paperIds: $ids) { upvotes } }`,
          {
            ids: [paperGid(paper.id)],
          },
        );
        try {
          await new Promise((r) => setTimeout(r, 300));
          const voted = await gql(a, UPVOTE, { id: paperGid(paper.id) }, token);
          expect(voted.errors).toBeUndefined();
          const event = await stream.next();
          expect(event.data.paperVotes.upvotes).toBe(paper.upvotes + 1);
        } finally {
          stream.close();
        }
      } finally {
        await database.close();
      }
    });

    it("shares its event target between processes through Redis", async () => {
      // The same wiring main.ts uses, checked directly: publish in one, receive in another.
      const one = createEvents(REDIS_URL);
      const two = createEvents(REDIS_URL);
      try {
        const iterator = two.pubsub.subscribe("paperVotes")[Symbol.asyncIterator]();
        const received = iterator.next();
        await new Promise((r) => setTimeout(r, 200));
        one.pubsub.publish("paperVotes", { paperId: 7, upvotes: 3 });
        expect((await received).value).toEqual({ paperId: 7, upvotes: 3 });
        await iterator.return?.();
      } finally {
        await one.close();
        await two.close();
      }
    });
  },
);
