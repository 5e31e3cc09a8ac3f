import { test } from 'node:test';
import assert from 'node:assert/strict';
import { familiar, parseImageReference, registryHost } from './image-reference.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

test('image references resolve their registry as docker does', () => {
  assert.deepEqual(parseImageReference('busybox'), { registry: 'docker.io', repository: 'library/busybox' });
  assert.deepEqual(parseImageReference('team/app:1'), { registry: 'docker.io', repository: 'team/app', tag: '1' });
  assert.deepEqual(parseImageReference('127.0.0.1:5000/team/app:1'), { registry: '127.0.0.1:5000', repository: 'team/app', tag: '1' });
  assert.deepEqual(parseImageReference('localhost/app'), { registry: 'localhost', repository: 'app' });
  assert.deepEqual(parseImageReference(`reg.example/app:2@${DIGEST}`), { registry: 'reg.example', repository: 'app', tag: '2', digest: DIGEST });
  assert.equal(registryHost(parseImageReference('busybox')), 'registry-1.docker.io');
});

test('familiar names are the CLI\'s: no docker.io/library, latest when untagged', () => {
  assert.equal(familiar(parseImageReference('docker.io/library/busybox')), 'busybox:latest');
  assert.equal(familiar(parseImageReference(`127.0.0.1:5000/a@${DIGEST}`)), `127.0.0.1:5000/a@${DIGEST}`);
});

test('malformed references are refused in the CLI\'s words', () => {
  for (const bad of ['', 'a//b', 'app:-x', 'app@sha256:123', 'upper/Case', 'a/b:']) {
    assert.throws(() => parseImageReference(bad), /^InvalidArgumentError: invalid reference format/, bad);
  }
});
