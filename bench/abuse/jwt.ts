/**
 * Issue 8, item 5: identity-provider JWTs. `startJwksServer()` serves a JWKS on loopback (start
 * the server under attack with JWT_JWKS_URI set to its `uri`); `jwtAbuse()` then sends tokens
 * naming unknown key ids (`unknownKids` of them, `concurrency` at a time: how many JWKS fetches
 * they caused and what they got back), tokens without `exp`, living 30 days, or with a numeric
 * `sub`, and `racers` concurrent first sign-ins of one new user.
 */
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import jwt from "jsonwebtoken";
import { type ErrorCount, inPool, type Measurements, type Target, underAttack } from "./measure.ts";

export interface Jwks {
  uri: string;
  /** An RS256 token signed by the served key, naming `kid`. */
  sign(claims: object, kid?: string): string;
  /** Requests the JWKS has answered so far. */
  hits(): number;
  close(): Promise<void>;
}

export async function startJwksServer(): Promise<Jwks> {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const body = JSON.stringify({
    keys: [{ ...publicKey.export({ format: "jwk" }), kid: "abuse-key", use: "sig", alg: "RS256" }],
  });
  let hits = 0;
  const server = createServer((_request, response) => {
    hits += 1;
    response.writeHead(200, { "content-type": "application/json" }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    sign: (claims, kid = "abuse-key") =>
      jwt.sign(claims, privateKey, { algorithm: "RS256", keyid: kid }),
    hits: () => hits,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export interface JwtAbuseOptions {
  jwks: Jwks;
  unknownKids?: number;
  concurrency?: number;
  racers?: number;
  limitMs?: number;
}

type Outcomes = Record<string, number>;

export interface JwtAbuseResult {
  measurements: Measurements;
  /** "status code/reason" -> count, per kind of token. */
  unknownKid: Outcomes;
  jwksFetchesForUnknownKids: number;
  noExpiry: Outcomes;
  thirtyDays: Outcomes;
  numericSubject: Outcomes;
  firstSignInRace: Outcomes;
}

export async function jwtAbuse(target: Target, options: JwtAbuseOptions): Promise<JwtAbuseResult> {
  const { jwks } = options;
  const now = () => Math.floor(Date.now() / 1000);
  const { result, measurements } = await underAttack(
    target,
    async (signal, errors: ErrorCount) => {
      const ask = async (token: string, outcomes: Outcomes) => {
        const answer = await errors.guard(
          fetch(target.url, {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
            body: JSON.stringify({ query: "{ viewer { user { handle } } }" }),
            signal,
          }).then(async (response) => ({
            status: response.status,
            json: (await response.json()) as {
              errors?: { extensions?: { code?: string; reason?: string } }[];
            },
          })),
        );
        if (!answer) return;
        const error = answer.json.errors?.[0]?.extensions;
        const key = `${answer.status} ${error ? `${error.code ?? "no code"}/${(error.reason ?? "no reason").replace(/"[^"]*"/g, '"..."')}` : "ok"}`;
        outcomes[key] = (outcomes[key] ?? 0) + 1;
      };
      const exp = () => now() + 600;
      // A known key first, so that the JWKS has been fetched once already.
      await ask(jwks.sign({ sub: "warm-up", exp: exp() }), {});
      const before = jwks.hits();
      const unknownKid: Outcomes = {};
      await inPool(options.unknownKids ?? 200, options.concurrency ?? 20, signal, (i) =>
        ask(jwks.sign({ sub: "kid-prober", exp: exp() }, `unknown-${i}`), unknownKid),
      );
      const jwksFetchesForUnknownKids = jwks.hits() - before;
      const noExpiry: Outcomes = {};
      await ask(jwks.sign({ sub: "forever" }), noExpiry);
      const thirtyDays: Outcomes = {};
      await ask(jwks.sign({ sub: "long", exp: now() + 30 * 86_400 }), thirtyDays);
      const numericSubject: Outcomes = {};
      await ask(jwks.sign({ sub: 12345, exp: exp() }), numericSubject);
      const firstSignInRace: Outcomes = {};
      const racer = jwks.sign({ sub: `racer-${randomBytes(6).toString("hex")}`, exp: exp() });
      await Promise.all(
        Array.from({ length: options.racers ?? 60 }, () => ask(racer, firstSignInRace)),
      );
      return {
        unknownKid,
        jwksFetchesForUnknownKids,
        noExpiry,
        thirtyDays,
        numericSubject,
        firstSignInRace,
      };
    },
    options.limitMs ?? 60_000,
  );
  return { measurements, ...result };
}
