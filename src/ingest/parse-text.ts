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
 * Blank lines, leading/trailing spaces and invisible characters (see `cleanText`) never matter.
 * Anything that does not fit is a problem naming its line; every problem of the file is reported
 * at once.
 */

import {
  candidateYear,
  capWarnings,
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
import {
  type DaySource,
  type Digest,
  DigestError,
  LIMITS,
  type ParsedPaper,
  type ParseOptions,
  type Problem,
} from "./types.ts";

/** The digest day line of the header: a month and day, nothing else. */
const DAY_LINE = /^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{1,2})$/;
/** `Oct 5, 2022`, `Mar 20`, `Mar 20 3`, `Oct 6, 2024 2`: month, day, optional year, optional upvotes. */
const DATE_LINE = /^([A-Za-z]+)\s+(\d{1,2})(?:,\s*(\d{4}))?(?:\s+(\d+))?$/;
/** Lines starting with `•` and ending with `author(s)` are author lines; the count is checked after. */
const AUTHORS_LINE = /^•.*\bauthors?$/;
const AUTHORS_COUNT = /^•\s*(\d+)\s+authors?$/;
const SEPARATOR = "·";

/** A non-blank input line, cleaned (see `cleanText`), with its 1-based number. */
interface Line {
  n: number;
  text: string;
}

/** Collects the problems and warnings of one file; problems are thrown together at the end. */
class Report {
  readonly problems: Problem[] = [];
  readonly warnings: string[] = [];

  constructor(readonly source: string) {}

  problem(line: number | null, problem: string): void {
    this.problems.push({ where: line === null ? null : `line ${line}`, problem });
  }

  /** Throws this problem with the ones collected before it: the file cannot be read further. */
  fail(line: number | null, problem: string): never {
    this.problem(line, problem);
    throw new DigestError(this.source, this.problems);
  }

  warn(line: number | null, text: string): void {
    this.warnings.push(
      DigestError.format(this.source, line === null ? null : `line ${line}`, text),
    );
  }

  /** Throws every problem collected so far, if any. */
  check(): void {
    if (this.problems.length > 0) throw new DigestError(this.source, this.problems);
  }
}

/**
 * Parses a page-text digest (see the module comment for the grammar). Every problem of the file
 * is reported at once: after a malformed paper entry the parser resynchronises after the next
 * date line and reads on.
 */
