// Spec "Content Management": end-9 (DELETE a manifest by digest, or a tag) and end-10 (DELETE a
// blob), and the events deletes emit.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { OCI_MANIFEST } from './manifests.js';
import { pushBlob, pushImage, req, sha256, startRegistry, type TestRegistry } from './test-helpers.js';

let reg: TestRegistry;
before(async () => {
  reg = await startRegistry();
});
after(() => reg.close());

const tags = async (name: string): Promise<string[]> => (await req(reg, 'GET', `/v2/${name}/tags/list`)).json().tags;

test('end-9: deleting a manifest by digest gives 202; it and every tag pointing at it are then 404', async () => {
  const img = await pushImage(reg, 'mgmt/app', 'v1');
  for (const tag of ['v1.0', 'latest']) {
    await req(reg, 'PUT', `/v2/mgmt/app/manifests/${tag}`, { body: img.manifest, headers: { 'Content-Type': OCI_MANIFEST } });
  }
  const other = await pushImage(reg, 'mgmt/app', 'other', { seed: 'other' });
  reg.events.length = 0;
  const res = await req(reg, 'DELETE', `/v2/mgmt/app/manifests/${img.digest}`);
  assert.equal(res.status, 202);
  assert.deepEqual(reg.events, [{ action: 'delete', target: 'manifest', repository: 'mgmt/app', digest: img.digest, mediaType: OCI_MANIFEST, actor: '', source: '127.0.0.1' }]);
  for (const ref of [img.digest, 'v1', 'v1.0', 'latest']) {
    const get = await req(reg, 'GET', `/v2/mgmt/app/manifests/${ref}`);
    assert.equal(get.status, 404, ref);
    assert.deepEqual(get.codes(), ['MANIFEST_UNKNOWN']);
  }
  assert.deepEqual(await tags('mgmt/app'), ['other']);
  assert.equal((await req(reg, 'GET', `/v2/mgmt/app/manifests/${other.digest}`)).status, 200);
  // Its blobs stay: other manifests may use them, and the garbage collector decides.
  assert.equal((await req(reg, 'HEAD', `/v2/mgmt/app/blobs/${sha256(img.config)}`)).status, 200);
  // Pushing it again brings it back.
  await req(reg, 'PUT', `/v2/mgmt/app/manifests/v1`, { body: img.manifest, headers: { 'Content-Type': OCI_MANIFEST } });
  assert.equal((await req(reg, 'GET', '/v2/mgmt/app/manifests/v1')).status, 200);
});

test('end-9: deleting a tag gives 202 and removes only that tag', async () => {
  const img = await pushImage(reg, 'mgmt/tags', 'keep');
  await req(reg, 'PUT', '/v2/mgmt/tags/manifests/drop', { body: img.manifest, headers: { 'Content-Type': OCI_MANIFEST } });
  reg.events.length = 0;
  assert.equal((await req(reg, 'DELETE', '/v2/mgmt/tags/manifests/drop')).status, 202);
  assert.deepEqual(reg.events, [{ action: 'delete', target: 'tag', repository: 'mgmt/tags', digest: img.digest, tag: 'drop', actor: '', source: '127.0.0.1' }]);
  assert.equal((await req(reg, 'GET', '/v2/mgmt/tags/manifests/drop')).status, 404);
  assert.equal((await req(reg, 'GET', '/v2/mgmt/tags/manifests/keep')).status, 200);
  assert.equal((await req(reg, 'GET', `/v2/mgmt/tags/manifests/${img.digest}`)).status, 200);
  assert.deepEqual(await tags('mgmt/tags'), ['keep']);
});

test('end-9: unknown manifests and tags are 404 MANIFEST_UNKNOWN; unknown repositories 404 NAME_UNKNOWN; bad references 400', async () => {
  await pushImage(reg, 'mgmt/known', 'v1');
  const cases: Array<[string, number, string]> = [
    [`/v2/mgmt/known/manifests/${sha256('nope')}`, 404, 'MANIFEST_UNKNOWN'],
    ['/v2/mgmt/known/manifests/nope', 404, 'MANIFEST_UNKNOWN'],
    [`/v2/mgmt/unknown/manifests/${sha256('nope')}`, 404, 'NAME_UNKNOWN'],
    ['/v2/mgmt/known/manifests/sha256:bad', 400, 'DIGEST_INVALID'],
  ];
  for (const [path, status, code] of cases) {
    const res = await req(reg, 'DELETE', path);
    assert.equal(res.status, status, path);
    assert.deepEqual(res.codes(), [code], path);
  }
});

test('end-10: deleting a blob gives 202 and removes it from that repository only', async () => {
  const content = Buffer.from('shared blob');
  const digest = await pushBlob(reg, 'mgmt/one', content);
  await pushBlob(reg, 'mgmt/two', content);
  reg.events.length = 0;
  assert.equal((await req(reg, 'DELETE', `/v2/mgmt/one/blobs/${digest}`)).status, 202);
  assert.deepEqual(reg.events, [{ action: 'delete', target: 'blob', repository: 'mgmt/one', digest, actor: '', source: '127.0.0.1' }]);
  const gone = await req(reg, 'GET', `/v2/mgmt/one/blobs/${digest}`);
  assert.equal(gone.status, 404);
  assert.deepEqual(gone.codes(), ['BLOB_UNKNOWN']);
  assert.deepEqual((await req(reg, 'GET', `/v2/mgmt/two/blobs/${digest}`)).body, content);
  const again = await req(reg, 'DELETE', `/v2/mgmt/one/blobs/${digest}`);
  assert.equal(again.status, 404);
  assert.deepEqual(again.codes(), ['BLOB_UNKNOWN']);
  // A manifest that needs the blob cannot be pushed to the repository it was deleted from.
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest, size: content.length }, layers: [] });
  const put = await req(reg, 'PUT', '/v2/mgmt/one/manifests/v1', { body: manifest, headers: { 'Content-Type': OCI_MANIFEST } });
  assert.deepEqual(put.codes(), ['MANIFEST_BLOB_UNKNOWN']);
  assert.equal((await req(reg, 'DELETE', '/v2/mgmt/one/blobs/sha256:nothex')).status, 400);
});
