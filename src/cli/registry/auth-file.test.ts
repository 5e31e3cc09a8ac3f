import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registryUrl } from './auth-file.js';

test('registry names: loopback means http, other hosts https, an explicit scheme wins', () => {
  assert.deepEqual(registryUrl('127.0.0.1:5000'), { key: '127.0.0.1:5000', url: 'http://127.0.0.1:5000' });
  assert.deepEqual(registryUrl('localhost:5001'), { key: 'localhost:5001', url: 'http://localhost:5001' });
  assert.deepEqual(registryUrl('reg.example:5000'), { key: 'reg.example:5000', url: 'https://reg.example:5000' });
  assert.deepEqual(registryUrl('https://127.0.0.1:5443'), { key: '127.0.0.1:5443', url: 'https://127.0.0.1:5443' });
  assert.deepEqual(registryUrl('https://reg.example'), { key: 'reg.example:443', url: 'https://reg.example:443' });
  assert.deepEqual(registryUrl('[::1]:5000'), { key: '[::1]:5000', url: 'http://[::1]:5000' });
  assert.throws(() => registryUrl('ftp://x:1'), /invalid registry "ftp:\/\/x:1": use HOST:PORT/);
});
