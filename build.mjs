/**
 * `npm run build`: compiles the server (src/main.ts) and the CLI (src/cli.ts) to plain JavaScript,
 * dist/main.js and dist/cli.js, so that `npm start` runs them with node alone: no TypeScript is
 * compiled when the server starts (tsx spent about 2 s of each start on it).
 *
 * Each entry is one ES module bundled by esbuild with the project's code and most of its
 * dependencies: loading graphql, graphql-yoga, Pothos and their few hundred files one by one was
 * most of what was left of a start (bench/startup.ts measures it). Left outside, loaded from
 * node_modules (EXTERNAL): native code and what is loaded only by some configurations or on
 * first use (better-sqlite3, pg, ioredis, jsonwebtoken, graphile-worker: the job runner on
 * PostgreSQL), Prisma's runtime and adapters (their query compiler is a WebAssembly module,
 * imported when the first query runs), pino (whose
 * transports load files of its own package), OpenTelemetry's SDK and envelop's plugin
 * (imported only when OTEL_EXPORTER_OTLP_ENDPOINT is set: src/http/tracing.ts; its API package
 * stays bundled, prom-client uses it), and GraphiQL's 9 MB bundle (@graphql-yoga/render-graphiql,
 * imported when the page is first asked for). Since the same graphql-yoga, Pothos and graphql
 * come from the bundle, every copy of graphql in it is one module (its ES build, `mainFields`),
 * as under tsx.
 *
 * Run-time paths: src/paths.ts resolves the files read at run time (migrations, sample digests)
 * from the project's root; it is one level below the root in src/ and bundled into dist/ alike.
 *
 * dist/build.json records the build's inputs: the sources it bundled, package.json and npm's
 * record of node_modules (rewritten by every `npm install` and `npm ci`). `staleness()` says why
 * dist/ must be built again (missing, or an input changed since), which `npm start`
 * (src/start.mjs) does before it runs the server.
 *
 *   node build.mjs            build dist/
 *   node build.mjs --check    exit 1, saying why, when dist/ is missing or older than its inputs
 */
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = dirname(fileURLToPath(import.meta.url));
export const DIST = join(ROOT, "dist");
const MANIFEST = "build.json";

/** Loaded from node_modules at run time rather than bundled (see above). */
export const EXTERNAL = [
  "better-sqlite3",
  "pg",
  "pg-native",
  "ioredis",
  "jsonwebtoken",
  "@prisma/*",
  "pino",
  "graphile-worker",
  "@envelop/opentelemetry",
  "@opentelemetry/sdk-trace-base",
  "@opentelemetry/exporter-trace-otlp-http",
  "@opentelemetry/resources",
  "@graphql-yoga/render-graphiql",
];

/**
 * Prisma's runtime as the ES module it also ships (`runtime/client.mjs`): imported from an ES
 * module, its CommonJS build (which Node picks, the package's `node` condition coming first) is
 * parsed a second time to find its exports.
 */
const prismaRuntimeAsEsm = {
  name: "prisma-runtime-as-esm",
  setup(build) {
    build.onResolve({ filter: /^@prisma\/client\/runtime\/client$/ }, () => ({
      path: "@prisma/client/runtime/client.mjs",
      external: true,
    }));
  },
};

/** Inputs besides the bundled sources: a change of either can change what the bundle holds. */
const DEPENDENCY_RECORDS = ["package.json", "node_modules/.package-lock.json"];

/**
 * Builds dist/ (or `outdir`) into a directory of its own first, then puts it in place: a server
 * starting meanwhile reads a whole build, the old or the new one. Returns the build's duration.
 */
export async function build({ outdir = DIST } = {}) {
  const { build: esbuild } = await import("esbuild");
  const started = Date.now();
  const staging = `${outdir}.build-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const result = await esbuild({
    absWorkingDir: ROOT,
    entryPoints: { main: "src/main.ts", cli: "src/cli.ts" },
    outdir: staging,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20.19",
    external: EXTERNAL,
    mainFields: ["module", "main"],
    // Bundled CommonJS dependencies (prom-client, dataloader...) call `require` for Node's modules.
    banner: {
      js: 'import { createRequire as __papergraphRequire } from "node:module";\nconst require = __papergraphRequire(import.meta.url);',
    },
    // No `keepNames`: it wraps every function created, per request too, in a call that renames it
    // (10% of the CPU time of a small query). Classes keep their names without it (`var Name =
    // class`); the one renamed class of the sources (`Report`, twice in src/ingest/) is internal.
    sourcemap: "linked",
    plugins: [prismaRuntimeAsEsm],
    metafile: true,
    logLevel: "warning",
  });
  const sources = Object.keys(result.metafile.inputs).filter(
    (input) => !input.split("/").includes("node_modules"),
  );
  writeFileSync(
    join(staging, MANIFEST),
    `${JSON.stringify({ builtAt: started, inputs: [...sources, ...DEPENDENCY_RECORDS] }, null, 2)}\n`,
  );
  const previous = `${outdir}.old-${process.pid}`;
  if (existsSync(outdir)) renameSync(outdir, previous);
  renameSync(staging, outdir);
  rmSync(previous, { recursive: true, force: true });
  return Date.now() - started;
}

/**
 * Why dist/ (or `outdir`) must be built before it runs, or null when it is current: it is missing,
 * or one of the inputs it was built from (paths relative to `root`) changed, or went away, since.
 */
export function staleness({ outdir = DIST, root = ROOT } = {}) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(outdir, MANIFEST), "utf8"));
  } catch {
    return `${relative(root, outdir) || "."}/ has not been built`;
  }
  for (const input of manifest.inputs) {
    let modified;
    try {
      modified = statSync(join(root, input)).mtimeMs;
    } catch {
      // npm's record of node_modules is absent without node_modules: nothing to compare.
      if (DEPENDENCY_RECORDS.includes(input)) continue;
      return `${input} is gone since the last build`;
    }
    if (modified >= manifest.builtAt) return `${input} changed since the last build`;
  }
  return null;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes("--check")) {
    const reason = staleness();
    if (reason) {
      console.error(`papergraph: ${reason}: run \`npm run build\``);
      process.exit(1);
    }
  } else {
    const ms = await build();
    console.log(`built ${relative(process.cwd(), DIST) || "dist"}/ in ${ms} ms`);
  }
}
