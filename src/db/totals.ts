/**
 * The totals behind the dashboards (issue 9), kept in step with the day entries, papers and
 * authors by every writer, in the writer's own transaction:
 *
 * - `DayTotal`, per day and previous listing: the day's entries and the sum of their papers'
 *   upvotes now. The time series, the totals of weeks, months and days, and any range read it.
 * - `AuthorYear`, per author and year: the distinct papers naming the author listed in the year,
 *   in each quarter and in each month, and the sum of their upvotes now. The top authors of a
 *   calendar month, quarter or year are read from it (src/graphql/types/stats.ts).
 *
 * The rule that makes per-day sums exact. The dashboards count the *distinct* papers listed in a
 * range of days (a paper listed on two days of a week counts once). Each day entry knows the
 * paper's previous listing (`DayEntry.previousListedOn`: the latest earlier day that lists it, or
 * null), so among a paper's entries in [from, to] exactly one has its previous listing null or
 * before `from`: its first one in the range. The distinct papers of [from, to] are those entries.
 * So `DayTotal` is kept per day *and* previous listing ("" for none, which sorts before every
 * date), and a range sums the rows of its days with `previousListedOn < from`. Most entries have
 * no previous listing; a repeated paper adds a row per distinct previous day, so a day has a few.
 *
 * Contributions. Every paper contributes to a fixed set of rows, computed from its entries, its
 * visible authors (an author named twice counts once) and its upvotes (`contributions`): one entry
 * and its upvotes to `DayTotal` (day, previous listing) per entry; one paper and its upvotes to
 * the year's, quarters' and months' columns of `AuthorYear` (year, author) it is listed in, per
 * visible author and year. Each row is the sum of the contributions of all papers; rows that fall
 * to zero are deleted.
 *
 * Who keeps them.
 * - The ingest (src/ingest/write.ts): a digest changes some papers (their entries, previous
 *   listings, authors or upvotes), and only those. `TotalsChange` reads their contributions before
 *   the writes, sets the previous listings of their entries after them, reads the contributions
 *   again, and the difference is added to the rows: exact by construction. The papers a digest
 *   leaves as they were are not even read (a forced re-ingest of the same digests reads and
 *   writes no totals). The differences of a batch's digests are added up and written once, just
 *   before the batch commits (src/ingest/run.ts), as the search words are.
 * - Votes: a vote moves a paper's `localUpvotes` and `upvotes` together; a trigger on `Paper`
 *   (written by hand in the migration `..._day_totals`) then moves the upvotes of the paper's
 *   rows (its `DayTotal` rows, its authors' `AuthorYear` rows) by the same amount, in the vote's
 *   statement. The ingest never changes `localUpvotes`, so the trigger never fires for it.
 *
 * Concurrency (PostgreSQL; SQLite has one writer at a time). Votes and an ingest batch run side by
 * side and both add to the same rows (a day's `DayTotal` row holds all its papers). Additions
 * commute, but two things must hold:
 * - No vote may change a paper's upvotes between the ingest's two readings of its contribution
 *   (it would be counted twice): the ingest locks the papers it changes (`FOR SHARE`) before the
 *   first, so a vote on one of them waits for the batch to commit. Its trigger then reads the
 *   entries afresh (each statement of a trigger function takes a new snapshot): it sees the new
 *   entries and previous listings, and the rows the batch wrote.
 * - No deadlock: a vote locks its paper, then its rows, `DayTotal`'s then `AuthorYear`'s, each in
 *   key order; the ingest locks papers while it writes digests, and totals rows only at the end
 *   of the batch, in the same order. A vote that holds rows only waits for rows, which everyone
 *   takes in one order; the ingest waits for a paper only before it holds any row.
 */
import { type Columns, chunks, type Sql, type SqlValue } from "./sql.ts";

