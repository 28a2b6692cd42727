/**
 * Reads the raw response of the Hugging Face `/api/daily_papers?date=YYYY-MM-DD` endpoint: a JSON
 * array of `{ paper: {...}, title, thumbnail, numComments, submittedBy, ... }` items. Keys we do
 * not use are ignored; the ones we use are validated with zod and every problem is reported with
 * its JSON path (`$[3].paper.authors[2].name`).
 */

import { z } from "zod";
import {
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
import { type Digest, DigestError, LIMITS, type ParsedPaper, type ParseOptions } from "./types.ts";

/** An ISO timestamp string, turned into a Date. */
const timestamp = z.string().transform((text, ctx) => {
  const date = parseIsoTimestamp(text);
  if (typeof date === "string") {
    ctx.issues.push({ code: "custom", message: date, input: text });
    return z.NEVER;
  }
  return date;
});

/** An arXiv id; it must be a string (a JSON number has already lost digits: 2503.0213). */
const arxivId = z.string().transform((text, ctx) => {
  const id = parseArxivId(text);
  if (!id) {
    const message = `invalid arXiv id ${quote(text)}: expected one like 2410.17243, 2410.17243v2 or cs/0112017`;
    ctx.issues.push({ code: "custom", message, input: text });
    return z.NEVER;
  }
  return id;
});

const url = z
  .string()
  .max(LIMITS.urlChars)
  .refine(isHttpUrl, { message: "expected an http(s) URL" });

/**
 * A short identifier or name; ids and names share the author-name limit. LIMITS has no entry for
 * keyword or media lists, so the per-paper author limit bounds them too.
 */
const name = z.string().max(LIMITS.authorNameChars);
const count = z.number().int().nonnegative();

const authorSchema = z.object({
  _id: name,
  name: name.refine((text) => cleanText(text) !== "", { message: "expected a non-empty name" }),
  hidden: z.boolean(),
  status: name.nullish(),
  user: z.object({ user: name }).nullish(),
});

const paperSchema = z.object({
  id: arxivId,
  authors: z.array(authorSchema).max(LIMITS.authorsPerPaper),
  publishedAt: timestamp,
  // Title and abstract lengths are checked after whitespace is collapsed (see toPaper).
  title: z.string(),
  summary: z.string(),
  upvotes: count,
  discussionId: name,
  submittedOnDailyAt: timestamp.nullish(),
  ai_summary: z.string().max(LIMITS.abstractChars).nullish(),
  ai_keywords: z.array(z.string().max(LIMITS.titleChars)).max(LIMITS.authorsPerPaper).nullish(),
  githubRepo: url.nullish(),
  githubStars: count.nullish(),
  projectPage: url.nullish(),
  withdrawnAt: timestamp.nullish(),
});

const itemSchema = z.object({
  paper: paperSchema,
  publishedAt: timestamp,
  title: z.string().nullish(),
  thumbnail: url,
  mediaUrls: z.array(url).max(LIMITS.authorsPerPaper).nullish(),
  numComments: count,
  submittedBy: z.object({ name, fullname: name }),
});

type Item = z.output<typeof itemSchema>;

/** Parses a Daily Papers API response. */
export function parseHfJsonDigest(text: string, options: ParseOptions): Digest {
  const fail = (where: string | null, problem: string): never => {
    throw new DigestError(options.source, where, problem);
  };

  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const { where, problem } = describeSyntaxError(text, error);
    return fail(where, problem);
  }
  if (!Array.isArray(raw)) {
    return fail(
      "$",
      `expected an array of items (the /api/daily_papers response), got ${describeValue(raw)}`,
    );
  }
  if (raw.length === 0) return fail(null, "digest lists no papers");
  if (raw.length > LIMITS.papersPerDigest) {
    return fail("$", `lists ${raw.length} papers (limit ${LIMITS.papersPerDigest})`);
  }

  const result = z.array(itemSchema).safeParse(raw);
  if (!result.success) {
    const [first, ...rest] = result.error.issues;
    if (!first) return fail("$", "invalid digest");
    const more = rest.length
      ? ` (and ${rest.length} more problem${rest.length > 1 ? "s" : ""})`
      : "";
    return fail(jsonPath(first.path), describeIssue(first, raw) + more);
  }

  const papers: ParsedPaper[] = [];
  const seen = new Map<string, string>();
  result.data.forEach((item, i) => {
    const paper = toPaper(item, i, fail);
    const idPath = `$[${i}].paper.id`;
    const id = paper.arxivId ?? "";
    const earlier = seen.get(id);
    if (earlier) fail(idPath, `paper ${id} is listed twice (also at ${earlier})`);
    seen.set(id, idPath);
    papers.push(paper);
  });

  return { format: "hf-json", date: digestDay(papers, options, fail), papers };
}

