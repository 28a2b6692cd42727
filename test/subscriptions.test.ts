/**
 * Subscriptions under load, over real HTTP on both engines: open subscriptions are limited per
 * client and in total (refused with TOO_MANY_SUBSCRIPTIONS, the slot freed when a client
 * leaves); an event costs the same SQL statements for 20 subscribers as for 1, and with the
 * live-delivery plugin one execution per operation and credential; each event carries the paper
 * as it is when delivered; arguments and pending events are bounded.
 *
 * Written to pass the same way on a loaded machine as on a quiet one:
 * - Clients are told apart by their address: each connects from its own 127.x address.
 * - A subscriber is not told when the server has subscribed it, so no test publishes once after
 *   a sleep: `publishUntil` publishes again and again until every subscriber has the event, up
 *   to a deadline. Statement counts are taken between two fences (an event each subscriber has
 *   received), so no event published before is still being read when counting starts.
 * - Every request takes the running test's signal (`requests`), aborted when the test ends.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { createYoga } from "graphql-yoga";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken, createUser } from "../src/auth/tokens.ts";
import { ConfigError, loadConfig } from "../src/config.ts";
import { createContext } from "../src/graphql/context.ts";
import { useLiveDelivery } from "../src/graphql/live-delivery.ts";
import { createEvents, type LiveOptions, type PubSub } from "../src/graphql/pubsub.ts";
import { schema } from "../src/graphql/schema.ts";
import { ingest } from "../src/ingest/run.ts";
import { Fanout } from "../src/live/fanout.ts";
import { LiveStream } from "../src/live/stream.ts";
import { createServer } from "../src/server.ts";
import { memoryRateLimiter } from "../src/votes/rate-limit.ts";
import { setVote } from "../src/votes/votes.ts";
import { listenOnLoopback } from "./support/api.ts";
import {
  createTestDatabase,
  createTestTarget,
  ENGINES,
  type TestDatabase,
} from "./support/engines.ts";
import { JSON_FIXTURE, TEXT_FIXTURE } from "./support/ingest.ts";
import { startServerProcess } from "./support/process.ts";
import { abortedWithEachTest } from "./support/requests.ts";
import { openSse, type Payload, type SseStream } from "./support/sse.ts";

const DAY = "2024-10-25";
/** Publishes every PUBLISH_EVERY_MS until what is awaited arrives, for at most DEADLINE_MS. */
const PUBLISH_EVERY_MS = 200;
const DEADLINE_MS = 30_000;

const paperGid = (id: number) => Buffer.from(`Paper:${id}`).toString("base64");

// Every open subscription listens to it.
const requests = abortedWithEachTest(0);

/** A subscription from `client` (a loopback address), closed when the test ends. */
function subscribe(
  url: string,
  query: string,
  variables: object = {},
  client = "127.0.0.1",
  headers: Record<string, string> = {},
) {
  return openSse(
    url,
    { query, variables },
    { localAddress: client, signal: requests.signal, headers },
  );
}

/** `promise`, or a failure naming what did not come within DEADLINE_MS. */
async function withinDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${DEADLINE_MS} ms`)), DEADLINE_MS);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Calls `publish` every PUBLISH_EVERY_MS until `arrived` settles (the subscriber may not be
 * listening yet when the first one goes out), and returns what it settled with.
 */
async function publishUntil<T>(arrived: Promise<T>, publish: () => void, what: string) {
  let settled = false;
  const watched = arrived.finally(() => {
    settled = true;
  });
  const done = watched.then(
    () => {},
    () => {},
  );
  const deadline = Date.now() + DEADLINE_MS;
  while (!settled) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${DEADLINE_MS} ms`);
    publish();
    await Promise.race([done, sleep(PUBLISH_EVERY_MS, undefined, { signal: requests.signal })]);
  }
  return watched;
}

