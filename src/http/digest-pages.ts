/**
 * The pages the digest mails link to, on the API's port, for anyone holding the link (no sign-in):
 *
 * - `GET /digest/confirm?token=...` and `GET /digest/unsubscribe?token=...` show a page with one
 *   button; nothing changes on a GET, because mail scanners and link previews fetch the links
 *   of a mail before (or without) its reader: a GET that acted would confirm subscriptions nobody
 *   asked for, and unsubscribe people who never clicked.
 * - `POST` to the same URL (the button, or RFC 8058's one-click unsubscribe, which a mail client
 *   sends as `List-Unsubscribe=One-Click`) uses the token: once.
 *
 * Answers are small HTML pages, never cached and sent with no Referer (the token is in the URL).
 */
import type { Plugin } from "graphql-yoga";
import type { Db } from "../db/client.ts";
import { unavailableCause } from "../db/faults.ts";
import { escapeHtml } from "../mail/render.ts";
import { confirmSubscription, TokenError, unsubscribe } from "../mail/subscriptions.ts";

export const DIGEST_PATHS = { confirm: "/digest/confirm", unsubscribe: "/digest/unsubscribe" };

/** The longest token read from a URL; real ones have 47 characters. */
const MAX_TOKEN_CHARS = 100;

const HEADERS = {
  "content-type": "text/html; charset=utf-8",
  "cache-control": "no-store",
  "referrer-policy": "no-referrer",
  "x-robots-tag": "noindex",
  "content-security-policy": "default-src 'none'; form-action 'self'; style-src 'unsafe-inline'",
};

interface Action {
  title: string;
  question: string;
  button: string;
  /** The form's fields besides the token (the one-click body, for unsubscribe). */
  fields: string;
  run(db: Db, token: string): Promise<unknown>;
  done: string;
}

const ACTIONS: Record<string, Action> = {
  [DIGEST_PATHS.confirm]: {
    title: "Confirm your digest",
    question: "Confirm that you want to receive this papers digest by email.",
    button: "Confirm",
    fields: "",
    run: confirmSubscription,
    done: "Confirmed: your digest will come with the next day or week it covers.",
  },
  [DIGEST_PATHS.unsubscribe]: {
    title: "Unsubscribe",
    question: "Stop receiving this papers digest?",
    button: "Unsubscribe",
    fields: '<input type="hidden" name="List-Unsubscribe" value="One-Click">',
    run: unsubscribe,
    done: "Unsubscribed: you will get no more of this digest.",
  },
};

function page(status: number, title: string, body: string): Response {
  return new Response(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:sans-serif;max-width:40em"><h1>${escapeHtml(title)}</h1>${body}</body></html>`,
    { status, headers: HEADERS },
  );
}

async function answer(request: Request, url: URL, action: Action, db: Db): Promise<Response> {
  const token = url.searchParams.get("token") ?? "";
  if (!token || token.length > MAX_TOKEN_CHARS) {
    return page(
      400,
      action.title,
      "<p>This link has no valid token: copy the whole link from the mail.</p>",
    );
  }
  if (request.method === "GET" || request.method === "HEAD") {
    const target = `${url.pathname}?token=${encodeURIComponent(token)}`;
    return page(
      200,
      action.title,
      `<p>${escapeHtml(action.question)}</p><form method="post" action="${escapeHtml(target)}">${action.fields}<button type="submit">${escapeHtml(action.button)}</button></form>`,
    );
  }
  if (request.method !== "POST") {
    return new Response(null, { status: 405, headers: { allow: "GET, HEAD, POST" } });
  }
  try {
    await action.run(db, token);
    return page(200, action.title, `<p>${escapeHtml(action.done)}</p>`);
  } catch (error) {
    if (error instanceof TokenError) {
      return page(
        400,
        action.title,
        "<p>This link is unknown, expired or already used: each link works once. A new digest mail has a new unsubscribe link; a new confirmation link comes with a new subscription request.</p>",
      );
    }
    if (unavailableCause(error)) {
      return page(503, action.title, "<p>The service is busy: try again in a moment.</p>");
    }
    return page(500, action.title, "<p>Something went wrong on the server: try again later.</p>");
  }
}

/** Serves the confirm and unsubscribe pages (a Yoga plugin; before the refusal of form posts). */
export function digestPages(db: Db): Plugin {
  return {
    async onRequest({ request, url, endResponse }) {
      const action = ACTIONS[url.pathname];
      if (!action) return;
      endResponse(await answer(request, url, action, db));
    },
  };
}
