import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../types/index.js';
import { parseUntil } from './until.js';

const NOW = Date.UTC(2024, 5, 15, 12, 0, 0);

test('until: a Go duration back from now, "0" being the epoch', () => {
  assert.equal(parseUntil('24h', NOW), NOW - 86_400_000);
  assert.equal(parseUntil('1h30m', NOW), NOW - 5_400_000);
  assert.equal(parseUntil('1.5h', NOW), NOW - 5_400_000);
  assert.equal(parseUntil('500ms', NOW), NOW - 500);
  assert.equal(parseUntil('-10m', NOW), NOW + 600_000, 'a negative duration is ahead of now');
  assert.equal(parseUntil('0', NOW), 0);
});

test('until: RFC 3339 with a zone, or in the manager’s local time without one', () => {
  assert.equal(parseUntil('2024-01-02T15:04:05Z', NOW), Date.UTC(2024, 0, 2, 15, 4, 5));
  assert.equal(parseUntil('2024-01-02T15:04:05.25+02:00', NOW), Date.UTC(2024, 0, 2, 13, 4, 5, 250));
  assert.equal(parseUntil('2024-01-02T15:04', NOW), new Date(2024, 0, 2, 15, 4).getTime());
  assert.equal(parseUntil('2024-01-02', NOW), new Date(2024, 0, 2).getTime());
});

test('until: unix seconds with an optional fraction', () => {
  assert.equal(parseUntil('1700000000', NOW), 1_700_000_000_000);
  assert.equal(parseUntil('1700000000.5', NOW), 1_700_000_000_500);
});

test('until: anything else is a 400 naming the value', () => {
  for (const bad of ['yesterday', '', '2024-13-01', '2024-01-02T25:00', '1d', 'h', '1.2.3']) {
    assert.throws(() => parseUntil(bad, NOW), (e: unknown) => e instanceof InvalidArgumentError && e.message.startsWith(`invalid filter 'until=${bad}'`), bad);
  }
});
