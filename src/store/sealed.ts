// Sealing under an unlock key (Swarm's autolock): the manager's keys kept on disk only encrypted
// with a key the operator holds. The unlock key is Swarm's `SWMKEY-1-<base64 of 32 random
// bytes>`; the key-encryption key is derived from it with HKDF-SHA256 and a fresh salt per
// seal, and seals with AES-256-GCM. A key id (another HKDF output) tells a wrong key from a
// damaged file. Files are written atomically and plain copies overwritten before removal.

import { closeSync, fsyncSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { syncDir } from '../common/files.js';
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { InvalidArgumentError, UnauthorizedError, UnavailableError } from '../types/index.js';

const UNLOCK_KEY_PREFIX = 'SWMKEY-1-';
const UNLOCK_KEY_BYTES = 32;
const FORMAT = 'berth-sealed-v1';
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Swarm's message for a well-formed key that does not open the manager's keys. */
export class WrongUnlockKeyError extends UnauthorizedError {
  constructor() {
    super('swarm could not be unlocked: invalid key provided');
  }
}

/** newUnlockKey makes a key in Swarm's format (moby/swarmkit encryption.HumanReadableKey: unpadded standard base64). */
export function newUnlockKey(): string {
  return UNLOCK_KEY_PREFIX + randomBytes(UNLOCK_KEY_BYTES).toString('base64').replace(/=+$/, '');
}

/** parseUnlockKey gives a key's bytes; a string not in Swarm's format is refused with Swarm's "invalid key string". */
export function parseUnlockKey(text: string): Buffer {
  const m = /^SWMKEY-1-([A-Za-z0-9+/]*)$/.exec(text.trim());
  if (!m || m[1]!.length % 4 === 1) {
    throw new InvalidArgumentError('invalid key string: UnlockKey must be the SWMKEY-1-... key that `docker swarm unlock-key` printed');
  }
  return Buffer.from(m[1]!, 'base64');
}

interface SealedForm {
  format: string;
  keyId: string;
  salt: string;
  /** base64 of IV, tag and ciphertext. */
  data: string;
}

const derive = (key: Buffer, salt: Buffer, info: string, bytes: number): Buffer => Buffer.from(hkdfSync('sha256', key, salt, info, bytes));
const keyIdOf = (key: Buffer): string => derive(key, Buffer.alloc(0), 'berth autolock key id', 8).toString('hex');

/** seal encrypts `plain` under the unlock key; the result is the text of a sealed file. */
export function seal(plain: Buffer, unlockKey: string): string {
  const key = parseUnlockKey(unlockKey);
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const keyId = keyIdOf(key);
  const cipher = createCipheriv('aes-256-gcm', derive(key, salt, 'berth autolock kek', 32), iv);
  // The header is authenticated too: a changed key id or format makes the file fail as damaged.
  cipher.setAAD(Buffer.from(FORMAT + keyId));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  const form: SealedForm = { format: FORMAT, keyId, salt: salt.toString('base64'), data: Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64') };
  return JSON.stringify(form) + '\n';
}

/**
 * unseal decrypts a sealed file's text: WrongUnlockKeyError when the key is not the one it was
 * sealed with, UnavailableError (naming `what`) when the file was damaged or altered.
 */
export function unseal(text: string, unlockKey: string, what: string): Buffer {
  const key = parseUnlockKey(unlockKey);
  const damaged = (): never => {
    throw new UnavailableError(`${what} is damaged or was altered: it does not decrypt with the right unlock key; restore it from a backup of the data dir`);
  };
  let form: Partial<SealedForm>;
  try {
    form = JSON.parse(text) as Partial<SealedForm>;
  } catch {
    return damaged();
  }
  if (form?.format !== FORMAT || typeof form.keyId !== 'string' || typeof form.salt !== 'string' || typeof form.data !== 'string') return damaged();
  if (form.keyId !== keyIdOf(key)) throw new WrongUnlockKeyError();
  const raw = Buffer.from(form.data, 'base64');
  if (raw.length < IV_BYTES + TAG_BYTES) return damaged();
  try {
    const decipher = createDecipheriv('aes-256-gcm', derive(key, Buffer.from(form.salt, 'base64'), 'berth autolock kek', 32), raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(FORMAT + form.keyId));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    return damaged();
  }
}

/**
 * shredFile removes a file that held a key, overwriting its bytes first so that they do not stay
 * in the freed blocks of an ordinary filesystem (copy-on-write filesystems, journals and SSDs may
 * still keep old copies: see docs/security.md). A missing file is fine.
 */
export function shredFile(path: string): void {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, Buffer.alloc(size), 0, size, 0);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  unlinkSync(path);
  syncDir(dirname(path));
}

