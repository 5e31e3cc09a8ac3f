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
