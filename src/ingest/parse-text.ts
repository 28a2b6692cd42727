/**
 * Reads the text of a Daily Papers page as a person copies it from the browser:
 *
 * ```text
 * Daily Papers                      <- header noise, skipped
 * Dec 10                            <- the digest day (no year)
 *
 * Multi-task Self-supervised ...    <- title
 * Self-supervised learning ...      <- abstract: zero or more lines, joined with spaces
 *   • 7 authors                     <- author count
 * ·                                 <- separator (may be missing)
 * Oct 5, 2022                       <- publication day, optionally followed by the upvote count
 * ```
 *
 * Blank lines and leading/trailing spaces never matter. Anything that does not fit is an error
 * naming its line.
 */

import {
  candidateYear,
  cleanText,
  dayProblem,
  extractLinks,
  fileNameDay,
  latestYear,
  monthNumber,
  parseYmd,
  quote,
  titleKey,
  todayUtc,
  utcMidnight,
  type Ymd,
  ymd,
} from "./normalize.ts";
import { type Digest, DigestError, LIMITS, type ParsedPaper, type ParseOptions } from "./types.ts";

/** The digest day line of the header: a month and day, nothing else. */
const DAY_LINE = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{1,2})$/;
/** `Oct 5, 2022`, `Mar 20`, `Mar 20 3`, `Oct 6, 2024 2`: month, day, optional year, optional upvotes. */
const DATE_LINE = /^([A-Za-z]+)\s+(\d{1,2})(?:,\s*(\d{4}))?(?:\s+(\d+))?$/;
/** Lines starting with `•` and ending with `author(s)` are author lines; the count is checked after. */
const AUTHORS_LINE = /^•.*\bauthors?$/;
const AUTHORS_COUNT = /^•\s*(\d+)\s+authors?$/;
const SEPARATOR = "·";

/** A non-blank input line, trimmed, with its 1-based number. */
interface Line {
  n: number;
  text: string;
}

/** Parses a page-text digest (see the module comment for the grammar). */
export function parseTextDigest(text: string, options: ParseOptions): Digest {
  const fail = (line: number | null, problem: string): never => {
    throw new DigestError(options.source, line === null ? null : `line ${line}`, problem);
  };
  const rawLines = text.split("\n");

  // Check lengths before any regular expression sees a line, so a huge line fails fast.
  rawLines.forEach((line, index) => {
    if (line.length > LIMITS.lineChars) {
      fail(index + 1, `line is ${line.length} characters long (limit ${LIMITS.lineChars})`);
    }
  });

  // Header: skip everything up to the digest day line.
  let dayIndex = -1;
  for (let i = 0; i < rawLines.length && dayIndex < 0; i++) {
    const line = rawLines[i]?.trim() ?? "";
    if (DAY_LINE.test(line)) dayIndex = i;
    else if (AUTHORS_LINE.test(line)) {
      fail(i + 1, "no digest day line (like `Dec 10`) found before the first paper");
    }
  }
  if (dayIndex < 0) fail(null, "no digest day line (like `Dec 10`) found");
  const day = digestDay(rawLines[dayIndex]?.trim() ?? "", dayIndex + 1, options, fail);

  const lines: Line[] = [];
  for (let i = dayIndex + 1; i < rawLines.length; i++) {
    const line = rawLines[i]?.trim() ?? "";
    if (line) lines.push({ n: i + 1, text: line });
  }

  const papers: ParsedPaper[] = [];
  const seen = new Map<string, number>();
  let k = 0;
  const next = (): Line | undefined => lines[k];

  while (k < lines.length) {
    const titleLine = lines[k++] as Line;
    const title = cleanText(titleLine.text);
    if (AUTHORS_LINE.test(title) || title === SEPARATOR || isDateLine(title)) {
      fail(titleLine.n, `expected a paper title, got ${quote(title)}`);
    }
    if (title.length > LIMITS.titleChars) {
      fail(titleLine.n, `title is ${title.length} characters long (limit ${LIMITS.titleChars})`);
    }
    const incomplete = (expected: string) =>
      `incomplete paper entry ${quote(title)}: expected ${expected}`;

    // Abstract: every line up to the author line.
    const abstractLines: string[] = [];
    for (let line = next(); line && !AUTHORS_LINE.test(line.text); line = next()) {
      if (line.text === SEPARATOR || isDateLine(line.text)) {
        fail(line.n, incomplete(`a line like "• 7 authors" before ${quote(line.text)}`));
      }
      abstractLines.push(line.text);
      k++;
    }
    const abstract = cleanText(abstractLines.join(" "));
    if (abstract.length > LIMITS.abstractChars) {
      fail(
        titleLine.n,
        `abstract is ${abstract.length} characters long (limit ${LIMITS.abstractChars})`,
      );
    }

    const authorsLine = next();
    if (!authorsLine) {
      return fail(titleLine.n, incomplete(`a line like "• 7 authors", but the input ends`));
    }
    k++;
    const authorCount = Number(AUTHORS_COUNT.exec(authorsLine.text)?.[1] ?? Number.NaN);
    if (!Number.isSafeInteger(authorCount) || authorCount < 1) {
      fail(
        authorsLine.n,
        `invalid author line ${quote(authorsLine.text)}: expected "• N authors" with N ≥ 1`,
      );
    }
    if (authorCount > LIMITS.authorsPerPaper) {
      fail(
        authorsLine.n,
        `${authorCount} authors is more than the limit of ${LIMITS.authorsPerPaper}`,
      );
    }

    if (next()?.text === SEPARATOR) k++;
    const dateLine = next();
    if (!dateLine) {
      return fail(
        titleLine.n,
        incomplete(
          `a date line like "Oct 5, 2022" after line ${authorsLine.n}, but the input ends`,
        ),
      );
    }
    k++;
    const { publishedAt, upvotes } = parseDateLine(dateLine, day, fail);

    const key = titleKey(title);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      fail(titleLine.n, `paper ${quote(title)} is listed twice (also at line ${earlier})`);
    }
    seen.set(key, titleLine.n);

    if (papers.length >= LIMITS.papersPerDigest) {
      fail(titleLine.n, `the digest lists more than ${LIMITS.papersPerDigest} papers (the limit)`);
    }
    const { codeUrl, projectUrl } = extractLinks(abstract);
    papers.push({
      rank: papers.length + 1,
      location: `line ${titleLine.n}`,
      arxivId: null,
      arxivVersion: null,
      title,
      titleKey: key,
      abstract,
      authorCount,
      authors: null,
      publishedAt,
      upvotes,
      codeUrl,
      githubStars: null,
      projectUrl,
      thumbnailUrl: null,
      mediaUrls: null,
      commentCount: null,
      discussionId: null,
      submitterHandle: null,
      submitterName: null,
      aiSummary: null,
      aiKeywords: null,
      withdrawnAt: null,
      submittedAt: null,
    });
  }

  if (papers.length === 0) fail(null, "digest lists no papers");
  return { format: "text", date: ymd(day), papers };
}

