/**
 * Reads the raw response of the Hugging Face `/api/daily_papers?date=YYYY-MM-DD` endpoint: a JSON
 * array of `{ paper: {...}, title, thumbnail, numComments, submittedBy, organization, ... }` items,
 * or the same array wrapped as `{ status, date, count, data: [items] }`.
 *
 * Only what the model cannot do without is required of an item: `paper.id` (a string holding an
 * arXiv id) and a title (the item's `title`, else `paper.title`). A missing or invalid required
 * field is a problem; every problem of the file is collected and thrown together as one
 * `DigestError`. Every other field is optional: stored when present and valid, and when present
 * but invalid (wrong type, not an http(s) URL, a negative count or one above `LIMITS.count`, a day
 * that does not exist, too long) dropped with a warning naming its JSON path
 * (`$[3].paper.githubRepo: not an http(s) URL "n/a": ignored`). `null` counts as missing. Keys
 * we do not use are ignored.
 */

import {
  capWarnings,
  cleanText,
  extractLinks,
  fileNameDay,
  isHttpUrl,
  isValidYmd,
  joinLines,
  parseArxivId,
  parseIsoTimestamp,
  quote,
  titleKey,
  ymd,
} from "./normalize.ts";
import {
  type DaySource,
  type Digest,
  DigestError,
  LIMITS,
  type ParsedAuthor,
  type ParsedOrganization,
  type ParsedPaper,
  type ParseOptions,
  type Problem,
} from "./types.ts";

// ---------------------------------------------------------------------------------------------
// The file's problems and warnings

/** Collects the problems (the file is rejected) and warnings (it loads) of one file. */
class Report {
  readonly problems: Problem[] = [];
  private readonly warnings: string[] = [];

  constructor(readonly source: string) {}

  problem(where: string | null, problem: string): void {
    this.problems.push({ where, problem });
  }

  /** Throws a DigestError naming only this problem and the ones collected before it. */
  fail(where: string | null, problem: string): never {
    this.problem(where, problem);
    throw new DigestError(this.source, this.problems);
  }

  warn(where: string | null, text: string): void {
    this.warnings.push(DigestError.format(this.source, where, text));
  }

  /** The warnings as the Digest carries them: formatted, capped, the rest counted. */
  formattedWarnings(): string[] {
    return capWarnings(this.warnings);
  }
}

// ---------------------------------------------------------------------------------------------
// Field checks

/** Why a value is not what a field needs. */
class Invalid {
  constructor(readonly message: string) {}
}

/** Checks (and possibly converts) one JSON value. */
type Check<T> = (value: unknown) => T | Invalid;

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A string of at most `max` characters, as given. */
function text(max: number): Check<string> {
  return (value) => {
    if (typeof value !== "string")
      return new Invalid(`expected a string, got ${describeValue(value)}`);
    if (value.length > max) {
      return new Invalid(`too long: ${value.length} characters (limit ${max}): ${quote(value)}`);
    }
    return value;
  };
}

/** A short identifier or name (ids and names share the author-name limit). */
const name = text(LIMITS.authorNameChars);

/** An absolute http(s) URL, trimmed. */
const url: Check<string> = (value) => {
  if (typeof value !== "string")
    return new Invalid(`expected a string, got ${describeValue(value)}`);
  const trimmed = value.trim();
  if (trimmed.length > LIMITS.urlChars) {
    return new Invalid(
      `too long: ${trimmed.length} characters (limit ${LIMITS.urlChars}): ${quote(trimmed)}`,
    );
  }
  return isHttpUrl(trimmed) ? trimmed : new Invalid(`not an http(s) URL ${quote(value)}`);
};

/** A count the model stores as a 32-bit signed integer. */
const count: Check<number> = (value) => {
  if (typeof value !== "number")
    return new Invalid(`expected a number, got ${describeValue(value)}`);
  if (!Number.isInteger(value)) return new Invalid(`expected an integer, got number ${value}`);
  if (value < 0) return new Invalid(`expected a non-negative integer, got number ${value}`);
  if (value > LIMITS.count) {
    return new Invalid(`${value} is more than the limit of ${LIMITS.count} (a 32-bit count)`);
  }
  return value;
};

/** An ISO timestamp, as a Date. */
const timestamp: Check<Date> = (value) => {
  if (typeof value !== "string")
    return new Invalid(`expected a string, got ${describeValue(value)}`);
  const date = parseIsoTimestamp(value);
  return typeof date === "string" ? new Invalid(date) : date;
};

