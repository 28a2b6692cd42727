/**
 * The dashboard page in a real browser: headless Chromium (test/support/browser.ts) driven by
 * playwright-core against the server listening on a loopback port, on each engine, with sample
 * data of three digest days (the bundled API digest of 2024-10-25, and two later days that list
 * some of its papers again with more upvotes). The page must load from this server alone under
 * its policy (no request elsewhere, no console error: a policy violation is one), draw each
 * chart with the numbers the API answers (read from the Chart.js charts themselves and from the
 * tables' data attributes) and with the numbers the sample data makes, switch bucket, open a
 * paper's history, and take a new range. Saves a screenshot per engine in test-results/.
 * Skipped when no Chromium is installed (the global setup says so), unless REQUIRE_BROWSER=1.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ingest } from "../src/ingest/run.ts";
import type { Server } from "../src/server.ts";
import { HISTORY, SERIES, TOP_AUTHORS, TOP_PAPERS } from "../web/dashboard/api.js";
import { type Listening, listenOnLoopback, post, serverFor } from "./support/api.ts";
import { browserAvailable, CHROMIUM_PATH } from "./support/browser.ts";
import { createTestDatabase, ENGINES, type TestDatabase } from "./support/engines.ts";
import { type ApiItem, fixtureItems, JSON_FIXTURE } from "./support/ingest.ts";

/** Generous: two shared cores start a browser slowly. */
const BROWSER_MS = 180_000;
/** Each wait of a test (a panel to draw, a click to take effect); a test may take several. */
const STEP_MS = 90_000;
const TEST_MS = 400_000;
const SCREENSHOTS = "test-results";

/** The sample's days: the bundled digest, then two later ones (a Monday of the next ISO week, and a day of the next month). */
const FIRST_DAY = "2024-10-25";
const SECOND_DAY = "2024-10-28";
const LAST_DAY = "2024-11-04";

/** The bundled digest's papers again, the first `count` of them, each with `more` upvotes. */
function relisted(count: number, more: number): Buffer {
  const items: ApiItem[] = fixtureItems()
    .slice(0, count)
    .map((item: ApiItem) => ({
      ...item,
      paper: { ...item.paper, upvotes: item.paper.upvotes + more },
    }));
  return Buffer.from(JSON.stringify(items));
}

interface Point {
  bucket: string;
  papers: number;
  upvotes: number;
}
interface AuthorStat {
  author: { name: string };
  papers: number;
  upvotes: number;
}
interface TopPaper {
  id: string;
  title: string;
  upvotes: number;
}
interface History {
  node: { id: string; title: string; upvoteHistory: { date: string; upvotes: number }[] };
}

/** The data of an operation of the page's own (web/dashboard/api.js), asked of the API directly. */
async function ask<T>(server: Server, query: string, variables: object): Promise<T> {
  const result = await post<T>(server, { query, variables });
  if (result.errors || !result.data) throw new Error(JSON.stringify(result.errors));
  return result.data;
}

/** What a panel's chart shows: its labels and each dataset's values (Chart.js's own data). */
function chartOf(page: Page, panel: string) {
  return page.evaluate((id) => {
    const canvas = document.querySelector(`#${id} canvas`) as HTMLCanvasElement;
    // biome-ignore lint/suspicious/noExplicitAny: the page's global Chart.js (its UMD build)
    const chart = (globalThis as any).Chart.getChart(canvas);
    if (!chart) return undefined;
    return {
      labels: chart.data.labels as string[],
      datasets: (chart.data.datasets as { label: string; data: number[] }[]).map((set) => ({
        label: set.label,
        data: set.data,
      })),
      // Drawn: the canvas has a size and the chart has laid out its points.
      drawn: canvas.width > 0 && chart.getDatasetMeta(0).data.length === chart.data.labels.length,
    };
  }, panel);
}

/** The data attributes of a panel's table rows. */
function rowsOf(page: Page, panel: string) {
  return page.evaluate(
    (id) =>
      [...document.querySelectorAll(`#${id} tbody tr`)].map((row) => ({
        ...(row as HTMLElement).dataset,
      })),
    panel,
  );
}

