/**
 * Email digests on both engines, end to end: subscription requests through the API, mails
 * received by a real SMTP server started here (smtp-server) and parsed (mailparser), links
 * followed against the running server, and `sendDigests` / `papergraph digest send` with its
 * outbox, a killed run included.
 *
 * Written to hold on a loaded machine: waits are for events (a mail arriving, a process
 * exiting) with generous deadlines, never fixed sleeps, except the claim's lease of the killed
 * run, which is waited out by its own length. Each test uses its own addresses, and every
 * subscription (with its outbox rows) is deleted after each test, so that no test sends another's
 * digests.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { ParsedMail } from "mailparser";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createToken, createUser } from "../src/auth/tokens.ts";
import { loadConfig } from "../src/config.ts";
import { ingest } from "../src/ingest/run.ts";
import type { DigestService } from "../src/mail/confirmations.ts";
import { defaultPeriods, sendDigests } from "../src/mail/outbox.ts";
import { type Mailer, openMailer } from "../src/mail/transport.ts";
import { createServer } from "../src/server.ts";
import { memoryRateLimiter, type RateLimiter, redisRateLimiter } from "../src/votes/rate-limit.ts";
import { type Listening, listenOnLoopback } from "./support/api.ts";
import {
  createTestDatabase,
  ENGINES,
  REDIS_URL,
  redisAvailable,
  type TestDatabase,
} from "./support/engines.ts";
import { JSON_FIXTURE } from "./support/ingest.ts";
import { startServerProcess } from "./support/process.ts";
import { abortedWithEachTest } from "./support/requests.ts";
import { header, type Inbox, linkIn, recipient, startSmtp } from "./support/smtp.ts";

/** The fixture's digest day, and the ISO week it is in. */
const DAY = "2024-10-25";
const WEEK = "2024-W43";
/** How long a test waits for a mail (or a process) before failing. */
const DEADLINE_MS = 60_000;
const TEST_TIMEOUT = 120_000;
const PROCESS_TEST_TIMEOUT = 240_000;
const MAIL_FROM = "Papergraph <digest@papergraph.test>";

const requests = abortedWithEachTest();

const SUBSCRIBE = `mutation($input: SubscribeToDigestInput!) {
  subscribeToDigest(input: $input) { email frequency message }
}`;

/** A fresh address of this test run. */
const address = (name: string) => `${name}-${randomBytes(4).toString("hex")}@example.org`;

// ---------------------------------------------------------------------------------------------

