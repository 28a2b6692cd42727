/**
 * The word rule: what a word is, computed once, here, and handed to both engines as finished
 * words (FTS5 on SQLite and tsvector on PostgreSQL never tokenize or fold anything themselves).
 * README "Search: the word rule" states it for users; the tests check both engines against an
 * independent implementation of it.
 *
 * 1. LaTeX is reduced to its text: `$\textbf{Only-IF}$` reads `Only-IF`, `$\text{Transformer}^2$`
 *    and `Transformer^2` read `Transformer2`, `$\alpha$` reads `α` (see `plainLatex`).
 * 2. Folding: invisible format characters dropped (zero-width spaces and joiners, soft hyphens,
 *    bidi controls: `zero\u200Bwidth` reads `zerowidth`), compatibility decomposition (NFKD: `ﬁ` → `fi`, `²` → `2`, full-width → ASCII),
 *    lower case, accents dropped from Latin, Greek and Cyrillic letters (`naïve` → `naive`,
 *    `Üstün` → `ustun`), and the letters that carry no separable accent mapped to their base:
 *    `ł` → `l`, `ø` → `o`, `đ`/`ð` → `d`, `ħ` → `h`, `ı` → `i`, `ß` → `ss`, `æ` → `ae`,
 *    `œ` → `oe`, `þ` → `th`, final `ς` → `σ`; then recomposed (NFC), so the marks of other
 *    scripts stay on their letters (`デ`, Hangul syllables, Devanagari).
 * 3. Words are the maximal runs of letters, digits and combining marks (starting with a letter or
 *    a digit); every other character
 *    separates words (`Qwen2.5-7B` is `qwen2` `5` `7b`; `2D/3D` is `2d` `3d`). Each Han, Hiragana
 *    and Katakana character is a word of its own, as these scripts do not put spaces between words.
 * 4. A word longer than 64 characters is cut to 64.
 */

/** Characters of a word longer than this are dropped (both in documents and in queries). */
export const MAX_WORD_CHARS = 64;

/** Letters without a separable accent, and their base letters. */
const BASE_LETTERS: Record<string, string> = {
  ł: "l",
  ø: "o",
  đ: "d",
  ð: "d",
  ħ: "h",
  ı: "i",
  ß: "ss",
  æ: "ae",
  œ: "oe",
  þ: "th",
  ς: "σ",
  ŧ: "t",
  ŀ: "l",
};
const BASE_LETTER = new RegExp(`[${Object.keys(BASE_LETTERS).join("")}]`, "gu");

/** Scripts whose accents fold away (after NFKD); other scripts keep their marks. */
const ACCENTED_SCRIPT = /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}]/u;
const MARKS = /\p{M}+/gu;
/** A run of marks is dropped when the letter it follows is Latin, Greek or Cyrillic (all BMP). */
const dropAccents = (marks: string, offset: number, text: string) =>
  ACCENTED_SCRIPT.test(text.charAt(offset - 1)) ? "" : marks;

/** Folds text as the word rule says (step 2): case, accents and compatibility forms. */
export function fold(text: string): string {
  return text
    .replace(/\p{Cf}/gu, "")
    .normalize("NFKD")
    .toLowerCase()
    .normalize("NFKD")
    .replace(MARKS, dropAccents)
    .replace(BASE_LETTER, (c) => BASE_LETTERS[c] as string)
    .normalize("NFC");
}

/**
 * A word (step 3): a CJK character on its own, or a run of letters, digits and marks that holds
 * no CJK character. The `u` flag and `\p{...}` classes make it the same on every Node version
 * that has the same Unicode tables.
 */
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
/** The same, for text without CJK characters (most text; a simpler pattern runs faster). */
const WORD_NO_CJK = /[\p{L}\p{N}][\p{L}\p{N}\p{M}]*/gu;
const WORD =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])[\p{L}\p{N}](?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])[\p{L}\p{N}\p{M}])*/gu;

// biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII is U+0000 to U+007F, controls included.
const ASCII = /^[\u0000-\u007f]*$/;

/**
 * The words of a text, folded, in order (steps 1-4). ASCII text (most of it) takes a shortcut
 * with the same result: folding ASCII only lower-cases it, and its words are its runs of letters
 * and digits (test/unit/words.test.ts checks the two paths agree).
 */
export function words(text: string): string[] {
  const plain = plainLatex(text);
  const found = ASCII.test(plain) ? plain.toLowerCase().match(/[a-z0-9]+/g) : foldedWords(plain);
  if (!found) return [];
  return found.map((w) => (w.length > MAX_WORD_CHARS ? w.slice(0, MAX_WORD_CHARS) : w));
}

