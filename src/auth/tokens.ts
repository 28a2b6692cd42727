/**
 * Users and API tokens. A token is `pgt_` + 32 random bytes (base64url): shown once, stored only as
 * its SHA-256. A fast hash is the right one here: the secret is random and 256 bits long, so there
 * is nothing to brute-force (slow hashes such as bcrypt protect low-entropy passwords), and the
 * lookup by hash is one indexed query per request. The first 12 characters are kept in clear to
 * recognise a token in listings.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Db } from "../db/client.ts";

export const TOKEN_PREFIX = "pgt_";
const TOKEN_PATTERN = /^pgt_[A-Za-z0-9_-]{43}$/;
/** `lastUsedAt` is written at most this often per token, so reads do not turn into writes. */
const LAST_USED_RESOLUTION_MS = 60_000;

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
  return db.user.create({ data: { handle, name: name ?? null } });
}

export async function createToken(
  db: Db,
  handle: string,
  options: { name?: string; expiresInDays?: number } = {},
): Promise<{ token: string; id: number; prefix: string }> {
  const user = await db.user.findUnique({ where: { handle } });
  if (!user) throw new AuthError(`no user "${handle}"`);
  const token = generateToken();
  const row = await db.apiToken.create({
    data: {
      userId: user.id,
      name: options.name ?? "default",
      secretHash: hashToken(token),
      prefix: token.slice(0, 12),
      expiresAt: options.expiresInDays
        ? new Date(Date.now() + options.expiresInDays * 86_400_000)
        : null,
    },
  });
  return { token, id: row.id, prefix: row.prefix };
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
  const row = await db.apiToken.findUnique({ where: { secretHash: hashToken(token) } });
  if (!row) return { status: "invalid", reason: "unknown token" };
  if (row.revokedAt) return { status: "invalid", reason: "revoked token" };
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) {
    return { status: "invalid", reason: "expired token" };
  }
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
    await db.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } });
  }
  return { status: "valid", userId: row.userId, tokenId: row.id };
}
