/**
 * Issue 8, item 4: cross-site requests. Sends what a page on another site can make a visitor's
 * browser send without a CORS preflight: an upvote mutation as a urlencoded form, as multipart
 * and as text/plain (with `token`, a user's API token, as a stolen-session stand-in, and
 * `paperId`, a Paper global id), then reads the paper's local upvotes to see whether any of them
 * voted; and asks, with an `Origin` of another site, which CORS headers the server gives back.
 */
import { type ErrorCount, type Measurements, type Target, underAttack } from "./measure.ts";

export interface CsrfOptions {
  token: string;
  paperId: string;
  /** The Origin header of the "other site" (default https://evil.example). */
  origin?: string;
  limitMs?: number;
}

export interface CsrfResult {
  measurements: Measurements;
  /** Per body kind: the status and whether the answer carried data (the mutation ran). */
  posts: Record<string, { status: number; ran: boolean }>;
  /** The paper's local upvotes before and after the posts: equal when none voted. */
  localUpvotes: { before: number; after: number };
  /** What the server answered an Origin of another site: the CORS headers. */
  cors: { allowOrigin: string | null; allowCredentials: string | null };
}

export async function csrf(target: Target, options: CsrfOptions): Promise<CsrfResult> {
  const mutation = `mutation { upvotePaper(input: { paperId: "${options.paperId}" }) { changed } }`;
  const auth = { authorization: `Bearer ${options.token}` };
  const { result, measurements } = await underAttack(
    target,
    async (signal, errors: ErrorCount) => {
      const upvotes = async () => {
        const response = await fetch(target.url, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            query: `{ node(id: "${options.paperId}") { ... on Paper { localUpvotes } } }`,
          }),
          signal,
        });
        const json = (await response.json()) as { data?: { node?: { localUpvotes?: number } } };
        return json.data?.node?.localUpvotes ?? Number.NaN;
      };
      const before = await upvotes();
      // Each vote first removed, so that an executed upvote shows as a change.
      await fetch(target.url, {
        method: "POST",
        headers: { "content-type": "application/json", ...auth },
        body: JSON.stringify({
          query: `mutation { removeUpvote(input: { paperId: "${options.paperId}" }) { changed } }`,
        }),
        signal,
      }).then((response) => response.arrayBuffer());
      const cleared = await upvotes();
      const boundary = "----abuse";
      const bodies: Record<string, { type: string; body: string }> = {
        form: {
          type: "application/x-www-form-urlencoded",
          body: new URLSearchParams({ query: mutation }).toString(),
        },
        multipart: {
          type: `multipart/form-data; boundary=${boundary}`,
          body: `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ query: mutation })}\r\n--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{}\r\n--${boundary}--\r\n`,
        },
        "text/plain": { type: "text/plain", body: JSON.stringify({ query: mutation }) },
      };
      const posts: CsrfResult["posts"] = {};
      for (const [kind, { type, body }] of Object.entries(bodies)) {
        const response = await errors.guard(
          fetch(target.url, {
            method: "POST",
            headers: { "content-type": type, ...auth },
            body,
            signal,
          }),
        );
        const text = (await response?.text()) ?? "";
        posts[kind] = { status: response?.status ?? 0, ran: text.includes('"data"') };
      }
      const after = await upvotes();
      const probe = await fetch(target.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          origin: options.origin ?? "https://evil.example",
        },
        body: JSON.stringify({ query: "{ __typename }" }),
        signal,
      });
      await probe.arrayBuffer();
      return {
        posts,
        localUpvotes: { before: Number.isNaN(cleared) ? before : cleared, after },
        cors: {
          allowOrigin: probe.headers.get("access-control-allow-origin"),
          allowCredentials: probe.headers.get("access-control-allow-credentials"),
        },
      };
    },
    options.limitMs ?? 30_000,
  );
  return { measurements, ...result };
}