function foldedWords(text: string): string[] | null {
  const folded = fold(text);
  return folded.match(CJK.test(folded) ? WORD : WORD_NO_CJK);
}

/** `words` without the ASCII shortcut (for the test that proves the shortcut changes nothing). */
export function wordsSlowly(text: string): string[] {
  const found = foldedWords(plainLatex(text));
  if (!found) return [];
  return found.map((w) => (w.length > MAX_WORD_CHARS ? w.slice(0, MAX_WORD_CHARS) : w));
}

// ---------------------------------------------------------------------------------------------
// LaTeX

const GREEK: Record<string, string> = {
  alpha: "α",
  beta: "β",
  gamma: "γ",
  delta: "δ",
  epsilon: "ε",
  varepsilon: "ε",
  zeta: "ζ",
  eta: "η",
  theta: "θ",
  vartheta: "θ",
  iota: "ι",
  kappa: "κ",
  lambda: "λ",
  mu: "μ",
  nu: "ν",
  xi: "ξ",
  pi: "π",
  rho: "ρ",
  sigma: "σ",
  tau: "τ",
  upsilon: "υ",
  phi: "φ",
  varphi: "φ",
  chi: "χ",
  psi: "ψ",
  omega: "ω",
  Gamma: "Γ",
  Delta: "Δ",
  Theta: "Θ",
  Lambda: "Λ",
  Xi: "Ξ",
  Pi: "Π",
  Sigma: "Σ",
  Phi: "Φ",
  Psi: "Ψ",
  Omega: "Ω",
};

/**
 * Commands whose argument is text to keep, also when a copy lost their backslash
 * (`$textbf{specialist}$` as page text shows it).
 */
const TEXT_COMMANDS =
  "text|textbf|textit|textrm|textsf|texttt|textsc|textnormal|emph|underline|mathbf|mathrm|mathit|mathsf|mathtt|mathcal|mathbb|mathfrak|mathscr|boldsymbol|bm|operatorname|mbox|hbox";

/** A text command that lost its backslash: the only LaTeX without `\`, `$` or `^`. */
const TEXT_COMMAND_GUARD = /\b(?:text|math)[a-z]*\{/;
/** `\cmd{arg}` (innermost first) with a known text command, backslash optional. */
const TEXT_COMMAND_ARG = new RegExp(`\\\\?\\b(?:${TEXT_COMMANDS})\\s*\\{([^{}]*)\\}`, "g");
/** Any other `\cmd{arg}`: its argument is kept. */
const COMMAND_ARG = /\\[A-Za-z]+\s*\{([^{}]*)\}/g;
/** A bare command: a Greek letter becomes the letter, anything else a space. */
const BARE_COMMAND = /\\([A-Za-z]+)/g;
/** Inline math: `$...$` on one line, at most 300 characters. */
const INLINE_MATH = /\$([^$\n]{1,300})\$/g;

/** Unwraps `\cmd{...}` groups until none is left (innermost first, so nesting works). */
function unwrapCommands(text: string, pattern: RegExp): string {
  let out = text;
  for (let previous = ""; previous !== out; ) {
    previous = out;
    out = out.replace(pattern, "$1");
  }
  return out;
}

/** Math: commands unwrapped, Greek letters spelled, `^ _ { }` dropped (`x^{2}` → `x2`). */
function plainMath(math: string): string {
  const unwrapped = unwrapCommands(unwrapCommands(math, TEXT_COMMAND_ARG), COMMAND_ARG);
  return unwrapped
    .replace(BARE_COMMAND, (_, name: string) => GREEK[name] ?? " ")
    .replace(/\\(.)/g, "$1")
    .replace(/[\^_{}]/g, "");
}

/**
 * The text of a string that may hold LaTeX markup, as a reader sees it rendered: inline math
 * `$...$` is read as math (see `plainMath`); outside math, text commands (`\textbf{X}`,
 * `\emph{X}`) keep their argument, Greek letter commands become letters, and escaped characters
 * (`\%`, `\&`) lose their backslash, and a superscript joins its base (`Transformer^2` →
 * `Transformer2`). Text without `\`, `$`, `^` or a text command is returned as is.
 */
export function plainLatex(text: string): string {
  if (!/[\\$^]/.test(text) && !(text.includes("{") && TEXT_COMMAND_GUARD.test(text))) {
    return text;
  }
  const outside = text.replace(INLINE_MATH, (_, math: string) => plainMath(math));
  return unwrapCommands(outside, TEXT_COMMAND_ARG)
    .replace(/\\([A-Za-z]+)/g, (_, name: string) => GREEK[name] ?? " ")
    .replace(/\\([%&#_$])/g, "$1")
    .replace(/(?<=[\p{L}\p{N}])\^\{?([\p{L}\p{N}]+)\}?/gu, "$1");
}
