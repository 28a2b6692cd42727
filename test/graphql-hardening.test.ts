/**
 * Hostile GraphQL input (issue 8), on both engines, through the real Yoga server:
 * - `nodes(ids)` is capped at 100 ids and costs what each id's selection costs;
 * - malformed ids and forged cursors, on every field that takes one, are BAD_USER_INPUT errors
 *   naming the argument; ids naming nothing resolve to null;
 * - aliased vote mutations over the rate limit: the applied ones come back as data, each refused
 *   one as its own RATE_LIMITED field error, with HTTP 200.
 * Each test uses its own users, so none depends on votes or rate limits another one spent.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runNodesAttack } from "../bench/abuse/nodes.ts";
import { createToken, createUser } from "../src/auth/tokens.ts";
import { ingest } from "../src/ingest/run.ts";
import { createServer, type Server } from "../src/server.ts";
import { memoryRateLimiter, type RateDecision } from "../src/votes/rate-limit.ts";
import { setVote } from "../src/votes/votes.ts";
import {
  createTestDatabase,
  createTestTarget,
  ENGINES,
  type TestDatabase,
} from "./support/engines.ts";
import { JSON_FIXTURE, TEXT_FIXTURE } from "./support/ingest.ts";
import { startServerProcess } from "./support/process.ts";

const gid = (text: string) => Buffer.from(text).toString("base64");
const b64url = (text: string) => Buffer.from(text).toString("base64url");
const DAY = "2024-10-25";
const OTHER_DAY = "2025-12-10";
const LIST = "2025-12-10-task-generalization";

interface Response {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: responses are checked field by field
  data?: any;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

async function send(
  server: Server,
  query: string,
  variables: object = {},
  token?: string,
): Promise<Response> {
  const response = await server.fetch("http://papergraph.test/graphql", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, ...(await response.json()) };
}

/** What is wrong with a response that should be one BAD_USER_INPUT error naming `argument`. */
function badInputProblem(result: Response, argument: string | RegExp): string | null {
  const error = result.errors?.[0];
  const text = JSON.stringify({ status: result.status, data: result.data, errors: result.errors });
  if (/Unexpected error|\bat .*\.ts:\d+/.test(text)) return `untyped: ${text.slice(0, 300)}`;
  if (error?.extensions?.code !== "BAD_USER_INPUT")
    return `not BAD_USER_INPUT: ${text.slice(0, 300)}`;
  const named = String(error.extensions.argument);
  const matches = typeof argument === "string" ? named === argument : argument.test(named);
  return matches ? null : `names ${named}, not ${argument}: ${error.message}`;
}