const MONTHS = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12"] as const;
/** The periods of `AuthorYear`, in order: the year, its quarters, its months. */
export const AUTHOR_YEAR_PERIODS = [
  "papers",
  "q1",
  "q2",
  "q3",
  "q4",
  ...MONTHS.map((m) => `m${m}`),
] as const;
export type AuthorYearColumn = (typeof AUTHOR_YEAR_PERIODS)[number];
/** The column of the upvotes that goes with a period's count column. */
export function upvotesColumn(column: AuthorYearColumn): string {
  return column === "papers" ? "upvotes" : `${column}Upvotes`;
}
/** The amount columns of `AuthorYear`: each period's count, then each period's upvotes. */
const AUTHOR_YEAR_COLUMNS = [...AUTHOR_YEAR_PERIODS, ...AUTHOR_YEAR_PERIODS.map(upvotesColumn)];
const PERIODS = AUTHOR_YEAR_PERIODS.length;

/** The `AuthorYear` periods a day counts in (indexes into AUTHOR_YEAR_PERIODS). */
function yearPeriods(date: string): number[] {
  const month = Number(date.slice(5, 7));
  return [0, Math.ceil(month / 3), 4 + month];
}

/** Contributions of some papers to the totals, and their entries' previous listings. */
interface Contributions {
  /** `date \0 previousListedOn` -> [entries, upvotes]. */
  days: Map<string, number[]>;
  /** `year \0 authorId` -> amounts in the order of AUTHOR_YEAR_COLUMNS. */
  authors: Map<string, number[]>;
  /** Entries whose stored previous listing is not the one their paper's listings give. */
  stale: { dayId: number; paperId: number; previousListedOn: string | null }[];
}

const SEP = "\u0000";

function add(map: Map<string, number[]>, key: string, amounts: readonly number[], sign = 1): void {
  const sums = map.get(key) ?? amounts.map(() => 0);
  map.set(key, sums);
  for (let i = 0; i < amounts.length; i++) sums[i] = (sums[i] ?? 0) + sign * (amounts[i] ?? 0);
}

/**
 * Reads the contributions of papers to the totals as the database holds them now. Each entry's
 * previous listing is computed from the paper's days (not read), so that it is right after the
 * ingest added entries; entries where the stored one differs are listed in `stale`.
 */
async function contributions(sql: Sql, paperIds: readonly number[]): Promise<Contributions> {
  const result: Contributions = { days: new Map(), authors: new Map(), stale: [] };
  for (const part of chunks([...new Set(paperIds)])) {
    const where = sql.in(part, "int");
    const entries = await sql.query<{
      dayId: number;
      paperId: number;
      date: string;
      previousListedOn: string | null;
      upvotes: number;
    }>(
      `SELECT e."dayId", e."paperId", d."date", e."previousListedOn", p."upvotes"
       FROM "DayEntry" e JOIN "Day" d ON d."id" = e."dayId" JOIN "Paper" p ON p."id" = e."paperId"
       WHERE e."paperId" ${where.sql} ORDER BY e."paperId", d."date"`,
      where.params,
    );
    const links = await sql.query<{ paperId: number; authorId: number }>(
      `SELECT DISTINCT "paperId", "authorId" FROM "PaperAuthor"
       WHERE "paperId" ${where.sql} AND "hidden" = false`,
      where.params,
    );
    const authors = new Map<number, number[]>();
    for (const { paperId, authorId } of links) {
      const list = authors.get(Number(paperId)) ?? [];
      list.push(Number(authorId));
      authors.set(Number(paperId), list);
    }
    // Entries come by paper, then day: a paper's previous listing is the entry before.
    const years = new Map<string, Set<number>>();
    const flush = (paperId: number, upvotes: number) => {
      for (const [year, periods] of years) {
        for (const authorId of authors.get(paperId) ?? []) {
          const key = `${year}${SEP}${authorId}`;
          const amounts = result.authors.get(key) ?? AUTHOR_YEAR_COLUMNS.map(() => 0);
          for (const i of periods) {
            amounts[i] = (amounts[i] as number) + 1;
            amounts[PERIODS + i] = (amounts[PERIODS + i] as number) + upvotes;
          }
          result.authors.set(key, amounts);
        }
      }
      years.clear();
    };
    let previous: { paperId: number; date: string; upvotes: number } | undefined;
    for (const e of entries) {
      const paperId = Number(e.paperId);
      if (previous && previous.paperId !== paperId) flush(previous.paperId, previous.upvotes);
      const previousListedOn = previous?.paperId === paperId ? previous.date : null;
      previous = { paperId, date: e.date, upvotes: Number(e.upvotes) };
      if (e.previousListedOn !== previousListedOn) {
        result.stale.push({ dayId: Number(e.dayId), paperId, previousListedOn });
      }
      add(result.days, `${e.date}${SEP}${previousListedOn ?? ""}`, [1, Number(e.upvotes)]);
      // The paper counts once in each period of the year that one of its days falls in.
      const year = e.date.slice(0, 4);
      const periods = years.get(year) ?? new Set<number>();
      for (const period of yearPeriods(e.date)) periods.add(period);
      years.set(year, periods);
    }
    if (previous) flush(previous.paperId, previous.upvotes);
  }
  return result;
}

