/**
 * Live-update events. In one process they go through Yoga's in-memory PubSub; with REDIS_URL set,
 * through Redis pub/sub (graphql-yoga's Redis event target), so a vote on one server process
 * reaches subscribers connected to any other.
 */
import { createRedisEventTarget } from "@graphql-yoga/redis-event-target";
import { createPubSub } from "graphql-yoga";
import { Redis } from "ioredis";

export interface VoteEvent {
  paperId: number;
  upvotes: number;
}

export type Events = {
  paperVotes: [VoteEvent];
  dayRanking: [date: string, event: VoteEvent];
};

export function createEvents(redisUrl?: string) {
  if (!redisUrl) return { pubsub: createPubSub<Events>(), close: async () => {} };
  const publishClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const pubsub = createPubSub<Events>({
    eventTarget: createRedisEventTarget({ publishClient, subscribeClient }),
  });
  return {
    pubsub,
    close: async () => {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}

export type PubSub = ReturnType<typeof createEvents>["pubsub"];
