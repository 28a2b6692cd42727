-- AlterTable
ALTER TABLE "DayEntry" ADD COLUMN "previousListedOn" TEXT;

-- CreateTable (WITHOUT ROWID, written by hand: the totals are read and written by their primary
-- key, which a WITHOUT ROWID table stores its rows in, instead of an index beside a rowid table:
-- one B-tree visited instead of two. A later migration that redefines these tables must keep it.)
CREATE TABLE "DayTotal" (
    "date" TEXT NOT NULL,
    "previousListedOn" TEXT NOT NULL,
    "papers" INTEGER NOT NULL,
    "upvotes" INTEGER NOT NULL,

    PRIMARY KEY ("date", "previousListedOn")
) WITHOUT ROWID;

-- CreateTable (WITHOUT ROWID, as above)
CREATE TABLE "AuthorYear" (
    "year" TEXT NOT NULL,
    "authorId" INTEGER NOT NULL,
    "papers" INTEGER NOT NULL,
    "upvotes" INTEGER NOT NULL DEFAULT 0,
    "q1" INTEGER NOT NULL DEFAULT 0,
    "q1Upvotes" INTEGER NOT NULL DEFAULT 0,
    "q2" INTEGER NOT NULL DEFAULT 0,
    "q2Upvotes" INTEGER NOT NULL DEFAULT 0,
    "q3" INTEGER NOT NULL DEFAULT 0,
    "q3Upvotes" INTEGER NOT NULL DEFAULT 0,
    "q4" INTEGER NOT NULL DEFAULT 0,
    "q4Upvotes" INTEGER NOT NULL DEFAULT 0,
    "m01" INTEGER NOT NULL DEFAULT 0,
    "m01Upvotes" INTEGER NOT NULL DEFAULT 0,
    "m02" INTEGER NOT NULL DEFAULT 0,
    "m02Upvotes" INTEGER NOT NULL DEFAULT 0,
    "m03" INTEGER NOT NULL DEFAULT 0,
    "m03Upvotes" INTEGER NOT NULL DEFAULT 0,
    "m04" INTEGER NOT NULL DEFAULT 0,
    "m04Upvotes" INTEGER NOT NULL DEFAULT 0,
    "m05" INTEGER NOT NULL DEFAULT 0,
    "m05Upvotes" INTEGER NOT NULL DEFAULT 0,
    "m06" INTEGER NOT NULL DEFAULT 0,
    "m06Upvotes" INTEGER NOT NULL DEFAULT 0,
    "m07" INTEGER NOT NULL DEFAULT 0,
    "m07Upvotes" INTEGER NOT NULL DEFAULT 0,
    "m08" INTEGER NOT NULL DEFAULT 0,
    "m08Upvotes" INTEGER NOT NULL DEFAULT 0,
    "m09" INTEGER NOT NULL DEFAULT 0,
    "m09Upvotes" INTEGER NOT NULL DEFAULT 0,
    "m10" INTEGER NOT NULL DEFAULT 0,
    "m10Upvotes" INTEGER NOT NULL DEFAULT 0,
    "m11" INTEGER NOT NULL DEFAULT 0,
    "m11Upvotes" INTEGER NOT NULL DEFAULT 0,
    "m12" INTEGER NOT NULL DEFAULT 0,
    "m12Upvotes" INTEGER NOT NULL DEFAULT 0,

    PRIMARY KEY ("year", "authorId")
) WITHOUT ROWID;

-- Written by hand (not from the models): the dashboards' totals (src/db/totals.ts). First the
-- rows already stored: each entry's previous listing (the latest earlier day listing the same
-- paper), then the totals, as the ingest would have written them.
UPDATE "DayEntry" AS e SET "previousListedOn" = x."previous"
FROM (SELECT e2."dayId", e2."paperId",
        lag(d."date") OVER (PARTITION BY e2."paperId" ORDER BY d."date") AS "previous"
      FROM "DayEntry" e2 JOIN "Day" d ON d."id" = e2."dayId") AS x
WHERE x."dayId" = e."dayId" AND x."paperId" = e."paperId" AND x."previous" IS NOT NULL;

INSERT INTO "DayTotal" ("date", "previousListedOn", "papers", "upvotes")
SELECT d."date", COALESCE(e."previousListedOn", ''), count(*), sum(p."upvotes")
FROM "DayEntry" e JOIN "Day" d ON d."id" = e."dayId" JOIN "Paper" p ON p."id" = e."paperId"
GROUP BY d."date", COALESCE(e."previousListedOn", '');

