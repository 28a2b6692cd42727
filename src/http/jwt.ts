/**
 * Identity-provider JWTs as Bearer credentials (JWT_SECRET or JWT_JWKS_URI): verified here, with a
 * reason for every refusal, before the request's context is built; src/auth/tokens.ts maps the
 * verified claims to a user.
 *
 * A token is accepted only with an expiry (`exp`) no further than JWT_MAX_LIFETIME_SECONDS from its
 * issue (`iat`) and from now, a string subject (`sub`), and the configured issuer and audience.
 * The provider's keys (JWKS) are cached: fetched at start of use, again when older than
 * JWKS_MAX_AGE_MS, and when a token names an unknown key id (`kid`), but at most once per
 * `jwksRefreshSeconds` whatever tokens clients send.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { createRequire } from "node:module";
import type jwt from "jsonwebtoken";
import type { JwtClaims } from "../auth/tokens.ts";
import { TOKEN_PREFIX } from "../auth/tokens.ts";
import { UnauthenticatedError } from "../graphql/errors.ts";

export interface JwtOptions {
  /** HS256 shared secret, or ... */
  secret?: string;
  /** ... the provider's JWKS URL (RS256). */
  jwksUri?: string;
  issuer?: string;
  audience?: string;
  /** The longest validity accepted (exp - iat, and exp - now); default one day. */
  maxLifetimeSeconds?: number;
  /** The JWKS is fetched at most this often, unknown key ids or not; default 60. */
  jwksRefreshSeconds?: number;
  /** Told when the JWKS cannot be fetched (the keys already known keep working). */
  onKeysError?: (error: unknown) => void;
}

const JWKS_MAX_AGE_MS = 10 * 60_000;
const JWKS_FETCH_TIMEOUT_MS = 5_000;
/** Seconds of clock difference tolerated with the provider for `exp`, `nbf` and `iat`. */
const CLOCK_TOLERANCE_SECONDS = 30;
const MAX_SUBJECT_LENGTH = 255;

/** The Bearer value of an Authorization header when it is a JWT (API tokens start `pgt_`). */
export function bearerJwt(authorization: string | null): string | undefined {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization?.trim() ?? "")?.[1];
  return token && !token.startsWith(TOKEN_PREFIX) && token.split(".").length === 3
    ? token
    : undefined;
}

export interface JwtVerifier {
  /**
   * The verified claims of the header's JWT, undefined when it carries none; throws
   * UNAUTHENTICATED (with the reason) when it carries one that is not acceptable.
   */
  claims(authorization: string | null): Promise<JwtClaims | undefined>;
}

export function createJwtVerifier(options: JwtOptions): JwtVerifier {
  // Loaded here, not with this module: a server without JWT_SECRET or JWT_JWKS_URI never loads
  // jsonwebtoken (and semver, jws...), ~30 ms of its start.
  const jwt = createRequire(import.meta.url)("jsonwebtoken") as typeof import("jsonwebtoken");
  const maxLifetime = options.maxLifetimeSeconds ?? 86_400;
  const keys = options.jwksUri
    ? new JwksCache(options.jwksUri, (options.jwksRefreshSeconds ?? 60) * 1000, options.onKeysError)
    : undefined;
  const algorithms: jwt.Algorithm[] = keys ? ["RS256"] : ["HS256"];

  return {
    async claims(authorization) {
      const token = bearerJwt(authorization);
      if (!token) return undefined;
      const decoded = jwt.decode(token, { complete: true });
      if (!decoded || typeof decoded.payload !== "object") {
        throw new UnauthenticatedError("malformed JWT");
      }
      let key: string | KeyObject | undefined = options.secret;
      if (keys) {
        const kid = decoded.header.kid;
        key = await keys.key(kid);
        if (!key) {
          throw new UnauthenticatedError(
            keys.empty()
              ? "the identity provider's signing keys are unavailable"
              : `unknown signing key${kid ? ` "${String(kid).slice(0, 64)}"` : " (the token names no kid)"}`,
          );
        }
      }
      let payload: jwt.JwtPayload;
      try {
        payload = jwt.verify(token, key as string | KeyObject, {
          algorithms,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          ...(options.issuer ? { issuer: options.issuer } : {}),
          ...(options.audience ? { audience: options.audience } : {}),
        }) as jwt.JwtPayload;
      } catch (error) {
        if (error instanceof jwt.TokenExpiredError) throw new UnauthenticatedError("expired token");
        if (error instanceof jwt.NotBeforeError) {
          throw new UnauthenticatedError("token not valid yet (nbf)");
        }
        throw new UnauthenticatedError(`invalid JWT: ${(error as Error).message}`);
      }
      return acceptableClaims(payload, maxLifetime);
    },
  };
}

