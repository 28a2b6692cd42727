/**
 * Hands each event of a topic to the topic's subscribers in this process, `batch` subscribers at
 * a time, letting the event loop run between batches (setImmediate).
 *
 * Delivering an event to a subscriber starts that subscriber's work (executing the event, writing
 * it to the connection), and on SQLite, whose queries answer without leaving the event loop, all
 * of it would otherwise run in one unbroken stretch: 2,000 subscribers x 20 votes held every other
 * request (/health, queries, the votes themselves) for up to a second. In batches, a stretch is
 * one batch's work. Events keep their order: each reaches every subscriber before the next starts,
 * and a subscriber gets the events published while it is subscribed.
 *
 * One listener per topic on the event source (`listen`), added with the topic's first subscriber
 * and removed with its last.
 */
export type Deliver<T> = (event: T) => void;

interface Job<T> {
  event: T;
  /** The subscribers it goes to, and how many it has reached. */
  to: Deliver<T>[];
  next: number;
}

export class Fanout<T> {
  readonly #topics = new Map<string, { subscribers: Set<Deliver<T>>; stop: () => void }>();
  /** Events on their way, in the order they were published. */
  readonly #queue: Job<T>[] = [];
  #scheduled = false;

  constructor(
    /** Starts listening to a topic's events; returns what stops it. */
    private readonly listen: (topic: string, onEvent: (event: T) => void) => () => void,
    /** Subscribers reached per turn of the event loop. */
    private readonly batch: number,
  ) {}

  /** Subscribes `deliver` to `topic`; returns what unsubscribes it. */
  add(topic: string, deliver: Deliver<T>): () => void {
    let entry = this.#topics.get(topic);
    if (!entry) {
      const subscribers = new Set<Deliver<T>>();
      entry = {
        subscribers,
        stop: this.listen(topic, (event) => this.#publish(subscribers, event)),
      };
      this.#topics.set(topic, entry);
    }
    const { subscribers, stop } = entry;
    subscribers.add(deliver);
    return () => {
      if (!subscribers.delete(deliver) || subscribers.size > 0) return;
      this.#topics.delete(topic);
      stop();
    };
  }

  #publish(subscribers: Set<Deliver<T>>, event: T): void {
    if (subscribers.size === 0) return;
    this.#queue.push({ event, to: [...subscribers], next: 0 });
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#run);
    }
  }

  #run = (): void => {
    let left = this.batch;
    while (left > 0 && this.#queue.length > 0) {
      const job = this.#queue[0] as Job<T>;
      const end = Math.min(job.to.length, job.next + left);
      left -= end - job.next;
      for (; job.next < end; job.next++) {
        try {
          (job.to[job.next] as Deliver<T>)(job.event);
        } catch {
          // A subscriber that fails to take an event must not stop the others' deliveries.
        }
      }
      if (job.next === job.to.length) this.#queue.shift();
    }
    if (this.#queue.length > 0) setImmediate(this.#run);
    else this.#scheduled = false;
  };
}
