/**
 * A Yoga plugin that executes each subscription event once per operation, not once per
 * subscriber. Installed in the plugins of src/server.ts.
 *
 * Without it, graphql-yoga executes a subscription's selection for every event and every
 * subscriber (graphql-tools maps each subscriber's event stream through `execute`, with an async
 * generator per event): with 2,000 subscribers, 2,000 executions of the same selection on the
 * same event. With it, the subscribers of one group (the same document, operation name,
 * variables and Authorization header) share each event's execution: the first of them to take
 * the event executes it, with its own context, and the others get the same result object
 * (src/live/shared.ts), which Yoga also serialises only once (its SSE processor uses a result's
 * own `stringify`). Resolvers under a subscription may therefore depend on nothing of a request
 * but its credential (`viewerHasUpvoted` does), which every member of a group shares.
 *
 * An event then costs one execution per distinct operation, and each subscriber only the write
 * to its connection. Each subscriber keeps its own source stream (its slot, its pending events).
 */
import {
  createSourceEventStream,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  execute,
} from "graphql";
import { isAsyncIterable, type Plugin } from "graphql-yoga";
import { oncePerEvent } from "../live/shared.ts";

const documentIds = new WeakMap<DocumentNode, number>();
let lastDocumentId = 0;

/**
 * The subscribers that may share an event's execution: those of the same operation (Yoga parses
 * a document once for every request that sends the same text), variables and credential.
 */
function groupOf(args: ExecutionArgs): string {
  let document = documentIds.get(args.document);
  if (document === undefined) {
    document = ++lastDocumentId;
    documentIds.set(args.document, document);
  }
  const request = (args.contextValue as { request?: Request } | undefined)?.request;
  return JSON.stringify([
    "execution",
    document,
    args.operationName ?? null,
    args.variableValues ?? {},
    request?.headers.get("authorization") ?? null,
  ]);
}

/**
 * A subscription refused before its stream starts (UNAUTHENTICATED, TOO_MANY_SUBSCRIPTIONS, a
 * bad argument): answered in the stream, as GraphQL over SSE asks (Server-Sent Events clients
 * such as graphql-sse's take any other status for a network failure), so its errors carry no
 * HTTP status; and with `data: null`, without which graphql-sse's handler (/graphql/stream)
 * takes the result for execution arguments.
 */
function refused(result: ExecutionResult): ExecutionResult {
  for (const error of result.errors ?? []) {
    delete (error.extensions as Record<string, unknown>).http;
  }
  return { data: null, ...result };
}

/** `result`, which Yoga now serialises once however many subscribers it goes to. */
function serialisedOnce(result: ExecutionResult): ExecutionResult {
  let json: string | undefined;
  Object.defineProperty(result, "stringify", {
    value: (value: ExecutionResult) => {
      if (value !== result) return JSON.stringify(value);
      json ??= JSON.stringify(value);
      return json;
    },
  });
  return result;
}

/** The events of `source`, each mapped through `map`; ending this ends `source`. */
function mapEvents<T, R>(
  source: AsyncIterator<T>,
  map: (event: T) => Promise<R>,
): AsyncIterableIterator<R> {
  return {
    async next() {
      const step = await source.next();
      return step.done ? step : { done: false, value: await map(step.value) };
    },
    async return() {
      await source.return?.();
      return { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

export function useLiveDelivery(): Plugin {
  return {
    onSubscribe({ setSubscribeFn }) {
      setSubscribeFn(async (subscribeArgs) => {
        const args = subscribeArgs as ExecutionArgs;
        // The subscription field's `subscribe`: a refusal is a result with its errors.
        const source = await createSourceEventStream(args);
        if (!isAsyncIterable(source)) return refused(source);
        const group = groupOf(args);
        const run = async (event: unknown) =>
          serialisedOnce(await execute({ ...args, rootValue: event }));
        return mapEvents(source[Symbol.asyncIterator](), (event) =>
          typeof event === "object" && event !== null
            ? oncePerEvent(event, group, () => run(event))
            : run(event),
        );
      });
    },
  };
}
