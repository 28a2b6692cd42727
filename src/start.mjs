// `npm start`: runs the compiled server, dist/main.js, in this process (signals reach it: npm
// runs this with `exec`). dist/ is built by `npm ci` (postinstall) and `npm run build`; when it
// is missing, or older than a source it was built from, it is built again first, so that
// `npm start` never serves other code than the checkout's.
import { build, DIST, staleness } from "../build.mjs";

// graphql-js picks its production code at load (e.g. a plain `instanceof` where development mode
// compares class names on every check: 2.5% of a page's CPU), as Yoga does: set it unless told.
process.env.NODE_ENV ??= "production";

const reason = staleness();
if (reason) {
  console.error(`papergraph: ${reason}: building dist/ first (npm run build)`);
  try {
    await build();
  } catch (error) {
    console.error(
      `papergraph: the build failed: ${error instanceof Error ? error.message : error}`,
    );
    process.exit(1);
  }
}
await import(`${DIST}/main.js`);
