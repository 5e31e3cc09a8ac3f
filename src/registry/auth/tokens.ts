// The registry's bearer tokens (distribution's token spec, jwt.md): short-lived ES256 JWTs with
// iss/sub/aud/exp/nbf/iat/jti and the `access` claim. The signing key is made on first start and
// kept in the data dir (0600), so tokens survive a restart of the registry within their lifetime.

import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, jwtVerify, type CryptoKey, type JWK } from 'jose';
import type { Action } from './access.js';

/** The `service` clients name in token requests, and every token's audience. */
export const SERVICE = 'berth-registry';
export const ISSUER = 'berth-registry-token-issuer';
/** Five minutes: clients fetch a fresh token for each operation; the spec's floor is 60 s. */
export const TOKEN_TTL_SECONDS = 300;
const KEY_FILE = 'token-key.json';

export interface AccessEntry {
  type: 'repository';
  name: string;
  actions: Action[];
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
  issuedAt: string;
}

export interface VerifiedToken {
  subject: string;
  access: AccessEntry[];
}

/** Why a token was refused; the message is safe to send back. */
export class InvalidTokenError extends Error {
  override name = 'InvalidTokenError';
}

export class TokenKeys {
  private constructor(
    private readonly privateKey: CryptoKey,
    private readonly publicKey: CryptoKey,
    private readonly kid: string,
  ) {}

  /** open loads the signing key from `<dataDir>/token-key.json`, creating it (mode 0600) the first time. */
  static async open(dataDir: string): Promise<TokenKeys> {
    const path = join(dataDir, KEY_FILE);
    let jwk: JWK;
    try {
      jwk = JSON.parse(await readFile(path, 'utf8')) as JWK;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read the registry's token key ${path}: ${(err as Error).message}`);
      const pair = await generateKeyPair('ES256', { extractable: true });
      jwk = await exportJWK(pair.privateKey);
      await writeFile(path, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' });
    }
    const { d: _private, ...pub } = jwk;
    const kid = await calculateJwkThumbprint(pub);
    return new TokenKeys((await importJWK(jwk, 'ES256')) as CryptoKey, (await importJWK(pub, 'ES256')) as CryptoKey, kid);
  }

  async issue(subject: string, access: AccessEntry[], ttlSeconds = TOKEN_TTL_SECONDS, now = Date.now()): Promise<IssuedToken> {
    const iat = Math.floor(now / 1000);
    const token = await new SignJWT({ access })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: this.kid })
      .setIssuer(ISSUER)
      .setSubject(subject)
      .setAudience(SERVICE)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + ttlSeconds)
      .setJti(randomUUID())
      .sign(this.privateKey);
    return { token, expiresIn: ttlSeconds, issuedAt: new Date(iat * 1000).toISOString() };
  }

  /** verify checks signature, issuer, audience and time window; it throws InvalidTokenError saying why. */
  async verify(token: string): Promise<VerifiedToken> {
    try {
      const { payload } = await jwtVerify(token, this.publicKey, { issuer: ISSUER, audience: SERVICE, algorithms: ['ES256'], clockTolerance: 5 });
      return { subject: payload.sub ?? '', access: readAccess(payload.access) };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_JWT_EXPIRED') throw new InvalidTokenError('the token has expired: get a new one from the token endpoint');
      if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw new InvalidTokenError('the token signature is not valid: it was not issued by this registry');
      if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') throw new InvalidTokenError(`the token is not valid for this registry: ${(err as Error).message}`);
      throw new InvalidTokenError('the token is malformed or not signed with ES256');
    }
  }
}

function readAccess(value: unknown): AccessEntry[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((e: { type?: unknown; name?: unknown; actions?: unknown }) =>
    e && e.type === 'repository' && typeof e.name === 'string' && Array.isArray(e.actions)
      ? [{ type: 'repository' as const, name: e.name, actions: e.actions.filter((a): a is Action => a === 'pull' || a === 'push' || a === 'delete') }]
      : [],
  );
}

export interface RequestedScope {
  repository: string;
  actions: Action[];
}

/**
 * parseScopes reads `scope` values (each a space-separated list of `type[(class)]:name:actions`).
 * The name may hold a `host:port`, so type is before the first colon and actions after the last.
 * Only repository scopes matter here; others, unknown actions and bad names are dropped: the
 * token endpoint grants what it can and never fails for what it cannot.
 */
export function parseScopes(values: readonly string[], validName: (name: string) => boolean): RequestedScope[] {
  const byRepo = new Map<string, Set<Action>>();
  for (const item of values.flatMap((v) => v.split(' ')).filter(Boolean)) {
    const first = item.indexOf(':');
    const last = item.lastIndexOf(':');
    if (first < 0 || last === first) continue;
    const type = item.slice(0, first).replace(/\(.*\)$/, '');
    const name = item.slice(first + 1, last);
    if (type !== 'repository' || !validName(name)) continue;
    const actions = byRepo.get(name) ?? new Set<Action>();
    for (const a of item.slice(last + 1).split(',')) {
      if (a === '*') ['pull', 'push', 'delete'].forEach((x) => actions.add(x as Action));
      else if (a === 'pull' || a === 'push' || a === 'delete') actions.add(a);
    }
    byRepo.set(name, actions);
  }
  return [...byRepo].map(([repository, actions]) => ({ repository, actions: [...actions] }));
}
