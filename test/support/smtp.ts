/**
 * A real SMTP server for the mail tests (smtp-server): what it accepted, parsed (mailparser), with
 * hooks to refuse a recipient or hold a mail before answering it; and readers of what arrived.
 */
import type { AddressInfo } from "node:net";
import { type ParsedMail, simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { expect } from "vitest";

export interface Inbox {
  port: number;
  /** Mails accepted (answered 250), parsed, in order. */
  accepted: ParsedMail[];
  /** RCPT TO answers: a 4xx/5xx message for an address, or null to accept it. */
  refuse: (address: string) => string | null;
  /** Called when a mail's data has arrived: return a promise to hold the answer until it settles. */
  hold: (mail: ParsedMail) => Promise<void> | null;
  /** Resolves with the accepted mails to `to` once there are `count` of them. */
  waitFor(to: string, count?: number): Promise<ParsedMail[]>;
  close(): Promise<void>;
}

/** A real SMTP server on a free loopback port; `waitFor` gives up after `deadlineMs`. */
export async function startSmtp(deadlineMs = 60_000): Promise<Inbox> {
  const waiters = new Set<() => void>();
  const inbox: Inbox = {
    port: 0,
    accepted: [],
    refuse: () => null,
    hold: () => null,
    async waitFor(to, count = 1) {
      const deadline = Date.now() + deadlineMs;
      for (;;) {
        const mails = inbox.accepted.filter((m) => recipient(m) === to);
        if (mails.length >= count) return mails;
        if (Date.now() > deadline) {
          throw new Error(`${count} mail(s) to ${to} did not arrive; got ${mails.length}`);
        }
        await new Promise<void>((resolve) => {
          waiters.add(resolve);
          setTimeout(resolve, 500).unref();
        });
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onRcptTo(addr, _session, callback) {
      const problem = inbox.refuse(addr.address);
      if (!problem) return callback();
      const error = Object.assign(new Error(problem), {
        responseCode: Number(problem.slice(0, 3)),
      });
      callback(error);
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        async (mail) => {
          const held = inbox.hold(mail);
          if (held) {
            try {
              await held;
            } catch (error) {
              return callback(error as Error);
            }
          }
          inbox.accepted.push(mail);
          callback();
          for (const wake of waiters) wake();
          waiters.clear();
        },
        (error) => callback(error),
      );
    },
  });
  server.on("error", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  inbox.port = (server.server.address() as AddressInfo).port;
  return inbox;
}

/** The first address a mail is to. */
export function recipient(mail: ParsedMail): string {
  const to = Array.isArray(mail.to) ? mail.to[0] : mail.to;
  return to?.value[0]?.address ?? "";
}

/** A raw header of a mail (as sent, not as mailparser structures it). */
export function header(mail: ParsedMail, name: string): string | undefined {
  const line = mail.headerLines.find((h) => h.key === name.toLowerCase())?.line;
  return line?.slice(line.indexOf(":") + 1).trim();
}

/** The one link to `path` in a text, e.g. `/digest/confirm`. */
export function linkIn(text: string, path: string): string {
  const links = text.match(new RegExp(`https?://[^\\s"<>]+${path}\\?token=[A-Za-z0-9_-]+`, "g"));
  expect(links, `a ${path} link in:\n${text}`).toBeTruthy();
  return (links as string[])[0] as string;
}
