/**
 * Sending the digests: `sendDigests` (the `papergraph digest send` command, and what a schedule
 * runs) mails each confirmed subscriber the top papers of a period that match their filter.
 *
 * The outbox (`DigestDelivery`) holds one row per subscription and period, under a unique key, so
 * that a period is planned once however many runs plan it. A row is sent in three steps:
 *
 * 1. Claim: one conditional UPDATE turns it from PENDING (due) or SENDING (a claim that lapsed)
 *    into SENDING, with a claim id and `claimedUntil` = now + the lease, and counts the attempt.
 *    Of concurrent senders, one wins the row; the others skip it.
 * 2. Send: render, then hand the mail to SMTP. The lease (5 minutes) outlasts every SMTP wait
 *    (src/mail/transport.ts), so a live sender never loses its claim mid-send.
 * 3. Mark: SENT (or, on an SMTP error, PENDING again after a backoff, or FAILED after the last
 *    attempt), only while the claim is still the sender's own.
 *
 * What this guarantees: a mail is sent only under a claim, and a row marked SENT is never sent
 * again, so a digest is not sent twice, and a run killed at any point leaves its rows PENDING or
 * SENDING, which the next run after the lease sends: nobody is skipped. The one window that cannot
 * be closed is between the SMTP server's acceptance (its 250 after DATA) and the commit of SENT,
 * a few milliseconds: a sender killed exactly there has had its mail accepted but not recorded,
 * and the next run sends it again. Such a resend carries the same Message-ID
 * (`<digest.<subscription>.<period>@<PUBLIC_URL host>>`), which mail stores use to drop duplicates.
 * So: exactly once, except a crash in that window, which gives at most one resend with the same
 * Message-ID; never none.
 *
 * A subscription whose filter matches no paper in the period gets no mail (its row is EMPTY).
 */
import { randomUUID } from "node:crypto";
import type { Db } from "../db/client.ts";
import type { Provider } from "../db/target.ts";
import { listPapers } from "../papers/list.ts";
import { dayMs, isoWeek, toDay, weekRange } from "../papers/periods.ts";
import { parseFilter } from "./filter.ts";
import { type DigestPaper, digestMail, shorten } from "./render.ts";
import { createLinkToken, type Frequency } from "./subscriptions.ts";
import type { Mailer } from "./transport.ts";

export const DIGEST_DEFAULTS = {
  /** Papers a digest lists at most. */
  papers: 10,
  /** How long a claim holds a row (ms). */
  leaseMs: 5 * 60_000,
  /** Attempts before a digest is given up (FAILED). */
  maxAttempts: 5,
  /** The wait after the first failed attempt (ms); each further one waits 4 times longer. */
  backoffMs: 60_000,
} as const;

/** Rows read per batch of work. */
const BATCH = 100;
/** Characters of an SMTP error kept in `lastError`. */
const ERROR_CHARS = 500;

export interface DigestPeriod {
  frequency: Frequency;
  /** `YYYY-MM-DD` (DAILY) or `YYYY-Www` (WEEKLY). */
  period: string;
  /** The days it spans. */
  from: string;
  to: string;
}

export interface SendOptions {
  db: Db;
  provider: Provider;
  mailer: Mailer;
  /** The periods to plan; default: the latest stored day and the last full ISO week. */
  periods?: string[];
  /** The clock (tests move it forward to reach a retry). */
  now?: () => Date;
  leaseMs?: number;
  maxAttempts?: number;
  backoffMs?: number;
  papers?: number;
}

export interface DeliveryOutcome {
  email: string;
  period: string;
  attempts: number;
  error: string;
  /** When the next attempt is due (retrying only). */
  nextAttemptAt?: Date;
}

export interface DigestReport {
  periods: DigestPeriod[];
  /** Rows this run added to the outbox. */
  planned: number;
  sent: number;
  /** Subscriptions no paper of the period matched: no mail. */
  empty: number;
  /** Unsubscribed before their digest went out. */
  cancelled: number;
  /** SMTP failed; tried again after a backoff. */
  retrying: DeliveryOutcome[];
  /** Given up after the last attempt (or unreadable), reported here once. */
  failed: DeliveryOutcome[];
}

/** A `--period` value: a day or an ISO week; throws when it is neither. */
export function parsePeriod(value: string): DigestPeriod {
  const week = weekRange(value);
  if (week) return { frequency: "WEEKLY", period: value, from: week.start, to: week.end };
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(value) ? dayMs(value) : Number.NaN;
  if (!Number.isNaN(ms) && toDay(ms) === value) {
    return { frequency: "DAILY", period: value, from: value, to: value };
  }
  throw new Error(`"${value}" is not a day (YYYY-MM-DD) or an ISO week (YYYY-Www)`);
}