describe.runIf(browserAvailable)("the dashboard in Chromium", { tags: ["stress"] }, () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, timeout: BROWSER_MS });
  }, BROWSER_MS);
  afterAll(async () => {
    await browser?.close();
  });

  describe.each(ENGINES)("on %s", (provider) => {
    let database: TestDatabase;
    let server: Server;
    let http: Listening;
    let origin: string;
    let context: BrowserContext;
    let page: Page;
    /** Requests the page made to anything but this server. */
    const elsewhere: string[] = [];
    /** Console errors and uncaught exceptions of the page (CSP violations are console errors). */
    const problems: string[] = [];

    beforeAll(async () => {
      database = await createTestDatabase(provider);
      const days = [
        { source: JSON_FIXTURE },
        { source: `${SECOND_DAY}.json`, bytes: relisted(10, 5) },
        { source: `${LAST_DAY}.json`, bytes: relisted(5, 12) },
      ];
      for (const [index, input] of days.entries()) {
        const date = [FIRST_DAY, SECOND_DAY, LAST_DAY][index];
        const report = await ingest(database.sql, [input], { date, today: "2026-11-28" });
        expect(report.failed).toBe(0);
      }
      server = serverFor(database);
      http = await listenOnLoopback(server);
      origin = new URL(http.url).origin;
      context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      page = await context.newPage();
      page.setDefaultTimeout(STEP_MS);
      page.on("request", (request) => {
        if (!request.url().startsWith(`${origin}/`)) elsewhere.push(request.url());
      });
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(message.text().slice(0, 300));
      });
      page.on("pageerror", (error) => problems.push(error.message));
    }, BROWSER_MS);

    afterAll(async () => {
      await context?.close();
      await http?.close();
      await database?.destroy();
    });

    /** Waits until a panel has drawn what it was last asked for. */
    async function ready(panel: string): Promise<void> {
      await page.locator(`#${panel}[data-state="ready"]`).waitFor();
      await page.waitForFunction((id) => {
        const canvas = document.querySelector(`#${id} canvas`);
        // biome-ignore lint/suspicious/noExplicitAny: the page's global Chart.js
        const chart = (globalThis as any).Chart?.getChart(canvas);
        return chart && chart.getDatasetMeta(0).data.length === chart.data.labels.length;
      }, panel);
    }

    /** The series chart and table show the API's timeSeries for the range and bucket. */
    async function expectSeries(from: string, to: string, bucket: string): Promise<Point[]> {
      const { timeSeries } = await ask<{ timeSeries: Point[] }>(server, SERIES, {
        from,
        to,
        bucket,
      });
      await page.waitForFunction(
        (labels) => {
          const canvas = document.querySelector("#series canvas");
          // biome-ignore lint/suspicious/noExplicitAny: the page's global Chart.js
          const chart = (globalThis as any).Chart?.getChart(canvas);
          return JSON.stringify(chart?.data.labels) === JSON.stringify(labels);
        },
        timeSeries.map((point) => point.bucket),
      );
      await ready("series");
      expect(await chartOf(page, "series")).toEqual({
        labels: timeSeries.map((point) => point.bucket),
        datasets: [
          { label: "Papers", data: timeSeries.map((point) => point.papers) },
          { label: "Upvotes", data: timeSeries.map((point) => point.upvotes) },
        ],
        drawn: true,
      });
      expect(await rowsOf(page, "series")).toEqual(
        timeSeries.map((point) => ({
          bucket: point.bucket,
          papers: String(point.papers),
          upvotes: String(point.upvotes),
        })),
      );
      return timeSeries;
    }

    it(
      "draws the API's numbers for the digests' whole range, by month, from this server alone",
      async () => {
        const response = await page.goto(`${origin}/dashboard`, { timeout: BROWSER_MS });
        expect(response?.headers()["content-security-policy"]).toMatch(/script-src 'self'/);
        await Promise.all([ready("series"), ready("authors"), ready("papers")]);
        // The default range: the digests' days; the default bucket: months.
        expect(await page.textContent("#extent")).toBe(`Digests from ${FIRST_DAY} to ${LAST_DAY}.`);
        expect(await page.inputValue("#from")).toBe(FIRST_DAY);
        expect(await page.inputValue("#to")).toBe(LAST_DAY);
        expect(await page.isChecked('input[name="bucket"][value="MONTH"]')).toBe(true);

        const months = await expectSeries(FIRST_DAY, LAST_DAY, "MONTH");
        // What the sample makes: the 29 papers of October (the 10 listed again on the 28th are
        // among them), the 5 of November; upvotes are each paper's now.
        const items = fixtureItems();
        const upvotesNow = items.reduce(
          (sum: number, item: ApiItem, index: number) =>
            sum + item.paper.upvotes + (index < 5 ? 12 : index < 10 ? 5 : 0),
          0,
        );
        const novemberUpvotes = items
          .slice(0, 5)
          .reduce((sum: number, item: ApiItem) => sum + item.paper.upvotes + 12, 0);
        expect(months).toEqual([
          expect.objectContaining({ bucket: "2024-10", papers: 29, upvotes: upvotesNow }),
          expect.objectContaining({ bucket: "2024-11", papers: 5, upvotes: novemberUpvotes }),
        ]);

        const variables = { from: FIRST_DAY, to: LAST_DAY, first: 10 };
        const { topAuthors } = await ask<{ topAuthors: AuthorStat[] }>(
          server,
          TOP_AUTHORS,
          variables,
        );
        expect(topAuthors).toHaveLength(10);
        expect(await chartOf(page, "authors")).toEqual({
          labels: topAuthors.map((stat) => stat.author.name),
          datasets: [{ label: "Papers", data: topAuthors.map((stat) => stat.papers) }],
          drawn: true,
        });
        expect(await rowsOf(page, "authors")).toEqual(
          topAuthors.map((stat) => ({
            author: stat.author.name,
            papers: String(stat.papers),
            upvotes: String(stat.upvotes),
          })),
        );

        const { topPapers } = await ask<{ topPapers: TopPaper[] }>(server, TOP_PAPERS, variables);
        expect(topPapers).toHaveLength(10);
        const chart = await chartOf(page, "papers");
        expect(chart?.datasets).toEqual([
          { label: "Upvotes", data: topPapers.map((paper) => paper.upvotes) },
        ]);
        // Long titles are cut in the chart's labels (the tooltip and the table keep them whole).
        expect(chart?.labels).toHaveLength(10);
        chart?.labels.forEach((label, index) => {
          const title = topPapers[index]?.title as string;
          expect(
            label === title || (label.endsWith("…") && title.startsWith(label.slice(0, -1))),
          ).toBe(true);
        });
        expect(await rowsOf(page, "papers")).toEqual(
          topPapers.map((paper) => ({ paperId: paper.id, upvotes: String(paper.upvotes) })),
        );
        // The most upvoted: the digest's first paper, with its 12 more.
        expect(topPapers[0]?.upvotes).toBe((items[0] as ApiItem).paper.upvotes + 12);
        expect(await page.locator("#papers tbody tr").first().locator("th").textContent()).toBe(
          topPapers[0]?.title,
        );

        expect(elsewhere).toEqual([]);
        expect(problems).toEqual([]);
      },
      TEST_MS,
    );

    it(
      "switches bucket, opens a paper's history, and takes a new range",
      async () => {
        await page.goto(`${origin}/dashboard`);
        await Promise.all([ready("series"), ready("papers")]);
        // Weeks: the 25th's ISO week, the next, and the one after.
        await page.getByRole("radio", { name: "Week", exact: true }).check();
        const weeks = await expectSeries(FIRST_DAY, LAST_DAY, "WEEK");
        expect(weeks.map((point) => [point.bucket, point.papers])).toEqual([
          ["2024-W43", 29],
          ["2024-W44", 10],
          ["2024-W45", 5],
        ]);
        expect(await page.textContent("#series-title")).toBe("Papers and upvotes per week");
        // Days: one point per day of the range, the empty ones with zeros.
        await page.getByRole("radio", { name: "Day", exact: true }).check();
        const days = await expectSeries(FIRST_DAY, LAST_DAY, "DAY");
        expect(days).toHaveLength(11);
        expect(days.filter((point) => point.papers > 0).map((point) => point.bucket)).toEqual([
          FIRST_DAY,
          SECOND_DAY,
          LAST_DAY,
        ]);

        // The first top paper's history, by its button.
        const first = page.locator("#papers tbody tr").first();
        const id = (await first.getAttribute("data-paper-id")) as string;
        await first.getByRole("button", { name: /^Upvote history of / }).click();
        await ready("history");
        const { node } = await ask<History>(server, HISTORY, { id });
        const upvotes = (fixtureItems()[0] as ApiItem).paper.upvotes;
        expect(node.upvoteHistory).toEqual([
          { date: FIRST_DAY, upvotes },
          { date: SECOND_DAY, upvotes: upvotes + 5 },
          { date: LAST_DAY, upvotes: upvotes + 12 },
        ]);
        expect(await chartOf(page, "history")).toEqual({
          labels: node.upvoteHistory.map((point) => point.date),
          datasets: [{ label: "Upvotes", data: node.upvoteHistory.map((point) => point.upvotes) }],
          drawn: true,
        });
        expect(await rowsOf(page, "history")).toEqual(
          node.upvoteHistory.map((point) => ({ date: point.date, upvotes: String(point.upvotes) })),
        );
        expect(await page.textContent("#history .paper-title")).toBe(node.title);
        expect(await first.getByRole("button").getAttribute("aria-pressed")).toBe("true");
        // The view is in the address bar, to share.
        const address = new URL(page.url());
        expect(Object.fromEntries(address.searchParams)).toEqual({
          from: FIRST_DAY,
          to: LAST_DAY,
          bucket: "DAY",
          paper: id,
        });

        mkdirSync(SCREENSHOTS, { recursive: true });
        const screenshot = `${SCREENSHOTS}/dashboard-${provider}.png`;
        await page.screenshot({ path: screenshot, fullPage: true });
        expect(readFileSync(screenshot).subarray(1, 4).toString()).toBe("PNG");

        // A new range, from the second day: its 10 papers, by day.
        await page.fill("#from", SECOND_DAY);
        await page.getByRole("button", { name: "Show range" }).click();
        await expectSeries(SECOND_DAY, LAST_DAY, "DAY");
        await page.waitForFunction(
          () =>
            document.querySelectorAll("#papers tbody tr").length === 10 &&
            document.querySelector("#papers")?.getAttribute("data-state") === "ready",
        );
        const { topPapers } = await ask<{ topPapers: TopPaper[] }>(server, TOP_PAPERS, {
          from: SECOND_DAY,
          to: LAST_DAY,
          first: 10,
        });
        expect(await rowsOf(page, "papers")).toEqual(
          topPapers.map((paper) => ({ paperId: paper.id, upvotes: String(paper.upvotes) })),
        );
        // A range that ends before it starts is not sent: the form says why.
        await page.fill("#to", FIRST_DAY);
        await page.getByRole("button", { name: "Show range" }).click();
        expect(
          await page.$eval("#to", (input) => (input as HTMLInputElement).validationMessage),
        ).toBe("The range ends before it starts.");
        expect(await page.locator("#series").getAttribute("data-state")).toBe("ready");

        expect(elsewhere).toEqual([]);
        expect(problems).toEqual([]);
      },
      TEST_MS,
    );

    it(
      "opens on a view from its address, and shows the API's refusal of one panel in its place",
      async () => {
        const { topPapers } = await ask<{ topPapers: TopPaper[] }>(server, TOP_PAPERS, {
          from: FIRST_DAY,
          to: LAST_DAY,
          first: 1,
        });
        const id = topPapers[0]?.id as string;
        // Six years: within the cost limits of the series and the top papers, not of the top
        // authors (priced by the day).
        const from = "2018-11-05";
        const refused = await post(server, {
          query: TOP_AUTHORS,
          variables: { from, to: LAST_DAY, first: 10 },
        });
        const code = refused.errors?.[0]?.extensions?.code;
        expect(code).toBe("QUERY_TOO_COMPLEX");
        // A view from the address bar: the range, the bucket and the paper.
        await page.goto(
          `${origin}/dashboard?from=${SECOND_DAY}&to=${LAST_DAY}&bucket=WEEK&paper=${id}`,
        );
        await Promise.all([ready("authors"), ready("papers"), ready("history")]);
        await expectSeries(SECOND_DAY, LAST_DAY, "WEEK");
        expect(await page.inputValue("#from")).toBe(SECOND_DAY);
        expect(await page.getAttribute("#history", "data-paper-id")).toBe(id);
        expect((await rowsOf(page, "history")).map((row) => row.date)).toEqual([
          FIRST_DAY,
          SECOND_DAY,
          LAST_DAY,
        ]);
        expect(await page.locator("#authors tbody tr").count()).toBe(10);

        // Six years: refused for the top authors, in their panel, with none of the earlier
        // range's numbers left; the other panels draw the new range.
        await page.fill("#from", from);
        await page.getByRole("button", { name: "Show range" }).click();
        await page.locator('#authors[data-state="error"]').waitFor();
        expect(await page.textContent("#authors .status")).toBe(
          `The API refused: ${refused.errors?.[0]?.message} (${code})`,
        );
        expect(await page.locator("#authors tbody tr").count()).toBe(0);
        expect(await page.locator("#authors canvas").isVisible()).toBe(false);
        await expectSeries(from, LAST_DAY, "WEEK");
        await ready("papers");
        expect(new URL(page.url()).searchParams.get("from")).toBe(from);
        // The refusal is a 4xx answer of the API, which the browser reports on its console.
        expect(problems.filter((problem) => !/status of 4\d\d/.test(problem))).toEqual([]);
        expect(elsewhere).toEqual([]);
      },
      TEST_MS,
    );
  });
});
