/**
 * Readiness (`/ready`): whether every dependency of the server answers, each within
 * `TIMEOUTS.readiness`: the database (`SELECT 1`; on PostgreSQL through the API's pool, so a probe
 * also tells its circuit breaker when the server is back) and, when configured, Redis (`PING`).
 * 200 when all do, else 503; the JSON body says which answered: `{"ready":false,
 * "database":"ok","redis":"redis unavailable: ..."}`.
 */
import type { Plugin } from "graphql-yoga";
import type { Redis } from "ioredis";
import { type Db, directOf } from "./client.ts";
import { TIMEOUTS, Unavailable, within } from "./faults.ts";
import { redisCommand } from "./redis.ts";

export interface Dependencies {
  db: Db;
  /** The Redis connection for commands, when REDIS_URL is set. */
  redis?: Redis;
}

export type Readiness = { ready: boolean } & Record<string, string | boolean>;

async function probe(name: string, check: () => Promise<unknown>): Promise<[string, string]> {
  try {
    await within(check(), TIMEOUTS.readiness, name === "redis" ? "redis" : "database");
    return [name, "ok"];
  } catch (error) {
    const message = error instanceof Unavailable ? error.message : `${name} unavailable`;
    return [name, message];
  }
}

export async function checkReadiness({ db, redis }: Dependencies): Promise<Readiness> {
  const direct = directOf(db);
  const probes = [
    probe("database", () =>
      direct.provider === "postgresql"
        ? direct.pool.query("SELECT 1")
        : db.$queryRawUnsafe("SELECT 1"),
    ),
    ...(redis ? [probe("redis", () => redisCommand(() => redis.ping()))] : []),
  ];
  const results = await Promise.all(probes);
  return {
    ready: results.every(([, state]) => state === "ok"),
    ...Object.fromEntries(results),
  };
}

/**
 * The Yoga plugin that answers `path` (`/ready`): 200 or 503, with the details as JSON. It looks at
 * each request's path and nothing else (graphql-yoga's useReadinessCheck also matched every other
 * request against a URL pattern: a few percent of the CPU time of a small query).
 */
export function readinessEndpoint(dependencies: Dependencies, path = "/ready"): Plugin {
  return {
    async onRequest({ url, fetchAPI, endResponse }) {
      if (url.pathname !== path) return;
      const readiness = await checkReadiness(dependencies);
      endResponse(
        new fetchAPI.Response(JSON.stringify(readiness), {
          status: readiness.ready ? 200 : 503,
          headers: { "content-type": "application/json" },
        }),
      );
    },
  };
}
