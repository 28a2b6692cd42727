/**
 * GraphiQL in a real browser: headless Chromium (test/support/browser.ts) driven by playwright-core
 * against the server listening on a loopback port, on each engine. The page must render from this
 * server alone under its Content-Security-Policy (no request elsewhere, no violation), open on the
 * example operations, one tab each, and run them. Skipped when no Chromium is installed (the
 * global setup says so), unless REQUIRE_BROWSER=1.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLE_TABS } from "../src/http/graphiql.ts";
import { ingest } from "../src/ingest/run.ts";
import { type Listening, listenOnLoopback, serverFor } from "./support/api.ts";
import { BROWSER_MS, browserAvailable, launchChromium, watchedPage } from "./support/browser.ts";
import { createTestDatabase, ENGINES, type TestDatabase } from "./support/engines.ts";
import { JSON_FIXTURE } from "./support/ingest.ts";

const TEST_MS = 400_000;

const TAB_NAMES = ["FrontPage", "Day", "Search", "Dashboard", "Vote"];

describe.runIf(browserAvailable)("GraphiQL in Chromium", { tags: ["stress"] }, () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchChromium();
  }, BROWSER_MS);
  afterAll(async () => {
    await browser?.close();
  });

  describe.each(ENGINES)("on %s", (provider) => {
    let database: TestDatabase;
    let http: Listening;
    let context: BrowserContext;
    let page: Page;
    let elsewhere: string[];
    let problems: string[];

    beforeAll(async () => {
      database = await createTestDatabase(provider);
      const report = await ingest(database.sql, [{ source: JSON_FIXTURE }], {
        today: "2026-11-28",
      });
      expect(report.failed).toBe(0);
      http = await listenOnLoopback(serverFor(database));
      ({ context, page, elsewhere, problems } = await watchedPage(
        browser,
        new URL(http.url).origin,
      ));
    }, BROWSER_MS);
    /**
     * Opens a tab as a user does, by its button. The first click after the page loads can be
     * taken by the tab bar (its tabs can be dragged into another order): click until it opens.
     */
    async function openTab(name: string): Promise<void> {
      const opened = page.locator('.graphiql-tab[aria-selected="true"]', { hasText: name });
      for (let attempt = 1; ; attempt++) {
        await page.locator(".graphiql-tab-button", { hasText: name }).click();
        try {
          await opened.waitFor({ timeout: 5_000 });
          return;
        } catch (error) {
          if (attempt === 5) throw error;
        }
      }
    }
    /**
     * Runs the open tab's operation as a user does, by the execute button, until the response
     * shows `text`. A click can be lost as the tab's editor settles (the response then keeps
     * the previous tab's answer): click again, the operations are reads.
     */
    async function runUntil(text: string): Promise<void> {
      const shown = page.locator(".graphiql-response").filter({ hasText: text });
      for (let attempt = 1; ; attempt++) {
        await page.locator(".graphiql-execute-button").click();
        try {
          await shown.waitFor({ timeout: 15_000 });
          return;
        } catch (error) {
          if (attempt === 5) throw error;
        }
      }
    }
    /** Waits for a line of the query editor (Monaco renders one element per line). */
    const editorLine = (text: string) =>
      page.locator(".graphiql-query-editor .view-line", { hasText: text }).first().waitFor();

    afterAll(async () => {
      await context?.close();
      await http?.close();
      await database?.destroy();
    });

    it(
      "renders from this server alone, under its policy, on the example operations",
      async () => {
        const response = await page.goto(http.url, { timeout: BROWSER_MS });
        expect(response?.headers()["content-security-policy"]).toMatch(/script-src 'self'/);
        const tabs = page.locator(".graphiql-tab");
        await tabs.nth(TAB_NAMES.length - 1).waitFor();
        expect(await tabs.allInnerTexts()).toEqual(TAB_NAMES);
        // The editor holds the first example, as written.
        await editorLine("query FrontPage {");
        // Another tab, another example.
        await openTab("Search");
        await editorLine("query Search($search: String!) {");
        expect(EXAMPLE_TABS[2]?.query).toContain("query Search($search: String!) {");
        expect(elsewhere).toEqual([]);
        expect(problems).toEqual([]);
      },
      TEST_MS,
    );

    it(
      "runs an example and shows its data",
      async () => {
        const result = page.locator(".graphiql-response");
        await openTab("FrontPage");
        await editorLine("query FrontPage {");
        // The 29 papers of the sample day.
        await runUntil('"totalCount": 29');
        // With variables: the Day example asks for the sample day by its date.
        await openTab("Day");
        await editorLine("query Day($date: Date!) {");
        await runUntil('"paperCount": 29');
        await result.filter({ hasText: '"date": "2024-10-25"' }).waitFor();
        expect(elsewhere).toEqual([]);
        expect(problems).toEqual([]);
      },
      TEST_MS,
    );
  });
});
