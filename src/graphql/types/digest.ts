/**
 * Email digests: `subscribeToDigest` (double opt-in), `confirmDigestSubscription`,
 * `unsubscribeFromDigest`, and the signed-in user's `viewer { digestSubscriptions }`. The rules
 * live in src/mail/; this exposes them.
 */
import { clientKey } from "../../http/budget.ts";
import { checkEmail } from "../../mail/address.ts";
import { requestDigest } from "../../mail/confirmations.ts";
import { filterJson, parseFilter } from "../../mail/filter.ts";
import {
  confirmSubscription,
  type Frequency,
  type SubscriptionRow,
  statusOf,
  subscriptionsOf,
  TokenError,
  unsubscribe,
} from "../../mail/subscriptions.ts";
import { builder } from "../builder.ts";
import type { Context } from "../context.ts";
import {
  MailUnavailableError,
  RateLimitedError,
  TokenInvalidError,
  UnauthenticatedError,
} from "../errors.ts";
import { checkFilter, PaperFilterInput } from "./paper.ts";
import { Viewer } from "./vote.ts";

const DigestFrequency = builder.enumType("DigestFrequency", {
  description: "How often a digest comes.",
  values: {
    DAILY: { description: "The top papers of each digest day." },
    WEEKLY: { description: "The top papers of each ISO week (Monday to Sunday)." },
  },
});

const DigestSubscriptionStatus = builder.enumType("DigestSubscriptionStatus", {
  description: "Where a digest subscription stands.",
  values: {
    PENDING: { description: "Waiting for the address's owner to follow the confirmation link." },
    CONFIRMED: { description: "Confirmed: digests are sent." },
    UNSUBSCRIBED: { description: "Unsubscribed: no digest is sent." },
  },
});

const DigestFilter = builder.objectRef<ReturnType<typeof parseFilter>>("DigestFilter").implement({
  description:
    "The conditions a digest's papers meet (those of `PaperFilter` without the day range, which the digest's period sets). Unset conditions are null.",
  fields: (t) => ({
    publishedFrom: t.field({
      type: "DateTime",
      nullable: true,
      description: "Published at or after this instant.",
      resolve: (f) => f.publishedFrom ?? null,
    }),
    publishedTo: t.field({
      type: "DateTime",
      nullable: true,
      description: "Published at or before this instant.",
      resolve: (f) => f.publishedTo ?? null,
    }),
    minUpvotes: t.int({
      nullable: true,
      description: "At least this many upvotes.",
      resolve: (f) => f.minUpvotes ?? null,
    }),
    maxUpvotes: t.int({
      nullable: true,
      description: "At most this many upvotes.",
      resolve: (f) => f.maxUpvotes ?? null,
    }),
    author: t.string({
      nullable: true,
      description: "A visible author's name contains this.",
      resolve: (f) => f.author ?? null,
    }),
    hasCode: t.boolean({
      nullable: true,
      description: "Whether the paper has a code URL.",
      resolve: (f) => f.hasCode ?? null,
    }),
    arxivIds: t.stringList({
      nullable: true,
      description: "One of these arXiv ids.",
      resolve: (f) => (f.arxivIds ? [...f.arxivIds] : null),
    }),
    search: t.string({
      nullable: true,
      description: "Full-text search over title and abstract.",
      resolve: (f) => f.search ?? null,
    }),
  }),
});

const DigestSubscription = builder.objectRef<SubscriptionRow>("DigestSubscription").implement({
  description: "A request to receive the top papers by email, daily or weekly.",
  fields: (t) => ({
    email: t.exposeString("email", { description: "The address, normalised (lower case)." }),
    frequency: t.field({
      type: DigestFrequency,
      description: "How often the digest comes.",
      resolve: (s) => s.frequency as Frequency,
    }),
    filter: t.field({
      type: DigestFilter,
      description: "Which papers the digest lists.",
      resolve: (s) => parseFilter(s.filter),
    }),
    status: t.field({
      type: DigestSubscriptionStatus,
      description: "Pending, confirmed or unsubscribed.",
      resolve: (s) => statusOf(s),
    }),
    createdAt: t.expose("createdAt", {
      type: "DateTime",
      description: "When it was first asked for.",
    }),
    confirmedAt: t.expose("confirmedAt", {
      type: "DateTime",
      nullable: true,
      description: "When the address's owner confirmed it; null while pending.",
    }),
  }),
});

builder.objectField(Viewer, "digestSubscriptions", (t) =>
  t.field({
    type: [DigestSubscription],
    description:
      "The digest subscriptions the signed-in user asked for (at most 20 active), newest first, in every state.",
    resolve: (v, _args, ctx) => subscriptionsOf(ctx.db, v.userId),
  }),
);

