// Berth networks on the real Podman engine: the Worker makes the engine network for a task's
// attachment, containers join it at their allocated address and MAC and ask Berth's resolver on
// the gateway, a restarted agent adopts them, a networked task is drained before it stops, and
// the engine network goes once no task uses it — never one Berth did not make. (Names, VIPs and
// the data path across hosts: test/e2e/overlay.test.ts.)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Dockerode from 'dockerode';
import { DRAIN_MS } from '../../src/agent/tasks/task-runner.js';
import { Worker } from '../../src/agent/tasks/worker.js';
import { engineNetworkName, LABEL_NETWORK } from '../../src/agent/tasks/networks.js';
import { newId } from '../../src/common/ids.js';
import { silentLogger } from '../../src/common/log.js';
import { msToNs, now } from '../../src/common/time.js';
import type { Network, Task, TaskStatusUpdate } from '../../src/types/index.js';
import { TEST_CLUSTER, TEST_IMAGE, removeNodeContainers, testEngine } from '../helpers/engine.js';
import { docker as dockerCli } from '../helpers/berth.js';
import { until } from '../helpers/wait.js';
import { testNetwork } from '../helpers/objects.js';

// A subnet of its own, so this test never collides with a cluster's allocations (10.0.x.0/24 first).
const SUBNET = '10.213.7.0/24';

const makeNetwork = (internal: boolean): Network => testNetwork({ subnet: SUBNET, gateway: '10.213.7.1', internal });

function makeTask(nodeId: string, service: string, network: Network, args: string[], address?: string): Task {
  return {
    ID: newId(),
    Version: { Index: 1 },
    CreatedAt: now(),
    UpdatedAt: now(),
    Spec: { ContainerSpec: { Image: TEST_IMAGE, Args: args, StopGracePeriod: msToNs(1_000) }, Networks: [{ Target: network.ID }] },
    ServiceID: newId(),
    Slot: 1,
    NodeID: nodeId,
    Status: { Timestamp: now(), State: 'assigned', Message: 'scheduler assigned task to node' },
    DesiredState: 'running',
    BerthService: { Name: service, Labels: {} },
    NetworksAttachments: [{ Network: network, ...(address && { Addresses: [address] }) }],
  };
}

describe('agent networks on the engine', { timeout: 180_000 }, () => {
  let docker: Dockerode;
  let engineUrl: string;
  const nodeId = newId();
  const network = makeNetwork(true);
  const workers: Worker[] = [];
  const updates: TaskStatusUpdate[] = [];
  const foreign = `itest-foreign-${nodeId.slice(0, 6)}`;

  const startWorker = (): Worker => {
    const w = new Worker({ docker, clusterId: TEST_CLUSTER, nodeId, log: silentLogger(), report: (u) => void updates.push(u) });
    workers.push(w);
    return w;
  };
  const running = (taskId: string, since = 0): Promise<string> =>
    until(() => updates.slice(since).find((u) => u.taskId === taskId && u.status.State === 'running')?.status.ContainerStatus?.ContainerID, 30_000, `task ${taskId} running`, 20);
  const exec = async (containerId: string, cmd: string[]): Promise<string> => {
    const r = await dockerCli(engineUrl, ['exec', containerId, ...cmd], 30_000);
    return r.stdout + r.stderr;
  };
  const engineNetworks = (): Promise<Dockerode.NetworkInspectInfo[]> => docker.listNetworks({ filters: { label: [`${LABEL_NETWORK}=${network.ID}`] } });

  before(async () => {
    ({ docker, url: engineUrl } = await testEngine());
    // A network Berth did not make, with no container: pruning must leave it alone.
    await docker.createNetwork({ Name: foreign, Driver: 'bridge', Labels: { 'itest.owner': 'someone-else' } });
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await removeNodeContainers(docker, nodeId);
    for (const n of [...(await engineNetworks()), { Id: foreign }]) await docker.getNetwork(n.Id).remove().catch(() => undefined);
  });

  const web = makeTask(nodeId, 'web', network, ['sh', '-c', 'echo ok > /index.html && exec httpd -f -p 80 -h /'], '10.213.7.20/24');
  const client = makeTask(nodeId, 'client', network, ['sleep', '100000'], '10.213.7.21/24');
  let clientContainer = '';

  test('the worker makes one engine network per Berth network, with its subnet, labels and Internal', async () => {
    const worker = startWorker();
    worker.assign([web, client]);
    await running(web.ID);
    clientContainer = await running(client.ID);
    const nets = await engineNetworks();
    assert.equal(nets.length, 1);
    const info = await docker.getNetwork(nets[0]!.Id).inspect();
    assert.equal(info.Name, engineNetworkName(network));
    assert.equal(info.Internal, true);
    assert.equal(info.Labels?.['berth.network.name'], network.Spec.Name);
    assert.equal(info.IPAM?.Config?.[0]?.Subnet, SUBNET);
    assert.equal(Object.keys(info.Containers ?? {}).length, 2);
  });

  test('containers join at their allocated address and derived MAC, and ask the resolver on the gateway', async () => {
    const info = await docker.getContainer(clientContainer).inspect();
    const ep = info.NetworkSettings.Networks?.[engineNetworkName(network)];
    assert.equal(ep?.IPAddress, '10.213.7.21');
    assert.equal(ep?.MacAddress, '02:42:0a:d5:07:15');
    assert.equal((await exec(clientContainer, ['wget', '-q', '-O', '-', 'http://10.213.7.20/'])).trim(), 'ok');
    const resolv = await exec(clientContainer, ['cat', '/etc/resolv.conf']);
    assert.match(resolv, /nameserver 10\.213\.7\.1/);
    assert.match(resolv, /options ndots:0/);
  });

  test('after an agent restart the containers are adopted and still answer by name', async () => {
    await workers[0]!.close();
    const mark = updates.length;
    const worker = startWorker();
    worker.assign([web, client]);
    await until(() => worker.statuses().length === 2, 10_000, 'tasks held');
    assert.equal((await exec(clientContainer, ['wget', '-q', '-O', '-', 'http://10.213.7.20/'])).trim(), 'ok');
    assert.equal((await engineNetworks()).length, 1, 'no second network');
    assert.ok(!updates.slice(mark).some((u) => u.status.State === 'failed' || u.status.State === 'rejected'));
  });

  test('a running task on a network is drained before it stops', async () => {
    const worker = workers[1]!;
    const mark = updates.length;
    const asked = Date.now();
    worker.update([{ ...web, DesiredState: 'shutdown' }], []);
    // The manager has taken it out of every node's load balancer and resolver; the drain lets that reach them first.
    await until(() => updates.slice(mark).some((u) => u.taskId === web.ID && u.status.State === 'shutdown'), 30_000, 'web shut down');
    assert.ok(Date.now() - asked >= DRAIN_MS, `stopped only after the ${DRAIN_MS} ms drain`);
  });

  test('the engine network is removed once no task uses it; others are left alone', async () => {
    workers[1]!.assign([]);
    await until(async () => (await engineNetworks()).length === 0, 60_000, 'engine network removed');
    assert.ok(await docker.getNetwork(foreign).inspect(), 'a network Berth did not make stays');
  });
});
