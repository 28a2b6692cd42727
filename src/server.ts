/**
 * Creates the Yoga server: schema, request limits and query budget, cross-site rules, identity
 * providers' JWTs, health, readiness and metrics, GraphiQL and introspection (both switchable).
 * The HTTP-layer pieces live in src/http/.
 */
import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDirectivesPlugin } from "@escape.tech/graphql-armor-max-directives";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import { GraphQLError } from "graphql";
import { createYoga, maskError, type Plugin, type YogaLogger } from "graphql-yoga";
import type { Redis } from "ioredis";
import type { Db } from "./db/client.ts";
import type { DataVersion } from "./db/data-version.ts";
import { readinessEndpoint } from "./db/readiness.ts";
import type { Provider } from "./db/target.ts";
import { LIMITS } from "./graphql/builder.ts";
import { createContext } from "./graphql/context.ts";
import { maskUnavailable, UserInputError } from "./graphql/errors.ts";
import { useLiveDelivery } from "./graphql/live-delivery.ts";
import { createEvents, type PubSub } from "./graphql/pubsub.ts";
import { schema } from "./graphql/schema.ts";
import { bodySizeLimit } from "./http/body-limit.ts";
import { type QueryBudget, queryCostPlugin } from "./http/budget.ts";
import { corsPolicy, refuseSimplePosts, varyByOrigin } from "./http/cross-site.ts";
import { typedError } from "./http/errors.ts";
import { GRAPHIQL_OPTIONS, graphiqlAssets, renderGraphiQLPage } from "./http/graphiql.ts";
import { disableIntrospection } from "./http/introspection.ts";
import { createJwtVerifier, type JwtOptions } from "./http/jwt.ts";
import { createMetrics, type Metrics, metricsEndpoint } from "./http/metrics.ts";
import { responseCachePlugin } from "./http/response-cache.ts";
import { ArgumentError } from "./papers/errors.ts";
import { memoryRateLimiter, type RateLimiter } from "./votes/rate-limit.ts";

export type { JwtOptions } from "./http/jwt.ts";

/** Size limits checked before parsing; the depth, breadth and cost limits are in the builder. */
export const REQUEST_LIMITS = {
  /** Bytes of a request body, counted as they are read whatever the transfer encoding. */
  bodyBytes: 64 * 1024,
  /** Tokens of a GraphQL document. */
  tokens: 3_000,
  aliases: 30,
  directives: 20,
} as const;

export interface ServerOptions {
  db: Db;
  provider: Provider;
  logger?: YogaLogger | boolean;
  /** Live-update events; in memory unless given (main.ts passes a Redis-backed one). */
  pubsub?: PubSub;
  /** Mutation rate limits; 60 votes a minute per user, in memory, unless given. */
  rateLimiter?: RateLimiter;
  /** Per-client query budget (main.ts passes the configured one); none unless given. */
  queryBudget?: QueryBudget;
  /** Reverse proxies in front of the server whose X-Forwarded-For is believed (budget keys). */
  trustProxyHops?: number;
  /** Accept JWTs of an external identity provider besides API tokens (see README). */
  jwt?: JwtOptions;
  /** Origins allowed to make credentialed cross-site requests; unset: any, without credentials. */
  corsOrigins?: string[];
  /** Request and operation metrics (main.ts shares them with the METRICS_PORT listener). */
  metrics?: Metrics;
  /** Serve /metrics on this server (behind the metrics' token, if it has one); off by default. */
  metricsEndpoint?: boolean;
  /** PostgreSQL's statement timeout, quoted in the error a client gets when it fires. */
  statementTimeoutMs?: number;
  /** The Redis connection for commands, when REDIS_URL is set: `/ready` checks it too. */
  redis?: Redis;
  /**
   * Serve anonymous queries from a response cache keyed by this data version (RESPONSE_CACHE;
   * src/http/response-cache.ts). None unless given.
   */
  responseCache?: { version: DataVersion };
  /**
   * Serve GraphiQL (GRAPHIQL): a browser's GET of /graphql gets it, with the example operations,
   * from the installed packages (src/http/graphiql.ts). On unless false.
   */
  graphiql?: boolean;
  /**
   * Answer introspection (`__schema`, `__type`; INTROSPECTION): off, it is refused with
   * INTROSPECTION_DISABLED (src/http/introspection.ts). On unless false.
   */
  introspection?: boolean;
}

