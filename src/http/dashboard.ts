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
 * memory with a gzip copy of those worth it (src/http/static-files.ts; Chart.js: 205 KB, 70 KB
 * gzipped). Each answer has an ETag and `Cache-Control: no-cache`: a browser asks again each time
 * and gets a 304 while the file is the same, so a new version of the server is never mixed with
 * old files.
 *
 * Every answer carries DASHBOARD_CSP: only this origin's scripts (no inline script, no eval),
 * stylesheets and images, and requests to this origin alone.
 */
import { readdir, readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import type { Plugin } from "graphql-yoga";
import { chartJsFile, DASHBOARD_DIR } from "../paths.ts";
import { type StaticFile, serveFile, staticFile } from "./static-files.ts";

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

let assets: Promise<Map<string, StaticFile>> | undefined;

/** The page's files, read once, on first use. A failed read is tried again on the next request. */
function loadAssets(): Promise<Map<string, StaticFile>> {
  assets ??= (async () => {
    const files = new Map<string, StaticFile>();
    for (const name of await readdir(DASHBOARD_DIR)) {
      const type = TYPES[extname(name)];
      if (type) files.set(name, await staticFile(await readFile(join(DASHBOARD_DIR, name)), type));
    }
    const chartJs = await readFile(chartJsFile());
    files.set(CHART_JS_NAME, await staticFile(chartJs, TYPES[".js"] as string));
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
      headers.set("cache-control", "no-cache");
      endResponse(serveFile(request, file, headers));
    },
  };
}
