// Spec "Push", blobs: end-4a/end-6 (POST then PUT), end-4b (single POST), end-5 (chunked PATCH,
// in order, 416 out of order), end-13 (upload status), end-11 (cross-repository mount), the
// streamed PATCH real clients send, end-14 (cancel, unreleased spec), and bad uploads.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pushBlob, req, sha256, sha512, startRegistry, withQuery, type TestRegistry } from './test-helpers.js';

let reg: TestRegistry;
before(async () => {
  reg = await startRegistry();
});
after(() => reg.close());

const octet = { 'Content-Type': 'application/octet-stream' };

async function start(name: string): Promise<string> {
  const res = await req(reg, 'POST', `/v2/${name}/blobs/uploads/`, { headers: { 'Content-Length': '0' } });
  assert.equal(res.status, 202);
  return res.headers.get('location')!;
}

async function blobBytes(name: string, digest: string): Promise<Buffer | number> {
  const res = await req(reg, 'GET', `/v2/${name}/blobs/${digest}`);
  return res.status === 200 ? res.body : res.status;
}

/** No upload session is left behind, and the content store has exactly the expected blobs. */
async function uploadsLeft(): Promise<string[]> {
  return readdir(join(reg.dir, 'storage', 'uploads')).catch(() => []);
}

test('end-4a + end-6: POST gives 202 and a Location with a session id; PUT ?digest= with the body gives 201 and a pullable Location', async () => {
  const content = Buffer.from('monolithic blob');
  const location = await start('push/mono');
  assert.match(location, /^\/v2\/push\/mono\/blobs\/uploads\/[0-9a-f-]{36}$/);
  const put = await req(reg, 'PUT', withQuery(location, { digest: sha256(content) }), { body: content, headers: octet });
  assert.equal(put.status, 201);
  assert.equal(put.headers.get('location'), `/v2/push/mono/blobs/${sha256(content)}`);
  assert.equal(put.headers.get('docker-content-digest'), sha256(content));
  assert.deepEqual(reg.events.at(-1), { action: 'push', target: 'blob', repository: 'push/mono', digest: sha256(content), size: content.length, actor: '', source: '127.0.0.1' });
  assert.deepEqual(await blobBytes('push/mono', sha256(content)), content);
});

test('end-4b: a single POST ?digest= with the body gives 201', async () => {
  const content = Buffer.from('single post');
  const res = await req(reg, 'POST', `/v2/push/single/blobs/uploads/?digest=${sha256(content)}`, { body: content, headers: octet });
  assert.equal(res.status, 201);
  assert.equal(res.headers.get('location'), `/v2/push/single/blobs/${sha256(content)}`);
  assert.deepEqual(await blobBytes('push/single', sha256(content)), content);
});

test('end-5 + end-13: ordered chunks with Content-Range give 202 with Location and Range; GET shows the offset; PUT closes', async () => {
  const parts = [Buffer.from('chunk-one|'), Buffer.from('chunk-two|'), Buffer.from('last')];
  const whole = Buffer.concat(parts);
  let location = await start('push/chunked');
  let offset = 0;
  for (const part of parts.slice(0, 2)) {
    const res = await req(reg, 'PATCH', location, {
      body: part,
      headers: { ...octet, 'Content-Range': `${offset}-${offset + part.length - 1}`, 'Content-Length': String(part.length) },
    });
    assert.equal(res.status, 202);
    offset += part.length;
    assert.equal(res.headers.get('range'), `0-${offset - 1}`);
    location = res.headers.get('location')!;
  }
  const status = await req(reg, 'GET', location);
  assert.equal(status.status, 204);
  assert.equal(status.headers.get('range'), `0-${offset - 1}`);
  assert.equal(status.headers.get('location'), location);
  // The final chunk travels in the closing PUT.
  const last = parts[2]!;
  const put = await req(reg, 'PUT', withQuery(location, { digest: sha256(whole) }), {
    body: last,
    headers: { ...octet, 'Content-Range': `${offset}-${offset + last.length - 1}` },
  });
  assert.equal(put.status, 201);
  assert.deepEqual(await blobBytes('push/chunked', sha256(whole)), whole);
  assert.equal((await req(reg, 'GET', location)).status, 404, 'the session is closed');
});

