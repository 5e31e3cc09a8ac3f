// End to end: `docker stack deploy|ls|services|ps|rm` against a real manager and agent on
// Podman, with a realistic compose file (test/e2e/fixtures/stack): web front on a host port, an
// internal API reached by service name, a worker, a one-shot job, a secret, a templated config,
// two networks, limits, update policies and healthchecks. The CLI does the compose work itself;
// Berth must serve every object it creates the way Swarm does.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type Dockerode from 'dockerode';
import { parse, stringify } from 'yaml';
import { execIn, testEngine } from '../helpers/engine.js';
import { BerthProcess, docker, freePort, startAgent, startManager, tempDir, type TaskJson, managerApi } from '../helpers/berth.js';
import type { ManagerProcess } from '../helpers/berth.js';
import { until } from '../helpers/wait.js';

const FIXTURE = resolve(import.meta.dirname, 'fixtures/stack');
const STACK = 'app';


describe('docker stack through the docker CLI', { timeout: 600_000 }, () => {
  let engine: { docker: Dockerode; url: string };
  let dir: string;
  let manager: ManagerProcess;
  let agent: BerthProcess;
  let nodeId: string;
  let webPort: number;

  const { api } = managerApi(() => manager.url);
  const q = (filters: object): string => encodeURIComponent(JSON.stringify(filters));
  const stackLabel = { label: { [`com.docker.stack.namespace=${STACK}`]: true } };
  const runningTasks = async (service: string): Promise<TaskJson[]> =>
    (await api<TaskJson[]>(`/tasks?filters=${q({ service: { [service]: true } })}`)).filter((t) => t.DesiredState === 'running' && t.Status.State === 'running');
  const deploy = (file: string, ...flags: string[]) =>
    docker(manager.url, ['stack', 'deploy', '-c', file, ...flags, STACK], 120_000, undefined, { WEB_PORT: String(webPort) });
  /** exec runs a command in the service's first running container and returns its output. */
  const exec = async (service: string, cmd: string[]): Promise<string> => {
    const [task] = await runningTasks(service);
    assert.ok(task, `${service} has a running task`);
    return (await execIn(engine.docker, task.Status.ContainerStatus!.ContainerID!, cmd)).output;
  };
  /** A copy of the fixture in dir, with the compose file edited by fn. */
  const variant = (name: string, fn: (doc: { services: Record<string, Record<string, unknown>> }) => void): string => {
    // YAML 1.1, as the docker CLI reads it: `mode: 0444` is octal there, not decimal 444.
    const doc = parse(readFileSync(join(FIXTURE, 'compose.yml'), 'utf8'), { version: '1.1' }) as { services: Record<string, Record<string, unknown>> };
    fn(doc);
    const file = join(dir, `${name}.yml`);
    writeFileSync(file, stringify(doc));
    return file;
  };

  before(async () => {
    engine = await testEngine();
    dir = tempDir('stack');
    for (const f of ['db_password.txt', 'app.conf']) copyFileSync(join(FIXTURE, f), join(dir, f));
    webPort = await freePort();
    manager = await startManager(join(dir, 'manager'), await freePort());
    agent = startAgent({ join: manager.join, token: manager.token, engine: engine.url, hostname: 'stack-a', dataDir: join(dir, 'stack-a') });
    const [node] = await until(async () => {
      const list = await api<{ ID: string; Status: { State: string } }[]>('/nodes');
      return list.filter((n) => n.Status.State === 'ready').length === 1 && list;
    }, 60_000, 'a ready node');
    nodeId = node!.ID;
  });

  after(async () => {
    await docker(manager.url, ['stack', 'rm', STACK], 30_000);
    const ours = async () => engine.docker.listContainers({ all: true, filters: { label: [`berth.node.id=${nodeId}`] } });
    await until(async () => (await ours()).length === 0, 60_000, 'containers removed').catch(() => undefined);
    for (const c of await ours()) await engine.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    await agent.stop();
    await manager.proc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('stack deploy creates the networks, secret, config and services, labelled with the namespace', async () => {
    const r = await deploy(join(FIXTURE, 'compose.yml'));
    assert.equal(r.code, 0, r.stderr + r.stdout);
    for (const name of ['app_front', 'app_back']) assert.match(r.stdout, new RegExp(`Creating network ${name}`));
    assert.match(r.stdout, /Creating secret app_db_password/);
    assert.match(r.stdout, /Creating config app_app_config/);
    for (const s of ['web', 'api', 'worker', 'migrate']) assert.match(r.stdout, new RegExp(`Creating service app_${s}`));

    const ls = await docker(manager.url, ['stack', 'ls']);
    assert.match(ls.stdout, /app\s+4\b/, ls.stdout);
    const nets = await api<{ Name: string; Driver: string; Scope: string; Labels: Record<string, string> }[]>(`/networks?filters=${q(stackLabel)}`);
    assert.deepEqual(nets.map((n) => n.Name).sort(), ['app_back', 'app_front']);
    assert.ok(nets.every((n) => n.Driver === 'overlay' && n.Scope === 'swarm'));
    const secrets = await api<{ Spec: { Name: string; Data?: string } }[]>(`/secrets?filters=${q(stackLabel)}`);
    assert.deepEqual(secrets.map((s) => s.Spec.Name), ['app_db_password']);
    assert.equal(secrets[0]!.Spec.Data, undefined, 'secret data is never returned');
  });

  test('services converge with their healthchecks; the job completes', async () => {
    await until(async () => (await runningTasks('app_web')).length === 1, 90_000, 'web running (healthy)');
    await until(async () => (await runningTasks('app_api')).length === 2, 90_000, 'api 2/2 running (healthy)');
    await until(async () => (await runningTasks('app_worker')).length === 1, 90_000, 'worker running');
    await until(
      async () => (await api<TaskJson[]>(`/tasks?filters=${q({ service: { app_migrate: true } })}`)).some((t) => t.Status.State === 'complete'),
      90_000,
      'migration job complete',
    );
    const services = await docker(manager.url, ['stack', 'services', STACK]);
    assert.match(services.stdout, /app_api\s+replicated\s+2\/2/);
    assert.match(services.stdout, /app_web\s+replicated\s+1\/1/);
    const ps = await docker(manager.url, ['stack', 'ps', STACK]);
    assert.match(ps.stdout, /app_web\.1\s+localhost\/berth-demo:1\s+stack-a\s+Running\s+Running/);
    const web = await api<{ Spec: { TaskTemplate: { Resources: { Limits: { NanoCPUs: number; MemoryBytes: number } } }; UpdateConfig: { Order: string } } }>('/services/app_web');
    assert.equal(web.Spec.TaskTemplate.Resources.Limits.NanoCPUs, 5e8);
    assert.equal(web.Spec.TaskTemplate.Resources.Limits.MemoryBytes, 64 * 2 ** 20);
    assert.equal(web.Spec.UpdateConfig.Order, 'stop-first');
  });

  test('web reaches api by service name; api serves its rendered config and reads the secret', async () => {
    const body = await until(async () => {
      const res = await fetch(`http://127.0.0.1:${webPort}/api.txt`).catch(() => undefined);
      const text = res?.ok ? await res.text() : '';
      return text.includes('greeting=') && text;
    }, 60_000, 'web serving what it fetched from api');
    assert.match(body, /greeting=hello from app_api slot [12]\n/, 'the config was rendered for the task');
    assert.match(body, /secret-bytes=18\b/, 'the secret file holds the 18-byte value');
    assert.doesNotMatch(body, /s3cr3t/);
    await until(async () => /greeting=hello from app_api/.test(await exec('app_worker', ['cat', '/tmp/last'])), 30_000, 'worker reaching api over the back network');
    assert.equal((await exec('app_worker', ['stat', '-c', '%u %g %a', '/run/secrets/db'])).trim(), '1000 1000 400');
  });

  test('a redeploy of a changed file updates only the service that changed', async () => {
    const before = new Map<string, string[]>();
    for (const s of ['app_web', 'app_api', 'app_worker']) before.set(s, (await runningTasks(s)).map((t) => t.ID).sort());
    const file = variant('changed', (doc) => {
      (doc.services.worker!.environment as Record<string, string>).WORK_INTERVAL = '2';
    });
    const r = await deploy(file);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /Updating service app_worker/);
    await until(async () => {
      const now = await runningTasks('app_worker');
      return now.length === 1 && !before.get('app_worker')!.includes(now[0]!.ID);
    }, 60_000, 'worker replaced');
    const svc = await api<{ Spec: { TaskTemplate: { ContainerSpec: { Env: string[] } } } }>('/services/app_worker');
    assert.ok(svc.Spec.TaskTemplate.ContainerSpec.Env.includes('WORK_INTERVAL=2'));
    for (const s of ['app_web', 'app_api']) {
      assert.deepEqual((await runningTasks(s)).map((t) => t.ID).sort(), before.get(s), `${s} was not touched`);
    }
  });

  test('--prune removes the services that left the file', async () => {
    const api0 = (await runningTasks('app_api')).map((t) => t.ID).sort();
    const file = variant('pruned', (doc) => {
      delete doc.services.worker;
    });
    const r = await deploy(file, '--prune');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /Removing service app_worker/);
    const names = (await api<{ Spec: { Name: string } }[]>(`/services?filters=${q(stackLabel)}`)).map((s) => s.Spec.Name).sort();
    assert.deepEqual(names, ['app_api', 'app_migrate', 'app_web']);
    assert.deepEqual((await runningTasks('app_api')).map((t) => t.ID).sort(), api0, 'api untouched');
  });

  test('stack rm removes services, networks, secrets and configs', async () => {
    const r = await docker(manager.url, ['stack', 'rm', STACK]);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    await until(async () => (await api<unknown[]>(`/services?filters=${q(stackLabel)}`)).length === 0, 30_000, 'services removed');
    await until(async () => (await api<unknown[]>(`/networks?filters=${q(stackLabel)}`)).length === 0, 60_000, 'networks removed');
    assert.equal((await api<unknown[]>(`/secrets?filters=${q(stackLabel)}`)).length, 0);
    assert.equal((await api<unknown[]>(`/configs?filters=${q(stackLabel)}`)).length, 0);
    const ls = await docker(manager.url, ['stack', 'ls']);
    assert.doesNotMatch(ls.stdout, /^app\s/m);
  });
});
