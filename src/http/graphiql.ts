/**
 * GraphiQL, served by the server itself from the installed @graphql-yoga/render-graphiql: no CDN,
 * so it works offline and behind a strict Content-Security-Policy, and it opens on the project's
 * example operations (one tab each).
 *
 * That package is Yoga's offline GraphiQL: the same bundle Yoga's default page loads from unpkg
 * (GraphiQL, React, Monaco and its three web workers), as strings. Its own `renderGraphiQL` inlines
 * all of it (9 MB) into the page, which needs `script-src 'unsafe-inline'` and `blob:` workers;
 * here Yoga renders a small page instead (`renderGraphiQLPage`, Yoga's `renderGraphiQL` option)
 * whose scripts, stylesheet and workers are files under GRAPHIQL_ASSETS (`graphiqlAssets`, a Yoga
 * plugin), and whose options are a JSON data block, which is never executed. The page's policy
 * (GRAPHIQL_CSP) allows scripts, workers and requests to this origin only. The bundle is loaded
 * on the first request for the page or one of its files, never at start (its 9 MB of source grow
 * the process by about 50 MB), and served under a path named by its content hash, cached by
 * browsers for a year.
 */
import { createHash } from "node:crypto";
import type { GraphiQLOptions, Plugin } from "graphql-yoga";

/** Where the page's files are served: `/graphiql/<hash>/graphiql.js` and its siblings. */
export const GRAPHIQL_ASSETS = "/graphiql/";

/**
 * The page's Content-Security-Policy. Only this origin's scripts run (no inline script, no eval)
 * and only its workers start; requests go to this origin alone. Two allowances the bundle needs:
 * `style-src 'unsafe-inline'` (Monaco, the editor, writes its theme and decorations into `<style>`
 * elements it creates at run time, with no nonce), and `data:` fonts and images (the stylesheet
 * embeds its icon font and images as data: URLs).
 */
export const GRAPHIQL_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "worker-src 'self'",
  "connect-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** A tab of GraphiQL: an operation, its variables and headers (JSON text). */
export interface ExampleTab {
  query: string;
  variables?: string;
  headers?: string;
}

/**
 * The tabs GraphiQL opens on (until a visitor's own tabs are stored in the browser): the front
 * page, a day, a search, a dashboard and a vote, on the bundled sample data.
 */
export const EXAMPLE_TABS: ExampleTab[] = [
  {
    query: `# The front page: the ten papers trending now, with their authors and days.
# Run it with the play button (or Ctrl-Enter); the other tabs hold more examples.
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
`,
  },
  {
    query: `# A day's digest: its papers by rank, and the days before and after it.
query Day($date: Date!) {
  day(date: $date) {
    date paperCount totalUpvotes
    previous { date } next { date }
    papers(first: 5) { edges { node { rank upvotes paper { title } } } }
  }
}
`,
    variables: `{ "date": "2024-10-25" }`,
  },
  {
    query: `# Full-text search over titles and abstracts, best matches first.
query Search($search: String!) {
  papers(filter: { search: $search }, orderBy: { field: RELEVANCE }, first: 10) {
    totalCount
    nodes { title publishedAt upvotes }
  }
}
`,
    variables: `{ "search": "reinforcement learning" }`,
  },
  {
    query: `# A dashboard: papers and upvotes per month, and the most upvoted authors.
query Dashboard {
  timeSeries(from: "2024-10-01", to: "2025-12-31", bucket: MONTH) { bucket papers upvotes }
  topAuthors(from: "2024-01-01", to: "2025-12-31", first: 5) { author { name } papers upvotes }
}
`,
  },
  {
    query: `# An upvote, by a signed-in user: put your token in the headers below
# (npx papergraph user create alice; npx papergraph token create alice).
mutation Vote($paperId: ID!) {
  upvotePaper(input: { paperId: $paperId }) {
    changed viewerHasUpvoted
    paper { title upvotes localUpvotes }
  }
}
`,
    variables: `{ "paperId": "UGFwZXI6MQ==" }`,
    headers: `{ "Authorization": "Bearer pgt_your_token" }`,
  },
];

/** The options the page gives GraphiQL. */
export const GRAPHIQL_OPTIONS = {
  title: "papergraph",
  defaultTabs: EXAMPLE_TABS,
} satisfies GraphiQLOptions;

