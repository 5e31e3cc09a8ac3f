// Blobs stream: memory stays flat with blob size; concurrent pushes and pulls of one blob are
// safe; an upload cut off midway (client gone, registry restarted) leaves nothing visible and
// can be resumed, and its session records when it started so the garbage collector can sweep it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pushBlob, req, sha256, startRegistry, withQuery } from '../distribution/test-helpers.js';

const MiB = 1024 * 1024;
const run = promisify(execFile);

/**
 * The client runs in a child process, so this process's memory is the registry's alone: it
 * streams `count` MiB (one random MiB repeated) with chunked encoding, closes the upload, pulls
 * the blob back and prints the digests it sent and received.
 */
const CLIENT = `
const http = require('node:http');
const { createHash, randomBytes } = require('node:crypto');
const [base, location, count] = [process.argv[1], process.argv[2], Number(process.argv[3])];
const unit = randomBytes(1 << 20);
const sent = createHash('sha256');
const call = (method, path, body) => new Promise((resolve, reject) => {
  const r = http.request(base + path, { method, headers: body ? { 'Content-Type': 'application/octet-stream' } : {} }, (res) => {
    const got = createHash('sha256');
    res.on('data', (c) => got.update(c));
    res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, digest: 'sha256:' + got.digest('hex') }));
  });
  r.on('error', reject);
  if (!body) return r.end();
  let i = 0;
  const more = () => { while (i < count) { i++; sent.update(unit); if (!r.write(unit)) return r.once('drain', more); } r.end(); };
  more();
});
(async () => {
  const patch = await call('PATCH', location, true);
  const digest = 'sha256:' + sent.digest('hex');
  const put = await call('PUT', patch.headers.location + '?digest=' + digest);
  const pull = await call('GET', '/v2/big/blob/blobs/' + digest);
  console.log(JSON.stringify({ patch: patch.status, put: put.status, pull: pull.status, sent: digest, received: pull.digest }));
})();
`;

test('pushing and pulling a 256 MiB blob keeps the registry\'s memory flat', async () => {
  const reg = await startRegistry();
  try {
    const location = (await req(reg, 'POST', '/v2/big/blob/blobs/uploads/')).headers.get('location')!;
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    let out: string;
    try {
      ({ stdout: out } = await run(process.execPath, ['-e', CLIENT, reg.url, location, '256'], { maxBuffer: MiB }));
    } finally {
      clearInterval(sampler);
    }
    const result = JSON.parse(out) as { patch: number; put: number; pull: number; sent: string; received: string };
    assert.deepEqual([result.patch, result.put, result.pull], [202, 201, 200]);
    assert.equal(result.received, result.sent);
    const grew = (peak - baseline) / MiB;
    assert.ok(grew < 100, `the registry's memory grew by ${grew.toFixed(0)} MiB while moving a 256 MiB blob`);
  } finally {
    await reg.close();
  }
});

test('many concurrent pushes and pulls of the same blob all succeed and agree', async () => {
  const reg = await startRegistry();
  try {
    const content = randomBytes(2 * MiB);
    const digest = sha256(content);
    await pushBlob(reg, 'conc/seed', content);
    const pushes = Array.from({ length: 8 }, (_, i) => pushBlob(reg, i % 2 ? 'conc/same' : `conc/r${i}`, content));
    const pulls = Array.from({ length: 8 }, async () => {
      const res = await req(reg, 'GET', `/v2/conc/seed/blobs/${digest}`);
      assert.equal(res.status, 200);
      assert.equal(sha256(res.body), digest);
    });
    const results = await Promise.all([...pushes, ...pulls]);
    assert.deepEqual(results.slice(0, 8), Array(8).fill(digest));
    for (const name of ['conc/same', 'conc/r0', 'conc/r6']) {
      assert.equal(sha256((await req(reg, 'GET', `/v2/${name}/blobs/${digest}`)).body), digest, name);
    }
    assert.deepEqual(await readdir(join(reg.dir, 'storage', 'uploads')).catch(() => []), []);
  } finally {
    await reg.close();
  }
});

/** patchAndHangUp sends `first` of a PATCH body that announces more, then drops the connection. */
function patchAndHangUp(url: string, first: Buffer, announced: number): Promise<void> {
  return new Promise((resolve) => {
    const r = request(url, { method: 'PATCH', headers: { 'Content-Length': String(announced), 'Content-Type': 'application/octet-stream' } });
    r.on('error', () => resolve());
    r.write(first, () => setTimeout(() => r.destroy(), 200));
    r.on('close', () => resolve());
  });
}

test('an upload cut off midway is invisible, survives a registry restart, records its start time, and can be resumed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-registry-crash-'));
  try {
    const content = randomBytes(3 * MiB);
    const digest = sha256(content);
    let reg = await startRegistry({}, dir);
    const location = (await req(reg, 'POST', '/v2/crash/app/blobs/uploads/')).headers.get('location')!;
    await patchAndHangUp(`${reg.url}${location}`, content.subarray(0, MiB), content.length);
    assert.equal((await req(reg, 'HEAD', `/v2/crash/app/blobs/${digest}`)).status, 404);
    await reg.close();

    reg = await startRegistry({}, dir);
    try {
      assert.equal((await req(reg, 'HEAD', `/v2/crash/app/blobs/${digest}`)).status, 404);
      const id = location.split('/').pop()!;
      const info = JSON.parse((await reg.driver.getContent(`uploads/${id}/info`)).toString());
      assert.equal(info.repository, 'crash/app');
      assert.ok(Date.now() - Date.parse(info.startedAt) < 60_000);

      const status = await req(reg, 'GET', location);
      assert.equal(status.status, 204);
      const landed = Number(/^0-(\d+)$/.exec(status.headers.get('range')!)![1]) + 1;
      assert.ok(landed > 0 && landed <= MiB, `landed ${landed}`);
      // Resume from where the registry says the upload stands; the digest is computed afresh.
      const rest = content.subarray(landed);
      const patch = await req(reg, 'PATCH', location, { body: rest, headers: { 'Content-Range': `${landed}-${content.length - 1}` } });
      assert.equal(patch.status, 202);
      assert.equal((await req(reg, 'PUT', withQuery(location, { digest }))).status, 201);
      assert.equal(sha256((await req(reg, 'GET', `/v2/crash/app/blobs/${digest}`)).body), digest);
    } finally {
      await reg.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

/** openFilesUnder lists this process's open file descriptors on files below `dir`. */
async function openFilesUnder(dir: string): Promise<string[]> {
  const fds = await readdir('/proc/self/fd');
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  return targets.filter((t) => t.startsWith(dir));
}

test('a client that hangs up mid-pull releases the blob, and the next pulls get every byte', async () => {
  const reg = await startRegistry();
  try {
    const content = randomBytes(32 * MiB);
    const digest = await pushBlob(reg, 'cut/pull', content);
    await new Promise<void>((resolve, reject) => {
      const r = request(`${reg.url}/v2/cut/pull/blobs/${digest}`, (res) => {
        res.once('data', () => {
          res.destroy();
          resolve();
        });
      });
      r.on('error', reject);
      r.end();
    });
    // A generous bound: the release is what is checked, not its speed (the machine may be busy).
    const deadline = Date.now() + 20_000;
    while ((await openFilesUnder(reg.dir)).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await openFilesUnder(reg.dir), []);
    const pulls = await Promise.all(Array.from({ length: 3 }, () => req(reg, 'GET', `/v2/cut/pull/blobs/${digest}`)));
    for (const pull of pulls) assert.equal(sha256(pull.body), digest);
  } finally {
    await reg.close();
  }
});
