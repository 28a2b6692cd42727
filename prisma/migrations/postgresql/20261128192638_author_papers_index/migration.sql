-- DropIndex
DROP INDEX "PaperAuthor_authorId_idx";

-- CreateIndex
CREATE INDEX "PaperAuthor_authorId_hidden_paperId_idx" ON "PaperAuthor"("authorId", "hidden", "paperId");
