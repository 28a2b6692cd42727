/**
 * One subscriber's stream of live events: what a subscription hands to GraphQL as its source.
 *
 * - Bounded, and never a backlog: a subscriber that reads slower than events come keeps one
 *   pending event per key (the newest of a paper replaces the older one, in its place in the
 *   queue), and at most `capacity` keys (past that, the oldest pending event is dropped). Events
 *   are news that something changed, and each is delivered with the state as it is when
 *   delivered (src/live/shared.ts), so a replaced event loses nothing.
 * - Pushing never throws (an event target's listener must not: it would stop the delivery to the
 *   other listeners, and in memory it becomes an uncaught exception).
 * - Ends at once when the consumer returns (the client left): a pending `next` resolves done and
 *   the `onEnd` callbacks run, once (they stop listening and free the subscription's slot).
 */
export class LiveStream<T> implements AsyncIterableIterator<T> {
  readonly #pending = new Map<unknown, T>();
  #waiting: ((result: IteratorResult<T, undefined>) => void) | undefined;
  #ended = false;
  readonly #onEnd: (() => void)[] = [];

  constructor(
    /** Events of the same key coalesce while pending. */
    private readonly keyOf: (event: T) => unknown,
    /** At most this many pending events. */
    private readonly capacity: number,
  ) {}

  /** Runs `callback` when the stream ends (at once if it has). */
  onEnd(callback: () => void): void {
    if (this.#ended) callback();
    else this.#onEnd.push(callback);
  }

  push(event: T): void {
    if (this.#ended) return;
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = undefined;
      waiting({ done: false, value: event });
      return;
    }
    this.#pending.set(this.keyOf(event), event);
    if (this.#pending.size > this.capacity) {
      this.#pending.delete(this.#pending.keys().next().value);
    }
  }

  next(): Promise<IteratorResult<T, undefined>> {
    const first = this.#pending.entries().next();
    if (!first.done) {
      this.#pending.delete(first.value[0]);
      return Promise.resolve({ done: false, value: first.value[1] });
    }
    if (this.#ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<T, undefined>> {
    this.end();
    return Promise.resolve({ done: true, value: undefined });
  }

  throw(error?: unknown): Promise<IteratorResult<T, undefined>> {
    this.end();
    return Promise.reject(error);
  }

  /** Ends the stream: drops what is pending, resolves a waiting `next` as done, runs `onEnd`. */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#pending.clear();
    this.#waiting?.({ done: true, value: undefined });
    this.#waiting = undefined;
    for (const callback of this.#onEnd.splice(0)) callback();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
