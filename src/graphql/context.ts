/** What every resolver gets: the database of this server and the request's loaders. */
import type { Db } from "../db/client.ts";
import type { Provider } from "../db/target.ts";
import { createLoaders, type Loaders } from "./loaders.ts";

export interface Context {
  /**
   * The Prisma client. It travels in the context (plugin-prisma's `client: (ctx) => ctx.db`)
   * rather than as a module singleton, so one process can serve several databases: the test
   * suites run the same server on SQLite and on PostgreSQL side by side.
   */
  db: Db;
  provider: Provider;
  loaders: Loaders;
}

export function createContext(db: Db, provider: Provider): Context {
  return { db, provider, loaders: createLoaders(db, provider) };
}
