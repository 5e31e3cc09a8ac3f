// The node's Worker on the real Podman engine, driven with hand-made tasks. Each test uses its
// own random node id, so tests can run side by side and clean up only their own containers.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { connectPodman } from '../../src/agent/engine/engine.js';
import { Worker } from '../../src/agent/tasks/worker.js';
import { newId } from '../../src/common/ids.js';
import { silentLogger } from '../../src/common/log.js';
import { msToNs, now } from '../../src/common/time.js';
import type { Task, TaskState, TaskStatus, TaskStatusUpdate } from '../../src/types/index.js';
import { TEST_CLUSTER, TEST_IMAGE, nodeContainers, removeNodeContainers, testEngine } from '../helpers/engine.js';
import { until } from '../helpers/wait.js';

interface TaskOptions {
  args?: string[];
  image?: string;
  desired?: TaskState;
  graceMs?: number;
  slot?: number;
  hostPort?: number;
}

function makeTask(nodeId: string, o: TaskOptions = {}): Task {
  return {
    ID: newId(),
    Version: { Index: 1 },
    CreatedAt: now(),
    UpdatedAt: now(),
    Spec: {
      ContainerSpec: {
        Image: o.image ?? TEST_IMAGE,
        Args: o.args ?? ['httpd', '-f', '-p', '8080'],
        Labels: { 'test.label': 'yes' },
        // httpd as PID 1 ignores SIGTERM: a short grace keeps shutdowns quick.
        StopGracePeriod: msToNs(o.graceMs ?? 1_000),
      },
    },
    ServiceID: newId(),
    Slot: o.slot ?? 1,
    NodeID: nodeId,
    Status: { Timestamp: now(), State: 'assigned', Message: 'scheduler assigned task to node' },
    DesiredState: o.desired ?? 'running',
    BerthService: {
      Name: 'web',
      Labels: {},
      ...(o.hostPort && { Endpoint: { Ports: [{ Protocol: 'tcp', TargetPort: 8080, PublishedPort: o.hostPort, PublishMode: 'host' } as const] } }),
    },
  };
}

/** Collects what a worker reports, as the session would. */
class Recorder {
  readonly updates: TaskStatusUpdate[] = [];
  readonly report = (u: TaskStatusUpdate): void => void this.updates.push(u);

  states(taskId: string): TaskState[] {
    return this.updates.filter((u) => u.taskId === taskId).map((u) => u.status.State);
  }

  reach(taskId: string, state: TaskState, timeoutMs = 20_000): Promise<TaskStatus> {
    return until(() => this.updates.find((u) => u.taskId === taskId && u.status.State === state)?.status, timeoutMs, `task ${taskId} ${state}`, 20);
  }
}

