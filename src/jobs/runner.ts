/**
 * Runs the scheduled jobs (src/jobs/registry.ts) of a server process (`npm start`) or of
 * `papergraph worker`.
 *
 * On PostgreSQL: graphile-worker. Its crontab claims each scheduled instant in the database (a
 * row per job in `graphile_worker._private_known_crontabs`, advanced in the same statement that
 * queues the run), so however many processes run the same schedule, each instant's run is queued
 * once and taken by one worker. Runs are in no named queue: graphile-worker keeps a queue locked
 * by a worker that died (SIGKILL, a lost machine) for 4 hours, which would stop that job in every
 * process. So two runs of a job may overlap, in two processes, when one outlasts the interval
 * between instants; that is safe: the ingest writes each day whole and idempotently, and the
 * digests' outbox claims each mail (src/mail/outbox.ts).
 * Its tables live in the `graphile_worker` schema, created (and migrated) at start.
 *
 * On SQLite: croner, in this process. The embedded database is one machine's, served by one
 * process: two processes with a schedule on one SQLite file would each run it.
 *
 * Schedules are in UTC, to the minute. `stop()` stops scheduling, aborts the runs in progress
 * (their signal: a fetch cancels its requests; what the ingest wrote is whole) and waits for them.
 */
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { JOBS, type Job } from "./registry.ts";

export interface JobRunner {
  /** Which scheduler runs the jobs. */
  kind: "graphile-worker" | "in-process";
  /** The jobs scheduled, with their schedules. */
  jobs: { name: string; schedule: string }[];
  stop(): Promise<void>;
}

/** Connections graphile-worker may open (its LISTEN connection, polling, one job at a time). */
const WORKER_POOL_SIZE = 3;

/** Runs one job, logging how it ended; never rejects. */
async function runLogged(job: Job, config: Config, log: Logger, signal: AbortSignal) {
  const started = performance.now();
  const jobLog = log.child({ job: job.name });
  jobLog.info("job started");
  try {
    await job.run({ config, log: jobLog, signal });
    jobLog.info({ seconds: (performance.now() - started) / 1000 }, "job finished");
  } catch (error) {
    if (signal.aborted) jobLog.warn("job stopped: the runner is stopping");
    else jobLog.error({ err: error }, "job failed");
  }
}

async function startGraphileWorker(
  scheduled: [Job, string][],
  config: Config,
  log: Logger,
): Promise<JobRunner["stop"]> {
  // Loaded only on PostgreSQL with a schedule: a server without one never needs it.
  const { Logger: WorkerLogger, parseCronItems, run } = await import("graphile-worker");
  const workerLog = log.child({ scheduler: "graphile-worker" });
  const logger = new WorkerLogger((scope) => (level, message, meta) => {
    const method = level === "warning" ? "warn" : level;
    // Its per-job chatter ("Completed task...") is debug; our own lines say how each run went.
    workerLog[method === "info" ? "debug" : method]({ ...scope, ...meta }, message);
  });
  const runner = await run({
    connectionString: config.database.url,
    maxPoolSize: WORKER_POOL_SIZE,
    concurrency: 1,
    noHandleSignals: true,
    logger,
    taskList: Object.fromEntries(
      scheduled.map(([job]) => [
        job.name,
        (_payload: unknown, helpers: { abortSignal: AbortSignal }) =>
          runLogged(job, config, log, helpers.abortSignal),
      ]),
    ),
    parsedCronItems: parseCronItems(
      scheduled.map(([job, schedule]) => ({
        task: job.name,
        identifier: job.name,
        match: schedule,
        // A missed instant (no process was up) is not run late; a run is not retried (the job
        // retries its own requests). No queueName: see the module's comment.
        options: { backfillPeriod: 0, maxAttempts: 1 },
      })),
    ),
  });
  return () => runner.stop();
}

function startInProcess(
  scheduled: [Job, string][],
  config: Config,
  log: Logger,
  Cron: typeof import("croner").Cron,
): JobRunner["stop"] {
  const controller = new AbortController();
  const running = new Set<Promise<void>>();
  const crons = scheduled.map(
    ([job, schedule]) =>
      // `protect`: an instant that comes while the previous run still goes is skipped.
      new Cron(schedule, { timezone: "UTC", protect: true, name: job.name }, async () => {
        const run = runLogged(job, config, log, controller.signal);
        running.add(run);
        await run;
        running.delete(run);
      }),
  );
  return async () => {
    for (const cron of crons) cron.stop();
    controller.abort(new Error("the job runner is stopping"));
    await Promise.all(running);
  };
}

/**
 * Starts scheduling the jobs that have a schedule in `config`; undefined when none has (nothing
 * is started).
 */
export async function startJobs(config: Config, log: Logger): Promise<JobRunner | undefined> {
  const scheduled = JOBS.flatMap((job): [Job, string][] => {
    const schedule = config.schedules[job.name];
    return schedule ? [[job, schedule]] : [];
  });
  if (scheduled.length === 0) return undefined;
  const jobs = scheduled.map(([job, schedule]) => ({ name: job.name, schedule }));
  if (config.database.provider === "postgresql") {
    const stop = await startGraphileWorker(scheduled, config, log);
    log.info({ jobs }, "scheduled jobs run through graphile-worker");
    return { kind: "graphile-worker", jobs, stop };
  }
  const { Cron } = await import("croner");
  const stop = startInProcess(scheduled, config, log, Cron);
  log.info({ jobs }, "scheduled jobs run in this process");
  return { kind: "in-process", jobs, stop };
}
