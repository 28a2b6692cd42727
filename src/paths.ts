/**
 * The files papergraph reads at run time (migrations, sample digests), found from the project's
 * root. This module sits one level below the root as src/paths.ts when run from source (tsx), and
 * its code is one level below it as well when bundled into dist/*.js (`npm run build`), so one
 * relative URL serves both. Modules elsewhere must not resolve files from their own location:
 * bundled, their `import.meta.url` is the bundle's.
 */
import { fileURLToPath } from "node:url";

const ROOT = new URL("../", import.meta.url);

/** prisma/migrations/: one folder per engine, one folder per migration in each. */
export const MIGRATIONS_DIR = fileURLToPath(new URL("prisma/migrations/", ROOT));

/** prisma/seed/: the sample digests loaded into an empty embedded database. */
export const SAMPLE_DIR = fileURLToPath(new URL("prisma/seed/", ROOT));
