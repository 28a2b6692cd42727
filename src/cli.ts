/**
 * The papergraph command line: `papergraph <command>`, run as `npx papergraph` or `npm run cli --`.
 * Exit codes: 0 success, 1 a digest or a fetched day failed or the command failed, 2 wrong usage.
 */
import { statSync } from "node:fs";
import { type ParseArgsConfig, parseArgs } from "node:util";
import pino from "pino";
import {
  AuthError,
  createToken,
  createUser,
  listTokens,
  MAX_EXPIRES_DAYS,
  revokeToken,
} from "./auth/tokens.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { connect, type Db, ensureMigrated, upgradeDatabase } from "./db/client.ts";
import { createDatabaseIfMissing, pendingPostgres } from "./db/migrate.ts";
import { openSqlClient } from "./db/sql.ts";
import { redact } from "./db/target.ts";
import { formatFetchReport } from "./fetch/report.ts";
import {
  addDays,
  daysBetween,
  fetchDays,
  MAX_FETCH_DAYS,
  recentDays,
  utcDay,
} from "./fetch/run.ts";
import { dayProblem } from "./ingest/normalize.ts";
import { progressBar } from "./ingest/progress.ts";
import { formatReport } from "./ingest/report.ts";
import { type InputFile, ingest, listDigestFiles } from "./ingest/run.ts";
import { LIMITS } from "./ingest/types.ts";
import { JOBS } from "./jobs/registry.ts";
import { startJobs } from "./jobs/runner.ts";
import { formatDigestReport, parsePeriod, sendDigests } from "./mail/outbox.ts";
import { openMailer } from "./mail/transport.ts";

const INGEST_USAGE = `papergraph ingest <file|dir|->... [options]
  load digests (page text or Daily Papers API JSON) into the database
  --date YYYY-MM-DD     the digest's day (page text gives no year; overrides the file's)
  --format auto|text|hf-json   (default: auto, from the content)
  --as auto|day|list    load as the day's digest, or as a named list (default: auto: a
                        page-text capture of a search or listing page becomes a list)
  --list NAME           load into the named list NAME (default name: the file's name)
  --dry-run             read and check everything, report what a real run would do, write nothing
  --force               ingest even a digest already ingested with the same bytes
  --verbose             list every file in the summary
  --json                print the report as JSON`;
const MIGRATE_USAGE = `papergraph migrate [--status]
  apply pending database migrations (needed for PostgreSQL; the embedded SQLite default
  migrates itself); creates a PostgreSQL database that does not exist yet
  --status              list pending migrations, exit 1 if any`;
const FETCH_USAGE = `papergraph fetch [--date D | --since D [--until D]] [--json]
  get days from the Daily Papers API (FETCH_BASE_URL) and load them as \`ingest\` does;
  without dates: today (UTC) and the FETCH_REFETCH_DAYS days before it. A day the server
  says is unchanged since the last fetch (304) is not loaded again. Exit 1 if any day failed.
  --date YYYY-MM-DD     one day
  --since YYYY-MM-DD    every day from this one to --until (default: today), at most ${MAX_FETCH_DAYS}
  --json                print the report as JSON`;
const WORKER_USAGE = `papergraph worker
  run the scheduled jobs (FETCH_SCHEDULE, DIGEST_SCHEDULE) in this process until SIGINT or SIGTERM, as a
  server with the same settings would (on PostgreSQL, any number of workers and servers run
  each scheduled instant once)`;
const USER_CREATE_USAGE = "papergraph user create <handle> [--name NAME]";
const TOKEN_CREATE_USAGE = `papergraph token create <handle> [--name NAME] [--expires-days N]
  prints a new API token once (only its hash is stored); N: 1 to ${MAX_EXPIRES_DAYS} days,
  default: no expiry`;
const TOKEN_LIST_USAGE = `papergraph token list [<handle>]
  tokens with their prefix, state, creation, expiry, last use and revocation`;
const TOKEN_REVOKE_USAGE = "papergraph token revoke <id|prefix>";
const DIGEST_SEND_USAGE = `papergraph digest send [--period P]... [options]
  mail each confirmed subscriber the top papers of the period matching their filter, once
  (an outbox in the database), and retry earlier sends that failed and are due
  --period P            a day YYYY-MM-DD (daily digests) or an ISO week YYYY-Www (weekly);
                        repeatable; default: the newest digest day stored, and last week
  --lease SECONDS       how long a claim on a digest holds before another run may take it
                        over (default 300; longer than any SMTP wait)
  --json                print the report as JSON
  needs SMTP_URL, MAIL_FROM and PUBLIC_URL; exit 1 when a digest was given up`;

