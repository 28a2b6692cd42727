/**
 * Users and API tokens. A token is `pgt_` + 32 random bytes (base64url): shown once, stored only as
 * its SHA-256. A fast hash is the right one here: the secret is random and 256 bits long, so there
 * is nothing to brute-force (slow hashes such as bcrypt protect low-entropy passwords), and the
 * lookup by hash is one indexed query. The first 12 characters are kept in clear to recognise a
 * token in listings.
 *
 * A server process keeps what it looked up for `TOKEN_CACHE_MS`, so that a client sending
 * requests back to back does not cost a query each: a token revoked or deleted, by this process or
 * by the CLI in another, stops working within that time. Only tokens found are kept; expiry is checked
 * at every use. `lastUsedAt` is never written on a request's path: a use is noted in memory and
 * written a moment later with the others (one statement), best-effort, and skipped while the
 * database is locked or down.
 */
import { createHash, randomBytes } from "node:crypto";
import { type Db, directOf } from "../db/client.ts";
import { dataChanged } from "../db/data-version.ts";
import { sqliteInstant } from "../db/sqlite.ts";

export const TOKEN_PREFIX = "pgt_";
const TOKEN_PATTERN = /^pgt_[A-Za-z0-9_-]{43}$/;
/** How long a looked-up token is trusted before the database is asked again (ms). */
export const TOKEN_CACHE_MS = 500;
/** Tokens kept per database; the oldest go first. */
const TOKEN_CACHE_SIZE = 10_000;
/** `lastUsedAt` is written at most this often per token, so reads do not turn into writes. */
const LAST_USED_RESOLUTION_MS = 60_000;
/** Uses noted in memory are written this long after the first of them (ms). */
export const LAST_USED_FLUSH_MS = 1_000;

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function generateToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
}

export class AuthError extends Error {
  override name = "AuthError";
}

export async function createUser(db: Db, handle: string, name?: string) {
  if (!/^[a-z0-9][a-z0-9_.-]{0,38}$/i.test(handle)) {
    throw new AuthError(`"${handle}" is not a valid handle (letters, digits, _ . -; at most 39)`);
  }
  const existing = await db.user.findUnique({ where: { handle } });
  if (existing) throw new AuthError(`user "${handle}" already exists`);
  const user = await db.user.create({ data: { handle, name: name ?? null } });
  // Users are nodes anyone may read: no response cache keeps a "no such user" (data-version.ts).
  await dataChanged(directOf(db));
  return user;
}

/** The longest lifetime a token may be given, in days (ten years). */
export const MAX_EXPIRES_DAYS = 3650;

export async function createToken(
  db: Db,
  handle: string,
  options: { name?: string; expiresInDays?: number } = {},
): Promise<{ token: string; id: number; prefix: string; expiresAt: Date | null }> {
  const days = options.expiresInDays;
  if (days !== undefined && !(Number.isInteger(days) && days >= 1 && days <= MAX_EXPIRES_DAYS)) {
    throw new AuthError(`a token expires after 1 to ${MAX_EXPIRES_DAYS} whole days, not ${days}`);
  }
  const user = await db.user.findUnique({ where: { handle } });
  if (!user) throw new AuthError(`no user "${handle}"`);
  const token = generateToken();
  const row = await db.apiToken.create({
    data: {
      userId: user.id,
      name: options.name ?? "default",
      secretHash: hashToken(token),
      prefix: token.slice(0, 12),
      expiresAt: days ? new Date(Date.now() + days * 86_400_000) : null,
    },
  });
  return { token, id: row.id, prefix: row.prefix, expiresAt: row.expiresAt };
}

export async function listTokens(db: Db, handle?: string) {
  return db.apiToken.findMany({
    where: handle ? { user: { handle } } : {},
    include: { user: { select: { handle: true } } },
    orderBy: { id: "asc" },
  });
}

