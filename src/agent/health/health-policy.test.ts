import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { msToNs } from '../../common/time.js';
import { TaskError } from '../engine/engine-errors.js';
import { HealthCounter, healthPolicy, probeArgv, unhealthyError } from './health-policy.js';

describe('healthPolicy', () => {
  test("Docker's defaults fill what the test leaves out", () => {
    assert.deepEqual(healthPolicy({ Test: ['CMD', 'true'] }, undefined), {
      argv: ['true'],
      intervalMs: 30_000,
      timeoutMs: 30_000,
      retries: 3,
      startPeriodMs: 0,
    });
  });

  test('durations are nanoseconds', () => {
    const p = healthPolicy({ Test: ['CMD', 'true'], Interval: msToNs(300), Timeout: msToNs(50), Retries: 2, StartPeriod: msToNs(1_000) }, undefined);
    assert.deepEqual(p && [p.intervalMs, p.timeoutMs, p.retries, p.startPeriodMs], [300, 50, 2, 1_000]);
  });

  test("no healthcheck, or NONE, disables gating even over the image's", () => {
    assert.equal(healthPolicy(undefined, undefined), undefined);
    assert.equal(healthPolicy({}, {}), undefined);
    assert.equal(healthPolicy({ Test: ['NONE'] }, { Test: ['CMD', 'true'] }), undefined);
  });

  test("the image's check applies; the service's fields override it one by one", () => {
    const image = { Test: ['CMD-SHELL', 'probe'], Interval: msToNs(5_000), Retries: 7 };
    assert.deepEqual(healthPolicy(undefined, image)?.argv, ['/bin/sh', '-c', 'probe']);
    const merged = healthPolicy({ Interval: msToNs(1_000) }, image);
    assert.deepEqual(merged && [merged.argv, merged.intervalMs, merged.retries], [['/bin/sh', '-c', 'probe'], 1_000, 7]);
    assert.deepEqual(healthPolicy({ Test: ['CMD', 'mine'] }, image)?.argv, ['mine']);
  });
});

describe('probeArgv', () => {
  test('CMD runs its arguments as they are; CMD-SHELL goes through /bin/sh -c', () => {
    assert.deepEqual(probeArgv(['CMD', 'curl', '-f', 'http://localhost/']), ['curl', '-f', 'http://localhost/']);
    assert.deepEqual(probeArgv(['CMD-SHELL', 'test -f /tmp/ok || exit 1']), ['/bin/sh', '-c', 'test -f /tmp/ok || exit 1']);
  });

  test('an unknown kind or a missing command is a task error', () => {
    assert.throws(() => probeArgv(['SHELL', 'x']), TaskError);
    assert.throws(() => probeArgv(['CMD']), TaskError);
  });
});

describe('HealthCounter', () => {
  test('retries consecutive failures make it unhealthy; a success resets the streak', () => {
    const c = new HealthCounter({ retries: 3, startPeriodMs: 0 }, 0);
    assert.equal(c.record(false, 10), 'starting');
    assert.equal(c.record(false, 20), 'starting');
    assert.equal(c.record(true, 30), 'healthy');
    assert.equal(c.record(false, 40), 'healthy');
    assert.equal(c.record(false, 50), 'healthy');
    assert.equal(c.record(false, 60), 'unhealthy');
  });

  test('failures inside the start period do not count, unless the container was healthy already', () => {
    const c = new HealthCounter({ retries: 1, startPeriodMs: 1_000 }, 0);
    assert.equal(c.record(false, 500), 'starting');
    assert.equal(c.record(false, 999), 'starting');
    assert.equal(c.record(false, 1_000), 'unhealthy');

    const early = new HealthCounter({ retries: 1, startPeriodMs: 1_000 }, 0);
    assert.equal(early.record(true, 100), 'healthy');
    assert.equal(early.record(false, 200), 'unhealthy');
  });
});

describe('unhealthyError', () => {
  test("Swarm's text, with the last check's output when short", () => {
    assert.equal(unhealthyError(undefined), 'unhealthy container');
    assert.equal(unhealthyError('  \n'), 'unhealthy container');
    assert.equal(unhealthyError('curl: (7) refused\n'), 'unhealthy container: curl: (7) refused');
    assert.equal(unhealthyError('x'.repeat(500)), 'unhealthy container');
  });
});
