// End to end: a real `berth manager` and three real `berth agent` processes on the Podman
// engine, driven by the stock docker CLI. Tests run in order on one cluster.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { testEngine } from '../helpers/engine.js';
import { BerthProcess, docker, freePort, startAgent, startManager, tempDir, managerApi } from '../helpers/berth.js';
import type { ManagerProcess } from '../helpers/berth.js';
import { until } from '../helpers/wait.js';

const IMAGE = 'localhost/berth-demo:1';


describe('cluster through the docker CLI', { timeout: 600_000 }, () => {
  let engine: { docker: Dockerode; url: string };
  let dir: string;
  let port: number;
  let manager: ManagerProcess;
  const agents = new Map<string, BerthProcess>();
  const nodeIds = new Map<string, string>();

  const { api, tasksOf, running } = managerApi(() => manager.url);
  /** Containers Berth made for our nodes, as the engine sees them. */
  const containers = async (service?: string): Promise<Dockerode.ContainerInfo[]> => {
    const all = await engine.docker.listContainers({ all: true, filters: { label: ['berth.node.id'] } });
    const ours = new Set(nodeIds.values());
    return all.filter((c) => ours.has(c.Labels['berth.node.id']!) && (!service || c.Labels['com.docker.swarm.service.name'] === service));
  };
  const agentOpts = (hostname: string, labels?: string[]) => ({ join: manager.join, token: manager.token, engine: engine.url, hostname, dataDir: join(dir, hostname), labels });

  before(async () => {
    engine = await testEngine();
    dir = tempDir('e2e');
    port = await freePort();
    manager = await startManager(join(dir, 'manager'), port);
    for (const h of ['e2e-a', 'e2e-b', 'e2e-c']) {
      const a = startAgent(agentOpts(h, h === 'e2e-c' ? ['zone=edge'] : []));
      agents.set(h, a);
    }
    const nodes = await until(async () => {
      const list = await api<{ ID: string; Description: { Hostname: string }; Status: { State: string } }[]>('/nodes');
      return list.filter((n) => n.Status.State === 'ready').length === 3 && list;
    }, 60_000, 'three ready nodes');
    for (const n of nodes) nodeIds.set(n.Description.Hostname, n.ID);
  });

  after(async () => {
    await docker(manager.url, ['service', 'rm', 'web', 'glob', 'edge', 'nowhere', 'crash', 'bad'], 30_000);
    await until(async () => (await containers()).length === 0, 60_000, 'containers removed').catch(() => undefined);
    for (const c of await containers()) await engine.docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    for (const a of agents.values()) await a.stop();
    await manager.proc.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('docker node ls lists the three agents as Ready and Active', async () => {
    const r = await docker(manager.url, ['node', 'ls']);
    assert.equal(r.code, 0, r.stderr);
    for (const h of ['e2e-a', 'e2e-b', 'e2e-c']) assert.match(r.stdout, new RegExp(`${h}\\s+Ready\\s+Active`));
  });

  test('3 replicas converge (docker service create waits) and answer HTTP', async () => {
    const r = await docker(manager.url, ['service', 'create', '--name', 'web', '--replicas', '3', '--restart-delay', '1s', IMAGE, 'httpd', '-f', '-p', '8080']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout + r.stderr, /converged/);
    const tasks = await running('web');
    assert.equal(tasks.length, 3);
    assert.equal(new Set(tasks.map((t) => t.NodeID)).size, 3, 'spread over the three nodes');
    for (const c of await containers('web')) {
      const info = await engine.docker.getContainer(c.Id).inspect();
      const ip = Object.values(info.NetworkSettings.Networks)[0]?.IPAddress;
      const res = await fetch(`http://${ip}:8080/`);
      assert.ok(res.status >= 200 && res.status < 500, `httpd on ${ip} answered ${res.status}`);
    }
    const ls = await docker(manager.url, ['service', 'ls']);
    assert.match(ls.stdout, /web\s+replicated\s+3\/3/);
  });

  test('scale up and down', async () => {
    let r = await docker(manager.url, ['service', 'scale', 'web=5']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await running('web')).length, 5);
    r = await docker(manager.url, ['service', 'scale', 'web=2']);
    assert.equal(r.code, 0, r.stderr);
    await until(async () => (await containers('web')).filter((c) => c.State === 'running').length === 2, 30_000, 'two running containers');
    assert.equal((await running('web')).length, 2);
  });

  test('a bad image update pauses (failure action pause); docker service rollback restores the previous tasks', async () => {
    const before = (await running('web')).map((t) => t.ID).sort();
    let r = await docker(manager.url, ['service', 'update', '--image', 'localhost/no-such-image:9', '--update-monitor', '2s', 'web']);
    assert.notEqual(r.code, 0, 'the CLI reports the paused update as a failure');
    assert.match(r.stderr + r.stdout, /update paused due to failure or early termination of task/);
    const svc = await api<{ UpdateStatus?: { State?: string }; Spec: { TaskTemplate: { ContainerSpec: { Image: string } } } }>('/services/web');
    assert.equal(svc.UpdateStatus?.State, 'paused');
    const stillOld = (await running('web')).filter((t) => before.includes(t.ID));
    assert.ok(stillOld.length >= before.length - 1, 'parallelism 1: at most one old task was replaced');
    r = await docker(manager.url, ['service', 'rollback', 'web']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    await until(async () => (await api<{ UpdateStatus?: { State?: string } }>('/services/web')).UpdateStatus?.State === 'rollback_completed', 60_000, 'rollback completed');
    const after = await running('web');
    assert.equal(after.length, before.length);
    const images = await Promise.all(after.map(async (t) => (await api<{ Spec: { ContainerSpec: { Image: string } } }>(`/tasks/${t.ID}`)).Spec.ContainerSpec.Image));
    assert.ok(images.every((i) => i === IMAGE), 'every task runs the previous image again');
  });

  test('a killed container is replaced after the restart delay', async () => {
    const [victim] = await running('web');
    const cid = victim!.Status.ContainerStatus!.ContainerID!;
    await engine.docker.getContainer(cid).kill();
    const replacement = await until(async () => (await running('web')).find((t) => t.ID !== victim!.ID && t.Slot === victim!.Slot), 30_000, 'replacement running');
    assert.equal(replacement.Slot, victim!.Slot, 'same slot');
    const old = (await tasksOf('web')).find((t) => t.ID === victim!.ID)!;
    assert.equal(old.Status.State, 'failed');
    assert.equal(old.DesiredState, 'shutdown');
  });

  test('restart policy: max attempts is honoured', async () => {
    const r = await docker(manager.url, ['service', 'create', '-d', '--name', 'crash', '--restart-condition', 'on-failure', '--restart-max-attempts', '2', '--restart-delay', '200ms', IMAGE, 'sh', '-c', 'exit 3']);
    assert.equal(r.code, 0, r.stderr);
    await until(async () => (await tasksOf('crash')).filter((t) => t.Status.State === 'failed').length === 3, 60_000, 'three failed tasks');
    await new Promise((res) => setTimeout(res, 2000));
    const tasks = await tasksOf('crash');
    assert.equal(tasks.length, 3, 'the first run and exactly 2 restarts');
    assert.match(tasks[0]!.Status.Err ?? '', /exit \(3\)/);
  });

  test('a replicated job runs to completion; docker service create waits for it', async () => {
    const r = await docker(manager.url, ['service', 'create', '--name', 'batch', '--mode', 'replicated-job', '--replicas', '4', '--max-concurrent', '2', IMAGE, 'sh', '-c', 'sleep 1']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout + r.stderr, /job complete/);
    const tasks = await tasksOf('batch');
    assert.equal(tasks.filter((t) => t.Status.State === 'complete').length, 4);
    const ls = await docker(manager.url, ['service', 'ls', '--filter', 'name=batch']);
    assert.match(ls.stdout, /replicated job\s+0\/0 \(4\/4 completed\)/);
    await docker(manager.url, ['service', 'rm', 'batch']);
  });

  test('global service: one task per agent', async () => {
    const r = await docker(manager.url, ['service', 'create', '--name', 'glob', '--mode', 'global', IMAGE, 'sleep', '1000']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const tasks = await running('glob');
    assert.deepEqual(tasks.map((t) => t.NodeID).sort(), [...nodeIds.values()].sort());
  });

  test('a constraint on an engine label places on that node; an impossible one stays pending with the reason', async () => {
    // The agent's --label is an engine label: only managers set node labels.
    const c = await api<{ Spec: { Labels?: Record<string, string> }; Description: { Engine: { Labels: Record<string, string> } } }>(`/nodes/${nodeIds.get('e2e-c')}`);
    assert.deepEqual(c.Spec.Labels ?? {}, {}, 'an agent cannot set its node labels');
    assert.equal(c.Description.Engine.Labels.zone, 'edge');
    let r = await docker(manager.url, ['service', 'create', '--name', 'edge', '--replicas', '2', '--constraint', 'engine.labels.zone==edge', IMAGE, 'sleep', '1000']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual((await running('edge')).map((t) => t.NodeID), [nodeIds.get('e2e-c'), nodeIds.get('e2e-c')]);
    r = await docker(manager.url, ['service', 'create', '-d', '--name', 'nowhere', '--constraint', 'node.labels.zone==moon', IMAGE, 'sleep', '1000']);
    assert.equal(r.code, 0, r.stderr);
    const pending = await until(async () => (await tasksOf('nowhere')).find((t) => t.Status.Err), 10_000, 'reason');
    assert.equal(pending.Status.State, 'pending');
    assert.equal(pending.Status.Err, 'no suitable node (scheduling constraints not satisfied on 3 nodes)');
    const ps = await docker(manager.url, ['service', 'ps', '--no-trunc', 'nowhere']);
    assert.match(ps.stdout, /no suitable node/);
  });

  test('drain moves tasks off a node', async () => {
    const b = nodeIds.get('e2e-b')!;
    assert.ok((await running('web')).length === 2);
    const r = await docker(manager.url, ['node', 'update', '--availability', 'drain', 'e2e-b']);
    assert.equal(r.code, 0, r.stderr);
    await until(async () => {
      const t = await running('web');
      return t.length === 2 && t.every((x) => x.NodeID !== b);
    }, 30_000, 'web off the drained node');
    await until(async () => (await running('glob')).every((x) => x.NodeID !== b), 30_000, 'global task shut down on drained node');
    await docker(manager.url, ['node', 'update', '--availability', 'active', 'e2e-b']);
    await until(async () => (await running('glob')).length === 3, 30_000, 'global task back on reactivated node');
  });

  test('SIGKILL an agent, restart it: its containers are adopted, none duplicated', async () => {
    const before = (await containers()).filter((c) => c.Labels['berth.node.id'] === nodeIds.get('e2e-a'));
    assert.ok(before.length > 0);
    await agents.get('e2e-a')!.stop('SIGKILL');
    const again = startAgent(agentOpts('e2e-a'));
    agents.set('e2e-a', again);
    await new Promise((res) => setTimeout(res, 3000));
    const after = (await containers()).filter((c) => c.Labels['berth.node.id'] === nodeIds.get('e2e-a'));
    assert.deepEqual(after.map((c) => c.Id).sort(), before.map((c) => c.Id).sort(), 'same containers');
    const nodes = await api<{ Description: { Hostname: string } }[]>('/nodes');
    assert.equal(nodes.filter((n) => n.Description.Hostname === 'e2e-a').length, 1, 'rejoined as the same node');
  });

  test('SIGKILL the manager mid-scale: on restart the state is intact and converges', async () => {
    const r = await docker(manager.url, ['service', 'scale', '-d', 'web=6']);
    assert.equal(r.code, 0, r.stderr);
    await manager.proc.stop('SIGKILL');
    manager = await startManager(join(dir, 'manager'), port, {}, { clusterPort: manager.clusterPort });
    await until(async () => (await running('web')).length === 6, 90_000, 'six running after manager restart');
    const webContainers = (await containers('web')).filter((c) => c.State === 'running');
    assert.equal(webContainers.length, 6, 'no duplicate containers');
  });

  test('a stopped agent is marked down and its tasks are replaced elsewhere', async () => {
    const c = nodeIds.get('e2e-c')!;
    const onC = (await running('web')).filter((t) => t.NodeID === c).length;
    assert.ok(onC > 0, 'web has tasks on e2e-c');
    const stoppedAt = Date.now();
    await agents.get('e2e-c')!.stop('SIGKILL');
    await until(async () => (await api<{ ID: string; Status: { State: string } }[]>('/nodes')).find((n) => n.ID === c)?.Status.State === 'down', 40_000, 'node down');
    const downAfter = Date.now() - stoppedAt;
    assert.ok(downAfter < 30_000, `marked down after ${downAfter} ms`);
    await until(async () => {
      const t = await running('web');
      return t.length === 6 && t.every((x) => x.NodeID !== c);
    }, 60_000, 'web tasks replaced on live nodes');
  });

  test('a removed node whose agent still runs leaves, with its containers; joined again it is a new node', async () => {
    const oldId = nodeIds.get('e2e-b')!;
    const r = await docker(manager.url, ['node', 'rm', '--force', 'e2e-b']);
    assert.equal(r.code, 0, r.stderr);
    const old = agents.get('e2e-b')!;
    await old.waitFor(/was removed from the cluster.*Its containers were removed/, 30_000);
    await until(() => old.child.exitCode !== null, 30_000, 'the agent stopped');
    await until(async () => (await containers()).every((c) => c.Labels['berth.node.id'] !== oldId), 30_000, 'old node containers removed');
    agents.set('e2e-b', startAgent(agentOpts('e2e-b')));
    const fresh = await until(async () => {
      const list = await api<{ ID: string; Description: { Hostname: string }; Status: { State: string } }[]>('/nodes');
      return list.find((n) => n.Description.Hostname === 'e2e-b' && n.ID !== oldId && n.Status.State === 'ready');
    }, 30_000, 'e2e-b back as a new node');
    nodeIds.set('e2e-b', fresh.ID);
    nodeIds.set('e2e-b-old', oldId);
    await until(async () => (await containers()).every((c) => c.Labels['berth.node.id'] !== oldId), 30_000, 'old node containers removed');
    await until(async () => (await running('web')).length === 6, 60_000, 'web still at 6');
  });

  test('bad input: clear 4xx errors, and an unknown image is a rejected task with the engine error', async () => {
    let r = await docker(manager.url, ['service', 'create', '--name', 'web', IMAGE]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /already exists/);
    r = await docker(manager.url, ['service', 'create', '--constraint', 'node.labels.zone=edge', IMAGE]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /constraint/);
    r = await docker(manager.url, ['service', 'inspect', 'no-such-service']);
    assert.notEqual(r.code, 0);
    const res = await fetch(`${manager.url}/v1.41/services/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"Name": "x", ' });
    assert.equal(res.status, 400);
    assert.ok(((await res.json()) as { message: string }).message);
    const neg = await fetch(`${manager.url}/v1.41/services/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Name: 'neg', Mode: { Replicated: { Replicas: -1 } }, TaskTemplate: { ContainerSpec: { Image: IMAGE } } }),
    });
    assert.equal(neg.status, 400);
    assert.match(((await neg.json()) as { message: string }).message, /Replicas/);

    r = await docker(manager.url, ['service', 'create', '-d', '--name', 'bad', 'localhost/no-such-image:1']);
    assert.equal(r.code, 0, r.stderr);
    const rejected = await until(async () => (await tasksOf('bad')).find((t) => t.Status.State === 'rejected'), 60_000, 'rejected task');
    assert.ok(rejected.Status.Err && rejected.Status.Err.length > 0, 'carries the engine error');
    const ping = await fetch(`${manager.url}/_ping`);
    assert.equal(ping.status, 200, 'manager still healthy');
  });
});