const USAGE = `papergraph <command> (papergraph <command> --help for its usage)

${INGEST_USAGE}
${MIGRATE_USAGE}
${FETCH_USAGE}
${WORKER_USAGE}
${USER_CREATE_USAGE}
${TOKEN_CREATE_USAGE}
${TOKEN_LIST_USAGE}
${TOKEN_REVOKE_USAGE}
${DIGEST_SEND_USAGE}

environment:
  DATABASE_URL   file:./data/papergraph.db (default, SQLite) or postgresql://user@host:5432/db
  FETCH_BASE_URL, FETCH_REFETCH_DAYS, FETCH_CONCURRENCY, FETCH_TIMEOUT_MS, FETCH_SCHEDULE
                 the fetch from the Daily Papers API (README: "Fetch from the Daily Papers API")
  SMTP_URL, MAIL_FROM, PUBLIC_URL, DIGEST_SCHEDULE
                 the email digests (README: "Email digests")`;

/** Wrong usage: exit code 2, the message and the usage of the command concerned. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly usage = USAGE,
  ) {
    super(message);
  }
}

/** `--help` or `-h` given to a command: its usage on standard output, exit code 0. */
class HelpRequest extends Error {
  constructor(readonly usage: string) {
    super("help");
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * A command's arguments, parsed strictly: an option the command does not know, a value missing
 * or given to a flag, and a positional argument past `max` (with the names `positionals` lists)
 * are usage errors naming them.
 */
function parseCommand<O extends Options>(
  name: string,
  usage: string,
  args: string[],
  options: O,
  positionals: { min: number; max: number; names: string },
) {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true }>>;
  try {
    parsed = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    }) as typeof parsed;
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    if (code?.startsWith("ERR_PARSE_ARGS")) throw new UsageError(`${name}: ${message}`, usage);
    throw error;
  }
  if ((parsed.values as { help?: boolean }).help) throw new HelpRequest(usage);
  const given = parsed.positionals;
  if (given.length > positionals.max) {
    const stray = given
      .slice(positionals.max)
      .map((a) => JSON.stringify(a))
      .join(" ");
    const takes = positionals.max === 0 ? "takes no arguments" : `takes ${positionals.names}`;
    throw new UsageError(`${name} ${takes}; unexpected: ${stray}`, usage);
  }
  if (given.length < positionals.min) {
    throw new UsageError(`${name} needs ${positionals.names}`, usage);
  }
  return parsed;
}

/** A `YYYY-MM-DD` option's value (undefined when not given): a usage error unless the day exists. */
function dayOption(name: string, value: string | undefined, usage: string): string | undefined {
  if (value === undefined) return undefined;
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!day) throw new UsageError(`${name} must be YYYY-MM-DD, not "${value}"`, usage);
  const problem = dayProblem({ year: Number(day[1]), month: Number(day[2]), day: Number(day[3]) });
  if (problem) throw new UsageError(`${name} ${value} does not exist: ${problem}`, usage);
  return value;
}

/**
 * Standard input, read up to the digest size limit: a larger input is refused as soon as the
 * limit is passed, without reading the rest.
 */
