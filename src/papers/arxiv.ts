/**
 * Reading the arXiv id a client names a paper by: the id itself, with or without a version, an
 * `arXiv:` prefix, or a link to its abstract, PDF or HTML page on arxiv.org.
 */
import { parseArxivId } from "../ingest/normalize.ts";

/** Hosts that serve arXiv pages. */
const ARXIV_HOSTS = new Set(["arxiv.org", "www.arxiv.org", "export.arxiv.org"]);

/**
 * The id a link to arxiv.org names: `/abs/<id>`, `/pdf/<id>`, `/pdf/<id>.pdf` or `/html/<id>`
 * (query and fragment ignored), or null when it is not such a link.
 */
function idFromUrl(text: string): string | null {
  const withScheme = /^https?:\/\//i.test(text) ? text : `https://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return null;
  }
  if (!ARXIV_HOSTS.has(url.hostname)) return null;
  const match = /^\/(?:abs|pdf|html)\/(.+?)(?:\.pdf)?\/?$/.exec(url.pathname);
  return match?.[1] ?? null;
}

/**
 * The arXiv id (without version) that `input` names, or null when it names none. Accepted:
 * `2501.08313`, `2501.08313v1`, `arXiv:2501.08313` (any case), old-style ids (`cs/0112017`,
 * `math.GT/0309136`), and http(s) links to arxiv.org (`https://arxiv.org/abs/2501.08313v2`,
 * `http://arxiv.org/pdf/2501.08313v1`, `https://arxiv.org/pdf/2501.08313v1.pdf`,
 * `https://arxiv.org/abs/cs/0112017`), with or without the scheme. The version is ignored.
 */
export function arxivIdOf(input: string): string | null {
  const text = input.trim();
  if (text === "" || text.length > 300) return null;
  const candidate = /^arxiv:/i.test(text)
    ? text.slice("arxiv:".length).trim()
    : /^(?:https?:\/\/)?(?:www\.|export\.)?arxiv\.org\//i.test(text)
      ? idFromUrl(text)
      : text;
  if (candidate === null) return null;
  return parseArxivId(candidate)?.id ?? null;
}
