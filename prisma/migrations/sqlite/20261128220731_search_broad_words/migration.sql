-- CreateIndex
CREATE INDEX "Paper_id_upvotes_publishedAt_idx" ON "Paper"("id", "upvotes", "publishedAt");

-- Written by hand (not from the models). FTS5's own vocabulary of "PaperWords" (one row per
-- indexed word): a search asks for a term's last word as a word, not as a prefix, when no longer
-- word starts with it (src/search/query.ts). Nothing is stored: it reads the index.
CREATE VIRTUAL TABLE "PaperWordsVocab" USING fts5vocab('PaperWords', 'row');
