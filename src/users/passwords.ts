// Passwords and robot secrets. Users' passwords are hashed with scrypt (salted, slow on purpose);
// robot secrets are 256 random bits, so one sha256 is enough. Comparisons are constant-time.

import { createHash, createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { InvalidArgumentError } from '../types/index.js';

const N = 16384;
const R = 8;
const P = 1;
const KEY_BYTES = 32;

const derive = (password: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => scrypt(password, salt, KEY_BYTES, opts, (err, key) => (err ? reject(err) : resolve(key))));

/** hashPassword returns `scrypt$N$r$p$salt$hash` (base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

// Clients log in for every token they fetch (podman, skopeo and docker once per scope set), and
// scrypt costs about 45 ms of CPU each time. Pairs verified recently are remembered for a few
// minutes, keyed by an HMAC under a key of this process (memory holds no password). A changed
// password changes the stored hash, so it misses; failures are never remembered. Clients that
// start together (a CI fleet, parallel pushes) log in together: they share one check in flight.
const VERIFIED_TTL_MS = 5 * 60_000;
const VERIFIED_MAX = 1024;
const verifiedKey = randomBytes(32);
const verified = new Map<string, number>();
const checking = new Map<string, Promise<boolean>>();

const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/**
 * checkLogin says whether `password` is the user's. It hashes even for an unknown user, or one
 * who signs in only through OIDC (no hash), so the answer takes as long either way.
 */
export async function checkLogin(user: { Spec: { PasswordHash?: string } } | undefined, password: string): Promise<boolean> {
  const ok = await verifyPassword(password, user?.Spec.PasswordHash ?? DUMMY_HASH);
  return ok && !!user?.Spec.PasswordHash;
}

/** verifyPassword checks a password against its stored hash; concurrent checks of one pair get the same promise. */
export function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !salt || !hash) return Promise.resolve(false);
  const pair = createHmac('sha256', verifiedKey).update(stored).update('\0').update(password).digest('base64');
  if ((verified.get(pair) ?? 0) > Date.now()) return Promise.resolve(true);
  let check = checking.get(pair);
  if (!check) {
    check = (async () => {
      const expected = Buffer.from(hash, 'base64');
      const key = await derive(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
      const ok = key.length === expected.length && timingSafeEqual(key, expected);
      if (ok) {
        if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
        verified.set(pair, Date.now() + VERIFIED_TTL_MS);
      }
      return ok;
    })().finally(() => checking.delete(pair));
    checking.set(pair, check);
  }
  return check;
}

/** Harbor's rule: 8 to 128 characters with at least one upper-case letter, one lower-case letter and one digit. */
export function checkPassword(password: unknown, field = 'Password'): string {
  if (typeof password !== 'string' || password.length < 8 || password.length > 128 || !/[A-Z]/.test(password) || !/[a-z]/.test(password) || !/\d/.test(password)) {
    throw new InvalidArgumentError(`${field}: use 8 to 128 characters with at least one upper-case letter, one lower-case letter and one digit`);
  }
  return password;
}

/** randomPassword makes a password that meets checkPassword (for the first admin). */
export function randomPassword(): string {
  for (;;) {
    const candidate = randomBytes(15).toString('base64url');
    if (/[A-Z]/.test(candidate) && /[a-z]/.test(candidate) && /\d/.test(candidate)) return candidate;
  }
}

export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function verifySecret(secret: string, storedHex: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHex, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
