// What a login carries through the browser and the CLI without the store: the state, signed with
// the configuration's key (HMAC), names a random login ID, its expiry and the redirect URI; the
// PKCE verifier and the nonce are derived from the key and that ID, so only a manager holding the
// key can answer the callback, and any manager can. A device flow's handle seals the provider's
// device code (AES-GCM), which the CLI never sees.

import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { InvalidArgumentError } from '../../types/index.js';

export const LOGIN_MS = 10 * 60_000;
const MAX_TEXT = 4096;

export interface LoginState {
  /** Random ID: also the cookie that binds the state to the browser that started the login. */
  id: string;
  /** Expiry, ms since the epoch. */
  expires: number;
  redirectUri: string;
}

const b64 = (b: Buffer): string => b.toString('base64url');
const mac = (key: string, label: string, text: string): Buffer => createHmac('sha256', Buffer.from(key, 'hex')).update(`${label}\0${text}`).digest();

export function signState(key: string, redirectUri: string, now = Date.now()): { state: string; login: LoginState } {
  const login: LoginState = { id: b64(randomBytes(16)), expires: now + LOGIN_MS, redirectUri };
  const payload = b64(Buffer.from(JSON.stringify({ i: login.id, e: login.expires, r: redirectUri })));
  return { state: `${payload}.${b64(mac(key, 'state', payload))}`, login };
}

/** verifyState returns the login a state names, or throws a 400 for a forged, altered, foreign or expired one. */
export function verifyState(key: string, state: unknown, now = Date.now()): LoginState {
  const refuse = (why: string) => new InvalidArgumentError(`state: ${why}: start again at /berth/v1/oidc/login`);
  if (typeof state !== 'string' || state.length > MAX_TEXT) throw refuse('missing or malformed');
  const [payload = '', sig = '', extra] = state.split('.');
  const given = Buffer.from(sig, 'base64url');
  const expected = mac(key, 'state', payload);
  if (extra !== undefined || given.length !== expected.length || !timingSafeEqual(given, expected)) throw refuse('not a login state of this cluster');
  const v = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { i?: unknown; e?: unknown; r?: unknown };
  if (typeof v.i !== 'string' || typeof v.e !== 'number' || typeof v.r !== 'string') throw refuse('malformed');
  if (v.e <= now) throw refuse('the login took longer than 10 minutes');
  return { id: v.i, expires: v.e, redirectUri: v.r };
}

/** The PKCE verifier of a login (43 base64url characters, as RFC 7636 asks). */
export const pkceVerifier = (key: string, login: LoginState): string => b64(mac(key, 'pkce', login.id));
export const loginNonce = (key: string, login: LoginState): string => b64(mac(key, 'nonce', login.id));

/** sealHandle hides a device code from the CLI that polls with it. */
export function sealHandle(key: string, deviceCode: string, expires: number): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', mac(key, 'device', ''), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify({ d: deviceCode, e: expires }), 'utf8'), cipher.final()]);
  return b64(Buffer.concat([iv, cipher.getAuthTag(), body]));
}

/** openHandle returns the device code a handle seals, or throws a 400 for a forged or expired one. */
export function openHandle(key: string, handle: unknown, now = Date.now()): string {
  const refuse = (why: string) => new InvalidArgumentError(`Handle: ${why}: start again with POST /berth/v1/oidc/device (berth login --manager --oidc)`);
  if (typeof handle !== 'string' || handle.length > MAX_TEXT) throw refuse('missing or malformed');
  const raw = Buffer.from(handle, 'base64url');
  let v: { d?: unknown; e?: unknown };
  try {
    const decipher = createDecipheriv('aes-256-gcm', mac(key, 'device', ''), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    v = JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as typeof v;
  } catch {
    throw refuse('not a device login of this cluster');
  }
  if (typeof v.d !== 'string' || typeof v.e !== 'number') throw refuse('malformed');
  if (v.e <= now) throw refuse('the code expired before it was approved');
  return v.d;
}
