/**
 * The dashboard page, `/dashboard` (DASHBOARD): static files shipped in web/dashboard/ (an HTML
 * page, its stylesheet and plain ES modules: nothing to build) and Chart.js's browser build from
 * the installed `chart.js` package (no CDN), served by a Yoga plugin. The page draws from the
 * GraphQL API alone (POST /graphql): what it shows is what any client may ask for.
 *
 * Files: `/dashboard` (and `/dashboard/`) is web/dashboard/index.html; `/dashboard/<name>` is the
 * file of that name in web/dashboard/ when its extension is one of TYPES (any other name is a
 * 404: names are looked up in a map, never joined to a path); `/dashboard/vendor/chart.js` is
 * Chart.js. They are read on the first request for any of them, never at start, and kept in
 * memory with a gzip copy of those worth it (Chart.js: 205 KB, 70 KB gzipped). Each answer has an
 * ETag and `Cache-Control: no-cache`: a browser asks again each time and gets a 304 while the
 * file is the same, so a new version of the server is never mixed with old files.
 *
 * Every answer carries DASHBOARD_CSP: only this origin's scripts (no inline script, no eval),
 * stylesheets and images, and requests to this origin alone.
 */
import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { gzipSync } from "node:zlib";
import type { Plugin } from "graphql-yoga";
import { chartJsFile, DASHBOARD_DIR } from "../paths.ts";
import { chooseEncoding } from "./compression.ts";

/** The page's path; its files are under `${DASHBOARD_PATH}/`. */
export const DASHBOARD_PATH = "/dashboard";

/** Where the page finds Chart.js, under DASHBOARD_PATH. */
export const CHART_JS_NAME = "vendor/chart.js";

/**
 * The page's Content-Security-Policy. Chart.js draws on canvases and sizes them through the
 * CSSOM (`element.style`), which `style-src 'self'` allows: it needs no allowance of its own.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** The media types of the files served from web/dashboard/; other files there are not served. */
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

const PAGE = "index.html";

/** Files at least this large are also kept gzip-encoded, for clients that accept it. */
const GZIP_MIN_BYTES = 1024;

interface Asset {
  type: string;
  body: Uint8Array<ArrayBuffer>;
  /** The gzip-encoded body, when the file is large enough and encoding makes it smaller. */
  gzip?: Uint8Array<ArrayBuffer>;
  /** The content's hash: the ETag of the plain body (`"<hash>"`) and the gzip one (`"<hash>-gz"`). */
  hash: string;
}

let assets: Promise<Map<string, Asset>> | undefined;

function asset(body: Buffer, type: string): Asset {
  const hash = createHash("sha256").update(body).digest("base64url").slice(0, 16);
  const gzip = body.byteLength >= GZIP_MIN_BYTES ? gzipSync(body, { level: 9 }) : undefined;
  return {
    type,
    body: new Uint8Array(body),
    gzip: gzip && gzip.byteLength < body.byteLength ? new Uint8Array(gzip) : undefined,
    hash,
  };
}

/** The page's files, read once, on first use. A failed read is tried again on the next request. */
function loadAssets(): Promise<Map<string, Asset>> {
  assets ??= (async () => {
    const files = new Map<string, Asset>();
    for (const name of await readdir(DASHBOARD_DIR)) {
      const type = TYPES[extname(name)];
      if (type) files.set(name, asset(await readFile(join(DASHBOARD_DIR, name)), type));
    }
    files.set(CHART_JS_NAME, asset(await readFile(chartJsFile()), TYPES[".js"] as string));
    return files;
  })().catch((error) => {
    assets = undefined;
    throw error;
  });
  return assets;
}

/** The file a path names, by its name under DASHBOARD_PATH; undefined: not the dashboard's. */
function fileName(pathname: string): string | undefined {
  if (pathname === DASHBOARD_PATH || pathname === `${DASHBOARD_PATH}/`) return PAGE;
  if (pathname.startsWith(`${DASHBOARD_PATH}/`)) return pathname.slice(DASHBOARD_PATH.length + 1);
  return undefined;
}

/** Whether `If-None-Match` names this ETag (or `*`). */
function notModified(ifNoneMatch: string | null, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(",").some((tag) => {
    const value = tag.trim();
    return value === "*" || value === etag || value === `W/${etag}`;
  });
}

/** Serves the dashboard's files (see above); any other path is left to the rest of the server. */
export function dashboardPage(): Plugin {
  return {
    async onRequest({ url, request, endResponse }) {
      const name = fileName(url.pathname);
      if (name === undefined) return;
      const headers = new Headers({
        "content-security-policy": DASHBOARD_CSP,
        "x-content-type-options": "nosniff",
      });
      if (request.method !== "GET" && request.method !== "HEAD") {
        headers.set("allow", "GET, HEAD");
        endResponse(new Response("method not allowed", { status: 405, headers }));
        return;
      }
      const file = (await loadAssets()).get(name);
      if (!file) {
        endResponse(new Response("not found", { status: 404, headers }));
        return;
      }
      const gzip = file.gzip && chooseEncoding(request.headers.get("accept-encoding"), false);
      const body = gzip ? (file.gzip as Uint8Array<ArrayBuffer>) : file.body;
      const etag = `"${file.hash}${gzip ? "-gz" : ""}"`;
      headers.set("etag", etag);
      headers.set("cache-control", "no-cache");
      if (file.gzip) headers.set("vary", "Accept-Encoding");
      if (notModified(request.headers.get("if-none-match"), etag)) {
        endResponse(new Response(null, { status: 304, headers }));
        return;
      }
      headers.set("content-type", file.type);
      headers.set("content-length", String(body.byteLength));
      if (gzip) headers.set("content-encoding", "gzip");
      endResponse(new Response(request.method === "HEAD" ? null : body, { headers }));
    },
  };
}