type Fail = (line: number | null, problem: string) => never;

/** True for a line shaped like a paper's date line with a real month name (`Mar 20 3`). */
function isDateLine(text: string): boolean {
  const match = DATE_LINE.exec(text);
  return match !== null && monthNumber(match[1] ?? "") !== null;
}

/**
 * The digest day from its header line (`Dec 10`) and, for the year, in order: `options.date`
 * (which must name the same month and day), the `YYYY-MM-DD` the source file name starts with (if
 * it names the same month and day), else the latest such day not after `options.today`.
 */
function digestDay(text: string, n: number, options: ParseOptions, fail: Fail): Ymd {
  const match = DAY_LINE.exec(text);
  const month = monthNumber(match?.[1] ?? "") ?? 0;
  const dayOfMonth = Number(match?.[2]);

  if (options.date !== undefined) {
    const given = parseYmd(options.date);
    if (!given) return fail(null, `invalid --date ${quote(options.date)}: expected YYYY-MM-DD`);
    if (given.month !== month || given.day !== dayOfMonth) {
      fail(n, `the digest day line says ${quote(text)} but --date is ${options.date}`);
    }
    return given;
  }

  const fromName = fileNameDay(options.source);
  const named = fromName ? parseYmd(fromName) : null;
  if (named && named.month === month && named.day === dayOfMonth) return named;

  const todayText = options.today ?? todayUtc();
  const today = parseYmd(todayText);
  if (!today) return fail(null, `invalid "today" date ${quote(todayText)}: expected YYYY-MM-DD`);
  const year = latestYear(month, dayOfMonth, today);
  if (year === null) {
    const problem = dayProblem({
      year: candidateYear(month, dayOfMonth, today),
      month,
      day: dayOfMonth,
    });
    return fail(n, `invalid date ${quote(text)}: ${problem}`);
  }
  return { year, month, day: dayOfMonth };
}

/**
 * A paper's date line: `Oct 5, 2022` or `Mar 20`, optionally followed by the upvote count. A
 * missing year is that of the latest such day not after the digest day.
 */
function parseDateLine(
  line: Line,
  digestDay: Ymd,
  fail: Fail,
): { publishedAt: Date; upvotes: number } {
  const match = DATE_LINE.exec(line.text);
  if (!match) {
    return fail(
      line.n,
      `expected a date line like "Oct 5, 2022" or "Mar 20 3", got ${quote(line.text)}`,
    );
  }
  const month = monthNumber(match[1] ?? "");
  if (month === null) {
    const got = `${quote(line.text)} (unknown month ${quote(match[1] ?? "")}; expected Jan ... Dec)`;
    return fail(line.n, `expected a date line like "Oct 5, 2022", got ${got}`);
  }
  const day = Number(match[2]);
  const upvotes = match[4] === undefined ? 0 : Number(match[4]);
  if (!Number.isSafeInteger(upvotes)) {
    return fail(line.n, `upvote count in ${quote(line.text)} is too large`);
  }

  let year: number | null = match[3] === undefined ? null : Number(match[3]);
  if (year === null) {
    year = latestYear(month, day, digestDay);
    if (year === null) {
      const problem = dayProblem({ year: candidateYear(month, day, digestDay), month, day });
      return fail(line.n, `invalid date ${quote(line.text)}: ${problem}`);
    }
  }
  const problem = dayProblem({ year, month, day });
  if (problem) return fail(line.n, `invalid date ${quote(line.text)}: ${problem}`);
  return { publishedAt: utcMidnight({ year, month, day }), upvotes };
}