test('end-5: an out-of-order chunk is 416 and changes nothing; the client resumes from GET status', async () => {
  const location = await start('push/order');
  const first = Buffer.from('0123456789');
  assert.equal((await req(reg, 'PATCH', location, { body: first, headers: { ...octet, 'Content-Range': '0-9' } })).status, 202);
  for (const range of ['20-29', '5-14', '0-9']) {
    const res = await req(reg, 'PATCH', location, { body: first, headers: { ...octet, 'Content-Range': range } });
    assert.equal(res.status, 416, range);
    assert.deepEqual(res.codes(), ['BLOB_UPLOAD_INVALID']);
    assert.equal(res.headers.get('range'), '0-9');
  }
  const status = await req(reg, 'GET', location);
  assert.equal(status.headers.get('range'), '0-9');
  const rest = Buffer.from('abcdefghij');
  assert.equal((await req(reg, 'PATCH', location, { body: rest, headers: { ...octet, 'Content-Range': '10-19' } })).status, 202);
  const whole = Buffer.concat([first, rest]);
  assert.equal((await req(reg, 'PUT', withQuery(location, { digest: sha256(whole) }))).status, 201);
  assert.deepEqual(await blobBytes('push/order', sha256(whole)), whole);
});

test('streamed PATCH as skopeo sends it: one PATCH with Content-Length and no Content-Range, then an empty PUT', async () => {
  const content = Buffer.alloc(300_000, 7);
  const location = await start('push/skopeo');
  const patch = await req(reg, 'PATCH', location, { body: content, headers: octet });
  assert.equal(patch.status, 202);
  assert.equal(patch.headers.get('range'), `0-${content.length - 1}`);
  const put = await req(reg, 'PUT', withQuery(patch.headers.get('location')!, { digest: sha256(content) }), { headers: { 'Content-Length': '0' } });
  assert.equal(put.status, 201);
  assert.deepEqual(await blobBytes('push/skopeo', sha256(content)), content);
});

test('streamed PATCH as podman sends it: Transfer-Encoding chunked, length unknown', async () => {
  const pieces = Array.from({ length: 20 }, (_, i) => Buffer.alloc(10_000, i));
  const whole = Buffer.concat(pieces);
  const location = await start('push/podman');
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = pieces.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
  const patch = await req(reg, 'PATCH', location, { body, headers: octet });
  assert.equal(patch.status, 202);
  assert.equal(patch.headers.get('range'), `0-${whole.length - 1}`);
  assert.equal((await req(reg, 'PUT', withQuery(location, { digest: sha256(whole) }))).status, 201);
  assert.deepEqual(await blobBytes('push/podman', sha256(whole)), whole);
});

test('sha512 digests are verified too, in one request and across chunks', async () => {
  const content = Buffer.from('sha512 content');
  const single = await req(reg, 'POST', `/v2/push/sha512/blobs/uploads/?digest=${sha512(content)}`, { body: content, headers: octet });
  assert.equal(single.status, 201);
  assert.deepEqual(await blobBytes('push/sha512', sha512(content)), content);
  const location = await start('push/sha512');
  await req(reg, 'PATCH', location, { body: content.subarray(0, 5), headers: octet });
  await req(reg, 'PATCH', location, { body: content.subarray(5), headers: octet });
  const other = Buffer.concat([content, content]).subarray(0, content.length);
  assert.equal((await req(reg, 'PUT', withQuery(location, { digest: sha512(other) }))).status, 201);
});

