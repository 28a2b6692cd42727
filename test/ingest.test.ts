/** The ingest job against real databases: SQLite files and the PostgreSQL server. */
import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, ENGINES, type TestDatabase } from "./support/engines.ts";
import {
  type ApiItem,
  countData,
  dumpData,
  EMPTY,
  fixtureItems,
  ingestBytes,
  JSON_FIXTURE,
  TEXT_FIXTURE,
} from "./support/ingest.ts";

const text = readFileSync(TEXT_FIXTURE, "utf8");
const json = readFileSync(JSON_FIXTURE, "utf8");

/** A page-text digest written from parts, the way the page prints it. */
function textDigest(
  day: string,
  papers: { title: string; abstract: string; authors: number; date: string }[],
) {
  const head =
    "new\n\nGet trending papers in your email inbox!\n\nSubscribe\n\nDaily Papers\n\nbyAK and the research community\n\n";
  return `${head}${day}\n\n${papers
    .map((p) => `${p.title}\n\n${p.abstract}\n\n  • ${p.authors} authors\n·\n${p.date}\n`)
    .join("\n")}`;
}

describe.each(ENGINES)("ingest on %s", (provider) => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase(provider);
  });
  afterEach(async () => {
    await database.destroy();
  });
  const run = (files: Record<string, string | Buffer>, options = {}) =>
    ingestBytes(database.sql, files, options);

  it("loads the page-text fixture as its day when asked: 34 papers with counts, dates and upvotes", async () => {
    const report = await run({ [TEXT_FIXTURE]: text }, { as: "day" });
    expect(report.failed).toBe(0);
    expect(report.papersNew).toBe(34);
    const { db } = database;
    expect(await db.paper.count()).toBe(34);
    const byTitle = async (prefix: string) =>
      db.paper.findFirstOrThrow({ where: { title: { startsWith: prefix } } });
    const othink = await byTitle("OThink-MR1");
    expect([othink.authorCount, othink.publishedAt?.toISOString(), othink.upvotes]).toEqual([
      6,
      "2025-03-20T00:00:00.000Z",
      3,
    ]);
    const onlyIf = await byTitle("Only-IF");
    expect([onlyIf.authorCount, onlyIf.publishedAt?.toISOString(), onlyIf.upvotes]).toEqual([
      3,
      "2024-10-06T00:00:00.000Z",
      2,
    ]);
    const pilot = await byTitle("PilotRL");
    expect([pilot.authorCount, pilot.publishedAt?.toISOString(), pilot.upvotes]).toEqual([
      5,
      "2025-08-01T00:00:00.000Z",
      0,
    ]);
    const first = await byTitle("Multi-task Self-supervised Graph Neural Networks");
    expect(first.codeUrl).toBe("https://github.com/jumxglhf/ParetoGNN");
    expect(first.arxivId).toBeNull();

    // The day and its ranks follow the file's order; the page gives no author names.
    const day = await db.day.findUniqueOrThrow({
      where: { date: "2025-12-10" },
      include: { entries: { orderBy: { rank: "asc" }, include: { paper: true } } },
    });
    const titles = text
      .split("\n")
      .map((line, i, lines) => (lines[i + 4]?.trim().startsWith("•") ? line.trim() : null))
      .filter((t): t is string => t !== null);
    expect(day.entries.map((e) => e.paper.title)).toEqual(titles);
    expect(day.entries.map((e) => e.rank)).toEqual(titles.map((_, i) => i + 1));
    expect(await db.paperAuthor.count()).toBe(0);
  });

  it("maps every item and field of the API-JSON fixture", async () => {
    const report = await run({ [JSON_FIXTURE]: json });
    expect(report.failed).toBe(0);
    const items = fixtureItems();
    const { db } = database;
    const papers = await db.paper.findMany({
      include: {
        authors: { orderBy: { position: "asc" }, include: { author: true } },
        dayEntries: true,
      },
    });
    expect(papers).toHaveLength(items.length);
    const day = await db.day.findUniqueOrThrow({ where: { date: "2024-10-25" } });
    items.forEach((item: ApiItem, index: number) => {
      const p = item.paper;
      const paper = papers.find((row) => row.arxivId === p.id);
      expect(paper, p.id).toBeDefined();
      if (!paper) return;
      expect(typeof paper.arxivId).toBe("string");
      expect(paper.title).toBe(item.title);
      expect(paper.abstract).toBe(p.summary.replace(/\s*\n\s*/g, " ").trim());
      expect(paper.publishedAt?.toISOString()).toBe(new Date(p.publishedAt).toISOString());
      expect(paper.digestUpvotes).toBe(p.upvotes);
      expect(paper.upvotes).toBe(p.upvotes);
      expect(paper.discussionId).toBe(p.discussionId);
      expect(paper.thumbnailUrl).toBe(item.thumbnail);
      expect(paper.mediaUrls).toBe(item.mediaUrls ? item.mediaUrls.join("\n") : null);
      expect(paper.commentCount).toBe(item.numComments);
      expect(paper.submitterHandle).toBe(item.submittedBy.name);
      expect(paper.submitterName).toBe(item.submittedBy.fullname);
      expect(paper.codeUrl).toBe(p.githubRepo ?? paper.codeUrl);
      expect(paper.authorCount).toBe(p.authors.length);
      expect(
        paper.authors.map((a) => [a.author.name, a.hidden, a.externalId, a.status ?? undefined]),
      ).toEqual(p.authors.map((a: ApiItem) => [a.name, a.hidden, a._id, a.status]));
      for (const a of p.authors.filter((a: ApiItem) => a.user)) {
        const row = paper.authors.find((r) => r.author.name === a.name);
        expect(row?.author.hfUsername).toBe(a.user.user);
      }
      expect(paper.dayEntries).toEqual([
        expect.objectContaining({ dayId: day.id, rank: index + 1, upvotes: p.upvotes }),
      ]);
      expect(paper.dayEntries[0]?.submittedAt?.toISOString()).toBe(
        new Date(p.submittedOnDailyAt ?? item.publishedAt).toISOString(),
      );
    });
    const hidden = await db.paperAuthor.findMany({
      where: { hidden: true },
      include: { paper: true },
    });
    expect(hidden.map((h) => h.paper.arxivId)).toEqual(["2410.17897"]);
  });

  it("is idempotent: the same digest twice changes nothing and says so", async () => {
    await run({ [JSON_FIXTURE]: json, [TEXT_FIXTURE]: text });
    const before = await dumpData(database.db);

    const again = await run({ [JSON_FIXTURE]: json, [TEXT_FIXTURE]: text });
    expect(again.files.map((f) => f.status)).toEqual(["skipped", "skipped"]);
    expect(await dumpData(database.db)).toEqual(before);

    const forced = await run({ [JSON_FIXTURE]: json, [TEXT_FIXTURE]: text }, { force: true });
    expect(forced.files.map((f) => f.status)).toEqual(["succeeded", "succeeded"]);
    expect([forced.papersNew, forced.papersUpdated, forced.papersUnchanged]).toEqual([0, 0, 63]);
    expect(await dumpData(database.db)).toEqual(before);

    const runs = await database.db.ingestRun.findMany({ orderBy: { id: "asc" } });
    expect(runs.map((r) => r.status)).toEqual([
      "succeeded",
      "succeeded",
      "skipped",
      "skipped",
      "succeeded",
      "succeeded",
    ]);
  });

  it("updates counts from a newer digest of the same day and keeps the history", async () => {
    await run({ [JSON_FIXTURE]: json });
    const items = fixtureItems();
    for (const item of items.slice(0, 5)) item.paper.upvotes += 10;
    const report = await run({ "2024-10-25-evening.json": JSON.stringify(items) });
    expect([report.papersNew, report.papersUpdated, report.papersUnchanged]).toEqual([0, 5, 24]);

    const { db } = database;
    for (const item of items) {
      const paper = await db.paper.findUniqueOrThrow({
        where: { arxivId: item.paper.id },
        include: { upvoteHistory: { orderBy: { id: "asc" } }, dayEntries: true },
      });
      expect(paper.upvotes).toBe(item.paper.upvotes);
      expect(paper.dayEntries[0]?.upvotes).toBe(item.paper.upvotes);
      const bumped = items.indexOf(item) < 5;
      expect(paper.upvoteHistory.map((s) => s.upvotes)).toEqual(
        bumped ? [item.paper.upvotes - 10, item.paper.upvotes] : [item.paper.upvotes],
      );
    }
    expect(await db.upvoteSnapshot.count()).toBe(29 + 5);
  });

  it("never drops papers of a day when a later digest of it lists fewer", async () => {
    await run({ [JSON_FIXTURE]: json });
    const items = fixtureItems();
    const partial = await run({ "early.json": JSON.stringify([items[3]]) }, { date: "2024-10-25" });
    expect(partial.failed).toBe(0);
    expect(partial.entriesKept).toBe(28);
    const { db } = database;
    const entries = await db.dayEntry.findMany({
      orderBy: { rank: "asc" },
      include: { paper: true },
    });
    expect(entries).toHaveLength(29);
    expect(entries[0]).toMatchObject({ rank: 1, inLatestDigest: true });
    expect(entries[0]?.paper.arxivId).toBe(items[3].paper.id);
    expect(entries.slice(1).every((e) => !e.inLatestDigest)).toBe(true);
    // The kept ones keep their earlier order.
    const rest = items.filter((_: ApiItem, i: number) => i !== 3).map((i: ApiItem) => i.paper.id);
    expect(entries.slice(1).map((e) => e.paper.arxivId)).toEqual(rest);
    expect(await db.paper.count()).toBe(29);

    // The full digest again restores the full ranking.
    await run({ [JSON_FIXTURE]: json }, { force: true });
    const restored = await db.dayEntry.findMany({
      orderBy: { rank: "asc" },
      include: { paper: true },
    });
    expect(restored.map((e) => e.paper.arxivId)).toEqual(items.map((i: ApiItem) => i.paper.id));
    expect(restored.every((e) => e.inLatestDigest)).toBe(true);
  });

  it("keeps one paper with several day entries when it appears on several days", async () => {
    const items = fixtureItems();
    const nextDay = items.slice(0, 3).map((item: ApiItem) => ({
      ...item,
      publishedAt: "2024-10-26T01:00:00.000Z",
      paper: { ...item.paper, upvotes: item.paper.upvotes + 1, submittedOnDailyAt: undefined },
    }));
    const report = await run({ [JSON_FIXTURE]: json, "2024-10-26.json": JSON.stringify(nextDay) });
    expect(report.failed).toBe(0);
    expect(report.days).toBe(2);
    const { db } = database;
    expect(await db.paper.count()).toBe(29);
    expect(await db.day.count()).toBe(2);
    expect(await db.dayEntry.count()).toBe(32);
    const twice = await db.paper.findUniqueOrThrow({
      where: { arxivId: items[0].paper.id },
      include: {
        dayEntries: { include: { day: true } },
        upvoteHistory: { orderBy: { seenOn: "asc" } },
      },
    });
    expect(twice.dayEntries.map((e) => e.day.date).sort()).toEqual(["2024-10-25", "2024-10-26"]);
    expect(twice.upvotes).toBe(items[0].paper.upvotes + 1);
    expect(twice.upvoteHistory.map((s) => [s.seenOn, s.upvotes])).toEqual([
      ["2024-10-25", items[0].paper.upvotes],
      ["2024-10-26", items[0].paper.upvotes + 1],
    ]);
    expect(await db.paperAuthor.count()).toBe(
      items.reduce((n: number, i: ApiItem) => n + i.paper.authors.length, 0),
    );
  });

  it("matches a page-text paper to its API-JSON twin by title, across days", async () => {
    const items = fixtureItems();
    const a = items[0].paper;
    const digest = textDigest("Oct 28", [
      { title: items[0].title, abstract: "Shortened abstract.", authors: 4, date: "Oct 22 70" },
      { title: "A paper only the page lists", abstract: "Words.", authors: 2, date: "Oct 27" },
    ]);
    await run({ [JSON_FIXTURE]: json, "2024-10-28.txt": digest });
    const { db } = database;
    expect(await db.paper.count()).toBe(30);
    const twin = await db.paper.findUniqueOrThrow({
      where: { arxivId: a.id },
      include: { authors: true, dayEntries: true },
    });
    expect(twin.dayEntries).toHaveLength(2);
    // A newer page shows a higher count: it is taken (a lower one never would be).
    expect(twin.upvotes).toBe(70);
    expect(twin.lastSeenOn).toBe("2024-10-28");
    // Page text never replaces what the API said: the page's abstract is cut short, its date is a
    // day where the API's is an instant, and it only counts the authors the API lists.
    expect(twin.abstract).toBe(a.summary.replace(/\s*\n\s*/g, " ").trim());
    expect(twin.publishedAt?.toISOString()).toBe(new Date(a.publishedAt).toISOString());
    expect(twin.authorCount).toBe(a.authors.length);
    expect(twin.authors).toHaveLength(a.authors.length);
  });

  it("never lets an older digest roll back newer counts, but records its history", async () => {
    const items = fixtureItems();
    const older = items.map((item: ApiItem) => ({
      ...item,
      publishedAt: "2024-10-24T09:00:00.000Z",
      paper: { ...item.paper, upvotes: 1, submittedOnDailyAt: undefined },
    }));
    await run({ [JSON_FIXTURE]: json });
    const report = await run({ "old.json": JSON.stringify(older) });
    expect(report.failed).toBe(0);
    const paper = await database.db.paper.findUniqueOrThrow({
      where: { arxivId: items[0].paper.id },
      include: { upvoteHistory: { orderBy: { seenOn: "asc" } } },
    });
    expect(paper.upvotes).toBe(items[0].paper.upvotes);
    expect(paper.lastSeenOn).toBe("2024-10-25");
    expect(paper.upvoteHistory.map((s) => [s.seenOn, s.upvotes])).toEqual([
      ["2024-10-24", 1],
      ["2024-10-25", items[0].paper.upvotes],
    ]);
    // ...and the same older digest again adds nothing.
    const before = await dumpData(database.db);
    await run({ "old.json": JSON.stringify(older) }, { force: true });
    expect(await dumpData(database.db)).toEqual(before);
  });

  it("keeps local votes when a digest updates the count", async () => {
    await run({ [JSON_FIXTURE]: json });
    const items = fixtureItems();
    const { db } = database;
    const id = items[0].paper.id;
    await db.paper.update({
      where: { arxivId: id },
      data: { localUpvotes: 2, upvotes: { increment: 2 } },
    });
    items[0].paper.upvotes += 7;
    await run({ "later.json": JSON.stringify(items) });
    const paper = await db.paper.findUniqueOrThrow({ where: { arxivId: id } });
    expect([paper.digestUpvotes, paper.localUpvotes, paper.upvotes]).toEqual([
      items[0].paper.upvotes,
      2,
      items[0].paper.upvotes + 2,
    ]);
  });

  it("writes nothing when an entry in the middle of a digest is bad", async () => {
    const items = fixtureItems();
    items[14].paper.id = 2503.0213;
    const report = await run({ "bad.json": JSON.stringify(items) });
    expect(report.failed).toBe(1);
    const file = report.files[0];
    expect(file?.status === "failed" && file.error).toMatch(/bad\.json.*\$\[14\]\.paper\.id/);
    expect(await countData(database.db)).toEqual(EMPTY);
    const runs = await database.db.ingestRun.findMany();
    expect(runs).toMatchObject([{ status: "failed", source: "bad.json" }]);
    expect(runs[0]?.error).toContain("$[14].paper.id");
  });

  it("rolls back the whole digest when the database fails part-way", async () => {
    const { db } = database;
    // A real failure inside the transaction, after some rows of the digest were written.
    const victim = fixtureItems()[20].title.replace(/'/g, "''");
    if (provider === "sqlite") {
      await db.$executeRawUnsafe(
        `CREATE TRIGGER "fail_one" BEFORE INSERT ON "DayEntry" WHEN NEW."rank" = 21
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END`,
      );
    } else {
      await db.$executeRawUnsafe(
        `CREATE FUNCTION fail_one() RETURNS trigger AS $$ BEGIN
           IF NEW."rank" = 21 THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$
         LANGUAGE plpgsql`,
      );
      await db.$executeRawUnsafe(
        `CREATE TRIGGER "fail_one" BEFORE INSERT ON "DayEntry" FOR EACH ROW EXECUTE FUNCTION fail_one()`,
      );
    }
    expect(victim).toBeTruthy();
    const report = await run({ [JSON_FIXTURE]: json });
    expect(report.failed).toBe(1);
    const file = report.files[0];
    expect(file?.status === "failed" && file.error).toContain("injected failure");
    expect(await countData(db)).toEqual(EMPTY);
    expect(await db.ingestRun.findMany()).toMatchObject([{ status: "failed" }]);

    // In one run (one batch of digests), a good digest before and after the failing one stay,
    // with their search words; the failing one leaves nothing, its words included.
    const some = (from: number) =>
      JSON.stringify(
        fixtureItems()
          .slice(from, from + 10)
          .map((item: ApiItem) => ({
            ...item,
            paper: { ...item.paper, submittedOnDailyAt: undefined },
          })),
      );
    const batch = await run({
      "2024-10-23.json": some(0),
      "2024-10-24.json": json,
      "2024-10-26.json": some(10),
    });
    expect(batch.files.map((f) => [f.date, f.status])).toEqual([
      ["2024-10-23", "succeeded"],
      ["2024-10-24", "failed"],
      ["2024-10-26", "succeeded"],
    ]);
    expect(await db.paper.count()).toBe(20);
    const indexed =
      provider === "sqlite"
        ? `SELECT count(*) AS "n" FROM "PaperWords"`
        : `SELECT count(*) AS "n" FROM "Paper" WHERE "searchVector" IS NOT NULL`;
    expect(Number((await database.sql.query<{ n: number }>(indexed))[0]?.n)).toBe(20);
  });

  it("dry-run reports what it would do and writes nothing", async () => {
    const report = await run({ [JSON_FIXTURE]: json, [TEXT_FIXTURE]: text }, { dryRun: true });
    expect(report.dryRun).toBe(true);
    expect(report.files.map((f) => [f.status, "change" in f && f.change, f.runId])).toEqual([
      ["succeeded", "written", null],
      ["succeeded", "written", null],
    ]);
    expect(report.papersNew).toBe(63);
    expect(await countData(database.db)).toEqual(EMPTY);
    expect(await database.db.ingestRun.count()).toBe(0);
  });

  it("dry-run on a database holding some of the digests reports exactly what the real run does", async () => {
    await run({ [JSON_FIXTURE]: json });
    const items = fixtureItems();
    const newer = fixtureItems();
    for (const item of newer.slice(0, 4)) item.paper.upvotes += 7;
    const files = {
      // Same bytes as the stored digest: skipped.
      [JSON_FIXTURE]: json,
      // Other bytes, same content: unchanged.
      "2024-10-25-b-same.json": JSON.stringify(items, null, 1),
      // A newer digest of the stored day: updated.
      "2024-10-25-c-newer.json": JSON.stringify(newer),
      // Not a digest: failed (first: it has no day to sort by).
      "2024-10-27-broken.json": "[{}]",
      // A new day, then the same day again in other bytes: written, then unchanged (the dry run
      // sees what the digests before it would have written).
      "2024-10-28-again.json": JSON.stringify(items.slice(0, 3), null, 2),
      "2024-10-28.json": JSON.stringify(items.slice(0, 3)),
      // A new list: written.
      [TEXT_FIXTURE]: text,
    };
    const before = await dumpData(database.db);
    const runsBefore = await database.db.ingestRun.count();

    const dry = await run(files, { dryRun: true });
    expect(await dumpData(database.db)).toEqual(before);
    expect(await database.db.ingestRun.count()).toBe(runsBefore);

    const real = await run(files);
    const outcome = (r: typeof real) =>
      r.files.map(({ runId: _runId, seconds: _seconds, ...file }) => file);
    expect(outcome(dry)).toEqual(outcome(real));
    const { files: _d, seconds: _ds, dryRun, ...dryTotals } = dry;
    const { files: _r, seconds: _rs, dryRun: realDryRun, ...realTotals } = real;
    expect([dryRun, realDryRun]).toEqual([true, false]);
    expect(dryTotals).toEqual(realTotals);
    expect(dry.files.map((f) => [basename(f.source), "change" in f ? f.change : f.status])).toEqual(
      [
        ["2024-10-27-broken.json", "failed"],
        ["2024-10-25-b-same.json", "unchanged"],
        ["2024-10-25-c-newer.json", "updated"],
        ["2024-10-25.json", "skipped"],
        ["2024-10-28-again.json", "written"],
        ["2024-10-28.json", "unchanged"],
        ["2025-12-10-task-generalization.txt", "written"],
      ],
    );
    expect(dry.files[2]).toMatchObject({ papersUpdated: 4, papersUnchanged: 25 });

    // Once loaded, a dry run of the same files says they are all skipped (or failed), as a
    // real run would; forced, what the forced real run then does.
    const again = await run(files, { dryRun: true });
    expect(again.files.map((f) => f.status)).toEqual([
      "failed",
      "skipped",
      "skipped",
      "skipped",
      "skipped",
      "skipped",
      "skipped",
    ]);
    const forced = await run(files, { dryRun: true, force: true });
    const forcedReal = await run(files, { force: true });
    expect(outcome(forced)).toEqual(outcome(forcedReal));
  });

  it("ingests a batch in date order, and one bad file does not undo the others", async () => {
    const items = fixtureItems();
    const day26 = items.slice(0, 2).map((item: ApiItem) => ({
      ...item,
      publishedAt: "2024-10-26T01:00:00.000Z",
      paper: { ...item.paper, upvotes: item.paper.upvotes + 3, submittedOnDailyAt: undefined },
    }));
    const report = await run({
      "b-2024-10-26.json": JSON.stringify(day26),
      "broken.json": json.slice(0, json.length / 2),
      "a-2024-10-25.json": json,
    });
    expect(report.files.map((f) => [f.source, f.status])).toEqual([
      ["broken.json", "failed"],
      ["a-2024-10-25.json", "succeeded"],
      ["b-2024-10-26.json", "succeeded"],
    ]);
    const paper = await database.db.paper.findUniqueOrThrow({
      where: { arxivId: items[0].paper.id },
    });
    expect(paper.upvotes).toBe(items[0].paper.upvotes + 3);
    expect(await database.db.paper.count()).toBe(29);
  });

  describe("malformed and hostile inputs: a clear error, nothing written", () => {
    const cases: [string, string | Buffer, RegExp][] = [
      ["empty.json", "", /empty\.json: .*empty/],
      ["blank.txt", "  \n\n \n", /blank\.txt: .*empty/],
      ["truncated.json", json.slice(0, 5000), /truncated\.json:\d+:\d+: /],
      [
        "wrong-types.json",
        JSON.stringify([
          { ...fixtureItems()[0], paper: { ...fixtureItems()[0].paper, id: 2503.0213 } },
        ]),
        /wrong-types\.json: \$\[0\]\.paper\.id: expected a string, got number 2503\.0213/,
      ],
      ["object.json", JSON.stringify({ papers: [] }), /object\.json: .*array/],
      [
        "binary.txt",
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]),
        /binary\.txt/,
      ],
      [
        "feb30.txt",
        textDigest("Mar 2", [{ title: "T", abstract: "A.", authors: 2, date: "Feb 30" }]),
        /feb30\.txt:\d+: .*Feb 30/,
      ],
      [
        "huge-line.txt",
        `Dec 10\n\n${"x".repeat(10 * 1024 * 1024)}\n`,
        /huge-line\.txt:3: .*10485760/,
      ],
      ["cut.txt", text.slice(0, text.indexOf("  • 6 authors")), /cut\.txt:\d+: .*incomplete/],
      [
        // Both engines store 32-bit counts: refused where it enters, with its line.
        "huge-count.txt",
        textDigest("Mar 22", [
          { title: "T", abstract: "A.", authors: 2, date: "Mar 20 99999999999" },
        ]),
        /huge-count\.txt:\d+: .*99999999999/,
      ],
      [
        "2025-03-22-future-paper.txt",
        textDigest("Mar 22", [{ title: "T", abstract: "A.", authors: 2, date: "Oct 5, 2099" }]),
        /future-paper\.txt:\d+: the paper's date 2099-10-05 is after the digest's day 2025-03-22/,
      ],
      [
        "2099-01-01.json",
        json,
        /2099-01-01\.json: the digest's day 2099-01-01 \(from file name\) is after tomorrow/,
      ],
      [
        "0000-01-01.json",
        json,
        /0000-01-01\.json: the digest's day 0000-01-01 \(from file name\) is before 1991-01-01/,
      ],
    ];
    it.each(cases)("%s", async (source, content, expected) => {
      const report = await run({ [source]: content });
      expect(report.failed).toBe(1);
      const file = report.files[0];
      expect(file?.status).toBe("failed");
      expect(file?.status === "failed" && file.error).toMatch(expected);
      expect(await countData(database.db)).toEqual(EMPTY);
      const runs = await database.db.ingestRun.findMany();
      expect(runs).toMatchObject([{ status: "failed", source }]);
    });
  });
});

