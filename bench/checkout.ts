/**
 * The ingest code of a checkout, loaded for a side-by-side benchmark: this one (`.`), or another
 * (e.g. a git worktree of an older commit, with node_modules linked and `src/generated` copied),
 * so that both run on the same files in one interleaved run.
 */
import { resolve } from "node:path";
import type { DatabaseTarget } from "../src/db/target.ts";

type IngestModule = typeof import("../src/ingest/run.ts");
type SqlModule = typeof import("../src/db/sql.ts");

export interface Code {
  label: string;
  ingest: IngestModule;
  sql: SqlModule;
  /** Brings a fresh database to that checkout's schema. */
  upgrade: (target: DatabaseTarget) => Promise<unknown>;
}

export async function loadCheckout(label: string, root: string): Promise<Code> {
  const url = (path: string) => new URL(`file://${resolve(root, path)}`).href;
  const ingest = (await import(url("src/ingest/run.ts"))) as IngestModule;
  const sql = (await import(url("src/db/sql.ts"))) as SqlModule;
  const client = await import(url("src/db/client.ts"));
  const { migrate } = await import(url("src/db/migrate.ts"));
  return { label, ingest, sql, upgrade: client.upgradeDatabase ?? migrate };
}
