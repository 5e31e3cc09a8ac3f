// Token auth with real clients: podman login/push/pull and skopeo --creds/--src-creds against the
// registry on loopback (plain HTTP, --tls-verify=false), across Harbor's roles, public and
// private projects, robots and wrong passwords.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/common/log.js';
import { Registry } from '../../src/registry/index.js';
import { commandRunner } from '../helpers/run.js';
import { TEST_ENGINE_DIR, TEST_IMAGE, testEngine } from '../helpers/engine.js';
import { TEST_ADMIN_PASSWORD, registryAdmin, seedTeam } from '../helpers/registry-auth.js';


describe('registry token auth with podman and skopeo', { timeout: 180_000 }, () => {
  let dir: string;
  let registry: Registry;
  let host: string;
  let robotSecret: string;
  const env: NodeJS.ProcessEnv = { ...process.env, CONTAINERS_CONF: join(TEST_ENGINE_DIR, 'containers.conf') };

  const run = commandRunner(env);
  const podman = (...args: string[]): Promise<string> => run('podman', args);
  /** podman with a storage of its own, so pulls leave nothing in the shared engine. */
  const isolatedPodman = (...args: string[]): Promise<string> =>
    run('podman', ['--root', join(dir, 'podman', 'root'), '--runroot', join(dir, 'podman', 'run'), '--storage-driver', 'vfs', ...args]);
  const skopeo = (...args: string[]): Promise<string> => run('skopeo', args);
  /** Copies team/app:1 (pushed by admin) to `dest` with the given destination credentials. */
  const copyAs = (creds: string, dest: string): Promise<string> =>
    skopeo('copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--src-creds', `admin:${TEST_ADMIN_PASSWORD}`, '--dest-creds', creds, `docker://${host}/team/app:1`, `docker://${host}/${dest}`);
  const admin = (method: string, path: string, body?: unknown): Promise<unknown> => registryAdmin(registry.url, 'admin', TEST_ADMIN_PASSWORD, method, path, body);

  before(async () => {
    await testEngine();
    dir = await mkdtemp(join(tmpdir(), 'berth-registry-auth-'));
    env.REGISTRY_AUTH_FILE = join(dir, 'auth.json');
    await writeFile(env.REGISTRY_AUTH_FILE, '{}');
    registry = await Registry.start({ dataDir: join(dir, 'registry'), listen: '127.0.0.1:0', log: silentLogger(), adminPassword: TEST_ADMIN_PASSWORD });
    host = registry.address;
    await seedTeam(registry.url);
    robotSecret = ((await admin('POST', '/robots', { Name: 'ci', Project: 'team', Actions: ['pull', 'push'] })) as { Secret: string }).Secret;
  });

  after(async () => {
    await registry?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('podman: a wrong password is refused at login; admin logs in and pushes to a private project; logged out, the push is refused', async () => {
    await assert.rejects(podman('login', '--tls-verify=false', '-u', 'admin', '-p', 'Wrong-pass-1', host), /invalid username\/password/);
    await podman('login', '--tls-verify=false', '-u', 'admin', '-p', TEST_ADMIN_PASSWORD, host);
    await podman('push', '--tls-verify=false', TEST_IMAGE, `${host}/team/app:1`);
    await podman('push', '--tls-verify=false', TEST_IMAGE, `${host}/library/shared:1`);
    await podman('logout', host);
    await assert.rejects(podman('push', '--tls-verify=false', TEST_IMAGE, `${host}/team/app:2`), /401|unauthorized|authentication required/i);
  });

  test('anonymous clients pull from the public library project, and are denied the private one', async () => {
    const pub = JSON.parse(await skopeo('inspect', '--tls-verify=false', '--no-creds', `docker://${host}/library/shared:1`)) as { Digest: string };
    assert.match(pub.Digest, /^sha256:/);
    await isolatedPodman('pull', '--tls-verify=false', `${host}/library/shared:1`);
    await assert.rejects(skopeo('inspect', '--tls-verify=false', '--no-creds', `docker://${host}/team/app:1`), /authentication required to pull team\/app/);
    await assert.rejects(isolatedPodman('pull', '--tls-verify=false', `${host}/team/app:1`), /unauthorized|authentication required/i);
  });

  test('skopeo with --creds: a developer pushes, a guest pulls but may not push, a stranger to a missing project is told to create it', async () => {
    await copyAs('dev:Dev-pass-1', 'team/app:dev');
    const tags = JSON.parse(await skopeo('list-tags', '--tls-verify=false', '--creds', 'visitor:Visitor-pass-1', `docker://${host}/team/app`)) as { Tags: string[] };
    assert.deepEqual(tags.Tags.sort(), ['1', 'dev']);
    await assert.rejects(copyAs('visitor:Visitor-pass-1', 'team/app:guest'), /visitor may not push team\/app|unauthorized/);
    await assert.rejects(copyAs('dev:Dev-pass-1', 'nowhere/app:1'), /denied: project nowhere does not exist: create it first \(berth project create nowhere\), then push again/);
    await assert.rejects(skopeo('inspect', '--tls-verify=false', '--creds', 'dev:Wrong-pass-1', `docker://${host}/team/app:1`), /invalid username or password/);
  });

  test('a robot logs in with its secret, pushes and pulls in its project; disabled, it cannot log in', async () => {
    await podman('login', '--tls-verify=false', '-u', 'robot$team+ci', '-p', robotSecret, host);
    await podman('push', '--tls-verify=false', TEST_IMAGE, `${host}/team/robot:1`);
    await isolatedPodman('pull', '--tls-verify=false', `${host}/team/robot:1`);
    const pulled = JSON.parse(await isolatedPodman('image', 'inspect', `${host}/team/robot:1`)) as { Id: string }[];
    const local = JSON.parse(await podman('image', 'inspect', TEST_IMAGE)) as { Id: string }[];
    assert.equal(pulled[0]!.Id, local[0]!.Id);
    await assert.rejects(skopeo('inspect', '--tls-verify=false', '--creds', `robot$team+ci:${robotSecret}`, `docker://${host}/library/nothing:1`), /manifest unknown|not found/i);
    await podman('logout', host);
    await admin('PUT', '/robots/robot$team+ci', { Disabled: true });
    await assert.rejects(podman('login', '--tls-verify=false', '-u', 'robot$team+ci', '-p', robotSecret, host), /invalid username\/password/);
    await assert.rejects(skopeo('inspect', '--tls-verify=false', '--creds', `robot$team+ci:${robotSecret}`, `docker://${host}/team/robot:1`), /robot account robot\$team\+ci is disabled/);
  });
});
