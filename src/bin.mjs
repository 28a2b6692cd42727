#!/usr/bin/env node
// The `papergraph` command. It runs the compiled CLI, dist/cli.js, when dist/ is built from the
// checkout's sources as they are (`npm ci` and `npm run build` build it): a command starts in
// about a third of the time. When dist/ is missing or older than a source (a checkout being
// edited), it runs the TypeScript sources through tsx's loader instead, so that the command never
// runs other code than the checkout's.
import { DIST, staleness } from "../build.mjs";

if (staleness() === null) {
  await import(`${DIST}/cli.js`);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("./cli.ts");
}
