// End to end: agents pulling from a registry that requires a login, through the stock docker
// CLI against a real `berth manager` and `berth agent --insecure-registry` on the Podman engine.
// The registry is Debian's docker-registry (distribution 2.8) with htpasswd, plain HTTP on
// loopback. `docker login` writes a temporary DOCKER_CONFIG; `--with-registry-auth` sends it.
// Each pull test first removes the image from the engine, so the pull really happens.
// The last case uses the registry `berth up` starts: Berth's own, with token auth always on; its
// public `library` project lets the agent pull without a login.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { TEST_IMAGE, testEngine } from '../helpers/engine.js';
import { BerthProcess, docker, freePort, managerApi, startAgent, startManager, tempDir, type DockerResult, type TaskJson } from '../helpers/berth.js';
import type { ManagerProcess } from '../helpers/berth.js';
import { startAuthRegistry, type AuthRegistry } from '../helpers/auth-registry.js';
import { TEST_ADMIN_PASSWORD } from '../helpers/registry-auth.js';
import { until } from '../helpers/wait.js';

const PASSWORD = 'e2e-Pull-Pa55word';
const DEBUG = { BERTH_LOG_LEVEL: 'debug' };
const SERVICES = ['pulls-login', 'pulls-anon', 'pulls-stored'];

describe('pulling with registry logins through the docker CLI', { timeout: 300_000 }, () => {
  let engine: { docker: Dockerode; url: string };
  let dir: string;
  let registry: AuthRegistry;
  let image: string;
  let manager: ManagerProcess;
  let agent: BerthProcess;
  let nodeId: string;

  const { api, tasksOf, running } = managerApi(() => manager.url);
  const env = (): Record<string, string> => ({ DOCKER_CONFIG: join(dir, 'docker-config') });
  const cli = (...args: string[]): Promise<DockerResult> => docker(manager.url, args, 60_000, undefined, env());
  const ok = async (...args: string[]): Promise<string> => {
    const r = await cli(...args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const forgetImage = async (): Promise<void> => {
    await engine.docker.getImage(image).remove().catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404) throw err;
    });
    await assert.rejects(engine.docker.getImage(image).inspect(), 'the engine no longer has the image');
  };
  const firstTaskEnded = (service: string): Promise<TaskJson> =>
    until(async () => (await tasksOf(service)).find((t) => t.Status.State === 'rejected' || t.Status.State === 'failed'), 60_000, `a task of ${service} to end`);

  before(async () => {
    engine = await testEngine();
    dir = tempDir('pull-auth');
    registry = await startAuthRegistry('alice', PASSWORD);
    image = await registry.push(TEST_IMAGE, 'pulls/e2e:1');
    manager = await startManager(join(dir, 'manager'), await freePort(), DEBUG);
    agent = startAgent({ join: manager.join, token: manager.token, engine: engine.url, hostname: 'pulls-a', dataDir: join(dir, 'agent'), insecureRegistries: [registry.address], env: DEBUG });
    nodeId = await until(async () => (await api<{ ID: string; Status: { State: string } }[]>('/nodes')).find((n) => n.Status.State === 'ready')?.ID, 60_000, 'a ready node');
    const login = await new Promise<DockerResult>((resolve) => {
      const child = execFile('docker', ['login', '--username', 'alice', '--password-stdin', registry.address], { env: { PATH: process.env.PATH ?? '', HOME: dir, ...env() } }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin!.end(PASSWORD);
    });
    assert.equal(login.code, 0, login.stderr);
  });

  after(async () => {
    if (manager) {
      await cli('service', 'rm', ...SERVICES);
      const ours = async (): Promise<Dockerode.ContainerInfo[]> => engine.docker.listContainers({ all: true, filters: { label: [`berth.node.id=${nodeId}`] } });
      await until(async () => (await ours()).length === 0, 60_000, 'containers removed').catch(() => undefined);
      for (const c of await ours()) await engine.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    }
    await agent?.stop();
    await manager?.proc.stop();
    if (image) await engine.docker.getImage(image).remove().catch(() => undefined);
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
    const logs = (agent?.output ?? '') + (manager?.proc.output ?? '');
    assert.ok(!logs.includes(PASSWORD), 'neither the manager nor the agent logged the password');
  });

  test('service create --with-registry-auth pulls with the login; inspect never shows it; update --force keeps it', async () => {
    await forgetImage();
    await ok('service', 'create', '--detach', '--with-registry-auth', '--name', 'pulls-login', image, 'sleep', '600');
    await until(async () => (await running('pulls-login')).length === 1, 60_000, 'pulls-login running');
    const shown = (await ok('service', 'inspect', 'pulls-login')) + JSON.stringify(await api('/services')) + JSON.stringify(await tasksOf('pulls-login'));
    const basic = Buffer.from(`alice:${PASSWORD}`).toString('base64');
    assert.ok(!shown.includes(PASSWORD) && !shown.includes(basic), 'inspect, list and tasks show no credential');
    assert.doesNotMatch(shown, /RegistryAuth|PullOptions/);

    // An update without --with-registry-auth keeps the login: the new task pulls again with it.
    await forgetImage();
    await ok('service', 'update', '--detach', '--force', 'pulls-login');
    await until(async () => {
      const tasks = await tasksOf('pulls-login');
      return tasks.length === 2 && tasks.some((t) => t.DesiredState === 'running' && t.Status.State === 'running');
    }, 60_000, 'the forced update to run a new task');
  });

  test('without a login the task is rejected with an error naming the registry and "unauthorized"', async () => {
    await forgetImage();
    await ok('service', 'create', '--detach', '--name', 'pulls-anon', image, 'sleep', '600');
    const ended = await firstTaskEnded('pulls-anon');
    assert.equal(ended.Status.State, 'rejected');
    assert.match(ended.Status.Err ?? '', new RegExp(`from registry ${registry.address.replace(/\./g, '\\.')}: unauthorized`));
    const ps = await ok('service', 'ps', '--no-trunc', 'pulls-anon');
    assert.match(ps, /unauthorized/);
    await ok('service', 'rm', 'pulls-anon');
  });

  test('a stored registry credential: the service pulls with it, and it cannot be deleted while used', async () => {
    const base = `${manager.url}/berth/v1/registry-credentials`;
    const created = await fetch(base, { method: 'POST', body: JSON.stringify({ Name: 'pulls-robot', Registry: registry.address, Username: 'alice', Password: PASSWORD }) });
    assert.equal(created.status, 201);
    await forgetImage();
    await ok('service', 'create', '--detach', '--label', 'berth.registry-credential=pulls-robot', '--name', 'pulls-stored', image, 'sleep', '600');
    await until(async () => (await running('pulls-stored')).length === 1, 60_000, 'pulls-stored running');
    const listed = await (await fetch(base)).text();
    assert.ok(!listed.includes(PASSWORD), 'the credential list shows no password');

    const refused = await fetch(`${base}/pulls-robot`, { method: 'DELETE' });
    assert.equal(refused.status, 400);
    // pulls-login's image is on the same registry, but it has its own login, so it does not use the credential.
    assert.match(((await refused.json()) as { message: string }).message, /in use by the following service: pulls-stored:/);
    await ok('service', 'rm', 'pulls-stored', 'pulls-login');
    assert.equal((await fetch(`${base}/pulls-robot`, { method: 'DELETE' })).status, 204);
  });
});

