// The registry with real clients: podman push/pull and skopeo copy/inspect/delete, over plain
// HTTP on loopback and logged in as admin (podman login), for a multi-layer image and a
// multi-arch index. Images are made offline: the
// busybox test image from the engine's storage, and OCI layouts built here.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/common/log.js';
import { Registry, type RegistryEvent } from '../../src/registry/index.js';
import { commandRunner } from '../helpers/run.js';
import { TEST_ENGINE_DIR, TEST_IMAGE, testEngine } from '../helpers/engine.js';
import { OCI_INDEX, OciLayout } from '../helpers/oci-layout.js';
import { TEST_ADMIN_PASSWORD, registryAdmin, registryFetch } from '../helpers/registry-auth.js';


describe('registry with podman and skopeo', { timeout: 180_000 }, () => {
  let dir: string;
  let registry: Registry;
  let host: string;
  const events: RegistryEvent[] = [];
  const patches: Array<{ chunked: boolean; range?: string }> = [];
  // podman's settings for this machine (runc, cgroupfs, ulimits), as the test engine uses them;
  // the login goes to an auth file of this test's own (REGISTRY_AUTH_FILE, read by podman and skopeo).
  const env: NodeJS.ProcessEnv = { ...process.env, CONTAINERS_CONF: join(TEST_ENGINE_DIR, 'containers.conf') };

  const run = commandRunner(env);
  const skopeo = (...args: string[]): Promise<string> => run('skopeo', args);
  /** podman with a storage of its own, so pulls leave nothing in the shared engine. */
  const isolatedPodman = (...args: string[]): Promise<string> =>
    run('podman', ['--root', join(dir, 'podman', 'root'), '--runroot', join(dir, 'podman', 'run'), '--storage-driver', 'vfs', ...args]);
  const http = (path: string, init?: RequestInit): Promise<Response> => registryFetch(registry.url, 'admin', TEST_ADMIN_PASSWORD, path, init);

  before(async () => {
    await testEngine();
    dir = await mkdtemp(join(tmpdir(), 'berth-registry-clients-'));
    registry = await Registry.start({ dataDir: join(dir, 'registry'), listen: '127.0.0.1:0', log: silentLogger(), adminPassword: TEST_ADMIN_PASSWORD });
    host = registry.address;
    env.REGISTRY_AUTH_FILE = join(dir, 'auth.json');
    await writeFile(env.REGISTRY_AUTH_FILE, '{}');
    await registryAdmin(registry.url, 'admin', TEST_ADMIN_PASSWORD, 'POST', '/projects', { Name: 'clients' });
    await run('podman', ['login', '--tls-verify=false', '-u', 'admin', '-p', TEST_ADMIN_PASSWORD, host]);
    registry.events.on((e) => events.push(e));
    registry.app.server.on('request', (req: IncomingMessage) => {
      if (req.method === 'PATCH') patches.push({ chunked: req.headers['transfer-encoding'] === 'chunked', range: req.headers['content-range'] });
    });
  });

  after(async () => {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('podman pushes the multi-layer busybox image (chunked-encoded PATCHes); skopeo inspects it; podman pulls it back', async () => {
    await run('podman', ['push', '--tls-verify=false', TEST_IMAGE, `${host}/clients/busybox:1`]);
    assert.ok(patches.some((p) => p.chunked && p.range === undefined), `podman streamed a layer: ${JSON.stringify(patches)}`);
    assert.deepEqual(await (await http('/v2/clients/busybox/tags/list')).json(), { name: 'clients/busybox', tags: ['1'] });

    const info = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${host}/clients/busybox:1`));
    assert.equal(info.Name, `${host}/clients/busybox`);
    assert.ok(info.Layers.length >= 2, `a multi-layer image: ${info.Layers.length} layers`);
    for (const layer of info.Layers as string[]) {
      const head = await http(`/v2/clients/busybox/blobs/${layer}`, { method: 'HEAD' });
      assert.equal(head.status, 200, layer);
    }

    await isolatedPodman('pull', '--tls-verify=false', `${host}/clients/busybox:1`);
    const pulled = JSON.parse(await isolatedPodman('image', 'inspect', `${host}/clients/busybox:1`));
    assert.equal(pulled[0].Digest, info.Digest);
    const local = JSON.parse(await run('podman', ['image', 'inspect', TEST_IMAGE]));
    assert.equal(pulled[0].Id, local[0].Id, 'the same image (config digest) came back');
  });

  test('skopeo copies between repositories of the registry by mounting, and to and from a dir: layout', async () => {
    events.length = 0;
    await skopeo('copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${host}/clients/busybox:1`, `docker://${host}/clients/mounted:1`);
    const { Layers: layers } = JSON.parse(await skopeo('inspect', '--tls-verify=false', `docker://${host}/clients/mounted:1`)) as { Layers: string[] };
    const mounted = events.filter((e) => e.action === 'push' && e.target === 'blob' && e.from === 'clients/busybox').map((e) => e.digest);
    assert.deepEqual(mounted.sort(), [...layers].sort(), 'every layer was mounted (end-11), none uploaded again');

    const out = join(dir, 'busybox-dir');
    await skopeo('copy', '--src-tls-verify=false', `docker://${host}/clients/mounted:1`, `dir:${out}`);
    await skopeo('copy', '--dest-tls-verify=false', `dir:${out}`, `docker://${host}/clients/fromdir:2`);
    const a = JSON.parse(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${host}/clients/fromdir:2`));
    const b = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    assert.deepEqual(a, b);
  });

  test('skopeo pushes a multi-arch OCI index from an oci: layout; clients pick their platform; copying it back keeps every blob', async () => {
    const layout = new OciLayout(join(dir, 'multi-src'));
    const amd64 = await layout.image('amd64', [{ 'hello': 'hello from amd64\n' }, { 'etc/arch': 'amd64\n' }]);
    const arm64 = await layout.image('arm64', [{ 'hello': 'hello from arm64\n' }, { 'etc/arch': 'arm64\n' }]);
    const index = await layout.blob(OCI_INDEX, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [amd64, arm64] })));
    await layout.finish('multi', index);

    await skopeo('copy', '--all', '--dest-tls-verify=false', `oci:${layout.dir}:multi`, `docker://${host}/clients/multi:1`);
    const res = await http('/v2/clients/multi/manifests/1', { headers: { Accept: OCI_INDEX } });
    assert.equal(res.headers.get('content-type'), OCI_INDEX);
    assert.equal(res.headers.get('docker-content-digest'), index.digest, 'the index is stored byte for byte');
    const raw = (await res.json()) as { manifests: Array<{ platform: { architecture: string } }> };
    assert.deepEqual(raw.manifests.map((m) => m.platform.architecture), ['amd64', 'arm64']);

    const inspect = async (arch: string): Promise<{ Architecture: string; Layers: string[] }> =>
      JSON.parse(await skopeo('inspect', '--tls-verify=false', '--override-arch', arch, `docker://${host}/clients/multi:1`));
    const [arm, amd] = [await inspect('arm64'), await inspect('amd64')];
    assert.deepEqual([arm.Architecture, amd.Architecture], ['arm64', 'amd64']);
    assert.notDeepEqual(arm.Layers, amd.Layers);
    await isolatedPodman('pull', '--tls-verify=false', '--arch', 'amd64', `${host}/clients/multi:1`);
    const pulled = JSON.parse(await isolatedPodman('image', 'inspect', `${host}/clients/multi:1`));
    assert.equal(pulled[0].Architecture, 'amd64');

    const copy = join(dir, 'multi-copy');
    await skopeo('copy', '--all', '--src-tls-verify=false', `docker://${host}/clients/multi:1`, `oci:${copy}:multi`);
    assert.deepEqual((await readdir(join(copy, 'blobs', 'sha256'))).sort(), (await readdir(join(layout.dir, 'blobs', 'sha256'))).sort());
  });

  test('skopeo delete removes a manifest: its tag is gone and clients see it missing', async () => {
    await skopeo('delete', '--tls-verify=false', `docker://${host}/clients/fromdir:2`);
    assert.equal((await http('/v2/clients/fromdir/manifests/2')).status, 404);
    assert.deepEqual(await (await http('/v2/clients/fromdir/tags/list')).json(), { name: 'clients/fromdir', tags: [] });
    await assert.rejects(skopeo('inspect', '--tls-verify=false', `docker://${host}/clients/fromdir:2`), /manifest unknown|not found/i);
    // Other repositories holding the same manifest keep it.
    assert.equal((await http('/v2/clients/mounted/manifests/1')).status, 200);
  });

  test('every upload the clients started was committed: no sessions are left', async () => {
    assert.deepEqual(await readdir(join(dir, 'registry', 'storage', 'uploads')).catch(() => []), []);
  });
});
