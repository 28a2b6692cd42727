-- CreateTable
CREATE TABLE "FetchedDay" (
    "date" TEXT NOT NULL,
    "url" TEXT NOT NULL,
    "etag" TEXT,
    "lastModified" TEXT,
    "checkedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "FetchedDay_pkey" PRIMARY KEY ("date")
);
