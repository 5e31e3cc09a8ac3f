import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixedTimestamp, parseUnixTimestamp, unixToFixed } from './log-time.js';

test('engine timestamps become fixed UTC RFC3339Nano with nine fraction digits', () => {
  assert.equal(fixedTimestamp('2024-05-01T10:20:30Z'), '2024-05-01T10:20:30.000000000Z');
  assert.equal(fixedTimestamp('2024-05-01T10:20:30.5Z'), '2024-05-01T10:20:30.500000000Z');
  assert.equal(fixedTimestamp('2024-05-01T10:20:30.123456789Z'), '2024-05-01T10:20:30.123456789Z');
  assert.equal(fixedTimestamp('2024-05-01T12:20:30.000001+02:00'), '2024-05-01T10:20:30.000001000Z');
  assert.equal(fixedTimestamp('2024-05-01T00:20:30-01:00'), '2024-05-01T01:20:30.000000000Z');
  for (const bad of ['', 'hello', '2024-05-01 10:20:30Z', '2024-05-01T10:20:30.1234567891Z', '2024-13-45T10:20:30Z']) {
    assert.equal(fixedTimestamp(bad), undefined, bad);
  }
});

test('fixed timestamps compare as strings in time order, nanoseconds included', () => {
  const a = fixedTimestamp('2024-05-01T10:20:30.000000001Z')!;
  const b = fixedTimestamp('2024-05-01T10:20:30.00000001Z')!;
  const c = fixedTimestamp('2024-05-01T12:20:30.5+02:00')!;
  assert.ok(a < b && b < c);
});

test('since as the docker CLI sends it: unix seconds with an optional fraction', () => {
  assert.equal(parseUnixTimestamp('0'), '1970-01-01T00:00:00.000000000Z');
  assert.equal(parseUnixTimestamp('1700000000'), '2023-11-14T22:13:20.000000000Z');
  assert.equal(parseUnixTimestamp('1700000000.5'), '2023-11-14T22:13:20.500000000Z');
  assert.equal(parseUnixTimestamp('1700000000.000000042'), '2023-11-14T22:13:20.000000042Z');
  for (const bad of ['', '-5', 'abc', '1700000000.', '1.0000000001', '2024-01-01T00:00:00Z', '999999999999']) {
    assert.equal(parseUnixTimestamp(bad), undefined, bad);
  }
  assert.equal(unixToFixed(1700000000, 7), '2023-11-14T22:13:20.000000007Z');
});
