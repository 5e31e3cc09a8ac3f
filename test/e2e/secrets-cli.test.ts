// End to end: docker secret / docker config and services that use them, through the stock docker
// CLI against a real `berth manager` and two real `berth agent` processes on the Podman engine.
// Files are read from inside the task containers through the engine. Tests run in order on one
// cluster; manager and agents log at debug level, so their output shows what they would log.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { execIn, testEngine } from '../helpers/engine.js';
import { BerthProcess, docker, dockerOk, freePort, startAgent, startManager, tempDir, type DockerResult, type TaskJson, managerApi } from '../helpers/berth.js';
import type { ManagerProcess } from '../helpers/berth.js';
import { until } from '../helpers/wait.js';

const IMAGE = 'localhost/berth-demo:1';
/** Values that must never show up anywhere but inside the task containers. */
const SECRET_FROM_FILE = 'file-secret-7f3a9c';
const SECRET_FROM_STDIN = 'stdin-secret-b41e02';
const FILES_ROOT = '/run/berth';
const DEBUG = { BERTH_LOG_LEVEL: 'debug' };


describe('secrets and configs through the docker CLI', { timeout: 300_000 }, () => {
  let engine: { docker: Dockerode; url: string };
  let dir: string;
  let manager: ManagerProcess;
  const agents: BerthProcess[] = [];
  const nodeIds: string[] = [];

  const cli = (...args: string[]): Promise<DockerResult> => docker(manager.url, args, 60_000);
  const ok = (...args: string[]): Promise<string> => dockerOk(manager.url, args);
  /** The docker CLI with `input` on its stdin. */
  const withStdin = (input: string, ...args: string[]): Promise<DockerResult> =>
    new Promise((resolve) => {
      const child = execFile('docker', args, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DOCKER_HOST: manager.url.replace(/^http:/, 'tcp:') } }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin!.end(input);
    });
  const { api, tasksOf, running } = managerApi(() => manager.url);
  const ours = async (): Promise<Dockerode.ContainerInfo[]> =>
    (await engine.docker.listContainers({ all: true, filters: { label: ['berth.node.id'] } })).filter((c) => nodeIds.includes(c.Labels['berth.node.id']!));
  const inTask = async (t: TaskJson, ...cmd: string[]): Promise<string> => {
    const r = await execIn(engine.docker, t.Status.ContainerStatus!.ContainerID!, cmd);
    assert.equal(r.code, 0, `${cmd.join(' ')}: ${r.output}`);
    return r.output;
  };

  before(async () => {
    engine = await testEngine();
    dir = tempDir('secrets');
    manager = await startManager(join(dir, 'manager'), await freePort(), DEBUG);
    for (const h of ['sec-a', 'sec-b']) {
      agents.push(startAgent({ join: manager.join, token: manager.token, engine: engine.url, hostname: h, dataDir: join(dir, h), env: DEBUG }));
    }
    const nodes = await until(async () => {
      const list = await api<{ ID: string; Status: { State: string } }[]>('/nodes');
      return list.filter((n) => n.Status.State === 'ready').length === 2 && list;
    }, 60_000, 'two ready nodes');
    nodeIds.push(...nodes.map((n) => n.ID));
  });

  after(async () => {
    await cli('service', 'rm', 'app', 'bad');
    await until(async () => (await ours()).length === 0, 60_000, 'containers removed').catch(() => undefined);
    for (const c of await ours()) await engine.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    for (const a of agents) await a.stop();
    await manager.proc.stop();
    // Agents unmount their tmpfs when no task has files left; after a failure some may remain.
    for (const id of nodeIds) {
      const nodeDir = join(FILES_ROOT, id);
      if (readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${nodeDir} `)) execFileSync('umount', [nodeDir]);
      rmSync(nodeDir, { recursive: true, force: true });
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('docker secret create (from a file and from stdin), ls and inspect, without the data', async () => {
    const file = join(dir, 'secret.txt');
    writeFileSync(file, SECRET_FROM_FILE);
    const id = (await ok('secret', 'create', '--label', 'app=demo', 's', file)).trim();
    assert.match(id, /^[0-9a-z]{25}$/);
    const fromStdin = await withStdin(SECRET_FROM_STDIN, 'secret', 'create', 's2', '-');
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    const ls = await ok('secret', 'ls');
    assert.match(ls, new RegExp(`${id}\\s+s\\s`));
    assert.match(ls, /\ss2\s/);
    const inspect = await ok('secret', 'inspect', 's');
    const [shown] = JSON.parse(inspect) as { ID: string; Spec: Record<string, unknown> }[];
    assert.equal(shown!.ID, id);
    assert.deepEqual(shown!.Spec, { Name: 's', Labels: { app: 'demo' } });
    for (const text of [inspect, ls, await ok('secret', 'inspect', 's2')]) {
      assert.ok(!text.includes(SECRET_FROM_FILE) && !text.includes(SECRET_FROM_STDIN) && !text.includes('Data'), text);
    }
    const dup = await cli('secret', 'create', 's', file);
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /secret s already exists/);

    const plain = await withStdin('listen 8080\n', 'config', 'create', 'c', '-');
    assert.equal(plain.code, 0, plain.stderr);
    const tpl = await withStdin('replica={{.Task.Slot}} of {{.Service.Name}} on {{.Node.Hostname}}\n', 'config', 'create', '--template-driver', 'golang', 'tpl', '-');
    assert.equal(tpl.code, 0, tpl.stderr);
    assert.match(await ok('config', 'inspect', '--pretty', 'c'), /listen 8080/, 'a config’s data is shown');
  });

  test('a service gets the files with the asked owner and mode; a template renders per replica', async () => {
    const r = await cli(
      'service', 'create', '-d', '--name', 'app', '--replicas', '2', '--stop-grace-period', '1s', '--user', '1000',
      '--secret', 'source=s,target=t,uid=1000,gid=1000,mode=0400',
      '--config', 'source=c,target=/etc/app.conf',
      '--config', 'source=tpl,target=/etc/replica.conf',
      IMAGE, 'sleep', '1000',
    );
    assert.equal(r.code, 0, r.stderr);
    const tasks = await until(async () => {
      const t = await running('app');
      return t.length === 2 && t;
    }, 60_000, 'two running tasks');
    const byNode = new Map<number, string>();
    for (const t of tasks) {
      assert.equal(await inTask(t, 'cat', '/run/secrets/t'), SECRET_FROM_FILE);
      assert.equal((await inTask(t, 'stat', '-c', '%u %g %a', '/run/secrets/t')).trim(), '1000 1000 400');
      assert.equal(await inTask(t, 'cat', '/etc/app.conf'), 'listen 8080\n');
      assert.equal((await inTask(t, 'stat', '-c', '%u %g %a', '/etc/app.conf')).trim(), '0 0 444');
      const rendered = await inTask(t, 'cat', '/etc/replica.conf');
      assert.match(rendered, new RegExp(`^replica=${t.Slot} of app on sec-[ab]\\n$`));
      byNode.set(t.Slot!, rendered);
      const write = await execIn(engine.docker, t.Status.ContainerStatus!.ContainerID!, ['sh', '-c', 'echo x > /run/secrets/t']);
      assert.notEqual(write.code, 0, 'read-only');
    }
    assert.equal(new Set(byNode.values()).size, 2, 'each replica has its own content');
  });

  test('removing a secret in use is refused, naming the service', async () => {
    const r = await cli('secret', 'rm', 's');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /secret 's' is in use by the following service: app: remove it from that service first/);
    const c = await cli('config', 'rm', 'tpl');
    assert.notEqual(c.code, 0);
    assert.match(c.stderr, /config 'tpl' is in use by the following service: app/);
  });

  test('a template error rejects the task; docker service ps shows the line and the reason', async () => {
    const bad = await withStdin('ok\n{{.Task.Slot}}\n{{.Service.Nope}}\n', 'config', 'create', '--template-driver', 'golang', 'badtpl', '-');
    assert.equal(bad.code, 0, bad.stderr);
    const r = await cli('service', 'create', '-d', '--name', 'bad', '--restart-condition', 'none', '--config', 'source=badtpl,target=/bad.conf', IMAGE, 'sleep', '1000');
    assert.equal(r.code, 0, r.stderr);
    await until(async () => (await tasksOf('bad')).some((t) => t.Status.State === 'rejected'), 30_000, 'a rejected task');
    const ps = await ok('service', 'ps', '--no-trunc', 'bad');
    assert.match(ps, /Rejected/);
    assert.match(ps, /failed to expand templated config badtpl: template line 3: at <\.Service\.Nope>: can't evaluate field Nope in \.Service/);
    await ok('service', 'rm', 'bad');
  });

  test('docker service update --secret-add/--secret-rm replaces the tasks; the old secret can then go', async () => {
    const before = (await running('app')).map((t) => t.ID);
    const r = await cli('service', 'update', '-d', '--update-parallelism', '0', '--secret-rm', 's', '--secret-add', 'source=s2,target=app_key', 'app');
    assert.equal(r.code, 0, r.stderr);
    const replaced = await until(async () => {
      const t = await running('app');
      return t.length === 2 && t.every((x) => !before.includes(x.ID)) && t;
    }, 60_000, 'two new running tasks');
    for (const t of replaced) {
      assert.equal(await inTask(t, 'cat', '/run/secrets/app_key'), SECRET_FROM_STDIN);
      const gone = await execIn(engine.docker, t.Status.ContainerStatus!.ContainerID!, ['cat', '/run/secrets/t']);
      assert.notEqual(gone.code, 0, 'the removed secret is not in the new tasks');
    }
    const rm = await cli('secret', 'rm', 's');
    assert.equal(rm.code, 0, rm.stderr);
  });

  test('the secret values appear in no inspect output, no service logs and no manager or agent log', async () => {
    const outputs = [
      await ok('service', 'inspect', 'app'),
      await ok('service', 'logs', '--details', 'app'),
      await ok('secret', 'inspect', 's2'),
      await ok('secret', 'ls'),
      JSON.stringify(await tasksOf('app')),
      manager.proc.output,
      ...agents.map((a) => a.output),
    ];
    assert.ok(manager.proc.output.includes('"level":20'), 'the manager logged at debug level');
    for (const text of outputs) {
      for (const value of [SECRET_FROM_FILE, SECRET_FROM_STDIN, Buffer.from(SECRET_FROM_FILE).toString('base64'), Buffer.from(SECRET_FROM_STDIN).toString('base64')]) {
        assert.ok(!text.includes(value), `a secret value leaked into: ${text.slice(0, 300)}`);
      }
    }
  });
});
