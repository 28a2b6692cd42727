/**
 * The browser of the browser suites: headless Chromium, Debian's `/usr/bin/chromium` (or
 * CHROMIUM_PATH), driven by playwright-core. Without one the suites are skipped, and the global
 * setup says so; with REQUIRE_BROWSER=1 (CI) a missing browser is a failure, never a skip.
 */
import { existsSync } from "node:fs";
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

export const browserAvailable = existsSync(CHROMIUM_PATH);
if (!browserAvailable && process.env.REQUIRE_BROWSER === "1") {
  throw new Error(
    `REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`,
  );
}

/** Generous: two shared cores start a browser and parse megabytes of script slowly. */
export const BROWSER_MS = 180_000;
/** Each wait of a test (a click to take effect, text or a chart to appear); a test may take several. */
export const STEP_MS = 90_000;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, timeout: BROWSER_MS });
}

export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /** Requests the page made to anything but `origin` (data: URLs aside). */
  elsewhere: string[];
  /** Console errors and uncaught exceptions of the page (a policy violation is a console error). */
  problems: string[];
}

/**
 * A page in a browser context of its own (nothing stored by another run, nothing shared between
 * engines), recording what it asks of other origins and the errors it logs.
 */
export async function watchedPage(
  browser: Browser,
  origin: string,
  options: BrowserContextOptions = {},
): Promise<WatchedPage> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  const elsewhere: string[] = [];
  const problems: string[] = [];
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(`${origin}/`) && !url.startsWith("data:")) elsewhere.push(url);
  });
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text().slice(0, 300));
  });
  page.on("pageerror", (error) => problems.push(error.message));
  return { context, page, elsewhere, problems };
}
