import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword, verifyPassword } from './passwords.js';

// verifyPassword remembers recent successes (logins repeat for every token); what it remembers
// must never let a wrong or changed password through.
test('verifyPassword: right again after a success, wrong stays wrong, a changed password misses', async () => {
  const first = await hashPassword('Right-pass-1');
  assert.equal(await verifyPassword('Right-pass-1', first), true);
  assert.equal(await verifyPassword('Right-pass-1', first), true);
  assert.equal(await verifyPassword('Wrong-pass-1', first), false);
  assert.equal(await verifyPassword('right-pass-1', first), false);
  const changed = await hashPassword('Other-pass-2');
  assert.equal(await verifyPassword('Right-pass-1', changed), false);
  assert.equal(await verifyPassword('Other-pass-2', changed), true);
  assert.equal(await verifyPassword('Right-pass-1', 'not-a-hash'), false);
});

test('verifyPassword: clients logging in at once share one check, and its answer', async () => {
  const stored = await hashPassword('Shared-pass-1');
  const right = [verifyPassword('Shared-pass-1', stored), verifyPassword('Shared-pass-1', stored)];
  const wrong = [verifyPassword('Shared-pass-2', stored), verifyPassword('Shared-pass-2', stored)];
  assert.equal(right[0], right[1], 'one scrypt for both');
  assert.equal(wrong[0], wrong[1]);
  assert.notEqual(right[0], wrong[0], 'a different password is a different check');
  assert.deepEqual(await Promise.all([...right, ...wrong]), [true, true, false, false]);
  // Once settled, a wrong password is checked afresh (failures are not remembered).
  const again = verifyPassword('Shared-pass-2', stored);
  assert.notEqual(again, wrong[0]);
  assert.equal(await again, false);
});
