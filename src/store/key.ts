// The key that encrypts sealed kinds (secrets, credentials) in a store file, kept beside it in the
// data dir (owner read-only). Losing it makes those rows unreadable, so it is created once, never replaced.

import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const STORE_KEY_FILE = 'store.key';

export function loadStoreKey(dataDir: string): Buffer {
  const path = join(dataDir, STORE_KEY_FILE);
  try {
    writeFileSync(path, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return parseStoreKey(readFileSync(path, 'utf8'), path);
}

/** parseStoreKey reads the text of a store key file (64 hex digits); `where` names it in the error. */
export function parseStoreKey(text: string, where: string): Buffer {
  const key = Buffer.from(text.trim(), 'hex');
  if (key.length !== 32) throw new Error(`${where} must hold 64 hex digits (a 256-bit key); it was changed by hand?`);
  return key;
}