const SubscribeToDigestInput = builder.inputType("SubscribeToDigestInput", {
  description: "Where and how often to send which papers.",
  fields: (t) => ({
    email: t.string({
      required: true,
      description:
        "The address (at most 254 characters, `local@domain.tld`); stored in lower case.",
    }),
    frequency: t.field({
      type: DigestFrequency,
      required: true,
      description: "Daily or weekly.",
    }),
    filter: t.field({
      type: PaperFilterInput,
      description:
        "Which papers (a search, a minimum of upvotes...); no day range: the digest's period sets it. None: the top papers of all.",
    }),
  }),
});

const SubscribeToDigestPayload = builder
  .objectRef<{ email: string; frequency: Frequency }>("SubscribeToDigestPayload")
  .implement({
    description:
      "The same for every valid request, whatever the address's state: nobody can learn from it whether an address is subscribed.",
    fields: (t) => ({
      email: t.exposeString("email", { description: "The address, normalised." }),
      frequency: t.field({
        type: DigestFrequency,
        description: "The frequency asked for.",
        resolve: (p) => p.frequency,
      }),
      message: t.string({
        description: "What happens next, for a person to read.",
        resolve: () =>
          "If this address can receive the digest, a confirmation link is on its way to it. Nothing is sent before it is followed.",
      }),
    }),
  });

/** A token argument's TokenError as the client's TOKEN_INVALID. */
async function withToken(run: () => Promise<SubscriptionRow>): Promise<SubscriptionRow> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof TokenError) throw new TokenInvalidError();
    throw error;
  }
}

async function subscribe(
  ctx: Context,
  input: typeof SubscribeToDigestInput.$inferInput,
): Promise<{ email: string; frequency: Frequency }> {
  const service = ctx.digests;
  if (!service) throw new MailUnavailableError();
  const email = checkEmail(input.email, "input.email");
  const filter = filterJson(checkFilter(input.filter), "input.filter");
  const credential = await ctx.viewer();
  // A token sent but invalid is refused, as everywhere; none is fine (anonymous request).
  if (credential.status === "invalid") throw new UnauthenticatedError(credential.reason);
  const client = await clientKey(ctx as Parameters<typeof clientKey>[0], ctx.trustProxyHops ?? 0);
  const decision = await service.perClient.hit(`digest-client:${client}`);
  if (!decision.allowed) {
    throw new RateLimitedError(decision.retryAfterSeconds, "digest subscription requests");
  }
  await requestDigest(ctx.db, service, {
    email,
    frequency: input.frequency,
    filter,
    userId: credential.status === "valid" ? credential.userId : null,
  });
  return { email, frequency: input.frequency };
}

builder.mutationFields((t) => ({
  subscribeToDigest: t.field({
    type: SubscribeToDigestPayload,
    nullable: true,
    description:
      "Asks for an email digest (double opt-in): a confirmation link is mailed to the address, and nothing else is sent before it is followed. Anyone may ask; a signed-in user's request is listed in their `viewer`. The answer is the same whether or not the address is subscribed. Confirmation mails are limited per address (3 an hour, silently) and requests per client (10 an hour: RATE_LIMITED). Null, with a field error, when refused (BAD_USER_INPUT, RATE_LIMITED, MAIL_UNAVAILABLE).",
    args: {
      input: t.arg({
        type: SubscribeToDigestInput,
        required: true,
        description: "The address, frequency and filter.",
      }),
    },
    resolve: (_root, { input }, ctx) => subscribe(ctx, input),
  }),
  confirmDigestSubscription: t.field({
    type: DigestSubscription,
    nullable: true,
    description:
      "Confirms a subscription with the token of its confirmation link (also served as a page at /digest/confirm). Each token works once (TOKEN_INVALID).",
    args: {
      token: t.arg.string({ required: true, description: "The link's `token` parameter." }),
    },
    resolve: (_root, { token }, ctx) => withToken(() => confirmSubscription(ctx.db, token)),
  }),
  unsubscribeFromDigest: t.field({
    type: DigestSubscription,
    nullable: true,
    description:
      "Unsubscribes with the token of a digest's unsubscribe link (also served as a page at /digest/unsubscribe, with RFC 8058 one-click POST). No sign-in needed. Each token works once (TOKEN_INVALID).",
    args: {
      token: t.arg.string({ required: true, description: "The link's `token` parameter." }),
    },
    resolve: (_root, { token }, ctx) => withToken(() => unsubscribe(ctx.db, token)),
  }),
}));
