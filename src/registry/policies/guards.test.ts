// The guards seam: a refusal reaches the client as DENIED and nothing of the change is written.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { RegistryError } from '../distribution/errors.js';
import type { BlobCommitIntent, DeleteIntent, ManifestPutIntent } from './guards.js';
import { OCI_MANIFEST } from '../distribution/manifests.js';
import { pushImage, req, sha256, startRegistry, withQuery, type TestRegistry } from '../distribution/test-helpers.js';

let reg: TestRegistry;
const asked: { put: ManifestPutIntent[]; commit: BlobCommitIntent[]; del: DeleteIntent[] } = { put: [], commit: [], del: [] };
const deny = (what: string): RegistryError => new RegistryError('DENIED', 403, `refused: ${what}`);
before(async () => {
  reg = await startRegistry({
    guards: [
      {
        manifestPut: async (i) => {
          asked.put.push(i);
          if (i.tag === 'frozen' && i.currentTagDigest && i.currentTagDigest !== i.digest.text) throw deny('tag frozen');
        },
        blobCommit: async (i) => {
          asked.commit.push(i);
          if (i.size === 13) throw deny('13 bytes');
        },
        delete: async (i) => {
          asked.del.push(i);
          if (i.tags.includes('frozen')) throw deny('tag frozen');
        },
      },
    ],
  });
});
after(() => reg.close());

test('a manifest push is asked about with its tag, the tag current target and the blob sizes; a refusal leaves the tag alone', async () => {
  const first = await pushImage(reg, 'guarded/app', 'frozen');
  const intent = asked.put.at(-1)!;
  assert.equal(intent.repository, 'guarded/app');
  assert.equal(intent.tag, 'frozen');
  assert.equal(intent.currentTagDigest, undefined);
  assert.equal(intent.digest.text, first.digest);
  assert.deepEqual(
    intent.blobs.map((b) => [b.digest.text, b.size]),
    [first.config, ...first.layers].map((b) => [sha256(b), b.length]),
  );

  const second = await pushImage(reg, 'guarded/app', undefined, { seed: 'second' });
  const res = await req(reg, 'PUT', '/v2/guarded/app/manifests/frozen', { body: second.manifest, headers: { 'Content-Type': OCI_MANIFEST } });
  assert.equal(res.status, 403);
  assert.deepEqual(res.codes(), ['DENIED']);
  assert.equal((await req(reg, 'GET', '/v2/guarded/app/manifests/frozen')).headers.get('docker-content-digest'), first.digest);
  assert.equal(asked.put.at(-1)!.currentTagDigest, first.digest);
});

test('two first pushes to one tag at once: the second is checked against the first, so a frozen tag is not moved', async () => {
  const [a, b] = await Promise.all(['race a', 'race b'].map((seed) => pushImage(reg, 'guarded/race', undefined, { seed })));
  const put = (img: { manifest: Buffer }): Promise<{ status: number }> =>
    req(reg, 'PUT', '/v2/guarded/race/manifests/frozen', { body: img.manifest, headers: { 'Content-Type': OCI_MANIFEST } });
  const results = await Promise.all([put(a!), put(b!)]);
  assert.deepEqual(results.map((r) => r.status).sort(), [201, 403]);
  const winner = results[0]!.status === 201 ? a! : b!;
  assert.equal((await req(reg, 'GET', '/v2/guarded/race/manifests/frozen')).headers.get('docker-content-digest'), winner.digest);
});

test('a delete is asked about with the tags it removes; a refusal keeps them', async () => {
  const img = await pushImage(reg, 'guarded/del', 'frozen');
  const byDigest = await req(reg, 'DELETE', `/v2/guarded/del/manifests/${img.digest}`);
  assert.equal(byDigest.status, 403);
  assert.deepEqual(asked.del.at(-1), { repository: 'guarded/del', tags: ['frozen'], digest: asked.del.at(-1)!.digest });
  assert.equal(asked.del.at(-1)!.digest?.text, img.digest);
  assert.equal((await req(reg, 'DELETE', '/v2/guarded/del/manifests/frozen')).status, 403);
  assert.equal((await req(reg, 'GET', '/v2/guarded/del/manifests/frozen')).status, 200);
});

test('a refused blob commit is not visible', async () => {
  const content = 'thirteen byte';
  const start = await req(reg, 'POST', '/v2/guarded/blob/blobs/uploads/');
  const put = await req(reg, 'PUT', withQuery(start.headers.get('location')!, { digest: sha256(content) }), { body: content });
  assert.equal(put.status, 403);
  assert.deepEqual(asked.commit.at(-1), { repository: 'guarded/blob', digest: asked.commit.at(-1)!.digest, size: 13 });
  assert.equal((await req(reg, 'HEAD', `/v2/guarded/blob/blobs/${sha256(content)}`)).status, 404);
});