/** A list whose items are checked one by one: a bad item is dropped with a warning. */
function list<T>(value: unknown, where: string, check: Check<T>, report: Report): T[] | Invalid {
  if (!Array.isArray(value)) return new Invalid(`expected an array, got ${describeValue(value)}`);
  // LIMITS has no entry for keyword or media lists: the per-paper author limit bounds them too.
  if (value.length > LIMITS.authorsPerPaper) {
    return new Invalid(`too many items: ${value.length} (limit ${LIMITS.authorsPerPaper})`);
  }
  const out: T[] = [];
  value.forEach((item, i) => {
    const checked = check(item);
    if (checked instanceof Invalid) report.warn(`${where}[${i}]`, `${checked.message}: ignored`);
    else out.push(checked);
  });
  return out;
}

/**
 * An optional field: its checked value, or null when it is missing or null, or invalid (then
 * with a warning).
 */
function optional<T>(
  object: JsonObject,
  key: string,
  path: string,
  check: Check<T>,
  report: Report,
): T | null {
  const value = object[key];
  if (value === undefined || value === null) return null;
  const checked = check(value);
  if (checked instanceof Invalid) {
    report.warn(`${path}.${key}`, `${checked.message}: ignored`);
    return null;
  }
  return checked;
}

// ---------------------------------------------------------------------------------------------
// The digest

/** An item read: its paper, and the timestamps that can tell the digest's day. */
interface ReadItem {
  paper: ParsedPaper;
  /** `paper.submittedOnDailyAt`. */
  dailyAt: Date | null;
  /** The item's `publishedAt`: when it entered the daily list. */
  listedAt: Date | null;
}

/** Parses a Daily Papers API response (a bare array, or wrapped as `{ ..., data: [items] }`). */
export function parseHfJsonDigest(text: string, options: ParseOptions): Digest {
  const report = new Report(options.source);

  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const { where, problem } = describeSyntaxError(text, error);
    return report.fail(where, problem);
  }

  let items: unknown[];
  let at = "$";
  let wrapperDate: string | null = null;
  if (Array.isArray(raw)) {
    items = raw;
  } else if (isObject(raw) && raw.data === undefined && typeof raw.status === "string") {
    // `{"status": "no_data", "date": ..., "message": "No papers found for this date"}`: what
    // archives of the API write for a day without papers. An empty digest, not a broken one.
    items = [];
    wrapperDate = readWrapper(raw, 0, report);
  } else if (isObject(raw) && raw.data !== undefined) {
    if (!Array.isArray(raw.data)) {
      return report.fail("$.data", `expected an array of items, got ${describeValue(raw.data)}`);
    }
    items = raw.data;
    at = "$.data";
    wrapperDate = readWrapper(raw, items.length, report);
  } else {
    return report.fail(
      "$",
      "expected an array of items (the /api/daily_papers response) or an object with a " +
        `"data" array of them, got ${isObject(raw) ? 'an object without "data"' : describeValue(raw)}`,
    );
  }
  if (items.length === 0) {
    // The API answers `[]` for weekends and holidays: nothing to load, and nothing wrong.
    const date = options.date ?? fileNameDay(options.source) ?? wrapperDate ?? "";
    return {
      format: "hf-json",
      date,
      dateSource: options.date
        ? "--date"
        : fileNameDay(options.source)
          ? "file name"
          : "wrapper date",
      papers: [],
      warnings: report.formattedWarnings(),
    };
  }
  if (items.length > LIMITS.papersPerDigest) {
    return report.fail(at, `lists ${items.length} papers (limit ${LIMITS.papersPerDigest})`);
  }
  if (options.date !== undefined && !isValidYmd(options.date)) {
    return report.fail(null, `invalid --date ${quote(options.date)}: expected YYYY-MM-DD`);
  }

  const read: ReadItem[] = [];
  const seen = new Map<string, string>();
  items.forEach((item, i) => {
    const one = readItem(item, `${at}[${i}]`, read.length + 1, report);
    if (!one) return;
    const idPath = `${at}[${i}].paper.id`;
    const id = one.paper.arxivId ?? "";
    const earlier = seen.get(id);
    if (earlier) {
      report.problem(idPath, `paper ${id} is listed twice (also at ${earlier})`);
      return;
    }
    seen.set(id, idPath);
    read.push(one);
  });
  if (report.problems.length > 0) throw new DigestError(options.source, report.problems);

  const { date, dateSource } = digestDay(read, options, wrapperDate, report);
  return {
    format: "hf-json",
    date,
    dateSource,
    papers: read.map((r) => r.paper),
    warnings: report.formattedWarnings(),
  };
}

