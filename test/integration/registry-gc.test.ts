// The garbage collector on a real registry. A registry process killed (SIGKILL) in the middle of
// an upload: after a restart nothing of the upload is visible, and the collector leaves nothing of
// it in storage. And images skopeo pushed: with deleteUntagged, the ones whose tag moved or was
// deleted go, and what tags keep (a multi-arch image's entries too) still pulls.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { silentLogger } from '../../src/common/log.js';
import { Registry, type GcRun } from '../../src/registry/index.js';
import { OCI_INDEX, OciLayout } from '../helpers/oci-layout.js';
import { TEST_ADMIN_PASSWORD, registryAdmin, registryFetch, registryToken } from '../helpers/registry-auth.js';
import { commandRunner } from '../helpers/run.js';

const ROOT = resolve(import.meta.dirname, '../..');
let dir: string | undefined;
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Every file under a directory (relative paths), skipping the driver's temporary-files area. */
async function files(root: string, sub = ''): Promise<string[]> {
  const found: string[] = [];
  for (const e of await readdir(join(root, sub), { withFileTypes: true }).catch(() => [])) {
    if (e.name === '.tmp') continue;
    const rel = sub ? `${sub}/${e.name}` : e.name;
    if (e.isDirectory()) found.push(...(await files(root, rel)));
    else found.push(rel);
  }
  return found;
}

test('a registry killed mid-upload shows nothing of it after a restart, and GC leaves nothing of it behind', { timeout: 60_000 }, async () => {
  dir = await mkdtemp(join(tmpdir(), 'berth-gc-crash-'));
  const dataDir = join(dir, 'registry');
  const script = `
    import { Registry } from './src/registry/index.js';
    import { silentLogger } from './src/common/log.js';
    const r = await Registry.start({ dataDir: ${JSON.stringify(dataDir)}, listen: '127.0.0.1:0', log: silentLogger(), adminPassword: ${JSON.stringify(TEST_ADMIN_PASSWORD)} });
    console.log('ADDRESS ' + r.address);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const address = await new Promise<string>((resolveP, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /ADDRESS (\S+)/.exec(out);
        if (m) resolveP(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`the registry exited (${code}) before listening`)));
    });
    const url = `http://${address}`;
    await registryAdmin(url, 'admin', TEST_ADMIN_PASSWORD, 'POST', '/projects', { Name: 'crash' });
    const auth = { Authorization: `Bearer ${await registryToken(url, 'admin', TEST_ADMIN_PASSWORD, ['repository:crash/app:pull,push'])}` };
    const blob = Buffer.alloc(4 * 1024 * 1024, 7);
    const start = await fetch(`${url}/v2/crash/app/blobs/uploads/`, { method: 'POST', headers: auth });
    assert.equal(start.status, 202);
    const location = start.headers.get('location')!;
    const id = location.split('/').pop()!;
    // Half of the blob, then the client stalls; the registry is killed while the PATCH is open.
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(blob.subarray(0, blob.length / 2));
      },
    });
    const patch = fetch(`${url}${location}`, { method: 'PATCH', headers: auth, body, duplex: 'half' } as RequestInit).catch(() => undefined);
    const data = join(dataDir, 'storage', 'uploads', id, 'data');
    for (let i = 0; ((await stat(data).catch(() => undefined))?.size ?? 0) < blob.length / 2; i++) {
      assert.ok(i < 200, 'the first half of the upload reached storage');
      await new Promise((r) => setTimeout(r, 25));
    }
    child.kill('SIGKILL');
    await patch;
  } finally {
    child.kill('SIGKILL');
  }

  const registry = await Registry.start({ dataDir, listen: '127.0.0.1:0', log: silentLogger(), gc: { graceMs: 300 } });
  try {
    const digest = `sha256:${createHash('sha256').update(Buffer.alloc(4 * 1024 * 1024, 7)).digest('hex')}`;
    const token = await registryToken(registry.url, 'admin', TEST_ADMIN_PASSWORD, ['repository:crash/app:pull']);
    assert.equal((await fetch(`${registry.url}/v2/crash/app/blobs/${digest}`, { method: 'HEAD', headers: { Authorization: `Bearer ${token}` } })).status, 404);
    assert.deepEqual(await files(join(dataDir, 'storage', 'blobs')), [], 'no content of the upload is in the blob store');
    assert.equal((await files(join(dataDir, 'storage', 'uploads'))).length, 2, 'the session (info and data) is left by the crash');
    await new Promise((r) => setTimeout(r, 400));
    const run = await registry.gc.run();
    assert.equal(run.uploadsDeleted, 1);
    assert.equal(run.bytesFreed, 2 * 1024 * 1024);
    assert.deepEqual(await files(join(dataDir, 'storage')), [`gc-runs/${String(run.id).padStart(10, '0')}`], 'nothing of the upload is left, only the record of the run');
  } finally {
    await registry.stop();
  }
});

