/**
 * Work done once per event and shared by every subscriber the event reaches.
 *
 * An event reaches every subscriber of its topic in this process as one object: graphql-yoga's
 * PubSub dispatches the published object itself, and the Redis event target parses each message
 * once for all its listeners. So what subscribers compute from an event (the paper it is about,
 * read from the database) is cached on that object, weakly: it goes when the event does. The
 * first subscriber to ask starts the work; the others wait for the same promise. A failure is
 * shared as well: one event, one attempt.
 */
const perEvent = new WeakMap<object, Map<string, Promise<unknown>>>();

export function oncePerEvent<T>(event: object, key: string, compute: () => Promise<T>): Promise<T> {
  let results = perEvent.get(event);
  if (!results) {
    results = new Map();
    perEvent.set(event, results);
  }
  let result = results.get(key) as Promise<T> | undefined;
  if (!result) {
    result = compute();
    results.set(key, result);
  }
  return result;
}
