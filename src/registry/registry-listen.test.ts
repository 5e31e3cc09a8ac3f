import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRegistryListen } from './registry.js';

test('off loopback the registry needs TLS; on loopback plain HTTP is accepted', () => {
  assert.throws(() => checkRegistryListen('0.0.0.0:5000'), /refusing to serve the registry on 0\.0\.0\.0:5000 without TLS: .*--tls-cert FILE --tls-key FILE/);
  assert.throws(() => checkRegistryListen('10.1.2.3:5000'), /--registry-tls-cert FILE --registry-tls-key FILE/);
  assert.deepEqual(checkRegistryListen('0.0.0.0:5000', true), { host: '0.0.0.0', port: 5000 });
  assert.deepEqual(checkRegistryListen('127.0.0.1:5000'), { host: '127.0.0.1', port: 5000 });
});
