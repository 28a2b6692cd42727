-- CreateTable
CREATE TABLE "DigestSubscription" (
    "id" SERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "email" TEXT NOT NULL,
    "frequency" TEXT NOT NULL,
    "filter" TEXT NOT NULL,
    "userId" INTEGER,
    "confirmedAt" TIMESTAMP(3),
    "unsubscribedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DigestSubscription_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DigestToken" (
    "id" SERIAL NOT NULL,
    "subscriptionId" INTEGER NOT NULL,
    "purpose" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),

    CONSTRAINT "DigestToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DigestDelivery" (
    "id" SERIAL NOT NULL,
    "subscriptionId" INTEGER NOT NULL,
    "period" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" TIMESTAMP(3) NOT NULL,
    "claimedUntil" TIMESTAMP(3),
    "claim" TEXT,
    "lastError" TEXT,
    "messageId" TEXT NOT NULL,
    "sentAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DigestDelivery_pkey" PRIMARY KEY ("id")
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

-- AddForeignKey
ALTER TABLE "DigestSubscription" ADD CONSTRAINT "DigestSubscription_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DigestToken" ADD CONSTRAINT "DigestToken_subscriptionId_fkey" FOREIGN KEY ("subscriptionId") REFERENCES "DigestSubscription"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DigestDelivery" ADD CONSTRAINT "DigestDelivery_subscriptionId_fkey" FOREIGN KEY ("subscriptionId") REFERENCES "DigestSubscription"("id") ON DELETE CASCADE ON UPDATE CASCADE;
