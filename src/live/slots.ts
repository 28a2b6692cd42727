/**
 * Open subscriptions, counted per client and in total, so that live updates cannot be used to
 * wear the server down: a subscription takes a slot when it starts and gives it back when it
 * ends (the client left, or the server closed the stream). Each server process counts the
 * subscriptions it holds; the limits apply per process.
 */

export interface SubscriptionLimits {
  /** Open subscriptions one client (one address) may hold. */
  perClient: number;
  /** Open subscriptions in all. */
  total: number;
}

export const DEFAULT_SUBSCRIPTION_LIMITS: SubscriptionLimits = { perClient: 20, total: 10_000 };

/** Why a subscription was refused: which limit it would have exceeded. */
export interface Refusal {
  scope: "client" | "total";
  limit: number;
}

export interface Slot {
  /** Gives the slot back; later calls do nothing. */
  release(): void;
}

export class SubscriptionSlots {
  readonly #byClient = new Map<string, number>();
  #open = 0;

  constructor(readonly limits: SubscriptionLimits) {}

  /** A slot for `client`, or the limit it would exceed. */
  take(client: string): Slot | Refusal {
    const held = this.#byClient.get(client) ?? 0;
    if (held >= this.limits.perClient) return { scope: "client", limit: this.limits.perClient };
    if (this.#open >= this.limits.total) return { scope: "total", limit: this.limits.total };
    this.#byClient.set(client, held + 1);
    this.#open += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#open -= 1;
        const left = (this.#byClient.get(client) ?? 1) - 1;
        if (left === 0) this.#byClient.delete(client);
        else this.#byClient.set(client, left);
      },
    };
  }

  /** Open subscriptions: in all, or of one client. */
  open(client?: string): number {
    return client === undefined ? this.#open : (this.#byClient.get(client) ?? 0);
  }
}
