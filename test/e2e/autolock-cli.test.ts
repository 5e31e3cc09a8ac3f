// Autolock end to end: the stock docker CLI against a real `berth manager` (TLS API; the CLI goes
// through the root-only unix socket, which a locked manager also serves) and a real agent on the
// Podman engine. On, the data dir holds no plain key; a restarted manager is locked until
// `docker swarm unlock` gets the key, then the cluster is as it was, secrets included; a rotated
// key replaces the old one; off, the keys are plain files again and the manager starts unlocked.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { execIn, testEngine } from '../helpers/engine.js';
import { BerthProcess, docker, freePort, startAgent, tempDir, type DockerResult, type TaskJson } from '../helpers/berth.js';
import { until } from '../helpers/wait.js';

const IMAGE = 'localhost/berth-demo:1';
const SECRET = 'autolock-secret-5d1c7e';
const FILES_ROOT = '/run/berth';
const LOCKED = 'Error response from daemon: Swarm is encrypted and needs to be unlocked before it can be used. Please use "docker swarm unlock" to unlock it.';

describe('autolock through the docker CLI', { timeout: 300_000 }, () => {
  let engine: { docker: Dockerode; url: string };
  const dir = tempDir('autolock');
  const data = join(dir, 'm');
  const socket = join(data, 'berth.sock');
  let manager: BerthProcess;
  let agent: BerthProcess;
  let nodeId = '';
  let port = 0;
  let clusterPort = 0;
  /** The plain key files as the first start wrote them. */
  const plain = { storeKey: '', caKey: '' };
  let key = '';

  const cli = (...args: string[]): Promise<DockerResult> => docker(`unix://${socket}`, args, 60_000);
  const ok = async (...args: string[]): Promise<string> => {
    const r = await cli(...args);
    assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  /** The docker CLI over TCP with the admin's client bundle. */
  const overTls = (...args: string[]): Promise<DockerResult> =>
    docker(`tcp://127.0.0.1:${port}`, args, 30_000, undefined, { DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: join(data, 'client') });
  /** `docker swarm unlock` with the key on its stdin, as a script gives it. */
  const unlock = (input: string): Promise<DockerResult> =>
    new Promise((resolve) => {
      const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DOCKER_HOST: `unix://${socket}` };
      const child = execFile('docker', ['swarm', 'unlock'], { env }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
      child.stdin!.end(`${input}\n`);
    });
  const api = <T>(path: string): Promise<T> =>
    new Promise((resolve, reject) => {
      get({ socketPath: socket, path }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body) as T) : reject(new Error(`GET ${path}: ${res.statusCode} ${body}`))));
      }).on('error', reject);
    });
  const running = async (service: string): Promise<TaskJson[]> =>
    (await api<TaskJson[]>(`/tasks?filters=${encodeURIComponent(JSON.stringify({ service: { [service]: true } }))}`)).filter((t) => t.DesiredState === 'running' && t.Status.State === 'running');

  /** (Re)starts the manager on its ports and waits until it is up, or up and locked. */
  async function startManager(): Promise<'locked' | 'unlocked'> {
    await manager?.stop();
    manager = new BerthProcess(['manager', '--data-dir', data, '--listen', `127.0.0.1:${port}`, '--cluster-listen', `127.0.0.1:${clusterPort}`]);
    // The printed unlock line (stdout), not the log's warning (stderr), which may come first.
    const [line] = await manager.waitFor(/docker swarm unlock\n|cluster port \S+\n/);
    return line!.includes('swarm unlock') ? 'locked' : 'unlocked';
  }

  /** The contents of every file in the data dir. */
  const everyFile = (): string =>
    readdirSync(data, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => readFileSync(join(e.parentPath, e.name), 'latin1'))
      .join('\n');

  before(async () => {
    engine = await testEngine();
    port = await freePort();
    clusterPort = await freePort();
    assert.equal(await startManager(), 'unlocked');
    plain.storeKey = readFileSync(join(data, 'store.key'), 'utf8');
    plain.caKey = readFileSync(join(data, 'certificates', 'swarm-root-ca.key'), 'utf8');
    const token = readFileSync(join(data, 'worker-token'), 'utf8').trim();
    agent = startAgent({ join: `127.0.0.1:${clusterPort}`, token, engine: engine.url, hostname: 'lock-a', dataDir: join(dir, 'lock-a') });
    nodeId = await until(async () => (await api<{ ID: string; Status: { State: string } }[]>('/nodes')).find((n) => n.Status.State === 'ready')?.ID, 60_000, 'a ready node');
    const secret = await new Promise<DockerResult>((resolve) => {
      const child = execFile('docker', ['secret', 'create', 's', '-'], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DOCKER_HOST: `unix://${socket}` } }, (err, stdout, stderr) =>
        resolve({ code: err ? 1 : 0, stdout, stderr }),
      );
      child.stdin!.end(SECRET);
    });
    assert.equal(secret.code, 0, secret.stderr);
    await ok('service', 'create', '-d', '--name', 'app', '--stop-grace-period', '1s', '--secret', 's', IMAGE, 'sleep', '1000');
    await until(async () => (await running('app')).length === 1, 60_000, 'app running');
  });

  after(async () => {
    await cli('service', 'rm', 'app');
    const ours = async () => engine.docker.listContainers({ all: true, filters: { label: [`berth.node.id=${nodeId}`] } });
    await until(async () => (await ours()).length === 0, 60_000, 'containers removed').catch(() => undefined);
    for (const c of await ours()) await engine.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    await agent?.stop();
    await manager?.stop();
    const nodeDir = join(FILES_ROOT, nodeId);
    if (nodeId && readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${nodeDir} `)) execFileSync('umount', [nodeDir]);
    if (nodeId) rmSync(nodeDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  test('docker swarm update --autolock=true prints the key; the data dir then holds no plain key', async () => {
    const out = await ok('swarm', 'update', '--autolock=true');
    const m = /^Swarm updated\.\nTo unlock a swarm manager after it restarts, run the `docker swarm unlock`\ncommand and provide the following key:\n\n {4}(SWMKEY-1-[A-Za-z0-9+/]{43})\n\nRemember to store this key/.exec(out);
    assert.ok(m, out);
    key = m[1]!;
    assert.equal((await ok('swarm', 'unlock-key', '-q')).trim(), key);
    assert.match(await ok('info'), /^\s+Autolock Managers: true$/m);

    assert.ok(!existsSync(join(data, 'store.key')), 'no store.key');
    assert.ok(!existsSync(join(data, 'certificates', 'swarm-root-ca.key')), 'no plain CA key');
    assert.equal(statSync(join(data, 'keys.sealed')).mode & 0o777, 0o600);
    const files = everyFile();
    assert.ok(!files.includes(plain.storeKey.trim()), 'the store key is in no file');
    assert.ok(!files.includes(plain.caKey.split('\n')[1]!), 'the CA key is in no file');
    assert.ok(!files.includes(key.slice('SWMKEY-1-'.length)), 'nor is the unlock key');
  });

  test('restarted, the manager is locked: docker info says so, every other command gets Swarm\'s message, TLS waits', async () => {
    assert.equal(await startManager(), 'locked');
    assert.match(manager.output, new RegExp(`DOCKER_HOST=unix://${socket} docker swarm unlock`));
    assert.match(await ok('info'), /^ Swarm: locked$/m);
    for (const args of [['service', 'ls'], ['secret', 'ls'], ['node', 'ls'], ['swarm', 'unlock-key']]) {
      const r = await cli(...args);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.ok(r.stderr.includes(LOCKED), `${args.join(' ')}: ${r.stderr}`);
    }
    const tls = await overTls('info');
    assert.notEqual(tls.code, 0, 'the TLS port needs the CA key: it opens once unlocked');
    assert.match(tls.stderr, /connection refused|Cannot connect/);
  });

  test('docker swarm unlock refuses a wrong key and a malformed one; the right one unlocks and the cluster is as it was', async () => {
    const wrong = await unlock('SWMKEY-1-' + 'A'.repeat(43));
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stderr.trim(), 'Error response from daemon: swarm could not be unlocked: invalid key provided');
    const garbage = await unlock('not-a-key');
    assert.match(garbage.stderr, /^Error response from daemon: invalid key string/);
    assert.match(await ok('info'), /^ Swarm: locked$/m, 'still locked');

    const right = await unlock(key);
    assert.equal(right.code, 0, right.stderr);
    // Answered once the manager has started: the next command meets the full API.
    assert.match(await ok('service', 'ls'), /\sapp\s+replicated\s/);
    const [secret] = JSON.parse(await ok('secret', 'inspect', 's')) as { Spec: { Name: string } }[];
    assert.equal(secret!.Spec.Name, 's');
    assert.match(await ok('info'), /^ Swarm: active$/m);
    assert.equal((await ok('swarm', 'unlock-key', '-q')).trim(), key);
    const tls = await overTls('info', '--format', '{{.Swarm.LocalNodeState}}');
    assert.equal(tls.code, 0, tls.stderr);
    assert.equal(tls.stdout.trim(), 'active');

    // A new task gets the secret's data: the store decrypts it with the unsealed store key.
    await until(async () => (await api<{ Status: { State: string } }[]>('/nodes'))[0]?.Status.State === 'ready', 60_000, 'the agent back');
    const before = (await running('app')).map((t) => t.ID);
    await ok('service', 'scale', '-d', 'app=2');
    const fresh = await until(async () => (await running('app')).find((t) => !before.includes(t.ID)), 60_000, 'a second task');
    const read = await execIn(engine.docker, fresh.Status.ContainerStatus!.ContainerID!, ['cat', '/run/secrets/s']);
    assert.equal(read.code, 0, read.output);
    assert.equal(read.output, SECRET);
  });

  test('docker swarm unlock-key --rotate: after a restart the old key is refused, the new one unlocks', async () => {
    const out = await ok('swarm', 'unlock-key', '--rotate');
    const m = /^Successfully rotated manager unlock key\.\nTo unlock a swarm manager after it restarts, run the `docker swarm unlock`\ncommand and provide the following key:\n\n {4}(SWMKEY-1-\S+)\n/.exec(out);
    assert.ok(m, out);
    const rotated = m[1]!;
    assert.notEqual(rotated, key);
    assert.equal(await startManager(), 'locked');
    const old = await unlock(key);
    assert.match(old.stderr, /swarm could not be unlocked: invalid key provided/);
    const r = await unlock(rotated);
    assert.equal(r.code, 0, r.stderr);
    assert.match(await ok('service', 'ls'), /\sapp\s/);
    key = rotated;
  });

  test('docker swarm update --autolock=false writes the keys back in the clear; a restart is not locked', async () => {
    assert.equal((await ok('swarm', 'update', '--autolock=false')).trim(), 'Swarm updated.');
    assert.equal(readFileSync(join(data, 'store.key'), 'utf8'), plain.storeKey);
    assert.equal(readFileSync(join(data, 'certificates', 'swarm-root-ca.key'), 'utf8'), plain.caKey);
    assert.ok(!existsSync(join(data, 'keys.sealed')));
    const none = await cli('swarm', 'unlock-key');
    assert.match(none.stderr, /no unlock key is set/);
    assert.equal(await startManager(), 'unlocked');
    assert.match(await ok('info'), /^\s+Autolock Managers: false$/m);
    assert.match(await ok('service', 'ls'), /\sapp\s/);
    assert.equal((await unlock(key)).stderr.trim(), 'Error: swarm is not locked');
  });
});