/** The default periods: the newest digest day stored, and the last ISO week that has ended. */
export async function defaultPeriods(db: Db, now: Date): Promise<DigestPeriod[]> {
  const latest = await db.day.findFirst({ orderBy: { date: "desc" }, select: { date: true } });
  const lastWeek = parsePeriod(isoWeek(toDay(now.getTime() - 7 * 86_400_000)));
  // A week none of whose days is stored yet (a fresh install, a fetch not run yet) is left for a
  // later run: planned now, each of its digests would be EMPTY for good.
  const weekStored = await db.day.findFirst({
    where: { date: { gte: lastWeek.from, lte: lastWeek.to } },
    select: { id: true },
  });
  return [...(latest ? [parsePeriod(latest.date)] : []), ...(weekStored ? [lastWeek] : [])];
}

/** Adds the period's missing rows for its confirmed subscribers; returns how many. */
async function plan(db: Db, period: DigestPeriod, host: string, now: Date): Promise<number> {
  const due = await db.digestSubscription.findMany({
    where: {
      frequency: period.frequency,
      confirmedAt: { not: null },
      unsubscribedAt: null,
      deliveries: { none: { period: period.period } },
    },
    select: { id: true },
    orderBy: { id: "asc" },
  });
  const row = (subscriptionId: number) => ({
    subscriptionId,
    period: period.period,
    status: "PENDING",
    nextAttemptAt: now,
    messageId: `<digest.${subscriptionId}.${period.period}@${host}>`,
  });
  try {
    return (await db.digestDelivery.createMany({ data: due.map((s) => row(s.id)) })).count;
  } catch (error) {
    if ((error as { code?: string }).code !== "P2002") throw error;
  }
  // Another run planned some of them meanwhile: add the others one by one.
  let added = 0;
  for (const s of due) {
    try {
      await db.digestDelivery.create({ data: row(s.id) });
      added++;
    } catch (error) {
      if ((error as { code?: string }).code !== "P2002") throw error;
    }
  }
  return added;
}

/** Rows a sender may claim now: due, or claimed by a sender whose lease has passed. */
function claimable(now: Date) {
  return {
    OR: [
      { status: "PENDING", nextAttemptAt: { lte: now } },
      { status: "SENDING", claimedUntil: { lt: now } },
    ],
  };
}

/** The top papers of a period matching a filter, with what a digest shows of them. */
async function topPapers(
  options: SendOptions,
  filter: string,
  period: DigestPeriod,
): Promise<DigestPaper[]> {
  const { db, provider } = options;
  const page = await listPapers(
    db,
    provider,
    { ...parseFilter(filter), dayFrom: period.from, dayTo: period.to },
    "UPVOTES",
    "DESC",
    { first: options.papers ?? DIGEST_DEFAULTS.papers },
  );
  if (page.ids.length === 0) return [];
  const rows = await db.paper.findMany({
    where: { id: { in: page.ids } },
    select: {
      id: true,
      title: true,
      arxivId: true,
      upvotes: true,
      abstract: true,
      aiSummary: true,
      authors: {
        where: { hidden: false },
        orderBy: { position: "asc" },
        take: 4,
        select: { author: { select: { name: true } } },
      },
    },
  });
  const byId = new Map(rows.map((row) => [row.id, row]));
  return page.ids.flatMap((id) => {
    const row = byId.get(id);
    if (!row) return [];
    return [
      {
        title: row.title,
        arxivId: row.arxivId,
        upvotes: row.upvotes,
        authors: row.authors.map((a) => a.author.name),
        summary: shorten(row.aiSummary || row.abstract),
      },
    ];
  });
}

/**
 * Plans the periods, then sends every claimable row of the outbox (those of earlier runs due for
 * a retry too), one after another. See the module's comment for what it guarantees.
 */
