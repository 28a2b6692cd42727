/**
 * Response compression: JSON answers of at least `minBytes` are sent gzip- or brotli-encoded to
 * clients that accept it (a page of 50 papers with their authors and abstracts: 77-89 KB of JSON).
 *
 * The encoding itself is @whatwg-node/server's `useContentEncoding` (the server adapter Yoga is
 * built on), given only the answers it may safely encode; this module decides which:
 * - **Only JSON (and feeds) of a known, large enough size.** Yoga answers a single result with a body whose
 *   Content-Length it knows. Event streams (`text/event-stream`, subscriptions) and multipart
 *   answers (`@defer`) are never encoded: a compressor holds bytes back until it has enough,
 *   which would delay live events. Small answers are not worth the CPU (the headers outweigh
 *   the saving).
 * - **The client's preference, parsed.** `Accept-Encoding` is read as RFC 9110 says (`q` values,
 *   `q=0` refuses, `*`); among the encodings the client accepts, brotli is preferred, then gzip.
 *   The plugin on its own takes the header's first token verbatim, which misses `gzip, br` (a
 *   space) and honours `gzip;q=0`.
 * - **Brotli at quality 5.** The server adapter's brotli stream uses zlib's default quality, 11:
 *   on a 50-paper page (89 KB of JSON) that is 250 ms of CPU per answer, so one header would let
 *   any client keep the server busy. Measured on that page (one core, CPU time per answer): gzip
 *   (level 6) 28.8 KB in 4.0 ms, brotli 5 27.7 KB in 6.7 ms, brotli 4 29.1 KB in 3.8 ms, brotli
 *   11 24.4 KB in 252 ms.
 * - **Bodies of requests are not decoded.** The plugin's other half decompresses request bodies
 *   with a Content-Encoding, after the body limit has counted the compressed bytes: a small
 *   compressed body could expand without bound. It is not used; such a body fails as JSON.
 *
 * Every answer of the GraphQL endpoint says `Vary: Accept-Encoding` (src/http/http-caching.ts),
 * so a shared cache keeps the encoded and the plain answer apart.
 */
import { constants, createBrotliCompress } from "node:zlib";
import { useContentEncoding } from "@whatwg-node/server";
import type { Plugin } from "graphql-yoga";

/** Answers smaller than this are sent as they are (bytes); COMPRESSION_MIN_BYTES. */
export const DEFAULT_COMPRESSION_MIN_BYTES = 1024;

/** The encodings used, most preferred first (as Node's zlib makes them). */
const ENCODINGS = ["br", "gzip"] as const;
type Encoding = (typeof ENCODINGS)[number];

/** Brotli quality (0-11): cheap enough for answers made per request (see above). */
export const BROTLI_QUALITY = 5;

type FetchAPI = {
  TransformStream: unknown;
  CompressionStream: unknown;
  DecompressionStream?: unknown;
};

/**
 * `fetchAPI` with a CompressionStream whose brotli is of `BROTLI_QUALITY`: the server adapter's
 * own streams (@whatwg-node/node-fetch, Yoga's on Node) accept a zlib transform. Any other fetch
 * API is given back as it is, and `br` is then not offered (see `compression`).
 */
function tunedBrotli<T extends FetchAPI>(fetchAPI: T): T | undefined {
  // The server adapter's own classes say which formats they support; the platform's do not.
  if (!(fetchAPI.DecompressionStream as { supportedFormats?: unknown })?.supportedFormats) {
    return undefined;
  }
  const Base = fetchAPI.TransformStream as new (transform: unknown) => object;
  const Original = fetchAPI.CompressionStream as new (format: string) => object;
  // Called with `new` by the plugin: the object a constructor function returns is the instance.
  function CompressionStream(format: string): object {
    if (format !== "br") return new Original(format);
    return new Base(
      createBrotliCompress({ params: { [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY } }),
    );
  }
  return { ...fetchAPI, CompressionStream };
}

/** Media types that are encoded: a GraphQL answer in one piece, a feed (src/http/feeds.ts). */
const ENCODED_TYPES = new Set([
  "application/json",
  "application/graphql-response+json",
  "application/rss+xml",
  "application/atom+xml",
]);

/**
 * The encoding to use for a request's `Accept-Encoding`, or undefined: the highest `q` among
 * those this server makes, brotli first on a tie; `*` stands for any not named.
 */
export function chooseEncoding(acceptEncoding: string | null, brotli = true): Encoding | undefined {
  if (!acceptEncoding) return undefined;
  const weights = new Map<string, number>();
  for (const part of acceptEncoding.split(",")) {
    const [name, ...params] = part.split(";").map((token) => token.trim().toLowerCase());
    if (!name) continue;
    let q = 1;
    for (const param of params) {
      const match = /^q=([0-9.]+)$/.exec(param);
      if (match) q = Number(match[1]);
    }
    if (Number.isFinite(q)) weights.set(name, q);
  }
  let best: Encoding | undefined;
  let bestQ = 0;
  for (const encoding of ENCODINGS) {
    if (encoding === "br" && !brotli) continue;
    const q = weights.get(encoding) ?? weights.get("*") ?? 0;
    if (q > bestQ) {
      best = encoding;
      bestQ = q;
    }
  }
  return best;
}

/** Encodes large JSON answers per the client's `Accept-Encoding` (see above). */
export function compression(minBytes: number = DEFAULT_COMPRESSION_MIN_BYTES): Plugin {
  const encode = useContentEncoding();
  const encodeResponse = encode.onResponse;
  if (!encodeResponse) throw new Error("useContentEncoding has no onResponse hook");
  return {
    onResponse(payload) {
      const { request, response } = payload;
      if (!response.body || response.headers.has("content-encoding")) return;
      const type = (response.headers.get("content-type") ?? "").split(";")[0]?.trim();
      if (!type || !ENCODED_TYPES.has(type)) return;
      const length = Number(response.headers.get("content-length"));
      if (!(length >= minBytes)) return;
      const fetchAPI = tunedBrotli(payload.fetchAPI);
      const encoding = chooseEncoding(request.headers.get("accept-encoding"), !!fetchAPI);
      if (!encoding) return;
      // The plugin reads the request's Accept-Encoding only: it is given the one chosen here.
      const chosen = { headers: new Headers({ "accept-encoding": encoding }) } as Request;
      return encodeResponse({
        ...payload,
        request: chosen,
        fetchAPI: fetchAPI ?? payload.fetchAPI,
      } as Parameters<typeof encodeResponse>[0]);
    },
  } as Plugin;
}
