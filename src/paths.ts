/**
 * The files papergraph reads at run time (migrations, sample digests, the dashboard page), found
 * from the project's root. This module sits one level below the root as src/paths.ts when run from source (tsx), and
 * its code is one level below it as well when bundled into dist/*.js (`npm run build`), so one
 * relative URL serves both. Modules elsewhere must not resolve files from their own location:
 * bundled, their `import.meta.url` is the bundle's.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = new URL("../", import.meta.url);

/** prisma/migrations/: one folder per engine, one folder per migration in each. */
export const MIGRATIONS_DIR = fileURLToPath(new URL("prisma/migrations/", ROOT));

/** prisma/seed/: the sample digests loaded into an empty embedded database. */
export const SAMPLE_DIR = fileURLToPath(new URL("prisma/seed/", ROOT));

/** web/dashboard/: the dashboard page's static files (src/http/dashboard.ts serves them). */
export const DASHBOARD_DIR = fileURLToPath(new URL("web/dashboard/", ROOT));

/**
 * Chart.js's browser build (UMD: one file, no imports), found from the project's root like the
 * files above (bundled into dist/, a module's own location is the bundle's). Resolved when the
 * dashboard is first asked for, not at start: the CLI never needs it.
 */
export function chartJsFile(): string {
  const main = createRequire(new URL("package.json", ROOT)).resolve("chart.js");
  return join(dirname(main), "chart.umd.min.js");
}
