import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TooManyRequestsError } from '../types/index.js';
import { LoginLimiter, MAX_FAILURES } from './login-limit.js';

test('an account is blocked from one address after MAX_FAILURES within the window, for a while; a success clears the count', () => {
  let now = 0;
  const limiter = new LoginLimiter(() => now);
  for (let i = 0; i < MAX_FAILURES - 1; i++) limiter.failed('ann', '10.0.0.1');
  limiter.check('ann', '10.0.0.1');
  limiter.succeeded('ann', '10.0.0.1');
  for (let i = 0; i < MAX_FAILURES - 1; i++) limiter.failed('ann', '10.0.0.1');
  limiter.check('ann', '10.0.0.1'); // the success started the count again
  limiter.failed('ann', '10.0.0.1');
  assert.throws(() => limiter.check('ann', '10.0.0.1'), (err: unknown) => err instanceof TooManyRequestsError && err.retryAfterS === 300);
  limiter.check('ann', '10.0.0.2');
  limiter.check('bob', '10.0.0.1');
  now += 301_000;
  limiter.check('ann', '10.0.0.1');
  // Failures spread wider than the window never add up to a block.
  for (let i = 0; i < 3 * MAX_FAILURES; i++) {
    now += 60_000;
    limiter.failed('cy', '10.0.0.3');
    if (i % 5 === 4) now += 300_000;
  }
  limiter.check('cy', '10.0.0.3');
});
