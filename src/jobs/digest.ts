/**
 * The scheduled email digests (DIGEST_SCHEDULE): what `papergraph digest send` does without
 * `--period`, the newest stored digest day for DAILY subscriptions and the last full ISO week for
 * WEEKLY ones, through the outbox (src/mail/outbox.ts). A run that finds a period's digests sent
 * sends nothing, so the schedule may run as often as wanted: hourly, say, or shortly after the
 * fetch. Logs one line of totals, an error line naming each digest given up.
 */
import { connect } from "../db/client.ts";
import { sendDigests } from "../mail/outbox.ts";
import { openMailer } from "../mail/transport.ts";
import type { JobContext } from "./registry.ts";

export async function runDigestJob({ config, log }: JobContext): Promise<void> {
  // src/config.ts refuses DIGEST_SCHEDULE without the mail settings.
  if (!config.mail) throw new Error("DIGEST_SCHEDULE needs SMTP_URL, MAIL_FROM and PUBLIC_URL");
  const mailer = openMailer(config.mail);
  const database = await connect(config.database);
  try {
    const report = await sendDigests({
      db: database.db,
      provider: config.database.provider,
      mailer,
    });
    const totals = {
      job: "digest",
      periods: report.periods.map((p) => p.period),
      planned: report.planned,
      sent: report.sent,
      empty: report.empty,
      cancelled: report.cancelled,
      retrying: report.retrying.length,
      failed: report.failed.length,
    };
    if (report.failed.length === 0) {
      log.info(totals, "sent the email digests");
    } else {
      const failures = report.failed.map((f) => `${f.email} ${f.period}: ${f.error}`);
      log.error({ ...totals, failures }, "some email digests were given up");
    }
  } finally {
    mailer.close();
    await database.close();
  }
}
