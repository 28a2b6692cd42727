/**
 * The subscription transports, each with its real client (test/support/transports.ts): graphql-ws
 * over WebSocket, graphql-sse in single-connection mode and in distinct-connections mode. On both
 * engines: subscribe, vote, receive; a credential through graphql-ws's connectionParams or the
 * upgrade header; `viewerVotes` refused without a credential and with a bad one; the
 * subscription limits shared by the transports; graphql-ws's own bounds (operations per socket,
 * message size, time to `connection_init`) and its sockets closed at shutdown. Then two server
 * processes sharing PostgreSQL and Redis: a vote through one reaches a subscriber of the other,
 * over each transport.
 *
 * No vote is sent before the subscriber is registered: in one process, the test waits until the
 * server holds the subscription's slot (taken when it starts listening); across processes, where
 * Redis's SUBSCRIBE may still be on its way, votes are flipped until the event comes.
 */
import { randomBytes, randomInt } from "node:crypto";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import { createToken, createUser } from "../src/auth/tokens.ts";
import { directOf, upgradeDatabase } from "../src/db/client.ts";
import { openDataVersion } from "../src/db/data-version.ts";
import { createEvents, type LiveOptions, type PubSub } from "../src/graphql/pubsub.ts";
import type { StreamLimits } from "../src/http/sse-streams.ts";
import { serveWebSocket, type WebSocketLimits } from "../src/http/websocket.ts";
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
import { type ServerProcess, startServerProcess } from "./support/process.ts";
import {
  connect,
  disposeClients,
  type Payload,
  type Results,
  TRANSPORTS,
} from "./support/transports.ts";

const DEADLINE_MS = 30_000;
const PROCESS_TEST_TIMEOUT = 180_000;

const paperGid = (id: number) => Buffer.from(`Paper:${id}`).toString("base64");

const PAPER_VOTES = `subscription($ids: [ID!]!) { paperVotes(paperIds: $ids) { upvotes paper { id } } }`;
const VIEWER_VOTES = `subscription { viewerVotes { upvotes paper { id viewerHasUpvoted } } }`;
const UPVOTE = `mutation($id: ID!) { upvotePaper(input: { paperId: $id }) { changed paper { upvotes } } }`;
const REMOVE = `mutation($id: ID!) { removeUpvote(input: { paperId: $id }) { changed paper { upvotes } } }`;

afterEach(disposeClients);

