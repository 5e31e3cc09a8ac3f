// Node certificates renew themselves: with a short expiry (the test floor BERTH_MIN_CERT_EXPIRY
// lowers Swarm's 1h minimum), an agent renews at 50–80% of each certificate's life, with no task
// restart, and a restarted agent connects with its latest certificate.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { testEngine, removeNodeContainers, TEST_IMAGE, type TestEngine } from '../helpers/engine.js';
import { docker, freePort, managerApi, startAgent, startManager, tempDir, type BerthProcess, type ManagerProcess } from '../helpers/berth.js';
import { until } from '../helpers/wait.js';

interface NodeJson {
  ID: string;
  Status: { State: string };
  Certificate?: { Serial: string; NotAfter: string };
}

describe('certificate renewal', { timeout: 180_000 }, () => {
  const dir = tempDir('renewal');
  let engine: TestEngine;
  let manager: ManagerProcess;
  let agent: BerthProcess;
  const { api, running } = managerApi(() => manager.url);
  let nodeId = '';

  before(async () => {
    engine = await testEngine();
    manager = await startManager(join(dir, 'manager'), await freePort(), { BERTH_MIN_CERT_EXPIRY: '10s' });
    const r = await docker(manager.url, ['swarm', 'update', '--cert-expiry', '16s']);
    assert.equal(r.code, 0, r.stderr);
    // At info level the agent says when it renews.
    agent = startAgent({ join: manager.join, token: manager.token, engine: engine.url, hostname: 'renewing', dataDir: join(dir, 'agent'), env: { BERTH_LOG_LEVEL: 'info' } });
    nodeId = (await agent.waitFor(/\(node (\w+)\)/))[1]!;
  });

  after(async () => {
    await agent?.stop();
    await manager?.proc.stop();
    if (nodeId) await removeNodeContainers(engine.docker, nodeId);
  });

  test('renewals replace the certificate twice while the task keeps running in the same container', async () => {
    const r = await docker(manager.url, ['service', 'create', '-d', '--name', 'steady', TEST_IMAGE, 'sleep', '100000']);
    assert.equal(r.code, 0, r.stderr);
    const [task] = await until(async () => {
      const t = await running('steady');
      return t.length === 1 && t[0]!.Status.ContainerStatus?.ContainerID ? t : undefined;
    }, 60_000, 'task running');
    const serials = new Set<string>();
    await until(async () => {
      const node = await api<NodeJson>(`/nodes/${nodeId}`);
      if (node.Certificate) serials.add(node.Certificate.Serial);
      return serials.size >= 3;
    }, 90_000, 'two renewals', 500);
    const after = await running('steady');
    assert.equal(after.length, 1);
    assert.equal(after[0]!.ID, task!.ID, 'the same task');
    assert.equal(after[0]!.Status.ContainerStatus?.ContainerID, task!.Status.ContainerStatus?.ContainerID, 'the same container');
    assert.match(agent.output, /node certificate renewed/);
  });

  test('a restarted agent connects with its latest certificate, past the expiry of the first', async () => {
    await agent.stop();
    agent = startAgent({ join: manager.join, token: manager.token, engine: engine.url, hostname: 'renewing', dataDir: join(dir, 'agent') });
    assert.equal((await agent.waitFor(/\(node (\w+)\)/))[1], nodeId, 'the same node');
    await until(async () => (await api<NodeJson>(`/nodes/${nodeId}`)).Status.State === 'ready', 30_000, 'ready again');
  });
});
