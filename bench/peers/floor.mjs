/**
 * The raw floor of bench/peers.ts: node:http and pg, one hand-written SQL statement per request
 * (prepared once per connection, keyset pagination, a paper's visible authors aggregated as JSON
 * in the statement), answering the JSON papergraph answers for the same query. No GraphQL, no
 * validation beyond what the benchmark sends: what serving these reads costs at least, on this
 * machine, from Node.
 *
 * POST /graphql with `{"op": "Q1".."Q5", "variables": {...}}`. DATABASE_URL and PORT (0: any free
 * port) from the environment; prints `serving http://.../graphql` once it listens. A pool of 10
 * connections, as papergraph's and PostGraphile's.
 */
import { createServer } from "node:http";
import pg from "pg";

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error("DATABASE_URL is not set");
const pool = new pg.Pool({ connectionString, max: 10 });

/** A paper's visible authors, in order, as `[{"name": ...}]`. */
const AUTHORS = `COALESCE((SELECT json_agg(json_build_object('name', a."name") ORDER BY pa."position")
  FROM "PaperAuthor" pa JOIN "Author" a ON a."id" = pa."authorId"
  WHERE pa."paperId" = p."id" AND NOT pa."hidden"), '[]'::json)`;
const PAPER = `p."id", p."arxivId", p."title", p."upvotes", ${AUTHORS} AS "authors"`;

const STATEMENTS = {
  first: `SELECT ${PAPER} FROM "Paper" p ORDER BY p."upvotes" DESC, p."id" DESC LIMIT 20`,
  after: `SELECT ${PAPER} FROM "Paper" p WHERE (p."upvotes", p."id") < ($1, $2)
    ORDER BY p."upvotes" DESC, p."id" DESC LIMIT 20`,
  paper: `SELECT ${PAPER} FROM "Paper" p WHERE p."arxivId" = $1`,
  day: `SELECT e."rank", e."upvotes" AS "entryUpvotes", ${PAPER}
    FROM "Day" d JOIN "DayEntry" e ON e."dayId" = d."id" JOIN "Paper" p ON p."id" = e."paperId"
    WHERE d."date" = $1 ORDER BY e."rank", e."paperId" LIMIT 20`,
  search: `SELECT ${PAPER} FROM "Paper" p WHERE p."searchVector" @@ $1::tsquery
    ORDER BY p."upvotes" DESC, p."id" DESC LIMIT 20`,
};

/** Runs a named (prepared) statement. */
const run = async (name, values = []) =>
  (await pool.query({ name, text: STATEMENTS[name], values })).rows;

const cursorOf = (row) => Buffer.from(`${row.upvotes}:${row.id}`).toString("base64");
const node = (row) => ({
  arxivId: row.arxivId,
  title: row.title,
  upvotes: row.upvotes,
  authors: row.authors,
});
const page = (rows) => ({
  papers: { edges: rows.map((r) => ({ cursor: cursorOf(r), node: node(r) })) },
});

const OPERATIONS = {
  async Q1() {
    return page(await run("first"));
  },
  async Q2({ after }) {
    const [upvotes, id] = Buffer.from(after, "base64").toString().split(":").map(Number);
    return page(await run("after", [upvotes, id]));
  },
  async Q3({ arxivId }) {
    const [row] = await run("paper", [arxivId]);
    return { paper: row ? node(row) : null };
  },
  async Q4({ date }) {
    const rows = await run("day", [date]);
    if (rows.length === 0) return { day: null };
    return {
      day: {
        papers: {
          edges: rows.map((r) => ({
            node: {
              rank: r.rank,
              upvotes: r.entryUpvotes,
              paper: { arxivId: r.arxivId, title: r.title, authors: r.authors },
            },
          })),
        },
      },
    };
  },
  async Q5({ tsquery }) {
    return page(await run("search", [tsquery]));
  },
};

const send = (res, status, body) => {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
};

const server = createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/graphql")
    return send(res, 404, { error: "not found" });
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", async () => {
    try {
      const { op, variables } = JSON.parse(Buffer.concat(chunks).toString());
      const operation = OPERATIONS[op];
      if (!operation) return send(res, 400, { errors: [{ message: `unknown op ${op}` }] });
      send(res, 200, { data: await operation(variables ?? {}) });
    } catch (error) {
      send(res, 500, { errors: [{ message: String(error?.message ?? error) }] });
    }
  });
});

server.listen({ port: Number(process.env.PORT ?? 0), host: "127.0.0.1" }, () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  console.log(`floor is serving http://127.0.0.1:${port}/graphql`);
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  pool.end().finally(() => process.exit(0));
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