async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > LIMITS.fileBytes) {
      process.stdin.destroy();
      throw new Error(`standard input is larger than ${LIMITS.fileBytes} bytes (the digest limit)`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function ingestCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommand(
    "ingest",
    INGEST_USAGE,
    args,
    {
      date: { type: "string" },
      format: { type: "string", default: "auto" },
      as: { type: "string", default: "auto" },
      list: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      force: { type: "boolean", default: false },
      verbose: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
    { min: 1, max: Number.POSITIVE_INFINITY, names: "a file, a directory or -" },
  );
  const format = values.format;
  if (format !== "auto" && format !== "text" && format !== "hf-json") {
    throw new UsageError(`--format must be auto, text or hf-json, not "${format}"`, INGEST_USAGE);
  }
  const as = values.as;
  if (as !== "auto" && as !== "day" && as !== "list") {
    throw new UsageError(`--as must be auto, day or list, not "${as}"`, INGEST_USAGE);
  }
  if (values.list !== undefined && (values.list.trim() === "" || as === "day")) {
    throw new UsageError("--list needs a name, and cannot go with --as day", INGEST_USAGE);
  }
  dayOption("--date", values.date, INGEST_USAGE);

  const inputs: InputFile[] = [];
  const unreadable: string[] = [];
  for (const path of positionals) {
    try {
      const paths = path !== "-" && statSync(path).isDirectory() ? listDigestFiles(path) : [path];
      if (paths.length === 0)
        unreadable.push(`${path}: no .txt or .json digests in this directory`);
      for (const file of paths) {
        inputs.push(file === "-" ? { source: "-", bytes: await readStdin() } : { source: file });
      }
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      unreadable.push(`${path}: ${code === "ENOENT" ? "no such file or directory" : message}`);
    }
  }
  if (unreadable.length > 0) {
    for (const line of unreadable) console.error(`papergraph: ${line}`);
    if (inputs.length === 0) return 1;
  }

  const { database } = loadConfig();
  await ensureMigrated(database);
  const sql = openSqlClient(database);
  try {
    const report = await ingest(
      sql,
      inputs,
      {
        format,
        date: values.date,
        dryRun: values["dry-run"],
        force: values.force,
        as,
        list: values.list?.trim(),
      },
      values.json ? undefined : progressBar(),
    );
    console.log(
      values.json ? JSON.stringify(report, null, 2) : formatReport(report, values.verbose),
    );
    return report.failed > 0 || unreadable.length > 0 ? 1 : 0;
  } finally {
    await sql.close();
  }
}

/** The days `papergraph fetch` was asked for, oldest first (today: UTC). */
function fetchDaysAsked(values: { date?: string; since?: string; until?: string }): string[] {
  const date = dayOption("--date", values.date, FETCH_USAGE);
  const since = dayOption("--since", values.since, FETCH_USAGE);
  const until = dayOption("--until", values.until, FETCH_USAGE);
  const today = utcDay(new Date());
  if (date !== undefined && (since !== undefined || until !== undefined)) {
    throw new UsageError("--date names one day: it cannot go with --since or --until", FETCH_USAGE);
  }
  if (until !== undefined && since === undefined) {
    throw new UsageError("--until needs --since", FETCH_USAGE);
  }
  const last = date ?? until ?? today;
  if (last > today) {
    throw new UsageError(`${last} is after today (${today}, UTC): no digest yet`, FETCH_USAGE);
  }
  if (date !== undefined) return [date];
  if (since === undefined) return recentDays(today, loadConfig().fetch.refetchDays);
  if (since > last) throw new UsageError(`--since ${since} is after ${last}`, FETCH_USAGE);
  if (addDays(since, MAX_FETCH_DAYS - 1) < last) {
    throw new UsageError(
      `--since ${since} to ${last} is more than ${MAX_FETCH_DAYS} days: fetch it in parts`,
      FETCH_USAGE,
    );
  }
  return daysBetween(since, last);
}

async function fetchCommand(args: string[]): Promise<number> {
  const { values } = parseCommand(
    "fetch",
    FETCH_USAGE,
    args,
    {
      date: { type: "string" },
      since: { type: "string" },
      until: { type: "string" },
      json: { type: "boolean", default: false },
    },
    { min: 0, max: 0, names: "" },
  );
  const days = fetchDaysAsked(values);
  const config = loadConfig();
  await ensureMigrated(config.database);
  const sql = openSqlClient(config.database);
  // Ctrl-C: requests in flight are cancelled; what was loaded stays, whole.
  const controller = new AbortController();
  const interrupt = () => controller.abort(new Error("interrupted"));
  process.once("SIGINT", interrupt);
  process.once("SIGTERM", interrupt);
  try {
    const report = await fetchDays(sql, days, { ...config.fetch, signal: controller.signal });
    console.log(values.json ? JSON.stringify(report, null, 2) : formatFetchReport(report));
    return report.failed > 0 ? 1 : 0;
  } finally {
    process.off("SIGINT", interrupt);
    process.off("SIGTERM", interrupt);
    await sql.close();
  }
}

async function workerCommand(args: string[]): Promise<number> {
  parseCommand("worker", WORKER_USAGE, args, {}, { min: 0, max: 0, names: "" });
  const config = loadConfig();
  const variables = JOBS.map((job) => job.scheduleVariable).join(", ");
  if (Object.keys(config.schedules).length === 0) {
    console.error(`papergraph: no job has a schedule: set ${variables}`);
    return 1;
  }
  await ensureMigrated(config.database);
  const log = pino({ level: config.logLevel }, pino.destination(2));
  // Listened for before the runner starts: a signal during its start must not kill it half-way.
  const stopped = new Promise<string>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  const runner = await startJobs(config, log);
  const jobs = runner?.jobs.map((job) => `${job.name} (${job.schedule} UTC)`).join(", ");
  console.log(`papergraph worker is running ${jobs} through ${runner?.kind}`);
  const signal = await stopped;
  log.info({ signal }, "stopping the worker");
  await runner?.stop();
  log.info("stopped");
  return 0;
}

async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const { database } = loadConfig();
  const { db, close } = await connect(database);
  try {
    return await fn(db);
  } finally {
    await close();
  }
}

async function userCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action !== "create") {
    throw new UsageError(
      action === undefined ? "user needs a command" : `unknown user command "${action}"`,
      USER_CREATE_USAGE,
    );
  }
  const { values, positionals } = parseCommand(
    "user create",
    USER_CREATE_USAGE,
    rest,
    { name: { type: "string" } },
    { min: 1, max: 1, names: "one <handle>" },
  );
  const handle = positionals[0] as string;
  const user = await withDb((db) => createUser(db, handle, values.name));
  console.log(`created user ${user.handle} (id ${user.id})`);
  return 0;
}