/** The wrapper's `date` when it names a real day; a `count` that disagrees is a warning. */
function readWrapper(wrapper: JsonObject, listed: number, report: Report): string | null {
  const given = wrapper.count;
  if (typeof given === "number") {
    if (given !== listed) {
      report.warn("$.count", `the response says it holds ${given} papers but lists ${listed}`);
    }
  } else if (given !== undefined && given !== null) {
    report.warn("$.count", `expected a number, got ${describeValue(given)}: ignored`);
  }

  const date = wrapper.date;
  if (date === undefined || date === null) return null;
  // `2025-03-04`, or a timestamp of that day as written (`2025-03-04T00:00:00.000Z`).
  const day = typeof date === "string" ? date.slice(0, 10) : "";
  if (
    typeof date === "string" &&
    isValidYmd(day) &&
    (date.length === 10 || parseIsoTimestamp(date) instanceof Date)
  ) {
    return day;
  }
  report.warn("$.date", `expected a day like 2025-03-04, got ${describeValue(date)}: ignored`);
  return null;
}

/**
 * Reads one item: the required fields (problems when missing or invalid), then, if they are fine,
 * the optional ones (warnings when invalid). Null when the item has a problem.
 */
function readItem(raw: unknown, at: string, rank: number, report: Report): ReadItem | null {
  if (!isObject(raw)) {
    report.problem(at, `expected an object, got ${describeValue(raw)}`);
    return null;
  }
  const paperAt = `${at}.paper`;
  const paper = raw.paper;
  if (!isObject(paper)) {
    report.problem(paperAt, `expected an object, got ${describeValue(paper)}`);
    return null;
  }

  // Required: the arXiv id and a title.
  const before = report.problems.length;
  const rawId = paper.id;
  const id = typeof rawId === "string" ? parseArxivId(rawId) : null;
  if (typeof rawId !== "string") {
    // A JSON number has already lost digits (2503.02130 reads 2503.0213): never read one.
    report.problem(`${paperAt}.id`, `expected a string, got ${describeValue(rawId)}`);
  } else if (!id) {
    report.problem(
      `${paperAt}.id`,
      `invalid arXiv id ${quote(rawId)}: expected one like 2410.17243, 2410.17243v2 or cs/0112017`,
    );
  }
  const title = readTitle(raw, paper, at, report);
  if (report.problems.length > before || !id || title === null) return null;

  // Optional: everything else.
  const abstract = readAbstract(raw, paper, at, report);
  const links = extractLinks(abstract);
  const authors = readAuthors(paper, paperAt, report);
  const dailyAt = optional(paper, "submittedOnDailyAt", paperAt, timestamp, report);
  const listedAt = optional(raw, "publishedAt", at, timestamp, report);
  const submittedBy = readSubmitter(raw, at, report);
  const aiSummary = optional(paper, "ai_summary", paperAt, text(LIMITS.abstractChars), report);
  const keywords = optional(
    paper,
    "ai_keywords",
    paperAt,
    (value) => list(value, `${paperAt}.ai_keywords`, text(LIMITS.titleChars), report),
    report,
  );
  const mediaUrls = optional(
    raw,
    "mediaUrls",
    at,
    (value) => list(value, `${at}.mediaUrls`, url, report),
    report,
  );

  return {
    dailyAt,
    listedAt,
    paper: {
      rank,
      location: at,
      arxivId: id.id,
      arxivVersion: id.version,
      title,
      titleKey: titleKey(title),
      abstract,
      authorCount: authors?.length ?? 0,
      authors,
      publishedAt: optional(paper, "publishedAt", paperAt, timestamp, report),
      upvotes: optional(paper, "upvotes", paperAt, count, report),
      codeUrl: optional(paper, "githubRepo", paperAt, url, report) ?? links.codeUrl,
      githubStars: optional(paper, "githubStars", paperAt, count, report),
      projectUrl: optional(paper, "projectPage", paperAt, url, report) ?? links.projectUrl,
      // Until June 2024 the API called the thumbnail `mediaUrl`.
      thumbnailUrl:
        optional(raw, "thumbnail", at, url, report) ?? optional(raw, "mediaUrl", at, url, report),
      mediaUrls,
      commentCount: optional(raw, "numComments", at, count, report),
      discussionId: optional(paper, "discussionId", paperAt, name, report),
      submitterHandle: submittedBy.handle,
      submitterName: submittedBy.name,
      aiSummary: aiSummary === null ? null : joinLines(aiSummary) || null,
      aiKeywords: keywords?.map(cleanText).filter((k) => k !== "") ?? null,
      withdrawnAt: optional(paper, "withdrawnAt", paperAt, timestamp, report),
      organization: readOrganization(raw, paper, at, report),
      submittedAt: dailyAt ?? listedAt,
    },
  };
}

