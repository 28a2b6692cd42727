/**
 * PostGraphile v5 (Amber preset) over papergraph's PostgreSQL database, for bench/peers.ts: one
 * process, started with plain `node` (no TypeScript loader), DATABASE_URL and PORT (0: any free
 * port) from the environment; prints `serving http://.../graphql` once it listens, as papergraph
 * does. Everything is PostGraphile's default (a pool of 10 connections, as papergraph's), except
 * that GraphiQL (Ruru) and EXPLAIN are off.
 */
import { createServer } from "node:http";

// grafast uses Promise.withResolvers (Node 22+); Node 20 lacks it. Polyfilled here only, for
// this process: papergraph and the floor run without it.
if (typeof Promise.withResolvers !== "function") {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

const { postgraphile } = await import("postgraphile");
const { PostGraphileAmberPreset } = await import("postgraphile/presets/amber");
const { makePgService } = await import("postgraphile/adaptors/pg");
const { grafserv } = await import("postgraphile/grafserv/node");

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error("DATABASE_URL is not set");

const preset = {
  extends: [PostGraphileAmberPreset],
  pgServices: [makePgService({ connectionString, schemas: ["public"] })],
  grafserv: { graphqlPath: "/graphql", graphiql: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (error) => {
  console.error(error);
  process.exit(1);
});
await serv.addTo(server);
// The schema is built (introspection included) before the server says it serves.
await pgl.getSchema();
server.listen({ port: Number(process.env.PORT ?? 0), host: "127.0.0.1" }, () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  console.log(`postgraphile is serving http://127.0.0.1:${port}/graphql`);
});

const stop = async () => {
  server.close();
  server.closeAllConnections();
  await pgl.release();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
