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

/** One paper of a digest, normalised. Every field that the digest lacks is null. */
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
  abstract: string;
  authorCount: number;
  /** Ordered authors (API JSON); null when the digest gives only a count (page text). */
  authors: ParsedAuthor[] | null;
  publishedAt: Date | null;
  upvotes: number;
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
  /** When the paper entered the daily list (API JSON). */
  submittedAt: Date | null;
}

/** A parsed digest: one day's list of papers. */
export interface Digest {
  format: DigestFormat;
  /** The digest's day, `YYYY-MM-DD`. */
  date: string;
  papers: ParsedPaper[];
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

/**
 * A digest that cannot be read. The message names the source, where (`line N` or a JSON path) and
 * what is wrong, e.g. `digest.txt:35: invalid date "Feb 30": February 2025 has 28 days`.
 */
export class DigestError extends Error {
  override name = "DigestError";
  constructor(
    readonly source: string,
    /** `line 35`, `line 3, column 7`, `$[3].paper.id`, or null for the whole input. */
    readonly where: string | null,
    readonly problem: string,
  ) {
    super(DigestError.format(source, where, problem));
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
} as const;
