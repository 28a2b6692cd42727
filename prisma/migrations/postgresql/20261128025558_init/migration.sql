-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "Paper" (
    "id" SERIAL NOT NULL,
    "arxivId" TEXT,
    "arxivVersion" INTEGER,
    "titleKey" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "abstract" TEXT NOT NULL,
    "authorCount" INTEGER NOT NULL,
    "publishedAt" TIMESTAMP(3),
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
    "withdrawnAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Paper_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Author" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "hfUsername" TEXT,

    CONSTRAINT "Author_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PaperAuthor" (
    "paperId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "authorId" INTEGER NOT NULL,
    "hidden" BOOLEAN NOT NULL DEFAULT false,
    "externalId" TEXT,
    "status" TEXT,

    CONSTRAINT "PaperAuthor_pkey" PRIMARY KEY ("paperId","position")
);

-- CreateTable
CREATE TABLE "Day" (
    "id" SERIAL NOT NULL,
    "date" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Day_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DayEntry" (
    "dayId" INTEGER NOT NULL,
    "paperId" INTEGER NOT NULL,
    "rank" INTEGER NOT NULL,
    "upvotes" INTEGER NOT NULL,
    "submittedAt" TIMESTAMP(3),
    "inLatestDigest" BOOLEAN NOT NULL DEFAULT true,

    CONSTRAINT "DayEntry_pkey" PRIMARY KEY ("dayId","paperId")
);

-- CreateTable
CREATE TABLE "UpvoteSnapshot" (
    "id" SERIAL NOT NULL,
    "paperId" INTEGER NOT NULL,
    "upvotes" INTEGER NOT NULL,
    "seenOn" TEXT NOT NULL,
    "ingestRunId" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "UpvoteSnapshot_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "handle" TEXT NOT NULL,
    "name" TEXT,
    "externalSubject" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" SERIAL NOT NULL,
    "userId" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "expiresAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Vote" (
    "id" SERIAL NOT NULL,
    "userId" INTEGER NOT NULL,
    "paperId" INTEGER NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Vote_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IngestRun" (
    "id" SERIAL NOT NULL,
    "source" TEXT NOT NULL,
    "contentHash" TEXT NOT NULL,
    "format" TEXT NOT NULL,
    "digestDate" TEXT,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),
    "status" TEXT NOT NULL,
    "papersTotal" INTEGER NOT NULL DEFAULT 0,
    "papersNew" INTEGER NOT NULL DEFAULT 0,
    "papersUpdated" INTEGER NOT NULL DEFAULT 0,
    "papersUnchanged" INTEGER NOT NULL DEFAULT 0,
    "entriesKept" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,

    CONSTRAINT "IngestRun_pkey" PRIMARY KEY ("id")
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

-- AddForeignKey
ALTER TABLE "PaperAuthor" ADD CONSTRAINT "PaperAuthor_paperId_fkey" FOREIGN KEY ("paperId") REFERENCES "Paper"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PaperAuthor" ADD CONSTRAINT "PaperAuthor_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "Author"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DayEntry" ADD CONSTRAINT "DayEntry_dayId_fkey" FOREIGN KEY ("dayId") REFERENCES "Day"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DayEntry" ADD CONSTRAINT "DayEntry_paperId_fkey" FOREIGN KEY ("paperId") REFERENCES "Paper"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UpvoteSnapshot" ADD CONSTRAINT "UpvoteSnapshot_paperId_fkey" FOREIGN KEY ("paperId") REFERENCES "Paper"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "UpvoteSnapshot" ADD CONSTRAINT "UpvoteSnapshot_ingestRunId_fkey" FOREIGN KEY ("ingestRunId") REFERENCES "IngestRun"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Vote" ADD CONSTRAINT "Vote_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Vote" ADD CONSTRAINT "Vote_paperId_fkey" FOREIGN KEY ("paperId") REFERENCES "Paper"("id") ON DELETE CASCADE ON UPDATE CASCADE;
