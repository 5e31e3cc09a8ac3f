// The agent pulls a task's image with the login the manager sent for it, from a real registry
// that requires one (distribution 2.8 with htpasswd, plain HTTP on loopback), on the shared
// Podman engine; a wrong or missing login rejects the task with an Err naming the registry and
// "unauthorized", never the password.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Dockerode from 'dockerode';
import { Worker } from '../../src/agent/tasks/worker.js';
import { newId } from '../../src/common/ids.js';
import { silentLogger } from '../../src/common/log.js';
import { msToNs, now } from '../../src/common/time.js';
import { encodeAuth } from '../../src/common/pull-auth.js';
import type { Task, TaskPullAuth, TaskState, TaskStatus, TaskStatusUpdate } from '../../src/types/index.js';
import { TEST_CLUSTER, TEST_IMAGE, removeNodeContainers, testEngine } from '../helpers/engine.js';
import { startAuthRegistry, type AuthRegistry } from '../helpers/auth-registry.js';
import { until } from '../helpers/wait.js';

const PASSWORD = 'pulls-test-Pa55word';

function makeTask(nodeId: string, image: string): Task {
  return {
    ID: newId(),
    Version: { Index: 1 },
    CreatedAt: now(),
    UpdatedAt: now(),
    Spec: { ContainerSpec: { Image: image, Args: ['sleep', '600'], StopGracePeriod: msToNs(500) } },
    ServiceID: newId(),
    Slot: 1,
    NodeID: nodeId,
    Status: { Timestamp: now(), State: 'assigned', Message: 'scheduler assigned task to node' },
    DesiredState: 'running',
    BerthService: { Name: 'pulls-auth', Labels: {} },
  };
}

describe('agent pulls with registry logins', { timeout: 120_000 }, () => {
  let docker: Dockerode;
  let registry: AuthRegistry;
  let image: string;
  const nodeId = newId();
  const updates: TaskStatusUpdate[] = [];
  let worker: Worker;

  const reach = (taskId: string, state: TaskState): Promise<TaskStatus> =>
    until(() => updates.find((u) => u.taskId === taskId && u.status.State === state)?.status, 30_000, `task ${taskId} ${state}`, 20);
  const login = (taskId: string, password: string): TaskPullAuth => ({
    taskId,
    registry: registry.address,
    auth: encodeAuth({ username: 'alice', password, serveraddress: registry.address }),
    source: 'registry credential pulls-test',
  });
  /** The engine must not have the image, or no pull (and no login) happens. */
  const forget = async (): Promise<void> => {
    await docker.getImage(image).remove().catch((err: { statusCode?: number }) => {
      if (err.statusCode !== 404) throw err;
    });
  };

  before(async () => {
    ({ docker } = await testEngine());
    registry = await startAuthRegistry('alice', PASSWORD);
    image = await registry.push(TEST_IMAGE, `pulls/auth-${nodeId.slice(0, 8)}:1`);
    worker = new Worker({ docker, clusterId: TEST_CLUSTER, nodeId, log: silentLogger(), report: (u) => void updates.push(u), insecureRegistries: [registry.address] });
  });

  after(async () => {
    await worker?.close();
    await removeNodeContainers(docker, nodeId);
    if (image) await forget();
    await registry?.stop();
  });

  test('a wrong login rejects the task naming the registry and "unauthorized", never the password', async () => {
    await forget();
    const task = makeTask(nodeId, image);
    worker.update([task], [], { pullAuths: [login(task.ID, 'wrong-Pa55word')] });
    const rejected = await reach(task.ID, 'rejected');
    assert.match(rejected.Err ?? '', new RegExp(`from registry ${registry.address.replace(/\./g, '\\.')}: unauthorized: the registry refused the login from registry credential pulls-test`));
    assert.ok(!JSON.stringify(updates).includes('wrong-Pa55word'), 'no status carries the password');
  });

  test('no login rejects the task saying the registry needs one', async () => {
    await forget();
    const task = makeTask(nodeId, image);
    worker.update([task], []);
    const rejected = await reach(task.ID, 'rejected');
    assert.match(rejected.Err ?? '', /unauthorized: the registry needs a login and the service has none/);
  });

  test('the right login pulls the image (over plain HTTP) and the task runs', async () => {
    await forget();
    const task = makeTask(nodeId, image);
    worker.update([task], [], { pullAuths: [login(task.ID, PASSWORD)] });
    const running = await reach(task.ID, 'running');
    const info = await docker.getContainer(running.ContainerStatus!.ContainerID!).inspect();
    assert.equal(info.Config.Image, image);
    assert.ok(!JSON.stringify(updates).includes(PASSWORD), 'no status carries the password');
  });
});