test('a digest that does not match is 400 DIGEST_INVALID; nothing becomes visible and the session is gone', async () => {
  const sessions = (await uploadsLeft()).length;
  const content = Buffer.from('real content');
  const wrong = sha256('something else');
  const location = await start('push/wrong');
  const put = await req(reg, 'PUT', withQuery(location, { digest: wrong }), { body: content, headers: octet });
  assert.equal(put.status, 400);
  assert.deepEqual(put.codes(), ['DIGEST_INVALID']);
  assert.equal(await blobBytes('push/wrong', wrong), 404);
  assert.equal(await blobBytes('push/wrong', sha256(content)), 404);
  assert.equal((await req(reg, 'GET', location)).status, 404);
  const single = await req(reg, 'POST', `/v2/push/wrong/blobs/uploads/?digest=${wrong}`, { body: content, headers: octet });
  assert.equal(single.status, 400);
  assert.deepEqual(single.codes(), ['DIGEST_INVALID']);
  assert.equal(await blobBytes('push/wrong', wrong), 404);
  assert.equal((await uploadsLeft()).length, sessions);
});

test('bad digests and missing ones are 400 DIGEST_INVALID; the session survives a PUT without ?digest=', async () => {
  const location = await start('push/baddigest');
  for (const digest of ['sha256:abc', 'md5:0123', 'nonsense']) {
    const res = await req(reg, 'PUT', withQuery(location, { digest }));
    assert.equal(res.status, 400, digest);
    assert.deepEqual(res.codes(), ['DIGEST_INVALID']);
  }
  const none = await req(reg, 'PUT', location);
  assert.equal(none.status, 400);
  assert.deepEqual(none.codes(), ['DIGEST_INVALID']);
  assert.equal((await req(reg, 'GET', location)).status, 204);
  assert.equal((await req(reg, 'GET', `/v2/push/baddigest/blobs/sha256:${'z'.repeat(64)}`)).status, 400);
});

test('chunks whose body does not match their Content-Range are rejected and the upload is discarded', async () => {
  // Longer than declared (chunked encoding, so HTTP framing cannot catch it).
  const sessions = (await uploadsLeft()).length;
  const location = await start('push/size');
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(Buffer.alloc(50, 1));
      c.close();
    },
  });
  const res = await req(reg, 'PATCH', location, { body, headers: { ...octet, 'Content-Range': '0-9' } });
  assert.equal(res.status, 400);
  assert.deepEqual(res.codes(), ['SIZE_INVALID']);
  assert.equal((await req(reg, 'GET', location)).status, 404);
  // Shorter than declared.
  const second = await start('push/size');
  const short = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(Buffer.alloc(5, 1));
      c.close();
    },
  });
  const res2 = await req(reg, 'PATCH', second, { body: short, headers: { ...octet, 'Content-Range': '0-9' } });
  assert.equal(res2.status, 400);
  assert.deepEqual(res2.codes(), ['SIZE_INVALID']);
  assert.equal((await req(reg, 'GET', second)).status, 404);
  // Content-Range and Content-Length that disagree, and malformed ranges.
  const third = await start('push/size');
  const res3 = await req(reg, 'PATCH', third, { body: Buffer.alloc(5), headers: { ...octet, 'Content-Range': '0-9' } });
  assert.equal(res3.status, 400);
  assert.deepEqual(res3.codes(), ['SIZE_INVALID']);
  const res4 = await req(reg, 'PATCH', third, { body: Buffer.alloc(5), headers: { ...octet, 'Content-Range': 'five' } });
  assert.equal(res4.status, 416);
  assert.equal((await uploadsLeft()).length, sessions + 1, 'only the third session, still valid, is left');
  assert.equal((await req(reg, 'DELETE', third)).status, 204);
});

test('uploads are bound to their repository; unknown sessions are 404 BLOB_UPLOAD_UNKNOWN', async () => {
  const location = await start('push/owner');
  const id = location.split('/').pop()!;
  for (const [method, path] of [
    ['GET', `/v2/push/thief/blobs/uploads/${id}`],
    ['PATCH', `/v2/push/thief/blobs/uploads/${id}`],
    ['PUT', `/v2/push/thief/blobs/uploads/${id}?digest=${sha256('')}`],
    ['GET', '/v2/push/owner/blobs/uploads/00000000-0000-0000-0000-000000000000'],
    ['GET', '/v2/push/owner/blobs/uploads/not-a-uuid'],
  ] as const) {
    const res = await req(reg, method, path, { body: method === 'GET' ? undefined : Buffer.from('x') });
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.deepEqual(res.codes(), ['BLOB_UPLOAD_UNKNOWN']);
  }
  assert.equal((await req(reg, 'GET', location)).status, 204);
});

