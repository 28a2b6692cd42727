/**
 * Creates the Yoga server: schema, request limits and query budget, cross-site rules, identity
 * providers' JWTs, persisted operations, the response cache and HTTP caching headers,
 * compression, tracing, health, readiness and metrics, GraphiQL, introspection and the dashboard
 * page (each switchable), the RSS and Atom feeds, and the email digests' link pages. The
 * HTTP-layer pieces live in src/http/.
 */
import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDirectivesPlugin } from "@escape.tech/graphql-armor-max-directives";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import { useGraphQLSSE } from "@graphql-yoga/plugin-graphql-sse";
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
import { bodySizeLimit, streamBodyLimit } from "./http/body-limit.ts";
import { type QueryBudget, queryCostPlugin } from "./http/budget.ts";
import { compression, DEFAULT_COMPRESSION_MIN_BYTES } from "./http/compression.ts";
import { corsPolicy, refuseSimplePosts, varyByOrigin } from "./http/cross-site.ts";
import { dashboardPage } from "./http/dashboard.ts";
import { digestPages } from "./http/digest-pages.ts";
import { typedError } from "./http/errors.ts";
import { feeds } from "./http/feeds.ts";
import { GRAPHIQL_OPTIONS, graphiqlAssets, renderGraphiQLPage } from "./http/graphiql.ts";
import { DEFAULT_HTTP_CACHE_MAX_AGE, httpCaching } from "./http/http-caching.ts";
import { disableIntrospection } from "./http/introspection.ts";
import { createJwtVerifier, type JwtOptions } from "./http/jwt.ts";
import { createMetrics, type Metrics, metricsEndpoint } from "./http/metrics.ts";
import { persistedOperations } from "./http/persisted.ts";
import { responseCachePlugin } from "./http/response-cache.ts";
import { type StreamLimits, singleConnectionStreams } from "./http/sse-streams.ts";
import type { DigestService } from "./mail/confirmations.ts";
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

/**
 * Where graphql-sse's client connects (`@graphql-yoga/plugin-graphql-sse`): its single-connection
 * ("reservation") mode, one event stream for all of a client's operations, and its distinct mode.
 * `/graphql` itself serves the distinct mode too (Yoga's own SSE), and GraphQL over WebSocket
 * (src/http/websocket.ts).
 */
export const SSE_STREAM_PATH = "/graphql/stream";

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
   * The data version the feeds' ETags are made of (src/http/feeds.ts), so that a poll of an
   * unchanged feed is a 304 without SQL; without it, each feed document is made and hashed.
   */
  dataVersion?: DataVersion;
  /** Bounds on graphql-sse's single-connection streams (src/http/sse-streams.ts). */
  streamLimits?: StreamLimits;
  /** JSON answers at least this large are compressed (src/http/compression.ts); 1,024 bytes. */
  compressionMinBytes?: number;
  /** `max-age` of anonymous GET queries (src/http/http-caching.ts); 0 seconds unless given. */
  httpCacheMaxAge?: number;
  /** Run only these operations (src/http/persisted.ts); unset: any, and APQ. */
  trustedDocuments?: Map<string, string>;
  /** A plugin that traces operations (src/http/tracing.ts, OTEL_EXPORTER_OTLP_ENDPOINT). */
  tracing?: Plugin;
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
  /**
   * Serve the dashboard page at /dashboard (DASHBOARD; src/http/dashboard.ts): static files and
   * Chart.js from the installed package, drawing from this API. On unless false.
   */
  dashboard?: boolean;
  /**
   * Take email digest subscriptions (SMTP_URL, MAIL_FROM, PUBLIC_URL): without it,
   * subscribeToDigest answers MAIL_UNAVAILABLE. The confirm and unsubscribe pages work either way.
   */
  digests?: DigestService;
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
  dataVersion = responseCache?.version,
  streamLimits,
  compressionMinBytes = DEFAULT_COMPRESSION_MIN_BYTES,
  httpCacheMaxAge = DEFAULT_HTTP_CACHE_MAX_AGE,
  trustedDocuments,
  tracing,
  graphiql = true,
  introspection = true,
  dashboard = true,
  digests,
}: ServerOptions) {
  const services = { db, provider, pubsub, rateLimiter, digests, trustProxyHops };
  const queryCost = queryCostPlugin({ limits: LIMITS, budget: queryBudget, trustProxyHops });
  const log = typeof logger === "object" ? logger : undefined;
  const streams = singleConnectionStreams(SSE_STREAM_PATH, pubsub.clientOf, streamLimits);
  const jwtVerifier = jwt
    ? createJwtVerifier({
        ...jwt,
        onKeysError: (error) => log?.warn({ err: error }, "the JWKS could not be fetched"),
      })
    : undefined;
  const yoga = createYoga({
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
      // First: its span covers what every other plugin does to the operation.
      ...(tracing ? [tracing] : []),
      metrics.plugin,
      ...(graphiql ? [graphiqlAssets()] : []),
      ...(dashboard ? [dashboardPage()] : []),
      ...(introspection ? [] : disableIntrospection()),
      ...(serveMetrics ? [metricsEndpoint(metrics)] : []),
      // Before the refusal of form posts: RFC 8058's one-click unsubscribe is one.
      digestPages(db),
      // Before the GraphQL endpoint's rules: the feeds answer their own paths, GET and HEAD only.
      feeds({ db, provider, version: dataVersion, maxAgeSeconds: httpCacheMaxAge, log }),
      refuseSimplePosts(),
      bodySizeLimit(REQUEST_LIMITS.bodyBytes),
      ...(corsOrigins ? [varyByOrigin()] : []),
      // Before anything reads the query (the response cache's key among them): a persisted
      // operation's text is filled in here.
      persistedOperations(trustedDocuments),
      httpCaching(httpCacheMaxAge),
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
      // Operations over graphql-sse go through the plugins above (getEnveloped), as over /graphql.
      streamBodyLimit(SSE_STREAM_PATH, REQUEST_LIMITS.bodyBytes),
      streams.plugin,
      useGraphQLSSE({
        endpoint: SSE_STREAM_PATH,
        authenticate: streams.authenticate,
        onConnect: streams.onConnect,
      }),
      readinessEndpoint({ db, redis }),
      // Last: it encodes the answer with every header the others set.
      compression(compressionMinBytes),
    ] as Plugin[],
  });
  streams.serveThrough(yoga.fetch);
  return yoga;
}

export type Server = ReturnType<typeof createServer>;
