import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './files.js';

test('writeFileAtomic replaces a file whole with the mode asked; a failed write changes nothing and leaves no temp file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-sealed-'));
  try {
    const file = join(dir, 'keys.sealed');
    writeFileAtomic(file, 'one', 0o600);
    writeFileAtomic(file, 'two', 0o600);
    assert.equal(readFileSync(file, 'utf8'), 'two');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['keys.sealed']);

    // The rename onto a non-empty directory fails after the data was written: the target stays as it was.
    const blocked = join(dir, 'blocked');
    mkdirSync(blocked);
    writeFileSync(join(blocked, 'inside'), 'kept');
    assert.throws(() => writeFileAtomic(blocked, 'new', 0o600), /ENOTEMPTY|EISDIR|EEXIST/);
    assert.equal(readFileSync(join(blocked, 'inside'), 'utf8'), 'kept');
    assert.deepEqual(readdirSync(dir).sort(), ['blocked', 'keys.sealed'], 'no temp file left');
    assert.throws(() => writeFileAtomic(join(dir, 'missing', 'x'), 'new', 0o600), /ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