/** Runs in the page after the bundle: where Monaco finds its workers, then GraphiQL itself. */
const START_SCRIPT = `"use strict";
(() => {
  const base = document.currentScript.src.replace(/[^/]*$/, "");
  const workers = {
    editorWorkerService: "editor.worker.js",
    json: "json.worker.js",
    graphql: "graphql.worker.js",
  };
  self.MonacoEnvironment = {
    globalAPI: false,
    getWorkerUrl: (_moduleId, label) => base + workers[label],
  };
  const options = JSON.parse(document.getElementById("graphiql-options").textContent);
  YogaGraphiQL.renderYogaGraphiQL(document.getElementById("root"), options);
})();
`;

interface Asset {
  body: Uint8Array<ArrayBuffer>;
  type: string;
}

interface Bundle {
  /** `/graphiql/<hash>/`: changes with the content, so that the files can be cached for good. */
  base: string;
  files: Map<string, Asset>;
}

let bundle: Promise<Bundle> | undefined;

/** The bundle's files, loaded once, on first use. */
function loadBundle(): Promise<Bundle> {
  bundle ??= import("@graphql-yoga/render-graphiql/graphiql").then((graphiql) => {
    const encode = (text: string) => new TextEncoder().encode(text);
    const javascript = "text/javascript; charset=utf-8";
    const favicon = /^data:([^;,]+);base64,(.*)$/s.exec(graphiql.favicon);
    const files = new Map<string, Asset>([
      ["graphiql.js", { body: encode(graphiql.js), type: javascript }],
      ["start.js", { body: encode(START_SCRIPT), type: javascript }],
      ["graphiql.css", { body: encode(graphiql.css), type: "text/css; charset=utf-8" }],
      ["editor.worker.js", { body: encode(graphiql.editorWorkerService), type: javascript }],
      ["json.worker.js", { body: encode(graphiql.jsonWorker), type: javascript }],
      ["graphql.worker.js", { body: encode(graphiql.graphqlWorker), type: javascript }],
    ]);
    if (favicon?.[1] && favicon[2]) {
      files.set("favicon.ico", { body: Buffer.from(favicon[2], "base64"), type: favicon[1] });
    }
    const hash = createHash("sha256");
    for (const [name, file] of files) hash.update(name).update(file.body);
    return { base: `${GRAPHIQL_ASSETS}${hash.digest("hex").slice(0, 12)}/`, files };
  });
  return bundle;
}

/** Text for an HTML element's content or a JSON data block: no `<`, so no `</script>` either. */
function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Yoga's `renderGraphiQL`: the page, whose scripts and styles are the files of the bundle. */
export async function renderGraphiQLPage(options: GraphiQLOptions): Promise<string> {
  const { base, files } = await loadBundle();
  const json = JSON.stringify(options).replace(/</g, "\\u003c");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(options.title ?? "GraphiQL")}</title>
${files.has("favicon.ico") ? `<link rel="icon" href="${base}favicon.ico">\n` : ""}<link rel="stylesheet" href="${base}graphiql.css">
</head>
<body id="body" class="no-focus-outline">
<noscript>GraphiQL needs JavaScript.</noscript>
<div id="root"></div>
<script type="application/json" id="graphiql-options">${json}</script>
<script src="${base}graphiql.js"></script>
<script src="${base}start.js"></script>
</body>
</html>
`;
}

/**
 * Serves the page's files under GRAPHIQL_ASSETS (404 for any other path there, an old hash
 * included), and gives the page (Yoga's answer to a browser's GET of the endpoint) its policy.
 */
export function graphiqlAssets(): Plugin {
  return {
    async onRequest({ url, request, endResponse }) {
      if (!url.pathname.startsWith(GRAPHIQL_ASSETS)) return;
      const { base, files } = await loadBundle();
      const file = url.pathname.startsWith(base)
        ? files.get(url.pathname.slice(base.length))
        : undefined;
      if (!file || (request.method !== "GET" && request.method !== "HEAD")) {
        endResponse(new Response("not found", { status: 404 }));
        return;
      }
      endResponse(
        new Response(request.method === "HEAD" ? null : file.body, {
          headers: {
            "content-type": file.type,
            "content-length": String(file.body.byteLength),
            "cache-control": "public, max-age=31536000, immutable",
            "x-content-type-options": "nosniff",
          },
        }),
      );
    },
    onResponse({ response }) {
      // Another page of this server (the dashboard) comes with a policy of its own: it keeps it.
      if (response.headers.has("content-security-policy")) return;
      if (response.headers.get("content-type")?.startsWith("text/html")) {
        response.headers.set("content-security-policy", GRAPHIQL_CSP);
        response.headers.set("x-content-type-options", "nosniff");
      }
    },
  };
}
