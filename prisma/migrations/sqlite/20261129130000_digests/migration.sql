-- CreateTable
CREATE TABLE "DigestSubscription" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "key" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "frequency" TEXT NOT NULL,
    "filter" TEXT NOT NULL,
    "userId" INTEGER,
    "confirmedAt" DATETIME,
    "unsubscribedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "DigestSubscription_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "DigestToken" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "subscriptionId" INTEGER NOT NULL,
    "purpose" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    CONSTRAINT "DigestToken_subscriptionId_fkey" FOREIGN KEY ("subscriptionId") REFERENCES "DigestSubscription" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "DigestDelivery" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "subscriptionId" INTEGER NOT NULL,
    "period" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" DATETIME NOT NULL,
    "claimedUntil" DATETIME,
    "claim" TEXT,
    "lastError" TEXT,
    "messageId" TEXT NOT NULL,
    "sentAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "DigestDelivery_subscriptionId_fkey" FOREIGN KEY ("subscriptionId") REFERENCES "DigestSubscription" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "DigestSubscription_key_key" ON "DigestSubscription"("key");

-- CreateIndex
CREATE INDEX "DigestSubscription_frequency_confirmedAt_unsubscribedAt_idx" ON "DigestSubscription"("frequency", "confirmedAt", "unsubscribedAt");

-- CreateIndex
CREATE INDEX "DigestSubscription_email_idx" ON "DigestSubscription"("email");

-- CreateIndex
CREATE INDEX "DigestSubscription_userId_idx" ON "DigestSubscription"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "DigestToken_secretHash_key" ON "DigestToken"("secretHash");

-- CreateIndex
CREATE INDEX "DigestToken_subscriptionId_idx" ON "DigestToken"("subscriptionId");

-- CreateIndex
CREATE INDEX "DigestDelivery_status_nextAttemptAt_idx" ON "DigestDelivery"("status", "nextAttemptAt");

-- CreateIndex
CREATE UNIQUE INDEX "DigestDelivery_subscriptionId_period_key" ON "DigestDelivery"("subscriptionId", "period");
