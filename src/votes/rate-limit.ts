/**
 * Per-user rate limits on mutations: a fixed window of `limit` calls per `windowSeconds`. Shared
 * through Redis (INCR + EXPIRE, atomic in a MULTI) when several server processes run; in memory
 * for a single process. While Redis is down or does not answer, the limit cannot be checked and a
 * hit fails with `Unavailable` (the client is told to retry: HTTP 503), after at most the Redis
 * command timeout.
 */
import type { Redis } from "ioredis";
import { redisCommand } from "../db/redis.ts";

export interface RateDecision {
  allowed: boolean;
  /** Seconds until the window resets (when not allowed). */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  hit(key: string): Promise<RateDecision>;
}

export function memoryRateLimiter(limit: number, windowSeconds: number): RateLimiter {
  const windows = new Map<string, { count: number; resetAt: number }>();
  return {
    async hit(key) {
      const now = Date.now();
      let window = windows.get(key);
      if (!window || window.resetAt <= now) {
        if (windows.size > 100_000) windows.clear();
        window = { count: 0, resetAt: now + windowSeconds * 1000 };
        windows.set(key, window);
      }
      window.count += 1;
      const allowed = window.count <= limit;
      return { allowed, retryAfterSeconds: allowed ? 0 : Math.ceil((window.resetAt - now) / 1000) };
    },
  };
}

export function redisRateLimiter(
  redis: Redis,
  limit: number,
  windowSeconds: number,
  /** The keys' prefix in Redis (tests give their own). */
  prefix = "papergraph:rate:",
): RateLimiter {
  return {
    async hit(key) {
      const window = Math.floor(Date.now() / 1000 / windowSeconds);
      const redisKey = `${prefix}${key}:${window}`;
      const results = await redisCommand(() =>
        redis
          .multi()
          .incr(redisKey)
          .expire(redisKey, windowSeconds + 1)
          .exec(),
      );
      const count = Number(results?.[0]?.[1] ?? 0);
      const allowed = count <= limit;
      const resetAt = (window + 1) * windowSeconds;
      return {
        allowed,
        retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil(resetAt - Date.now() / 1000)),
      };
    },
  };
}
