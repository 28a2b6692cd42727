/**
 * The papergraph command line: `papergraph <command>`, run as `npx papergraph` or `npm run cli --`.
 * Exit codes: 0 success, 1 a digest failed or the command failed, 2 wrong usage.
 */
import { statSync } from "node:fs";
import { parseArgs } from "node:util";
import { AuthError, createToken, createUser, listTokens, revokeToken } from "./auth/tokens.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { connect, type Db, ensureMigrated, upgradeDatabase } from "./db/client.ts";
import { pendingPostgres } from "./db/migrate.ts";
import { openSqlClient } from "./db/sql.ts";
import { redact } from "./db/target.ts";
import { dayProblem } from "./ingest/normalize.ts";
import { progressBar } from "./ingest/progress.ts";
import { formatReport } from "./ingest/report.ts";
import { type InputFile, ingest, listDigestFiles } from "./ingest/run.ts";
import { LIMITS } from "./ingest/types.ts";

const USAGE = `usage: papergraph <command>

commands:
  ingest <file|dir|->...   load digests (page text or Daily Papers API JSON) into the database
      --date YYYY-MM-DD     the digest's day (page text gives no year; overrides the file's)
      --format auto|text|hf-json   (default: auto, from the content)
      --as auto|day|list    load as the day's digest, or as a named list (default: auto: a
                            page-text capture of a search or listing page becomes a list)
      --list NAME           load into the named list NAME (default name: the file's name)
      --dry-run             read and check everything, report, write nothing
      --force               ingest even a digest already ingested with the same bytes
      --verbose             list every file in the summary
      --json                print the report as JSON
  migrate                  apply pending database migrations (needed for PostgreSQL;
                           the embedded SQLite default migrates itself)
  migrate --status         list pending migrations, exit 1 if any
  user create <handle> [--name NAME]
  token create <handle> [--name NAME] [--expires-days N]
                           prints a new API token once; only its hash is stored
  token list [<handle>]    tokens with their prefix, creation, last use and state
  token revoke <id|prefix>

environment:
  DATABASE_URL   file:./data/papergraph.db (default, SQLite) or postgresql://user@host:5432/db`;

class UsageError extends Error {}

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
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      date: { type: "string" },
      format: { type: "string", default: "auto" },
      as: { type: "string", default: "auto" },
      list: { type: "string" },
      "dry-run": { type: "boolean", default: false },
      force: { type: "boolean", default: false },
      verbose: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
  });
  if (positionals.length === 0) throw new UsageError("ingest needs a file, a directory or -");
  const format = values.format;
  if (format !== "auto" && format !== "text" && format !== "hf-json") {
    throw new UsageError(`--format must be auto, text or hf-json, not "${format}"`);
  }
  const as = values.as;
  if (as !== "auto" && as !== "day" && as !== "list") {
    throw new UsageError(`--as must be auto, day or list, not "${as}"`);
  }
  if (values.list !== undefined && (values.list.trim() === "" || as === "day")) {
    throw new UsageError("--list needs a name, and cannot go with --as day");
  }
  if (values.date !== undefined) {
    const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(values.date);
    if (!day) throw new UsageError(`--date must be YYYY-MM-DD, not "${values.date}"`);
    const problem = dayProblem({
      year: Number(day[1]),
      month: Number(day[2]),
      day: Number(day[3]),
    });
    if (problem) throw new UsageError(`--date ${values.date} does not exist: ${problem}`);
  }

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
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { name: { type: "string" } },
  });
  const [action, handle] = positionals;
  if (action !== "create" || !handle) throw new UsageError("user create <handle> [--name NAME]");
  const user = await withDb((db) => createUser(db, handle, values.name));
  console.log(`created user ${user.handle} (id ${user.id})`);
  return 0;
}

async function tokenCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { name: { type: "string" }, "expires-days": { type: "string" } },
  });
  const [action, subject] = positionals;
  if (action === "create" && subject) {
    const days = values["expires-days"] === undefined ? undefined : Number(values["expires-days"]);
    if (days !== undefined && !(Number.isInteger(days) && days > 0)) {
      throw new UsageError("--expires-days must be a positive whole number");
    }
    const created = await withDb((db) =>
      createToken(db, subject, { name: values.name, expiresInDays: days }),
    );
    console.log(created.token);
    console.error(
      `token ${created.id} for ${subject}: shown once, store it now (only its hash is kept)`,
    );
    return 0;
  }
  if (action === "list") {
    const tokens = await withDb((db) => listTokens(db, subject));
    for (const t of tokens) {
      const state = t.revokedAt
        ? "revoked"
        : t.expiresAt && t.expiresAt < new Date()
          ? "expired"
          : "active";
      console.log(
        [
          t.id,
          t.user.handle,
          t.name,
          `${t.prefix}...`,
          state,
          `created ${t.createdAt.toISOString()}`,
          `last used ${t.lastUsedAt?.toISOString() ?? "never"}`,
        ].join("\t"),
      );
    }
    return 0;
  }
  if (action === "revoke" && subject) {
    const count = await withDb((db) => revokeToken(db, subject));
    if (count === 0) {
      console.error(`papergraph: no active token ${subject}`);
      return 1;
    }
    console.log(`revoked ${count} token(s)`);
    return 0;
  }
  throw new UsageError("token create <handle> | token list [<handle>] | token revoke <id|prefix>");
}

async function migrateCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { status: { type: "boolean", default: false } } });
  const { database } = loadConfig();
  const where = database.file ?? redact(database.url);
  if (values.status) {
    if (database.provider !== "postgresql") throw new UsageError("--status is for PostgreSQL");
    const missing = await pendingPostgres(database.url);
    console.log(missing.length ? `pending: ${missing.join(", ")}` : `${where} is up to date`);
    return missing.length ? 1 : 0;
  }
  const { applied, reindexed } = await upgradeDatabase(database);
  if (applied.length) console.log(`applied to ${where}: ${applied.join(", ")}`);
  if (reindexed) {
    console.log(
      `rewrote the words of ${reindexed.papers} papers and ${reindexed.authors} authors (the word rule changed)`,
    );
  }
  if (!applied.length && !reindexed) console.log(`${where} is up to date`);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "ingest":
        return await ingestCommand(rest);
      case "migrate":
        return await migrateCommand(rest);
      case "user":
        return await userCommand(rest);
      case "token":
        return await tokenCommand(rest);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")
    ) {
      console.error(`papergraph: ${(error as Error).message}\n\n${USAGE}`);
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
