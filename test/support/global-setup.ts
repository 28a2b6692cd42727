/** Says once, before the suites run, which engines they run on and what is skipped. */

import type { TestProject } from "vitest/node";
import { browserAvailable, CHROMIUM_PATH } from "./browser.ts";
import {
  migratedTemplates,
  POSTGRES_ADMIN_URL,
  postgresAvailable,
  REDIS_URL,
  redisAvailable,
} from "./engines.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (project.globalConfig.tagsFilter?.includes("!stress")) {
    console.warn(
      "\nSKIPPED: the long proofs tagged `stress` (server processes, frozen databases, plan comparisons, the browser). Run them with `npm run test:stress`; `npm run test:all` (CI) runs everything.\n",
    );
  }
  if (!browserAvailable) {
    console.warn(
      `\nSKIPPED: the browser suites (GraphiQL and the dashboard in headless Chromium). No Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH; CI sets REQUIRE_BROWSER=1).\n`,
    );
  }
  if (!redisAvailable) {
    console.warn(
      `\nSKIPPED: the Redis suite (two server processes sharing live updates). No server at ${REDIS_URL} (set TEST_REDIS_URL; CI sets REQUIRE_REDIS=1).\n`,
    );
  }
  if (postgresAvailable) {
    console.log(`database suites run on: sqlite, postgresql (${POSTGRES_ADMIN_URL})`);
  } else {
    console.warn(
      `\nSKIPPED: the PostgreSQL suites. No server answers at ${POSTGRES_ADMIN_URL} ` +
        "(set TEST_POSTGRES_URL to point at one; CI sets REQUIRE_POSTGRES=1 and fails instead).\n" +
        "database suites run on: sqlite\n",
    );
  }
  // The migrated databases every test database is a copy of (test/support/engines.ts).
  const templates = await migratedTemplates();
  project.provide("postgresTemplate", templates.postgres);
  project.provide("sqliteTemplate", templates.sqlite);
  return templates.drop;
}
