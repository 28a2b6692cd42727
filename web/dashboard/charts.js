/**
 * The dashboard's charts, drawn with Chart.js (its browser build, loaded by the page before this
 * module as the global `Chart`). One chart per canvas: drawing again replaces the previous one.
 * Colours come from the stylesheet's custom properties (`--papers`, `--upvotes`, ...), so that
 * the page's look lives in dashboard.css. Animations are off: the numbers appear as they are.
 */

/** Bar labels longer than this (paper titles) are cut, with an ellipsis; tooltips keep them whole. */
const LABEL_CHARS = 32;
/** The thickest a bar is drawn (pixels), however few there are. */
const MAX_BAR_PX = 48;

function colour(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function shorten(text) {
  return text.length > LABEL_CHARS ? `${text.slice(0, LABEL_CHARS - 1)}…` : text;
}

/** Chart.js's options every chart shares. */
function baseOptions() {
  return {
    animation: false,
    responsive: true,
    maintainAspectRatio: false,
    interaction: { mode: "index", intersect: false },
    plugins: { legend: { labels: { boxWidth: 12, color: colour("--ink") } } },
  };
}

function draw(canvas, config) {
  globalThis.Chart.getChart(canvas)?.destroy();
  return new globalThis.Chart(canvas, config);
}

const grid = () => ({ color: colour("--grid") });
const ticks = () => ({ color: colour("--muted"), precision: 0 });

/** Papers (bars, left axis) and upvotes (a line, right axis) per bucket. */
export function drawSeries(canvas, points) {
  return draw(canvas, {
    data: {
      labels: points.map((point) => point.bucket),
      datasets: [
        {
          type: "bar",
          label: "Papers",
          data: points.map((point) => point.papers),
          backgroundColor: colour("--papers"),
          maxBarThickness: MAX_BAR_PX,
          yAxisID: "papers",
          order: 2,
        },
        {
          type: "line",
          label: "Upvotes",
          data: points.map((point) => point.upvotes),
          borderColor: colour("--upvotes"),
          backgroundColor: colour("--upvotes"),
          pointRadius: points.length > 60 ? 0 : 3,
          borderWidth: 2,
          yAxisID: "upvotes",
          order: 1,
        },
      ],
    },
    options: {
      ...baseOptions(),
      // The line is drawn over the bars (`order`), and listed after them.
      plugins: { legend: { reverse: true, labels: { boxWidth: 12, color: colour("--ink") } } },
      scales: {
        x: { grid: { display: false }, ticks: { ...ticks(), maxRotation: 0, autoSkipPadding: 12 } },
        papers: {
          position: "left",
          beginAtZero: true,
          title: { display: true, text: "Papers", color: colour("--papers") },
          grid: grid(),
          ticks: ticks(),
        },
        upvotes: {
          position: "right",
          beginAtZero: true,
          title: { display: true, text: "Upvotes", color: colour("--upvotes") },
          grid: { display: false },
          ticks: ticks(),
        },
      },
    },
  });
}

/**
 * Horizontal bars, biggest first: `label` names the value (the legend), `names` the bars. With
 * `onPick`, a click on a bar calls it with the bar's index.
 */
export function drawBars(canvas, { label, names, values, colourName, onPick }) {
  return draw(canvas, {
    type: "bar",
    data: {
      labels: names.map(shorten),
      datasets: [
        {
          label,
          data: values,
          backgroundColor: colour(colourName),
          borderRadius: 3,
          maxBarThickness: MAX_BAR_PX,
        },
      ],
    },
    options: {
      ...baseOptions(),
      indexAxis: "y",
      plugins: {
        legend: { display: false },
        tooltip: { callbacks: { title: (items) => names[items[0]?.dataIndex ?? 0] } },
      },
      scales: {
        x: { beginAtZero: true, grid: grid(), ticks: ticks() },
        y: { grid: { display: false }, ticks: { color: colour("--ink"), autoSkip: false } },
      },
      onClick: onPick
        ? (_event, elements) => {
            if (elements[0]) onPick(elements[0].index);
          }
        : undefined,
      onHover: onPick
        ? (event, elements) => {
            event.native.target.style.cursor = elements[0] ? "pointer" : "default";
          }
        : undefined,
    },
  });
}

/** A paper's upvotes on each digest day that changed them (a line through the points). */
export function drawHistory(canvas, points) {
  return draw(canvas, {
    type: "line",
    data: {
      labels: points.map((point) => point.date),
      datasets: [
        {
          label: "Upvotes",
          data: points.map((point) => point.upvotes),
          borderColor: colour("--upvotes"),
          backgroundColor: colour("--upvotes"),
          pointRadius: 4,
          borderWidth: 2,
        },
      ],
    },
    options: {
      ...baseOptions(),
      plugins: { legend: { display: false } },
      scales: {
        // A lone point is drawn in the middle, not on the chart's edge.
        x: { grid: { display: false }, ticks: ticks(), offset: points.length === 1 },
        y: { beginAtZero: true, grid: grid(), ticks: ticks() },
      },
    },
  });
}
