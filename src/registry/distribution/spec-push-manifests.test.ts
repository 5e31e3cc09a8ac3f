// Spec "Push", manifests: end-7 (PUT by tag or digest) for OCI image manifests and indexes and
// Docker schema 2 manifests and lists, exact bytes, referenced-blob checks, subject, size limit.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST } from './manifests.js';
import { desc, pushBlob, pushImage, req, sha256, sha512, startRegistry, type TestRegistry } from './test-helpers.js';

let reg: TestRegistry;
before(async () => {
  reg = await startRegistry();
});
after(() => reg.close());

const put = (name: string, ref: string, body: Buffer | string, type: string = OCI_MANIFEST, headers: Record<string, string> = {}) =>
  req(reg, 'PUT', `/v2/${name}/manifests/${ref}`, { body, headers: { 'Content-Type': type, ...headers } });

async function blobs(name: string): Promise<{ config: ReturnType<typeof desc>; layer: ReturnType<typeof desc> }> {
  const config = `{"architecture":"amd64","os":"linux","name":"${name}"}`;
  const layer = `layer of ${name}`;
  await pushBlob(reg, name, config);
  await pushBlob(reg, name, layer);
  return { config: desc('application/vnd.oci.image.config.v1+json', config), layer: desc('application/vnd.oci.image.layer.v1.tar', layer) };
}

test('end-7: an OCI image manifest by tag is stored byte for byte: 201, Location, Docker-Content-Digest', async () => {
  const { config, layer } = await blobs('man/oci');
  // Unusual spacing and key order: the registry must not re-serialize.
  const body = `{ "layers": [${JSON.stringify(layer)}],\n  "config": ${JSON.stringify(config)}, "schemaVersion": 2, "mediaType": "${OCI_MANIFEST}" }\n`;
  const res = await put('man/oci', 'v1', body);
  assert.equal(res.status, 201);
  assert.equal(res.headers.get('docker-content-digest'), sha256(body));
  assert.equal(res.headers.get('location'), `/v2/man/oci/manifests/${sha256(body)}`);
  assert.equal(res.headers.get('oci-subject'), null);
  assert.deepEqual(reg.events.at(-1), { action: 'push', target: 'manifest', repository: 'man/oci', digest: sha256(body), tag: 'v1', size: Buffer.byteLength(body), mediaType: OCI_MANIFEST, actor: '', source: '127.0.0.1' });
  const got = await req(reg, 'GET', res.headers.get('location')!);
  assert.equal(got.body.toString(), body);
  assert.equal((await req(reg, 'GET', '/v2/man/oci/manifests/v1')).body.toString(), body);
});

test('end-7: by digest (sha256 or sha512): the digest in the URL must match the bytes', async () => {
  const { config, layer } = await blobs('man/bydigest');
  const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer] });
  assert.equal((await put('man/bydigest', sha256(body), body)).status, 201);
  const s512 = await put('man/bydigest', sha512(body), body);
  assert.equal(s512.status, 201);
  assert.equal(s512.headers.get('docker-content-digest'), sha512(body));
  assert.equal((await req(reg, 'GET', `/v2/man/bydigest/manifests/${sha512(body)}`)).body.toString(), body);
  const wrong = await put('man/bydigest', sha256('other'), body);
  assert.equal(wrong.status, 400);
  assert.deepEqual(wrong.codes(), ['DIGEST_INVALID']);
  assert.equal((await req(reg, 'GET', `/v2/man/bydigest/manifests/${sha256('other')}`)).status, 404);
});

test('end-7: Docker schema 2 manifests and manifest lists, and OCI indexes, whose entries must already be pushed', async () => {
  const { config, layer } = await blobs('man/multi');
  const docker = JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_MANIFEST, config: { ...config, mediaType: 'application/vnd.docker.container.image.v1+json' }, layers: [{ ...layer, mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip' }] });
  assert.equal((await put('man/multi', 'amd64', docker, DOCKER_MANIFEST)).status, 201);
  const oci = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer] });
  assert.equal((await put('man/multi', 'arm64', oci)).status, 201);
  const entries = [desc(DOCKER_MANIFEST, docker, { platform: { architecture: 'amd64', os: 'linux' } }), desc(OCI_MANIFEST, oci, { platform: { architecture: 'arm64', os: 'linux' } })];
  const list = JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_LIST, manifests: entries });
  assert.equal((await put('man/multi', 'list', list, DOCKER_LIST)).status, 201);
  const index = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: entries });
  assert.equal((await put('man/multi', 'index', index, OCI_INDEX)).status, 201);
  for (const [tag, type] of [['amd64', DOCKER_MANIFEST], ['list', DOCKER_LIST], ['index', OCI_INDEX]]) {
    assert.equal((await req(reg, 'GET', `/v2/man/multi/manifests/${tag}`)).headers.get('content-type'), type, tag);
  }
  const missingChild = JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [...entries, desc(OCI_MANIFEST, '{"not":"pushed"}')] });
  const res = await put('man/multi', 'broken', missingChild, OCI_INDEX);
  assert.equal(res.status, 400);
  assert.deepEqual(res.codes(), ['MANIFEST_BLOB_UNKNOWN']);
  assert.equal(res.json().errors[0].detail.digest, sha256('{"not":"pushed"}'));
});

