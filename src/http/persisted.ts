/**
 * Persisted operations, through Yoga's plugins; one of two modes.
 *
 * - **Automatic persisted queries** (default; @graphql-yoga/plugin-apq, Apollo's protocol). A
 *   client sends `extensions.persistedQuery { version: 1, sha256Hash }` without the query; an
 *   unknown hash answers `PersistedQueryNotFound` (`PERSISTED_QUERY_NOT_FOUND`, HTTP 404), the
 *   client sends the query once with its hash (checked: `PERSISTED_QUERY_MISMATCH` when it is
 *   not the query's SHA-256), and from then on the hash alone is enough, also in a GET URL. The
 *   store is per server process, in memory: at most `APQ_LIMITS.entries` documents and
 *   `APQ_LIMITS.chars` characters together, the least recently used going first (each document
 *   is at most a request body, 64 KB). Behind a load balancer a client may register a query with
 *   one process and miss with another: it then sends the query again, as the protocol expects.
 * - **Trusted documents** (TRUSTED_DOCUMENTS=manifest.json; @graphql-yoga/plugin-persisted-operations).
 *   Only the operations of the manifest run, named by their key: a manifest as Relay or
 *   graphql-codegen's client preset (`persistedDocuments`) write it, `{ "<hash>": "<document>" }`,
 *   sent as `extensions.persistedQuery.sha256Hash` (Apollo style, what the client preset sends).
 *   A request with a document of its own, or none, is refused with `PERSISTED_QUERY_ONLY`; an
 *   unknown key with `PERSISTED_QUERY_NOT_FOUND`. APQ is off in this mode: it would let any
 *   client register any query.
 *
 * The manifest is read and checked once, at start (src/http/trusted-documents.ts); each document
 * must parse, or the server is not created (`persistedOperations` throws, naming the entry).
 */
import { useAPQ } from "@graphql-yoga/plugin-apq";
import { usePersistedOperations } from "@graphql-yoga/plugin-persisted-operations";
import { parse } from "graphql";
import type { Plugin } from "graphql-yoga";
import { LRUCache } from "lru-cache";
import type { ErrorCode } from "../graphql/errors.ts";

export const APQ_LIMITS = {
  /** Documents kept per server process. */
  entries: 1_000,
  /** Characters of all documents kept together. */
  chars: 8 * 1024 * 1024,
} as const;

/** The error of an unknown hash: the message is the one Apollo's clients look for. */
const NOT_FOUND = {
  message: "PersistedQueryNotFound",
  extensions: { code: "PERSISTED_QUERY_NOT_FOUND" satisfies ErrorCode, http: { status: 404 } },
};

/** The plugin of the configured mode: trusted documents when given, else APQ. */
export function persistedOperations(trusted: Map<string, string> | undefined): Plugin {
  if (trusted) {
    for (const [key, document] of trusted) {
      try {
        parse(document);
      } catch (error) {
        throw new Error(
          `TRUSTED_DOCUMENTS: the entry "${key}" does not parse: ${(error as Error).message}`,
        );
      }
    }
    return usePersistedOperations({
      getPersistedOperation: (key) => trusted.get(key) ?? null,
      allowArbitraryOperations: false,
      customErrors: {
        notFound: NOT_FOUND,
        persistedQueryOnly: {
          message:
            "only trusted documents run on this server: send the document's hash as extensions.persistedQuery.sha256Hash, without a query",
          extensions: {
            code: "PERSISTED_QUERY_ONLY" satisfies ErrorCode,
            http: { status: 400 },
          },
        },
        keyNotFound: {
          message:
            "only trusted documents run on this server: the request names none (extensions.persistedQuery.sha256Hash)",
          extensions: {
            code: "PERSISTED_QUERY_ONLY" satisfies ErrorCode,
            http: { status: 400 },
          },
        },
      },
    }) as Plugin;
  }
  const store = new LRUCache<string, string>({
    max: APQ_LIMITS.entries,
    maxSize: APQ_LIMITS.chars,
    sizeCalculation: (document) => Math.max(1, document.length),
  });
  // Its errors: PERSISTED_QUERY_NOT_FOUND (HTTP 404, message PersistedQueryNotFound, which
  // Apollo's clients look for) and PERSISTED_QUERY_MISMATCH (HTTP 400).
  return useAPQ({ store }) as Plugin;
}
