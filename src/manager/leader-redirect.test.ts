import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CA_PATH, DISPATCHER_PATH, JOIN_PATH, RENEW_PATH } from '../types/index.js';
import { followerAnswer } from './leader-redirect.js';

test('the leader (or a lone manager) serves everything itself', () => {
  for (const [method, path] of [['GET', DISPATCHER_PATH], ['POST', JOIN_PATH], ['POST', RENEW_PATH], ['GET', CA_PATH]] as const) {
    assert.equal(followerAnswer(method, path, undefined), undefined);
  }
});

test('a follower sends the session, joins and renewals to the leader, keeping the path; the root it serves itself', () => {
  for (const [method, path] of [['GET', DISPATCHER_PATH], ['POST', JOIN_PATH], ['POST', RENEW_PATH]] as const) {
    assert.deepEqual(followerAnswer(method, path, '10.0.0.2:2377'), {
      status: 307,
      message: 'this manager is not the leader; the leader is at 10.0.0.2:2377',
      headers: { location: `https://10.0.0.2:2377${path}` },
    });
  }
  assert.equal(followerAnswer('GET', CA_PATH, '10.0.0.2:2377'), undefined);
  assert.equal(followerAnswer('GET', JOIN_PATH, '10.0.0.2:2377'), undefined, 'not a route: the 404 as before');
  assert.equal(followerAnswer('GET', '/elsewhere', '10.0.0.2:2377'), undefined);
  assert.equal(followerAnswer('POST', RENEW_PATH, '[fd00::2]:2377')?.headers.location, `https://[fd00::2]:2377${RENEW_PATH}`);
});

test('with no leader known, or an address that is not HOST:PORT, the answer is 503: retry', () => {
  for (const leader of [null, 'mgr:2377\r\nX-Injected: 1', 'https://mgr:2377', 'mgr']) {
    assert.deepEqual(followerAnswer('POST', JOIN_PATH, leader), { status: 503, message: 'no leader is elected yet: retry in a moment', headers: {} }, String(leader));
  }
  assert.equal(followerAnswer('GET', CA_PATH, null), undefined, 'the root is served during an election too');
});
