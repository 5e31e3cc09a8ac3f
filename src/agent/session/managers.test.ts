import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DISPATCHER_PATH, RENEW_PATH } from '../../types/index.js';
import { managerOrder, redirectTarget, validManagers } from './managers.js';

test('a redirect is followed only to https://HOST:PORT and the same path', () => {
  assert.equal(redirectTarget(`https://10.0.0.2:2377${DISPATCHER_PATH}`, DISPATCHER_PATH), '10.0.0.2:2377');
  assert.equal(redirectTarget(`https://[fd00::2]:2377${RENEW_PATH}`, RENEW_PATH), '[fd00::2]:2377');
  for (const location of [
    undefined,
    ['https://a:1/x'],
    `http://10.0.0.2:2377${DISPATCHER_PATH}`, // TLS is not given up
    `wss://10.0.0.2:2377${DISPATCHER_PATH}`,
    `https://10.0.0.2${DISPATCHER_PATH}`, // no port
    `https://user@10.0.0.2:2377${DISPATCHER_PATH}`,
    `https://10.0.0.2:2377/elsewhere`,
    `https://10.0.0.2:2377${RENEW_PATH}`, // another route
    `https://10.0.0.2:2377/x${DISPATCHER_PATH}`,
    `//10.0.0.2:2377${DISPATCHER_PATH}`,
  ]) {
    assert.equal(redirectTarget(location, DISPATCHER_PATH), undefined, String(location));
  }
});

test('a list of managers is at most 16 HOST:PORTs, else none', () => {
  assert.deepEqual(validManagers(['10.0.0.1:2377', 'mgr-2.example:2377', '[::1]:2377']), ['10.0.0.1:2377', 'mgr-2.example:2377', '[::1]:2377']);
  assert.deepEqual(validManagers([]), []);
  const many = Array.from({ length: 17 }, (_, i) => `10.0.0.${i}:2377`);
  assert.deepEqual(validManagers(many.slice(0, 16)), many.slice(0, 16));
  for (const bad of [many, 'mgr:2377', ['mgr'], ['mgr:2377', 7], ['mgr:2377/x'], ['a b:1'], null]) assert.equal(validManagers(bad), undefined, JSON.stringify(bad));
});

test('sessions try the last leader, then the managers it named, then the address joined, each once', () => {
  assert.deepEqual(managerOrder({ manager: 'b:1', managers: ['b:1', 'c:1', 'a:1'], joined: 'a:1' }), ['b:1', 'c:1', 'a:1']);
  assert.deepEqual(managerOrder({ manager: 'a:1', managers: [], joined: 'a:1' }), ['a:1']);
  assert.deepEqual(managerOrder({ manager: 'b:1', managers: ['c:1'], joined: 'a:1' }), ['b:1', 'c:1', 'a:1']);
});