export function parseTextDigest(text: string, options: ParseOptions): Digest {
  const report = new Report(options.source);
  const rawLines = text.split("\n");

  // Check lengths before any regular expression sees a line, so a huge line fails fast.
  rawLines.forEach((line, index) => {
    if (line.length > LIMITS.lineChars) {
      report.problem(
        index + 1,
        `line is ${line.length} characters long (limit ${LIMITS.lineChars})`,
      );
    }
  });
  report.check();

  // Header: skip everything up to the digest day line.
  let dayIndex = -1;
  for (let i = 0; i < rawLines.length && dayIndex < 0; i++) {
    const line = cleanText(rawLines[i] ?? "");
    if (DAY_LINE.test(line)) dayIndex = i;
    else if (AUTHORS_LINE.test(line)) {
      report.fail(i + 1, "no digest day line (like `Dec 10`) found before the first paper");
    }
  }
  if (dayIndex < 0) report.fail(null, "no digest day line (like `Dec 10`) found");
  const { day, dateSource } = digestDay(
    cleanText(rawLines[dayIndex] ?? ""),
    dayIndex + 1,
    options,
    report,
  );

  const lines: Line[] = [];
  for (let i = dayIndex + 1; i < rawLines.length; i++) {
    const line = cleanText(rawLines[i] ?? "");
    if (line) lines.push({ n: i + 1, text: line });
  }

  const papers: ParsedPaper[] = [];
  const seen = new Map<string, number>();
  let entries = 0;
  let k = 0;
  const next = (): Line | undefined => lines[k];
  /** Skips to just after the first date line at or after `lines[from]`: the next entry's start. */
  const resync = (from: number) => {
    k = from;
    while (k < lines.length && !isDateLine((lines[k] as Line).text)) k++;
    k = Math.min(k + 1, lines.length);
  };

  while (k < lines.length) {
    const titleLine = lines[k++] as Line;
    const title = titleLine.text;
    if (AUTHORS_LINE.test(title) || title === SEPARATOR || isDateLine(title)) {
      report.problem(titleLine.n, `expected a paper title, got ${quote(title)}`);
      resync(k - 1);
      continue;
    }
    if (++entries > LIMITS.papersPerDigest) {
      report.problem(
        titleLine.n,
        `the digest lists more than ${LIMITS.papersPerDigest} papers (the limit)`,
      );
      break;
    }
    const before = report.problems.length;
    if (title.length > LIMITS.titleChars) {
      report.problem(
        titleLine.n,
        `title is ${title.length} characters long (limit ${LIMITS.titleChars})`,
      );
    }
    const incomplete = (expected: string) =>
      `incomplete paper entry ${quote(title)}: expected ${expected}`;

    // Abstract: every line up to the author line.
    const abstractLines: string[] = [];
    let misplaced: Line | undefined;
    for (let line = next(); line && !AUTHORS_LINE.test(line.text); line = next()) {
      if (line.text === SEPARATOR || isDateLine(line.text)) {
        misplaced = line;
        break;
      }
      abstractLines.push(line.text);
      k++;
    }
    if (misplaced) {
      report.problem(
        misplaced.n,
        incomplete(`a line like "• 7 authors" before ${quote(misplaced.text)}`),
      );
      resync(k);
      continue;
    }
    const abstract = cleanText(abstractLines.join(" "));
    if (abstract.length > LIMITS.abstractChars) {
      report.problem(
        titleLine.n,
        `abstract is ${abstract.length} characters long (limit ${LIMITS.abstractChars})`,
      );
    }

    const authorsLine = next();
    if (!authorsLine) {
      report.problem(titleLine.n, incomplete(`a line like "• 7 authors", but the input ends`));
      break;
    }
    k++;
    const authorCount = Number(AUTHORS_COUNT.exec(authorsLine.text)?.[1] ?? Number.NaN);
    if (!Number.isSafeInteger(authorCount) || authorCount < 1) {
      report.problem(
        authorsLine.n,
        `invalid author line ${quote(authorsLine.text)}: expected "• N authors" with N ≥ 1`,
      );
    } else if (authorCount > LIMITS.authorsPerPaper) {
      report.problem(
        authorsLine.n,
        `${authorCount} authors is more than the limit of ${LIMITS.authorsPerPaper}`,
      );
    }

    if (next()?.text === SEPARATOR) k++;
    const dateLine = next();
    if (!dateLine) {
      report.problem(
        titleLine.n,
        incomplete(
          `a date line like "Oct 5, 2022" after line ${authorsLine.n}, but the input ends`,
        ),
      );
      break;
    }
    // Taken as this entry's date line even when it is not one, so that one bad line does not
    // make the next entry's lines misread one after another.
    k++;
    const dated = parseDateLine(dateLine, day, report);

    const key = titleKey(title);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      report.problem(
        titleLine.n,
        `paper ${quote(title)} is listed twice (also at line ${earlier})`,
      );
    } else seen.set(key, titleLine.n);

    if (report.problems.length > before || !dated) continue;
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
      publishedAt: dated.publishedAt,
      upvotes: dated.upvotes,
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
      organization: null,
      submittedAt: null,
    });
  }

  report.check();
  if (papers.length === 0) report.fail(null, "digest lists no papers");
  return {
    format: "text",
    date: ymd(day),
    dateSource,
    papers,
    warnings: capWarnings(report.warnings),
  };
}

/** True for a line shaped like a paper's date line with a real month name (`Mar 20 3`). */
function isDateLine(text: string): boolean {
  const match = DATE_LINE.exec(text);
  return match !== null && monthNumber(match[1] ?? "") !== null;
}