describe.each(ENGINES)("email digests on %s", (provider) => {
  let database: TestDatabase;
  let inbox: Inbox;
  let mailer: Mailer;
  let http: Listening;
  /** The server's origin: PUBLIC_URL. */
  let origin: string;
  let handler: ReturnType<typeof createServer>;
  /** Top papers of DAY by upvotes, as the database holds them (not through src/papers/list.ts). */
  let dayPapers: { id: number; title: string; upvotes: number }[];

  const redisClients: { disconnect(): void }[] = [];
  const smtpUrl = () => `smtp://127.0.0.1:${inbox.port}`;

  function digestService(overrides: Partial<DigestService> = {}): DigestService {
    return {
      mailer,
      perAddress: memoryRateLimiter(3, 3600),
      perClient: memoryRateLimiter(1000, 3600),
      ...overrides,
    };
  }

  async function gql(
    query: string,
    variables: object = {},
    token?: string,
    server: Listening = http,
  ) {
    const response = await fetch(server.url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
      signal: requests.signal,
    });
    // biome-ignore lint/suspicious/noExplicitAny: responses are checked field by field
    return { status: response.status, ...((await response.json()) as any) };
  }

  const subscribe = (input: object, token?: string, server?: Listening) =>
    gql(SUBSCRIBE, { input }, token, server);

  /** Follows a link as a browser would: GET the page, then POST its form. */
  async function follow(link: string, expected: RegExp) {
    const page = await fetch(link, { signal: requests.signal });
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-store");
    const html = await page.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    expect(action, html).toBeTruthy();
    const posted = await fetch(new URL((action as string).replace(/&amp;/g, "&"), link), {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: /name="List-Unsubscribe"/.test(html) ? "List-Unsubscribe=One-Click" : "",
      signal: requests.signal,
    });
    const text = await posted.text();
    expect(text).toMatch(expected);
    return posted.status;
  }

  /** Subscribes, reads the confirmation mail and follows its link: a confirmed subscriber. */
  async function confirmedSubscriber(email: string, input: object = {}) {
    const before = inbox.accepted.filter((m) => recipient(m) === email).length;
    const result = await subscribe({ email, frequency: "DAILY", ...input });
    expect(result.errors).toBeUndefined();
    const [mail] = (await inbox.waitFor(email, before + 1)).slice(before);
    expect(await follow(linkIn(mail?.text ?? "", "/digest/confirm"), /Confirmed/)).toBe(200);
  }

  beforeAll(async () => {
    database = await createTestDatabase(provider);
    await ingest(database.sql, [{ source: JSON_FIXTURE }], { today: "2026-11-28" });
    inbox = await startSmtp(DEADLINE_MS);
    // The server's address is its PUBLIC_URL: listen first, then create the server behind it.
    http = await listenOnLoopback((req, res) => handler(req, res));
    origin = new URL(http.url).origin;
    mailer = openMailer({ smtpUrl: smtpUrl(), from: MAIL_FROM, publicUrl: origin });
    handler = createServer({
      db: database.db,
      provider,
      digests: digestService(),
    });
    const day = await database.db.day.findUniqueOrThrow({ where: { date: DAY } });
    const entries = await database.db.dayEntry.findMany({
      where: { dayId: day.id },
      select: { paper: { select: { id: true, title: true, upvotes: true } } },
    });
    dayPapers = entries.map((e) => e.paper).sort((a, b) => b.upvotes - a.upvotes || b.id - a.id);
  }, TEST_TIMEOUT);

  afterEach(async () => {
    inbox.refuse = () => null;
    inbox.hold = () => null;
    await database.db.digestSubscription.deleteMany();
  });

  afterAll(async () => {
    for (const client of redisClients) client.disconnect();
    mailer?.close();
    await http?.close();
    await inbox?.close();
    await database?.destroy();
  });

  const send = (options: Partial<Parameters<typeof sendDigests>[0]> = {}) =>
    sendDigests({ db: database.db, provider, mailer, periods: [DAY], ...options });

  it(
    "double opt-in: nothing before the confirmation link is followed, then one digest with its headers, bodies and working unsubscribe link",
    async () => {
      const email = address("reader");
      const asked = await subscribe({
        email: `  ${email.toUpperCase()} `,
        frequency: "DAILY",
        filter: { minUpvotes: 10 },
      });
      expect(asked.errors).toBeUndefined();
      expect(asked.data.subscribeToDigest).toMatchObject({ email, frequency: "DAILY" });

      // The confirmation mail: to the normalised address, from MAIL_FROM, the link in both bodies.
      const [confirmation] = await inbox.waitFor(email);
      expect(confirmation?.from?.value[0]?.address).toBe("digest@papergraph.test");
      expect(confirmation?.subject).toBe("Confirm your papergraph digest");
      const confirmLink = linkIn(confirmation?.text ?? "", "/digest/confirm");
      expect(confirmLink.startsWith(`${origin}/digest/confirm?token=pgd_`)).toBe(true);
      expect(confirmation?.html).toContain(`href="${confirmLink}"`);

      // Not confirmed: no digest.
      const before = await send();
      expect(before.planned).toBe(0);
      expect(before.sent).toBe(0);
      // A GET alone (a mail scanner's) confirms nothing.
      expect((await fetch(confirmLink, { signal: requests.signal })).status).toBe(200);
      expect((await send()).sent).toBe(0);

      expect(await follow(confirmLink, /Confirmed/)).toBe(200);
      // The link works once.
      const again = await fetch(confirmLink, { method: "POST", signal: requests.signal });
      expect(again.status).toBe(400);
      expect(await again.text()).toMatch(/already used/);

      const report = await send();
      expect(report).toMatchObject({ planned: 1, sent: 1, empty: 0, retrying: [], failed: [] });
      const [digest] = await inbox.waitFor(email, 2).then((m) => m.slice(1));
      expect(recipient(digest as ParsedMail)).toBe(email);
      expect(digest?.from?.value[0]).toMatchObject({
        address: "digest@papergraph.test",
        name: "Papergraph",
      });
      const expected = dayPapers.filter((p) => p.upvotes >= 10).slice(0, 10);
      expect(digest?.subject).toBe(`Daily papers digest ${DAY}: ${expected.length} papers`);
      const subscription = await database.db.digestSubscription.findFirstOrThrow({
        where: { email },
      });
      expect(digest?.messageId).toBe(`<digest.${subscription.id}.${DAY}@127.0.0.1>`);

      // RFC 8058 headers; the link is the one of both bodies.
      const unsubscribeLink = linkIn(digest?.text ?? "", "/digest/unsubscribe");
      expect(header(digest as ParsedMail, "List-Unsubscribe")).toBe(`<${unsubscribeLink}>`);
      expect(header(digest as ParsedMail, "List-Unsubscribe-Post")).toBe(
        "List-Unsubscribe=One-Click",
      );
      expect(digest?.html).toContain(`href="${unsubscribeLink}"`);

      // Both bodies list the top papers in order, and only those.
      const text = digest?.text ?? "";
      const html = digest?.html || "";
      const positions = expected.map((p) => text.indexOf(p.title.replace(/\s+/g, " ").trim()));
      expect(positions.every((at) => at >= 0)).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      for (const paper of dayPapers.filter((p) => p.upvotes < 10)) {
        expect(text).not.toContain(paper.title);
      }
      const escaped = (s: string) =>
        s
          .replace(/\s+/g, " ")
          .trim()
          .replace(/&/g, "&amp;")
          .replace(/</g, "&lt;")
          .replace(/>/g, "&gt;")
          .replace(/"/g, "&quot;")
          .replace(/'/g, "&#39;");
      for (const paper of expected) expect(html).toContain(escaped(paper.title));

      // Exactly once: another run sends nothing.
      expect(await send()).toMatchObject({ planned: 0, sent: 0 });
      expect(inbox.accepted.filter((m) => recipient(m) === email)).toHaveLength(2);

      // One-click unsubscribe, as a mail client sends it (a form POST, no sign-in).
      const oneClick = await fetch(unsubscribeLink, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "List-Unsubscribe=One-Click",
        signal: requests.signal,
      });
      expect(oneClick.status).toBe(200);
      expect(await oneClick.text()).toMatch(/Unsubscribed/);
      const gone = await database.db.digestSubscription.findFirstOrThrow({ where: { email } });
      expect(gone.unsubscribedAt).not.toBeNull();
      expect((await send({ periods: ["2024-10-24"] })).planned).toBe(0);
    },
    TEST_TIMEOUT,
  );

  it(
    "the answer is the same whatever the address's state, and confirmation mails are limited per address",
    async () => {
      const confirmed = address("confirmed");
      await confirmedSubscriber(confirmed);
      const fresh = address("fresh");
      const answers = [];
      for (const email of [confirmed, fresh, fresh, fresh, fresh, fresh]) {
        const answer = await subscribe({ email, frequency: "DAILY" });
        answers.push({
          status: answer.status,
          errors: answer.errors,
          message: answer.data?.subscribeToDigest.message,
        });
      }
      expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
      expect(answers[0]).toMatchObject({ status: 200, errors: undefined });

      // The fresh address got 3 confirmation mails (the limit), not 5; the confirmed one none.
      await inbox.waitFor(fresh, 3);
      const sub = await database.db.digestSubscription.findFirstOrThrow({
        where: { email: fresh },
      });
      expect(await database.db.digestToken.count({ where: { subscriptionId: sub.id } })).toBe(3);
      // No 4th was due (3 tokens, above); none arrived by the time a later request's mail did.
      const marker = address("marker");
      await subscribe({ email: marker, frequency: "DAILY" });
      await inbox.waitFor(marker);
      expect(inbox.accepted.filter((m) => recipient(m) === fresh)).toHaveLength(3);
      expect(inbox.accepted.filter((m) => recipient(m) === confirmed)).toHaveLength(1);
    },
    TEST_TIMEOUT,
  );

  /** The per-client limiters a test can use: in memory, and on Redis when it answers. */
  const limiters: [string, () => Promise<RateLimiter>][] = [
    ["memory", async () => memoryRateLimiter(2, 3600)],
  ];
  if (redisAvailable) {
    limiters.push([
      "Redis",
      async () => {
        const { Redis } = await import("ioredis");
        const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
        redisClients.push(redis);
        // Its own keys: no other run's counts.
        const prefix = `papergraph:test:${randomBytes(6).toString("hex")}:`;
        return redisRateLimiter(redis, 2, 3600, prefix);
      },
    ]);
  }

  it.each(limiters)(
    "requests are limited per client (%s limiter): RATE_LIMITED, HTTP 429, nothing recorded",
    async (_kind, makeLimiter) => {
      const server = await listenOnLoopback(
        createServer({
          db: database.db,
          provider,
          digests: digestService({ perClient: await makeLimiter() }),
        }),
      );
      try {
        const [a, b, c] = [address("a"), address("b"), address("c")];
        const first = await subscribe({ email: a, frequency: "DAILY" }, undefined, server);
        expect(first.errors).toBeUndefined();
        const second = await subscribe({ email: b, frequency: "WEEKLY" }, undefined, server);
        expect(second.errors).toBeUndefined();
        const refused = await subscribe({ email: c, frequency: "DAILY" }, undefined, server);
        expect(refused.status).toBe(429);
        expect(refused.errors?.[0]?.extensions).toMatchObject({ code: "RATE_LIMITED" });
        expect(refused.errors?.[0]?.extensions.retryAfterSeconds).toBeGreaterThan(0);
        expect(await database.db.digestSubscription.count({ where: { email: c } })).toBe(0);
      } finally {
        await server.close();
      }
    },
    TEST_TIMEOUT,
  );

  it("addresses and filters are validated, and bounded", async () => {
    const refused = async (input: object, argument: string) => {
      const result = await subscribe({ frequency: "DAILY", ...input });
      expect(result.errors?.[0]?.extensions, JSON.stringify(result.errors)).toMatchObject({
        code: "BAD_USER_INPUT",
        argument,
      });
    };
    const ok = address("ok");
    for (const email of [
      "",
      "no-at-sign",
      "@example.org",
      "two@@example.org",
      "a b@example.org",
      "a@example",
      "a@-example.org",
      "a..b@example.org",
      "a@example.org\r\nBcc: x@example.org",
      "<a@example.org>",
      "a,b@example.org",
      `${"x".repeat(65)}@example.org`,
      `a@${"x".repeat(250)}.org`,
      "x".repeat(10_000),
    ]) {
      await refused({ email }, "input.email");
    }
    await refused({ email: ok, filter: { dayFrom: DAY } }, "input.filter.dayFrom");
    await refused({ email: ok, filter: { search: "x".repeat(501) } }, "filter.search");
    await refused({ email: ok, filter: { search: '"' } }, "input.filter.search");
    await refused({ email: ok, filter: { author: "!!!" } }, "input.filter.author");
    await refused(
      { email: ok, filter: { arxivIds: Array(101).fill("2410.00001") } },
      "filter.arxivIds",
    );
    expect(await database.db.digestSubscription.count()).toBe(0);

    // A server without mail settings takes no subscription.
    const mailless = await listenOnLoopback(createServer({ db: database.db, provider }));
    try {
      const result = await subscribe({ email: ok, frequency: "DAILY" }, undefined, mailless);
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: "MAIL_UNAVAILABLE" });
    } finally {
      await mailless.close();
    }
  });

  it(
    "signed-in users see their own subscriptions in viewer, and only theirs; the token mutations work once",
    async () => {
      const suffix = randomBytes(3).toString("hex");
      await createUser(database.db, `alice-${suffix}`);
      await createUser(database.db, `bob-${suffix}`);
      const alice = (await createToken(database.db, `alice-${suffix}`)).token;
      const bob = (await createToken(database.db, `bob-${suffix}`)).token;
      const email = address("shared");
      const filter = { search: "language model", minUpvotes: 3, hasCode: false };
      expect(
        (await subscribe({ email, frequency: "WEEKLY", filter }, alice)).errors,
      ).toBeUndefined();
      const VIEWER = `{ viewer { digestSubscriptions { email frequency status confirmedAt filter { search minUpvotes hasCode author } } } }`;
      const mine = await gql(VIEWER, {}, alice);
      expect(mine.data.viewer.digestSubscriptions).toEqual([
        {
          email,
          frequency: "WEEKLY",
          status: "PENDING",
          confirmedAt: null,
          filter: { search: "language model", minUpvotes: 3, hasCode: false, author: null },
        },
      ]);
      const [mail] = await inbox.waitFor(email);
      const token = new URL(linkIn(mail?.text ?? "", "/digest/confirm")).searchParams.get("token");
      const CONFIRM = `mutation($t: String!) { confirmDigestSubscription(token: $t) { email status } }`;
      const confirmed = await gql(CONFIRM, { t: token });
      expect(confirmed.data.confirmDigestSubscription).toEqual({ email, status: "CONFIRMED" });
      const reused = await gql(CONFIRM, { t: token });
      expect(reused.errors?.[0]?.extensions).toMatchObject({ code: "TOKEN_INVALID" });
      const forged = await gql(CONFIRM, { t: "pgd_not-a-token" });
      expect(forged.errors?.[0]?.extensions).toMatchObject({ code: "TOKEN_INVALID" });
      expect((await gql(VIEWER, {}, alice)).data.viewer.digestSubscriptions[0].status).toBe(
        "CONFIRMED",
      );

      // Bob asks for the same address: his own pending row; Alice's state is not his to see.
      expect((await subscribe({ email, frequency: "WEEKLY", filter }, bob)).errors).toBeUndefined();
      const his = await gql(VIEWER, {}, bob);
      expect(his.data.viewer.digestSubscriptions.map((s: { status: string }) => s.status)).toEqual([
        "PENDING",
      ]);

      // The unsubscribe mutation, with a digest's token.
      const report = await send({ periods: [WEEK] });
      expect(report.sent).toBe(1);
      const [digest] = (await inbox.waitFor(email, 3)).filter((m) =>
        m.subject?.startsWith("Weekly"),
      );
      const unsubscribeToken = new URL(
        linkIn(digest?.text ?? "", "/digest/unsubscribe"),
      ).searchParams.get("token");
      const UNSUBSCRIBE = `mutation($t: String!) { unsubscribeFromDigest(token: $t) { status } }`;
      expect(
        (await gql(UNSUBSCRIBE, { t: unsubscribeToken })).data.unsubscribeFromDigest.status,
      ).toBe("UNSUBSCRIBED");
      expect((await gql(UNSUBSCRIBE, { t: unsubscribeToken })).errors?.[0]?.extensions.code).toBe(
        "TOKEN_INVALID",
      );
      // A confirmation token does not unsubscribe.
      expect((await gql(UNSUBSCRIBE, { t: token })).errors?.[0]?.extensions.code).toBe(
        "TOKEN_INVALID",
      );
    },
    TEST_TIMEOUT,
  );

  it(
    "a filter that matches nothing in the period sends no mail",
    async () => {
      const email = address("picky");
      await confirmedSubscriber(email, { filter: { minUpvotes: 1_000_000 } });
      const report = await send();
      expect(report).toMatchObject({ planned: 1, sent: 0, empty: 1 });
      expect(await send()).toMatchObject({ planned: 0, empty: 0 });
      expect(inbox.accepted.filter((m) => recipient(m) === email)).toHaveLength(1);
    },
    TEST_TIMEOUT,
  );

  it(
    "SMTP failures are retried after a backoff, then given up and reported",
    async () => {
      const flaky = address("flaky");
      const dead = address("dead");
      await confirmedSubscriber(flaky);
      await confirmedSubscriber(dead);
      let flakyRefusals = 1;
      inbox.refuse = (to) => {
        if (to === dead) return "550 mailbox unavailable";
        if (to === flaky && flakyRefusals-- > 0) return "451 try again later";
        return null;
      };
      const t0 = Date.now();
      const at = (ms: number) => () => new Date(t0 + ms);
      const options = { maxAttempts: 2, backoffMs: 60_000 };

      const first = await send({ ...options, now: at(0) });
      expect(first).toMatchObject({ planned: 2, sent: 0, failed: [] });
      expect(first.retrying.map((r) => [r.email, r.attempts])).toEqual(
        expect.arrayContaining([
          [flaky, 1],
          [dead, 1],
        ]),
      );
      expect(first.retrying.find((r) => r.email === flaky)?.error).toMatch(/451/);
      expect(first.retrying[0]?.nextAttemptAt?.getTime()).toBe(t0 + 60_000);
      // Before the backoff has passed, nothing is tried.
      expect(await send({ ...options, now: at(30_000) })).toMatchObject({ sent: 0, retrying: [] });

      const second = await send({ ...options, now: at(61_000) });
      expect(second.sent).toBe(1);
      expect(second.failed).toEqual([
        expect.objectContaining({
          email: dead,
          period: DAY,
          attempts: 2,
          error: expect.stringMatching(/550/),
        }),
      ]);
      const [, digest] = await inbox.waitFor(flaky, 2);
      expect(digest?.subject).toMatch(/^Daily papers digest/);
      const rows = await database.db.digestDelivery.findMany({
        where: { subscription: { email: { in: [flaky, dead] } } },
        include: { subscription: { select: { email: true } } },
      });
      const byEmail = Object.fromEntries(rows.map((r) => [r.subscription.email, r]));
      expect(byEmail[flaky]).toMatchObject({ status: "SENT", attempts: 2 });
      expect(byEmail[dead]).toMatchObject({ status: "FAILED", attempts: 2 });
      expect(byEmail[dead]?.lastError).toMatch(/550/);
      // Given up: reported once, never tried again.
      expect(await send({ ...options, now: at(10 * 3_600_000) })).toMatchObject({
        sent: 0,
        failed: [],
      });
      expect(inbox.accepted.filter((m) => recipient(m) === dead)).toHaveLength(1);
    },
    TEST_TIMEOUT,
  );

  it(
    "concurrent senders share the outbox: each subscriber gets one digest",
    async () => {
      const subscribers = Array.from({ length: 5 }, (_, i) => address(`racer${i}`));
      await database.db.digestSubscription.createMany({
        data: subscribers.map((email) => ({
          key: randomBytes(16).toString("hex"),
          email,
          frequency: "DAILY",
          filter: "{}",
          confirmedAt: new Date(),
        })),
      });
      const reports = await Promise.all([send(), send(), send()]);
      expect(reports.reduce((n, r) => n + r.planned, 0)).toBe(5);
      expect(reports.reduce((n, r) => n + r.sent, 0)).toBe(5);
      for (const email of subscribers) {
        const [mail] = await inbox.waitFor(email);
        expect(mail?.subject).toMatch(/^Daily papers digest/);
      }
      expect(inbox.accepted.filter((m) => subscribers.includes(recipient(m)))).toHaveLength(5);
    },
    TEST_TIMEOUT,
  );

  it("the link pages: no token, a wrong method, and form posts elsewhere still refused", async () => {
    const get = (path: string, init: RequestInit = {}) =>
      fetch(`${origin}${path}`, { ...init, signal: requests.signal });
    expect((await get("/digest/confirm")).status).toBe(400);
    expect((await get(`/digest/unsubscribe?token=${"x".repeat(200)}`)).status).toBe(400);
    const put = await get("/digest/confirm?token=pgd_x", { method: "PUT" });
    expect(put.status).toBe(405);
    expect(put.headers.get("allow")).toBe("GET, HEAD, POST");
    const unknown = await get("/digest/unsubscribe?token=pgd_unknown", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "List-Unsubscribe=One-Click",
    });
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get("referrer-policy")).toBe("no-referrer");
    // Only these two paths take form posts: /graphql still refuses them.
    const form = await get("/graphql", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "query={__typename}",
    });
    expect(form.status).toBe(415);
  });

  it("a server process started with SMTP_URL, MAIL_FROM and PUBLIC_URL takes subscriptions", {
    timeout: PROCESS_TEST_TIMEOUT,
    tags: ["stress"],
  }, async () => {
    const killed = new AbortController();
    requests.signal.addEventListener("abort", () => killed.abort(), { once: true });
    const server = startServerProcess(
      {
        DATABASE_URL: database.target.url,
        SAMPLE_DATA: "false",
        SMTP_URL: smtpUrl(),
        MAIL_FROM,
        PUBLIC_URL: "https://papers.example.org/",
        LOG_LEVEL: "warn",
      },
      { signal: killed.signal },
    );
    try {
      const url = await server.url;
      const email = address("process");
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query: SUBSCRIBE,
          variables: { input: { email, frequency: "WEEKLY" } },
        }),
        signal: requests.signal,
      });
      expect(((await response.json()) as { errors?: unknown }).errors).toBeUndefined();
      const [mail] = await inbox.waitFor(email);
      const link = linkIn(mail?.text ?? "", "/digest/confirm");
      expect(link.startsWith("https://papers.example.org/digest/confirm?token=pgd_")).toBe(true);
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
  });

  it("a `digest send` killed mid-send and run again: each subscriber gets exactly one digest", {
    timeout: PROCESS_TEST_TIMEOUT,
    tags: ["stress"],
  }, async () => {
    const subscribers = Array.from({ length: 6 }, (_, i) => address(`weekly${i}`));
    const now = new Date();
    for (const email of subscribers) {
      await database.db.digestSubscription.create({
        data: {
          key: randomBytes(16).toString("hex"),
          email,
          frequency: "WEEKLY",
          filter: "{}",
          confirmedAt: now,
        },
      });
    }
    const env = {
      ...process.env,
      DATABASE_URL: database.target.url,
      SMTP_URL: smtpUrl(),
      MAIL_FROM,
      PUBLIC_URL: origin,
      LOG_LEVEL: "silent",
    };
    const run = (signal?: AbortSignal) => {
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          "src/cli.ts",
          "digest",
          "send",
          "--period",
          WEEK,
          "--lease",
          "3",
          "--json",
        ],
        {
          env,
          stdio: ["ignore", "pipe", "pipe"],
          ...(signal ? { signal, killSignal: "SIGKILL" as const } : {}),
        },
      );
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
      });
      child.stderr.on("data", (d) => {
        out += d;
      });
      child.on("error", () => {});
      const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
      return { child, exited, output: () => out };
    };

    // The third mail is held before the SMTP server answers it; the sender is killed then.
    let arrived = 0;
    let release: (error: Error) => void = () => {};
    const third = new Promise<void>((resolveThird) => {
      inbox.hold = () => {
        arrived++;
        if (arrived !== 3) return null;
        resolveThird();
        return new Promise<void>((_resolve, reject) => {
          release = reject;
        });
      };
    });
    const killed = new AbortController();
    requests.signal.addEventListener("abort", () => killed.abort(), { once: true });
    const first = run(killed.signal);
    await Promise.race([
      third,
      first.exited.then((code) => {
        throw new Error(`digest send exited (${code}) before the third mail: ${first.output()}`);
      }),
    ]);
    first.child.kill("SIGKILL");
    expect(await first.exited).toBeNull();
    release(new Error("421 the sender is gone"));
    inbox.hold = () => null;
    expect(inbox.accepted.filter((m) => subscribers.includes(recipient(m)))).toHaveLength(2);
    const rows = await database.db.digestDelivery.findMany({ where: { period: WEEK } });
    expect(rows.map((r) => r.status).sort()).toEqual([
      "PENDING",
      "PENDING",
      "PENDING",
      "SENDING",
      "SENT",
      "SENT",
    ]);

    // Run again once the killed run's claim has lapsed (its lease: 3 s).
    await sleep(3_500);
    const second = run();
    const code = await second.exited;
    expect(code, second.output()).toBe(0);
    const report = JSON.parse(second.output());
    expect(report).toMatchObject({ planned: 0, sent: 4, failed: [] });
    for (const email of subscribers) {
      expect(
        inbox.accepted.filter((m) => recipient(m) === email),
        email,
      ).toHaveLength(1);
    }
    const after = await database.db.digestDelivery.findMany({ where: { period: WEEK } });
    expect(after.every((r) => r.status === "SENT")).toBe(true);
    // The mail taken over was the killed run's third: its second attempt.
    expect(after.map((r) => r.attempts).sort()).toEqual([1, 1, 1, 1, 1, 2]);
  });
});

