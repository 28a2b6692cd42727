-- CreateTable
CREATE TABLE "Paper" (
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

-- CreateTable
CREATE TABLE "Author" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "name" TEXT NOT NULL,
    "hfUsername" TEXT
);

-- CreateTable
CREATE TABLE "PaperAuthor" (
    "paperId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "authorId" INTEGER NOT NULL,
    "hidden" BOOLEAN NOT NULL DEFAULT false,
    "externalId" TEXT,
    "status" TEXT,

    PRIMARY KEY ("paperId", "position"),
    CONSTRAINT "PaperAuthor_paperId_fkey" FOREIGN KEY ("paperId") REFERENCES "Paper" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "PaperAuthor_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "Author" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Day" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "date" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL
);

-- CreateTable
CREATE TABLE "DayEntry" (
    "dayId" INTEGER NOT NULL,
    "paperId" INTEGER NOT NULL,
    "rank" INTEGER NOT NULL,
    "upvotes" INTEGER NOT NULL,
    "submittedAt" DATETIME,
    "inLatestDigest" BOOLEAN NOT NULL DEFAULT true,

    PRIMARY KEY ("dayId", "paperId"),
    CONSTRAINT "DayEntry_dayId_fkey" FOREIGN KEY ("dayId") REFERENCES "Day" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "DayEntry_paperId_fkey" FOREIGN KEY ("paperId") REFERENCES "Paper" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "UpvoteSnapshot" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "paperId" INTEGER NOT NULL,
    "upvotes" INTEGER NOT NULL,
    "seenOn" TEXT NOT NULL,
    "ingestRunId" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "UpvoteSnapshot_paperId_fkey" FOREIGN KEY ("paperId") REFERENCES "Paper" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "UpvoteSnapshot_ingestRunId_fkey" FOREIGN KEY ("ingestRunId") REFERENCES "IngestRun" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "User" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "handle" TEXT NOT NULL,
    "name" TEXT,
    "externalSubject" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "userId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" DATETIME,
    "expiresAt" DATETIME,
    "revokedAt" DATETIME,
    CONSTRAINT "ApiToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "Vote" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "userId" INTEGER NOT NULL,
    "paperId" INTEGER NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Vote_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "Vote_paperId_fkey" FOREIGN KEY ("paperId") REFERENCES "Paper" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "IngestRun" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "source" TEXT NOT NULL,
    "contentHash" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "digestDate" TEXT,
    "startedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" DATETIME,
    "status" TEXT NOT NULL,
    "papersTotal" INTEGER NOT NULL DEFAULT 0,
    "papersNew" INTEGER NOT NULL DEFAULT 0,
    "papersUpdated" INTEGER NOT NULL DEFAULT 0,
    "papersUnchanged" INTEGER NOT NULL DEFAULT 0,
    "entriesKept" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT
);

-- CreateIndex
CREATE UNIQUE INDEX "Paper_arxivId_key" ON "Paper"("arxivId");

-- CreateIndex
CREATE INDEX "Paper_titleKey_idx" ON "Paper"("titleKey");

-- CreateIndex
CREATE INDEX "Paper_upvotes_id_idx" ON "Paper"("upvotes", "id");

-- CreateIndex
CREATE INDEX "Paper_publishedAt_id_idx" ON "Paper"("publishedAt", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Author_name_key" ON "Author"("name");

-- CreateIndex
CREATE INDEX "PaperAuthor_authorId_idx" ON "PaperAuthor"("authorId");

-- CreateIndex
CREATE UNIQUE INDEX "Day_date_key" ON "Day"("date");

-- CreateIndex
CREATE INDEX "DayEntry_dayId_rank_idx" ON "DayEntry"("dayId", "rank");

-- CreateIndex
CREATE INDEX "DayEntry_paperId_idx" ON "DayEntry"("paperId");

-- CreateIndex
CREATE INDEX "UpvoteSnapshot_paperId_seenOn_idx" ON "UpvoteSnapshot"("paperId", "seenOn");

-- CreateIndex
CREATE INDEX "UpvoteSnapshot_ingestRunId_idx" ON "UpvoteSnapshot"("ingestRunId");

-- CreateIndex
CREATE UNIQUE INDEX "User_handle_key" ON "User"("handle");

-- CreateIndex
CREATE UNIQUE INDEX "User_externalSubject_key" ON "User"("externalSubject");

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_secretHash_key" ON "ApiToken"("secretHash");

-- CreateIndex
CREATE INDEX "ApiToken_userId_idx" ON "ApiToken"("userId");

-- CreateIndex
CREATE INDEX "Vote_paperId_createdAt_idx" ON "Vote"("paperId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Vote_userId_paperId_key" ON "Vote"("userId", "paperId");

-- CreateIndex
CREATE INDEX "IngestRun_contentHash_status_idx" ON "IngestRun"("contentHash", "status");

-- CreateIndex
CREATE INDEX "IngestRun_startedAt_idx" ON "IngestRun"("startedAt");