/** `--expires-days`: a whole number of days from 1 to MAX_EXPIRES_DAYS, digits only. */
function expiresDays(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const days = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
  if (!(days >= 1 && days <= MAX_EXPIRES_DAYS)) {
    throw new UsageError(
      `--expires-days must be a whole number of days from 1 to ${MAX_EXPIRES_DAYS}, not "${value}"`,
      TOKEN_CREATE_USAGE,
    );
  }
  return days;
}

/** A token's state now: revoked wins over expired. */
function tokenState(t: { revokedAt: Date | null; expiresAt: Date | null }, now: Date): string {
  if (t.revokedAt) return "revoked";
  return t.expiresAt && t.expiresAt <= now ? "expired" : "active";
}

const TOKEN_COLUMNS = [
  "id",
  "user",
  "name",
  "prefix",
  "state",
  "created",
  "expires",
  "last used",
  "revoked",
];

async function tokenCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action === "create") {
    const { values, positionals } = parseCommand(
      "token create",
      TOKEN_CREATE_USAGE,
      rest,
      { name: { type: "string" }, "expires-days": { type: "string" } },
      { min: 1, max: 1, names: "one <handle>" },
    );
    const subject = positionals[0] as string;
    const days = expiresDays(values["expires-days"]);
    const created = await withDb((db) =>
      createToken(db, subject, { name: values.name, expiresInDays: days }),
    );
    console.log(created.token);
    const expiry = created.expiresAt
      ? `expires ${created.expiresAt.toISOString()}`
      : "never expires";
    console.error(
      `token ${created.id} for ${subject} (${expiry}): shown once, store it now (only its hash is kept)`,
    );
    return 0;
  }
  if (action === "list") {
    const { positionals } = parseCommand(
      "token list",
      TOKEN_LIST_USAGE,
      rest,
      {},
      { min: 0, max: 1, names: "at most one <handle>" },
    );
    const tokens = await withDb((db) => listTokens(db, positionals[0]));
    const now = new Date();
    const time = (d: Date | null, none: string) => d?.toISOString() ?? none;
    console.log(TOKEN_COLUMNS.join("\t"));
    for (const t of tokens) {
      console.log(
        [
          t.id,
          t.user.handle,
          t.name,
          `${t.prefix}...`,
          tokenState(t, now),
          time(t.createdAt, "-"),
          time(t.expiresAt, "never"),
          time(t.lastUsedAt, "never"),
          time(t.revokedAt, "-"),
        ].join("\t"),
      );
    }
    return 0;
  }
  if (action === "revoke") {
    const { positionals } = parseCommand(
      "token revoke",
      TOKEN_REVOKE_USAGE,
      rest,
      {},
      { min: 1, max: 1, names: "one <id|prefix>" },
    );
    const subject = positionals[0] as string;
    const count = await withDb((db) => revokeToken(db, subject));
    if (count === 0) {
      console.error(`papergraph: no active token ${subject}`);
      return 1;
    }
    console.log(`revoked ${count} token(s)`);
    return 0;
  }
  throw new UsageError(
    action === undefined ? "token needs a command" : `unknown token command "${action}"`,
    [TOKEN_CREATE_USAGE, TOKEN_LIST_USAGE, TOKEN_REVOKE_USAGE].join("\n"),
  );
}

