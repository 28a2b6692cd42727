/**
 * The mails' words: the confirmation request and the digest, each as HTML and plain text. Every
 * value from the database or a request is escaped in the HTML; the plain text is the same content.
 */
import type { Frequency } from "./subscriptions.ts";

export interface DigestPaper {
  title: string;
  arxivId: string | null;
  upvotes: number;
  authors: string[];
  /** The AI summary, else the abstract, cut short. */
  summary: string;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** Authors named before "et al.", and characters of a summary. */
const SHOWN = { authors: 3, summary: 300 } as const;

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** A text cut at a word boundary to at most `max` characters, with an ellipsis when cut. */
export function shorten(text: string, max: number = SHOWN.summary): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(" "), max / 2))}…`;
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif;max-width:40em">${body}</body></html>`;
}

function describe(frequency: Frequency, filter: string): string {
  const conditions = Object.entries(JSON.parse(filter) as Record<string, unknown>)
    .map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(", ") : value}`)
    .join("; ");
  const every = frequency === "DAILY" ? "each day" : "each week";
  return `the top papers ${every}${conditions ? ` (${conditions})` : ""}`;
}

export function confirmationMail(options: {
  frequency: Frequency;
  filter: string;
  confirmUrl: string;
}): RenderedMail {
  const what = describe(options.frequency, options.filter);
  const subject = "Confirm your papergraph digest";
  const text = `Someone, hopefully you, asked to receive ${what} at this address.

To confirm, open this link (it works once, for two days):
${options.confirmUrl}

If it was not you, ignore this mail: nothing will be sent.
`;
  const html = page(
    subject,
    `<p>Someone, hopefully you, asked to receive ${escapeHtml(what)} at this address.</p>
<p><a href="${escapeHtml(options.confirmUrl)}">Confirm the digest</a> (the link works once, for two days).</p>
<p>If it was not you, ignore this mail: nothing will be sent.</p>`,
  );
  return { subject, text, html };
}

export function paperUrl(paper: DigestPaper): string | null {
  return paper.arxivId ? `https://arxiv.org/abs/${paper.arxivId}` : null;
}

function byline(paper: DigestPaper): string {
  const named = paper.authors.slice(0, SHOWN.authors).join(", ");
  return paper.authors.length > SHOWN.authors ? `${named} et al.` : named;
}

export function digestMail(options: {
  frequency: Frequency;
  /** `YYYY-MM-DD` or `YYYY-Www`. */
  period: string;
  filter: string;
  papers: DigestPaper[];
  unsubscribeUrl: string;
}): RenderedMail {
  const { papers, period } = options;
  const kind = options.frequency === "DAILY" ? "Daily" : "Weekly";
  const count = `${papers.length} paper${papers.length === 1 ? "" : "s"}`;
  const subject = `${kind} papers digest ${period}: ${count}`;
  const what = describe(options.frequency, options.filter);
  const text = `${kind} papers digest, ${period}: ${what}.

${papers
  .map((paper, i) => {
    const url = paperUrl(paper);
    return `${i + 1}. ${paper.title} (${paper.upvotes} upvotes)
   ${byline(paper)}${url ? `\n   ${url}` : ""}
   ${paper.summary}`;
  })
  .join("\n\n")}

Unsubscribe: ${options.unsubscribeUrl}
`;
  const items = papers
    .map((paper) => {
      const url = paperUrl(paper);
      const title = url
        ? `<a href="${escapeHtml(url)}">${escapeHtml(paper.title)}</a>`
        : escapeHtml(paper.title);
      return `<li><p><strong>${title}</strong> (${paper.upvotes} upvotes)<br>${escapeHtml(byline(paper))}</p><p>${escapeHtml(paper.summary)}</p></li>`;
    })
    .join("\n");
  const html = page(
    subject,
    `<h1>${kind} papers digest, ${escapeHtml(period)}</h1>
<p>${escapeHtml(what)}.</p>
<ol>
${items}
</ol>
<p><a href="${escapeHtml(options.unsubscribeUrl)}">Unsubscribe</a></p>`,
  );
  return { subject, text, html };
}
