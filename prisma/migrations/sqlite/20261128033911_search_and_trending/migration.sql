-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Paper" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "arxivId" TEXT,
    "arxivVersion" INTEGER,
    "titleKey" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "abstract" TEXT NOT NULL,
    "authorCount" INTEGER NOT NULL,
    "publishedAt" DATETIME,
    "digestUpvotes" INTEGER NOT NULL DEFAULT 0,
    "lastSeenOn" TEXT,
    "localUpvotes" INTEGER NOT NULL DEFAULT 0,
    "upvotes" INTEGER NOT NULL DEFAULT 0,
    "trendingScore" REAL NOT NULL DEFAULT 0,
    "codeUrl" TEXT,
    "githubStars" INTEGER,
    "projectUrl" TEXT,
    "thumbnailUrl" TEXT,
    "mediaUrls" TEXT,
    "commentCount" INTEGER,
    "discussionId" TEXT,
    "submitterHandle" TEXT,
    "submitterName" TEXT,
    "aiSummary" TEXT,
    "aiKeywords" TEXT,
    "withdrawnAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);
INSERT INTO "new_Paper" ("abstract", "aiKeywords", "aiSummary", "arxivId", "arxivVersion", "authorCount", "codeUrl", "commentCount", "createdAt", "digestUpvotes", "discussionId", "githubStars", "id", "lastSeenOn", "localUpvotes", "mediaUrls", "projectUrl", "publishedAt", "submitterHandle", "submitterName", "thumbnailUrl", "title", "titleKey", "updatedAt", "upvotes", "withdrawnAt") SELECT "abstract", "aiKeywords", "aiSummary", "arxivId", "arxivVersion", "authorCount", "codeUrl", "commentCount", "createdAt", "digestUpvotes", "discussionId", "githubStars", "id", "lastSeenOn", "localUpvotes", "mediaUrls", "projectUrl", "publishedAt", "submitterHandle", "submitterName", "thumbnailUrl", "title", "titleKey", "updatedAt", "upvotes", "withdrawnAt" FROM "Paper";
DROP TABLE "Paper";
ALTER TABLE "new_Paper" RENAME TO "Paper";
CREATE UNIQUE INDEX "Paper_arxivId_key" ON "Paper"("arxivId");
CREATE INDEX "Paper_titleKey_idx" ON "Paper"("titleKey");
CREATE INDEX "Paper_upvotes_id_idx" ON "Paper"("upvotes", "id");
CREATE INDEX "Paper_publishedAt_id_idx" ON "Paper"("publishedAt", "id");
CREATE INDEX "Paper_lastSeenOn_id_idx" ON "Paper"("lastSeenOn", "id");
CREATE INDEX "Paper_trendingScore_id_idx" ON "Paper"("trendingScore", "id");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- Written by hand (not from the models): full-text search and the trending score.
-- The trending formula is also in src/db/trending.ts; keep them the same.
UPDATE "Paper" SET "trendingScore" =
  log10(1 + "upvotes") + COALESCE(julianday("lastSeenOn") - 2440587.5, 0) / 3.0;

-- FTS5 index over title and abstract, kept in step with Paper by triggers. A later migration that
-- redefines the Paper table (SQLite drops a table's triggers with it) must create them again.
CREATE VIRTUAL TABLE "PaperSearch" USING fts5(
  "title", "abstract", content = 'Paper', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER "Paper_search_insert" AFTER INSERT ON "Paper" BEGIN
  INSERT INTO "PaperSearch" ("rowid", "title", "abstract") VALUES (new."id", new."title", new."abstract");
END;
CREATE TRIGGER "Paper_search_delete" AFTER DELETE ON "Paper" BEGIN
  INSERT INTO "PaperSearch" ("PaperSearch", "rowid", "title", "abstract")
    VALUES ('delete', old."id", old."title", old."abstract");
END;
CREATE TRIGGER "Paper_search_update" AFTER UPDATE OF "title", "abstract" ON "Paper" BEGIN
  INSERT INTO "PaperSearch" ("PaperSearch", "rowid", "title", "abstract")
    VALUES ('delete', old."id", old."title", old."abstract");
  INSERT INTO "PaperSearch" ("rowid", "title", "abstract") VALUES (new."id", new."title", new."abstract");
END;
INSERT INTO "PaperSearch" ("PaperSearch") VALUES ('rebuild');
