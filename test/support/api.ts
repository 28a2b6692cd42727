/** Runs typed operations through the real Yoga server (`yoga.fetch`) against a test database. */
import { createServer as createHttpServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { type GraphQLFormattedError, print } from "graphql";
import { createServer, type Server, type ServerOptions } from "../../src/server.ts";
import type { TestDatabase } from "./engines.ts";

export interface Result<T> {
  status: number;
  data?: T | null;
  errors?: GraphQLFormattedError[];
}

/** The server on this database; `options` adds to or changes its defaults (e.g. `graphiql: false`). */
export function serverFor(
  database: TestDatabase,
  options: Partial<Omit<ServerOptions, "db" | "provider">> = {},
): Server {
  return createServer({ db: database.db, provider: database.target.provider, ...options });
}

export async function execute<T, V>(
  server: Server,
  document: TypedDocumentNode<T, V>,
  variables?: V,
): Promise<Result<T>> {
  return post<T>(server, { query: print(document), variables });
}

export async function post<T = unknown>(server: Server, body: unknown): Promise<Result<T>> {
  const response = await server.fetch("http://papergraph.test/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", accept: "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const json = (await response.json()) as Omit<Result<T>, "status">;
  return { status: response.status, ...json };
}

/** The data of a result that must have succeeded. */
export async function data<T, V>(
  server: Server,
  document: TypedDocumentNode<T, V>,
  variables?: V,
): Promise<T> {
  const result = await execute(server, document, variables);
  if (result.errors?.length || !result.data) {
    throw new Error(`operation failed: ${JSON.stringify(result.errors)}`);
  }
  return result.data;
}

/** A request handler (a Yoga server) listening on a free loopback port, and how to stop it. */
export interface Listening {
  /** `http://127.0.0.1:<port>/graphql` */
  url: string;
  /** Closes every connection, then the server. */
  close: () => Promise<void>;
}

export async function listenOnLoopback(handler: RequestListener): Promise<Listening> {
  const http = createHttpServer(handler);
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`,
    close: async () => {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
