/**
 * Preloaded (`node --import`) into the servers of bench/peers.ts: counts the SQL statements the
 * process sends, whoever sends them (Prisma's adapters, papergraph's own SQL, PostGraphile, the
 * floor), and prints `statements <n>` on standard output on SIGUSR2. COUNT_STATEMENTS=pg wraps
 * pg's Client#query; COUNT_STATEMENTS=sqlite wraps better-sqlite3's statement methods and exec.
 * The cost is one counter increment per statement. Only the benchmark's servers load it (not the
 * cold starts).
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(import.meta.url);
let count = 0;
const counted = (fn) =>
  function countedStatement(...args) {
    count += 1;
    return fn.apply(this, args);
  };

if (process.env.COUNT_STATEMENTS === "pg") {
  // Two copies of pg: the project's (papergraph, from the root) and bench/peers' own (PostGraphile
  // and the floor, installed with it): each server uses one of them, and both are counted.
  const clients = new Set();
  for (const from of [import.meta.url, pathToFileURL(join(process.cwd(), "package.json"))]) {
    clients.add(createRequire(from)("pg").Client);
  }
  for (const Client of clients) Client.prototype.query = counted(Client.prototype.query);
} else if (process.env.COUNT_STATEMENTS === "sqlite") {
  const Database = require("better-sqlite3");
  const db = new Database(":memory:");
  const statement = Object.getPrototypeOf(db.prepare("SELECT 1"));
  db.close();
  for (const method of ["run", "get", "all", "iterate"]) {
    statement[method] = counted(statement[method]);
  }
  Database.prototype.exec = counted(Database.prototype.exec);
}

process.on("SIGUSR2", () => {
  process.stdout.write(`statements ${count}\n`);
});