describe('berth up: its agent pulls from its own plain-HTTP registry', { timeout: 180_000 }, () => {
  test('an image the admin pushed to the public library project of the registry berth up started runs as a service, pulled without a login', async () => {
    const engine = await testEngine();
    const dir = tempDir('pull-up');
    const [apiPort, regPort] = [await freePort(), await freePort()];
    const image = `127.0.0.1:${regPort}/library/pulls-up:1`;
    const up = new BerthProcess(['up', '--data-dir', dir, '--listen', `127.0.0.1:${apiPort}`, '--insecure-api', '--cluster-listen', '127.0.0.1:0', '--engine', engine.url, '--hostname', 'pulls-up', '--registry', `127.0.0.1:${regPort}`], {
      BERTH_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    });
    const url = `http://127.0.0.1:${apiPort}`;
    try {
      await up.waitFor(/is up/);
      // Pushing needs a login (auth is always on); pulling from the public project does not.
      await new Promise<void>((resolve, reject) =>
        execFile('podman', ['push', '--quiet', '--tls-verify=false', '--creds', `admin:${TEST_ADMIN_PASSWORD}`, TEST_IMAGE, image], (err, _out, stderr) =>
          err ? reject(new Error(`podman push: ${stderr || err.message}`)) : resolve(),
        ),
      );
      await assert.rejects(engine.docker.getImage(image).inspect(), 'the engine does not have the image yet');
      const created = await docker(url, ['service', 'create', '--detach', '--name', 'pulls-up', image, 'sleep', '600']);
      assert.equal(created.code, 0, created.stderr);
      const { running, tasksOf } = managerApi(() => url);
      await until(async () => (await running('pulls-up')).length === 1 || (await tasksOf('pulls-up')).find((t) => t.Status.Err)?.Status.Err, 60_000, 'pulls-up to run').then((r) =>
        assert.equal(r, true, `the task failed: ${String(r)}`),
      );
      await docker(url, ['service', 'rm', 'pulls-up']);
      const ours = { all: true, filters: { label: [`berth.service.id=${created.stdout.trim()}`] } };
      await until(async () => (await engine.docker.listContainers(ours)).length === 0, 30_000, 'containers removed').catch(() => undefined);
      for (const c of await engine.docker.listContainers(ours)) await engine.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    } finally {
      await up.stop();
      await engine.docker.getImage(image).remove().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
