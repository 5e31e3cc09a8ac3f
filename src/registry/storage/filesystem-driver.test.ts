// The storage driver contract, on the filesystem driver: what any driver (an S3 one later) must
// do for the stores above it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { FilesystemDriver } from './filesystem-driver.js';
import { PathNotFoundError } from './storage-driver.js';

async function withDriver(fn: (driver: FilesystemDriver, root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'berth-fsdriver-'));
  try {
    await fn(await FilesystemDriver.open(root), root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

const text = async (r: Readable): Promise<string> => {
  let s = '';
  for await (const c of r) s += (c as Buffer).toString();
  return s;
};

test('whole objects: put, get, overwrite; missing paths are PathNotFoundError; no temporary files stay', () =>
  withDriver(async (driver, root) => {
    await driver.putContent('a/b/c', Buffer.from('one'));
    assert.equal((await driver.getContent('a/b/c')).toString(), 'one');
    await driver.putContent('a/b/c', Buffer.from('two'));
    assert.equal((await driver.getContent('a/b/c')).toString(), 'two');
    await assert.rejects(driver.getContent('a/b/x'), PathNotFoundError);
    await assert.rejects(driver.getContent('a/b'), PathNotFoundError);
    await assert.rejects(driver.reader('nope'), PathNotFoundError);
    assert.deepEqual(await readdir(join(root, '.tmp')), []);
  }));

test('append streams in and returns the new size; reader serves ranges', () =>
  withDriver(async (driver) => {
    assert.equal(await driver.append('up/data', Readable.from([Buffer.from('hello ')])), 6);
    assert.equal(await driver.append('up/data', Readable.from([Buffer.from('wor'), Buffer.from('ld')])), 11);
    assert.equal(await text(await driver.reader('up/data')), 'hello world');
    assert.equal(await text(await driver.reader('up/data', 6, 3)), 'wor');
    assert.equal(await text(await driver.reader('up/data', 6)), 'world');
    assert.equal(await text(await driver.reader('up/data', 3, 0)), '');
    assert.equal(await driver.append('empty', Readable.from([])), 0);
    assert.equal((await driver.stat('empty'))?.size, 0);
  }));

/** sent collects what a source writes, chunk by chunk. */
async function sent(driver: FilesystemDriver, path: string, offset?: number, length?: number): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(Buffer.from(chunk));
      done();
    },
  });
  await (await driver.source(path, offset, length)).sendTo(out);
  return chunks;
}

test('a source sends the bytes asked for; a body over one piece starts with small writes, a short one goes whole', () =>
  withDriver(async (driver, root) => {
    const big = randomBytes(3 * 1024 * 1024 + 12345);
    await writeFile(join(root, 'big'), big);
    const whole = await sent(driver, 'big');
    assert.deepEqual(Buffer.concat(whole), big);
    // The receiver's window is fixed by the first segments (file-source.ts): 4 KiB, then 8 KiB ones.
    assert.deepEqual(whole.slice(0, 10).map((c) => c.length), [4096, 8192, 8192, 8192, 8192, 8192, 8192, 8192, 8192, 1024 * 1024 - 69632]);
    assert.deepEqual(Buffer.concat(await sent(driver, 'big', 1000, 2 * 1024 * 1024)), big.subarray(1000, 1000 + 2 * 1024 * 1024));
    const short = await sent(driver, 'big', 5, 1024 * 1024);
    assert.deepEqual(short.map((c) => c.length), [1024 * 1024]);
    assert.deepEqual(Buffer.concat(short), big.subarray(5, 5 + 1024 * 1024));
  }));

test('a source that fails midway keeps the bytes that landed; one that fails at once writes nothing', () =>
  withDriver(async (driver) => {
    let reads = 0;
    const source = new Readable({
      read() {
        if (reads++ === 0) this.push(Buffer.from('partial'));
        else setTimeout(() => this.destroy(new Error('client went away')), 20);
      },
    });
    await assert.rejects(driver.append('p', source), /client went away/);
    assert.equal((await driver.getContent('p')).toString(), 'partial');
    const early = new Readable({ read() {} });
    early.destroy(new Error('gone before the file opened'));
    await assert.rejects(driver.append('q', early), /gone before/);
    assert.equal((await driver.stat('q'))?.size ?? 0, 0);
  }));

test('stat, list (sorted names of direct children), move, delete; empty prefixes vanish as on an object store', () =>
  withDriver(async (driver) => {
    await driver.putContent('r/x/1', Buffer.from('a'));
    await driver.putContent('r/x/2', Buffer.from('bb'));
    await driver.putContent('r/y/deep/3', Buffer.from('c'));
    assert.deepEqual(await driver.list('r'), ['x', 'y']);
    assert.deepEqual(await driver.list('r/x'), ['1', '2']);
    assert.deepEqual(await driver.list('missing'), []);
    assert.equal((await driver.stat('r/x/2'))?.size, 2);
    assert.equal((await driver.stat('r/x'))?.isDirectory, true);
    assert.equal(await driver.stat('r/z'), undefined);

    await driver.move('r/y/deep/3', 'final/place/3');
    assert.equal((await driver.getContent('final/place/3')).toString(), 'c');
    assert.equal(await driver.stat('r/y'), undefined, 'the emptied source prefix is gone');
    await assert.rejects(driver.move('r/y/deep/3', 'elsewhere'), PathNotFoundError);
    await driver.putContent('other', Buffer.from('old'));
    await driver.move('final/place/3', 'other');
    assert.equal((await driver.getContent('other')).toString(), 'c', 'move replaces');

    await driver.delete('r/x/1');
    assert.deepEqual(await driver.list('r/x'), ['2']);
    await driver.delete('r');
    assert.equal(await driver.stat('r'), undefined);
    await driver.delete('never/was');
  }));

test('paths cannot leave the root or reach the driver\'s own temporary files', () =>
  withDriver(async (driver) => {
    for (const bad of ['', '/abs', 'a/../b', 'a//b', './a', '.tmp/x', 'a/\0']) {
      await assert.rejects(driver.getContent(bad), /invalid path/, bad);
    }
  }));

test('opening sweeps temporary files a crash left behind, but not fresh ones', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-fsdriver-'));
  try {
    await FilesystemDriver.open(root);
    await writeFile(join(root, '.tmp', 'old'), 'x');
    await writeFile(join(root, '.tmp', 'fresh'), 'x');
    const past = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(join(root, '.tmp', 'old'), past, past);
    await FilesystemDriver.open(root);
    assert.deepEqual(await readdir(join(root, '.tmp')), ['fresh']);
    assert.ok((await stat(join(root, '.tmp'))).isDirectory());
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
