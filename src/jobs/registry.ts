/**
 * The scheduled jobs: each has a name, the environment variable that holds its schedule, and what
 * it runs. Adding a job is adding an entry here: src/config.ts reads and checks its schedule, and
 * src/jobs/runner.ts runs it (graphile-worker on PostgreSQL, in-process on SQLite). A job's code
 * is loaded only when it runs.
 */
import type { Logger } from "pino";
import type { Config } from "../config.ts";

export interface JobContext {
  config: Config;
  log: Logger;
  /** Aborted when the runner stops (SIGTERM): the job gives up what it is doing. */
  signal: AbortSignal;
}

export interface Job {
  name: string;
  /** The environment variable holding its schedule (cron syntax); unset: it never runs by itself. */
  scheduleVariable: string;
  run(context: JobContext): Promise<void>;
}

export const JOBS: readonly Job[] = [
  {
    name: "fetch",
    scheduleVariable: "FETCH_SCHEDULE",
    run: async (context) => (await import("./fetch.ts")).runFetchJob(context),
  },
  {
    name: "digest",
    scheduleVariable: "DIGEST_SCHEDULE",
    run: async (context) => (await import("./digest.ts")).runDigestJob(context),
  },
];

/**
 * The cron fields both schedulers read alike (graphile-worker's crontab and croner): minute, hour,
 * day of month, month, day of week, each `*`, a number, a range `a-b`, a list `a,b` or a step `/n`
 * of these. Names (MON, JAN), seconds and other extensions are refused rather than read
 * differently by one of them.
 */
const CRON_FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "day of week", min: 0, max: 6 },
] as const;
const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;

/** Why `schedule` is not a five-field cron schedule both schedulers read alike; null if it is. */
export function scheduleProblem(schedule: string): string | null {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length !== CRON_FIELDS.length) {
    return `expected 5 cron fields (minute hour day-of-month month day-of-week), got ${fields.length}`;
  }
  for (const [i, field] of fields.entries()) {
    const { name, min, max } = CRON_FIELDS[i] as (typeof CRON_FIELDS)[number];
    if (!CRON_FIELD.test(field)) {
      return `the ${name} field "${field}" is not *, a number, a range a-b, a list or a step /n`;
    }
    for (const part of field.split(",")) {
      const [range, step] = part.split("/");
      const numbers = (range === "*" ? [] : (range as string).split("-")).map(Number);
      if (numbers.some((n) => n < min || n > max)) {
        return `the ${name} field "${field}" goes outside ${min}-${max}`;
      }
      if (step !== undefined && Number(step) < 1) return `the ${name} field "${field}" steps by 0`;
    }
  }
  return null;
}