/**
 * The title: the item's `title` when it is a non-empty string after cleaning, else
 * `paper.title` (which keeps the hard line breaks that cleaning joins). Kept as given apart from
 * whitespace and invisible characters: LaTeX (`$\textbf{Only-IF}$`) stays; `titleKey` reads it.
 */
function readTitle(item: JsonObject, paper: JsonObject, at: string, report: Report): string | null {
  const own = item.title;
  if (typeof own === "string") {
    const title = cleanText(own);
    if (title) return checkTitleLength(title, `${at}.title`, report);
  } else if (own !== undefined && own !== null) {
    report.warn(`${at}.title`, `expected a string, got ${describeValue(own)}: using paper.title`);
  }
  const where = `${at}.paper.title`;
  const fallback = paper.title;
  if (typeof fallback !== "string") {
    report.problem(where, `expected a string, got ${describeValue(fallback)}`);
    return null;
  }
  const title = cleanText(fallback);
  if (!title) {
    report.problem(where, "the title is empty");
    return null;
  }
  return checkTitleLength(title, where, report);
}

function checkTitleLength(title: string, where: string, report: Report): string | null {
  if (title.length <= LIMITS.titleChars) return title;
  report.problem(
    where,
    `title is ${title.length} characters long (limit ${LIMITS.titleChars}): ${quote(title)}`,
  );
  return null;
}

/**
 * The abstract: `paper.summary` (else the item's `summary`) with its hard line wraps joined:
 * every run of whitespace containing a newline becomes one space. Empty when there is none.
 */
function readAbstract(item: JsonObject, paper: JsonObject, at: string, report: Report): string {
  const [object, path] =
    paper.summary === undefined || paper.summary === null ? [item, at] : [paper, `${at}.paper`];
  const summary = optional(object, "summary", path, text(Number.MAX_SAFE_INTEGER), report);
  if (summary === null) return "";
  const abstract = joinLines(summary);
  if (abstract.length <= LIMITS.abstractChars) return abstract;
  report.warn(
    `${path}.summary`,
    `abstract is ${abstract.length} characters long (limit ${LIMITS.abstractChars}): ignored`,
  );
  return "";
}

/**
 * The authors in order; null when the item has no author list. An entry needs only a non-empty
 * `name`; one without is dropped with a warning.
 */
function readAuthors(paper: JsonObject, paperAt: string, report: Report): ParsedAuthor[] | null {
  const check: Check<unknown[]> = (value) =>
    !Array.isArray(value)
      ? new Invalid(`expected an array, got ${describeValue(value)}`)
      : value.length > LIMITS.authorsPerPaper
        ? new Invalid(`too many items: ${value.length} (limit ${LIMITS.authorsPerPaper})`)
        : value;
  const authors = optional(paper, "authors", paperAt, check, report);
  if (authors === null) return null;
  return authors.flatMap((raw, i) => {
    const at = `${paperAt}.authors[${i}]`;
    const author = readAuthor(raw, at, report);
    return author ? [author] : [];
  });
}

