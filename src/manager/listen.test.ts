import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertLoopback, parseListen } from './listen.js';
import { InvalidArgumentError } from '../types/index.js';

test('listen addresses parse; only loopback is allowed until TLS', () => {
  assert.deepEqual(parseListen('127.0.0.1:7420'), { host: '127.0.0.1', port: 7420 });
  assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  for (const ok of ['127.0.0.1:1', 'localhost:7420', '[::1]:7420', '127.1.2.3:80']) assertLoopback(parseListen(ok));
  for (const bad of ['0.0.0.0:7420', '10.1.2.3:7420', ':7420', '[::]:7420']) {
    assert.throws(() => assertLoopback(parseListen(bad)), (e: Error) => e instanceof InvalidArgumentError && /without TLS/.test(e.message), bad);
  }
  for (const bad of ['7420', 'host:port', '127.0.0.1:70000']) assert.throws(() => parseListen(bad), /invalid listen address/);
});