/** Revokes a token by id or by its prefix; returns how many were revoked. */
export async function revokeToken(db: Db, idOrPrefix: string): Promise<number> {
  const where = /^\d+$/.test(idOrPrefix) ? { id: Number(idOrPrefix) } : { prefix: idOrPrefix };
  const { count } = await db.apiToken.updateMany({
    where: { ...where, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  // This process forgets at once; other server processes within TOKEN_CACHE_MS.
  caches.get(db)?.rows.clear();
  return count;
}

export type Credential =
  | { status: "none" }
  | { status: "valid"; userId: number; tokenId: number }
  | { status: "invalid"; reason: string };

/** The verified claims of an identity provider's JWT (checked by src/http/jwt.ts). */
export interface JwtClaims {
  iss?: string;
  sub?: string;
  preferred_username?: string;
  name?: string;
}

/**
 * The user a verified JWT stands for: `iss|sub` is their external subject; a user is created on
 * first sight, with a handle from `preferred_username` (or `sub`), made unique if taken.
 */
async function userFromJwt(db: Db, claims: JwtClaims): Promise<Credential> {
  if (!claims.sub) return { status: "invalid", reason: "the token has no subject (sub)" };
  const subject = `${claims.iss ?? ""}|${claims.sub}`;
  const existing = await db.user.findUnique({ where: { externalSubject: subject } });
  if (existing) return { status: "valid", userId: existing.id, tokenId: 0 };
  const base =
    (claims.preferred_username ?? claims.sub)
      .toLowerCase()
      .replace(/[^a-z0-9_.-]/g, "-")
      .slice(0, 30) || "user";
  const taken = await db.user.findUnique({ where: { handle: base } });
  const suffixed = `${base}-${hashToken(subject).slice(0, 6)}`;
  // Concurrent first requests of one subject race to create it: the unique externalSubject lets
  // one insert win, and the others read the winner. A handle taken meanwhile by another subject
  // is retried once with the suffixed one.
  for (const handle of taken ? [suffixed] : [base, suffixed]) {
    try {
      const user = await db.user.create({
        data: { handle, name: claims.name ?? null, externalSubject: subject },
      });
      await dataChanged(directOf(db));
      return { status: "valid", userId: user.id, tokenId: 0 };
    } catch (error) {
      if ((error as { code?: string }).code !== "P2002") throw error;
      const winner = await db.user.findUnique({ where: { externalSubject: subject } });
      if (winner) return { status: "valid", userId: winner.id, tokenId: 0 };
    }
  }
  throw new Error(`no free handle for the identity provider's user ${subject}`);
}

/**
 * Reads `Authorization: Bearer <token>`: an API token of this server, checked against the
 * database, or (when configured) an identity provider's JWT, already verified, given as `jwt`.
 */
export async function authenticate(
  db: Db,
  header: string | null,
  jwt?: JwtClaims,
): Promise<Credential> {
  if (jwt) return userFromJwt(db, jwt);
  if (!header) return { status: "none" };
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match)
    return { status: "invalid", reason: "the Authorization header is not `Bearer <token>`" };
  const token = match[1] as string;
  if (!TOKEN_PATTERN.test(token)) return { status: "invalid", reason: "malformed token" };
  const cache = cacheOf(db);
  const row = await cache.lookup(hashToken(token));
  if (!row) return { status: "invalid", reason: "unknown token" };
  if (row.revokedAt) return { status: "invalid", reason: "revoked token" };
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) {
    return { status: "invalid", reason: "expired token" };
  }
  cache.used(row);
  return { status: "valid", userId: row.userId, tokenId: row.id };
}

interface TokenRow {
  id: number;
  userId: number;
  revokedAt: Date | null;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
}

/** A database's looked-up tokens and the uses not yet written, per server process. */
interface TokenCache {
  lookup(secretHash: string): Promise<TokenRow | null>;
  used(row: TokenRow): void;
  rows: Map<string, { at: number; row: Promise<TokenRow | null> }>;
}

const caches = new WeakMap<Db, TokenCache>();

function cacheOf(db: Db): TokenCache {
  let cache = caches.get(db);
  if (!cache) {
    cache = createTokenCache(db);
    caches.set(db, cache);
  }
  return cache;
}

function createTokenCache(db: Db): TokenCache {
  const rows = new Map<string, { at: number; row: Promise<TokenRow | null> }>();
  /** Token id -> when it was last used, not yet written. */
  const pending = new Map<number, Date>();
  let scheduled = false;

  const flush = async () => {
    scheduled = false;
    const uses = [...pending];
    pending.clear();
    try {
      if (!(await writeLastUsed(db, uses))) for (const [id, at] of uses) pending.set(id, at);
    } catch {
      // Best-effort: the database is down or closed; the next use notes the token again.
    }
    if (pending.size > 0) schedule();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setTimeout(flush, LAST_USED_FLUSH_MS).unref();
  };

  return {
    rows,
    lookup(secretHash) {
      const now = Date.now();
      const cached = rows.get(secretHash);
      if (cached && now - cached.at < TOKEN_CACHE_MS) return cached.row;
      // Concurrent requests with one token share one query; `at` is when it was sent, so a
      // revocation it could have missed is seen by requests TOKEN_CACHE_MS after that at most.
      const row = db.apiToken.findUnique({
        where: { secretHash },
        select: { id: true, userId: true, revokedAt: true, expiresAt: true, lastUsedAt: true },
      });
      rows.delete(secretHash);
      if (rows.size >= TOKEN_CACHE_SIZE) rows.delete(rows.keys().next().value as string);
      rows.set(secretHash, { at: now, row });
      // Unknown tokens and failed lookups are not kept.
      const forget = () => {
        if (rows.get(secretHash)?.row === row) rows.delete(secretHash);
      };
      row.then((found) => found || forget(), forget);
      return row;
    },
    used(row) {
      const now = new Date();
      if (row.lastUsedAt && now.getTime() - row.lastUsedAt.getTime() <= LAST_USED_RESOLUTION_MS) {
        return;
      }
      // The cached row says so too, so that the next requests do not note it again.
      row.lastUsedAt = now;
      pending.set(row.id, now);
      schedule();
    },
  };
}

/**
 * Writes tokens' `lastUsedAt` in one statement (PostgreSQL) or one transaction (SQLite); false
 * when SQLite's write lock was taken (try again later: this never waits for it).
 */
async function writeLastUsed(db: Db, uses: [number, Date][]): Promise<boolean> {
  if (uses.length === 0) return true;
  const direct = directOf(db);
  if (direct.provider === "postgresql") {
    // Not reported to the N+1 tests' query log (`run` is): it belongs to no request.
    await direct.pool.query(
      `UPDATE "ApiToken" t SET "lastUsedAt" = u."at"
       FROM unnest($1::int[], $2::timestamp[]) AS u("id", "at") WHERE t."id" = u."id"`,
      [uses.map(([id]) => id), uses.map(([, at]) => at.toISOString())],
    );
    return true;
  }
  const { writer } = direct;
  const attempt = writer.tryWrite(() => {
    const update = writer.statement(`UPDATE "ApiToken" SET "lastUsedAt" = ? WHERE "id" = ?`);
    for (const [id, at] of uses) update.run(sqliteInstant(at), id);
  }, false);
  return !attempt.locked;
}
