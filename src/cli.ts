/**
 * The papergraph command line: `papergraph <command>`, run as `npx papergraph` or `npm run cli --`.
 * Exit codes: 0 success, 1 a digest failed or the command failed, 2 wrong usage.
 */
import { readFileSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import { ConfigError, loadConfig } from "./config.ts";
import { ensureMigrated } from "./db/client.ts";
import { migrate, pendingPostgres } from "./db/migrate.ts";
import { openSqlClient } from "./db/sql.ts";
import { redact } from "./db/target.ts";
import { progressBar } from "./ingest/progress.ts";
import { formatReport } from "./ingest/report.ts";
import { type InputFile, ingest, listDigestFiles } from "./ingest/run.ts";

const USAGE = `usage: papergraph <command>

commands:
  ingest <file|dir|->...   load digests (page text or Daily Papers API JSON) into the database
      --date YYYY-MM-DD     the digest's day (page text gives no year; overrides the file's)
      --format auto|text|hf-json   (default: auto, from the content)
      --dry-run             read and check everything, report, write nothing
      --force               ingest even a digest already ingested with the same bytes
      --verbose             list every file in the summary
      --json                print the report as JSON
  migrate                  apply pending database migrations (needed for PostgreSQL;
                           the embedded SQLite default migrates itself)
  migrate --status         list pending migrations, exit 1 if any

environment:
  DATABASE_URL   file:./data/papergraph.db (default, SQLite) or postgresql://user@host:5432/db`;

class UsageError extends Error {}

async function ingestCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      date: { type: "string" },
      format: { type: "string", default: "auto" },
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
  if (values.date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(values.date)) {
    throw new UsageError(`--date must be YYYY-MM-DD, not "${values.date}"`);
  }

  const inputs: InputFile[] = [];
  const unreadable: string[] = [];
  for (const path of positionals) {
    try {
      const paths = path !== "-" && statSync(path).isDirectory() ? listDigestFiles(path) : [path];
      if (paths.length === 0)
        unreadable.push(`${path}: no .txt or .json digests in this directory`);
      for (const file of paths) {
        inputs.push(file === "-" ? { source: "-", bytes: readFileSync(0) } : { source: file });
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
      { format, date: values.date, dryRun: values["dry-run"], force: values.force },
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
  const applied = await migrate(database);
  console.log(
    applied.length ? `applied to ${where}: ${applied.join(", ")}` : `${where} is up to date`,
  );
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
    if (error instanceof ConfigError) {
      console.error(`papergraph: ${error.message}`);
      return 1;
    }
    console.error(`papergraph: ${(error as Error).message ?? error}`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