test('end-14 (unreleased spec): DELETE cancels an upload', async () => {
  const location = await start('push/cancel');
  await req(reg, 'PATCH', location, { body: Buffer.from('abc'), headers: octet });
  assert.equal((await req(reg, 'DELETE', location)).status, 204);
  assert.equal((await req(reg, 'GET', location)).status, 404);
  assert.equal((await req(reg, 'DELETE', location)).status, 404);
});

test('the empty blob can be pushed', async () => {
  const location = await start('push/empty');
  assert.equal((await req(reg, 'PUT', withQuery(location, { digest: sha256('') }))).status, 201);
  const head = await req(reg, 'HEAD', `/v2/push/empty/blobs/${sha256('')}`);
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), '0');
});

test('a POST without ?digest= takes no body', async () => {
  const res = await req(reg, 'POST', '/v2/push/nobody/blobs/uploads/', { body: Buffer.from('unexpected'), headers: octet });
  assert.equal(res.status, 400);
  assert.deepEqual(res.codes(), ['BLOB_UPLOAD_INVALID']);
});

test('end-11: mount from another repository gives 201 with the blob Location; an unmountable one starts a session (202)', async () => {
  const content = Buffer.from('mount me');
  const digest = await pushBlob(reg, 'push/source', content);
  const res = await req(reg, 'POST', `/v2/push/target/blobs/uploads/?mount=${digest}&from=push/source`);
  assert.equal(res.status, 201);
  assert.equal(res.headers.get('location'), `/v2/push/target/blobs/${digest}`);
  assert.equal(res.headers.get('docker-content-digest'), digest);
  assert.equal(reg.events.at(-1)?.from, 'push/source');
  assert.deepEqual(await blobBytes('push/target', digest), content);

  for (const query of [`mount=${sha256('absent')}&from=push/source`, `mount=${digest}&from=push/nowhere`, `mount=${digest}`]) {
    const fallback = await req(reg, 'POST', `/v2/push/other/blobs/uploads/?${query}`);
    assert.equal(fallback.status, 202, query);
    assert.match(fallback.headers.get('location')!, /\/v2\/push\/other\/blobs\/uploads\//);
    await req(reg, 'DELETE', fallback.headers.get('location')!);
  }
  assert.equal(await blobBytes('push/other', digest), 404, 'no mount without a from the client may read');
  const bad = await req(reg, 'POST', `/v2/push/other/blobs/uploads/?mount=${digest}&from=Bad/Name`);
  assert.equal(bad.status, 400);
  assert.deepEqual(bad.codes(), ['NAME_INVALID']);
});

test('bad repository names are 400 NAME_INVALID on every endpoint; unknown paths and methods are refused', async () => {
  for (const [method, path] of [
    ['GET', '/v2/UPPER/tags/list'],
    ['POST', '/v2/bad..name/blobs/uploads/'],
    ['PUT', '/v2/a/_layers/manifests/x'],
    ['GET', '/v2/a%2f..%2fb/blobs/sha256:x'],
    ['GET', `/v2/${'a'.repeat(256)}/manifests/latest`],
  ] as const) {
    const res = await req(reg, method, path);
    assert.equal(res.status, 400, path);
    assert.deepEqual(res.codes(), ['NAME_INVALID']);
  }
  assert.equal((await req(reg, 'GET', '/v2/a/unknown/thing')).status, 404);
  const wrongMethod = await req(reg, 'POST', '/v2/a/tags/list');
  assert.equal(wrongMethod.status, 405);
  assert.deepEqual(wrongMethod.codes(), ['UNSUPPORTED']);
});
