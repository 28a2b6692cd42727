/**
 * Files the server's own pages load (GraphiQL's bundle, the dashboard's files and Chart.js), served
 * from memory: each kept as it is and, when at least GZIP_MIN_BYTES, gzip-encoded once (level 9:
 * made once, sent many times; off the event loop, in zlib's thread pool), with a hash of its
 * content for its ETag. GraphiQL's 9 MB of script and workers go out as about 2.5 MB.
 *
 * `serveFile` answers a GET or HEAD with the encoding the client accepts (`chooseEncoding`, as for
 * GraphQL answers), `Vary: Accept-Encoding`, an ETag per encoding, and 304 on a matching
 * `If-None-Match`; the caller adds its own headers (caching, policy).
 */
import { createHash } from "node:crypto";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { chooseEncoding } from "./compression.ts";

const gzip = promisify(gzipCallback);

/** Files smaller than this are only sent as they are (bytes). */
export const GZIP_MIN_BYTES = 1024;

export interface StaticFile {
  /** Its media type. */
  type: string;
  body: Uint8Array<ArrayBuffer>;
  /** Its gzip encoding, when it is large enough and encoding makes it smaller. */
  gzip?: Uint8Array<ArrayBuffer>;
  /** A hash of the content: the ETag of the plain body (`"<hash>"`) and of the gzip one (`"<hash>-gz"`). */
  hash: string;
}

/** A file of the given content and media type, encoded once. */
export async function staticFile(content: string | Uint8Array, type: string): Promise<StaticFile> {
  const body = typeof content === "string" ? Buffer.from(content) : content;
  const hash = createHash("sha256").update(body).digest("base64url").slice(0, 16);
  const encoded = body.byteLength >= GZIP_MIN_BYTES ? await gzip(body, { level: 9 }) : undefined;
  return {
    type,
    body: new Uint8Array(body),
    gzip: encoded && encoded.byteLength < body.byteLength ? new Uint8Array(encoded) : undefined,
    hash,
  };
}

/** Whether an `If-None-Match` names the ETag, or is `*` (weak comparison, RFC 9110 13.1.2). */
export function ifNoneMatches(ifNoneMatch: string | null, etag: string): boolean {
  if (ifNoneMatch === null) return false;
  const opaque = (tag: string) => tag.trim().replace(/^W\//, "");
  if (ifNoneMatch.trim() === "*") return true;
  return ifNoneMatch.split(",").some((tag) => opaque(tag) === opaque(etag));
}

/** The answer to a GET or HEAD of a file, with `headers` (the caller's own) added to it. */
export function serveFile(request: Request, file: StaticFile, headers: Headers): Response {
  const encoded = file.gzip && chooseEncoding(request.headers.get("accept-encoding"), false);
  const body = encoded ? (file.gzip as Uint8Array<ArrayBuffer>) : file.body;
  const etag = `"${file.hash}${encoded ? "-gz" : ""}"`;
  headers.set("etag", etag);
  if (file.gzip) headers.set("vary", "Accept-Encoding");
  headers.set("x-content-type-options", "nosniff");
  if (ifNoneMatches(request.headers.get("if-none-match"), etag)) {
    return new Response(null, { status: 304, headers });
  }
  headers.set("content-type", file.type);
  headers.set("content-length", String(body.byteLength));
  if (encoded) headers.set("content-encoding", "gzip");
  return new Response(request.method === "HEAD" ? null : body, { headers });
}