/** The claims this server relies on, checked; throws UNAUTHENTICATED with what is wrong. */
function acceptableClaims(payload: jwt.JwtPayload, maxLifetime: number): JwtClaims {
  const now = Date.now() / 1000;
  if (typeof payload.exp !== "number") {
    throw new UnauthenticatedError("the token has no expiry (exp)");
  }
  const issuedAt = typeof payload.iat === "number" ? payload.iat : now;
  if (payload.exp - issuedAt > maxLifetime || payload.exp - now > maxLifetime) {
    throw new UnauthenticatedError(
      `the token is valid for longer than the ${maxLifetime} s this server accepts (JWT_MAX_LIFETIME_SECONDS)`,
    );
  }
  const sub: unknown = payload.sub;
  if (typeof sub !== "string" || sub === "" || sub.length > MAX_SUBJECT_LENGTH) {
    throw new UnauthenticatedError(
      `the token's subject (sub) is not a string of 1 to ${MAX_SUBJECT_LENGTH} characters`,
    );
  }
  const iss: unknown = payload.iss;
  if (iss !== undefined && typeof iss !== "string") {
    throw new UnauthenticatedError("the token's issuer (iss) is not a string");
  }
  const text = (value: unknown) => (typeof value === "string" ? value : undefined);
  return {
    iss,
    sub,
    preferred_username: text(payload.preferred_username),
    name: text(payload.name),
  };
}

/** The provider's public keys by key id, fetched from its JWKS URL at most once per `minRefreshMs`. */
class JwksCache {
  private keys = new Map<string, KeyObject>();
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private attemptedAt = Number.NEGATIVE_INFINITY;
  private pending: Promise<void> | undefined;

  constructor(
    private readonly uri: string,
    private readonly minRefreshMs: number,
    private readonly onError?: (error: unknown) => void,
  ) {}

  empty(): boolean {
    return this.keys.size === 0;
  }

  async key(kid: unknown): Promise<KeyObject | undefined> {
    if (Date.now() - this.fetchedAt > JWKS_MAX_AGE_MS) await this.refresh();
    const known = this.find(kid);
    if (known) return known;
    await this.refresh();
    return this.find(kid);
  }

  private find(kid: unknown): KeyObject | undefined {
    if (typeof kid === "string") return this.keys.get(kid);
    // A token without a kid: the provider's only key, if it has only one.
    return this.keys.size === 1 ? [...this.keys.values()][0] : undefined;
  }

  /** Fetches the JWKS unless it was tried less than `minRefreshMs` ago; one fetch at a time. */
  private refresh(): Promise<void> {
    if (this.pending) return this.pending;
    if (Date.now() - this.attemptedAt < this.minRefreshMs) return Promise.resolve();
    this.attemptedAt = Date.now();
    this.pending = this.load().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async load(): Promise<void> {
    try {
      const response = await fetch(this.uri, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS),
      });
      if (!response.ok) throw new Error(`JWKS ${this.uri} answered ${response.status}`);
      const { keys } = (await response.json()) as {
        keys?: ({ kid?: string; use?: string } & object)[];
      };
      const next = new Map<string, KeyObject>();
      for (const jwk of keys ?? []) {
        if (jwk.use !== undefined && jwk.use !== "sig") continue;
        try {
          next.set(jwk.kid ?? "", createPublicKey({ key: jwk as never, format: "jwk" }));
        } catch {
          // A key of a type this server does not use: skipped.
        }
      }
      if (next.size === 0) throw new Error(`JWKS ${this.uri} has no usable signing key`);
      this.keys = next;
      this.fetchedAt = Date.now();
    } catch (error) {
      this.onError?.(error);
    }
  }
}