/** Waits until `condition` holds (polled), failing after DEADLINE_MS with `what`. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${DEADLINE_MS} ms`);
    await sleep(10);
  }
}

/** `promise`, or a failure naming what did not come within DEADLINE_MS. */
async function within<T>(promise: Promise<T>, what: string): Promise<T> {
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

/** What ended a subscription that was refused: its rejection (graphql-ws: errors or a close). */
async function rejection(results: Results): Promise<unknown> {
  try {
    const payload = await within(results.next(), "refusal");
    return { payload };
  } catch (error) {
    return error;
  }
}

/** The one error of a refused subscription, sent as a result (`next`) or as graphql-ws `error`. */
function refusalOf(outcome: unknown): { message: string; extensions?: Record<string, unknown> } {
  const errors = Array.isArray(outcome)
    ? outcome
    : ((outcome as { payload?: Payload }).payload?.errors ?? []);
  expect(errors, JSON.stringify(outcome)).toHaveLength(1);
  return errors[0];
}

describe.each(ENGINES)("subscription transports on %s", (provider) => {
  let database: TestDatabase;
  let papers: { id: number }[] = [];
  let alice = "";
  const servers: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(provider);
    await ingest(database.sql, [{ source: JSON_FIXTURE }, { source: TEXT_FIXTURE }], {
      today: "2026-11-28",
    });
    papers = await database.db.paper.findMany({ select: { id: true }, orderBy: { id: "asc" } });
    expect(papers.length).toBeGreaterThanOrEqual(12);
    await createUser(database.db, "alice");
    alice = `Bearer ${(await createToken(database.db, "alice")).token}`;
  });
  afterAll(async () => {
    await disposeClients();
    for (const close of servers) await close();
    await database?.destroy();
  });

  /** The server of src/server.ts with graphql-ws on its port, as main.ts runs them. */
  async function serve(
    live: LiveOptions = {},
    limits: Partial<WebSocketLimits> = {},
    streamLimits?: StreamLimits,
  ) {
    const { pubsub } = createEvents(undefined, live);
    // With the response cache, as `npm start` runs: operations of every transport pass it.
    const version = openDataVersion(database.target, directOf(database.db));
    const yoga = createServer({
      db: database.db,
      provider,
      pubsub,
      rateLimiter: memoryRateLimiter(10_000, 60),
      responseCache: { version },
      streamLimits,
    });
    const http = createHttpServer(yoga);
    const websocket = serveWebSocket(http, yoga, { limits });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    const close = async () => {
      await websocket.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
      version.close();
    };
    servers.push(close);
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`;
    return { url, pubsub, websocket };
  }

  /** Waits until the server holds `n` subscriptions: they listen, an event now reaches them. */
  const registered = (pubsub: PubSub, n: number) =>
    until(() => pubsub.slots.open() === n, `${n} subscriptions registered`);

  it.each(TRANSPORTS)("%s: subscribe, vote, receive", async (transport) => {
    const { url, pubsub } = await serve();
    const paper = papers[TRANSPORTS.indexOf(transport)] as { id: number };
    const subscriber = connect(transport, url);
    // Queries go over each transport too, twice (a second one may be a cache hit).
    for (let i = 0; i < 2; i++) {
      const answer = await within(
        subscriber.run(`{ node(id: "${paperGid(paper.id)}") { id } }`),
        "query",
      );
      expect(answer).toEqual({ data: { node: { id: paperGid(paper.id) } } });
    }
    const events = subscriber.subscribe(PAPER_VOTES, { ids: [paperGid(paper.id)] });
    await registered(pubsub, 1);
    const voter = connect(transport, url, { authorization: alice });
    const vote = await within(voter.run(UPVOTE, { id: paperGid(paper.id) }), "vote");
    expect(vote.errors).toBeUndefined();
    expect(vote.data.upvotePaper.changed).toBe(true);
    const event = await within(events.next(), "event");
    expect(event.data.paperVotes).toEqual({
      upvotes: vote.data.upvotePaper.paper.upvotes,
      paper: { id: paperGid(paper.id) },
    });
    await events.close();
    await until(() => pubsub.slots.open() === 0, "the slot given back");
  });

  it.each(TRANSPORTS)(
    "%s: viewerVotes is refused without a credential and with a bad one, and follows the viewer's votes with a valid one",
    async (transport) => {
      const { url, pubsub } = await serve();
      const paper = papers[3 + TRANSPORTS.indexOf(transport)] as { id: number };

      const anonymous = refusalOf(await rejection(connect(transport, url).subscribe(VIEWER_VOTES)));
      expect(anonymous.extensions).toMatchObject({
        code: "UNAUTHENTICATED",
        reason: "no Authorization header",
      });

      const unknown = `Bearer pgt_${randomBytes(32).toString("base64url")}`;
      const impostor = connect(transport, url, { authorization: unknown });
      const outcome = await rejection(impostor.subscribe(VIEWER_VOTES));
      if (transport === "graphql-ws") {
        // Refused when the connection opens: the socket is closed, no operation runs.
        expect(impostor.closes).toEqual([{ code: 4403, reason: "Forbidden: unknown token" }]);
      } else {
        expect(refusalOf(outcome).extensions).toMatchObject({
          code: "UNAUTHENTICATED",
          reason: "unknown token",
        });
      }
      expect(pubsub.slots.open()).toBe(0);

      const viewer = connect(transport, url, { authorization: alice });
      const mine = viewer.subscribe(VIEWER_VOTES);
      await registered(pubsub, 1);
      const vote = await within(viewer.run(UPVOTE, { id: paperGid(paper.id) }), "vote");
      expect(vote.data.upvotePaper.changed).toBe(true);
      const event = await within(mine.next(), "the viewer's vote");
      expect(event.data.viewerVotes).toEqual({
        upvotes: vote.data.upvotePaper.paper.upvotes,
        paper: { id: paperGid(paper.id), viewerHasUpvoted: true },
      });
    },
  );

  it("graphql-ws: takes the credential from the upgrade request's Authorization header too", async () => {
    const { url, pubsub } = await serve();
    const paper = papers[6] as { id: number };
    const viewer = connect("graphql-ws", url, { headerAuthorization: alice });
    const mine = viewer.subscribe(VIEWER_VOTES);
    await registered(pubsub, 1);
    const vote = await within(viewer.run(UPVOTE, { id: paperGid(paper.id) }), "vote");
    expect(vote.data.upvotePaper.changed).toBe(true);
    const event = await within(mine.next(), "the viewer's vote");
    expect(event.data.viewerVotes.paper).toEqual({
      id: paperGid(paper.id),
      viewerHasUpvoted: true,
    });

    const malformed = connect("graphql-ws", url, { headerAuthorization: "Bearer nonsense" });
    await rejection(malformed.subscribe(VIEWER_VOTES));
    expect(malformed.closes).toEqual([{ code: 4403, reason: "Forbidden: malformed token" }]);
  });

  it("graphql-ws: reports a syntax error and a token limit as such, not masked", async () => {
    const { url } = await serve();
    const client = connect("graphql-ws", url);
    const syntax = refusalOf(await rejection(client.subscribe("subscription {")));
    expect(syntax.message).toMatch(/^Syntax Error/);
    const tokens = refusalOf(
      await rejection(client.subscribe(`{ ${"__typename ".repeat(3_001)} }`)),
    );
    expect(tokens.message).toMatch(/token/i);
    // Errors of the operation, not of the socket (lazy, the client closes it normally when idle).
    expect(client.closes.map((c) => c.code).filter((code) => code !== 1000)).toEqual([]);
  });

  it("counts WebSocket and SSE subscriptions against the same per-client limit", async () => {
    const { url, pubsub } = await serve({ perClient: 2 });
    const ids = { ids: [paperGid(papers[7]?.id as number)] };
    const ws = connect("graphql-ws", url);
    const first = ws.subscribe(PAPER_VOTES, ids);
    connect("graphql-sse single connection", url).subscribe(PAPER_VOTES, ids);
    await registered(pubsub, 2);
    for (const transport of TRANSPORTS) {
      const refused = refusalOf(
        await rejection(connect(transport, url).subscribe(PAPER_VOTES, ids)),
      );
      expect(refused.extensions).toEqual({
        code: "TOO_MANY_SUBSCRIPTIONS",
        scope: "client",
        limit: 2,
      });
    }
    // A slot given back over WebSocket is one the next subscription, over SSE, can take.
    await first.close();
    await registered(pubsub, 1);
    connect("graphql-sse distinct", url).subscribe(PAPER_VOTES, ids);
    await registered(pubsub, 2);
  });

  it("graphql-ws: bounds operations per socket, message size and the wait for connection_init", async () => {
    const { url, pubsub } = await serve(
      {},
      { operationsPerSocket: 2, messageBytes: 2048, connectionInitMs: 300 },
    );
    const ids = { ids: [paperGid(papers[8]?.id as number)] };
    const client = connect("graphql-ws", url);
    client.subscribe(PAPER_VOTES, ids);
    client.subscribe(PAPER_VOTES, ids);
    await registered(pubsub, 2);
    const third = refusalOf(await rejection(client.subscribe(PAPER_VOTES, ids)));
    expect(third.extensions).toEqual({
      code: "TOO_MANY_SUBSCRIPTIONS",
      scope: "connection",
      limit: 2,
    });
    expect(pubsub.slots.open()).toBe(2);

    const large = connect("graphql-ws", url);
    await rejection(large.subscribe(`${PAPER_VOTES} # ${"x".repeat(4096)}`, ids));
    expect(large.closes.map((c) => c.code)).toEqual([1009]);

    // A socket that never says connection_init is closed by the server.
    const silent = new WebSocket(url.replace(/^http/, "ws"), "graphql-transport-ws");
    const closed = await within(
      new Promise<number>((resolve) => silent.on("close", (code) => resolve(code))),
      "close of a silent socket",
    );
    expect(closed).toBe(4408);
  });

  it("graphql-ws: closes its sockets on shutdown, which ends their subscriptions and frees their slots", async () => {
    const { url, pubsub, websocket } = await serve();
    const ids = { ids: [paperGid(papers[9]?.id as number)] };
    const one = connect("graphql-ws", url);
    const two = connect("graphql-ws", url, { localAddress: "127.0.0.2" });
    const events = one.subscribe(PAPER_VOTES, ids);
    two.subscribe(PAPER_VOTES, ids);
    await registered(pubsub, 2);
    expect(websocket.open()).toBe(2);
    const ended = rejection(events);
    await within(websocket.close(), "shutdown of the sockets");
    expect(websocket.open()).toBe(0);
    await until(() => pubsub.slots.open() === 0, "slots given back");
    expect(await ended).toMatchObject({ code: 1001 });
    expect(one.closes).toEqual([{ code: 1001, reason: "the server is shutting down" }]);
    // No socket is accepted any more.
    const late = connect("graphql-ws", url);
    await rejection(late.subscribe(PAPER_VOTES, ids));
    expect(late.closes).toHaveLength(1);
  });

  it("graphql-sse single connection: bounds the streams a client reserves, and drops a reservation never opened", async () => {
    const { url } = await serve({}, {}, { perClient: 2, total: 100, openWithinMs: 300 });
    const stream = `${url}/stream`;
    const reserve = () => fetch(stream, { method: "PUT" });
    const open = (token: string, signal?: AbortSignal) =>
      fetch(stream, {
        headers: { accept: "text/event-stream", "x-graphql-event-stream-token": token },
        ...(signal ? { signal } : {}),
      });
    /** Reserves until a place is free again (one is freed in the background). */
    const reserveWhenFree = async () => {
      const deadline = Date.now() + DEADLINE_MS;
      for (;;) {
        const response = await reserve();
        if (response.status === 201) return response.text();
        expect(response.status).toBe(429);
        if (Date.now() > deadline) throw new Error("no place freed");
        await sleep(50);
      }
    };
    const first = await reserve();
    const second = await reserve();
    expect([first.status, second.status]).toEqual([201, 201]);
    const [one, two] = [await first.text(), await second.text()];
    expect(one).toMatch(/^[0-9a-f-]{36}$/);
    const third = await reserve();
    expect(third.status).toBe(429);
    expect((await third.json()).errors[0].extensions).toEqual({
      code: "TOO_MANY_SUBSCRIPTIONS",
      scope: "client",
      limit: 2,
    });

    // The first is opened and stays; the second, never opened, is dropped after 300 ms.
    const reader = new AbortController();
    const opened = await open(one, reader.signal);
    expect(opened.status).toBe(200);
    await reserveWhenFree();
    expect((await reserve()).status).toBe(429);
    expect((await open(two)).status).not.toBe(200);

    // Closing the open stream frees its place.
    reader.abort();
    await reserveWhenFree();
  });

  it("graphql-sse's endpoint bounds request bodies as /graphql does", async () => {
    const { url } = await serve();
    const large = await fetch(`${url}/stream`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: JSON.stringify({ query: `{ __typename } # ${"x".repeat(70_000)}` }),
    });
    expect(large.status).toBe(413);
    expect((await large.json()).errors[0].extensions.code).toBe("PAYLOAD_TOO_LARGE");
    const chunked = await fetch(`${url}/stream`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "text/event-stream" },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"query":"{ __typename }"}'));
          controller.close();
        },
      }),
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(411);
  });
});