-- Per paper and year: whether it is listed in each quarter and month, and its upvotes; then
-- summed per visible author (each counted once per paper).
INSERT INTO "AuthorYear" ("year", "authorId", "papers", "upvotes", "q1", "q1Upvotes", "q2", "q2Upvotes", "q3", "q3Upvotes", "q4", "q4Upvotes", "m01", "m01Upvotes", "m02", "m02Upvotes", "m03", "m03Upvotes", "m04", "m04Upvotes", "m05", "m05Upvotes", "m06", "m06Upvotes", "m07", "m07Upvotes", "m08", "m08Upvotes", "m09", "m09Upvotes", "m10", "m10Upvotes", "m11", "m11Upvotes", "m12", "m12Upvotes")
SELECT x."year", a."authorId", count(*), sum(x."upvotes"), sum(x."q1"), sum(x."q1" * x."upvotes"), sum(x."q2"), sum(x."q2" * x."upvotes"), sum(x."q3"), sum(x."q3" * x."upvotes"), sum(x."q4"), sum(x."q4" * x."upvotes"), sum(x."m01"), sum(x."m01" * x."upvotes"), sum(x."m02"), sum(x."m02" * x."upvotes"), sum(x."m03"), sum(x."m03" * x."upvotes"), sum(x."m04"), sum(x."m04" * x."upvotes"), sum(x."m05"), sum(x."m05" * x."upvotes"), sum(x."m06"), sum(x."m06" * x."upvotes"), sum(x."m07"), sum(x."m07" * x."upvotes"), sum(x."m08"), sum(x."m08" * x."upvotes"), sum(x."m09"), sum(x."m09" * x."upvotes"), sum(x."m10"), sum(x."m10" * x."upvotes"), sum(x."m11"), sum(x."m11" * x."upvotes"), sum(x."m12"), sum(x."m12" * x."upvotes")
FROM (SELECT e."paperId", substr(d."date", 1, 4) AS "year", p."upvotes",
        max(CASE WHEN substr(d."date", 6, 2) IN ('01', '02', '03') THEN 1 ELSE 0 END) AS "q1",
        max(CASE WHEN substr(d."date", 6, 2) IN ('04', '05', '06') THEN 1 ELSE 0 END) AS "q2",
        max(CASE WHEN substr(d."date", 6, 2) IN ('07', '08', '09') THEN 1 ELSE 0 END) AS "q3",
        max(CASE WHEN substr(d."date", 6, 2) IN ('10', '11', '12') THEN 1 ELSE 0 END) AS "q4",
        max(CASE WHEN substr(d."date", 6, 2) = '01' THEN 1 ELSE 0 END) AS "m01",
        max(CASE WHEN substr(d."date", 6, 2) = '02' THEN 1 ELSE 0 END) AS "m02",
        max(CASE WHEN substr(d."date", 6, 2) = '03' THEN 1 ELSE 0 END) AS "m03",
        max(CASE WHEN substr(d."date", 6, 2) = '04' THEN 1 ELSE 0 END) AS "m04",
        max(CASE WHEN substr(d."date", 6, 2) = '05' THEN 1 ELSE 0 END) AS "m05",
        max(CASE WHEN substr(d."date", 6, 2) = '06' THEN 1 ELSE 0 END) AS "m06",
        max(CASE WHEN substr(d."date", 6, 2) = '07' THEN 1 ELSE 0 END) AS "m07",
        max(CASE WHEN substr(d."date", 6, 2) = '08' THEN 1 ELSE 0 END) AS "m08",
        max(CASE WHEN substr(d."date", 6, 2) = '09' THEN 1 ELSE 0 END) AS "m09",
        max(CASE WHEN substr(d."date", 6, 2) = '10' THEN 1 ELSE 0 END) AS "m10",
        max(CASE WHEN substr(d."date", 6, 2) = '11' THEN 1 ELSE 0 END) AS "m11",
        max(CASE WHEN substr(d."date", 6, 2) = '12' THEN 1 ELSE 0 END) AS "m12"
      FROM "DayEntry" e JOIN "Day" d ON d."id" = e."dayId" JOIN "Paper" p ON p."id" = e."paperId"
      GROUP BY e."paperId", substr(d."date", 1, 4), p."upvotes") AS x
JOIN (SELECT DISTINCT "paperId", "authorId" FROM "PaperAuthor" WHERE "hidden" = false) AS a
  ON a."paperId" = x."paperId"
GROUP BY x."year", a."authorId";