/** Reads `stream` until a payload about `paperId` (or an error) comes, and returns it. */
async function eventOf(stream: SseStream, paperId: number): Promise<Payload> {
  for (;;) {
    const payload = await stream.next();
    const event = payload.data && Object.values(payload.data)[0];
    if (payload.errors || (event as { paper?: { id?: string } })?.paper?.id === paperGid(paperId)) {
      return payload;
    }
  }
}

/** The one error of a refused subscription. */
function refusal(payload: Payload) {
  expect(payload.data ?? null).toBeNull();
  expect(payload.errors).toHaveLength(1);
  return payload.errors[0];
}

describe.each(ENGINES)("subscriptions on %s", (provider) => {
  let database: TestDatabase;
  /** Every SQL statement the server's database client sends. */
  const statements: string[] = [];
  /** Papers of DAY, in id order. */
  let papers: { id: number; upvotes: number }[] = [];
  const servers: { close: () => Promise<void> }[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(provider, { onQuery: (sql) => statements.push(sql) });
    await ingest(database.sql, [{ source: JSON_FIXTURE }, { source: TEXT_FIXTURE }], {
      today: "2026-11-28",
    });
    papers = await database.db.paper.findMany({
      where: { dayEntries: { some: { day: { date: DAY } } } },
      select: { id: true, upvotes: true },
      orderBy: { id: "asc" },
    });
    expect(papers.length).toBeGreaterThanOrEqual(8);
  });
  afterAll(async () => {
    for (const server of servers) await server.close();
    await database?.destroy();
  });

  /**
   * A server over HTTP on the test database, with its own live events and limits: the server
   * of src/server.ts, or (`live`) a Yoga server of the same schema and context with the
   * live-delivery plugin.
   */
  async function serve(
    options: LiveOptions,
    live = false,
  ): Promise<{ url: string; pubsub: PubSub }> {
    const { pubsub } = createEvents(undefined, options);
    const services = { db: database.db, provider, pubsub, rateLimiter: memoryRateLimiter(60, 60) };
    const yoga = live
      ? createYoga({
          schema,
          context: ({ request }) => createContext(services, request.headers.get("authorization")),
          plugins: [useLiveDelivery()],
        })
      : createServer(services);
    const http = await listenOnLoopback(yoga);
    servers.push(http);
    return { url: http.url, pubsub };
  }

  const RANKING = `subscription($date: Date!) { dayRanking(date: $date) { upvotes paper { id } } }`;

  /** Whether a subscription was admitted: it gets events (published until one comes), or an error. */
  async function admitted(pubsub: PubSub, stream: SseStream, paperId: number): Promise<Payload> {
    return publishUntil(
      eventOf(stream, paperId),
      () => pubsub.publish("dayRanking", DAY, { paperId, upvotes: 0 }),
      "event or refusal",
    );
  }

  it("limits open subscriptions per client, and frees a client's slot when it leaves", async () => {
    const { url, pubsub } = await serve({ perClient: 2, total: 100 });
    const paperId = (papers[0] as { id: number }).id;
    const first = await subscribe(url, RANKING, { date: DAY }, "127.0.0.1");
    const second = await subscribe(url, RANKING, { date: DAY }, "127.0.0.1");
    expect((await admitted(pubsub, first, paperId)).data).toBeTruthy();
    expect((await admitted(pubsub, second, paperId)).data).toBeTruthy();

    const third = await subscribe(url, RANKING, { date: DAY }, "127.0.0.1");
    const error = refusal(await withinDeadline(third.next(), "refusal"));
    expect(error.extensions).toMatchObject({
      code: "TOO_MANY_SUBSCRIPTIONS",
      scope: "client",
      limit: 2,
    });
    expect(error.message).toMatch(/too many subscriptions/);
    await withinDeadline(third.ended, "end of the refused stream");

    // Another client is not affected.
    const other = await subscribe(url, RANKING, { date: DAY }, "127.0.0.2");
    expect((await admitted(pubsub, other, paperId)).data).toBeTruthy();

    // The first client leaves one: the server frees its slot once it sees the connection close.
    first.close();
    const deadline = Date.now() + DEADLINE_MS;
    let again: SseStream | undefined;
    while (!again) {
      if (Date.now() > deadline) throw new Error("the slot was not freed");
      const attempt = await subscribe(url, RANKING, { date: DAY }, "127.0.0.1");
      if ((await admitted(pubsub, attempt, paperId)).data) again = attempt;
      else await sleep(PUBLISH_EVERY_MS, undefined, { signal: requests.signal });
    }
    // ... one slot, not more: the client holds two again.
    const over = await subscribe(url, RANKING, { date: DAY }, "127.0.0.1");
    expect(refusal(await withinDeadline(over.next(), "refusal")).extensions?.code).toBe(
      "TOO_MANY_SUBSCRIPTIONS",
    );
    expect(pubsub.slots.open()).toBe(3);
  });

  it("limits open subscriptions in total, and frees the slot when a client leaves", async () => {
    const { url, pubsub } = await serve({ perClient: 10, total: 3 });
    const paperId = (papers[0] as { id: number }).id;
    const open: SseStream[] = [];
    for (const client of ["127.0.0.1", "127.0.0.2", "127.0.0.3"]) {
      const stream = await subscribe(url, RANKING, { date: DAY }, client);
      expect((await admitted(pubsub, stream, paperId)).data).toBeTruthy();
      open.push(stream);
    }
    const fourth = await subscribe(url, RANKING, { date: DAY }, "127.0.0.4");
    expect(refusal(await withinDeadline(fourth.next(), "refusal")).extensions).toMatchObject({
      code: "TOO_MANY_SUBSCRIPTIONS",
      scope: "total",
      limit: 3,
    });

    open[1]?.close();
    const deadline = Date.now() + DEADLINE_MS;
    for (let admittedNow = false; !admittedNow; ) {
      if (Date.now() > deadline) throw new Error("the slot was not freed");
      const attempt = await subscribe(url, RANKING, { date: DAY }, "127.0.0.4");
      admittedNow = Boolean((await admitted(pubsub, attempt, paperId)).data);
      if (!admittedNow) await sleep(PUBLISH_EVERY_MS, undefined, { signal: requests.signal });
    }
    const fifth = await subscribe(url, RANKING, { date: DAY }, "127.0.0.5");
    expect(refusal(await withinDeadline(fifth.next(), "refusal")).extensions?.scope).toBe("total");
  });

  /**
   * Opens one subscriber per selection, each gets the fence events, then counts the statements
   * the server sends while `events` papers' events are delivered to every subscriber.
   */
  async function statementsPerEvents(
    selections: (string | { selection: string; token?: string })[],
    events: number[],
    live = false,
  ) {
    const { url, pubsub } = await serve({ perClient: 100, total: 1000 }, live);
    const streams = await Promise.all(
      selections.map((s) => {
        const { selection, token } = typeof s === "string" ? { selection: s, token: undefined } : s;
        const query = `subscription { dayRanking(date: "${DAY}") { ${selection} } }`;
        return subscribe(
          url,
          query,
          {},
          "127.0.0.1",
          token ? { authorization: `Bearer ${token}` } : {},
        );
      }),
    );
    const [fence, fence2] = papers.slice(-2).map((p) => p.id) as [number, number];
    // First fence: published until every subscriber has it (all are listening).
    await publishUntil(
      Promise.all(streams.map((s) => eventOf(s, fence))),
      () => pubsub.publish("dayRanking", DAY, { paperId: fence, upvotes: 0 }),
      "fence event",
    );
    // Second fence, published once: once every subscriber has it, every event published before
    // has been read and delivered.
    pubsub.publish("dayRanking", DAY, { paperId: fence2, upvotes: 0 });
    await withinDeadline(Promise.all(streams.map((s) => eventOf(s, fence2))), "second fence");
    statements.length = 0;
    for (const paperId of events) pubsub.publish("dayRanking", DAY, { paperId, upvotes: 0 });
    const received = await withinDeadline(
      Promise.all(
        streams.map(async (s) => {
          const got = [];
          for (const paperId of events) got.push(await eventOf(s, paperId));
          return got;
        }),
      ),
      "events",
    );
    // A connection's token is checked once, by whichever subscriber's context first needs it:
    // not part of an event's cost.
    const count = statements.filter((sql) => !sql.includes('"ApiToken"')).length;
    for (const s of streams) s.close();
    for (const payload of received.flat()) expect(payload.errors).toBeUndefined();
    return { count, received };
  }

  /** 20 different selections of the paper's own fields (Prisma batches identical ones itself). */
  const COLUMNS = [
    "title",
    "arxivId",
    "upvotes",
    "localUpvotes",
    "digestUpvotes",
    "codeUrl",
    "abstract",
    "authorCount",
    "publishedAt",
    "trendingScore",
    "githubStars",
    "projectUrl",
    "thumbnailUrl",
    "commentCount",
    "aiSummary",
    "arxivUrl",
    "mediaUrls",
    "aiKeywords",
    "discussionUrl",
    "submittedBy { handle }",
  ].map((field) => `upvotes paper { id ${field} }`);

  it("reads an event's paper once, whatever the number of subscribers", async () => {
    const events = papers.slice(0, 3).map((p) => p.id);
    const { count: one } = await statementsPerEvents(COLUMNS.slice(0, 1), events);
    const { count: twenty } = await statementsPerEvents(COLUMNS, events);
    expect(one).toBe(events.length);
    expect(twenty).toBe(one);

    // A selection with relations is read once per event too (once per distinct selection).
    const relations = "paper { id title authors { name } appearances { rank } }";
    const { count: mixed } = await statementsPerEvents([COLUMNS[0] as string, relations], events);
    const { count: mixedTwenty } = await statementsPerEvents(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? relations : (COLUMNS[i] as string))),
      events,
    );
    expect(mixedTwenty).toBe(mixed);
    expect(mixed).toBeGreaterThan(one);
  });

  it("executes an event once for all the subscribers of one operation and credential (live delivery)", async () => {
    // `viewerHasUpvoted` reads the viewer's votes: one statement per execution of the event.
    const paper = papers[3] as { id: number };
    await createUser(database.db, "fan");
    const { token } = await createToken(database.db, "fan");
    const fan = await database.db.user.findUniqueOrThrow({ where: { handle: "fan" } });
    await setVote(database.db, provider, fan.id, paper.id, true);
    const events = [paper.id, (papers[4] as { id: number }).id];
    const selection = { selection: "upvotes paper { id viewerHasUpvoted }", token };
    const { count: one } = await statementsPerEvents([selection], events, true);
    const { count: twenty } = await statementsPerEvents(Array(20).fill(selection), events, true);
    expect(one).toBeGreaterThan(events.length);
    expect(twenty).toBe(one);
  });

  it("shares an execution only between subscribers with the same credential (live delivery)", async () => {
    const paper = papers[5] as { id: number };
    await createUser(database.db, "voter");
    await createUser(database.db, "abstainer");
    const voter = await createToken(database.db, "voter");
    const abstainer = await createToken(database.db, "abstainer");
    const voterId = (await database.db.user.findUniqueOrThrow({ where: { handle: "voter" } })).id;
    await setVote(database.db, provider, voterId, paper.id, true);
    const selection = "paper { id viewerHasUpvoted }";
    const who = [voter.token, undefined, abstainer.token, voter.token, undefined];
    const { received } = await statementsPerEvents(
      who.map((token) => ({ selection, token })),
      [paper.id],
      true,
    );
    expect(received.map(([payload]) => payload.data.dayRanking.paper.viewerHasUpvoted)).toEqual([
      true,
      false,
      false,
      true,
      false,
    ]);
  });

  it("delivers each event with the paper as it is when delivered, not as it was sent", async () => {
    const { url, pubsub } = await serve({});
    const paper = papers[1] as { id: number };
    const stream = await subscribe(
      url,
      `subscription { dayRanking(date: "${DAY}") { upvotes paper { id upvotes } } }`,
    );
    await admitted(pubsub, stream, paper.id);
    const current = 1_000_000 + paper.id;
    await database.db.paper.update({
      where: { id: paper.id },
      data: { digestUpvotes: current, upvotes: current, localUpvotes: 0 },
    });
    // A late event, carrying a count an earlier vote left: it arrives with the current one.
    pubsub.publish("dayRanking", DAY, { paperId: paper.id, upvotes: 3 });
    for (;;) {
      const payload = await withinDeadline(eventOf(stream, paper.id), "event");
      expect(payload.errors).toBeUndefined();
      // Events published before the update may still come first, with the old count.
      if (payload.data.dayRanking.upvotes !== current) continue;
      expect(payload.data.dayRanking.paper.upvotes).toBe(current);
      break;
    }
  });

  it("bounds paperVotes to 100 paper ids, and names a bad one", async () => {
    const { url, pubsub } = await serve({});
    const tooMany = Array.from({ length: 101 }, (_, i) => paperGid(i + 1));
    const query = `subscription($ids: [ID!]!) { paperVotes(paperIds: $ids) { upvotes paper { id } } }`;
    const day = Buffer.from("Day:1").toString("base64");
    const refused: [string[], string][] = [
      [tooMany, "paperIds"],
      [[], "paperIds"],
      [[paperGid(1), "garbage"], "paperIds[1]"],
      [[day], "paperIds[0]"],
    ];
    for (const [ids, argument] of refused) {
      const stream = await subscribe(url, query, { ids });
      const error = refusal(await withinDeadline(stream.next(), "refusal"));
      expect(error.extensions).toMatchObject({ code: "BAD_USER_INPUT", argument });
    }
    const paper = papers[2] as { id: number };
    const hundred = [paperGid(paper.id), ...tooMany.slice(0, 99)];
    const stream = await subscribe(url, query, { ids: hundred });
    const payload = await publishUntil(
      eventOf(stream, paper.id),
      () => pubsub.publish("paperVotes", { paperId: paper.id, upvotes: 0 }),
      "paperVotes event",
    );
    expect(payload.data.paperVotes.paper.id).toBe(paperGid(paper.id));
    expect(pubsub.slots.open()).toBe(1);
  });
});

