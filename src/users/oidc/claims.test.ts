import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ForbiddenError } from '../../types/index.js';
import { groupsOf, MAX_GROUPS, usernameOf } from './claims.js';

test('groups: a list of names, deduplicated and sorted; absent is none', () => {
  assert.deepEqual(groupsOf({ groups: ['b', 'a', 'b'] }, 'groups'), ['a', 'b']);
  assert.deepEqual(groupsOf({}, 'groups'), []);
  assert.deepEqual(groupsOf({ roles: ['x'] }, 'roles'), ['x']);
});

test('groups: anything but a bounded list of non-empty strings is refused', () => {
  for (const bad of ['admins', 42, { a: 1 }, [1], [''], ['x'.repeat(256)], Array.from({ length: MAX_GROUPS + 1 }, (_, i) => `g${i}`)]) {
    assert.throws(() => groupsOf({ groups: bad }, 'groups'), ForbiddenError, JSON.stringify(bad).slice(0, 40));
  }
});

test('the user name: the configured claim, else the email, lower-cased, within the name rule', () => {
  assert.equal(usernameOf({ preferred_username: 'Alice' }, 'preferred_username'), 'alice');
  assert.equal(usernameOf({ email: 'bob.smith' }, 'preferred_username'), 'bob.smith');
  assert.throws(() => usernameOf({ email: 'bob@example.com' }, 'preferred_username'), /not a user name/);
  assert.throws(() => usernameOf({ sub: '1' }, 'preferred_username'), /neither a "preferred_username" nor an "email"/);
  assert.throws(() => usernameOf({ preferred_username: 'x'.repeat(300) }, 'preferred_username'), ForbiddenError);
});