/**
 * What a writer changed in the totals, per row: to be added to them, in the writer's transaction.
 * The ingest adds up the changes of a batch's digests and writes them once, before the batch
 * commits (src/ingest/run.ts).
 */
export class TotalsDelta {
  /** `date \0 previousListedOn` -> [entries, upvotes]. */
  readonly days = new Map<string, number[]>();
  /** `year \0 authorId` -> amounts in the order of AUTHOR_YEAR_COLUMNS. */
  readonly authors = new Map<string, number[]>();

  /** `after - before`, for the papers both were read for. */
  static between(before: Contributions, after: Contributions): TotalsDelta {
    const delta = new TotalsDelta();
    for (const [key, amounts] of after.days) add(delta.days, key, amounts);
    for (const [key, amounts] of before.days) add(delta.days, key, amounts, -1);
    for (const [key, amounts] of after.authors) add(delta.authors, key, amounts);
    for (const [key, amounts] of before.authors) add(delta.authors, key, amounts, -1);
    return delta;
  }

  add(other: TotalsDelta): void {
    for (const [key, amounts] of other.days) add(this.days, key, amounts);
    for (const [key, amounts] of other.authors) add(this.authors, key, amounts);
  }

  /**
   * Adds the changes to the rows, deleting emptied ones: DayTotal's rows, then AuthorYear's, each
   * in key order, the order votes lock them in (see "Concurrency").
   */
  async apply(sql: Sql): Promise<void> {
    await addToRows(sql, DAY_TOTAL, changes(DAY_TOTAL, this.days));
    await addToRows(sql, AUTHOR_YEAR, changes(AUTHOR_YEAR, this.authors));
  }
}