describe("a subscriber's pending events", () => {
  it("keep one event per paper, at most the capacity, and end at once when the reader leaves", async () => {
    const ended: string[] = [];
    const stream = new LiveStream<{ paperId: number; n: number }>((e) => e.paperId, 3);
    stream.onEnd(() => ended.push("end"));
    for (let n = 0; n < 10; n++) stream.push({ paperId: n % 2, n });
    // Papers 0 and 1, each with its newest event, in the order they first came.
    expect(await stream.next()).toEqual({ done: false, value: { paperId: 0, n: 8 } });
    expect(await stream.next()).toEqual({ done: false, value: { paperId: 1, n: 9 } });
    for (let paperId = 10; paperId < 15; paperId++) stream.push({ paperId, n: paperId });
    // At most 3 pending: the oldest are dropped.
    const left = [];
    for (let i = 0; i < 3; i++) left.push(((await stream.next()).value as { n: number }).n);
    expect(left).toEqual([12, 13, 14]);
    const waiting = stream.next();
    await stream.return();
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(ended).toEqual(["end"]);
    await stream.return();
    expect(ended).toEqual(["end"]);
  });
});

describe("the fan-out of an event", () => {
  it("reaches a batch of subscribers per turn of the event loop, events in order", async () => {
    const sources = new Map<string, (event: number) => void>();
    let stopped = 0;
    const fanout = new Fanout<number>((topic, onEvent) => {
      sources.set(topic, onEvent);
      return () => {
        sources.delete(topic);
        stopped++;
      };
    }, 100);
    const received: number[][] = Array.from({ length: 1000 }, () => []);
    const unsubscribes = received.map((got) => fanout.add("topic", (event) => got.push(event)));
    // One listener for the topic, whatever the number of subscribers.
    expect([...sources.keys()]).toEqual(["topic"]);
    const publish = sources.get("topic") as (event: number) => void;
    publish(1);
    publish(2);
    // The first turn of the event loop reaches the first 100 subscribers only.
    await new Promise(setImmediate);
    expect(received.filter((got) => got.length > 0)).toHaveLength(100);
    for (let turn = 0; turn < 100 && received.some((got) => got.length < 2); turn++) {
      await new Promise(setImmediate);
    }
    for (const got of received) expect(got).toEqual([1, 2]);
    for (const unsubscribe of unsubscribes) unsubscribe();
    expect(stopped).toBe(1);
    expect(sources.size).toBe(0);
  });
});