/** The test fixtures made in the shapes real files take (test/fixtures/README.md). */
const FIXTURES = "test/fixtures";
const fixture = (path: string) => readFileSync(join(FIXTURES, path));
const LOADABLE = readdirSync(join(FIXTURES, "hf-api"))
  .filter((name) => !name.includes("repr"))
  .map((name) => `hf-api/${name}`)
  .concat(["text/2024-10-25-daily.txt"]);

describe.each(ENGINES)("real files and page text on %s", (provider) => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase(provider);
  });
  afterEach(async () => {
    await database.destroy();
  });
  const run = (files: Record<string, string | Buffer>, options = {}) =>
    ingestBytes(database.sql, files, options);
  const files = (paths: string[]) => Object.fromEntries(paths.map((p) => [p, fixture(p)]));

  it("loads every real variant completely, lists the warnings, and a re-run changes nothing", async () => {
    const report = await run(files(LOADABLE));
    expect(report.failed, JSON.stringify(report.files)).toBe(0);
    const byFile = new Map(report.files.map((f) => [f.source, f]));
    // Every paper of every file reached the database: none was thrown away.
    const listed = report.files.reduce((n, f) => n + ("papersTotal" in f ? f.papersTotal : 0), 0);
    expect(listed).toBe(
      LOADABLE.filter((p) => p.endsWith(".json")).reduce((n, p) => {
        const raw = JSON.parse(fixture(p).toString("utf8"));
        return n + (Array.isArray(raw) ? raw : raw.data).length;
      }, 0) + 29,
    );
    expect(byFile.get("hf-api/2025-01-27.json")).toMatchObject({
      date: "2025-01-27",
      status: "succeeded",
      warnings: [],
    });
    expect(byFile.get("hf-api/wrapped.json")?.date).toBe("2025-03-04");
    const warned = byFile.get("hf-api/2025-02-03-warnings.json")?.warnings ?? [];
    expect(warned).toHaveLength(3);
    expect(warned).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/\$\[1\]\.paper\.projectPage: not an http\(s\) URL "n\/a": ignored$/),
        expect.stringMatching(/\$\[1\]\.paper\.githubStars: .* -1: ignored$/),
        expect.stringMatching(/\$\[1\]\.paper\.authors\[1\]\.name: .*: author ignored$/),
      ]),
    );
    // The warnings are kept with the run.
    const run1 = await database.db.ingestRun.findFirstOrThrow({
      where: { source: "hf-api/2025-02-03-warnings.json" },
    });
    expect(run1.warnings?.split("\n")).toHaveLength(3);
    // LaTeX titles are stored as given and keyed by their words.
    const onlyIf = await database.db.paper.findFirstOrThrow({ where: { arxivId: "2410.04717" } });
    expect(onlyIf.title).toMatch(/^\$\\textbf\{Only-IF\}\$:Revealing/);
    expect(onlyIf.titleKey).toMatch(/^only if revealing the decisive/);

    const before = await dumpData(database.db);
    const again = await run(files(LOADABLE));
    expect(again.skipped).toBe(LOADABLE.length);
    const forced = await run(files(LOADABLE), { force: true });
    expect([forced.failed, forced.papersNew, forced.papersUpdated]).toEqual([0, 0, 0]);
    expect(await dumpData(database.db)).toEqual(before);
  });

  it("rejects a file of Python reprs, listing every item, and writes nothing", async () => {
    const report = await run(files(["hf-api/2024-06-01-repr.json"]));
    const file = report.files[0];
    expect(file?.status).toBe("failed");
    const error = file?.status === "failed" ? file.error : "";
    const items = JSON.parse(fixture("hf-api/2024-06-01-repr.json").toString("utf8")).length;
    expect(error.split("\n")[0]).toBe(`hf-api/2024-06-01-repr.json: ${items} problems:`);
    for (let i = 0; i < items; i++) {
      expect(error).toContain(`$[${i}]: expected an object, got string "{'paper'`);
    }
    expect(await countData(database.db)).toEqual(EMPTY);
  });

  it("a file with many bad items reports 20 problems and counts the rest", async () => {
    const items = Array.from({ length: 40 }, (_, i) => ({ paper: { id: 2410.1 + i, title: "T" } }));
    const report = await run({ "2024-10-25.json": JSON.stringify(items) });
    const error = report.files[0]?.status === "failed" ? report.files[0].error : "";
    const lines = error.split("\n");
    expect(lines[0]).toBe("2024-10-25.json: 40 problems:");
    expect(lines).toHaveLength(22);
    expect(lines[21]).toBe("  ... and 20 more problems");
  });

  it("a count over 2^31-1 or a publication date after the day in API JSON is ignored with a warning", async () => {
    const items = fixtureItems().slice(0, 2);
    items[0].paper.upvotes = 3e9;
    items[1].paper.publishedAt = "2099-10-05T00:00:00.000Z";
    const report = await run({ "2024-10-25.json": JSON.stringify(items) });
    const file = report.files[0];
    expect(file?.status).toBe("succeeded");
    expect(file?.warnings).toEqual([
      expect.stringMatching(/\$\[0\]\.paper\.upvotes: .*3000000000.*ignored/),
      expect.stringMatching(
        /\$\[1\]\.paper\.publishedAt: 2099-10-05T00:00:00\.000Z is after the digest's day 2024-10-25: ignored/,
      ),
    ]);
    const papers = await database.db.paper.findMany({ orderBy: { id: "asc" } });
    expect(papers.map((p) => [p.upvotes, p.publishedAt])).toEqual([
      [0, new Date(items[0].paper.publishedAt)],
      [items[1].paper.upvotes, null],
    ]);
  });

  it("an empty day (the API's weekend answer) is reported, not failed, and creates nothing", async () => {
    const report = await run({
      "2025-01-11.json": "[]",
      "2025-01-12.json":
        '{"status":"no_data","date":"2025-01-12","message":"No papers found for this date"}',
    });
    expect([report.failed, report.empty]).toEqual([0, 2]);
    expect(report.files.map((f) => [f.date, f.status])).toEqual([
      ["2025-01-11", "empty"],
      ["2025-01-12", "empty"],
    ]);
    expect(await countData(database.db)).toEqual(EMPTY);
  });

  it("a page-text capture never re-ranks, demotes or lowers a day the API listed", async () => {
    await run({ [JSON_FIXTURE]: json });
    const before = await dumpData(database.db);
    // The same day as page text, taken later: every count one lower, one paper the API did not
    // list, and the page's shortened abstracts.
    const items = fixtureItems();
    const page = textDigest("Oct 25", [
      ...items.map((item: ApiItem) => ({
        title: item.title,
        abstract: "Shortened on the page.",
        authors: item.paper.authors.length,
        date: `Oct 22 ${Math.max(0, item.paper.upvotes - 1)}`,
      })),
      { title: "A paper the API never listed", abstract: "Words.", authors: 2, date: "Oct 24 5" },
    ]);
    const report = await run({ "2024-10-25-page.txt": page });
    const file = report.files[0];
    expect(file).toMatchObject({ status: "succeeded", date: "2024-10-25", listName: null });
    expect(file?.warnings).toEqual([
      expect.stringMatching(
        /2024-10-25 is listed by the Daily Papers API.*29 of its 30 papers are in the listing.*1 (are|is) not and (were|was) not loaded/,
      ),
    ]);
    // Nothing about the day or its papers changed: ranks, flags, counts, abstracts, history.
    expect(await dumpData(database.db)).toEqual(before);
  });

  it("the API's listing replaces a page-text day: its order, its counts, its text", async () => {
    const items = fixtureItems();
    const page = textDigest("Oct 25", [
      { title: "Only on the page", abstract: "Words.", authors: 2, date: "Oct 24 5" },
      {
        title: items[1].title,
        abstract: "Shortened on the page.",
        authors: 3,
        date: "Oct 21 99",
      },
    ]);
    await run({ "2024-10-25-page.txt": page });
    // The API digest of the same day arrives after.
    await run({ [JSON_FIXTURE]: json });
    const day = await database.db.day.findUniqueOrThrow({
      where: { date: "2024-10-25" },
      include: { entries: { orderBy: { rank: "asc" }, include: { paper: true } } },
    });
    expect(day.fromApi).toBe(true);
    expect(day.entries.slice(0, 29).map((e) => e.paper.arxivId)).toEqual(
      items.map((i: ApiItem) => i.paper.id),
    );
    expect(day.entries.slice(0, 29).every((e) => e.inLatestDigest)).toBe(true);
    // The page-only paper is kept, after the listing, flagged.
    expect(day.entries.slice(29).map((e) => [e.paper.title, e.inLatestDigest])).toEqual([
      ["Only on the page", false],
    ]);
    // The twin got the API's id, whole abstract and authors; one paper, not two.
    const twin = day.entries.find((e) => e.paper.arxivId === items[1].paper.id)?.paper;
    expect(twin?.abstract).toBe(items[1].paper.summary.replace(/\s*\n\s*/g, " ").trim());
    expect(await database.db.paper.count()).toBe(30);
  });

  it("a search page under a day header becomes a named list; the API day of that date is untouched", async () => {
    // The API's listing of 2025-12-10, with Only-IF's LaTeX title and 16 upvotes.
    const onlyIf = {
      ...fixtureItems()[0],
      title:
        "$\\textbf{Only-IF}$:Revealing the Decisive Effect of Instruction Diversity on Generalization",
      paper: {
        ...fixtureItems()[0].paper,
        id: "2410.04717",
        title:
          "Only-IF:Revealing the Decisive Effect of Instruction\n  Diversity on Generalization",
        upvotes: 16,
      },
    };
    const others = fixtureItems().slice(1, 10);
    await run({ "2025-12-10.json": JSON.stringify([...others, onlyIf]) });
    const before = await database.db.day.findUniqueOrThrow({
      where: { date: "2025-12-10" },
      include: { entries: { orderBy: { rank: "asc" } } },
    });
    const report = await run({ [TEXT_FIXTURE]: text });
    const file = report.files[0];
    expect(file).toMatchObject({
      status: "succeeded",
      listName: "2025-12-10-task-generalization",
      papersTotal: 34,
    });
    expect(file?.warnings[0]).toMatch(
      /33 of its 34 papers were published more than 30 days before 2025-12-10.*search or listing page.*loaded as the list "2025-12-10-task-generalization"/,
    );
    const after = await database.db.day.findUniqueOrThrow({
      where: { date: "2025-12-10" },
      include: { entries: { orderBy: { rank: "asc" } } },
    });
    expect(after).toEqual(before);
    // Only-IF is one paper (its page title has no LaTeX), still at 16 upvotes (the page says 2).
    const onlyIfs = await database.db.paper.findMany({
      where: { titleKey: { startsWith: "only if" } },
    });
    expect(onlyIfs.map((p) => [p.arxivId, p.upvotes])).toEqual([["2410.04717", 16]]);
    const list = await database.db.paperList.findUniqueOrThrow({
      where: { name: "2025-12-10-task-generalization" },
      include: { entries: { orderBy: { rank: "asc" }, include: { paper: true } } },
    });
    expect(list.capturedOn).toBe("2025-12-10");
    expect(list.entries).toHaveLength(34);
    expect(list.entries.find((e) => e.paper.arxivId === "2410.04717")?.upvotes).toBe(2);
    // Ingested again: skipped; with --as day it would be the day's digest instead.
    expect((await run({ [TEXT_FIXTURE]: text })).skipped).toBe(1);
  });
});
