-- CreateIndex
CREATE INDEX "Paper_id_upvotes_publishedAt_idx" ON "Paper"("id", "upvotes", "publishedAt");

-- Written by hand (not from the models). Every word ever written to a "searchVector" (the GIN
-- index shows none of its words): a search asks for a term's last word as a word, not as a
-- prefix, when no longer word starts with it (src/search/query.ts). src/db/words.ts adds each
-- paper's words with its vector and never removes any: a superset of the indexed words, so a word
-- it finds no longer word for has none in the index either. "C": byte order, as tsquery prefixes.
CREATE TABLE "SearchWord" ("word" TEXT COLLATE "C" NOT NULL PRIMARY KEY);
INSERT INTO "SearchWord" ("word")
  SELECT DISTINCT w FROM "Paper", unnest(tsvector_to_array("searchVector")) AS w
  WHERE "searchVector" IS NOT NULL;
