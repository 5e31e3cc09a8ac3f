// Secret and config files on the real Podman engine: the Worker writes them on its node's tmpfs
// with the asked owner and mode, binds them read-only into the container, renders templates
// per task, keeps them across an agent restart (writing missing ones again) and removes them
// with the container. Each test has its own node id and files root.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { Worker, type TaskObjects } from '../../src/agent/tasks/worker.js';
import { newId } from '../../src/common/ids.js';
import { silentLogger } from '../../src/common/log.js';
import { msToNs, now } from '../../src/common/time.js';
import type { Config, ConfigReference, Secret, SecretReference, Task, TaskState, TaskStatus, TaskStatusUpdate } from '../../src/types/index.js';
import { TEST_CLUSTER, TEST_IMAGE, execIn, nodeContainers, removeNodeContainers, testEngine } from '../helpers/engine.js';
import { until } from '../helpers/wait.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const meta = { Version: { Index: 1 }, CreatedAt: now(), UpdatedAt: now() };
const DB_PASSWORD = 'correct horse battery staple';

const secret: Secret = { ID: newId(), ...meta, Spec: { Name: 'db_password', Data: b64(DB_PASSWORD) } };
const appConf: Config = {
  ID: newId(),
  ...meta,
  Spec: { Name: 'app.conf', Data: b64('replica={{.Task.Slot}}\nhost={{.Node.Hostname}}\nmode={{env "MODE"}}\npass={{secret "db"}}\n'), Templating: { Name: 'golang' } },
};
const objects: TaskObjects = { secrets: [secret], configs: [appConf] };
const secretRef: SecretReference = { SecretID: secret.ID, SecretName: 'db_password', File: { Name: 'db', UID: '1000', GID: '1001', Mode: 0o400 } };
const configRef: ConfigReference = { ConfigID: appConf.ID, ConfigName: 'app.conf', File: { Name: '/etc/app.conf', UID: '0', GID: '0', Mode: 0o444 } };

function makeTask(nodeId: string, slot: number, over: { secrets?: SecretReference[]; configs?: ConfigReference[]; desired?: TaskState } = {}): Task {
  return {
    ID: newId(),
    ...meta,
    Spec: {
      ContainerSpec: {
        Image: TEST_IMAGE,
        Args: ['sleep', '1000'],
        User: '1000',
        Env: ['MODE=production'],
        ReadOnly: true,
        StopGracePeriod: msToNs(500),
        Secrets: over.secrets ?? [secretRef],
        Configs: over.configs ?? [configRef],
      },
    },
    ServiceID: 'svc-secrets',
    Slot: slot,
    NodeID: nodeId,
    Status: { Timestamp: now(), State: 'assigned', Message: 'assigned' },
    DesiredState: over.desired ?? 'running',
    BerthService: { Name: 'app', Labels: {} },
  };
}

class Recorder {
  readonly updates: TaskStatusUpdate[] = [];
  readonly report = (u: TaskStatusUpdate): void => void this.updates.push(u);
  reach(taskId: string, state: TaskState, timeoutMs = 30_000): Promise<TaskStatus> {
    return until(() => this.updates.find((u) => u.taskId === taskId && u.status.State === state)?.status, timeoutMs, `task ${taskId} ${state}`, 20);
  }
}

const isMounted = (dir: string): boolean => readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir);

