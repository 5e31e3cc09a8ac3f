// Spec "Pull" (MUST for every registry): end-1, end-2 (GET/HEAD blob, Range), end-3 (GET/HEAD
// manifest by tag and digest), and "Checking if content exists".

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { OCI_MANIFEST } from './manifests.js';
import { pushBlob, pushImage, req, sha256, startRegistry, type Image, type TestRegistry } from './test-helpers.js';

let reg: TestRegistry;
let img: Image;
before(async () => {
  reg = await startRegistry();
  img = await pushImage(reg, 'pull/app', 'v1');
});
after(() => reg.close());

test('end-1: GET /v2/ answers 200 (with the Docker API version header clients look for)', async () => {
  const res = await req(reg, 'GET', '/v2/');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
  assert.equal((await req(reg, 'GET', '/v2')).status, 200);
});

test('end-3: GET a manifest by tag and by digest gives the exact bytes, its Content-Type without parameters, and its digest', async () => {
  for (const ref of ['v1', img.digest]) {
    const res = await req(reg, 'GET', `/v2/pull/app/manifests/${ref}`, { headers: { Accept: OCI_MANIFEST } });
    assert.equal(res.status, 200, ref);
    assert.deepEqual(res.body, img.manifest);
    assert.equal(res.headers.get('content-type'), OCI_MANIFEST);
    assert.equal(res.headers.get('docker-content-digest'), img.digest);
  }
});

test('errors are JSON in the spec\'s shape: {"errors":[{"code","message","detail"}]} with uppercase codes', async () => {
  const res = await req(reg, 'GET', '/v2/pull/app/manifests/nope');
  assert.equal(res.headers.get('content-type'), 'application/json');
  const body = res.json();
  assert.deepEqual(Object.keys(body), ['errors']);
  for (const e of body.errors) {
    assert.match(e.code, /^[A-Z_]+$/);
    assert.equal(typeof e.message, 'string');
    assert.deepEqual(Object.keys(e).filter((k) => !['code', 'message', 'detail'].includes(k)), []);
  }
});

test('end-3: HEAD a manifest gives 200, digest and Content-Length, no body', async () => {
  const res = await req(reg, 'HEAD', '/v2/pull/app/manifests/v1');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('docker-content-digest'), img.digest);
  assert.equal(Number(res.headers.get('content-length')), img.manifest.length);
  assert.equal(res.body.length, 0);
});

test('end-3: unknown manifests are 404 MANIFEST_UNKNOWN (GET and HEAD), unknown repositories too', async () => {
  for (const path of ['/v2/pull/app/manifests/nope', `/v2/pull/app/manifests/${sha256('nothing')}`, '/v2/pull/other/manifests/v1']) {
    const res = await req(reg, 'GET', path);
    assert.equal(res.status, 404, path);
    assert.deepEqual(res.codes(), ['MANIFEST_UNKNOWN']);
    assert.equal((await req(reg, 'HEAD', path)).status, 404);
  }
});

test('end-2: GET a blob gives its bytes and a Docker-Content-Digest that matches them', async () => {
  const layer = img.layers[0]!;
  const res = await req(reg, 'GET', `/v2/pull/app/blobs/${sha256(layer)}`);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, layer);
  assert.equal(res.headers.get('docker-content-digest'), sha256(res.body));
  assert.equal(res.headers.get('content-type'), 'application/octet-stream');
});

test('end-2: HEAD a blob gives 200 with digest and size; unknown blobs are 404 BLOB_UNKNOWN', async () => {
  const cfg = img.config;
  const head = await req(reg, 'HEAD', `/v2/pull/app/blobs/${sha256(cfg)}`);
  assert.equal(head.status, 200);
  assert.equal(Number(head.headers.get('content-length')), cfg.length);
  assert.equal(head.headers.get('docker-content-digest'), sha256(cfg));
  const missing = await req(reg, 'GET', `/v2/pull/app/blobs/${sha256('missing')}`);
  assert.equal(missing.status, 404);
  assert.deepEqual(missing.codes(), ['BLOB_UNKNOWN']);
  assert.equal((await req(reg, 'HEAD', `/v2/pull/app/blobs/${sha256('missing')}`)).status, 404);
});

test('end-2: a blob is only visible in repositories it was pushed or mounted to', async () => {
  const res = await req(reg, 'GET', `/v2/pull/elsewhere/blobs/${sha256(img.config)}`);
  assert.equal(res.status, 404);
  assert.deepEqual(res.codes(), ['BLOB_UNKNOWN']);
});

test('end-2: Range requests (RFC 9110) give 206 with Content-Range; unsatisfiable ones 416', async () => {
  const content = Buffer.from('0123456789abcdefghij');
  const digest = await pushBlob(reg, 'pull/ranges', content);
  const path = `/v2/pull/ranges/blobs/${digest}`;
  const cases: Array<[string, string, string]> = [
    ['bytes=0-4', '01234', 'bytes 0-4/20'],
    ['bytes=15-', 'fghij', 'bytes 15-19/20'],
    ['bytes=-3', 'hij', 'bytes 17-19/20'],
    ['bytes=18-99', 'ij', 'bytes 18-19/20'],
  ];
  for (const [range, body, contentRange] of cases) {
    const res = await req(reg, 'GET', path, { headers: { Range: range } });
    assert.equal(res.status, 206, range);
    assert.equal(res.body.toString(), body, range);
    assert.equal(res.headers.get('content-range'), contentRange, range);
  }
  const outside = await req(reg, 'GET', path, { headers: { Range: 'bytes=20-' } });
  assert.equal(outside.status, 416);
  assert.equal(outside.headers.get('content-range'), 'bytes */20');
  // Several ranges, or nonsense, are ignored: the whole blob comes back.
  for (const ignored of ['bytes=0-1,4-5', 'items=0-1', 'bytes=5-2']) {
    const res = await req(reg, 'GET', path, { headers: { Range: ignored } });
    assert.equal(res.status, 200, ignored);
    assert.deepEqual(res.body, content);
  }
});

test('pulls emit events (GET only, not HEAD)', async () => {
  reg.events.length = 0;
  await req(reg, 'HEAD', '/v2/pull/app/manifests/v1');
  await req(reg, 'GET', '/v2/pull/app/manifests/v1');
  await req(reg, 'GET', `/v2/pull/app/blobs/${sha256(img.config)}`);
  assert.deepEqual(
    reg.events.map((e) => [e.action, e.target, e.repository, e.digest, e.tag]),
    [
      ['pull', 'manifest', 'pull/app', img.digest, 'v1'],
      ['pull', 'blob', 'pull/app', sha256(img.config), undefined],
    ],
  );
});
