// Project quotas with real clients: podman's push over quota fails on the first blob and skopeo's
// copy fails on the manifest, both with the registry's DENIED message; raising the quota lets the
// same copy through. The clients log in as admin (podman login, into an auth file of the test's
// own that podman and skopeo read), so only the quota can refuse them.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { newId } from '../../src/common/ids.js';
import { silentLogger } from '../../src/common/log.js';
import { Registry, type RegistryEvent } from '../../src/registry/index.js';
import type { Store } from '../../src/store/index.js';
import { openTestStore } from '../helpers/store.js';
import { TEST_ENGINE_DIR, TEST_IMAGE, testEngine } from '../helpers/engine.js';
import { TEST_ADMIN_PASSWORD, basicAuth } from '../helpers/registry-auth.js';

const exec = promisify(execFile);

describe('registry quotas with podman and skopeo', { timeout: 180_000 }, () => {
  let dir: string;
  let registry: Registry;
  let store: Store;
  const events: RegistryEvent[] = [];
  const env: NodeJS.ProcessEnv = { ...process.env, CONTAINERS_CONF: join(TEST_ENGINE_DIR, 'containers.conf') };

  /** Runs a client; resolves with its exit code and output instead of throwing. */
  const run = async (cmd: string, args: string[]): Promise<{ ok: boolean; output: string }> => {
    try {
      const r = await exec(cmd, args, { env, timeout: 120_000, maxBuffer: 16 * 2 ** 20 });
      return { ok: true, output: r.stdout + r.stderr };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? e.message}` };
    }
  };
  const admin = (path: string, init?: RequestInit): Promise<Response> =>
    fetch(`http://${registry.address}/berth/v1/registry${path}`, { ...init, headers: { Authorization: basicAuth('admin', TEST_ADMIN_PASSWORD), 'Content-Type': 'application/json' } });
  const setQuota = async (project: string, quotaBytes: number): Promise<void> => {
    const res = await admin(`/projects/${project}/quota`, { method: 'PUT', body: JSON.stringify({ quotaBytes }) });
    assert.equal(res.status, 200, await res.text());
  };
  const used = async (project: string): Promise<number> => ((await (await admin(`/projects/${project}/quota`)).json()) as { usedBytes: number }).usedBytes;

  before(async () => {
    await testEngine();
    dir = await mkdtemp(join(tmpdir(), 'berth-gc-quota-'));
    store = await openTestStore();
    for (const name of ['gcquota', 'gcquotafree']) {
      store.update((tx) =>
        tx.registryProjects.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: name, Public: false, Members: [], QuotaBytes: -1 } }),
      );
    }
    registry = await Registry.start({ dataDir: join(dir, 'registry'), listen: '127.0.0.1:0', log: silentLogger(), store, adminPassword: TEST_ADMIN_PASSWORD });
    registry.events.on((e) => events.push(e));
    env.REGISTRY_AUTH_FILE = join(dir, 'auth.json');
    await writeFile(env.REGISTRY_AUTH_FILE, '{}');
    const login = await run('podman', ['login', '--tls-verify=false', '-u', 'admin', '-p', TEST_ADMIN_PASSWORD, registry.address]);
    assert.ok(login.ok, login.output);
  });

  after(async () => {
    await registry?.stop();
    store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('a push over quota fails in the client with the quota message; raising the quota lets it through', async () => {
    const host = registry.address;
    await setQuota('gcquota', 1024);
    const denied = await run('podman', ['push', '--tls-verify=false', TEST_IMAGE, `${host}/gcquota/busybox:1`]);
    assert.equal(denied.ok, false);
    assert.match(denied.output, /quota exceeded: project gcquota uses 0 bytes of its quota of 1\.0 KiB \(1024 bytes\)/);

    const pushed = await run('podman', ['push', '--tls-verify=false', TEST_IMAGE, `${host}/gcquotafree/busybox:1`]);
    assert.ok(pushed.ok, pushed.output);
    const size = await used('gcquotafree');
    assert.ok(size > 1024, `usage of the pushed image: ${size}`);

    // Each blob fits on its own; the manifest that would bring them all in does not.
    await setQuota('gcquota', size - 1);
    events.length = 0;
    const copy = ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${host}/gcquotafree/busybox:1`, `docker://${host}/gcquota/busybox:1`];
    const refused = await run('skopeo', copy);
    assert.equal(refused.ok, false);
    assert.match(refused.output, new RegExp(`quota exceeded: project gcquota uses 0 bytes of its quota of .*\\(${size - 1} bytes\\)`));
    assert.deepEqual(
      events.filter((e) => e.action === 'quotaExceeded').map((e) => [e.target, e.repository]),
      [['manifest', 'gcquota/busybox']],
    );

    await setQuota('gcquota', size);
    const allowed = await run('skopeo', copy);
    assert.ok(allowed.ok, allowed.output);
    assert.equal(await used('gcquota'), size);
  });
});
