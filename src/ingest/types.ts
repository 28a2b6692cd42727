/** The shapes shared by the digest parsers and the database writer. */

export type DigestFormat = "text" | "hf-json";

/** An author as a digest lists it. */
export interface ParsedAuthor {
  name: string;
  hidden: boolean;
  /** The digest's own id of this author entry (`_id` in the API JSON). */
  externalId: string | null;
  /** Claim status (`claimed_verified`, ...), when given. */
  status: string | null;
  /** Hugging Face user name of a claimed author, when given. */
  hfUsername: string | null;
}

/** The organization a paper was submitted under (API JSON `organization`). */
export interface ParsedOrganization {
  /** Its Hugging Face handle (`name`), e.g. `google`. */
  handle: string;
  /** Its display name (`fullname`), e.g. `Google`. */
  name: string | null;
  avatarUrl: string | null;
}

/**
 * One paper of a digest, normalised. Every field that the digest lacks is null. Only the arXiv id
 * (API JSON) and the title are required of an input; see README "What a digest must contain".
 */
export interface ParsedPaper {
  /** 1-based position in the digest. */
  rank: number;
  /** Where the paper starts in the input: `line 35` (text) or `$[3]` (JSON); used in messages. */
  location: string;
  /** arXiv id without version (`2410.17243`, `cs/0112017`), never passed through a number. */
  arxivId: string | null;
  /** Version suffix (`2` for `2410.17243v2`). */
  arxivVersion: number | null;
  title: string;
  /** See `titleKey()` in normalize.ts. */
  titleKey: string;
  /** The abstract; empty when the digest has none. */
  abstract: string;
  /** How many authors the digest counts; 0 when it says nothing about them. */
  authorCount: number;
  /** Ordered authors (API JSON); null when the digest gives only a count (page text) or none. */
  authors: ParsedAuthor[] | null;
  publishedAt: Date | null;
  /** The upvote count the digest shows; null when it gives none (then the stored one stays). */
  upvotes: number | null;
  codeUrl: string | null;
  githubStars: number | null;
  projectUrl: string | null;
  thumbnailUrl: string | null;
  mediaUrls: string[] | null;
  commentCount: number | null;
  discussionId: string | null;
  submitterHandle: string | null;
  submitterName: string | null;
  aiSummary: string | null;
  aiKeywords: string[] | null;
  withdrawnAt: Date | null;
  organization: ParsedOrganization | null;
  /** When the paper entered the daily list (API JSON). */
  submittedAt: Date | null;
}

/** Where a digest's day came from, in order of authority. */
export type DaySource =
  | "--date"
  | "file name"
  | "wrapper date"
  | "header"
  | "submittedOnDailyAt"
  | "publishedAt";

/** A parsed digest: one day's list of papers. */
export interface Digest {
  format: DigestFormat;
  /** The digest's day, `YYYY-MM-DD`. */
  date: string;
  /** What named the day. */
  dateSource: DaySource;
  papers: ParsedPaper[];
  /**
   * Problems that did not stop the digest from loading, each with its place, e.g.
   * `$[3].paper.githubRepo: not an http(s) URL "n/a": ignored`, or the content's day disagreeing
   * with the named day. Shown in the report; at most `LIMITS.problemsShown` are kept, and the
   * count of the rest is added as a last line.
   */
  warnings: string[];
}

/** Options that decide how a digest is read. */
export interface ParseOptions {
  /** A name for the input in messages (a file path, or `-`). */
  source: string;
  /** The day the user named with `--date`, `YYYY-MM-DD`. */
  date?: string | undefined;
  /** "Today", `YYYY-MM-DD`, for digests whose day has no year. Defaults to the current UTC date. */
  today?: string | undefined;
}

/** One thing wrong with an input, and where. */
export interface Problem {
  /** `line 35`, `line 3, column 7`, `$[3].paper.id`, or null for the whole input. */
  where: string | null;
  problem: string;
}

/**
 * A digest that cannot be read. The message names the source, where (`line N` or a JSON path) and
 * what is wrong, e.g. `digest.txt:35: invalid date "Feb 30": February 2025 has 28 days`. A digest
 * with several problems reports all of them at once (up to `LIMITS.problemsShown`, then how many
 * more), one per line after a summary line: `digest.json: 3 problems:`.
 */
export class DigestError extends Error {
  override name = "DigestError";
  /** Every problem found (the first is also `where` / `problem`). */
  readonly problems: Problem[];
  /** Where the first problem is. */
  readonly where: string | null;
  /** The first problem. */
  readonly problem: string;

  constructor(
    readonly source: string,
    where: string | null | Problem[],
    problem?: string,
  ) {
    const problems = Array.isArray(where) ? where : [{ where, problem: problem ?? "" }];
    super(DigestError.formatAll(source, problems));
    this.problems = problems;
    this.where = problems[0]?.where ?? null;
    this.problem = problems[0]?.problem ?? "";
  }

  /** One problem on one line; several as a summary line and one indented line each. */
  static formatAll(source: string, problems: readonly Problem[]): string {
    if (problems.length === 1) {
      const [only] = problems as [Problem];
      return DigestError.format(source, only.where, only.problem);
    }
    const shown = problems.slice(0, LIMITS.problemsShown);
    const lines = shown.map((p) => `  ${DigestError.format(source, p.where, p.problem)}`);
    const rest = problems.length - shown.length;
    if (rest > 0) lines.push(`  ... and ${rest} more problem${rest > 1 ? "s" : ""}`);
    return [`${source}: ${problems.length} problems:`, ...lines].join("\n");
  }

  static format(source: string, where: string | null, problem: string): string {
    if (!where) return `${source}: ${problem}`;
    const line = /^line (\d+)(?:, column (\d+))?$/.exec(where);
    if (line) return `${source}:${line[1]}${line[2] ? `:${line[2]}` : ""}: ${problem}`;
    return `${source}: ${where}: ${problem}`;
  }
}

/** Input limits: anything larger is rejected with a clear error before it reaches the database. */
export const LIMITS = {
  /** Bytes of one digest file. */
  fileBytes: 50 * 1024 * 1024,
  /** Characters of one line of a page-text digest. */
  lineChars: 100_000,
  titleChars: 1_000,
  abstractChars: 50_000,
  authorsPerPaper: 5_000,
  authorNameChars: 500,
  papersPerDigest: 10_000,
  urlChars: 2_000,
  /** Counts (upvotes, comments, stars): both engines store a 32-bit signed integer. */
  count: 2_147_483_647,
  /** Problems (or warnings) of one file listed in full; the rest are counted. */
  problemsShown: 20,
} as const;
