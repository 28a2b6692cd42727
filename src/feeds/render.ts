/**
 * Feed documents, RSS 2.0 and Atom 1.0, written by the `feed` package from the items of
 * src/feeds/items.ts.
 *
 * - **GUIDs that never change.** A paper with an arXiv id is identified by its arXiv abstract
 *   URL (`https://arxiv.org/abs/<id>`, without version): the same on every server, in every run,
 *   after any re-ingest. A paper without one (a page-text capture that named none) by a URN of its
 *   title key's hash (`urn:papergraph:paper:<sha256>`), the key the ingest job deduplicates such
 *   papers by. Neither depends on a database id, a host or a time.
 * - **Dates.** The `feed` package writes RSS dates in RFC 822 form (`toUTCString`, GMT) and Atom
 *   dates in RFC 3339 (`toISOString`). An item's date is the digest day that listed it
 *   (src/feeds/items.ts); the feed's own (RSS `lastBuildDate`, Atom `updated`) is its newest
 *   item's, so the same data always gives the same document.
 * - **Links.** An item links to the paper's Hugging Face page (where the Daily Papers list
 *   sends its readers) and its content to arXiv, the PDF and the code; a feed links to itself
 *   (`rel="self"`) with its parameters in canonical order.
 * - **Text.** RSS titles are plain text; Atom titles and every summary and content are HTML
 *   (`type="html"`), escaped here. Characters XML 1.0 does not allow (control characters other
 *   than tab and line breaks, lone surrogates, U+FFFE/U+FFFF), which a digest's text may hold,
 *   are dropped: one of them would make the whole document unreadable to every reader.
 */
import { createHash } from "node:crypto";
import { Feed, type Item } from "feed";
import type { FeedItem, FeedPaper } from "./items.ts";

export type FeedFormat = "rss" | "atom";

/** Media types: what each format is served as. */
export const FEED_TYPES: Record<FeedFormat, string> = {
  rss: "application/rss+xml; charset=utf-8",
  atom: "application/atom+xml; charset=utf-8",
};

/** Where the feeds' readers find the list the feeds follow, as a web page. */
export const DAILY_PAPERS_PAGE = "https://huggingface.co/papers";

/** The Atom feed's author, which entries without a visible author take. */
const FEED_AUTHOR = "papergraph";

/** Characters of the abstract an item's summary shows when the paper has no AI summary. */
const SUMMARY_CHARS = 300;

export interface FeedDocument {
  title: string;
  description: string;
  /** The feed's canonical URL (its self link and Atom id). */
  self: string;
  items: FeedItem[];
}

/** The stable identity of a paper's item (see above). */
export function paperGuid(paper: Pick<FeedPaper, "arxivId" | "titleKey">): string {
  if (paper.arxivId) return `https://arxiv.org/abs/${paper.arxivId}`;
  const hash = createHash("sha256").update(paper.titleKey).digest("hex");
  return `urn:papergraph:paper:${hash}`;
}

/** Characters XML 1.0 does not allow in a document (its `Char` production's complement). */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** `text` without the characters XML does not allow. */
export function xmlText(text: string): string {
  return text.replace(NOT_XML, "");
}

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** The start of `text`, cut at a word boundary, with an ellipsis when it was cut. */
function teaser(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const space = cut.lastIndexOf(" ");
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}

/**
 * `url` when it is an absolute http(s) URL, else null: a digest's links are not trusted (the
 * `feed` package throws on one that does not parse, and a `javascript:` link would reach readers).
 */
function webUrl(url: string | null): string | null {
  if (url === null) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

/** The page an item links to: the paper's Hugging Face page, else its project or code page. */
function paperLink(paper: FeedPaper): string {
  if (paper.arxivId) return `${DAILY_PAPERS_PAGE}/${paper.arxivId}`;
  return paper.projectUrl ?? paper.codeUrl ?? DAILY_PAPERS_PAGE;
}

/** The item's full content: authors, abstract and links, as HTML. */
function contentHtml(paper: FeedPaper): string {
  const links: [string, string][] = [];
  if (paper.arxivId) {
    links.push(["Hugging Face", `${DAILY_PAPERS_PAGE}/${paper.arxivId}`]);
    links.push(["arXiv", `https://arxiv.org/abs/${paper.arxivId}`]);
    links.push(["PDF", `https://arxiv.org/pdf/${paper.arxivId}`]);
  }
  if (paper.codeUrl) links.push(["Code", paper.codeUrl]);
  if (paper.projectUrl) links.push(["Project page", paper.projectUrl]);
  const parts = [
    paper.authors.length > 0 ? `<p>${escapeHtml(paper.authors.join(", "))}</p>` : "",
    `<p>${escapeHtml(paper.abstract.trim())}</p>`,
    links.length > 0
      ? `<p>${links.map(([name, url]) => `<a href="${escapeHtml(url)}">${name}</a>`).join(" · ")}</p>`
      : "",
  ];
  return parts.filter(Boolean).join("\n");
}

/** The paper's texts without the characters XML does not allow, and only its web links. */
function clean(paper: FeedPaper): FeedPaper {
  return {
    ...paper,
    title: xmlText(paper.title),
    abstract: xmlText(paper.abstract),
    aiSummary: paper.aiSummary === null ? null : xmlText(paper.aiSummary),
    authors: paper.authors.map(xmlText),
    codeUrl: webUrl(paper.codeUrl),
    projectUrl: webUrl(paper.projectUrl),
  };
}

function feedItem(item: FeedItem, format: FeedFormat): Item {
  const paper = clean(item.paper);
  return {
    title: format === "atom" ? escapeHtml(paper.title) : paper.title,
    id: paperGuid(paper),
    guid: paperGuid(paper),
    link: paperLink(paper),
    date: item.date,
    description: escapeHtml(paper.aiSummary?.trim() || teaser(paper.abstract, SUMMARY_CHARS)),
    content: contentHtml(paper),
    // RSS's <author> holds an e-mail address: the names go in dc:creator there.
    ...(format === "atom"
      ? { author: paper.authors.map((name) => ({ name })) }
      : paper.authors.length > 0
        ? { extensions: [{ name: "dc:creator", objects: { _text: paper.authors.join(", ") } }] }
        : {}),
  };
}

/** The feed as an XML document of the format. */
export function renderFeed(document: FeedDocument, format: FeedFormat): string {
  const newest = document.items.reduce<Date | undefined>(
    (latest, item) => (!latest || item.date > latest ? item.date : latest),
    undefined,
  );
  const feed = new Feed({
    title: xmlText(document.title),
    description: xmlText(document.description),
    id: document.self,
    link: DAILY_PAPERS_PAGE,
    feed: document.self,
    language: "en",
    generator: "papergraph",
    // An empty feed: the epoch, a fixed date, so that the document depends on the data alone.
    updated: newest ?? new Date(0),
    // Atom: an entry without a (visible) author takes the feed's; RSS needs none.
    ...(format === "atom" ? { author: { name: FEED_AUTHOR } } : {}),
  });
  for (const item of document.items) feed.addItem(feedItem(item, format));
  return format === "atom" ? feed.atom1() : feed.rss2();
}
