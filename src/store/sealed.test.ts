import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newUnlockKey, parseUnlockKey, seal, shredFile, unseal, WrongUnlockKeyError } from './index.js';
import { InvalidArgumentError, UnavailableError } from '../types/index.js';

const SECRET = Buffer.from('-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n');

test("unlock keys are Swarm's SWMKEY-1- and unpadded base64 of 32 random bytes", () => {
  const key = newUnlockKey();
  assert.match(key, /^SWMKEY-1-[A-Za-z0-9+/]{43}$/);
  assert.equal(parseUnlockKey(key).length, 32);
  assert.notEqual(newUnlockKey(), key);
  assert.deepEqual(parseUnlockKey(` ${key}\n`), parseUnlockKey(key), 'the whitespace a terminal adds is ignored');
  for (const bad of ['', 'garbage', key.replace('SWMKEY-1-', 'SWMKEY-2-'), key.slice(9), `${key}=`, `${key}!`, 'SWMKEY-1-A']) {
    assert.throws(() => parseUnlockKey(bad), (err: Error) => err instanceof InvalidArgumentError && /^invalid key string: UnlockKey must be/.test(err.message), bad);
  }
});

test('a sealed text opens with its key only, and holds nothing of the plain bytes', () => {
  const key = newUnlockKey();
  const sealed = seal(SECRET, key);
  assert.deepEqual(unseal(sealed, key, 'keys.sealed'), SECRET);
  assert.ok(!sealed.includes('PRIVATE KEY') && !sealed.includes('MIGHAgEAMBMG'), 'no plain text');
  assert.ok(!sealed.includes(key.slice(9)), 'not the key either');
  assert.notEqual(seal(SECRET, key), sealed, 'a fresh salt and IV each time');
  assert.throws(() => unseal(sealed, newUnlockKey(), 'keys.sealed'), (err: Error) => err instanceof WrongUnlockKeyError && err.message === 'swarm could not be unlocked: invalid key provided');
  // A key of another length is well-formed but not the key.
  assert.throws(() => unseal(sealed, 'SWMKEY-1-AAAA', 'keys.sealed'), WrongUnlockKeyError);
  assert.throws(() => unseal(sealed, 'not a key', 'keys.sealed'), InvalidArgumentError);
});

test('a tampered or truncated sealed file is damaged, not a wrong key', () => {
  const key = newUnlockKey();
  const form = JSON.parse(seal(SECRET, key)) as { format: string; keyId: string; salt: string; data: string };
  const flip = (b64: string, at: number): string => {
    const raw = Buffer.from(b64, 'base64');
    raw[at] = raw[at]! ^ 1;
    return raw.toString('base64');
  };
  const cases: Record<string, string> = {
    'a ciphertext bit': JSON.stringify({ ...form, data: flip(form.data, 40) }),
    'the tag': JSON.stringify({ ...form, data: flip(form.data, 14) }),
    'the salt': JSON.stringify({ ...form, salt: flip(form.salt, 0) }),
    'the format': JSON.stringify({ ...form, format: 'berth-sealed-v0' }),
    'a cut file': JSON.stringify({ ...form, data: form.data.slice(0, 20) }),
    'not JSON': seal(SECRET, key).slice(0, 30),
  };
  for (const [what, text] of Object.entries(cases)) {
    assert.throws(
      () => unseal(text, key, '/data/keys.sealed'),
      (err: Error) => err instanceof UnavailableError && /^\/data\/keys\.sealed is damaged or was altered: .*restore it from a backup/.test(err.message),
      what,
    );
  }
  // The key id is authenticated with the data: pointing it at another key is no way around the check.
  const other = newUnlockKey();
  const otherId = (JSON.parse(seal(SECRET, other)) as { keyId: string }).keyId;
  assert.throws(() => unseal(JSON.stringify({ ...form, keyId: otherId }), other, 'keys.sealed'), UnavailableError);
});

test('shredFile overwrites a key file before removing it; a missing file is fine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-shred-'));
  try {
    const file = join(dir, 'store.key');
    writeFileSync(file, 'ab'.repeat(32) + '\n', { mode: 0o600 });
    // A second name for the same inode shows what became of the bytes.
    linkSync(file, join(dir, 'witness'));
    shredFile(file);
    assert.deepEqual(readdirSync(dir), ['witness']);
    assert.deepEqual(readFileSync(join(dir, 'witness')), Buffer.alloc(65), 'the key bytes were overwritten');
    shredFile(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
