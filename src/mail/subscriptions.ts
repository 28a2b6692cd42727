/**
 * Digest subscriptions: asking for one, confirming it, unsubscribing, listing a user's.
 *
 * Double opt-in: a request stores a pending subscription and a confirmation token; only the
 * owner of the address, following the link mailed to it, confirms it. Link tokens are `pgd_` + 32
 * random bytes, stored as their SHA-256 like API tokens (src/auth/tokens.ts), and work once.
 *
 * Nobody can learn whether an address is subscribed: a request's answer never depends on the
 * rows of the address, and a subscription belongs to whoever asked for it (the key includes the
 * user, or none), so that a signed-in user's `viewer` lists only the rows they created, in the
 * state the address's owner put them in.
 */
import { createHash, randomBytes } from "node:crypto";
import { hashToken } from "../auth/tokens.ts";
import type { Db } from "../db/client.ts";
import { ArgumentError } from "../papers/errors.ts";

export const FREQUENCIES = ["DAILY", "WEEKLY"] as const;
export type Frequency = (typeof FREQUENCIES)[number];

export type TokenPurpose = "CONFIRM" | "UNSUBSCRIBE";

const TOKEN_PREFIX = "pgd_";
const TOKEN_PATTERN = /^pgd_[A-Za-z0-9_-]{43}$/;
/** How long a confirmation link works (ms): two days. */
export const CONFIRM_TOKEN_TTL_MS = 2 * 86_400_000;
/** How long a digest's unsubscribe link works (ms): a year. */
export const UNSUBSCRIBE_TOKEN_TTL_MS = 365 * 86_400_000;
/** Subscriptions a user may hold that are not unsubscribed. */
export const MAX_SUBSCRIPTIONS_PER_USER = 20;
/** Subscriptions one address may have that are not unsubscribed; past it, requests do nothing. */
export const MAX_SUBSCRIPTIONS_PER_ADDRESS = 20;

/** A link token that is malformed, unknown, of the other purpose, expired or already used. */
export class TokenError extends Error {
  override name = "TokenError";
  constructor() {
    super("the link is unknown, expired or already used");
  }
}

export interface SubscriptionRow {
  id: number;
  email: string;
  frequency: string;
  filter: string;
  userId: number | null;
  confirmedAt: Date | null;
  unsubscribedAt: Date | null;
  createdAt: Date;
}

export type SubscriptionStatus = "PENDING" | "CONFIRMED" | "UNSUBSCRIBED";

export function statusOf(row: Pick<SubscriptionRow, "confirmedAt" | "unsubscribedAt">) {
  if (row.unsubscribedAt) return "UNSUBSCRIBED" as const;
  return row.confirmedAt ? ("CONFIRMED" as const) : ("PENDING" as const);
}

/** Stores a new link token of a subscription; returns the secret (the link's `token`). */
export async function createLinkToken(
  db: Db,
  subscriptionId: number,
  purpose: TokenPurpose,
  now: Date = new Date(),
): Promise<string> {
  const secret = `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
  const ttl = purpose === "CONFIRM" ? CONFIRM_TOKEN_TTL_MS : UNSUBSCRIBE_TOKEN_TTL_MS;
  await db.digestToken.create({
    data: {
      subscriptionId,
      purpose,
      secretHash: hashToken(secret),
      createdAt: now,
      expiresAt: new Date(now.getTime() + ttl),
    },
  });
  return secret;
}

export interface SubscriptionRequest {
  email: string;
  frequency: Frequency;
  /** Canonical JSON (src/mail/filter.ts). */
  filter: string;
  userId: number | null;
}

/**
 * Records a request; returns the subscription and a confirmation token to mail, or null when no
 * mail is due: the same requester's subscription is already confirmed, or the address holds as
 * many subscriptions as allowed. The caller answers the same either way.
 */
export async function requestSubscription(
  db: Db,
  request: SubscriptionRequest,
): Promise<{ subscription: SubscriptionRow; token: string } | null> {
  const key = createHash("sha256")
    .update([request.userId ?? "-", request.email, request.frequency, request.filter].join("\n"))
    .digest("hex");
  let row = await db.digestSubscription.findUnique({ where: { key } });
  if (row && statusOf(row) === "CONFIRMED") return null;
  if (!row) {
    if (request.userId !== null) {
      const held = await db.digestSubscription.count({
        where: { userId: request.userId, unsubscribedAt: null },
      });
      if (held >= MAX_SUBSCRIPTIONS_PER_USER) {
        throw new ArgumentError(
          "input",
          `a user holds at most ${MAX_SUBSCRIPTIONS_PER_USER} subscriptions: unsubscribe from one first`,
        );
      }
    }
    const atAddress = await db.digestSubscription.count({
      where: { email: request.email, unsubscribedAt: null },
    });
    if (atAddress >= MAX_SUBSCRIPTIONS_PER_ADDRESS) return null;
    try {
      row = await db.digestSubscription.create({ data: { key, ...request } });
    } catch (error) {
      // The same request, sent twice at once: the other one created the row.
      if ((error as { code?: string }).code !== "P2002") throw error;
      row = await db.digestSubscription.findUniqueOrThrow({ where: { key } });
    }
  } else if (row.unsubscribedAt) {
    row = await db.digestSubscription.update({
      where: { id: row.id },
      data: { confirmedAt: null, unsubscribedAt: null },
    });
  }
  return { subscription: row, token: await createLinkToken(db, row.id, "CONFIRM") };
}

/**
 * Uses a link token: marks it used (once: of two concurrent uses, one wins) and applies what it
 * is for. Returns the subscription as it now is; a bad token is a TokenError.
 */
async function useToken(
  db: Db,
  secret: string,
  purpose: TokenPurpose,
  apply: (subscriptionId: number, now: Date) => object,
): Promise<SubscriptionRow> {
  if (!TOKEN_PATTERN.test(secret)) throw new TokenError();
  const now = new Date();
  return db.$transaction(async (tx) => {
    const token = await tx.digestToken.findUnique({ where: { secretHash: hashToken(secret) } });
    if (!token || token.purpose !== purpose) throw new TokenError();
    const used = await tx.digestToken.updateMany({
      where: { id: token.id, usedAt: null, expiresAt: { gt: now } },
      data: { usedAt: now },
    });
    if (used.count !== 1) throw new TokenError();
    return tx.digestSubscription.update({
      where: { id: token.subscriptionId },
      data: apply(token.subscriptionId, now),
    });
  });
}

/** Confirms the subscription of a confirmation token. */
export function confirmSubscription(db: Db, secret: string): Promise<SubscriptionRow> {
  return useToken(db, secret, "CONFIRM", (_id, now) => ({
    confirmedAt: now,
    unsubscribedAt: null,
  }));
}

/**
 * Unsubscribes with a digest's unsubscribe token; digests not yet sent are cancelled (a sender
 * holding one checks the subscription again before sending: src/mail/outbox.ts).
 */
export function unsubscribe(db: Db, secret: string): Promise<SubscriptionRow> {
  return useToken(db, secret, "UNSUBSCRIBE", (_id, now) => ({
    unsubscribedAt: now,
    deliveries: { updateMany: { where: { status: "PENDING" }, data: { status: "CANCELLED" } } },
  }));
}

/** A user's subscriptions, newest first (at most as many as a user may hold, and as many gone). */
export function subscriptionsOf(db: Db, userId: number): Promise<SubscriptionRow[]> {
  return db.digestSubscription.findMany({
    where: { userId },
    orderBy: { id: "desc" },
    take: 2 * MAX_SUBSCRIPTIONS_PER_USER,
  });
}
