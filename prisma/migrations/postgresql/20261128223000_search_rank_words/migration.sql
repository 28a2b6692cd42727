-- Written by hand (not from the models). Each paper's rank words (src/search/rank.ts): the words
-- that can lift it near the top of a relevance ranking (its title's, and those whose positions
-- pair closely with another word's or occur often). A relevance page first ranks the papers that
-- have every query word among them, and keeps that result when it provably is the full ranking's.
-- Written with "searchVector" (src/db/words.ts); the papers already stored get theirs right
-- after the migrations (src/db/words.ts, "rankWords" setting). Lexemes only, no positions.
ALTER TABLE "Paper" ADD COLUMN "rankWords" tsvector;
CREATE INDEX "Paper_rankWords_idx" ON "Paper" USING GIN ("rankWords");
-- Papers with search words and no rank words (none once they are written): a relevance page is
-- never certified while there is one (src/search/rank.ts). Empty, so the check is one probe.
CREATE INDEX "Paper_rankWords_missing_idx" ON "Paper" ("id")
  WHERE "rankWords" IS NULL AND "searchVector" IS NOT NULL;