/**
 * A server process on a fresh SQLite file with the sample digests, given to `use` with its URL and
 * a signal for requests; stopped and its database dropped after.
 */
async function withServerProcess(
  use: (server: ServerProcess, url: string, signal: AbortSignal) => Promise<void>,
): Promise<void> {
  const { target, drop } = await createTestTarget("sqlite");
  const requests = new AbortController();
  const server = startServerProcess(
    { DATABASE_URL: target.url, LOG_LEVEL: "warn", SAMPLE_DATA: "true" },
    { signal: requests.signal },
  );
  try {
    await use(server, await server.url, requests.signal);
  } finally {
    requests.abort();
    await server.exited;
    await drop();
  }
}

/** SIGTERM: the process exits 0, well under the 10 s it gives requests in flight. */
async function terminatesAtOnce(server: ServerProcess): Promise<void> {
  const signalled = Date.now();
  server.child.kill("SIGTERM");
  expect(await within(server.exited, "exit")).toBe(0);
  expect(Date.now() - signalled).toBeLessThan(5_000);
}

describe("a server process with open WebSockets", { tags: ["stress"] }, () => {
  it("closes them at SIGTERM (1001) and exits at once, not after the shutdown grace", {
    timeout: PROCESS_TEST_TIMEOUT,
  }, async () => {
    await withServerProcess(async (server, url) => {
      const clients = [connect("graphql-ws", url), connect("graphql-ws", url)];
      const streams = clients.map((client) =>
        client.subscribe(`subscription { dayRanking(date: "2025-12-10") { upvotes } }`),
      );
      // Each socket is open and acknowledged once a query over it has been answered.
      for (const client of clients) {
        expect((await within(client.run("{ __typename }"), "query")).data).toEqual({
          __typename: "Query",
        });
      }
      const ended = streams.map((stream) => rejection(stream));
      await terminatesAtOnce(server);
      for (const outcome of await Promise.all(ended)) expect(outcome).toMatchObject({ code: 1001 });
    });
  });
});