function readAuthor(raw: unknown, at: string, report: Report): ParsedAuthor | null {
  if (!isObject(raw)) {
    report.warn(at, `expected an object, got ${describeValue(raw)}: author ignored`);
    return null;
  }
  const checked = name(raw.name);
  const fullName = checked instanceof Invalid ? null : cleanText(checked);
  if (!fullName) {
    const why =
      checked instanceof Invalid
        ? checked.message
        : `expected a non-empty name, got ${describeValue(raw.name)}`;
    report.warn(`${at}.name`, `${why}: author ignored`);
    return null;
  }

  let hidden = false;
  if (typeof raw.hidden === "boolean") hidden = raw.hidden;
  else if (raw.hidden !== undefined && raw.hidden !== null) {
    // Not knowing whether an author asked to be hidden, hide them.
    hidden = true;
    report.warn(
      `${at}.hidden`,
      `expected true or false, got ${describeValue(raw.hidden)}: the author is kept hidden`,
    );
  }

  let hfUsername: string | null = null;
  if (isObject(raw.user)) hfUsername = optional(raw.user, "user", `${at}.user`, name, report);
  else if (raw.user !== undefined && raw.user !== null) {
    report.warn(`${at}.user`, `expected an object, got ${describeValue(raw.user)}: ignored`);
  }

  return {
    name: fullName,
    hidden,
    externalId: optional(raw, "_id", at, name, report),
    status: optional(raw, "status", at, name, report),
    hfUsername,
  };
}

/** `submittedBy: { name, fullname }`: the submitter's handle and display name, each optional. */
function readSubmitter(
  item: JsonObject,
  at: string,
  report: Report,
): { handle: string | null; name: string | null } {
  const by = item.submittedBy;
  const paper = isObject(item.paper) ? item.paper : {};
  if (by === undefined || by === null) {
    // `paper.submittedOnDailyBy` (from March 2025) says the same, with the handle as `user`.
    const daily = paper.submittedOnDailyBy;
    if (!isObject(daily)) return { handle: null, name: null };
    const path = `${at}.paper.submittedOnDailyBy`;
    const handle = optional(daily, "user", path, name, report);
    const fullName = optional(daily, "fullname", path, name, report);
    return {
      handle: handle === null ? null : handle.trim() || null,
      name: fullName === null ? null : cleanText(fullName) || null,
    };
  }
  if (!isObject(by)) {
    report.warn(`${at}.submittedBy`, `expected an object, got ${describeValue(by)}: ignored`);
    return { handle: null, name: null };
  }
  const path = `${at}.submittedBy`;
  const handle = optional(by, "name", path, name, report);
  const fullName = optional(by, "fullname", path, name, report);
  return {
    handle: handle === null ? null : handle.trim() || null,
    name: fullName === null ? null : cleanText(fullName) || null,
  };
}

/**
 * `organization: { _id, name, fullname, avatar }`: `name` is the handle (required of an
 * organization: without one it is ignored with a warning), `fullname` the display name, and
 * `avatar` kept only when it is an absolute http(s) URL (the API often gives a relative path).
 */
function readOrganization(
  item: JsonObject,
  paper: JsonObject,
  at: string,
  report: Report,
): ParsedOrganization | null {
  // Since October 2025 on the item and on its paper alike; for a few days before that the item
  // carried it as `submitterOrganization`.
  const [org, path] =
    item.organization != null
      ? [item.organization, `${at}.organization`]
      : paper.organization != null
        ? [paper.organization, `${at}.paper.organization`]
        : [item.submitterOrganization, `${at}.submitterOrganization`];
  if (org === undefined || org === null) return null;
  if (!isObject(org)) {
    report.warn(path, `expected an object, got ${describeValue(org)}: ignored`);
    return null;
  }
  const checked = name(org.name);
  const handle = checked instanceof Invalid ? null : checked.trim();
  if (!handle) {
    const why =
      checked instanceof Invalid
        ? checked.message
        : `expected a non-empty handle, got ${describeValue(org.name)}`;
    report.warn(`${path}.name`, `${why}: organization ignored`);
    return null;
  }
  const fullName = optional(org, "fullname", path, name, report);
  const avatar = optional(org, "avatar", path, text(Number.MAX_SAFE_INTEGER), report);
  const avatarUrl = avatar !== null && url(avatar) instanceof Invalid ? null : avatar?.trim();
  return {
    handle,
    name: fullName === null ? null : cleanText(fullName) || null,
    avatarUrl: avatarUrl || null,
  };
}

// ---------------------------------------------------------------------------------------------
// The digest's day

/**
 * When a daily list starts: 21:30 UTC the evening before. Two years of real responses show it:
 * from May to November 2024 every item of day D entered the list between D 00:00 and D 16:00
 * UTC; from December 2024 to March 2025 between D-1 21:30 (sharply: none earlier) and D 13:00;
 * `submittedOnDailyAt` (from March 2025) between D 00:00 and D 09:00. Reading a timestamp as the
 * day of (timestamp + 2 h 30 min) gives D for all of them, so no day is ever taken from a
 * submission the evening before.
 */
