/** Small pure helpers shared by the digest parsers: text, titles, arXiv ids, links and dates. */

import { LIMITS } from "./types.ts";

// ---------------------------------------------------------------------------------------------
// Text

/**
 * Characters that carry no text and are removed from titles, abstracts and names: control
 * characters other than whitespace (C0 without tab, LF, VT, FF, CR; DEL; C1), bidi overrides,
 * embeddings and isolates and the bidi marks (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F,
 * U+061C), and zero-width characters (U+200B-U+200D, U+2060, U+FEFF).
 */
const INVISIBLE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
  /[\u0000-\u0008\u000E-\u001F\u007F-\u0084\u0086-\u009F\u061C\u200B-\u200F\u202A-\u202E\u2060\u2066-\u2069\uFEFF]/g;

/** Removes the characters that carry no text (see `INVISIBLE`); NEL (U+0085) becomes a newline. */
export function stripInvisible(text: string): string {
  return text.replace(INVISIBLE, "").replace(/\u0085/g, "\n");
}

/**
 * Removes invisible characters (see `stripInvisible`), collapses every run of whitespace (newlines
 * included) to one space and trims.
 */
export function cleanText(text: string): string {
  return stripInvisible(text).replace(/\s+/g, " ").trim();
}

/**
 * Joins hard-wrapped lines: every run of whitespace that contains a newline becomes one space;
 * other runs (e.g. two spaces inside a line) are kept, tabs and other control whitespace becoming
 * spaces. Invisible characters are removed (see `stripInvisible`). The result is trimmed.
 */
export function joinLines(text: string): string {
  const clean = stripInvisible(text).replace(/[\t\v\f\r]/g, " ");
  // Linear, unlike a pattern such as `\s*\n\s*`, which backtracks on long runs of spaces.
  if (!clean.includes("\n")) return clean.trim();
  return clean
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .join(" ");
}

/** Shows a value in a message: JSON-quoted, cut to about `max` characters. */
export function quote(value: string, max = 80): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

/** The key under which two titles are the same paper (see src/search/documents.ts). */
export { titleKey } from "../search/documents.ts";

/**
 * Caps a list of formatted warnings at `LIMITS.problemsShown`, adding a last line that counts the
 * rest (`... and 3 more warnings`).
 */
export function capWarnings(warnings: readonly string[]): string[] {
  const rest = warnings.length - LIMITS.problemsShown;
  if (rest <= 0) return [...warnings];
  return [
    ...warnings.slice(0, LIMITS.problemsShown),
    `... and ${rest} more warning${rest > 1 ? "s" : ""}`,
  ];
}

// ---------------------------------------------------------------------------------------------
// arXiv ids

/** An arXiv id split into the id proper and its version suffix. */
export interface ArxivId {
  /** `2410.17243`, `cs/0112017`, `math.GT/0309136`. */
  id: string;
  /** `2` for `2410.17243v2`; null when there is no suffix. */
  version: number | null;
}

