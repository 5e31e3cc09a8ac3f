import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogRing } from './log-ring.js';

const TS = '2024-01-01T00:00:00.000000000Z';

test('lines are numbered from 1 in push order', () => {
  const r = new LogRing(10, 1000);
  assert.equal(r.firstSeq, 1);
  assert.equal(r.lastSeq, 0);
  assert.equal(r.firstTs, undefined);
  for (let i = 1; i <= 3; i++) assert.equal(r.push(TS, i === 2 ? 2 : 1, `l${i}\n`).seq, i);
  assert.deepEqual(r.read(1, 1000).lines.map((l) => [l.seq, l.stream, l.data]), [[1, 1, 'l1\n'], [2, 2, 'l2\n'], [3, 1, 'l3\n']]);
  assert.equal(r.read(1, 1000).dropped, 0);
});

test('the ring keeps the newest lines within its line bound; a reader behind is told how many it lost', () => {
  const r = new LogRing(4, 10_000);
  for (let i = 1; i <= 10; i++) r.push(TS, 1, `l${i}`);
  assert.equal(r.firstSeq, 7);
  assert.equal(r.lastSeq, 10);
  assert.equal(r.size, 4);
  assert.equal(r.bytes, 'l7l8l9l10'.length);
  const behind = r.read(3, 10_000);
  assert.equal(behind.dropped, 4); // 3, 4, 5, 6 are gone
  assert.deepEqual(behind.lines.map((l) => l.seq), [7, 8, 9, 10]);
  assert.deepEqual(r.read(9, 10_000).lines.map((l) => l.seq), [9, 10]);
  assert.equal(r.read(9, 10_000).dropped, 0);
  assert.deepEqual(r.read(11, 10_000), { dropped: 0, lines: [] });
});

test('the byte bound evicts too, but the newest line always stays', () => {
  const r = new LogRing(100, 10);
  r.push(TS, 1, 'aaaa');
  r.push(TS, 1, 'bbbb');
  r.push(TS, 1, 'cccc'); // 12 bytes: the first goes
  assert.equal(r.firstSeq, 2);
  assert.equal(r.bytes, 8);
  r.push(TS, 1, 'x'.repeat(50)); // larger than the bound alone
  assert.equal(r.size, 1);
  assert.equal(r.firstSeq, 4);
  assert.equal(r.read(1, 100).dropped, 3);
});

test('read stops at maxBytes (at least one line) and at until; dropped counts only up to until', () => {
  const r = new LogRing(100, 10_000);
  for (let i = 1; i <= 6; i++) r.push(TS, 1, 'xxxxx');
  assert.deepEqual(r.read(1, 12).lines.map((l) => l.seq), [1, 2, 3]);
  assert.deepEqual(r.read(1, 1).lines.map((l) => l.seq), [1]);
  assert.deepEqual(r.read(2, 10_000, 4).lines.map((l) => l.seq), [2, 3, 4]);
  const small = new LogRing(2, 10_000);
  for (let i = 1; i <= 6; i++) small.push(TS, 1, 'x');
  assert.equal(small.read(1, 100, 3).dropped, 3);
  assert.deepEqual(small.read(1, 100, 3).lines, []);
});

test('release frees the lines; numbering continues', () => {
  const r = new LogRing(4, 100);
  r.push(TS, 1, 'a');
  r.push(TS, 1, 'b');
  r.release();
  assert.equal(r.size, 0);
  assert.equal(r.bytes, 0);
  assert.equal(r.firstSeq, 3);
  assert.equal(r.read(1, 100).dropped, 2);
  assert.equal(r.push(TS, 1, 'c').seq, 3);
});