describe.each(ENGINES)("hostile GraphQL input on %s", (provider) => {
  let database: TestDatabase;
  let server: Server;
  let papers: number[];
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    database = await createTestDatabase(provider);
    const files = [{ source: JSON_FIXTURE }, { source: TEXT_FIXTURE }];
    expect((await ingest(database.sql, files, { today: "2026-11-28" })).failed).toBe(0);
    // The seed page text is a search page: loaded as its day too, it gives a second day.
    const asDay = await ingest(database.sql, [{ source: TEXT_FIXTURE }], {
      today: "2026-11-28",
      as: "day",
    });
    expect(asDay.failed).toBe(0);
    for (const handle of ["alice", "bob", "carol", "dave", "erin", "frank", "grace"]) {
      await createUser(database.db, handle);
      tokens[handle] = (await createToken(database.db, handle)).token;
    }
    papers = (
      await database.db.paper.findMany({ select: { id: true }, orderBy: { id: "asc" } })
    ).map((p) => p.id);
    expect(papers.length).toBeGreaterThanOrEqual(40);
    // Votes to page through: alice and bob on paper 0, alice on paper 1, bob on paper 2.
    const user = async (handle: string) =>
      (await database.db.user.findUniqueOrThrow({ where: { handle } })).id;
    const [alice, bob] = [await user("alice"), await user("bob")];
    for (const [userId, paper] of [
      [alice, 0],
      [bob, 0],
      [alice, 1],
      [bob, 2],
    ] as const) {
      await setVote(database.db, provider, userId, papers[paper] as number, true);
    }
    server = createServer({
      db: database.db,
      provider,
      rateLimiter: memoryRateLimiter(100_000, 60),
    });
  });
  afterAll(async () => {
    await database?.destroy();
  });

  describe("nodes(ids) is capped and costed by its length", () => {
    const heavy = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Day { papers(first: 100) { nodes { rank paper { title abstract } } } } } }`;
    const dayIds = (n: number) => Array.from({ length: n }, (_, i) => gid(`Day:${i + 1}`));

    it("refuses more than 100 ids, naming `ids`, before loading anything", async () => {
      const ids = papers.slice(0, 40).map((id) => gid(`Paper:${id}`));
      const ok = await send(server, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, {
        ids: [...ids, ...ids, ...ids.slice(0, 20)],
      });
      expect(ok.errors).toBeUndefined();
      expect(ok.data.nodes).toHaveLength(100);
      const refused = await send(server, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, {
        ids: [...ids, ...ids, ...ids.slice(0, 21)],
      });
      expect(badInputProblem(refused, "ids")).toBeNull();
      expect(refused.errors?.[0]?.message).toMatch(/at most 100 ids, not 101/);
    });

    it("refuses the 1,500-day request of the issue with a small typed error", async () => {
      const result = await send(server, heavy, { ids: dayIds(1500) });
      expect(badInputProblem(result, "ids")).toBeNull();
      expect(JSON.stringify(result).length).toBeLessThan(2_000);
    });

    it("multiplies the cost by the number of ids", async () => {
      // Each day costs ~4,100 (100 papers with their fields): 10 fit the limit of 50,000, 100 not.
      const ten = await send(server, heavy, { ids: dayIds(10) });
      expect(ten.errors).toBeUndefined();
      expect(ten.data.nodes.filter(Boolean)).toHaveLength(2);
      const hundred = await send(server, heavy, { ids: dayIds(100) });
      expect(hundred.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COMPLEX");
      expect(hundred.errors?.[0]?.extensions?.value).toBeGreaterThan(50_000);
      expect(hundred.data ?? null).toBeNull();
    });

    it("keeps filter.arxivIds capped at 100", async () => {
      const arxivIds = Array.from({ length: 101 }, (_, i) => `2501.${String(i).padStart(5, "0")}`);
      const result = await send(
        server,
        `query($ids: [String!]) { papers(filter: { arxivIds: $ids }) { nodes { id } } }`,
        { ids: arxivIds },
      );
      expect(badInputProblem(result, "filter.arxivIds")).toBeNull();
    });
  });

  describe("ids", () => {
    const MALFORMED: Record<string, unknown> = {
      "an exponent (1e3)": gid("Paper:1e3"),
      "a fraction (1.5)": gid("Paper:1.5"),
      "a leading zero": gid("Paper:01"),
      "a plus sign": gid("Paper:+1"),
      "a negative id": gid("Paper:-1"),
      zero: gid("Paper:0"),
      "2^31": gid("Paper:2147483648"),
      "twenty digits": gid("Paper:99999999999999999999"),
      hexadecimal: gid("Paper:0x1"),
      "a space": gid("Paper: 1"),
      "a newline": gid("Paper:1\n"),
      "no id": gid("Paper:"),
      "no type": gid(":1"),
      "three parts": gid("Paper:1:2"),
      "a listing with one row id": gid("DayEntry:1"),
      "a listing with three row ids": gid("DayEntry:1:2:3"),
      "a listing with a leading zero": gid("DayEntry:1:02"),
      "two row ids of an unknown type": gid("Foo:1:2"),
      "a word for an id": gid("Paper:one"),
      "not base64": "%%%",
      "base64 without its padding": gid("Paper:1").replace(/=+$/, ""),
      "base64 with other trailing bits": "UGFwZXI6MR==",
      "not UTF-8": Buffer.from([0x50, 0x3a, 0xff, 0xfe]).toString("base64"),
      empty: "",
      "a bare number": 1,
    };

    const cases = [
      {
        field: "node",
        query: `query($id: ID!) { node(id: $id) { id } }`,
        variables: (id: unknown) => ({ id }),
        argument: "id",
      },
      {
        field: "nodes",
        query: `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
        variables: (id: unknown) => ({ ids: [gid("Paper:1"), id] }),
        argument: "ids[1]",
      },
      {
        field: "upvotePaper",
        query: `mutation($id: ID!) { upvotePaper(input: { paperId: $id }) { changed } }`,
        variables: (id: unknown) => ({ id }),
        argument: "input.paperId",
        token: "grace",
      },
      {
        field: "removeUpvote",
        query: `mutation($id: ID!) { removeUpvote(input: { paperId: $id }) { changed } }`,
        variables: (id: unknown) => ({ id }),
        argument: "input.paperId",
        token: "grace",
      },
    ];

    for (const { field, query, variables, argument, token } of cases) {
      it(`${field}: every malformed id is BAD_USER_INPUT naming ${argument}`, async () => {
        const problems: string[] = [];
        for (const [name, id] of Object.entries(MALFORMED)) {
          const result = await send(server, query, variables(id), token && tokens[token]);
          const problem = badInputProblem(result, argument);
          if (problem) problems.push(`${name}: ${problem}`);
        }
        expect(problems).toEqual([]);
      });
    }

    it("never votes on another paper than the id names", async () => {
      const before = await database.db.vote.count();
      const result = await send(
        server,
        `mutation($id: ID!) { upvotePaper(input: { paperId: $id }) { changed } }`,
        { id: gid("Day:1") },
        tokens.grace,
      );
      expect(badInputProblem(result, "input.paperId")).toBeNull();
      expect(result.errors?.[0]?.message).toMatch(/not of a Paper/);
      expect(await database.db.vote.count()).toBe(before);
    });

    it("resolves well-formed ids naming nothing to null: unknown types, missing rows", async () => {
      const paper = gid(`Paper:${papers[0]}`);
      const nothing = [
        gid("Foo:1"),
        gid("Query:1"),
        gid("DayEntry:2147483647:1"),
        gid("Paper:2147483647"),
        gid("UpvotePoint:2147483647"),
        gid("Vote:2147483647"),
      ];
      const result = await send(
        server,
        `query($id: ID!, $ids: [ID!]!) { node(id: $id) { id } nodes(ids: $ids) { id } }`,
        { id: gid("Foo:1"), ids: [paper, ...nothing, gid("Day:1")] },
      );
      expect(result.errors).toBeUndefined();
      expect(result.data).toEqual({
        node: null,
        nodes: [{ id: paper }, null, null, null, null, null, null, { id: gid("Day:1") }],
      });
    });

    it("resolves an unknown type's id to null in node and nodes, not an error", async () => {
      const result = await send(
        server,
        `query($id: ID!, $ids: [ID!]!) { node(id: $id) { __typename id } nodes(ids: $ids) { id } }`,
        { id: gid("Foo:1"), ids: [gid("Foo:1"), gid("Bar:2147483647")] },
      );
      expect(result.status).toBe(200);
      expect(result.errors).toBeUndefined();
      expect(result.data).toEqual({ node: null, nodes: [null, null] });
    });

    it("gives every cached object a global id that node(id) resolves to the same object", async () => {
      const listing = "id rank upvotes inLatestDigest day { id date } paper { id }";
      const result = await send(
        server,
        `query($date: Date!, $paper: ID!) {
          day(date: $date) { id papers(first: 3) { nodes { ${listing} } } }
          node(id: $paper) { ... on Paper { id appearances { ${listing} } upvoteHistory { id date upvotes }
            votes(first: 5) { nodes { id createdAt user { id handle } paper { id } } } } } }`,
        { date: DAY, paper: gid(`Paper:${papers[0]}`) },
      );
      expect(result.errors).toBeUndefined();
      const entries = result.data.day.papers.nodes;
      const paper = result.data.node;
      expect(entries).toHaveLength(3);
      expect(paper.upvoteHistory.length).toBeGreaterThan(0);
      expect(paper.votes.nodes).toHaveLength(2);
      // One listing reached from its day and from its paper has one id and one content, so a
      // client cache normalises both to one record.
      const onDay = new Map(entries.map((e: { id: string }) => [e.id, e]));
      const shared = paper.appearances.filter((a: { id: string }) => onDay.has(a.id));
      expect(shared.length).toBeGreaterThan(0);
      for (const appearance of shared) expect(appearance).toEqual(onDay.get(appearance.id));
      // Ids are unique across everything returned.
      const objects = [
        ...entries,
        ...paper.appearances,
        ...paper.upvoteHistory,
        ...paper.votes.nodes,
      ];
      const ids = objects.map((o: { id: string }) => o.id);
      expect(new Set(ids).size).toBe(new Set(objects.map((o) => JSON.stringify(o))).size);
      // Each id fetches its object again, with the same fields.
      const again = await send(
        server,
        `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
          ... on DayEntry { ${listing} }
          ... on UpvotePoint { date upvotes }
          ... on Vote { createdAt user { id handle } paper { id } } } }`,
        { ids },
      );
      expect(again.errors).toBeUndefined();
      expect(again.data.nodes.map((n: { __typename: string }) => n?.__typename)).toEqual([
        ...Array(entries.length + paper.appearances.length).fill("DayEntry"),
        ...Array(paper.upvoteHistory.length).fill("UpvotePoint"),
        ...Array(paper.votes.nodes.length).fill("Vote"),
      ]);
      for (const [i, object] of objects.entries()) {
        const { __typename: _typename, ...fetched } = again.data.nodes[i];
        expect(fetched).toEqual(object);
      }
      // The same ids on a second read: stable.
      const repeat = await send(
        server,
        `query($date: Date!) { day(date: $date) { papers(first: 3) { nodes { id } } } }`,
        { date: DAY },
      );
      expect(repeat.data.day.papers.nodes.map((e: { id: string }) => e.id)).toEqual(
        entries.map((e: { id: string }) => e.id),
      );
    });
  });

  describe("cursors", () => {
    /** Every field that takes a cursor, each read with `$c` as its `after` (or `before`). */
    interface CursorField {
      name: string;
      query: string;
      variables?: () => object;
      argument: "after" | "before";
      token?: string;
      /** The shape of its cursors: one kind's cursors are refused by every other kind. */
      kind: "keyset" | "day" | "id" | "pair";
      /** Reads a real cursor of the field from a first page (`$c` null). */
      cursor: (data: Response["data"]) => string;
    }
    const paperNode = () => ({ id: gid(`Paper:${papers[0]}`) });
    const FIELDS: CursorField[] = [
      {
        name: "papers (after)",
        query: `query($c: String) { papers(first: 1, after: $c) { pageInfo { endCursor } } }`,
        argument: "after",
        kind: "keyset",
        cursor: (d) => d.papers.pageInfo.endCursor,
      },
      {
        name: "papers (before)",
        query: `query($c: String) { papers(last: 1, before: $c) { pageInfo { startCursor } } }`,
        argument: "before",
        kind: "keyset",
        cursor: (d) => d.papers.pageInfo.startCursor,
      },
      {
        name: "Author.papers",
        query: `query($c: String, $id: ID!) { node(id: $id) { ... on Author { papers(first: 1, after: $c) { pageInfo { endCursor } } } } }`,
        variables: () => ({ id: gid("Author:1") }),
        argument: "after",
        kind: "keyset",
        cursor: (d) => d.node.papers.pageInfo.endCursor,
      },
      {
        name: "week papers",
        query: `query($c: String) { week(id: "2024-W43") { papers(first: 1, after: $c) { pageInfo { endCursor } } } }`,
        argument: "after",
        kind: "keyset",
        cursor: (d) => d.week.papers.pageInfo.endCursor,
      },
      {
        name: "Day.papers (after)",
        query: `query($c: String) { day(date: "${DAY}") { papers(first: 1, after: $c) { pageInfo { endCursor } } } }`,
        argument: "after",
        kind: "pair",
        cursor: (d) => d.day.papers.pageInfo.endCursor,
      },
      {
        name: "Day.papers (before)",
        query: `query($c: String) { day(date: "${DAY}") { papers(last: 1, before: $c) { pageInfo { startCursor } } } }`,
        argument: "before",
        kind: "pair",
        cursor: (d) => d.day.papers.pageInfo.startCursor,
      },
      {
        name: "Day.papers in a fragment of a node",
        query: `query($c: String, $id: ID!) { node(id: $id) { ...DayPapers } }
          fragment DayPapers on Day { papers(first: 1, after: $c) { pageInfo { endCursor } } }`,
        variables: () => ({ id: gid("Day:1") }),
        argument: "after",
        kind: "pair",
        cursor: (d) => d.node.papers.pageInfo.endCursor,
      },
      {
        name: "Day.papers beneath papers",
        query: `query($c: String) { papers(first: 1, filter: { dayFrom: "${DAY}", dayTo: "${DAY}" }) { nodes { appearances { day { papers(first: 1, after: $c) { pageInfo { endCursor } } } } } } }`,
        argument: "after",
        kind: "pair",
        cursor: (d) => d.papers.nodes[0].appearances[0].day.papers.pageInfo.endCursor,
      },
      {
        name: "days (after)",
        query: `query($c: String) { days(first: 1, after: $c) { pageInfo { endCursor } } }`,
        argument: "after",
        kind: "day",
        cursor: (d) => d.days.pageInfo.endCursor,
      },
      {
        name: "days (before)",
        query: `query($c: String) { days(last: 1, before: $c) { pageInfo { startCursor } } }`,
        argument: "before",
        kind: "day",
        cursor: (d) => d.days.pageInfo.startCursor,
      },
      {
        name: "paperLists",
        query: `query($c: String) { paperLists(first: 1, after: $c) { pageInfo { endCursor } } }`,
        argument: "after",
        kind: "id",
        cursor: (d) => d.paperLists.pageInfo.endCursor,
      },
      {
        name: "PaperList.papers",
        query: `query($c: String) { paperList(name: "${LIST}") { papers(first: 1, after: $c) { pageInfo { endCursor } } } }`,
        argument: "after",
        kind: "pair",
        cursor: (d) => d.paperList.papers.pageInfo.endCursor,
      },
      {
        name: "Paper.votes",
        query: `query($c: String, $id: ID!) { node(id: $id) { ... on Paper { votes(first: 1, after: $c) { pageInfo { endCursor } } } } }`,
        variables: paperNode,
        argument: "after",
        kind: "pair",
        cursor: (d) => d.node.votes.pageInfo.endCursor,
      },
      {
        name: "Viewer.votes",
        query: `query($c: String) { viewer { votes(first: 1, after: $c) { pageInfo { endCursor } } } }`,
        argument: "after",
        token: "alice",
        kind: "pair",
        cursor: (d) => d.viewer.votes.pageInfo.endCursor,
      },
    ];

    const run = (field: CursorField, c: unknown) =>
      send(server, field.query, { ...field.variables?.(), c }, field.token && tokens[field.token]);

    /** A real cursor of each field, from its first page. */
    async function realCursors(): Promise<Map<CursorField, string>> {
      const cursors = new Map<CursorField, string>();
      for (const field of FIELDS) {
        const page = await run(field, null);
        expect(page.errors, field.name).toBeUndefined();
        cursors.set(field, field.cursor(page.data));
      }
      return cursors;
    }

    /** A keyset cursor of `papers` (default order) with its parts replaced. */
    const forgedKeyset = (cursor: string, key: string, id: string) => {
      const fingerprint = JSON.parse(Buffer.from(cursor, "base64url").toString())[0];
      return b64url(`[${JSON.stringify(fingerprint)},${key},${id}]`);
    };

    it("pages on with each field's own cursors", async () => {
      for (const [field, cursor] of await realCursors()) {
        const next = await run(field, cursor);
        expect(next.errors, field.name).toBeUndefined();
      }
      // The vote connections now page by the vote's (user, paper) key: two votes, two pages.
      const votes = `query($c: String, $id: ID!) { node(id: $id) { ... on Paper { votes(first: 1, after: $c) { nodes { user { handle } } pageInfo { endCursor hasNextPage } } } } }`;
      const first = await send(server, votes, { ...paperNode(), c: null });
      const second = await send(server, votes, {
        ...paperNode(),
        c: first.data.node.votes.pageInfo.endCursor,
      });
      const handles = [first, second].map((r) => r.data.node.votes.nodes[0].user.handle);
      expect(handles.sort()).toEqual(["alice", "bob"]);
      expect(second.data.node.votes.pageInfo.hasNextPage).toBe(false);
    });

    it("refuses garbage, wrong shapes, wrong types and out-of-range numbers on every field", async () => {
      const papersCursor = (await realCursors()).get(FIELDS[0] as CursorField) as string;
      const HOSTILE: Record<string, string> = {
        "not base64": "%%%",
        "base64 of text": gid("hello"),
        "base64 of JSON of the wrong shape": b64url('{"a":1}'),
        "an empty array": b64url("[]"),
        "a number instead of an id": gid("GPC:N:abc"),
        "an exponent": gid("GPC:N:1e3"),
        "a negative id": gid("GPC:N:-1"),
        "2^31": gid("GPC:N:2147483648"),
        "a fraction": gid("GPC:N:1.5"),
        "a JSON chunk": gid('GPC:O:{"a":1}'),
        "a date chunk": gid("GPC:D:0"),
        "a pair of strings": gid('GPC:T:["S:a","S:b"]'),
        "a pair with a null": gid('GPC:T:[null,"N:1"]'),
        "three ids for two": gid('GPC:T:["N:1","N:2","N:3"]'),
        "the legacy compound form": gid("GPC:J:[1,1]"),
        "a day that does not exist": gid("GPC:S:2024-02-30"),
        "a day with a time": gid("GPC:S:2024-10-25T00:00"),
        "without its padding": gid("GPC:N:1").replace(/=+$/, ""),
        "keyset: a string key for a float order": forgedKeyset(papersCursor, '"abc"', "1"),
        "keyset: an object key": forgedKeyset(papersCursor, "{}", "1"),
        "keyset: an infinite key": forgedKeyset(papersCursor, "1e400", "1"),
        "keyset: a null key for an order without nulls": forgedKeyset(papersCursor, "null", "1"),
        "keyset: id 2^31": forgedKeyset(papersCursor, "1.5", "2147483648"),
        "keyset: id 0": forgedKeyset(papersCursor, "1.5", "0"),
        "keyset: a fractional id": forgedKeyset(papersCursor, "1.5", "1.5"),
        "keyset: a string id": forgedKeyset(papersCursor, "1.5", '"1"'),
        "keyset: a fourth part": b64url(
          `${Buffer.from(papersCursor, "base64url").toString().slice(0, -1)},1]`,
        ),
      };
      const problems: string[] = [];
      for (const field of FIELDS) {
        for (const [name, cursor] of Object.entries(HOSTILE)) {
          const problem = badInputProblem(await run(field, cursor), field.argument);
          if (problem) problems.push(`${field.name}, ${name}: ${problem}`);
        }
      }
      expect(problems).toEqual([]);
    });

    it("refuses a cursor of another connection", async () => {
      const cursors = await realCursors();
      const problems: string[] = [];
      const expectRefused = async (field: CursorField, cursor: string, what: string) => {
        const problem = badInputProblem(await run(field, cursor), field.argument);
        if (problem) problems.push(`${field.name}, ${what}: ${problem}`);
      };
      // A cursor of a connection of another shape: a day's to papers, a paper's to days...
      for (const field of FIELDS) {
        for (const [other, cursor] of cursors) {
          if (other.kind !== field.kind) await expectRefused(field, cursor, `${other.name}'s`);
        }
      }
      const named = (name: string) => FIELDS.find((f) => f.name === name) as CursorField;
      const cursorOf = (name: string) => cursors.get(named(name)) as string;
      // The same shape, another parent: another day, paper, author or viewer; another order.
      const otherDay = await send(
        server,
        `{ day(date: "${OTHER_DAY}") { papers(first: 1) { pageInfo { endCursor } } } }`,
      );
      await expectRefused(
        named("Day.papers (after)"),
        otherDay.data.day.papers.pageInfo.endCursor,
        "another day's",
      );
      // (A day's entry key names the list of the same id: only another id can be told apart.)
      const day2 = otherDay.data.day.papers.pageInfo.endCursor;
      await expectRefused(named("PaperList.papers"), day2, "a day's");
      const otherPaper = await send(
        server,
        `query($id: ID!) { node(id: $id) { ... on Paper { votes(first: 1) { pageInfo { endCursor } } } } }`,
        { id: gid(`Paper:${papers[2]}`) },
      );
      await expectRefused(
        named("Paper.votes"),
        otherPaper.data.node.votes.pageInfo.endCursor,
        "another paper's",
      );
      const bobs = await send(
        server,
        `{ viewer { votes(first: 1) { pageInfo { endCursor } } } }`,
        {},
        tokens.bob,
      );
      await expectRefused(
        named("Viewer.votes"),
        bobs.data.viewer.votes.pageInfo.endCursor,
        "bob's",
      );
      await expectRefused(named("Viewer.votes"), cursorOf("Paper.votes"), "a paper's (bob's vote)");
      await expectRefused(named("papers (after)"), cursorOf("week papers"), "a week's");
      await expectRefused(named("papers (after)"), cursorOf("Author.papers"), "an author's");
      const byUpvotes = await send(
        server,
        `{ papers(first: 1, orderBy: { field: UPVOTES }) { pageInfo { endCursor } } }`,
      );
      await expectRefused(
        named("papers (after)"),
        byUpvotes.data.papers.pageInfo.endCursor,
        "another order's",
      );
      expect(problems).toEqual([]);
    });

    it("refuses a forged cursor under a mutation before the vote applies", async () => {
      const before = await database.db.vote.count();
      const result = await send(
        server,
        `mutation($id: ID!, $c: String) { upvotePaper(input: { paperId: $id }) { paper { votes(first: 1, after: $c) { totalCount } } } }`,
        { id: gid(`Paper:${papers[5]}`), c: gid("GPC:N:abc") },
        tokens.frank,
      );
      expect(badInputProblem(result, "after")).toBeNull();
      expect(await database.db.vote.count()).toBe(before);
    });
  });

  describe("vote mutations over the rate limit", () => {
    // One field each: 30 aliases select 60 fields, within the breadth limit of 100.
    const upvotes = (ids: number[]) =>
      `mutation { ${ids
        .map(
          (id, i) => `v${i}: upvotePaper(input: { paperId: "${gid(`Paper:${id}`)}" }) { changed }`,
        )
        .join(" ")} }`;
    const votesOf = async (handle: string) =>
      (
        await database.db.vote.findMany({
          where: { user: { handle } },
          select: { paperId: true },
          orderBy: { paperId: "asc" },
        })
      ).map((v) => v.paperId);

    it("30 aliased upvotes, 5 allowed: 5 applied as data, 25 RATE_LIMITED field errors, HTTP 200", async () => {
      const limited = createServer({
        db: database.db,
        provider,
        rateLimiter: memoryRateLimiter(5, 60),
      });
      const ids = papers.slice(0, 30);
      const result = await send(limited, upvotes(ids), {}, tokens.carol);
      expect(result.status).toBe(200);
      const fields = ids.map((_, i) => result.data?.[`v${i}`]);
      // Mutations run in order: the first five apply.
      expect(fields.slice(0, 5)).toEqual(Array(5).fill({ changed: true }));
      expect(fields.slice(5)).toEqual(Array(25).fill(null));
      expect(result.errors).toHaveLength(25);
      expect(result.errors?.map((e) => e.path)).toEqual(ids.slice(5).map((_, i) => [`v${i + 5}`]));
      for (const error of result.errors ?? []) {
        expect(error.extensions?.code).toBe("RATE_LIMITED");
        expect(error.extensions?.retryAfterSeconds).toBeGreaterThan(0);
      }
      expect(await votesOf("carol")).toEqual(ids.slice(0, 5));
    });

    it("a request whose mutations are all refused answers 429 with Retry-After", async () => {
      const limited = createServer({
        db: database.db,
        provider,
        rateLimiter: memoryRateLimiter(1, 60),
      });
      const first = await send(limited, upvotes([papers[0] as number]), {}, tokens.dave);
      expect(first.status).toBe(200);
      const single = await send(limited, upvotes([papers[1] as number]), {}, tokens.dave);
      expect(single.status).toBe(429);
      expect(Number(single.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(single.data).toEqual({ v0: null });
      expect(single.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
      const several = await send(limited, upvotes(papers.slice(1, 4)), {}, tokens.dave);
      expect(several.status).toBe(429);
      expect(several.errors?.map((e) => e.extensions?.code)).toEqual(Array(3).fill("RATE_LIMITED"));
      expect(await votesOf("dave")).toEqual([papers[0]]);
    });

    it("a refusal followed by an applied mutation (a new window) answers 200", async () => {
      // A limiter whose window turns over between the first and the second mutation.
      const decisions: RateDecision[] = [
        { allowed: false, retryAfterSeconds: 1 },
        { allowed: true, retryAfterSeconds: 0 },
      ];
      const limited = createServer({
        db: database.db,
        provider,
        rateLimiter: {
          hit: async () => decisions.shift() ?? { allowed: false, retryAfterSeconds: 1 },
        },
      });
      const result = await send(limited, upvotes(papers.slice(0, 2)), {}, tokens.erin);
      expect(result.status).toBe(200);
      expect(result.data).toEqual({ v0: null, v1: { changed: true } });
      expect(result.errors?.[0]?.extensions?.code).toBe("RATE_LIMITED");
      expect(await votesOf("erin")).toEqual([papers[1]]);
    });
  });
});

describe("the nodes attack against a server process (bench/abuse/nodes.ts)", () => {
  it("is refused at once: a small typed error, not a large answer", { timeout: 180_000 }, async ({
    signal,
  }) => {
    // A fresh SQLite file that the server creates, migrates and seeds with the sample digests.
    const { target, drop } = await createTestTarget("sqlite");
    const server = startServerProcess(
      { DATABASE_URL: target.url, LOG_LEVEL: "warn", SAMPLE_DATA: "true" },
      { signal },
    );
    try {
      const result = await runNodesAttack({
        url: await server.url,
        ids: 1500,
        pid: server.child.pid,
        signal,
      });
      expect(result.requestBytes).toBeGreaterThan(15_000);
      expect(result.status).toBe(200);
      expect(result.errorCodes).toEqual(["BAD_USER_INPUT"]);
      expect(result.responseBytes).toBeLessThan(2_000);
      expect(result.peakRssBytes).toBeGreaterThan(0);
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
      await drop();
    }
  });
});
