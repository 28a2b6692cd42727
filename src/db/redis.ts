/**
 * The server's Redis connections (REDIS_URL: shared rate limits and live updates), made to fail
 * fast: a command gets `TIMEOUTS.redisCommand` to be answered, and while the connection is down
 * commands fail at once (no offline queue) instead of waiting for Redis to come back. ioredis
 * reconnects by itself in the background. Its `error` events go to the logger, once per outage
 * (without a listener ioredis prints non-JSON lines to standard error).
 */
import type { Redis, RedisOptions } from "ioredis";
import { redisDriver } from "./drivers.ts";
import { type FaultLog, TIMEOUTS, Unavailable, within } from "./faults.ts";
import { redact } from "./target.ts";

export interface RedisConnections {
  /** Commands: rate limits, publishing, readiness probes. */
  commands: Redis;
  /**
   * Subscriptions (a connection in subscriber mode takes no other command). Its SUBSCRIBEs wait
   * for the connection instead of failing: a subscriber made during an outage is subscribed once
   * Redis is back, like the others (ioredis resubscribes them).
   */
  subscriber: Redis;
  close(): Promise<void>;
}

/** Reconnection delays: 100 ms, 200 ms, ... then every 2 s. */
const retryStrategy = (times: number) => Math.min(times * 100, 2_000);

export function openRedis(url: string, log: FaultLog): RedisConnections {
  const shared: RedisOptions = { connectTimeout: TIMEOUTS.redisConnect, retryStrategy };
  const { Redis } = redisDriver();
  const commands = new Redis(url, {
    ...shared,
    commandTimeout: TIMEOUTS.redisCommand,
    enableOfflineQueue: false,
    // A command in flight when the connection drops fails instead of being sent again later.
    maxRetriesPerRequest: 0,
  });
  const subscriber = new Redis(url, { ...shared, maxRetriesPerRequest: null });
  for (const [role, client] of [
    ["commands", commands],
    ["subscriber", subscriber],
  ] as const) {
    logOutages(client, log, { redis: redact(url), connection: role });
  }
  return {
    commands,
    subscriber,
    close: async () => {
      commands.disconnect();
      subscriber.disconnect();
    },
  };
}

/** Logs the first error of an outage as a warning, and the reconnection; the rest are silent. */
function logOutages(client: Redis, log: FaultLog, details: object): void {
  let down = false;
  client.on("error", (error: Error) => {
    if (down) return;
    down = true;
    log.warn({ ...details, err: error.message }, "Redis is not answering");
  });
  client.on("ready", () => {
    if (!down) return;
    down = false;
    log.info(details, "Redis answers again");
  });
}

/** Waits (up to `ms`) for a connection to be ready; false if it was not. */
export async function redisReady(client: Redis, ms: number = TIMEOUTS.redisConnect) {
  if (client.status === "ready") return true;
  const ready = new Promise<boolean>((resolve) => client.once("ready", () => resolve(true)));
  return within(ready, ms, "redis").catch(() => false);
}

/** Runs a Redis command, reporting a connection failure or a timeout as `Unavailable`. */
export async function redisCommand<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new Unavailable("redis", (error as Error).message, { cause: error });
  }
}

/**
 * A publishing client for graphql-yoga's Redis event target, which publishes without awaiting:
 * a failed PUBLISH (Redis down) would be an unhandled rejection, which ends a Node process. Here
 * it is logged (once until a publish succeeds again) and the live update is lost; the vote that
 * caused it has been committed.
 */
export function safePublisher(client: Redis, log: FaultLog) {
  let failing = false;
  return {
    publish: (channel: string, message: string) =>
      client.publish(channel, message).then(
        (receivers) => {
          failing = false;
          return receivers;
        },
        (error: Error) => {
          if (!failing)
            log.warn({ err: error.message, channel }, "a live update was not published");
          failing = true;
          return 0;
        },
      ),
  };
}