describe('secret and config files on the engine', { concurrency: true, timeout: 180_000 }, () => {
  let docker: Dockerode;
  let root: string;
  const nodes: string[] = [];
  const workers: Worker[] = [];

  const setup = (nodeId = newId()): { nodeId: string; rec: Recorder; worker: Worker } => {
    const rec = new Recorder();
    const worker = new Worker({ docker, clusterId: TEST_CLUSTER, nodeId, log: silentLogger(), report: rec.report, node: { Hostname: 'files-host' }, filesRoot: root });
    if (!nodes.includes(nodeId)) nodes.push(nodeId);
    workers.push(worker);
    return { nodeId, rec, worker };
  };

  before(async () => {
    ({ docker } = await testEngine());
    root = await mkdtemp(join(tmpdir(), 'berth-files-'));
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await Promise.all(nodes.map((n) => removeNodeContainers(docker, n)));
    // What a test left behind (a failed assertion) must not stay mounted.
    for (const n of nodes) {
      const dir = join(root, n);
      if (isMounted(dir)) await import('node:child_process').then(({ execFileSync }) => execFileSync('umount', [dir]));
    }
    await rm(root, { recursive: true, force: true });
  });

  test('files appear at their targets with owner, group and mode, read-only, and templates render per replica', async () => {
    const { nodeId, rec, worker } = setup();
    const one = makeTask(nodeId, 1);
    const two = makeTask(nodeId, 2);
    worker.assign([one, two], objects);
    const [r1, r2] = await Promise.all([rec.reach(one.ID, 'running'), rec.reach(two.ID, 'running')]);
    const c1 = r1.ContainerStatus!.ContainerID!;
    const c2 = r2.ContainerStatus!.ContainerID!;

    const cat = await execIn(docker, c1, ['cat', '/run/secrets/db']);
    assert.deepEqual(cat, { code: 0, output: DB_PASSWORD }, 'uid 1000 reads its 0400 secret');
    assert.equal((await execIn(docker, c1, ['stat', '-c', '%u %g %a', '/run/secrets/db'])).output.trim(), '1000 1001 400');
    assert.equal((await execIn(docker, c1, ['stat', '-c', '%u %g %a', '/etc/app.conf'])).output.trim(), '0 0 444');
    assert.equal((await execIn(docker, c1, ['cat', '/etc/app.conf'])).output, `replica=1\nhost=files-host\nmode=production\npass=${DB_PASSWORD}\n`);
    assert.match((await execIn(docker, c2, ['cat', '/etc/app.conf'])).output, /^replica=2\n/, 'one config, per-replica content');
    const write = await execIn(docker, c1, ['sh', '-c', 'echo x > /run/secrets/db']);
    assert.notEqual(write.code, 0, 'the file is read-only');
    assert.match(write.output, /Read-only file system|Permission denied/);

    const nodeDir = join(root, nodeId);
    assert.ok(isMounted(nodeDir), 'the node’s files live on a tmpfs');
    const info = await docker.getContainer(c1).inspect();
    const binds = info.Mounts.filter((m) => m.Source.startsWith(nodeDir)).map((m) => [m.Destination, m.RW]);
    assert.deepEqual(binds.sort(), [['/etc/app.conf', false], ['/run/secrets/db', false]]);
    assert.ok(!JSON.stringify(info).includes(DB_PASSWORD), 'the secret is in no container field');

    // Removal takes the files along; with no task left, closing unmounts the tmpfs.
    worker.update([], [one.ID, two.ID]);
    await until(async () => (await nodeContainers(docker, nodeId)).length === 0, 30_000, 'containers removed');
    await until(() => !existsSync(join(nodeDir, one.ID)) && !existsSync(join(nodeDir, two.ID)), 10_000, 'task files removed');
    assert.deepEqual(worker.objectCounts, { secrets: 0, configs: 0 }, 'objects no task references are forgotten');
    await worker.close();
    assert.ok(!isMounted(nodeDir) && !existsSync(nodeDir), 'tmpfs unmounted and removed');
  });

  test('after an agent restart the files are still there; missing ones are written again before a start', async () => {
    const { nodeId, rec, worker } = setup();
    const running = makeTask(nodeId, 1);
    const held = makeTask(nodeId, 2, { desired: 'ready' });
    worker.assign([running, held], objects);
    const r = await rec.reach(running.ID, 'running');
    const ready = await rec.reach(held.ID, 'ready');
    await worker.close();
    const nodeDir = join(root, nodeId);
    assert.ok(isMounted(nodeDir), 'containers remain, so their files stay mounted');
    // As after a reboot: the held task's files are gone, its created container is not.
    await rm(join(nodeDir, held.ID), { recursive: true });

    const again = setup(nodeId);
    again.worker.assign(
      [{ ...running, Status: r }, { ...held, Status: ready, DesiredState: 'running' }],
      objects,
    );
    const started = await again.rec.reach(held.ID, 'running');
    assert.equal(started.ContainerStatus?.ContainerID, ready.ContainerStatus?.ContainerID, 'the created container was adopted and started');
    assert.equal((await execIn(docker, started.ContainerStatus!.ContainerID!, ['cat', '/run/secrets/db'])).output, DB_PASSWORD);
    assert.equal((await execIn(docker, r.ContainerStatus!.ContainerID!, ['cat', '/run/secrets/db'])).output, DB_PASSWORD, 'the adopted running container still reads its file');
    assert.equal(again.rec.updates.filter((u) => u.taskId === running.ID && u.status.State !== 'running').length, 0);
  });

  test('a template error or a missing object rejects the task, saying which and why', async () => {
    const { nodeId, rec, worker } = setup();
    const broken: Config = { ID: newId(), ...meta, Spec: { Name: 'broken.conf', Data: b64('ok\n{{.Task.Slot}}\n{{.Task.Nope}}\n'), Templating: { Name: 'golang' } } };
    const bad = makeTask(nodeId, 1, { configs: [{ ConfigID: broken.ID, ConfigName: 'broken.conf', File: { Name: '/etc/broken.conf', UID: '0', GID: '0', Mode: 0o444 } }] });
    const orphan = makeTask(nodeId, 2, { secrets: [{ SecretID: 'gone', SecretName: 'gone', File: { Name: 'gone', UID: '0', GID: '0', Mode: 0o444 } }], configs: [] });
    worker.assign([bad, orphan], { secrets: [secret], configs: [broken] });
    const rejected = await rec.reach(bad.ID, 'rejected');
    assert.equal(rejected.Err, "failed to expand templated config broken.conf: template line 3: at <.Task.Nope>: can't evaluate field Nope in .Task: its fields are ID, Name, Slot");
    const missing = await rec.reach(orphan.ID, 'rejected');
    assert.match(missing.Err ?? '', /^secret gone \(gone\) is not available on this node/);
    assert.equal((await nodeContainers(docker, nodeId)).length, 0, 'no container was made');
  });
});