/**
 * The digest day from its header line (`Dec 10`) and, for the year, in order: `options.date`
 * (which must name the same month and day: a problem otherwise), the first `YYYY-MM-DD` in the
 * source file name if it names the same month and day (otherwise it is not used, with a
 * warning), else the latest such day not after `options.today`. A problem with the day is
 * recorded and a stand-in day (--date or today) returned, so that the papers are still checked.
 */
function digestDay(
  text: string,
  n: number,
  options: ParseOptions,
  report: Report,
): { day: Ymd; dateSource: DaySource } {
  const match = DAY_LINE.exec(text);
  const month = monthNumber(match?.[1] ?? "") ?? 0;
  const dayOfMonth = Number(match?.[2]);
  const fromName = fileNameDay(options.source);
  const named = fromName ? parseYmd(fromName) : null;
  const isHeaderDay = (day: Ymd) => day.month === month && day.day === dayOfMonth;

  if (options.date !== undefined) {
    const given = parseYmd(options.date);
    if (!given)
      return report.fail(null, `invalid --date ${quote(options.date)}: expected YYYY-MM-DD`);
    if (!isHeaderDay(given)) {
      report.problem(n, `the digest day line says ${quote(text)} but --date is ${options.date}`);
    } else if (fromName && fromName !== options.date) {
      report.warn(
        null,
        `the file name names ${fromName} but --date is ${options.date}: using ${options.date}`,
      );
    }
    return { day: given, dateSource: "--date" };
  }

  if (named && isHeaderDay(named)) return { day: named, dateSource: "file name" };

  const todayText = options.today ?? todayUtc();
  const today = parseYmd(todayText);
  if (!today) {
    return report.fail(null, `invalid "today" date ${quote(todayText)}: expected YYYY-MM-DD`);
  }
  const year = latestYear(month, dayOfMonth, today);
  if (year === null) {
    const problem = dayProblem({
      year: candidateYear(month, dayOfMonth, today),
      month,
      day: dayOfMonth,
    });
    report.problem(n, `invalid date ${quote(text)}: ${problem}`);
    return { day: today, dateSource: "header" };
  }
  const day = { year, month, day: dayOfMonth };
  if (fromName) {
    report.warn(
      n,
      `the file name names ${fromName} but the digest day line says ${quote(text)}: ` +
        `using ${ymd(day)} (the latest ${text} not after ${todayText}), not the file name's day`,
    );
  }
  return { day, dateSource: "header" };
}

/**
 * A paper's date line: `Oct 5, 2022` or `Mar 20`, optionally followed by the upvote count (at
 * most `LIMITS.count`). A missing year is that of the latest such day not after the digest day.
 * Null (with the problem recorded) when the line is not a valid date line.
 */
function parseDateLine(
  line: Line,
  digestDay: Ymd,
  report: Report,
): { publishedAt: Date; upvotes: number } | null {
  const fail = (problem: string) => {
    report.problem(line.n, problem);
    return null;
  };
  const match = DATE_LINE.exec(line.text);
  if (!match) {
    return fail(`expected a date line like "Oct 5, 2022" or "Mar 20 3", got ${quote(line.text)}`);
  }
  const month = monthNumber(match[1] ?? "");
  if (month === null) {
    const got = `${quote(line.text)} (unknown month ${quote(match[1] ?? "")}; expected Jan ... Dec)`;
    return fail(`expected a date line like "Oct 5, 2022", got ${got}`);
  }
  const day = Number(match[2]);
  const upvotes = match[4] === undefined ? 0 : Number(match[4]);
  if (upvotes > LIMITS.count) {
    return fail(
      `upvote count in ${quote(line.text)} is too large (limit ${LIMITS.count}, a 32-bit count)`,
    );
  }

  let year: number | null = match[3] === undefined ? null : Number(match[3]);
  if (year === null) {
    year = latestYear(month, day, digestDay);
    if (year === null) {
      const problem = dayProblem({ year: candidateYear(month, day, digestDay), month, day });
      return fail(`invalid date ${quote(line.text)}: ${problem}`);
    }
  }
  const problem = dayProblem({ year, month, day });
  if (problem) return fail(`invalid date ${quote(line.text)}: ${problem}`);
  return { publishedAt: utcMidnight({ year, month, day }), upvotes };
}
