/**
 * Sending mail: SMTP through nodemailer (SMTP_URL), from MAIL_FROM, with links to PUBLIC_URL.
 * Every wait is bounded (connecting, the greeting, a silent socket), so that one dead SMTP server
 * cannot hold a digest run, or its claim on an outbox row (src/mail/outbox.ts), for long.
 */
import { createTransport } from "nodemailer";

export interface MailSettings {
  /** SMTP_URL: `smtp://user:pass@host:587` or `smtps://...`. */
  smtpUrl: string;
  /** MAIL_FROM: the From address (`Papergraph <digest@example.org>`). */
  from: string;
  /** PUBLIC_URL: where the server is reached from outside; the mails' links start with it. */
  publicUrl: string;
}

/** The SMTP waits (ms); the outbox's claim lasts longer than all of them together. */
export const SMTP_TIMEOUTS = { connection: 20_000, greeting: 20_000, socket: 60_000 } as const;

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The Message-ID, `<...>`: the same at every attempt of one digest. */
  messageId?: string;
  headers?: Record<string, string>;
}

export interface Mailer {
  readonly from: string;
  /** PUBLIC_URL, without a trailing slash. */
  readonly publicUrl: string;
  /** Hands the mail to the SMTP server; resolves once it accepted it (250 after DATA). */
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

export function openMailer(settings: MailSettings): Mailer {
  const transport = createTransport({
    url: settings.smtpUrl,
    connectionTimeout: SMTP_TIMEOUTS.connection,
    greetingTimeout: SMTP_TIMEOUTS.greeting,
    socketTimeout: SMTP_TIMEOUTS.socket,
  });
  return {
    from: settings.from,
    publicUrl: settings.publicUrl.replace(/\/+$/, ""),
    async send(mail) {
      await transport.sendMail({ from: settings.from, ...mail });
    },
    close() {
      transport.close();
    },
  };
}
