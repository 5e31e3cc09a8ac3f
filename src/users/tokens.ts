// Personal access tokens (`berth token create`) and login sessions: a secret shown once,
// `berth_<ID>_<64 hex>`, of which the store keeps the sha256 only. The ID finds the row; the
// hash is compared in constant time. Revoking deletes the row, so the next request fails.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { newId } from '../common/ids.js';
import type { Tx } from '../store/index.js';
import { UnauthorizedError, type ApiToken, type ApiTokenSpec } from '../types/index.js';

const FORMAT = /^berth_([0-9a-z]{25})_([0-9a-f]{64})$/;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** issueToken stores a token or session for `spec.User` and returns it with its secret (never stored). */
export function issueToken(tx: Tx, spec: Omit<ApiTokenSpec, 'SecretHash'>): { token: ApiToken; secret: string } {
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
