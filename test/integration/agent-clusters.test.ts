// Two clusters' agents on one real Podman engine: each labels what it makes with its cluster, and
// its sweep and network pruning touch only its own cluster's objects — even with the same node id,
// the worst case, where only the cluster label tells them apart. What an earlier Berth made
// (no cluster label) is this node's by its node id, and a network by its Berth network's id.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type Dockerode from 'dockerode';
import { Worker } from '../../src/agent/tasks/worker.js';
import { engineNetworkName, LABEL_NETWORK } from '../../src/agent/tasks/networks.js';
import { newId } from '../../src/common/ids.js';
import { silentLogger } from '../../src/common/log.js';
import { msToNs, now } from '../../src/common/time.js';
import type { Network, Task, TaskStatusUpdate } from '../../src/types/index.js';
import { TEST_IMAGE, nodeContainers, removeNodeContainers, testEngine } from '../helpers/engine.js';
import { until } from '../helpers/wait.js';
import { testNetwork } from '../helpers/objects.js';

const makeNetwork = (subnet: string): Network => testNetwork({ subnet, internal: true });

function makeTask(nodeId: string, slot: number, network: Network): Task {
  return {
    ID: newId(),
    Version: { Index: 1 },
    CreatedAt: now(),
    UpdatedAt: now(),
    Spec: { ContainerSpec: { Image: TEST_IMAGE, Args: ['sleep', '100000'], StopGracePeriod: msToNs(500) }, Networks: [{ Target: network.ID }] },
    ServiceID: newId(),
    Slot: slot,
    NodeID: nodeId,
    Status: { Timestamp: now(), State: 'assigned', Message: 'assigned' },
    DesiredState: 'running',
    BerthService: { Name: 'app', Labels: {} },
    NetworksAttachments: [{ Network: network, BerthAliases: ['app'] }],
  };
}

describe('two clusters on one engine', { timeout: 180_000 }, () => {
  let docker: Dockerode;
  const nodeId = newId();
  const [clusterA, clusterB] = [newId(), newId()];
  const updates: TaskStatusUpdate[] = [];
  const workers: Worker[] = [];
  const netA = makeNetwork('10.213.21.0/24');
  const netB = makeNetwork('10.213.22.0/24');
  const idleB = makeNetwork('10.213.23.0/24');
  // Made by an earlier Berth, without the cluster label: one A's task uses, one nobody here does.
  const legacyUsed = makeNetwork('10.213.24.0/24');
  const legacyOther = makeNetwork('10.213.25.0/24');
  const all = [netA, netB, idleB, legacyUsed, legacyOther];

  const worker = (clusterId: string): Worker => {
    const w = new Worker({ docker, clusterId, nodeId, log: silentLogger(), report: (u) => void updates.push(u) });
    workers.push(w);
    return w;
  };
  const running = (taskId: string): Promise<string> =>
    until(() => updates.find((u) => u.taskId === taskId && u.status.State === 'running')?.status.ContainerStatus?.ContainerID, 30_000, `task ${taskId} running`, 20);
  const exists = async (n: Network): Promise<boolean> => (await docker.listNetworks({ filters: { label: [`${LABEL_NETWORK}=${n.ID}`] } })).length > 0;
  const labelsOf = async (n: Network): Promise<Record<string, string>> => (await docker.getNetwork(engineNetworkName(n)).inspect()).Labels ?? {};

  before(async () => {
    ({ docker } = await testEngine());
    for (const n of [legacyUsed, legacyOther]) {
      await docker.createNetwork({
        Name: engineNetworkName(n),
        Driver: 'bridge',
        Internal: true,
        Labels: { [LABEL_NETWORK]: n.ID, 'berth.network.name': n.Spec.Name },
        IPAM: { Driver: 'default', Config: [{ Subnet: n.IPAMOptions!.Configs![0]!.Subnet! }] },
      });
    }
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.close()));
    await removeNodeContainers(docker, nodeId);
    for (const n of all) await docker.getNetwork(engineNetworkName(n)).remove().catch(() => undefined);
  });

  test('each cluster sweeps and prunes only its own containers and networks', async () => {
    // Cluster B runs a task, and leaves a network of its own with no container on it (its task
    // there ended while its agent was away): B's agent prunes it, no other cluster's.
    const b = worker(clusterB);
    const tb = makeTask(nodeId, 1, netB);
    const tbIdle = makeTask(nodeId, 2, idleB);
    b.assign([tb, tbIdle]);
    const bContainer = await running(tb.ID);
    const idleContainer = await running(tbIdle.ID);
    await b.close();
    await docker.getContainer(idleContainer).remove({ force: true });
    assert.equal((await labelsOf(netB))['berth.cluster.id'], clusterB);
    assert.equal((await docker.getContainer(bContainer).inspect()).Config.Labels['berth.cluster.id'], clusterB);

    // A container an earlier Berth made on this node for a task no longer assigned: still this node's.
    const stale = await docker.createContainer({ Image: TEST_IMAGE, Cmd: ['sleep', '1000'], Labels: { 'berth.node.id': nodeId, 'berth.task.id': newId() } });

    // Cluster A, on the same engine and (the worst case) with the same node id.
    const a = worker(clusterA);
    const ta = makeTask(nodeId, 3, netA);
    const taLegacy = makeTask(nodeId, 4, legacyUsed);
    a.assign([ta, taLegacy]);
    const aContainer = await running(ta.ID);
    await running(taLegacy.ID);
    assert.equal((await labelsOf(netA))['berth.cluster.id'], clusterA);
    assert.equal((await docker.getContainer(aContainer).inspect()).Config.Labels['berth.cluster.id'], clusterA);
    assert.equal((await labelsOf(legacyUsed))['berth.cluster.id'], undefined, 'the earlier network is used as it is');

    // A's full assignment swept: the earlier container went, B's stayed.
    await until(async () => !(await nodeContainers(docker, nodeId)).some((c) => c.Id === stale.id), 20_000, 'the earlier container swept');
    assert.equal((await docker.getContainer(bContainer).inspect()).State.Running, true, "B's container is left alone");

    // A's tasks go: A prunes its networks, and the earlier one its task used; nothing of B's.
    a.assign([]);
    await until(async () => !(await exists(netA)) && !(await exists(legacyUsed)), 60_000, "A's networks pruned");
    assert.equal(await exists(idleB), true, "B's idle network is left alone");
    assert.equal(await exists(netB), true);
    assert.equal(await exists(legacyOther), true, 'an earlier network no task here used is left alone');
    assert.equal((await docker.getContainer(bContainer).inspect()).State.Running, true);
    assert.deepEqual((await nodeContainers(docker, nodeId)).map((c) => c.Id), [bContainer]);

    // B's own agent, back, adopts its container and, once its tasks go, prunes its networks.
    const b2 = worker(clusterB);
    const mark = updates.length;
    const reported = updates.find((u) => u.taskId === tb.ID && u.status.State === 'running')!.status;
    b2.assign([{ ...tb, Status: reported }]);
    await until(async () => !(await exists(idleB)), 60_000, 'B prunes its idle network');
    assert.equal((await docker.getContainer(bContainer).inspect()).State.Running, true, 'B adopted its container');
    assert.deepEqual(updates.slice(mark).filter((u) => u.taskId === tb.ID), [], 'still running, nothing to report');
    b2.assign([]);
    await until(async () => !(await exists(netB)) && (await nodeContainers(docker, nodeId)).length === 0, 60_000, "B's network and container gone");
    assert.equal(await exists(legacyOther), true);
  });
});