test('end-7: a manifest referencing unknown blobs is MANIFEST_BLOB_UNKNOWN, one error per blob, and nothing is stored', async () => {
  const { config } = await blobs('man/unknown');
  const ghost1 = desc('application/vnd.oci.image.layer.v1.tar', 'ghost one');
  const ghost2 = desc('application/vnd.oci.image.layer.v1.tar', 'ghost two');
  const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [ghost1, ghost2] });
  const res = await put('man/unknown', 'v1', body);
  assert.equal(res.status, 400);
  assert.deepEqual(res.codes(), ['MANIFEST_BLOB_UNKNOWN', 'MANIFEST_BLOB_UNKNOWN']);
  assert.deepEqual(res.json().errors.map((e: { detail: { digest: string } }) => e.detail.digest), [ghost1.digest, ghost2.digest]);
  assert.equal((await req(reg, 'GET', '/v2/man/unknown/manifests/v1')).status, 404);
  assert.equal((await req(reg, 'GET', `/v2/man/unknown/manifests/${sha256(body)}`)).status, 404);
  // A blob pushed to another repository does not count.
  await pushBlob(reg, 'man/elsewhere', 'ghost one');
  assert.deepEqual((await put('man/unknown', 'v1', body)).codes(), ['MANIFEST_BLOB_UNKNOWN', 'MANIFEST_BLOB_UNKNOWN']);
});

test('end-7: a subject that does not exist is accepted, and OCI-Subject says the referrers API indexed it', async () => {
  const subject = desc(OCI_MANIFEST, '{"subject":"not pushed yet"}');
  const img = await pushImage(reg, 'man/subject', undefined, { subject, artifactType: 'application/vnd.example.sig' });
  const res = await req(reg, 'GET', `/v2/man/subject/manifests/${img.digest}`);
  assert.equal(res.status, 200);
  const again = await put('man/subject', img.digest, img.manifest);
  assert.equal(again.headers.get('oci-subject'), subject.digest);
});

test('malformed manifests are 400 MANIFEST_INVALID and nothing is stored', async () => {
  const cases: Array<[string, string]> = [
    ['{"schemaVersion": 2, "mediaType": "' + OCI_MANIFEST + '"', OCI_MANIFEST],
    [JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, layers: [] }), OCI_MANIFEST],
    [JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }), OCI_MANIFEST],
    [JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }), 'application/vnd.docker.distribution.manifest.v1+prettyjws'],
    ['not json at all', 'application/octet-stream'],
  ];
  for (const [body, type] of cases) {
    const res = await put('man/bad', 'v1', body, type);
    assert.equal(res.status, 400, body);
    assert.deepEqual(res.codes(), ['MANIFEST_INVALID'], body);
  }
  assert.equal((await req(reg, 'GET', '/v2/man/bad/tags/list')).status, 404, 'the repository was never created');
  const badTag = await put('man/bad', '.hidden', '{}');
  assert.equal(badTag.status, 400);
  assert.deepEqual(badTag.codes(), ['MANIFEST_INVALID']);
});

test('a manifest over the size limit is 413, whether or not its length was declared', async () => {
  const small = await startRegistry({ maxManifestBytes: 1000 });
  try {
    const big = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, annotations: { pad: 'x'.repeat(2000) } });
    const declared = await req(small, 'PUT', '/v2/man/big/manifests/v1', { body: big, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(declared.status, 413);
    assert.deepEqual(declared.codes(), ['MANIFEST_INVALID']);
    const streamed = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(Buffer.from(big.slice(0, 900)));
        c.enqueue(Buffer.from(big.slice(900)));
        c.close();
      },
    });
    const chunked = await req(small, 'PUT', '/v2/man/big/manifests/v1', { body: streamed, headers: { 'Content-Type': OCI_MANIFEST } });
    assert.equal(chunked.status, 413);
    assert.equal((await req(small, 'GET', '/v2/man/big/manifests/v1')).status, 404);
  } finally {
    await small.close();
  }
});

test('manifests of 4 MB are accepted by default (the spec\'s floor)', async () => {
  const { config, layer } = await blobs('man/large');
  const body = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [layer], annotations: { pad: 'x'.repeat(4_000_000) } });
  assert.equal((await put('man/large', 'v1', body)).status, 201);
  assert.equal((await req(reg, 'GET', '/v2/man/large/manifests/v1')).body.length, body.length);
});

test('re-tagging moves the tag; the old manifest stays reachable by digest', async () => {
  const a = await pushImage(reg, 'man/retag', 'latest', { seed: 'a' });
  const b = await pushImage(reg, 'man/retag', 'latest', { seed: 'b' });
  assert.equal((await req(reg, 'GET', '/v2/man/retag/manifests/latest')).headers.get('docker-content-digest'), b.digest);
  assert.equal((await req(reg, 'GET', `/v2/man/retag/manifests/${a.digest}`)).status, 200);
  // Deleting the old manifest leaves the moved tag alone.
  assert.equal((await req(reg, 'DELETE', `/v2/man/retag/manifests/${a.digest}`)).status, 202);
  assert.equal((await req(reg, 'GET', '/v2/man/retag/manifests/latest')).headers.get('docker-content-digest'), b.digest);
});