/**
 * Maps one validated item. The title is the item's own (clean) title, else `paper.title`, with
 * whitespace collapsed. The abstract is `paper.summary` with its hard line wraps joined: every run
 * of whitespace containing a newline becomes one space.
 */
function toPaper(
  item: Item,
  i: number,
  fail: (where: string, problem: string) => never,
): ParsedPaper {
  const { paper } = item;
  const title = cleanText(item.title ?? paper.title);
  const titleWhere = item.title != null ? `$[${i}].title` : `$[${i}].paper.title`;
  if (!title) fail(titleWhere, "the title is empty");
  if (title.length > LIMITS.titleChars) {
    fail(
      titleWhere,
      `title is ${title.length} characters long (limit ${LIMITS.titleChars}): ${quote(title)}`,
    );
  }
  const abstract = joinLines(paper.summary);
  if (abstract.length > LIMITS.abstractChars) {
    fail(
      `$[${i}].paper.summary`,
      `abstract is ${abstract.length} characters long (limit ${LIMITS.abstractChars})`,
    );
  }
  const links = extractLinks(abstract);

  return {
    rank: i + 1,
    location: `$[${i}]`,
    arxivId: paper.id.id,
    arxivVersion: paper.id.version,
    title,
    titleKey: titleKey(title),
    abstract,
    authorCount: paper.authors.length,
    authors: paper.authors.map((author) => ({
      name: cleanText(author.name),
      hidden: author.hidden,
      externalId: author._id,
      status: author.status ?? null,
      hfUsername: author.user?.user ?? null,
    })),
    publishedAt: paper.publishedAt,
    upvotes: paper.upvotes,
    codeUrl: paper.githubRepo ?? links.codeUrl,
    githubStars: paper.githubStars ?? null,
    projectUrl: paper.projectPage ?? links.projectUrl,
    thumbnailUrl: item.thumbnail,
    mediaUrls: item.mediaUrls ?? null,
    commentCount: item.numComments,
    discussionId: paper.discussionId,
    submitterHandle: item.submittedBy.name,
    submitterName: item.submittedBy.fullname,
    aiSummary: paper.ai_summary ?? null,
    aiKeywords: paper.ai_keywords ?? null,
    withdrawnAt: paper.withdrawnAt ?? null,
    submittedAt: paper.submittedOnDailyAt ?? item.publishedAt,
  };
}

/**
 * The digest day: `options.date`; else the UTC day all items were submitted on; else the
 * `YYYY-MM-DD` the source file name starts with. Items spread over several days with neither is
 * an error, since the day cannot be told.
 */
function digestDay(
  papers: ParsedPaper[],
  options: ParseOptions,
  fail: (where: string | null, problem: string) => never,
): string {
  if (options.date !== undefined) {
    if (!isValidYmd(options.date))
      fail(null, `invalid --date ${quote(options.date)}: expected YYYY-MM-DD`);
    return options.date;
  }
  const days = [...new Set(papers.flatMap((p) => (p.submittedAt ? [ymd(p.submittedAt)] : [])))];
  if (days.length === 1 && days[0]) return days[0];
  const fromName = fileNameDay(options.source);
  if (fromName) return fromName;
  return fail(
    null,
    `the papers were submitted on ${days.length} different days (${days.sort().join(", ")}); ` +
      "pass --date YYYY-MM-DD to say which day this digest is",
  );
}

// ---------------------------------------------------------------------------------------------
// Messages

/** `$[3].paper.authors[2].name` for a zod issue path. */
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

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  array: "an array",
  object: "an object",
};

/** The value found at `path` inside `root`. */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** A readable message for a zod issue, showing the offending value. */
function describeIssue(issue: z.core.$ZodIssue, root: unknown): string {
  const value = valueAt(root, issue.path);
  const got = describeValue(value);
  switch (issue.code) {
    case "invalid_type":
      return `expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${got}`;
    case "too_big":
      if (typeof value === "string") {
        return `too long: ${value.length} characters (limit ${issue.maximum}): ${quote(value)}`;
      }
      if (Array.isArray(value)) return `too many items: ${value.length} (limit ${issue.maximum})`;
      return `expected at most ${issue.maximum}, got ${got}`;
    case "too_small":
      return `expected a non-negative integer, got ${got}`;
    case "custom":
      // Our own checks already quote the value.
      return typeof value === "string" && issue.message.includes(quote(value))
        ? issue.message
        : `${issue.message}, got ${got}`;
    default:
      return `${issue.message}, got ${got}`;
  }
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
