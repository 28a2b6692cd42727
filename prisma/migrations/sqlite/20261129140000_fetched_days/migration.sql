-- CreateTable
CREATE TABLE "FetchedDay" (
    "date" TEXT NOT NULL PRIMARY KEY,
    "url" TEXT NOT NULL,
    "etag" TEXT,
    "lastModified" TEXT,
    "checkedAt" DATETIME NOT NULL
);