describe('agent worker on the engine', { concurrency: true, timeout: 120_000 }, () => {
  let docker: Dockerode;
  const nodes: string[] = [];
  const workers: Worker[] = [];

  const setup = (nodeId = newId()): { nodeId: string; rec: Recorder; worker: Worker } => {
    const rec = new Recorder();
    const worker = new Worker({ docker, clusterId: TEST_CLUSTER, nodeId, log: silentLogger(), report: rec.report });
    nodes.push(nodeId);
    workers.push(worker);
    return { nodeId, rec, worker };
  };

  before(async () => {
    ({ docker } = await testEngine());
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await Promise.all(nodes.map((n) => removeNodeContainers(docker, n)));
  });

  test('a task runs: states in order, labels set, container running; shutdown stops it', async () => {
    const { nodeId, rec, worker } = setup();
    const task = makeTask(nodeId);
    worker.assign([task]);
    const running = await rec.reach(task.ID, 'running');
    assert.deepEqual(rec.states(task.ID), ['accepted', 'preparing', 'ready', 'starting', 'running']);
    assert.equal(running.Message, 'started');
    const id = running.ContainerStatus?.ContainerID;
    assert.ok(id, 'running status carries the container id');
    assert.ok((running.ContainerStatus?.PID ?? 0) > 0, 'running status carries the pid');

    const info = await docker.getContainer(id).inspect();
    assert.equal(info.State.Running, true);
    assert.equal(info.Name.replace(/^\//, ''), `web.1.${task.ID}`);
    const labels = info.Config.Labels;
    assert.equal(labels['berth.node.id'], nodeId);
    assert.equal(labels['berth.task.id'], task.ID);
    assert.equal(labels['berth.service.id'], task.ServiceID);
    assert.equal(labels['berth.slot'], '1');
    assert.equal(labels['com.docker.swarm.task.id'], task.ID);
    assert.equal(labels['com.docker.swarm.service.name'], 'web');
    assert.equal(labels['test.label'], 'yes');
    assert.equal(info.HostConfig.RestartPolicy?.Name, 'no');
    assert.deepEqual(worker.statuses().map((s) => s.status.State), ['running']);

    worker.update([{ ...task, DesiredState: 'shutdown' }], []);
    const down = await rec.reach(task.ID, 'shutdown');
    assert.equal(down.Message, 'shutdown');
    assert.equal(down.ContainerStatus?.ContainerID, id);
    assert.equal((await docker.getContainer(id).inspect()).State.Running, false);
    assert.equal(rec.states(task.ID).at(-1), 'shutdown');
    assert.deepEqual(worker.statuses().map((s) => s.status.State), ['shutdown']);
  });

  test('exit 3 fails with the exit code; exit 0 completes', async () => {
    const { nodeId, rec, worker } = setup();
    const bad = makeTask(nodeId, { args: ['sh', '-c', 'exit 3'], slot: 1 });
    const good = makeTask(nodeId, { args: ['true'], slot: 2 });
    worker.assign([bad, good]);
    const failed = await rec.reach(bad.ID, 'failed');
    assert.equal(failed.Err, 'task: non-zero exit (3)');
    assert.equal(failed.ContainerStatus?.ExitCode, 3);
    const complete = await rec.reach(good.ID, 'complete');
    assert.equal(complete.Message, 'finished');
    assert.equal(complete.ContainerStatus?.ExitCode, 0);
    assert.equal(complete.Err, undefined);
    assert.deepEqual(rec.states(good.ID), ['accepted', 'preparing', 'ready', 'starting', 'running', 'complete']);
    // Terminal tasks still assigned keep their stopped containers.
    assert.equal((await nodeContainers(docker, nodeId)).length, 2);
  });

  test('an image that cannot be pulled rejects the task with the engine error', async () => {
    const { nodeId, rec, worker } = setup();
    const task = makeTask(nodeId, { image: 'localhost/does-not-exist:1' });
    worker.assign([task]);
    const rejected = await rec.reach(task.ID, 'rejected', 60_000);
    assert.match(rejected.Err ?? '', /does-not-exist/);
    assert.doesNotMatch(rejected.Err ?? '', /HTTP code/);
    assert.deepEqual(rec.states(task.ID), ['accepted', 'preparing', 'rejected']);
    assert.equal((await nodeContainers(docker, nodeId)).length, 0);
  });

  test('a process ignoring SIGTERM is killed after the grace period', async () => {
    const { nodeId, rec, worker } = setup();
    const task = makeTask(nodeId, { args: ['sh', '-c', 'trap "" TERM; sleep 1000'], graceMs: 2_000 });
    worker.assign([task]);
    const running = await rec.reach(task.ID, 'running');
    const started = Date.now();
    worker.update([{ ...task, DesiredState: 'shutdown' }], []);
    const down = await rec.reach(task.ID, 'shutdown', 30_000);
    const tookMs = Date.now() - started;
    assert.ok(tookMs >= 1_500, `stop waited for the grace period (took ${tookMs} ms)`);
    assert.equal(down.ContainerStatus?.ExitCode, 137, 'killed by SIGKILL');
    const info = await docker.getContainer(running.ContainerStatus!.ContainerID!).inspect();
    assert.equal(info.State.Running, false);
  });

  test('desired READY holds a prepared task until desired RUNNING', async () => {
    const { nodeId, rec, worker } = setup();
    const task = makeTask(nodeId, { desired: 'ready' });
    worker.assign([task]);
    const ready = await rec.reach(task.ID, 'ready');
    assert.equal(ready.Message, 'prepared');
    await new Promise((r) => setTimeout(r, 1_000));
    assert.deepEqual(rec.states(task.ID), ['accepted', 'preparing', 'ready']);
    const [container] = await nodeContainers(docker, nodeId);
    assert.equal(container?.State, 'created');

    worker.update([{ ...task, DesiredState: 'running' }], []);
    const running = await rec.reach(task.ID, 'running');
    assert.equal(running.ContainerStatus?.ContainerID, container.Id, 'the prepared container is the one started');
  });

  test('a task dropped from the assignment has its container removed', async () => {
    const { nodeId, rec, worker } = setup();
    const keep = makeTask(nodeId, { slot: 1 });
    const drop = makeTask(nodeId, { slot: 2 });
    worker.assign([keep, drop]);
    const kept = await rec.reach(keep.ID, 'running');
    const dropped = await rec.reach(drop.ID, 'running');
    worker.assign([keep]);
    await until(async () => (await nodeContainers(docker, nodeId)).length === 1, 20_000, 'dropped container removed');
    const [left] = await nodeContainers(docker, nodeId);
    assert.equal(left?.Id, kept.ContainerStatus?.ContainerID);
    assert.notEqual(left?.Id, dropped.ContainerStatus?.ContainerID);
    assert.equal(left?.State, 'running');
    assert.deepEqual(worker.statuses().map((s) => s.taskId), [keep.ID]);
  });

  test('a restarted worker adopts its containers and removes the ones of unassigned tasks', async () => {
    const a = setup();
    const nodeId = a.nodeId;
    const t1 = makeTask(nodeId, { slot: 1 });
    const t2 = makeTask(nodeId, { slot: 2 });
    a.worker.assign([t1, t2]);
    const r1 = await a.rec.reach(t1.ID, 'running');
    const r2 = await a.rec.reach(t2.ID, 'running');
    await a.worker.close();

    // A container of a task the manager no longer assigns, left by the previous agent.
    const stray = makeTask(nodeId, { slot: 3 });
    const strayContainer = await docker.createContainer({
      name: `stray-${stray.ID}`,
      Image: TEST_IMAGE,
      Cmd: ['sleep', '1000'],
      Labels: { 'berth.node.id': nodeId, 'berth.task.id': stray.ID },
    });
    await strayContainer.start();

    const b = setup(nodeId);
    // t1 as the manager stored it (running); t2 with a status whose reports were lost.
    b.worker.assign([{ ...t1, Status: r1 }, t2]);
    const adopted2 = await b.rec.reach(t2.ID, 'running');
    assert.equal(adopted2.ContainerStatus?.ContainerID, r2.ContainerStatus?.ContainerID, 'same container, not a new one');
    assert.deepEqual(b.rec.states(t2.ID), ['running'], 'the real state is reported directly');
    await until(async () => (await nodeContainers(docker, nodeId)).length === 2, 20_000, 'stray container removed');
    const ids = (await nodeContainers(docker, nodeId)).map((c) => c.Id).sort();
    assert.deepEqual(ids, [r1.ContainerStatus!.ContainerID!, r2.ContainerStatus!.ContainerID!].sort());
    const byTask = new Map(b.worker.statuses().map((s) => [s.taskId, s.status]));
    assert.equal(byTask.get(t1.ID)?.State, 'running');
    assert.equal(byTask.get(t1.ID)?.ContainerStatus?.ContainerID, r1.ContainerStatus?.ContainerID);

    // The adopted container is watched: stopping it outside Berth fails the task.
    await docker.getContainer(r1.ContainerStatus!.ContainerID!).kill();
    const failed = await b.rec.reach(t1.ID, 'failed');
    assert.equal(failed.ContainerStatus?.ExitCode, 137);
  });

  test('a command that cannot start fails the task with the runtime error', async () => {
    const { nodeId, rec, worker } = setup();
    const task = makeTask(nodeId, { args: ['/nonexistent'] });
    worker.assign([task]);
    const failed = await rec.reach(task.ID, 'failed');
    assert.match(failed.Err ?? '', /nonexistent/);
    assert.deepEqual(rec.states(task.ID), ['accepted', 'preparing', 'ready', 'starting', 'failed']);
  });

  test('a host port already in use fails the task at start (as on Docker), stopping nothing else', async () => {
    const { nodeId, rec, worker } = setup();
    const hostPort = 20_000 + Math.floor(Math.random() * 20_000);
    const holder = makeTask(nodeId, { hostPort, slot: 1 });
    const late = makeTask(nodeId, { hostPort, slot: 2 });
    worker.assign([holder]);
    await rec.reach(holder.ID, 'running');
    worker.update([late], []);
    const failed = await rec.reach(late.ID, 'failed');
    assert.match(failed.Err ?? '', /already in use|already allocated/);
    assert.match(failed.Err ?? '', new RegExp(`\\b${hostPort}\\b`), 'the error names the port');
    assert.deepEqual(rec.states(late.ID), ['accepted', 'preparing', 'ready', 'starting', 'failed']);
    assert.deepEqual(rec.states(holder.ID), ['accepted', 'preparing', 'ready', 'starting', 'running']);
  });

  test('an engine restart is ridden out: the running task keeps being watched', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-restart-'));
    let conn = await connectPodman({ dataDir: dir, log: silentLogger() });
    const nodeId = newId();
    nodes.push(nodeId);
    const rec = new Recorder();
    const worker = new Worker({ docker: conn.docker, clusterId: TEST_CLUSTER, nodeId, log: silentLogger(), report: rec.report });
    workers.push(worker);
    try {
      const task = makeTask(nodeId, { args: ['sleep', '1000'] });
      worker.assign([task]);
      const running = await rec.reach(task.ID, 'running');
      await conn.close();
      await new Promise((r) => setTimeout(r, 500));
      conn = await connectPodman({ dataDir: dir, log: silentLogger() });
      await new Promise((r) => setTimeout(r, 1_000));
      assert.deepEqual(rec.states(task.ID).at(-1), 'running', 'an engine restart is not a task failure');
      await conn.docker.getContainer(running.ContainerStatus!.ContainerID!).kill();
      const failed = await rec.reach(task.ID, 'failed');
      assert.equal(failed.ContainerStatus?.ExitCode, 137);
    } finally {
      await worker.close();
      await conn.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('duplicate containers of one task are reduced to one, which is adopted', async () => {
    const { nodeId, rec, worker } = setup();
    const task = makeTask(nodeId);
    const labels = { 'berth.node.id': nodeId, 'berth.task.id': task.ID };
    const running = await docker.createContainer({ name: `dup-a-${task.ID}`, Image: TEST_IMAGE, Cmd: ['sleep', '1000'], Labels: labels });
    await running.start();
    await docker.createContainer({ name: `dup-b-${task.ID}`, Image: TEST_IMAGE, Cmd: ['sleep', '1000'], Labels: labels });
    worker.assign([task]);
    const status = await rec.reach(task.ID, 'running');
    assert.equal(status.ContainerStatus?.ContainerID, running.id, 'the running one is kept');
    const left = await nodeContainers(docker, nodeId);
    assert.deepEqual(left.map((c) => c.Id), [running.id]);
  });
});
