/** Creates the Yoga server: schema, limits, health, readiness and Prometheus metrics. */
import { maxAliasesPlugin } from "@escape.tech/graphql-armor-max-aliases";
import { maxDirectivesPlugin } from "@escape.tech/graphql-armor-max-directives";
import { maxTokensPlugin } from "@escape.tech/graphql-armor-max-tokens";
import {
  createInlineSigningKeyProvider,
  createRemoteJwksSigningKeyProvider,
  useJWT,
} from "@graphql-yoga/plugin-jwt";
import { usePrometheus } from "@graphql-yoga/plugin-prometheus";
import { GraphQLError } from "graphql";
import {
  createYoga,
  maskError,
  type Plugin,
  useReadinessCheck,
  type YogaLogger,
} from "graphql-yoga";
import { Registry } from "prom-client";
import { type JwtClaims, TOKEN_PREFIX } from "./auth/tokens.ts";
import type { Db } from "./db/client.ts";
import type { Provider } from "./db/target.ts";
import { createContext } from "./graphql/context.ts";
import { UserInputError } from "./graphql/errors.ts";
import { createEvents, type PubSub } from "./graphql/pubsub.ts";
import { schema } from "./graphql/schema.ts";
import { ArgumentError } from "./papers/errors.ts";
import { memoryRateLimiter, type RateLimiter } from "./votes/rate-limit.ts";

/** Size limits checked before parsing; the depth, breadth and cost limits are in the builder. */
export const REQUEST_LIMITS = {
  /** Bytes of a request body. */
  bodyBytes: 64 * 1024,
  /** Tokens of a GraphQL document. */
  tokens: 3_000,
  aliases: 30,
  directives: 20,
} as const;

/** Ready to run in GraphiQL: the front page of a day, a filtered search, a dashboard series. */
export const EXAMPLE_OPERATIONS = `# papergraph: a few operations to start from. Run one with the play button.

query FrontPage {
  papers(first: 10, orderBy: { field: TRENDING }) {
    totalCount
    edges {
      cursor
      node { title upvotes arxivUrl codeUrl authors { name } appearances { rank day { date } } }
    }
    pageInfo { hasNextPage endCursor }
  }
}

query Day {
  day(date: "2024-10-25") {
    date paperCount totalUpvotes
    previous { date } next { date }
    papers(first: 5) { edges { node { rank upvotes paper { title } } } }
  }
}

query Search {
  papers(filter: { search: "reinforcement learning", hasCode: false }, orderBy: { field: RELEVANCE }) {
    totalCount
    nodes { title publishedAt upvotes }
  }
}

query Dashboard {
  timeSeries(from: "2024-10-01", to: "2025-12-31", bucket: MONTH) { bucket papers upvotes }
  topAuthors(from: "2024-01-01", to: "2025-12-31", first: 5) { author { name } papers upvotes }
}
`;

/** Refuses request bodies over the limit before they are read. */
function bodyLimit(bytes: number): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      const length = Number(request.headers.get("content-length") ?? 0);
      if (length > bytes) {
        endResponse(
          new fetchAPI.Response(
            JSON.stringify({
              errors: [
                {
                  message: `request body of ${length} bytes exceeds the limit of ${bytes}`,
                  extensions: { code: "QUERY_TOO_COMPLEX" },
                },
              ],
            }),
            { status: 413, headers: { "content-type": "application/json" } },
          ),
        );
      }
    },
  };
}

export interface ServerOptions {
  db: Db;
  provider: Provider;
  logger?: YogaLogger | boolean;
  /** Live-update events; in memory unless given (main.ts passes a Redis-backed one). */
  pubsub?: PubSub;
  /** Mutation rate limits; 60 votes a minute per user, in memory, unless given. */
  rateLimiter?: RateLimiter;
  /** Accept JWTs of an external identity provider besides API tokens (see README). */
  jwt?: JwtOptions;
}

export interface JwtOptions {
  /** HS256 shared secret, or ... */
  secret?: string;
  /** ... the provider's JWKS URL (RS256). */
  jwksUri?: string;
  issuer?: string;
  audience?: string;
}

/** graphql-yoga's JWT plugin, for Bearer values that look like JWTs (API tokens start pgt_). */
function jwtPlugin(options: JwtOptions): Plugin {
  return useJWT({
    signingKeyProviders: [
      options.jwksUri
        ? createRemoteJwksSigningKeyProvider({ jwksUri: options.jwksUri })
        : createInlineSigningKeyProvider(options.secret as string),
    ],
    tokenLookupLocations: [
      ({ request }) => {
        const token = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
        const looksLikeJwt =
          token && !token.startsWith(TOKEN_PREFIX) && token.split(".").length === 3;
        return looksLikeJwt ? { token, prefix: "Bearer" } : undefined;
      },
    ],
    tokenVerification: {
      algorithms: options.jwksUri ? ["RS256"] : ["HS256"],
      ...(options.issuer ? { issuer: options.issuer } : {}),
      ...(options.audience ? { audience: options.audience } : {}),
    },
    reject: { missingToken: false, invalidToken: true },
    extendContext: "jwt",
  }) as Plugin;
}

export function createServer({
  db,
  provider,
  logger = false,
  pubsub = createEvents().pubsub,
  rateLimiter = memoryRateLimiter(60, 60),
  jwt,
}: ServerOptions) {
  const services = { db, provider, pubsub, rateLimiter };
  return createYoga({
    schema,
    context: (initial) =>
      createContext(
        services,
        initial.request.headers.get("authorization"),
        // Read when a resolver asks: the JWT plugin adds `jwt` to the context as it is built.
        () => (initial as { jwt?: { payload: JwtClaims } }).jwt?.payload,
      ),
    maskedErrors: {
      // Domain errors that are the client's doing become typed errors; the rest stay masked.
      maskError(error, message, isDev) {
        const original = error instanceof GraphQLError ? error.originalError : error;
        if (original instanceof ArgumentError) {
          const typed = new UserInputError(original.argument, original.problem);
          return new GraphQLError(typed.message, {
            nodes: error instanceof GraphQLError ? error.nodes : undefined,
            path: error instanceof GraphQLError ? error.path : undefined,
            extensions: typed.extensions,
          });
        }
        return maskError(error, message, isDev);
      },
    },
    graphqlEndpoint: "/graphql",
    graphiql: { title: "papergraph", defaultQuery: EXAMPLE_OPERATIONS },
    landingPage: false,
    logging: logger,
    healthCheckEndpoint: "/health",
    plugins: [
      bodyLimit(REQUEST_LIMITS.bodyBytes),
      maxTokensPlugin({ n: REQUEST_LIMITS.tokens }),
      maxAliasesPlugin({ n: REQUEST_LIMITS.aliases }),
      maxDirectivesPlugin({ n: REQUEST_LIMITS.directives }),
      useReadinessCheck({
        endpoint: "/ready",
        check: async () => {
          await db.$queryRawUnsafe("SELECT 1");
        },
      }),
      usePrometheus({ endpoint: "/metrics", registry: new Registry() }),
      ...(jwt ? [jwtPlugin(jwt)] : []),
    ],
  });
}

export type Server = ReturnType<typeof createServer>;
