import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../types/index.js';
import { parseCount, parseDurationNs, parseMemoryBytes, parseNanoCPUs } from './units.js';

test('memory sizes use binary units like docker, with optional i and b', () => {
  assert.equal(parseMemoryBytes('512M'), 512 * 2 ** 20);
  assert.equal(parseMemoryBytes('512m'), 512 * 2 ** 20);
  assert.equal(parseMemoryBytes('1G'), 2 ** 30);
  assert.equal(parseMemoryBytes('1.5GiB'), 1.5 * 2 ** 30);
  assert.equal(parseMemoryBytes('64kb'), 64 * 1024);
  assert.equal(parseMemoryBytes('4096'), 4096);
  assert.equal(parseMemoryBytes('2 t'), 2 * 2 ** 40);
});

test('bad memory sizes are rejected with an example', () => {
  for (const bad of ['', 'M', '5X', '-1G', '1..2G', '1GG']) {
    assert.throws(() => parseMemoryBytes(bad), (e: Error) => e instanceof InvalidArgumentError && /e\.g\. 512M/.test(e.message), bad);
  }
});

test('CPU counts become NanoCPUs exactly', () => {
  assert.equal(parseNanoCPUs('0.5'), 500_000_000);
  assert.equal(parseNanoCPUs('2'), 2_000_000_000);
  assert.equal(parseNanoCPUs('1.25'), 1_250_000_000);
  assert.equal(parseNanoCPUs('0.000000001'), 1);
  assert.throws(() => parseNanoCPUs('0.0000000001'), /9 decimal places/);
  assert.throws(() => parseNanoCPUs('half'), InvalidArgumentError);
  assert.throws(() => parseNanoCPUs('-1'), InvalidArgumentError);
});

test('durations are Go syntax, in nanoseconds', () => {
  assert.equal(parseDurationNs('10s'), 10e9);
  assert.equal(parseDurationNs('1m30s'), 90e9);
  assert.equal(parseDurationNs('500ms'), 500e6);
  assert.equal(parseDurationNs('1.5h'), 1.5 * 3600e9);
  assert.equal(parseDurationNs('0'), 0);
  assert.equal(parseDurationNs('0s'), 0);
  assert.throws(() => parseDurationNs('10'), /with a unit/);
  assert.throws(() => parseDurationNs('ten seconds'), InvalidArgumentError);
});

test('counts are whole non-negative numbers', () => {
  assert.equal(parseCount('3'), 3);
  assert.equal(parseCount('0'), 0);
  for (const bad of ['-1', '1.5', 'x', '']) assert.throws(() => parseCount(bad), InvalidArgumentError, bad);
});
