import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InvalidArgumentError } from '../../types/index.js';
import { checkSchedule, nextRun } from './schedule.js';

const at = (iso: string): number => Date.parse(iso);

test('an interval is due that long after the last run', () => {
  assert.deepEqual(checkSchedule({ IntervalSeconds: 3600, Other: 1 }, 'Schedule'), { IntervalSeconds: 3600 });
  assert.equal(nextRun({ IntervalSeconds: 3600 }, at('2026-11-22T10:20:00Z')), at('2026-11-22T11:20:00Z'));
});

test('a cron schedule is due at the next time it names, in UTC, with five fields or six (seconds first, as Harbor writes them)', () => {
  assert.deepEqual(checkSchedule({ Cron: '0 3 * * *' }, 'Schedule'), { Cron: '0 3 * * *' });
  assert.equal(nextRun({ Cron: '0 3 * * *' }, at('2026-11-22T10:20:00Z')), at('2026-11-23T03:00:00Z'));
  assert.equal(nextRun({ Cron: '0 0 3 * * *' }, at('2026-11-22T02:59:59Z')), at('2026-11-22T03:00:00Z'));
  assert.equal(nextRun({ Cron: '0 0 3 * * *' }, at('2026-11-22T03:00:00Z')), at('2026-11-23T03:00:00Z'), 'strictly after the last run');
  assert.equal(nextRun({ Cron: '*/10 * * * * *' }, at('2026-11-22T10:20:01.500Z')), at('2026-11-22T10:20:10Z'));
  assert.equal(nextRun({ Cron: '0 0 * * 0' }, at('2026-11-22T10:00:00Z')), at('2026-11-29T00:00:00Z'), 'Sundays');
});

test('bad schedules are refused with the field named and an example', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{}, /^Trigger must have one of IntervalSeconds \(e\.g\. 86400, once a day\) or Cron \(e\.g\. "0 0 3 \* \* \*", 03:00 UTC every day\), not neither$/],
    [{ IntervalSeconds: 60, Cron: '* * * * *' }, /, not both$/],
    [{ IntervalSeconds: 0 }, /^Trigger\.IntervalSeconds must be a whole number of seconds from 1 to 31622400/],
    [{ IntervalSeconds: 1.5 }, /^Trigger\.IntervalSeconds must be a whole number/],
    [{ IntervalSeconds: '60' }, /^Trigger\.IntervalSeconds must be a whole number/],
    [{ Cron: 5 }, /^Trigger\.Cron must be a string such as "0 0 3 \* \* \*"/],
    [{ Cron: 'daily' }, /^Trigger\.Cron "daily" is not a cron expression \(.+\): write five fields \(minute hour day month weekday\) or six with seconds first/],
    [{ Cron: '61 * * * *' }, /^Trigger\.Cron "61 \* \* \* \*" is not a cron expression \(.*minute.*\)/],
    [{ Cron: '0 0 30 2 *' }, /^Trigger\.Cron "0 0 30 2 \*" never matches a time from now on$/],
  ];
  for (const [value, message] of cases) {
    assert.throws(() => checkSchedule(value, 'Trigger'), (err: Error) => err instanceof InvalidArgumentError && message.test(err.message), JSON.stringify(value));
  }
});