test('deleteUntagged with skopeo: images whose tag moved or was deleted are freed; tagged images and a multi-arch image\'s entries still pull', { timeout: 120_000 }, async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-gc-untagged-'));
  const registry = await Registry.start({ dataDir: join(root, 'registry'), listen: '127.0.0.1:0', log: silentLogger(), adminPassword: TEST_ADMIN_PASSWORD, gc: { graceMs: 500 } });
  try {
    const run = commandRunner(process.env);
    const creds = `admin:${TEST_ADMIN_PASSWORD}`;
    const repo = `${registry.address}/library/sweep`;
    const layout = new OciLayout(join(root, 'layout'));
    const [first, second, third] = await Promise.all(['first', 'second', 'third'].map((n) => layout.image('amd64', [{ hello: `${n}\n` }])));
    const amd64 = await layout.image('amd64', [{ hello: 'multi amd64\n' }]);
    const arm64 = await layout.image('arm64', [{ hello: 'multi arm64\n' }]);
    const index = await layout.blob(OCI_INDEX, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [amd64, arm64] })));
    await layout.finish('multi', index);
    const push = async (top: typeof first, tag: string): Promise<void> => {
      await layout.finish(tag, top!);
      await run('skopeo', ['copy', '--all', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout.dir}:${tag}`, `docker://${repo}:${tag}`]);
    };
    await push(first, 'v1');
    await push(second, 'v1'); // v1 moves: the first image is untagged
    await push(third, 'v2');
    await push(index, 'multi');
    const untag = await registryFetch(registry.url, 'admin', TEST_ADMIN_PASSWORD, '/v2/library/sweep/manifests/v2', { method: 'DELETE' });
    assert.equal(untag.status, 202, 'the tag v2 is deleted; the third image stays by digest');
    const usage = async (): Promise<number> => ((await registryAdmin(registry.url, 'admin', TEST_ADMIN_PASSWORD, 'GET', '/projects/library/quota')) as { usedBytes: number }).usedBytes;
    const before = await usage();
    await new Promise((r) => setTimeout(r, 600)); // past the grace period

    const gc = (body: unknown): Promise<GcRun> => registryAdmin(registry.url, 'admin', TEST_ADMIN_PASSWORD, 'POST', '/gc', body) as Promise<GcRun>;
    const dry = await gc({ dryRun: true, deleteUntagged: true });
    const done = await gc({ deleteUntagged: true });
    assert.equal(done.manifestsDeleted, 2);
    assert.ok(done.bytesFreed > 0);
    assert.deepEqual([dry.manifestsDeleted, dry.bytesFreed], [done.manifestsDeleted, done.bytesFreed]);
    for (const gone of [first!, third!]) {
      await assert.rejects(run('skopeo', ['inspect', '--tls-verify=false', '--creds', creds, `docker://${repo}@${gone.digest}`]), /manifest unknown/i);
    }
    await run('skopeo', ['copy', '--tls-verify=false', '--src-creds', creds, `docker://${repo}:v1`, `dir:${join(root, 'v1')}`]);
    const arm = JSON.parse(await run('skopeo', ['inspect', '--tls-verify=false', '--creds', creds, '--override-arch', 'arm64', `docker://${repo}:multi`])) as { Architecture: string };
    assert.equal(arm.Architecture, 'arm64', 'the untagged entries of a tagged index stay');
    assert.ok((await usage()) < before, 'the project\'s usage drops by what was freed');
  } finally {
    await registry.stop();
    await rm(root, { recursive: true, force: true });
  }
});
