// Bind mounts on the real Podman engine: a task whose bind source this host does not have is
// REJECTED with Docker's words and nothing is made on the host (Podman's Docker-compatible API
// would make the source a directory); a source that exists is bound as given.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { Worker } from '../../src/agent/tasks/worker.js';
import { newId } from '../../src/common/ids.js';
import { silentLogger } from '../../src/common/log.js';
import { msToNs, now } from '../../src/common/time.js';
import type { Mount, Task, TaskState, TaskStatus, TaskStatusUpdate } from '../../src/types/index.js';
import { TEST_CLUSTER, TEST_IMAGE, execIn, nodeContainers, removeNodeContainers, testEngine } from '../helpers/engine.js';
import { until } from '../helpers/wait.js';

function makeTask(nodeId: string, slot: number, mounts: Mount[]): Task {
  return {
    ID: newId(),
    Version: { Index: 1 },
    CreatedAt: now(),
    UpdatedAt: now(),
    Spec: { ContainerSpec: { Image: TEST_IMAGE, Args: ['sleep', '1000'], StopGracePeriod: msToNs(500), Mounts: mounts } },
    ServiceID: 'svc-mounts',
    Slot: slot,
    NodeID: nodeId,
    Status: { Timestamp: now(), State: 'assigned', Message: 'assigned' },
    DesiredState: 'running',
    BerthService: { Name: 'mounts', Labels: {} },
  };
}

describe('bind mounts on the engine', { timeout: 120_000 }, () => {
  let docker: Dockerode;
  let dir: string;
  const nodeId = newId();
  const updates: TaskStatusUpdate[] = [];
  let worker: Worker;
  const reach = (taskId: string, state: TaskState): Promise<TaskStatus> =>
    until(() => updates.find((u) => u.taskId === taskId && u.status.State === state)?.status, 30_000, `task ${taskId} ${state}`, 20);

  before(async () => {
    ({ docker } = await testEngine());
    dir = await mkdtemp(join(tmpdir(), 'berth-mounts-'));
    worker = new Worker({ docker, clusterId: TEST_CLUSTER, nodeId, log: silentLogger(), report: (u) => void updates.push(u) });
  });

  after(async () => {
    await worker.close();
    await removeNodeContainers(docker, nodeId);
    await rm(dir, { recursive: true, force: true });
  });

  test('a missing bind source, or a link to one, rejects the task as Docker does and is not made on the host', async () => {
    // Nested, as /var/run/docker.sock is: the engine would make every missing level.
    const missing = join(dir, 'var', 'run', 'docker.sock');
    const dangling = join(dir, 'dangling.sock');
    const target = join(dir, 'nowhere', 'engine.sock');
    await symlink(target, dangling);
    const volumeDir = join(dir, 'volumes');
    const tasks = [
      makeTask(nodeId, 1, [{ Type: 'bind', Source: missing, Target: '/var/run/docker.sock' }]),
      makeTask(nodeId, 2, [{ Type: 'bind', Source: dangling, Target: '/var/run/docker.sock' }]),
      makeTask(nodeId, 3, [{ Type: 'bind', Source: 'relative/dir', Target: '/data' }]),
      // The engine takes an absolute volume source for a host path, and would make it too.
      makeTask(nodeId, 4, [{ Type: 'volume', Source: volumeDir, Target: '/data' }]),
    ];
    worker.assign(tasks);
    const errs = await Promise.all(tasks.map(async (t) => (await reach(t.ID, 'rejected')).Err));
    assert.deepEqual(errs, [
      `invalid mount config for type "bind": bind source path does not exist: ${missing}`,
      `invalid mount config for type "bind": bind source path does not exist: ${dangling}`,
      'invalid bind mount source, must be an absolute path: relative/dir',
      `invalid volume mount source, must not be an absolute path: ${volumeDir}`,
    ]);
    assert.equal(existsSync(join(dir, 'var')), false, 'nothing made for the missing source');
    assert.equal(existsSync(join(dir, 'nowhere')), false, 'nothing made where the link points');
    assert.ok((await lstat(dangling)).isSymbolicLink(), 'the link is left as it was');
    assert.equal(existsSync(volumeDir), false, 'nothing made for the volume source');
    assert.equal((await nodeContainers(docker, nodeId)).length, 0, 'no container was created');
  });

  test('a bind source that exists is bound, read-only when asked', async () => {
    const data = join(dir, 'data');
    await mkdir(data);
    await writeFile(join(data, 'hello'), 'from the host');
    const link = join(dir, 'data-link');
    await symlink(data, link);
    const task = makeTask(nodeId, 5, [
      { Type: 'bind', Source: data, Target: '/data', ReadOnly: true },
      { Type: 'bind', Source: link, Target: '/linked' },
    ]);
    worker.assign([task]);
    const running = await reach(task.ID, 'running');
    const id = running.ContainerStatus!.ContainerID!;
    assert.equal((await execIn(docker, id, ['cat', '/data/hello'])).output, 'from the host');
    assert.equal((await execIn(docker, id, ['cat', '/linked/hello'])).output, 'from the host', 'a link to a directory that exists is followed');
    assert.notEqual((await execIn(docker, id, ['touch', '/data/new'])).code, 0, 'read-only');
  });
});
