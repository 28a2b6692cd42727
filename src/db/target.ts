/** Which database a DATABASE_URL names. */
import { isAbsolute, resolve } from "node:path";

export type Provider = "sqlite" | "postgresql";

export interface DatabaseTarget {
  provider: Provider;
  /** The URL as given. */
  url: string;
  /** SQLite only: the absolute path of the database file. */
  file?: string;
}

/** The embedded default: a SQLite file in ./data, created on first use. */
export const DEFAULT_DATABASE_URL = "file:./data/papergraph.db";

/**
 * Reads `file:<path>` (SQLite; a relative path is taken from the working directory) or
 * `postgres://` / `postgresql://` (PostgreSQL). Throws a message that says what was expected.
 */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (url.startsWith("file:")) {
    const path = url.slice("file:".length).replace(/\?.*$/, "");
    if (!path)
      throw new Error(`DATABASE_URL "${url}" names no file (expected file:./data/papergraph.db)`);
    return { provider: "sqlite", url, file: isAbsolute(path) ? path : resolve(path) };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    try {
      new URL(url);
    } catch {
      throw new Error(`DATABASE_URL "${redact(url)}" is not a valid URL`);
    }
    return { provider: "postgresql", url };
  }
  throw new Error(
    `DATABASE_URL "${redact(url)}" is not supported: use file:<path> (SQLite) or postgresql://user@host:port/db`,
  );
}

/** The URL without its password, for messages and logs. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, "//$1:***@");
}