const NEW_STYLE_ID = /^(\d{2})(\d{2})\.(\d{4,5})$/;
const OLD_STYLE_ID = /^[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?\/\d{7}$/;

/**
 * Parses an arXiv id exactly as written: new style `YYMM.NNNN` (to 1412) or `YYMM.NNNNN` (from
 * 1501), month 01-12, or old style `archive[.SC]/YYMMNNN`, each with an optional `vN` suffix. No
 * prefix (`arXiv:`), URL or surrounding space is accepted. Returns null for anything else, which
 * also catches ids mangled by a trip through a number (`2410.17240` → `2410.1724`).
 */
export function parseArxivId(raw: string): ArxivId | null {
  const match = /^(.+?)(?:v(\d{1,4}))?$/.exec(raw);
  if (!match?.[1]) return null;
  const id = match[1];
  const version = match[2] === undefined ? null : Number(match[2]);
  if (version === 0) return null;
  const newStyle = NEW_STYLE_ID.exec(id);
  if (newStyle) {
    const month = Number(newStyle[2]);
    const digits = Number(`${newStyle[1]}${newStyle[2]}`) >= 1501 ? 5 : 4;
    return month >= 1 && month <= 12 && newStyle[3]?.length === digits ? { id, version } : null;
  }
  return OLD_STYLE_ID.test(id) ? { id, version } : null;
}

// ---------------------------------------------------------------------------------------------
// Links in abstracts

/** Hosts whose links are source code repositories. */
export const CODE_HOSTS = ["github.com", "gitlab.com", "bitbucket.org", "codeberg.org"] as const;

/** Hosts whose links are never a project page (papers, models, social media). */
const NOT_PROJECT_HOSTS = [
  ...CODE_HOSTS,
  "arxiv.org",
  "doi.org",
  "huggingface.co",
  "hf.co",
  "x.com",
  "twitter.com",
];

/** True when `host` is `domain` or one of its subdomains. */
function onDomain(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

function count(text: string, char: string): number {
  return text.split(char).length - 1;
}

/** Strips punctuation that ends a sentence rather than the link, e.g. `(see https://x.org/a).` */
function trimLink(link: string): string {
  let url = link;
  for (;;) {
    const last = url.at(-1);
    if (last === undefined) return url;
    if (".,;:!?'\"*".includes(last)) {
      url = url.slice(0, -1);
      continue;
    }
    const open = { ")": "(", "]": "[", "}": "{" }[last];
    // A closing bracket belongs to the link only when the link opens one too (Wikipedia style).
    if (open && count(url, open) < count(url, last)) {
      url = url.slice(0, -1);
      continue;
    }
    return url;
  }
}

/** The links of an abstract that matter to us. */
export interface AbstractLinks {
  /** First link to a code host, with trailing punctuation and `.git` removed. */
  codeUrl: string | null;
  /** First other link not on a paper, model or social-media host (see `extractLinks`). */
  projectUrl: string | null;
}

/**
 * A link candidate in an abstract: `http(s)://` up to whitespace or a character that never ends
 * up in a link written in an abstract: `< > " ' \` { } \ | ^`. Abstracts come from LaTeX
 * sources, so `{`, `}` and `\` are markup left over around the link
 * (`https://github.com/a/b{https://github.com/a/b}`, `https://a.github.io/demo/{project`).
 */
const LINK = /https?:\/\/[^\s<>"'`{}\\|^]+/gi;

/**
 * A host name of at least two dot-separated labels of letters, digits, inner hyphens and
 * underscores (as the URL parser writes it: lower case, punycode), or an IPv4 address.
 */
const HOST = /^(?:[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$/;

/**
 * The host of an http(s) link as the WHATWG URL parser reads it (lower-cased, IDN as punycode),
 * or null when the link does not parse or its host is not a dotted host name (`https://github`).
 */
function linkHost(link: string): string | null {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  return HOST.test(url.hostname) ? url.hostname : null;
}

/**
 * Finds the code repository and project page linked from an abstract.
 *
 * - codeUrl: the first http(s) link whose host is (a subdomain of) github.com, gitlab.com,
 *   bitbucket.org or codeberg.org; trailing `.`, `,`, `;`, `)` etc. and a trailing `.git` removed.
 * - projectUrl: the first link whose host is none of those code hosts, arxiv.org, doi.org,
 *   huggingface.co, hf.co, x.com or twitter.com (subdomains included). Pages on `*.github.io` and
 *   `*.gitlab.io` therefore count as project pages.
 *
 * A link ends at whitespace or at one of `< > " ' \` { } \ | ^` (see `LINK`). Links that the
 * WHATWG URL parser rejects, whose host is not a dotted host name, or that are longer than
 * `LIMITS.urlChars` are ignored.
 */
export function extractLinks(text: string): AbstractLinks {
  let codeUrl: string | null = null;
  let projectUrl: string | null = null;
  for (const [found] of text.matchAll(LINK)) {
    let link = trimLink(found);
    if (link.length > LIMITS.urlChars) continue;
    const host = linkHost(link);
    if (!host) continue;
    if (CODE_HOSTS.some((domain) => onDomain(host, domain))) {
      link = link.replace(/\.git$/i, "");
      codeUrl ??= link;
    } else if (!NOT_PROJECT_HOSTS.some((domain) => onDomain(host, domain))) {
      projectUrl ??= link;
    }
    if (codeUrl && projectUrl) break;
  }
  return { codeUrl, projectUrl };
}

/** True for an absolute http(s) URL with a host. */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Dates (all in UTC)

/** English month abbreviations as the Daily Papers page prints them. */
export const MONTHS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec",
] as const;

const MONTH_NAMES = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
] as const;

/** 1-12 for an exact 3-letter English month abbreviation (`Jan` ... `Dec`), else null. */
export function monthNumber(name: string): number | null {
  const index = (MONTHS as readonly string[]).indexOf(name);
  return index < 0 ? null : index + 1;
}

/** `February` for 2. */
export function monthName(month: number): string {
  return MONTH_NAMES[month - 1] ?? `month ${month}`;
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** A calendar day. */
export interface Ymd {
  year: number;
  month: number;
  day: number;
}

/** Why a calendar day does not exist (`February has 28 days in 2025`), or null if it does. */
export function dayProblem({ year, month, day }: Ymd): string | null {
  if (month < 1 || month > 12) return `there is no month ${month}`;
  if (day < 1) return "days of the month start at 1";
  const days = daysInMonth(year, month);
  return day > days ? `${monthName(month)} has ${days} days in ${year}` : null;
}

/** True for an existing calendar day written `YYYY-MM-DD`. */
export function isValidYmd(text: string): boolean {
  return parseYmd(text) !== null;
}

/** Splits an existing calendar day written `YYYY-MM-DD`; null otherwise. */
export function parseYmd(text: string): Ymd | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return null;
  const day = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
  return dayProblem(day) === null ? day : null;
}

/** `YYYY-MM-DD` of a Date (UTC), or of a calendar day. */
export function ymd(date: Date | Ymd): string {
  if (date instanceof Date) return date.toISOString().slice(0, 10);
  const pad = (n: number, width: number) => String(n).padStart(width, "0");
  return `${pad(date.year, 4)}-${pad(date.month, 2)}-${pad(date.day, 2)}`;
}

/** Midnight UTC of a calendar day. */
export function utcMidnight({ year, month, day }: Ymd): Date {
  const date = new Date(Date.UTC(year, month - 1, day));
  date.setUTCFullYear(year); // Date.UTC maps years 0-99 to 1900-1999
  return date;
}

/** Negative, zero or positive as `a` is before, equal to or after `b`. */
function compareYmd(a: Ymd, b: Ymd): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

/**
 * The year of the latest `month`/`day` not after `notAfter`: that year or the one before, or for
 * Feb 29 the latest leap year. Null when the day exists in no year (`Feb 30`, `Apr 31`).
 */
export function latestYear(month: number, day: number, notAfter: Ymd): number | null {
  let year = candidateYear(month, day, notAfter);
  // Eight years always reach a leap year (1896 to 1904 is the longest gap).
  for (let tries = 0; tries <= 8; tries++, year--) {
    if (dayProblem({ year, month, day }) === null) return year;
  }
  return null;
}

/** The year `latestYear` starts from, for messages about days that exist in no year. */
export function candidateYear(month: number, day: number, notAfter: Ymd): number {
  return compareYmd({ year: notAfter.year, month, day }, notAfter) <= 0
    ? notAfter.year
    : notAfter.year - 1;
}

/** Today's UTC calendar day. */
export function todayUtc(): string {
  return ymd(new Date());
}

/**
 * The first real day written `YYYY-MM-DD` anywhere in the base name of a file
 * (`2025-01-27.json`, `daily_papers_2025-01-27.json`, `2025-12-10-task.txt`), or null. Digits
 * run on either side (`12025-01-270`) do not count.
 */
export function fileNameDay(source: string): string | null {
  const base = source.split(/[\\/]/).at(-1) ?? "";
  for (const [found] of base.matchAll(/(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)/g)) {
    if (isValidYmd(found)) return found;
  }
  return null;
}

const ISO_TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * Parses an ISO 8601 timestamp as the API writes it (`2024-10-25T00:57:09.392Z`; an offset
 * instead of `Z`, or a bare `YYYY-MM-DD` meaning midnight UTC, are accepted too). Returns the
 * Date, or a message saying what is wrong (non-existent days such as `2024-02-30` included).
 */
export function parseIsoTimestamp(text: string): Date | string {
  const match = ISO_TIMESTAMP.exec(text);
  if (!match) {
    return `invalid date ${quote(text)}: expected an ISO timestamp like 2024-10-25T00:57:09.392Z`;
  }
  const problem = dayProblem({
    year: Number(match[1]),
    month: Number(match[2]),
    day: Number(match[3]),
  });
  if (problem) return `invalid date ${quote(text)}: ${problem}`;
  if (Number(match[4] ?? 0) > 23 || Number(match[5] ?? 0) > 59 || Number(match[6] ?? 0) > 59) {
    return `invalid date ${quote(text)}: the time of day does not exist`;
  }
  const date = new Date(match[4] === undefined ? `${text}T00:00:00Z` : text);
  return Number.isNaN(date.getTime()) ? `invalid date ${quote(text)}` : date;
}
