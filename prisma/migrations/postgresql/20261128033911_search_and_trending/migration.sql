-- AlterTable
ALTER TABLE "Paper" ADD COLUMN     "trendingScore" DOUBLE PRECISION NOT NULL DEFAULT 0;

-- CreateIndex
CREATE INDEX "Paper_lastSeenOn_id_idx" ON "Paper"("lastSeenOn", "id");

-- CreateIndex
CREATE INDEX "Paper_trendingScore_id_idx" ON "Paper"("trendingScore", "id");

-- Written by hand (not from the models): full-text search and the trending score.
-- The trending formula is also in src/db/trending.ts; keep them the same.
UPDATE "Paper" SET "trendingScore" =
  log((1 + "upvotes")::double precision) + COALESCE(("lastSeenOn"::date - DATE '1970-01-01') / 3.0, 0);

-- A generated tsvector over title (weight A) and abstract (weight B), with a GIN index. The
-- 'simple' configuration (no stemming) matches SQLite's unicode61 tokenizer: same results on both.
ALTER TABLE "Paper" ADD COLUMN "searchVector" tsvector GENERATED ALWAYS AS (
  setweight(to_tsvector('simple', "title"), 'A') || setweight(to_tsvector('simple', "abstract"), 'B')
) STORED;
CREATE INDEX "Paper_searchVector_idx" ON "Paper" USING GIN ("searchVector");
