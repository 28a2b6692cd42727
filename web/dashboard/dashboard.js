/**
 * The dashboard page's behaviour: reads the range and bucket from the form (and the address bar,
 * so that a view can be shared), asks the API for each panel's numbers, and shows each as a chart
 * (charts.js) and as a table. Each panel is loaded on its own: a slow or refused one (a range too
 * long for the API's cost limit, say) shows its error and leaves the others be, and a newer
 * request of a panel aborts the older one. Each panel's section says where it is in
 * `data-state` (idle, loading, ready, error); table rows carry their numbers in data attributes.
 */
import {
  DEFAULT_SPAN_DAYS,
  EXTENT,
  HISTORY,
  request,
  SERIES,
  TOP,
  TOP_AUTHORS,
  TOP_PAPERS,
} from "./api.js";
import { drawBars, drawHistory, drawSeries } from "./charts.js";

const DAY_MS = 86_400_000;
const BUCKET_NAMES = { DAY: "day", WEEK: "week", MONTH: "month" };
const numbers = new Intl.NumberFormat("en");

const form = document.getElementById("controls");
const extentStatus = document.getElementById("extent");

/** `1 day`, `2 days`. */
function count(n, noun) {
  return `${numbers.format(n)} ${noun}${n === 1 ? "" : "s"}`;
}

/** `YYYY-MM-DD`, `days` days after (or before) the given one. */
function addDays(date, days) {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** One panel of the page: its section, status line, canvas, table, and request in flight. */
class Panel {
  constructor(id) {
    this.section = document.getElementById(id);
    this.status = this.section.querySelector(".status");
    this.canvas = this.section.querySelector("canvas");
    this.rows = this.section.querySelector("tbody");
    this.controller = undefined;
  }

  /**
   * Fetches (`fetchData(signal)`) and shows (`show(data)`, which returns the status line) the
   * panel's numbers; an older load still running is aborted first.
   */
  async load(fetchData, show) {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.section.dataset.state = "loading";
    this.section.setAttribute("aria-busy", "true");
    this.status.textContent = "Loading…";
    try {
      const data = await fetchData(controller.signal);
      if (controller.signal.aborted) return;
      this.status.textContent = show(data);
      this.section.dataset.state = "ready";
    } catch (error) {
      if (controller.signal.aborted) return;
      this.status.textContent = error.code
        ? `The API refused: ${error.message} (${error.code})`
        : `Could not load this panel: ${error.message}`;
      // No numbers of an earlier range are left beside the error (the stylesheet hides the chart).
      this.fill([]);
      this.section.dataset.state = "error";
    } finally {
      if (this.controller === controller) this.section.removeAttribute("aria-busy");
    }
  }

  /** Replaces the table's rows: each `[data, cells]`, cells made by `cell`. */
  fill(rows) {
    this.rows.replaceChildren(
      ...rows.map(([data, cells]) => {
        const tr = document.createElement("tr");
        Object.assign(tr.dataset, data);
        tr.append(...cells);
        return tr;
      }),
    );
  }
}

/** A table cell: text, a number (formatted, right-aligned) or an element. */
function cell(content, tag = "td") {
  const td = document.createElement(tag);
  if (typeof content === "number") {
    td.className = "number";
    td.textContent = numbers.format(content);
  } else if (content instanceof Node) {
    td.append(content);
  } else {
    td.textContent = content;
  }
  if (tag === "th") td.scope = "row";
  return td;
}

/** A paper's title, linked to its arXiv page when it has one. */
function titleOf(paper) {
  if (!paper.arxivUrl) return document.createTextNode(paper.title);
  const link = document.createElement("a");
  link.href = paper.arxivUrl;
  link.textContent = paper.title;
  return link;
}

const panels = {
  series: new Panel("series"),
  authors: new Panel("authors"),
  papers: new Panel("papers"),
  history: new Panel("history"),
};

/** What the page shows: the range, the bucket and the paper whose history is open. */
const view = { from: "", to: "", bucket: "MONTH", paper: "" };

/** Keeps the view in the address bar (without a new history entry). */
function remember() {
  const params = new URLSearchParams({ from: view.from, to: view.to, bucket: view.bucket });
  if (view.paper) params.set("paper", view.paper);
  history.replaceState(null, "", `?${params}`);
}

function loadSeries() {
  const { from, to, bucket } = view;
  for (const name of document.querySelectorAll(".bucket-name")) {
    name.textContent = BUCKET_NAMES[bucket];
  }
  return panels.series.load(
    (signal) => request(SERIES, { from, to, bucket }, signal),
    ({ timeSeries }) => {
      drawSeries(panels.series.canvas, timeSeries);
      panels.series.fill(
        timeSeries.map((point) => [
          { bucket: point.bucket, papers: point.papers, upvotes: point.upvotes },
          [
            cell(point.bucket, "th"),
            cell(point.start),
            cell(point.end),
            cell(point.papers),
            cell(point.upvotes),
          ],
        ]),
      );
      const papers = timeSeries.reduce((sum, point) => sum + point.papers, 0);
      const busy = timeSeries.filter((point) => point.papers > 0).length;
      return papers === 0
        ? `No digest lists a paper from ${from} to ${to}.`
        : `${count(timeSeries.length, BUCKET_NAMES[bucket])} from ${from} to ${to}, ${busy} with papers.`;
    },
  );
}

function loadAuthors() {
  const { from, to } = view;
  return panels.authors.load(
    (signal) => request(TOP_AUTHORS, { from, to, first: TOP }, signal),
    ({ topAuthors }) => {
      drawBars(panels.authors.canvas, {
        label: "Papers",
        names: topAuthors.map((stat) => stat.author.name),
        values: topAuthors.map((stat) => stat.papers),
        colourName: "--papers",
      });
      panels.authors.fill(
        topAuthors.map((stat, index) => [
          { author: stat.author.name, papers: stat.papers, upvotes: stat.upvotes },
          [cell(index + 1), cell(stat.author.name, "th"), cell(stat.papers), cell(stat.upvotes)],
        ]),
      );
      return topAuthors.length === 0 ? "No author in this range." : "";
    },
  );
}

/** The History button of a top paper. */
function historyButton(paper) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "pick";
  button.textContent = "History";
  button.dataset.paperId = paper.id;
  button.setAttribute("aria-controls", "history");
  button.setAttribute("aria-pressed", String(paper.id === view.paper));
  button.setAttribute("aria-label", `Upvote history of ${paper.title}`);
  button.addEventListener("click", () => pickPaper(paper.id));
  return button;
}