describe("a server process with open event streams", { tags: ["stress"] }, () => {
  it("ends them at SIGTERM, both SSE modes, and exits at once, not after the shutdown grace", {
    timeout: PROCESS_TEST_TIMEOUT,
  }, async () => {
    await withServerProcess(async (server, url, signal) => {
      const subscription = `subscription { dayRanking(date: "2025-12-10") { upvotes } }`;
      // Distinct mode: the stream is open once its answer's headers have arrived.
      const distinct = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({ query: subscription }),
        signal,
      });
      expect(distinct.headers.get("content-type")).toMatch(/^text\/event-stream/);
      const distinctEnded = (async () => {
        const reader = distinct.body?.getReader();
        try {
          // The subscription's events, until the stream ends.
          while (reader && !(await reader.read()).done) {}
        } catch {
          // a stream cut short ends it too
        }
      })();
      // Single-connection mode: its one stream is open once a query over it has been answered.
      const single = connect("graphql-sse single connection", url);
      const singleStream = single.subscribe(subscription);
      expect((await within(single.run("{ __typename }"), "query")).data).toEqual({
        __typename: "Query",
      });
      const singleEnded = rejection(singleStream);
      await terminatesAtOnce(server);
      await within(distinctEnded, "the distinct stream's end");
      expect(await singleEnded).toBeInstanceOf(Error);
    });
  });
});

