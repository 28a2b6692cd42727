/**
 * A subscription request, from the API to the mailbox: the confirmation mail is rate-limited per
 * address (silently: a refusal would tell that someone asked for the address lately) and sent in
 * the background, so that the answer, and how long it takes, is the same whatever the address's
 * state. The per-client limit is the caller's (a client's own doing may be refused openly).
 */
import { createHash } from "node:crypto";
import type { Db } from "../db/client.ts";
import type { RateLimiter } from "../votes/rate-limit.ts";
import { confirmationMail } from "./render.ts";
import { requestSubscription, type SubscriptionRequest } from "./subscriptions.ts";
import type { Mailer } from "./transport.ts";

/** Confirmation mails per address, and subscription requests per client, per window. */
export const CONFIRMATION_LIMITS = {
  perAddress: 3,
  perClient: 10,
  windowSeconds: 3600,
} as const;

/** What the server needs to take digest subscriptions (none: it sends no mail). */
export interface DigestService {
  mailer: Mailer;
  /** Confirmation mails per address (keyed by a hash of it). */
  perAddress: RateLimiter;
  /** Subscription requests per client (a signed-in user, else the IP address). */
  perClient: RateLimiter;
  /** Where a confirmation mail that could not be sent is reported. */
  onMailError?: (error: unknown) => void;
}

/** The rate-limit key of an address: its hash, so that no address is kept in clear in Redis. */
function addressKey(email: string): string {
  return `digest-address:${createHash("sha256").update(email).digest("hex").slice(0, 32)}`;
}

/**
 * Records the request and, when a confirmation is due and the address's limit allows it, mails
 * it without waiting. Resolves once the request is recorded; mail errors go to `onMailError`.
 */
export async function requestDigest(
  db: Db,
  service: DigestService,
  request: SubscriptionRequest,
): Promise<void> {
  const allowed = await service.perAddress.hit(addressKey(request.email));
  if (!allowed.allowed) return;
  const due = await requestSubscription(db, request);
  if (!due) return;
  const confirmUrl = `${service.mailer.publicUrl}/digest/confirm?token=${due.token}`;
  const mail = confirmationMail({
    frequency: request.frequency,
    filter: request.filter,
    confirmUrl,
  });
  service.mailer
    .send({ to: request.email, ...mail })
    .catch((error) => service.onMailError?.(error));
}
