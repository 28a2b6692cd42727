/**
 * The browser of the browser suites: headless Chromium, Debian's `/usr/bin/chromium` (or
 * CHROMIUM_PATH), driven by playwright-core. Without one the suites are skipped, and the global
 * setup says so; with REQUIRE_BROWSER=1 (CI) a missing browser is a failure, never a skip.
 */
import { existsSync } from "node:fs";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

export const browserAvailable = existsSync(CHROMIUM_PATH);
if (!browserAvailable && process.env.REQUIRE_BROWSER === "1") {
  throw new Error(
    `REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
}
