-- The dashboard's per-day totals (prisma/models.prisma: DayTotal, AuthorDayTotal), filled from the
-- base tables. WITHOUT ROWID (by hand; Prisma cannot say it): a range read is one scan of the
-- primary key, whose rows hold every column, instead of a key lookup per row.
-- CreateTable
CREATE TABLE "DayTotal" (
    "date" TEXT NOT NULL,
    "listedBefore" TEXT NOT NULL,
    "papers" INTEGER NOT NULL,
    "digestUpvotes" INTEGER NOT NULL,

    PRIMARY KEY ("date", "listedBefore")
) WITHOUT ROWID;

-- CreateTable
CREATE TABLE "AuthorDayTotal" (
    "date" TEXT NOT NULL,
    "listedBefore" TEXT NOT NULL,
    "authorId" INTEGER NOT NULL,
    "papers" INTEGER NOT NULL,
    "digestUpvotes" INTEGER NOT NULL,

    PRIMARY KEY ("date", "listedBefore", "authorId")
) WITHOUT ROWID;

-- Backfill: the same recount as src/db/day-totals.ts (RECOUNT), over every day.
INSERT INTO "DayTotal" ("date", "listedBefore", "papers", "digestUpvotes")
SELECT l."date", l."listedBefore", count(*), sum(p."digestUpvotes")
FROM (SELECT d."date", e."paperId",
        COALESCE((SELECT max(d2."date") FROM "DayEntry" e2 JOIN "Day" d2 ON d2."id" = e2."dayId"
                  WHERE e2."paperId" = e."paperId" AND d2."date" < d."date"), '') AS "listedBefore"
      FROM "Day" d JOIN "DayEntry" e ON e."dayId" = d."id") l
JOIN "Paper" p ON p."id" = l."paperId"
GROUP BY l."date", l."listedBefore";

INSERT INTO "AuthorDayTotal" ("date", "listedBefore", "authorId", "papers", "digestUpvotes")
SELECT l."date", l."listedBefore", pa."authorId", count(*), sum(p."digestUpvotes")
FROM (SELECT d."date", e."paperId",
        COALESCE((SELECT max(d2."date") FROM "DayEntry" e2 JOIN "Day" d2 ON d2."id" = e2."dayId"
                  WHERE e2."paperId" = e."paperId" AND d2."date" < d."date"), '') AS "listedBefore"
      FROM "Day" d JOIN "DayEntry" e ON e."dayId" = d."id") l
JOIN "Paper" p ON p."id" = l."paperId"
JOIN "PaperAuthor" pa ON pa."paperId" = l."paperId" AND pa."hidden" = false
  AND NOT EXISTS (SELECT 1 FROM "PaperAuthor" q WHERE q."paperId" = pa."paperId"
    AND q."authorId" = pa."authorId" AND q."hidden" = false AND q."position" < pa."position")
GROUP BY l."date", l."listedBefore", pa."authorId";

-- The voted papers, whose local votes readers add to the totals (src/papers/totals.ts).
CREATE INDEX "Paper_voted_idx" ON "Paper"("id", "localUpvotes") WHERE "localUpvotes" > 0;