function loadPapers() {
  const { from, to } = view;
  return panels.papers.load(
    (signal) => request(TOP_PAPERS, { from, to, first: TOP }, signal),
    ({ topPapers }) => {
      drawBars(panels.papers.canvas, {
        label: "Upvotes",
        names: topPapers.map((paper) => paper.title),
        values: topPapers.map((paper) => paper.upvotes),
        colourName: "--upvotes",
        onPick: (index) => pickPaper(topPapers[index].id),
      });
      panels.papers.fill(
        topPapers.map((paper, index) => [
          { paperId: paper.id, upvotes: paper.upvotes },
          [
            cell(index + 1),
            cell(titleOf(paper), "th"),
            cell(paper.upvotes),
            cell(historyButton(paper)),
          ],
        ]),
      );
      return topPapers.length === 0 ? "No paper in this range." : "";
    },
  );
}

function loadHistory() {
  const id = view.paper;
  const title = panels.history.section.querySelector(".paper-title");
  return panels.history.load(
    (signal) => request(HISTORY, { id }, signal),
    ({ node }) => {
      const points = node?.upvoteHistory ?? [];
      title.replaceChildren(node ? titleOf(node) : "");
      panels.history.section.dataset.paperId = node?.id ?? "";
      drawHistory(panels.history.canvas, points);
      panels.history.fill(
        points.map((point) => [
          { date: point.date, upvotes: point.upvotes },
          [cell(point.date, "th"), cell(point.upvotes)],
        ]),
      );
      if (!node) return "That paper is not in this server's data.";
      return points.length === 1
        ? "One digest day so far: the history grows as later digests list the paper again."
        : `Its upvotes on the ${points.length} digest days that changed them, oldest first.`;
    },
  );
}

/** Opens a paper's history (from its History button or its bar). */
function pickPaper(id) {
  view.paper = id;
  for (const button of document.querySelectorAll("button.pick")) {
    button.setAttribute("aria-pressed", String(button.dataset.paperId === id));
  }
  remember();
  return loadHistory();
}

/** The range typed in the form, checked (`to` not before `from`); false when it is not valid. */
function readRange() {
  const from = form.elements.from;
  const to = form.elements.to;
  to.setCustomValidity(
    from.value && to.value && to.value < from.value ? "The range ends before it starts." : "",
  );
  if (!form.reportValidity()) return false;
  view.from = from.value;
  view.to = to.value;
  return true;
}

function showRange() {
  form.elements.from.value = view.from;
  form.elements.to.value = view.to;
  for (const radio of form.elements.bucket) radio.checked = radio.value === view.bucket;
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  if (!readRange()) return;
  remember();
  loadSeries();
  loadAuthors();
  loadPapers();
});

form.addEventListener("change", (event) => {
  if (event.target.name !== "bucket") return;
  view.bucket = event.target.value;
  remember();
  loadSeries();
});

/** The newest and oldest digest days, or undefined when the extent could not be read. */
async function readExtent() {
  try {
    const { newest, oldest } = await request(EXTENT, {});
    const last = newest.nodes[0]?.date;
    const first = oldest.nodes[0]?.date;
    extentStatus.textContent = last
      ? `Digests from ${first} to ${last}.`
      : "No digests yet: ingest or fetch some, then reload this page.";
    return last ? { first, last } : undefined;
  } catch (error) {
    extentStatus.textContent = `The API could not be read: ${error.message}`;
    return undefined;
  }
}

async function start() {
  const params = new URLSearchParams(location.search);
  const extent = await readExtent();
  const today = new Date().toISOString().slice(0, 10);
  const last = extent?.last ?? today;
  const first = extent?.first ?? addDays(last, -30);
  const span = Math.min(DEFAULT_SPAN_DAYS - 1, (Date.parse(last) - Date.parse(first)) / DAY_MS);
  view.from = params.get("from") || addDays(last, -span);
  view.to = params.get("to") || last;
  view.bucket = BUCKET_NAMES[params.get("bucket")] ? params.get("bucket") : view.bucket;
  view.paper = params.get("paper") || "";
  showRange();
  remember();
  const loads = [loadSeries(), loadAuthors(), loadPapers()];
  if (view.paper) loads.push(loadHistory());
  await Promise.all(loads);
}

start();
