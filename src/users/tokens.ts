// Personal access tokens (`berth token create`) and login sessions: a secret shown once,
// `berth_<ID>_<64 hex>`, of which the store keeps the sha256 only. The ID finds the row; the
// hash is compared in constant time. Revoking deletes the row, so the next request fails.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { newId } from '../common/ids.js';
import type { Tx } from '../store/index.js';
import { UnauthorizedError, type ApiToken, type ApiTokenSpec } from '../types/index.js';

const FORMAT = /^berth_([0-9a-z]{25})_([0-9a-f]{64})$/;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** An expired session is kept this long (an OIDC session may still be refreshed), then dropped. */
const EXPIRED_KEPT_MS = 24 * 3600_000;
/** Sessions kept per user: a script logging in in a loop must not grow the store without bound. */
export const MAX_SESSIONS = 100;

/**
 * issueToken stores a token or session for `spec.User` and returns it with its secret (never
 * stored). The user's long-expired tokens go, and their oldest sessions beyond MAX_SESSIONS.
 */
export function issueToken(tx: Tx, spec: Omit<ApiTokenSpec, 'SecretHash'>, now = Date.now()): { token: ApiToken; secret: string } {
  const held = tx.apiTokens.byUser(spec.User);
  for (const t of held) if (t.Spec.ExpiresAt && Date.parse(t.Spec.ExpiresAt) + EXPIRED_KEPT_MS < now) tx.apiTokens.delete(t.ID);
  if (spec.Kind === 'session') {
    const sessions = tx.apiTokens.byUser(spec.User).filter((t) => t.Spec.Kind === 'session').sort((a, b) => a.CreatedAt.localeCompare(b.CreatedAt));
    for (const t of sessions.slice(0, Math.max(0, sessions.length - MAX_SESSIONS + 1))) tx.apiTokens.delete(t.ID);
  }
  const id = newId();
  const key = randomBytes(32).toString('hex');
  const token = tx.apiTokens.create({ ID: id, Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { ...spec, SecretHash: sha256(key) } });
  return { token, secret: `berth_${id}_${key}` };
}

/**
 * findToken returns the live token a bearer secret names; it refuses one that is malformed,
 * unknown, revoked or expired without saying which (a guesser learns nothing).
 */
export function findToken(tx: { apiTokens: { get(id: string): ApiToken | undefined } }, secret: string, now = Date.now()): ApiToken {
  const m = FORMAT.exec(secret);
  const token = m && tx.apiTokens.get(m[1]!);
  const expected = Buffer.from(token?.Spec.SecretHash ?? '0'.repeat(64), 'hex');
  const given = Buffer.from(sha256(m?.[2] ?? ''), 'hex');
  const match = timingSafeEqual(expected, given);
  if (!token || !match) throw new UnauthorizedError('the token is not valid: it was revoked, expired or mistyped (berth token ls shows yours; berth login --manager starts a session)');
  if (token.Spec.ExpiresAt && Date.parse(token.Spec.ExpiresAt) <= now) throw new UnauthorizedError(`the ${token.Spec.Kind} ${token.Spec.Name} expired at ${token.Spec.ExpiresAt}: ${token.Spec.Kind === 'session' ? 'log in again (berth login --manager)' : 'create a new one (berth token create)'}`);
  return token;
}