export const LIST_DAY_OFFSET_MS = 150 * 60_000;

/**
 * The list day most of `timestamps` fall on (ties: the later day; see `LIST_DAY_OFFSET_MS`), and
 * every list day they fall on (`spread`, ascending). Null without timestamps. The rule for a
 * digest whose day nothing names (see `digestDay`).
 */
export function contentDay(timestamps: Date[]): { day: string; spread: string[] } | null {
  const counts = new Map<string, number>();
  for (const t of timestamps) {
    const day = ymd(new Date(t.getTime() + LIST_DAY_OFFSET_MS));
    counts.set(day, (counts.get(day) ?? 0) + 1);
  }
  const spread = [...counts.keys()].sort();
  let best: string | null = null;
  for (const day of spread) {
    if (best === null || (counts.get(day) ?? 0) >= (counts.get(best) ?? 0)) best = day;
  }
  return best === null ? null : { day: best, spread };
}

/** How a message names a day source: `the file name names 2025-01-27`. */
const NAMES: Record<DaySource, string> = {
  "--date": "--date is",
  "file name": "the file name names",
  "wrapper date": "the response's date is",
  header: "the digest day line says",
  submittedOnDailyAt: "submittedOnDailyAt says",
  publishedAt: "publishedAt says",
};

/**
 * The digest day, in order of authority: `options.date`; the first real `YYYY-MM-DD` in the file
 * name; the wrapper's `date`; else the content: the day `contentDay` gives for the items'
 * `paper.submittedOnDailyAt`, or for their `publishedAt` when no item has submittedOnDailyAt.
 *
 * A named day always wins over the content. The content disagreeing with a named day (none of
 * its list days is the named day) is a warning; so is a named day of lower authority that
 * disagrees.
 */
function digestDay(
  items: readonly ReadItem[],
  options: ParseOptions,
  wrapperDate: string | null,
  report: Report,
): { date: string; dateSource: DaySource } {
  const candidates: [DaySource, string | null][] = [
    ["--date", options.date ?? null],
    ["file name", fileNameDay(options.source)],
    ["wrapper date", wrapperDate],
  ];
  const named = candidates.filter((pair): pair is [DaySource, string] => pair[1] !== null);

  const daily = items.flatMap((i) => (i.dailyAt ? [i.dailyAt] : []));
  const listed = items.flatMap((i) => (i.listedAt ? [i.listedAt] : []));
  const contentSource: DaySource = daily.length > 0 ? "submittedOnDailyAt" : "publishedAt";
  const content = contentDay(daily.length > 0 ? daily : listed);

  const [chosen, ...others] = named;
  if (chosen) {
    const [source, date] = chosen;
    for (const [otherSource, other] of others) {
      if (other !== date) {
        report.warn(
          null,
          `${NAMES[otherSource]} ${other} but ${NAMES[source]} ${date}: using ${date}`,
        );
      }
    }
    if (content && !content.spread.includes(date)) {
      report.warn(
        null,
        `the papers were submitted ${submittedOn(content)}${content.spread.length > 1 ? "," : ""} but ${NAMES[source]} ${date}: using ${date}`,
      );
    }
    return { date, dateSource: source };
  }

  if (content) {
    if (content.spread.length > 1) {
      report.warn(
        null,
        `no --date and no YYYY-MM-DD in the file name: the papers were submitted ` +
          `${submittedOn(content)}: using ${content.day} (pass --date YYYY-MM-DD if that is wrong)`,
      );
    }
    return { date: content.day, dateSource: contentSource };
  }
  return report.fail(
    null,
    "cannot tell which day this digest is: no --date, no YYYY-MM-DD in the file name and no " +
      "submission times (submittedOnDailyAt or publishedAt) in the items; pass --date YYYY-MM-DD",
  );
}

/** `for 2025-01-26`, or `for 2025-01-25 to 2025-01-27, most for 2025-01-26` (list days). */
function submittedOn({ day, spread }: { day: string; spread: string[] }): string {
  if (spread.length === 1) return `for the list of ${day}`;
  return `for the lists of ${spread[0]} to ${spread.at(-1)}, most for ${day}`;
}

// ---------------------------------------------------------------------------------------------
// Messages