async function migrateCommand(args: string[]): Promise<number> {
  const { values } = parseCommand(
    "migrate",
    MIGRATE_USAGE,
    args,
    { status: { type: "boolean", default: false } },
    { min: 0, max: 0, names: "" },
  );
  const { database } = loadConfig();
  const where = database.file ?? redact(database.url);
  if (values.status) {
    if (database.provider !== "postgresql") {
      throw new UsageError("--status is for PostgreSQL", MIGRATE_USAGE);
    }
    const missing = await pendingPostgres(database.url);
    console.log(missing.length ? `pending: ${missing.join(", ")}` : `${where} is up to date`);
    return missing.length ? 1 : 0;
  }
  if (database.provider === "postgresql" && (await createDatabaseIfMissing(database.url))) {
    console.log(`created the database ${where}`);
  }
  const { applied, reindexed } = await upgradeDatabase(database);
  if (applied.length) console.log(`applied to ${where}: ${applied.join(", ")}`);
  if (reindexed && reindexed.papers + reindexed.authors > 0) {
    console.log(
      `rewrote the words of ${reindexed.papers} papers and ${reindexed.authors} authors (the word rule changed)`,
    );
  }
  if (!applied.length && !reindexed) console.log(`${where} is up to date`);
  return 0;
}

async function digestCommand(args: string[]): Promise<number> {
  const [action, ...rest] = args;
  if (action !== "send") {
    throw new UsageError(
      action === undefined ? "digest needs a command" : `unknown digest command "${action}"`,
      DIGEST_SEND_USAGE,
    );
  }
  const { values } = parseCommand(
    "digest send",
    DIGEST_SEND_USAGE,
    rest,
    {
      period: { type: "string", multiple: true },
      lease: { type: "string" },
      json: { type: "boolean" },
    },
    { min: 0, max: 0, names: "" },
  );
  for (const period of values.period ?? []) {
    try {
      parsePeriod(period);
    } catch (error) {
      throw new UsageError(`--period: ${(error as Error).message}`, DIGEST_SEND_USAGE);
    }
  }
  const lease = values.lease === undefined ? undefined : Number(values.lease);
  if (lease !== undefined && !(/^\d+$/.test(values.lease as string) && lease >= 1)) {
    throw new UsageError(
      `--lease "${values.lease}" is not a whole number of seconds`,
      DIGEST_SEND_USAGE,
    );
  }
  const config = loadConfig();
  if (!config.mail) throw new ConfigError("digest send needs SMTP_URL, MAIL_FROM and PUBLIC_URL");
  const mailer = openMailer(config.mail);
  try {
    const report = await withDb((db) =>
      sendDigests({
        db,
        provider: config.database.provider,
        mailer,
        periods: values.period,
        leaseMs: lease === undefined ? undefined : lease * 1000,
      }),
    );
    console.log(values.json ? JSON.stringify(report, null, 2) : formatDigestReport(report));
    return report.failed.length > 0 ? 1 : 0;
  } finally {
    mailer.close();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "ingest":
        return await ingestCommand(rest);
      case "migrate":
        return await migrateCommand(rest);
      case "fetch":
        return await fetchCommand(rest);
      case "worker":
        return await workerCommand(rest);
      case "user":
        return await userCommand(rest);
      case "token":
        return await tokenCommand(rest);
      case "digest":
        return await digestCommand(rest);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        console.log(`usage: ${USAGE}`);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof HelpRequest) {
      console.log(`usage: ${error.usage}`);
      return 0;
    }
    if (error instanceof UsageError) {
      console.error(`papergraph: ${error.message}\n\nusage: ${error.usage}`);
      return 2;
    }
    if (error instanceof ConfigError || error instanceof AuthError) {
      console.error(`papergraph: ${error.message}`);
      return 1;
    }
    console.error(`papergraph: ${(error as Error).message ?? error}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