describe.each(ENGINES)("the default periods on %s", (provider) => {
  it("are the newest stored day and the last ISO week, that week only once one of its days is stored", async () => {
    const database = await createTestDatabase(provider);
    try {
      const now = new Date("2024-11-04T12:00:00Z"); // a Monday: the last week is 2024-W44
      expect(await defaultPeriods(database.db, now)).toEqual([]);
      // The sample day, 2024-10-25, is in 2024-W43: the newest day, not the last week.
      await ingest(database.sql, [{ source: JSON_FIXTURE }], { today: "2026-11-28" });
      expect((await defaultPeriods(database.db, now)).map((p) => p.period)).toEqual(["2024-10-25"]);
      const lastWeek = new Date("2024-10-30T12:00:00Z"); // its last week is 2024-W43
      expect((await defaultPeriods(database.db, lastWeek)).map((p) => p.period)).toEqual([
        "2024-10-25",
        "2024-W43",
      ]);
    } finally {
      await database.destroy();
    }
  });
});

describe("mail configuration", () => {
  const mail = {
    SMTP_URL: "smtp://user:secret@127.0.0.1:2525",
    MAIL_FROM: "Papergraph <digest@example.org>",
    PUBLIC_URL: "https://papers.example.org",
  };

  it("takes all three settings or none, and names each wrong one", () => {
    expect(loadConfig({}).mail).toBeUndefined();
    expect(loadConfig(mail).mail).toEqual({
      smtpUrl: mail.SMTP_URL,
      from: mail.MAIL_FROM,
      publicUrl: mail.PUBLIC_URL,
    });
    expect(loadConfig({ ...mail, MAIL_FROM: "digest@example.org" }).mail?.from).toBe(
      "digest@example.org",
    );
    expect(() => loadConfig({ SMTP_URL: mail.SMTP_URL })).toThrow(
      /SMTP_URL, MAIL_FROM and PUBLIC_URL/,
    );
    expect(() => loadConfig({ ...mail, SMTP_URL: "http://127.0.0.1" })).toThrow(/SMTP_URL is not/);
    expect(() => loadConfig({ ...mail, PUBLIC_URL: "papers.example.org" })).toThrow(/PUBLIC_URL/);
    expect(() => loadConfig({ ...mail, MAIL_FROM: "Papergraph" })).toThrow(/MAIL_FROM/);
    expect(() => loadConfig({ ...mail, MAIL_FROM: "a@b.org\r\nBcc: c@d.org" })).toThrow(
      /MAIL_FROM/,
    );
    // The SMTP password is never repeated in a message.
    expect(() => loadConfig({ ...mail, SMTP_URL: "ftp://user:secret@host" })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining("secret") }),
    );
  });

  it(
    "DIGEST_SCHEDULE without the mail settings is refused at start, naming it",
    () => {
      const refused = /DIGEST_SCHEDULE needs SMTP_URL, MAIL_FROM and PUBLIC_URL/;
      expect(() => loadConfig({ DIGEST_SCHEDULE: "0 7 * * *" })).toThrow(refused);
      // Some of them set: the message names what is missing, still refused.
      expect(() => loadConfig({ DIGEST_SCHEDULE: "0 7 * * *", SMTP_URL: mail.SMTP_URL })).toThrow(
        /SMTP_URL, MAIL_FROM and PUBLIC_URL/,
      );
      expect(loadConfig({ ...mail, DIGEST_SCHEDULE: "0 7 * * *" }).schedules).toEqual({
        digest: "0 7 * * *",
      });
      // The server process (what `npm start` runs) exits 1 before serving anything.
      const started = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], {
        env: {
          ...process.env,
          DIGEST_SCHEDULE: "0 7 * * *",
          SMTP_URL: "",
          MAIL_FROM: "",
          PUBLIC_URL: "",
          PORT: "0",
        },
        encoding: "utf8",
        timeout: DEADLINE_MS,
      });
      expect(started.status, started.stderr).toBe(1);
      expect(started.stderr).toMatch(refused);
      expect(started.stdout).not.toMatch(/serving/);
    },
    TEST_TIMEOUT,
  );

  it(
    "`digest send` refuses a bad period (exit 2) and a server without mail settings (exit 1)",
    () => {
      const cli = (args: string[], env: Record<string, string>) =>
        spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "digest", "send", ...args], {
          env: { ...process.env, ...env },
          encoding: "utf8",
          timeout: DEADLINE_MS,
        });
      const period = cli(["--period", "2024-13-01"], mail);
      expect([period.status, period.stderr.split("\n")[0]]).toEqual([
        2,
        'papergraph: --period: "2024-13-01" is not a day (YYYY-MM-DD) or an ISO week (YYYY-Www)',
      ]);
      const unset = cli([], { SMTP_URL: "", MAIL_FROM: "", PUBLIC_URL: "" });
      expect([unset.status, unset.stderr.trim()]).toEqual([
        1,
        "papergraph: digest send needs SMTP_URL, MAIL_FROM and PUBLIC_URL",
      ]);
    },
    TEST_TIMEOUT,
  );
});
