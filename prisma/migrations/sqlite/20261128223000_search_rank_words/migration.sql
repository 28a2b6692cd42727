-- Written by hand (not from the models). Each paper's rank words (src/search/rank.ts): the words
-- that can lift it near the top of a relevance ranking (its title's, the abstract's repeated ones,
-- a marker for short papers). A relevance page first ranks the papers that have every query word
-- among them, and keeps that result when it provably is the full ranking's. Written with the
-- search words (src/db/words.ts); the papers already stored get theirs right after the
-- migrations (src/db/words.ts, "rankWords" setting). Contentless, no positions: only which papers.
CREATE VIRTUAL TABLE "PaperRankWords" USING fts5(
  "words", content = '', contentless_delete = 1, tokenize = 'ascii', detail = 'none'
);
CREATE TRIGGER "Paper_rank_words_delete" AFTER DELETE ON "Paper" BEGIN
  DELETE FROM "PaperRankWords" WHERE "rowid" = old."id";
END;
