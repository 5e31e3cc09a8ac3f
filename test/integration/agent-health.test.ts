// Health gating on the real Podman engine (which does not run healthchecks itself here, so the
// agent's own exec probes decide): STARTING until healthy, FAILED and stopped once unhealthy.
// The test image is built FROM scratch and has no /tmp: the commands make it.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Dockerode from 'dockerode';
import { Worker } from '../../src/agent/tasks/worker.js';
import { newId } from '../../src/common/ids.js';
import { silentLogger } from '../../src/common/log.js';
import { msToNs, now } from '../../src/common/time.js';
import type { HealthConfig, Task, TaskState, TaskStatus, TaskStatusUpdate } from '../../src/types/index.js';
import { TEST_CLUSTER, TEST_IMAGE, removeNodeContainers, testEngine } from '../helpers/engine.js';
import { until } from '../helpers/wait.js';

function makeTask(nodeId: string, args: string[], health: HealthConfig): Task {
  return {
    ID: newId(),
    Version: { Index: 1 },
    CreatedAt: now(),
    UpdatedAt: now(),
    // sh as PID 1 ignores SIGTERM: a short grace keeps the stop of an unhealthy container quick.
    Spec: { ContainerSpec: { Image: TEST_IMAGE, Args: args, Healthcheck: health, StopGracePeriod: msToNs(300) } },
    ServiceID: newId(),
    Slot: 1,
    NodeID: nodeId,
    Status: { Timestamp: now(), State: 'assigned', Message: 'scheduler assigned task to node' },
    DesiredState: 'running',
    BerthService: { Name: 'health', Labels: {} },
  };
}

/** Collects what a worker reports, with the time each report came. */
class Recorder {
  readonly updates: (TaskStatusUpdate & { at: number })[] = [];
  readonly report = (u: TaskStatusUpdate): void => void this.updates.push({ ...u, at: Date.now() });

  states(): TaskState[] {
    return this.updates.map((u) => u.status.State);
  }

  reach(state: TaskState, timeoutMs = 20_000): Promise<TaskStatus & { at: number }> {
    return until(
      () => {
        const u = this.updates.find((x) => x.status.State === state);
        return u && { ...u.status, at: u.at };
      },
      timeoutMs,
      `task ${state}`,
      20,
    );
  }
}

describe('agent health gating on the engine', { concurrency: true, timeout: 60_000 }, () => {
  let docker: Dockerode;
  const nodes: string[] = [];
  const workers: Worker[] = [];

  const run = (args: string[], health: HealthConfig): { rec: Recorder; task: Task } => {
    const nodeId = newId();
    const rec = new Recorder();
    const worker = new Worker({ docker, clusterId: TEST_CLUSTER, nodeId, log: silentLogger(), report: rec.report });
    nodes.push(nodeId);
    workers.push(worker);
    const task = makeTask(nodeId, args, health);
    worker.assign([task]);
    return { rec, task };
  };

  const isRunning = async (status: TaskStatus): Promise<boolean> =>
    (await docker.getContainer(status.ContainerStatus!.ContainerID!).inspect()).State.Running;

  before(async () => {
    ({ docker } = await testEngine());
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await Promise.all(nodes.map((n) => removeNodeContainers(docker, n)));
  });

  test('a task stays STARTING until its check passes, then RUNNING', async () => {
    // The start period keeps the failing probes of the first 2 s from counting (as in Docker);
    // without it, three failures at this interval would rightly make the container unhealthy.
    const { rec } = run(['sh', '-c', 'mkdir -p /tmp; sleep 2; touch /tmp/ok; sleep 1000'], {
      Test: ['CMD-SHELL', 'test -f /tmp/ok'],
      Interval: msToNs(300),
      StartPeriod: msToNs(10_000),
    });
    const running = await rec.reach('running');
    const waiting = rec.updates.find((u) => u.status.Message.includes('healthy'));
    assert.ok(waiting, 'a STARTING report says it waits for health');
    assert.equal(waiting.status.State, 'starting');
    assert.ok(waiting.status.ContainerStatus?.ContainerID, 'the waiting report carries the container');
    assert.deepEqual(rec.states(), ['accepted', 'preparing', 'ready', 'starting', 'starting', 'running']);
    assert.equal(running.Message, 'started');
    const gatedMs = running.at - waiting.at;
    assert.ok(gatedMs >= 1_500, `RUNNING came only once the check could pass (after ${gatedMs} ms)`);
    assert.ok((running.ContainerStatus?.PID ?? 0) > 0, 'running status carries the pid');
  });

  test('a check that always fails: FAILED with "unhealthy container", container stopped', async () => {
    const { rec } = run(['sleep', '1000'], { Test: ['CMD', 'false'], Interval: msToNs(200), Retries: 2 });
    const failed = await rec.reach('failed');
    assert.match(failed.Err ?? '', /^unhealthy container/);
    assert.ok(!rec.states().includes('running'), 'never RUNNING');
    assert.equal(await isRunning(failed), false, 'the container was stopped');
  });

  test('a check that outlasts its timeout counts as a failure', async () => {
    const { rec } = run(['sleep', '1000'], { Test: ['CMD', 'sleep', '5'], Interval: msToNs(100), Timeout: msToNs(200), Retries: 1 });
    const failed = await rec.reach('failed');
    assert.match(failed.Err ?? '', /^unhealthy container.*timeout/);
    assert.ok(failed.at - rec.updates[0]!.at < 4_000, 'the probe was not waited out');
  });

  test('a container turning unhealthy after RUNNING fails the task and is stopped', async () => {
    const { rec } = run(['sh', '-c', 'mkdir -p /tmp; touch /tmp/ok; sleep 2; rm /tmp/ok; sleep 1000'], {
      Test: ['CMD-SHELL', 'test -f /tmp/ok || { echo gone; exit 1; }'],
      Interval: msToNs(200),
      Retries: 2,
      // Only failures after the first success must count here, however slow the first probes are.
      StartPeriod: msToNs(10_000),
    });
    const running = await rec.reach('running');
    const failed = await rec.reach('failed');
    assert.ok(failed.at - running.at >= 1_000, 'it ran before it turned unhealthy');
    assert.equal(failed.Err, 'unhealthy container: gone');
    assert.equal(await isRunning(failed), false, 'the container was stopped');
  });

  test('Test NONE disables the check: RUNNING at once', async () => {
    const { rec } = run(['sleep', '1000'], { Test: ['NONE'], Interval: msToNs(100) });
    const running = await rec.reach('running');
    assert.deepEqual(rec.states(), ['accepted', 'preparing', 'ready', 'starting', 'running']);
    assert.equal(running.Message, 'started');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(rec.states().at(-1), 'running', 'nothing checks it');
  });
});