/** The rows that change, in key order (text by its UTF-16 code units, integers by value). */
function changes(
  table: Table,
  map: Map<string, number[]>,
): { key: SqlValue[]; amounts: number[] }[] {
  const types = Object.values(table.keys);
  const rows = [...map]
    .filter(([, amounts]) => amounts.some((n) => n !== 0))
    .map(([key, amounts]) => ({
      key: key.split(SEP).map((part, i) => (types[i] === "int" ? Number(part) : part)),
      amounts,
    }));
  const compare = (a: SqlValue[], b: SqlValue[]): number => {
    for (let i = 0; i < a.length; i++) {
      const [x, y] = [a[i] as string | number, b[i] as string | number];
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
  return rows.sort((a, b) => compare(a.key, b.key));
}

interface Table {
  name: "DayTotal" | "AuthorYear";
  keys: Columns;
  /** The amount columns, in the order of the contributions' arrays; the first is the count. */
  amounts: readonly string[];
  /** How many of the first amount columns have no default: always written. */
  required: number;
}

const DAY_TOTAL: Table = {
  name: "DayTotal",
  keys: { date: "text", previousListedOn: "text" },
  amounts: ["papers", "upvotes"],
  required: 2,
};
const AUTHOR_YEAR: Table = {
  name: "AuthorYear",
  keys: { year: "text", authorId: "int" },
  amounts: AUTHOR_YEAR_COLUMNS,
  required: 1,
};

/**
 * Adds changes to a table's rows, creating missing ones and deleting those that fall to zero.
 * Rows are written grouped by which amounts change (a paper new in March changes three columns of
 * its authors' AuthorYear rows, not seventeen), each group in key order.
 */
async function addToRows(
  sql: Sql,
  table: Table,
  changes: { key: SqlValue[]; amounts: number[] }[],
): Promise<void> {
  if (changes.length === 0) return;
  const keyNames = Object.keys(table.keys);
  const groups = new Map<string, { columns: number[]; rows: SqlValue[][] }>();
  for (const { key, amounts } of changes) {
    const columns = amounts.flatMap((n, i) => (n !== 0 || i < table.required ? [i] : []));
    const signature = columns.join(",");
    const group = groups.get(signature) ?? { columns, rows: [] };
    group.rows.push([...key, ...columns.map((i) => amounts[i] as number)]);
    groups.set(signature, group);
  }
  for (const { columns, rows } of groups.values()) {
    const names = columns.map((i) => table.amounts[i] as string);
    await sql.insertMany(
      table.name,
      { ...table.keys, ...Object.fromEntries(names.map((c) => [c, "int"])) },
      rows,
      `ON CONFLICT (${keyNames.map((c) => `"${c}"`).join(", ")}) DO UPDATE SET ${names
        .map((c) => `"${c}" = "${table.name}"."${c}" + excluded."${c}"`)
        .join(", ")}`,
    );
  }
  // A row's count only falls when a paper left it: delete those rows if they are empty now.
  const fallen = changes.filter((c) => (c.amounts[0] as number) < 0).map((c) => c.key);
  const match = keyNames.map((c) => `"${c}" = ?`).join(" AND ");
  for (const key of fallen) {
    await sql.execute(
      `DELETE FROM "${table.name}" WHERE ${match} AND "${table.amounts[0]}" = 0`,
      key,
    );
  }
}

/** Writes the previous listings the papers' days give to the entries that lack them. */
async function setPreviousListings(sql: Sql, stale: Contributions["stale"]): Promise<void> {
  if (stale.length === 0) return;
  if (sql.provider === "sqlite") {
    for (const e of stale) {
      await sql.execute(
        `UPDATE "DayEntry" SET "previousListedOn" = ? WHERE "dayId" = ? AND "paperId" = ?`,
        [e.previousListedOn, e.dayId, e.paperId],
      );
    }
    return;
  }
  await sql.execute(
    `UPDATE "DayEntry" AS e SET "previousListedOn" = u."previousListedOn"
     FROM unnest(?::int[], ?::int[], ?::text[]) AS u("dayId", "paperId", "previousListedOn")
     WHERE e."dayId" = u."dayId" AND e."paperId" = u."paperId"`,
    [stale.map((e) => e.dayId), stale.map((e) => e.paperId), stale.map((e) => e.previousListedOn)],
  );
}

/**
 * One writer's change to some papers, inside its transaction:
 *
 *   const change = new TotalsChange(sql);
 *   await change.before(ids);              // the existing papers it will change, before any write
 *   ...write papers, authors, entries...
 *   const delta = await change.after(newIds);  // and the papers it created
 *   ...delta.apply(sql) before the transaction commits
 *
 * A paper whose entries, visible authors and upvotes stay as they were need not be named.
 */
export class TotalsChange {
  private previous: Contributions | undefined;
  private previousIds: readonly number[] = [];

  constructor(private readonly sql: Sql) {}

  /** Locks (PostgreSQL) and reads the contributions of existing papers the writer will change. */
  async before(paperIds: readonly number[]): Promise<void> {
    if (this.sql.provider === "postgresql" && paperIds.length > 0) {
      // No vote may change these papers' upvotes until the transaction ends ("Concurrency").
      await this.sql.query(
        `SELECT 1 FROM "Paper" WHERE "id" = ANY(?::int[]) ORDER BY "id" FOR SHARE`,
        [[...paperIds]],
      );
    }
    this.previous = await contributions(this.sql, paperIds);
    this.previousIds = paperIds;
  }

  /**
   * Sets the previous listings of the papers' entries and returns the change to the totals.
   * `paperIds`: the papers created since `before` (those given to `before` are included anyway).
   */
  async after(paperIds: readonly number[]): Promise<TotalsDelta> {
    const before = this.previous ?? (await contributions(this.sql, []));
    const now = await contributions(this.sql, [...this.previousIds, ...paperIds]);
    await setPreviousListings(this.sql, now.stale);
    return TotalsDelta.between(before, now);
  }
}
