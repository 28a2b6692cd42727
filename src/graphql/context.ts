/** What every resolver gets: the database, the request's loaders, its viewer, and shared services. */
import { authenticate, type Credential, type JwtClaims } from "../auth/tokens.ts";
import type { Db } from "../db/client.ts";
import type { Provider } from "../db/target.ts";
import type { DigestService } from "../mail/confirmations.ts";
import type { RateLimiter } from "../votes/rate-limit.ts";
import { createLoaders, type Loaders } from "./loaders.ts";
import type { PubSub } from "./pubsub.ts";

export interface Services {
  /**
   * The Prisma client. It travels in the context (plugin-prisma's `client: (ctx) => ctx.db`)
   * rather than as a module singleton, so one process can serve several databases: the test
   * suites run the same server on SQLite and on PostgreSQL side by side.
   */
  db: Db;
  provider: Provider;
  pubsub: PubSub;
  rateLimiter: RateLimiter;
  /** Digest subscriptions' mail and limits; none when the server sends no mail. */
  digests?: DigestService;
  /** Reverse proxies whose X-Forwarded-For is believed (the per-client limits' keys). */
  trustProxyHops?: number;
}

export interface Context extends Services {
  loaders: Loaders;
  /** Who is asking: the `Authorization: Bearer` token, checked once per request, when needed. */
  viewer: () => Promise<Credential>;
  /** Per-request batches keyed by what they share (e.g. `Author.papers` pages of one shape). */
  batches: Map<unknown, unknown>;
}

export function createContext(
  services: Services,
  authorization: string | null,
  /** The verified claims of an identity provider's JWT, when the JWT plugin accepted one. */
  jwt: () => JwtClaims | undefined = () => undefined,
): Context {
  let credential: Promise<Credential> | undefined;
  const viewer = () => {
    credential ??= authenticate(services.db, authorization, jwt());
    return credential;
  };
  return {
    ...services,
    viewer,
    loaders: createLoaders(services.db, services.provider, viewer),
    batches: new Map(),
  };
}