/** `$[3].paper.authors[2].name` for a path of keys. */
export function jsonPath(path: readonly PropertyKey[]): string {
  return path
    .map((key) => {
      if (typeof key === "number") return `[${key}]`;
      const text = String(key);
      return /^[A-Za-z_$][\w$]*$/.test(text) ? `.${text}` : `[${JSON.stringify(text)}]`;
    })
    .reduce((acc, part) => acc + part, "$");
}

/** A JSON value in a message: `number 2503.0213`, `string "abc"`, `an object`, ... */
function describeValue(value: unknown): string {
  if (value === undefined) return "nothing (the field is missing)";
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length} items`;
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `string ${quote(value)}`;
  return `${typeof value} ${String(value)}`;
}

/** Turns a `JSON.parse` error into `line N, column M` and a message. */
function describeSyntaxError(
  text: string,
  error: unknown,
): { where: string | null; problem: string } {
  const message = error instanceof Error ? error.message : String(error);
  const end = text.trimEnd().length;
  const position = /at position (\d+)/.exec(message);
  let offset: number;
  let problem: string;
  if (position) {
    offset = Number(position[1]);
    problem = `invalid JSON: ${message.replace(/ (?:in JSON )?at position \d+.*$/s, "")}`;
  } else if (/Unexpected end of JSON input/.test(message)) {
    offset = end;
    problem = "";
  } else {
    // V8 gives no position for "Unexpected token 'x', ... is not valid JSON": find it ourselves.
    offset = safely(() => jsonSyntaxErrorOffset(text), -1);
    if (offset < 0) return { where: null, problem: `invalid JSON: ${quote(message, 200)}` };
    problem = `invalid JSON: unexpected ${quote(text.slice(offset, offset + 1))}`;
  }
  if (offset >= end) {
    // Shown just after the last character, whatever whitespace follows it.
    offset = end;
    problem = "invalid JSON: the input ends in the middle of a value (truncated file?)";
  }
  const snippet = text.slice(Math.max(0, offset - 40), offset + 10);
  return { where: lineColumn(text, offset), problem: `${problem} near ${quote(snippet)}` };
}

/** `line N, column M` (both 1-based) of a string offset. */
function lineColumn(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i >= 0 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}

/** Runs `f`, or returns `fallback` if it throws (e.g. a regular expression's stack overflows). */
function safely<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch {
    return fallback;
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON strings may not contain raw control characters.
const STRING = /"(?:[^"\\\u0000-\u001f]+|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const LITERAL = /true|false|null/y;

/**
 * The offset of the first JSON syntax error in `text`, or -1 if there is none. Only used to
 * locate errors whose V8 message carries no position; iterative, so deep nesting is fine.
 */
export function jsonSyntaxErrorOffset(text: string): number {
  const stack: ("]" | "}")[] = [];
  // What may come next: a value, a value or `]`, a key or `}`, a key, or `,`/closer/end.
  let expect: "value" | "valueOrEnd" | "keyOrEnd" | "key" | "after" = "value";
  let i = 0;
  const match = (pattern: RegExp): boolean => {
    pattern.lastIndex = i;
    if (!pattern.test(text)) return false;
    i = pattern.lastIndex;
    return true;
  };
  for (;;) {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
    if (i >= text.length) return expect === "after" && stack.length === 0 ? -1 : i;
    const c = text[i] as string;
    if ((expect === "valueOrEnd" && c === "]") || (expect === "keyOrEnd" && c === "}")) {
      stack.pop();
      i++;
      expect = "after";
    } else if (expect === "value" || expect === "valueOrEnd") {
      if (c === "[" || c === "{") {
        stack.push(c === "[" ? "]" : "}");
        i++;
        expect = c === "[" ? "valueOrEnd" : "keyOrEnd";
        continue;
      }
      const pattern = c === '"' ? STRING : c === "-" || (c >= "0" && c <= "9") ? NUMBER : LITERAL;
      if (!match(pattern)) return i;
      expect = "after";
    } else if (expect === "key" || expect === "keyOrEnd") {
      if (c !== '"' || !match(STRING)) return i;
      while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
      if (text[i] !== ":") return i;
      i++;
      expect = "value";
    } else {
      const closer = stack.at(-1);
      if (closer === undefined) return i;
      if (c === ",") expect = closer === "]" ? "value" : "key";
      else if (c === closer) {
        stack.pop();
        expect = "after";
      } else return i;
      i++;
    }
  }
}