-- Votes: a vote moves a paper's "localUpvotes" and "upvotes" together (src/votes/votes.ts); this
-- moves the upvotes of the paper's rows in DayTotal and AuthorYear by as much, in the vote's
-- transaction. The ingest never sets "localUpvotes" (it keeps the totals itself), so this never
-- fires for it. (Written with row values, not UPDATE ... FROM, which older SQLite versions, such
-- as the sqlite3 shell of Debian 12, cannot read in a trigger: the file must stay readable.)
CREATE TRIGGER "Paper_votes_totals" AFTER UPDATE OF "localUpvotes" ON "Paper"
WHEN new."upvotes" <> old."upvotes" BEGIN
  UPDATE "DayTotal" SET "upvotes" = "upvotes" + (new."upvotes" - old."upvotes")
  WHERE ("date", "previousListedOn") IN (
    SELECT d."date", COALESCE(e."previousListedOn", '')
    FROM "DayEntry" e JOIN "Day" d ON d."id" = e."dayId" WHERE e."paperId" = new."id");
  UPDATE "AuthorYear" SET ("upvotes", "q1Upvotes", "q2Upvotes", "q3Upvotes", "q4Upvotes", "m01Upvotes", "m02Upvotes", "m03Upvotes", "m04Upvotes", "m05Upvotes", "m06Upvotes", "m07Upvotes", "m08Upvotes", "m09Upvotes", "m10Upvotes", "m11Upvotes", "m12Upvotes") = (
    SELECT "AuthorYear"."upvotes" + (new."upvotes" - old."upvotes"),
      "AuthorYear"."q1Upvotes" + (new."upvotes" - old."upvotes") * max(CASE WHEN substr(d."date", 6, 2) IN ('01', '02', '03') THEN 1 ELSE 0 END),
      "AuthorYear"."q2Upvotes" + (new."upvotes" - old."upvotes") * max(CASE WHEN substr(d."date", 6, 2) IN ('04', '05', '06') THEN 1 ELSE 0 END),
      "AuthorYear"."q3Upvotes" + (new."upvotes" - old."upvotes") * max(CASE WHEN substr(d."date", 6, 2) IN ('07', '08', '09') THEN 1 ELSE 0 END),
      "AuthorYear"."q4Upvotes" + (new."upvotes" - old."upvotes") * max(CASE WHEN substr(d."date", 6, 2) IN ('10', '11', '12') THEN 1 ELSE 0 END),
      "AuthorYear"."m01Upvotes" + (new."upvotes" - old."upvotes") * max(CASE WHEN substr(d."date", 6, 2) = '01' THEN 1 ELSE 0 END),
      "AuthorYear"."m02Upvotes" + (new."upvotes" - old."upvotes") * max(CASE WHEN substr(d."date", 6, 2) = '02' THEN 1 ELSE 0 END),
      "AuthorYear"."m03Upvotes" + (new."upvotes" - old."upvotes") * max(CASE WHEN substr(d."date", 6, 2) = '03' THEN 1 ELSE 0 END),
      "AuthorYear"."m04Upvotes" + (new."upvotes" - old."upvotes") * max(CASE WHEN substr(d."date", 6, 2) = '04' THEN 1 ELSE 0 END),
      "AuthorYear"."m05Upvotes" + (new."upvotes" - old."upvotes") * max(CASE WHEN substr(d."date", 6, 2) = '05' THEN 1 ELSE 0 END),
      "AuthorYear"."m06Upvotes" + (new."upvotes" - old."upvotes") * max(CASE WHEN substr(d."date", 6, 2) = '06' THEN 1 ELSE 0 END),
      "AuthorYear"."m07Upvotes" + (new."upvotes" - old."upvotes") * max(CASE WHEN substr(d."date", 6, 2) = '07' THEN 1 ELSE 0 END),
      "AuthorYear"."m08Upvotes" + (new."upvotes" - old."upvotes") * max(CASE WHEN substr(d."date", 6, 2) = '08' THEN 1 ELSE 0 END),
      "AuthorYear"."m09Upvotes" + (new."upvotes" - old."upvotes") * max(CASE WHEN substr(d."date", 6, 2) = '09' THEN 1 ELSE 0 END),
      "AuthorYear"."m10Upvotes" + (new."upvotes" - old."upvotes") * max(CASE WHEN substr(d."date", 6, 2) = '10' THEN 1 ELSE 0 END),
      "AuthorYear"."m11Upvotes" + (new."upvotes" - old."upvotes") * max(CASE WHEN substr(d."date", 6, 2) = '11' THEN 1 ELSE 0 END),
      "AuthorYear"."m12Upvotes" + (new."upvotes" - old."upvotes") * max(CASE WHEN substr(d."date", 6, 2) = '12' THEN 1 ELSE 0 END)
    FROM "DayEntry" e JOIN "Day" d ON d."id" = e."dayId"
    WHERE e."paperId" = new."id" AND substr(d."date", 1, 4) = "AuthorYear"."year")
  WHERE "year" IN (
      SELECT substr(d."date", 1, 4) FROM "DayEntry" e JOIN "Day" d ON d."id" = e."dayId"
      WHERE e."paperId" = new."id")
    AND "authorId" IN (
      SELECT "authorId" FROM "PaperAuthor" WHERE "paperId" = new."id" AND "hidden" = false);
END;
