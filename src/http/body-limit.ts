/**
 * The one check of a request body's size (Yoga's own, `maxRequestBodySize`, is turned off in
 * src/server.ts): over the limit, PAYLOAD_TOO_LARGE (HTTP 413) before anything is parsed or runs.
 *
 * A body with a Content-Length is judged by it alone: Node's HTTP parser delivers exactly the bytes
 * the header declares, never more, so nothing needs counting and the body is read as it is. Only a
 * body without one (chunked) is counted as it is read, and reading stops at the limit; the
 * connection is then closed with the rest unread. Yoga's check counted every body through a
 * stream of its own and a copy of the request, also when the header had already said everything:
 * 2% of the CPU time of a small query.
 */
import type { Plugin } from "graphql-yoga";
import { BadRequestError, PayloadTooLargeError, refusal } from "./errors.ts";

/** Only a single non-negative integer is a Content-Length (not `1, 1`, not `-1`, not `1e3`). */
const CONTENT_LENGTH = /^\d+$/;

export function bodySizeLimit(limit: number): Plugin {
  return {
    // Runs after Yoga's own request parsers have chosen theirs (plugins of the server come later).
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const declared = request.headers.get("content-length");
      if (declared !== null) {
        if (!CONTENT_LENGTH.test(declared)) {
          throw new BadRequestError("the Content-Length header is not a number of bytes");
        }
        if (Number(declared) > limit) throw new PayloadTooLargeError();
        return;
      }
      if (!requestParser || !request.body) return;
      setRequestParser((req) => requestParser(counted(req, limit, fetchAPI)));
    },
  };
}

/** `request` with a body that fails with PAYLOAD_TOO_LARGE once more than `limit` bytes came. */
function counted(
  request: Request,
  limit: number,
  fetchAPI: { TransformStream: typeof TransformStream; Request: typeof Request },
): Request {
  const body = request.body as ReadableStream<Uint8Array>;
  // A body from Node's own fetch (a native stream) goes through a native TransformStream; one
  // from Yoga's server adapter through the adapter's (mixing the two fails: graphql-yoga #4583).
  const Transform =
    body instanceof ReadableStream ? globalThis.TransformStream : fetchAPI.TransformStream;
  let read = 0;
  const limited = body.pipeThrough(
    new Transform<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        read += chunk.byteLength;
        if (read > limit) {
          controller.error(new PayloadTooLargeError());
          return;
        }
        controller.enqueue(chunk);
      },
    }),
  );
  return new fetchAPI.Request(request.url, {
    method: request.method,
    headers: request.headers,
    signal: request.signal,
    body: limited,
    // @ts-expect-error Node's RequestInit lacks `duplex`, which a streamed body requires.
    duplex: "half",
  });
}

/**
 * The same limit for the bodies of graphql-sse's endpoint (src/server.ts), whose handler reads
 * them itself, before Yoga's parser: a body must say its size (Content-Length; without one, 411
 * LENGTH_REQUIRED), and over the limit it is refused unread (413 PAYLOAD_TOO_LARGE).
 */
export function streamBodyLimit(path: string, limit: number): Plugin {
  return {
    onRequest({ request, url, endResponse }) {
      if (url.pathname !== path || request.method === "GET" || request.method === "DELETE") return;
      const declared = request.headers.get("content-length");
      if (declared === null && request.method === "PUT") return;
      if (declared === null || !CONTENT_LENGTH.test(declared)) {
        endResponse(
          refusal(411, "BAD_REQUEST", "a request body to this endpoint needs a Content-Length"),
        );
      } else if (Number(declared) > limit) {
        endResponse(refusal(413, "PAYLOAD_TOO_LARGE", new PayloadTooLargeError().message));
      }
    },
  };
}
