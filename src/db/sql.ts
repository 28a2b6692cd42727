/**
 * A thin layer for the few bulk statements Prisma's query API makes slow (multi-row inserts and
 * upserts in the ingest job). Statements are written once with `?` placeholders in the SQL both
 * engines share (quoted identifiers, `ON CONFLICT ... DO UPDATE`, `RETURNING`).
 */
import type { Prisma } from "./client.ts";
import type { Provider } from "./target.ts";

type Queryable = Pick<Prisma.TransactionClient, "$queryRawUnsafe" | "$executeRawUnsafe">;
export type SqlValue = string | number | boolean | Date | null;

/** Rows per multi-row statement: well under SQLite's 32,766 and PostgreSQL's 65,535 parameters. */
const MAX_PARAMS = 30_000;

export class Sql {
  constructor(
    private readonly client: Queryable,
    readonly provider: Provider,
  ) {}

  private text(sql: string): string {
    if (this.provider === "sqlite") return sql;
    let n = 0;
    return sql.replace(/\?/g, () => `$${++n}`);
  }

  query<T>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    return this.client.$queryRawUnsafe<T[]>(this.text(sql), ...params);
  }

  execute(sql: string, params: SqlValue[] = []): Promise<number> {
    return this.client.$executeRawUnsafe(this.text(sql), ...params);
  }

  /**
   * `INSERT INTO table (columns) VALUES (...), (...) <suffix>` in as few statements as the
   * parameter limits allow. Returns the rows of a `RETURNING` suffix.
   */
  async insertMany<T = never>(
    table: string,
    columns: readonly string[],
    rows: SqlValue[][],
    suffix = "",
  ): Promise<T[]> {
    const returned: T[] = [];
    const perStatement = Math.max(1, Math.floor(MAX_PARAMS / columns.length));
    const head = `INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) VALUES `;
    const tuple = `(${columns.map(() => "?").join(", ")})`;
    for (let start = 0; start < rows.length; start += perStatement) {
      const chunk = rows.slice(start, start + perStatement);
      const sql = `${head}${chunk.map(() => tuple).join(", ")} ${suffix}`;
      const params = chunk.flat();
      if (/\bRETURNING\b/i.test(suffix)) returned.push(...(await this.query<T>(sql, params)));
      else await this.execute(sql, params);
    }
    return returned;
  }

  /** `?, ?, ?` for an `IN (...)` list. */
  static list(values: readonly unknown[]): string {
    return values.map(() => "?").join(", ");
  }
}

/** Splits a list so an `IN (...)` stays within the parameter limits. */
export function chunks<T>(items: readonly T[], size = 5_000): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
