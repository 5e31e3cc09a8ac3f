// Names, tags and digests against the spec's grammar ("Pulling manifests") and the OCI
// descriptor digest grammar.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryError } from './errors.js';
import { checkName, isTag, parseDigest, parseReference } from './names.js';

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as RegistryError).code;
  }
  return 'accepted';
};

test('repository names follow the spec regex and the 255-character cap', () => {
  for (const ok of ['a', 'library/ubuntu', 'a.b_c__d-e--f', 'x/y/z', 'a0/b1.c2', 'a'.repeat(255)]) assert.equal(checkName(ok), ok, ok);
  for (const bad of ['', 'A', 'Ubuntu', 'a/', '/a', 'a//b', '.a', 'a.', 'a..b', 'a___b', 'a/_layers', 'a/../b', 'a%2fb', 'a b', 'a'.repeat(256)]) {
    assert.equal(code(() => checkName(bad)), 'NAME_INVALID', bad);
  }
});

test('tags are [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}', () => {
  for (const ok of ['latest', 'v1.2.3', '_x', 'A-b_c.d', 'a'.repeat(128), 'sha256-abc']) assert.ok(isTag(ok), ok);
  for (const bad of ['', '.hidden', '-x', 'a/b', 'a:b', 'a'.repeat(129), 'é']) assert.ok(!isTag(bad), bad);
  assert.equal(code(() => parseReference('-bad')), 'MANIFEST_INVALID');
  assert.deepEqual(parseReference('v1'), { kind: 'tag', tag: 'v1' });
});

test('digests: sha256 and sha512 with exact lowercase hex; other algorithms and shapes are DIGEST_INVALID', () => {
  const h256 = 'a'.repeat(64);
  assert.deepEqual(parseDigest(`sha256:${h256}`), { algorithm: 'sha256', hex: h256, text: `sha256:${h256}` });
  assert.equal(parseDigest(`sha512:${'0'.repeat(128)}`).algorithm, 'sha512');
  for (const bad of [`sha256:${'a'.repeat(63)}`, `sha256:${'A'.repeat(64)}`, `sha512:${'a'.repeat(64)}`, `md5:${'a'.repeat(32)}`, 'sha256', ':abc', `SHA256:${h256}`, `sha256:${h256}:x`]) {
    assert.equal(code(() => parseDigest(bad)), 'DIGEST_INVALID', bad);
  }
  const ref = parseReference(`sha256:${h256}`);
  assert.equal(ref.kind, 'digest');
});
