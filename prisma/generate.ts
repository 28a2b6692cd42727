/**
 * `npm run generate`: writes one Prisma schema per engine from prisma/models.prisma and generates a
 * Prisma 7 client for each into src/generated/prisma/<provider>.
 *
 * The Prisma 7 CLI wants a native schema engine that cannot be downloaded here, although `generate`
 * only uses the bundled WASM. Pointing PRISMA_SCHEMA_ENGINE_BINARY at a stub executable lets it run.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROVIDERS, writeProviderSchemas } from "./schemas.ts";

// Both Prisma CLIs install a `prisma` bin (7 for the app, 6 for migration authoring): call by path.
const PRISMA7_CLI = "node_modules/prisma/build/index.js";

const stub = join(tmpdir(), "papergraph-schema-engine-stub");
writeFileSync(stub, "#!/bin/sh\nexit 1\n");
chmodSync(stub, 0o755);

const paths = writeProviderSchemas();
for (const provider of PROVIDERS) {
  mkdirSync(`src/generated/prisma/${provider}`, { recursive: true });
  execFileSync(process.execPath, [PRISMA7_CLI, "generate", "--schema", paths[provider]], {
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: stub, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
  });
  console.log(`generated ${paths[provider]} -> src/generated/prisma/${provider}`);
}
