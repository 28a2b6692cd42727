/** Turns the bytes of a digest file into a `Digest`: checks, decodes, then hands over to a parser. */

import { todayUtc, ymd } from "./normalize.ts";
import { parseHfJsonDigest } from "./parse-hf-json.ts";
import { parseTextDigest } from "./parse-text.ts";
import { type Digest, DigestError, type DigestFormat, LIMITS, type ParseOptions } from "./types.ts";

const DAY_MS = 86_400_000;

const BOM = [0xef, 0xbb, 0xbf] as const;

/** `hf-json` when the first non-whitespace character (after a BOM) is `[` or `{`, else `text`. */
export function detectFormat(bytes: Buffer): DigestFormat {
  let i = bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2] ? 3 : 0;
  while (i < bytes.length && [0x20, 0x09, 0x0a, 0x0d].includes(bytes[i] as number)) i++;
  return bytes[i] === 0x5b || bytes[i] === 0x7b ? "hf-json" : "text";
}

/**
 * Parses a digest file. Rejects files over `LIMITS.fileBytes`, empty or whitespace-only input and
 * binary input (a NUL byte or invalid UTF-8, reported with its line); strips a UTF-8 BOM and turns
 * CRLF and CR line ends into LF before the format parser sees the text.
 */
export function parseDigest(
  bytes: Buffer,
  options: ParseOptions & { format?: "auto" | DigestFormat },
): Digest {
  const fail = (where: string | null, problem: string): never => {
    throw new DigestError(options.source, where, problem);
  };
  if (bytes.length > LIMITS.fileBytes) {
    fail(null, `file is ${bytes.length} bytes (limit ${LIMITS.fileBytes})`);
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    fail(`line ${lineOf(bytes, nul)}`, "contains a NUL byte: this is binary data, not a digest");
  }

  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const byte = bad >= 0 ? ` (byte 0x${(bytes[bad] ?? 0).toString(16).padStart(2, "0")})` : "";
    return fail(
      bad >= 0 ? `line ${lineOf(bytes, bad)}` : null,
      `invalid UTF-8${byte}: a digest must be UTF-8 text (binary file, or another encoding?)`,
    );
  }
  if (text.startsWith("\uFEFF")) text = text.slice(1);
  if (text.trim() === "") fail(null, "empty digest");
  text = text.replace(/\r\n?/g, "\n");

  const format =
    !options.format || options.format === "auto" ? detectFormat(bytes) : options.format;
  const parseOptions: ParseOptions = {
    source: options.source,
    date: options.date,
    today: options.today,
  };
  const digest =
    format === "hf-json"
      ? parseHfJsonDigest(text, parseOptions)
      : parseTextDigest(text, parseOptions);
  return checkDates(digest, options.source, options.today ?? todayUtc());
}

/** The first digest day papergraph accepts: the year arXiv began. */
export const FIRST_DAY = "1991-01-01";

/**
 * Refuses days that cannot be right, with their place: a digest day after tomorrow (UTC: a
 * reader a day ahead of UTC may name tomorrow) or before 1991, and papers published after the
 * digest's day. A page-text paper's date is required, so a later one is a problem; an API paper's
 * `publishedAt` is optional, so a later one (allowing a day for time zones) is dropped with a
 * warning. (A paper dated 2099 would otherwise lead the TRENDING order for decades.)
 */
function checkDates(digest: Digest, source: string, today: string): Digest {
  const tomorrow = ymd(new Date(Date.parse(`${today}T00:00:00Z`) + DAY_MS));
  if (digest.papers.length > 0 && (digest.date > tomorrow || digest.date < FIRST_DAY)) {
    const why = digest.date > tomorrow ? `after tomorrow (${tomorrow})` : `before ${FIRST_DAY}`;
    throw new DigestError(
      source,
      null,
      `the digest's day ${digest.date} (from ${digest.dateSource}) is ${why}: pass --date YYYY-MM-DD if the day is wrong`,
    );
  }
  const dayEnd = Date.parse(`${digest.date}T00:00:00Z`) + DAY_MS;
  const problems: { where: string; problem: string }[] = [];
  const warnings: string[] = [];
  const papers = digest.papers.map((paper) => {
    const published = paper.publishedAt?.getTime();
    if (published === undefined) return paper;
    if (digest.format === "text" && published >= dayEnd) {
      problems.push({
        where: paper.location,
        problem: `the paper's date ${ymd(paper.publishedAt as Date)} is after the digest's day ${digest.date}`,
      });
    } else if (digest.format === "hf-json" && published >= dayEnd + DAY_MS) {
      const where = `${paper.location}.paper.publishedAt`;
      const at = (paper.publishedAt as Date).toISOString();
      warnings.push(
        DigestError.format(
          source,
          where,
          `${at} is after the digest's day ${digest.date}: ignored`,
        ),
      );
      return { ...paper, publishedAt: null };
    }
    return paper;
  });
  if (problems.length > 0) throw new DigestError(source, problems);
  return warnings.length
    ? { ...digest, papers, warnings: [...digest.warnings, ...warnings] }
    : digest;
}

/** The 1-based line of a byte offset (lines end at LF, or at a CR not followed by LF). */
function lineOf(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a || (bytes[i] === 0x0d && bytes[i + 1] !== 0x0a)) line++;
  }
  return line;
}

/**
 * The offset of the first byte that is not part of a well-formed UTF-8 sequence (overlong forms,
 * surrogates and code points above U+10FFFF included), or -1. `TextDecoder` only says "invalid".
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i] as number;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const tail =
      lead >= 0xc2 && lead <= 0xdf
        ? 1
        : lead >= 0xe0 && lead <= 0xef
          ? 2
          : lead >= 0xf0 && lead <= 0xf4
            ? 3
            : 0;
    if (tail === 0 || i + tail >= bytes.length) return i;
    // The second byte's range is narrower after some lead bytes (Unicode table 3-7).
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    const second = bytes[i + 1] as number;
    if (second < low || second > high) return i;
    for (let k = 2; k <= tail; k++) {
      if (((bytes[i + k] as number) & 0xc0) !== 0x80) return i;
    }
    i += tail + 1;
  }
  return -1;
}