export async function sendDigests(options: SendOptions): Promise<DigestReport> {
  const { db, mailer } = options;
  const clock = options.now ?? (() => new Date());
  const leaseMs = options.leaseMs ?? DIGEST_DEFAULTS.leaseMs;
  const maxAttempts = options.maxAttempts ?? DIGEST_DEFAULTS.maxAttempts;
  const backoffMs = options.backoffMs ?? DIGEST_DEFAULTS.backoffMs;
  const host = new URL(mailer.publicUrl).hostname;
  const periods = options.periods
    ? options.periods.map(parsePeriod)
    : await defaultPeriods(db, clock());
  const report: DigestReport = {
    periods,
    planned: 0,
    sent: 0,
    empty: 0,
    cancelled: 0,
    retrying: [],
    failed: [],
  };
  for (const period of periods) report.planned += await plan(db, period, host, clock());

  /** Digests' papers, shared by the subscriptions of one period and filter. */
  const papers = new Map<string, Promise<DigestPaper[]>>();
  let after = 0;
  for (;;) {
    const batch = await db.digestDelivery.findMany({
      where: { id: { gt: after }, ...claimable(clock()) },
      orderBy: { id: "asc" },
      take: BATCH,
      select: { id: true },
    });
    if (batch.length === 0) break;
    after = (batch[batch.length - 1] as { id: number }).id;
    for (const { id } of batch) {
      const claim = randomUUID();
      const now = clock();
      const claimed = await db.digestDelivery.updateMany({
        where: { id, ...claimable(now) },
        data: {
          status: "SENDING",
          claim,
          claimedUntil: new Date(now.getTime() + leaseMs),
          attempts: { increment: 1 },
        },
      });
      if (claimed.count !== 1) continue;
      const row = await db.digestDelivery.findUniqueOrThrow({
        where: { id },
        include: { subscription: true },
      });
      /** Ends the claim with this outcome, if the claim is still ours. */
      const finish = (data: object) =>
        db.digestDelivery.updateMany({
          where: { id, claim },
          data: { claim: null, claimedUntil: null, ...data },
        });
      const sub = row.subscription;
      if (!sub.confirmedAt || sub.unsubscribedAt) {
        await finish({ status: "CANCELLED" });
        report.cancelled++;
        continue;
      }
      const frequency = sub.frequency as Frequency;
      const period = parsePeriod(row.period);
      try {
        const key = `${row.period}\n${sub.filter}`;
        let found = papers.get(key);
        if (!found) {
          found = topPapers(options, sub.filter, period);
          papers.set(key, found);
        }
        const list = await found;
        if (list.length === 0) {
          await finish({ status: "EMPTY" });
          report.empty++;
          continue;
        }
        const token = await createLinkToken(db, sub.id, "UNSUBSCRIBE", now);
        const unsubscribeUrl = `${mailer.publicUrl}/digest/unsubscribe?token=${token}`;
        const mail = digestMail({
          frequency,
          period: row.period,
          filter: sub.filter,
          papers: list,
          unsubscribeUrl,
        });
        await mailer.send({
          to: sub.email,
          ...mail,
          messageId: row.messageId,
          headers: {
            "List-Unsubscribe": `<${unsubscribeUrl}>`,
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
          },
        });
        await finish({ status: "SENT", sentAt: clock(), lastError: null });
        report.sent++;
      } catch (error) {
        const message = shorten(String((error as Error).message ?? error), ERROR_CHARS);
        const outcome = {
          email: sub.email,
          period: row.period,
          attempts: row.attempts,
          error: message,
        };
        if (row.attempts >= maxAttempts) {
          await finish({ status: "FAILED", lastError: message });
          report.failed.push(outcome);
        } else {
          const nextAttemptAt = new Date(clock().getTime() + backoffMs * 4 ** (row.attempts - 1));
          await finish({ status: "PENDING", lastError: message, nextAttemptAt });
          report.retrying.push({ ...outcome, nextAttemptAt });
        }
      }
    }
  }
  return report;
}

/** The report for a person: one line per count, then each digest retried or given up. */
export function formatDigestReport(report: DigestReport): string {
  const periods = report.periods.map((p) => `${p.period} (${p.frequency.toLowerCase()})`);
  const lines = [
    `periods: ${periods.join(", ") || "none"}`,
    `planned ${report.planned}, sent ${report.sent}, empty ${report.empty} (no mail), cancelled ${report.cancelled}, retrying ${report.retrying.length}, failed ${report.failed.length}`,
  ];
  for (const r of report.retrying) {
    lines.push(
      `  retrying ${r.email} ${r.period} (attempt ${r.attempts}, next at ${r.nextAttemptAt?.toISOString()}): ${r.error}`,
    );
  }
  for (const f of report.failed) {
    lines.push(`  FAILED ${f.email} ${f.period} after ${f.attempts} attempts: ${f.error}`);
  }
  return lines.join("\n");
}
