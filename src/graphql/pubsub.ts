/**
 * Live-update events and their subscribers. Events go through an event target: in memory in one
 * process, or Redis pub/sub (graphql-yoga's Redis event target) with REDIS_URL set, so a vote on
 * one server process reaches subscribers connected to any other.
 *
 * `listen` gives a subscriber its stream (src/live/stream.ts) after taking one of its client's
 * subscription slots (src/live/slots.ts); the slot is given back when the stream ends. Events
 * reach the streams through one listener per topic, a batch of subscribers at a time
 * (src/live/fanout.ts).
 */
import type { IncomingMessage } from "node:http";
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { createPubSub, type PubSubEventTarget } from "graphql-yoga";
import type { Redis } from "ioredis";
import type { FaultLog } from "../db/faults.ts";
import { openRedis, type RedisConnections, safePublisher } from "../db/redis.ts";
import { Fanout } from "../live/fanout.ts";
import {
  DEFAULT_SUBSCRIPTION_LIMITS,
  type SubscriptionLimits,
  SubscriptionSlots,
} from "../live/slots.ts";
import { LiveStream } from "../live/stream.ts";
import { TooManySubscriptionsError } from "./errors.ts";

export interface VoteEvent {
  paperId: number;
  upvotes: number;
}

export type Events = {
  paperVotes: [VoteEvent];
  dayRanking: [date: string, event: VoteEvent];
  /** A user's own votes, by user id: their other devices follow them. */
  viewerVotes: [userId: string, event: VoteEvent];
};

/** Papers one subscriber may have events pending for, unread (see LiveStream). */
export const PENDING_EVENTS = 1_000;

/** Subscribers an event is handed to per turn of the event loop (see Fanout). */
export const FANOUT_BATCH = 200;

/** What a resolver's context tells about the client: graphql-yoga's request, and Node's. */
export interface ClientContext {
  request?: Request;
  /** The Node request, in the context when Yoga runs on `node:http`. */
  req?: IncomingMessage;
}

/** The address the connection comes from; "unknown" when there is no connection (`yoga.fetch`). */
export function peerAddress(context: ClientContext): string {
  return context.req?.socket?.remoteAddress ?? "unknown";
}

export interface LiveOptions extends Partial<SubscriptionLimits> {
  /**
   * Tells clients apart for the per-client limit. Default: the address the connection comes
   * from. Behind a reverse proxy, pass one that reads the client address the proxy forwards.
   */
  clientOf?: (context: ClientContext) => string;
  /** Where Redis outages and lost live updates are logged. */
  log?: FaultLog;
}

const silent: FaultLog = { info: () => {}, warn: () => {} };

/**
 * In memory without `redis`; else through Redis: the given connections (main.ts opens them, see
 * src/db/redis.ts), or connections of its own to a Redis URL, closed by `close`.
 */
export function createEvents(redis?: RedisConnections | string, options: LiveOptions = {}) {
  const { clientOf = peerAddress, log = silent, ...limits } = options;
  const slots = new SubscriptionSlots({ ...DEFAULT_SUBSCRIPTION_LIMITS, ...limits });
  let close = async () => {};
  let target: PubSubEventTarget<Events>;
  if (redis) {
    const own = typeof redis === "string" ? openRedis(redis, log) : undefined;
    const connections = own ?? (redis as RedisConnections);
    target = createRedisEventTarget({
      // The event target only publishes through this client.
      publishClient: safePublisher(connections.commands, log) as unknown as Redis,
      subscribeClient: connections.subscriber,
    });
    close = async () => own?.close();
  } else {
    target = new EventTarget() as PubSubEventTarget<Events>;
  }
  const { publish, subscribe } = createPubSub<Events>({ eventTarget: target });
  const fanout = new Fanout<VoteEvent>((topic, onEvent) => {
    const listener = (event: CustomEvent<VoteEvent>) => {
      if (event.detail) onEvent(event.detail);
    };
    target.addEventListener(topic, listener as EventListener);
    return () => target.removeEventListener(topic, listener as EventListener);
  }, FANOUT_BATCH);

  /**
   * A subscriber's stream of the events of `routingKey` (and `id`: the topic `routingKey:id`, as
   * `publish` names it) that `accept` keeps. Throws TOO_MANY_SUBSCRIPTIONS when the client, or
   * the server, holds as many open subscriptions as allowed.
   */
  function listen(
    context: ClientContext,
    routingKey: keyof Events,
    id?: string,
    accept: (event: VoteEvent) => boolean = () => true,
  ): LiveStream<VoteEvent> {
    const slot = slots.take(clientOf(context));
    if (!("release" in slot)) throw new TooManySubscriptionsError(slot.scope, slot.limit);
    const topic = id === undefined ? routingKey : `${routingKey}:${id}`;
    const stream = new LiveStream<VoteEvent>((event) => event.paperId, PENDING_EVENTS);
    const unsubscribe = fanout.add(topic, (event) => {
      if (accept(event)) stream.push(event);
    });
    stream.onEnd(() => {
      unsubscribe();
      slot.release();
    });
    return stream;
  }

  // `clientOf` tells clients apart for other per-client limits too (src/http/sse-streams.ts).
  return { pubsub: { publish, subscribe, listen, slots, clientOf }, close };
}

export type PubSub = ReturnType<typeof createEvents>["pubsub"];
