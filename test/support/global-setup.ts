/** Says once, before the suites run, which engines they run on and what is skipped. */
import { POSTGRES_ADMIN_URL, postgresAvailable } from "./engines.ts";

export default function setup(): void {
  if (postgresAvailable) {
    console.log(`database suites run on: sqlite, postgresql (${POSTGRES_ADMIN_URL})`);
  } else {
    console.warn(
      `\nSKIPPED: the PostgreSQL suites. No server answers at ${POSTGRES_ADMIN_URL} ` +
        "(set TEST_POSTGRES_URL to point at one; CI sets REQUIRE_POSTGRES=1 and fails instead).\n" +
        "database suites run on: sqlite\n",
    );
  }
}