describe.skipIf(!postgresAvailable || !redisAvailable)(
  "two server processes sharing PostgreSQL and Redis",
  { tags: ["stress"] },
  () => {
    const requests = new AbortController();
    const stops: (() => Promise<unknown>)[] = [];
    let drop = async () => {};
    let urls: string[] = [];
    let token = "";
    let paperIds: number[] = [];
    let database: Awaited<ReturnType<typeof import("../src/db/client.ts").openDatabase>>;

    beforeAll(async () => {
      const created = await createTestTarget("postgresql");
      drop = created.drop;
      await upgradeDatabase(created.target);
      urls = await Promise.all(
        [0, 1].map(() => {
          const server = startServerProcess(
            {
              DATABASE_URL: created.target.url,
              REDIS_URL,
              LOG_LEVEL: "warn",
              SAMPLE_DATA: "true",
              // Redis's rate-limit counters are keyed by user id and outlive the database.
              VOTES_PER_MINUTE: "100000",
            },
            { signal: requests.signal },
          );
          stops.push(async () => {
            server.child.kill("SIGKILL");
            await server.exited;
          });
          return server.url;
        }),
      );
      const { openDatabase } = await import("../src/db/client.ts");
      database = await openDatabase(created.target);
      await createUser(database.db, "alice");
      token = (await createToken(database.db, "alice")).token;
      paperIds = (
        await database.db.paper.findMany({ select: { id: true }, orderBy: { id: "asc" }, take: 3 })
      ).map((p) => p.id);
    }, PROCESS_TEST_TIMEOUT);
    afterAll(async () => {
      await disposeClients();
      requests.abort();
      await Promise.all(stops.map((stop) => stop()));
      await database?.close();
      await drop();
    });

    it.each(TRANSPORTS)(
      "%s: a vote through one process reaches a subscriber of the other",
      {
        timeout: PROCESS_TEST_TIMEOUT,
      },
      async (transport) => {
        const [a, b] = urls as [string, string];
        const paperId = paperIds[TRANSPORTS.indexOf(transport)] as number;
        // Redis channels are the Redis server's: other runs publish for the same paper ids, with
        // the sample counts. This paper gets a count of its own; other events are skipped.
        const base = 1_000_000 + randomInt(1_000_000_000);
        await database.db.paper.update({
          where: { id: paperId },
          data: { digestUpvotes: base, localUpvotes: 0, upvotes: base },
        });
        const ours = (n: unknown) => n === base || n === base + 1;
        const events = connect(transport, b).subscribe(PAPER_VOTES, { ids: [paperGid(paperId)] });
        const received = (async () => {
          for (;;) {
            const event = await events.next();
            if (ours(event?.data?.paperVotes?.upvotes)) return event;
          }
        })();
        let arrived = false;
        received.then(
          () => {
            arrived = true;
          },
          () => {},
        );
        // The subscriber's process may not have subscribed to Redis yet: one vote after another
        // (up, down...) until an event comes, as a user flipping their vote would.
        const voter = connect(transport, a, { authorization: `Bearer ${token}` });
        const counts: number[] = [];
        const deadline = Date.now() + DEADLINE_MS;
        for (let flip = 0; !arrived; flip++) {
          if (Date.now() > deadline) throw new Error(`no event within ${DEADLINE_MS} ms`);
          const result = await voter.run(flip % 2 === 0 ? UPVOTE : REMOVE, {
            id: paperGid(paperId),
          });
          const payload = result.data?.[flip % 2 === 0 ? "upvotePaper" : "removeUpvote"];
          expect(payload?.changed, JSON.stringify(result)).toBe(true);
          counts.push(payload.paper.upvotes);
          await Promise.race([received.catch(() => {}), sleep(250)]);
        }
        const event = await received;
        expect(counts).toContain(event.data.paperVotes.upvotes);
        expect(event.data.paperVotes.paper).toEqual({ id: paperGid(paperId) });
        // Leave the vote taken back, for the next transport's run on the same user.
        if (counts.length % 2 === 1) await voter.run(REMOVE, { id: paperGid(paperId) });
      },
    );
  },
);