export function createServer({
  db,
  provider,
  logger = false,
  pubsub = createEvents().pubsub,
  rateLimiter = memoryRateLimiter(60, 60),
  queryBudget,
  trustProxyHops = 0,
  jwt,
  corsOrigins,
  metrics = createMetrics(),
  metricsEndpoint: serveMetrics = false,
  statementTimeoutMs,
  redis,
  responseCache,
  graphiql = true,
  introspection = true,
}: ServerOptions) {
  const services = { db, provider, pubsub, rateLimiter };
  const queryCost = queryCostPlugin({ limits: LIMITS, budget: queryBudget, trustProxyHops });
  const log = typeof logger === "object" ? logger : undefined;
  const jwtVerifier = jwt
    ? createJwtVerifier({
        ...jwt,
        onKeysError: (error) => log?.warn({ err: error }, "the JWKS could not be fetched"),
      })
    : undefined;
  return createYoga({
    schema,
    context: async (initial) => {
      const authorization = initial.request.headers.get("authorization");
      // An identity provider's JWT is verified before anything runs: refused with its reason.
      const claims = await jwtVerifier?.claims(authorization);
      return createContext(services, authorization, () => claims);
    },
    maskedErrors: {
      // Domain errors that are the client's doing become typed errors; the rest stay masked.
      maskError(error, message, isDev) {
        const unavailable = maskUnavailable(error);
        if (unavailable) return unavailable;
        const original = error instanceof GraphQLError ? error.originalError : error;
        if (original instanceof ArgumentError) {
          const typed = new UserInputError(original.argument, original.problem);
          return new GraphQLError(typed.message, {
            nodes: error instanceof GraphQLError ? error.nodes : undefined,
            path: error instanceof GraphQLError ? error.path : undefined,
            extensions: typed.extensions,
          });
        }
        return typedError(error, statementTimeoutMs) ?? maskError(error, message, isDev);
      },
    },
    graphqlEndpoint: "/graphql",
    graphiql: graphiql ? GRAPHIQL_OPTIONS : false,
    renderGraphiQL: renderGraphiQLPage,
    landingPage: false,
    logging: logger,
    healthCheckEndpoint: "/health",
    // The one check of the body size is src/http/body-limit.ts (bodySizeLimit, below), not Yoga's.
    maxRequestBodySize: false,
    cors: corsPolicy(corsOrigins),
    plugins: [
      metrics.plugin,
      ...(graphiql ? [graphiqlAssets()] : []),
      ...(introspection ? [] : disableIntrospection()),
      ...(serveMetrics ? [metricsEndpoint(metrics)] : []),
      refuseSimplePosts(),
      bodySizeLimit(REQUEST_LIMITS.bodyBytes),
      ...(corsOrigins ? [varyByOrigin()] : []),
      maxTokensPlugin({ n: REQUEST_LIMITS.tokens }),
      maxAliasesPlugin({ n: REQUEST_LIMITS.aliases }),
      maxDirectivesPlugin({ n: REQUEST_LIMITS.directives }),
      queryCost,
      // After the cost check: an operation it refuses never reaches the cache.
      ...(responseCache
        ? [
            responseCachePlugin({
              version: responseCache.version,
              registry: metrics.registry,
              chargeHit: queryCost.chargeHit,
            }),
          ]
        : []),
      useLiveDelivery(),
      readinessEndpoint({ db, redis }),
    ] as Plugin[],
  });
}

export type Server = ReturnType<typeof createServer>;
