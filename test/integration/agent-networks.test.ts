// Berth networks on the real Podman engine: the Worker makes the engine network for a task's
// attachment, containers reach each other by their tasks' aliases through the engine's DNS, a
// restarted agent adopts them, and the engine network goes once no task uses it — never one
// Berth did not make.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type Dockerode from 'dockerode';
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

const run = promisify(execFile);
// A subnet of its own, so this test never collides with a cluster's allocations (10.0.x.0/24 first).
const SUBNET = '10.213.7.0/24';

const makeNetwork = (internal: boolean): Network => testNetwork({ subnet: SUBNET, gateway: '10.213.7.1', internal });

function makeTask(nodeId: string, service: string, network: Network, args: string[], aliases: string[] = []): Task {
  return {
    ID: newId(),
    Version: { Index: 1 },
    CreatedAt: now(),
    UpdatedAt: now(),
    Spec: { ContainerSpec: { Image: TEST_IMAGE, Args: args, StopGracePeriod: msToNs(1_000) }, Networks: [{ Target: network.ID, Aliases: aliases }] },
    ServiceID: newId(),
    Slot: 1,
    NodeID: nodeId,
    Status: { Timestamp: now(), State: 'assigned', Message: 'scheduler assigned task to node' },
    DesiredState: 'running',
    BerthService: { Name: service, Labels: {} },
    NetworksAttachments: [{ Network: network, BerthAliases: [service, `tasks.${service}`, ...aliases] }],
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

  const web = makeTask(nodeId, 'web', network, ['sh', '-c', 'echo ok > /index.html && exec httpd -f -p 80 -h /'], ['www']);
  const client = makeTask(nodeId, 'client', network, ['sleep', '100000']);
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
    // The bridge keeps one MAC while containers come and go (docs/networking.md).
    const { stdout } = await run('ip', ['-o', '-4', 'addr', 'show', 'to', SUBNET]);
    const bridge = stdout.split(/\s+/)[1];
    assert.ok(bridge, `the network's bridge on this host:\n${stdout}`);
    assert.equal((await readFile(`/sys/class/net/${bridge}/addr_assign_type`, 'utf8')).trim(), '3', 'the bridge MAC is pinned');
  });

  test('containers reach each other by service name, tasks.<name> and spec aliases', async () => {
    assert.equal((await exec(clientContainer, ['wget', '-q', '-O', '-', 'http://web/'])).trim(), 'ok');
    assert.equal((await exec(clientContainer, ['wget', '-q', '-O', '-', 'http://www/'])).trim(), 'ok');
    assert.match(await exec(clientContainer, ['nslookup', 'tasks.web']), /Address: 10\.213\.7\.\d+/);
    // The resolvers are the network's DNS server, retried (docs/networking.md).
    const resolv = await exec(clientContainer, ['cat', '/etc/resolv.conf']);
    assert.match(resolv, /nameserver 10\.213\.7\.1/);
    assert.match(resolv, /options attempts:5 timeout:1/);
  });

  test('after an agent restart the containers are adopted and still answer by name', async () => {
    await workers[0]!.close();
    const mark = updates.length;
    const worker = startWorker();
    worker.assign([web, client]);
    await until(() => worker.statuses().length === 2, 10_000, 'tasks held');
    assert.equal((await exec(clientContainer, ['wget', '-q', '-O', '-', 'http://web/'])).trim(), 'ok');
    assert.equal((await engineNetworks()).length, 1, 'no second network');
    assert.ok(!updates.slice(mark).some((u) => u.status.State === 'failed' || u.status.State === 'rejected'));
  });

  test('a task shutting down leaves its names first, is drained, then stops', async () => {
    const worker = workers[1]!;
    const mark = updates.length;
    worker.update([{ ...web, DesiredState: 'shutdown' }], []);
    // Withdrawn from the name while its container still runs (the drain).
    const stopped = (): boolean => updates.slice(mark).some((u) => u.taskId === web.ID && u.status.State === 'shutdown');
    // The engine's view, which its DNS serves: still running, no longer answering to the names.
    const [container] = await docker.listContainers({ filters: { label: [`berth.task.id=${web.ID}`] } });
    await until(
      async () => {
        const info = await docker.getContainer(container!.Id).inspect();
        const aliases = info.NetworkSettings.Networks?.[engineNetworkName(network)]?.Aliases ?? [];
        return info.State.Running && !aliases.includes('web') && !aliases.includes('www');
      },
      10_000,
      'web withdrawn while still running',
      20,
    );
    assert.ok(!stopped(), 'the names went before the container stopped');
    await until(stopped, 30_000, 'web shut down');
  });

  test('the engine network is removed once no task uses it; others are left alone', async () => {
    workers[1]!.assign([]);
    await until(async () => (await engineNetworks()).length === 0, 60_000, 'engine network removed');
    assert.ok(await docker.getNetwork(foreign).inspect(), 'a network Berth did not make stays');
  });

  test('an allocated subnet taken on this host by another network: the engine picks one, and names still resolve', async () => {
    const taken = '10.213.9.0/24';
    const squatter = `itest-squatter-${nodeId.slice(0, 6)}`;
    await docker.createNetwork({ Name: squatter, Driver: 'bridge', IPAM: { Driver: 'default', Config: [{ Subnet: taken }] } });
    const allocated: Network = { ...makeNetwork(false), IPAMOptions: { Driver: { Name: 'default' }, Configs: [{ Subnet: taken, Gateway: '10.213.9.1' }] } };
    const svc = makeTask(nodeId, 'api', allocated, ['sh', '-c', 'echo api > /index.html && exec httpd -f -p 80 -h /']);
    const cli = makeTask(nodeId, 'cli', allocated, ['sleep', '100000']);
    const worker = startWorker();
    try {
      worker.assign([svc, cli]);
      await running(svc.ID);
      const cliContainer = await running(cli.ID);
      const info = await docker.getNetwork(engineNetworkName(allocated)).inspect();
      const gateway = info.IPAM?.Config?.[0]?.Gateway;
      assert.ok(gateway && !gateway.startsWith('10.213.9.'), `the engine picked another subnet (gateway ${gateway})`);
      assert.equal((await exec(cliContainer, ['wget', '-q', '-O', '-', 'http://api/'])).trim(), 'api');
      assert.match(await exec(cliContainer, ['cat', '/etc/resolv.conf']), new RegExp(`nameserver ${gateway!.replace(/\./g, '\\.')}`));
    } finally {
      worker.assign([]);
      await until(async () => (await docker.listNetworks({ filters: { label: [`${LABEL_NETWORK}=${allocated.ID}`] } })).length === 0, 60_000, 'engine network removed').catch(() => undefined);
      await docker.getNetwork(squatter).remove().catch(() => undefined);
    }
  });
});
