-- AlterTable
ALTER TABLE "Paper" ADD COLUMN     "organizationAvatarUrl" TEXT,
ADD COLUMN     "organizationHandle" TEXT,
ADD COLUMN     "organizationName" TEXT;

-- AlterTable
ALTER TABLE "Author" ADD COLUMN     "nameKey" TEXT NOT NULL DEFAULT '';

-- AlterTable
ALTER TABLE "Day" ADD COLUMN     "fromApi" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "IngestRun" ADD COLUMN     "listName" TEXT,
ADD COLUMN     "warnings" TEXT;

-- CreateTable
CREATE TABLE "PaperList" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "capturedOn" TEXT,
    "source" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PaperList_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PaperListEntry" (
    "listId" INTEGER NOT NULL,
    "paperId" INTEGER NOT NULL,
    "rank" INTEGER NOT NULL,
    "upvotes" INTEGER NOT NULL,

    CONSTRAINT "PaperListEntry_pkey" PRIMARY KEY ("listId","paperId")
);

-- CreateTable
CREATE TABLE "Setting" (
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,

    CONSTRAINT "Setting_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE UNIQUE INDEX "PaperList_name_key" ON "PaperList"("name");

-- CreateIndex
CREATE INDEX "PaperListEntry_listId_rank_idx" ON "PaperListEntry"("listId", "rank");

-- CreateIndex
CREATE INDEX "PaperListEntry_paperId_idx" ON "PaperListEntry"("paperId");

-- AddForeignKey
ALTER TABLE "PaperListEntry" ADD CONSTRAINT "PaperListEntry_listId_fkey" FOREIGN KEY ("listId") REFERENCES "PaperList"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PaperListEntry" ADD CONSTRAINT "PaperListEntry_paperId_fkey" FOREIGN KEY ("paperId") REFERENCES "Paper"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Written by hand (not from the models). The word rule moves into papergraph (src/search/words.ts):
-- both engines now index the words papergraph computes, instead of tokenizing the text themselves
-- (PostgreSQL's parser kept `Qwen2.5` and `2D/3D` whole and did not fold accents). "searchVector"
-- is now written by papergraph, as a tsvector literal with positions (title weight A, abstract B);
-- src/search/reindex.ts fills it for the papers already stored right after the migrations.
ALTER TABLE "Paper" DROP COLUMN "searchVector";
ALTER TABLE "Paper" ADD COLUMN "searchVector" tsvector;
CREATE INDEX "Paper_searchVector_idx" ON "Paper" USING GIN ("searchVector");

-- The words of author names, trigram-indexed for the `author` filter (a substring of the words).
-- pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: a database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX "Author_nameKey_trgm_idx" ON "Author" USING GIN ("nameKey" gin_trgm_ops);