describe("subscription limits, configured", () => {
  it("reads SUBSCRIPTIONS_PER_CLIENT and SUBSCRIPTIONS_TOTAL, with defaults, and names bad values", () => {
    expect(loadConfig({}).subscriptions).toEqual({ perClient: 20, total: 10_000 });
    expect(
      loadConfig({ SUBSCRIPTIONS_PER_CLIENT: "5", SUBSCRIPTIONS_TOTAL: "50" }).subscriptions,
    ).toEqual({ perClient: 5, total: 50 });
    expect(() =>
      loadConfig({ SUBSCRIPTIONS_PER_CLIENT: "0", SUBSCRIPTIONS_TOTAL: "many" }),
    ).toThrow(ConfigError);
    try {
      loadConfig({ SUBSCRIPTIONS_PER_CLIENT: "0", SUBSCRIPTIONS_TOTAL: "many" });
    } catch (error) {
      expect((error as Error).message).toMatch(/SUBSCRIPTIONS_PER_CLIENT "0"/);
      expect((error as Error).message).toMatch(/SUBSCRIPTIONS_TOTAL "many"/);
    }
  });

  it("applies them in a server process, to the address a trusted proxy forwards", {
    tags: ["stress"],
    timeout: 180_000,
  }, async () => {
    const { target, drop } = await createTestTarget("sqlite");
    const server = startServerProcess(
      {
        DATABASE_URL: target.url,
        LOG_LEVEL: "warn",
        SAMPLE_DATA: "false",
        SUBSCRIPTIONS_PER_CLIENT: "1",
        SUBSCRIPTIONS_TOTAL: "2",
        TRUST_PROXY_HOPS: "1",
      },
      { signal: requests.signal },
    );
    try {
      const url = await server.url;
      const query = `subscription { dayRanking(date: "${DAY}") { upvotes } }`;
      const from = (address: string) => ({ "x-forwarded-for": address });
      await subscribe(url, query, {}, "127.0.0.1", from("203.0.113.1"));
      // Each refusal proves the subscriptions before it hold their slots. The client is the
      // forwarded address, not the connection's.
      const sameClient = await subscribe(url, query, {}, "127.0.0.2", from("203.0.113.1"));
      expect(refusal(await withinDeadline(sameClient.next(), "refusal")).extensions).toMatchObject({
        code: "TOO_MANY_SUBSCRIPTIONS",
        scope: "client",
        limit: 1,
      });
      await subscribe(url, query, {}, "127.0.0.1", from("203.0.113.2"));
      const third = await subscribe(url, query, {}, "127.0.0.3", from("203.0.113.3"));
      expect(refusal(await withinDeadline(third.next(), "refusal")).extensions).toMatchObject({
        code: "TOO_MANY_SUBSCRIPTIONS",
        scope: "total",
        limit: 2,
      });
    } finally {
      server.child.kill("SIGKILL");
      await server.exited;
      await drop();
    }
  });
});
