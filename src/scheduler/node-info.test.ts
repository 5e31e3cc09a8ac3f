import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeLoad, newNodeInfo } from './node-info.js';
import { GiB, makeNode, makeTask } from './test-fixtures.js';

test('newNodeInfo counts only tasks active on the node', () => {
  const spec = { Resources: { Reservations: { MemoryBytes: GiB, NanoCPUs: 5e8 } } };
  const ports = [{ PublishedPort: 8080, TargetPort: 80, PublishMode: 'host' as const }];
  const info = newNodeInfo(makeNode('n1'), [
    makeTask('run', 's1', { nodeId: 'n1', state: 'running', spec, ports }),
    makeTask('ready', 's1', { nodeId: 'n1', state: 'assigned', desired: 'ready', spec }),
    makeTask('other', 's2', { nodeId: 'n1', state: 'starting' }),
    makeTask('stopping', 's1', { nodeId: 'n1', state: 'running', desired: 'shutdown', spec }),
    makeTask('done', 's1', { nodeId: 'n1', state: 'failed', spec }),
    makeTask('preset', 's1', { nodeId: 'n1', state: 'pending', spec }),
    makeTask('elsewhere', 's1', { nodeId: 'n2', state: 'running', spec }),
  ]);
  assert.deepEqual([...info.activeByService], [['s1', 2], ['s2', 1]]);
  assert.equal(info.activeTotal, 3);
  assert.equal(info.reservedMemoryBytes, 2 * GiB);
  assert.equal(info.reservedNanoCPUs, 1e9);
  assert.deepEqual([...info.hostPorts], ['tcp/8080']);
});

test('NodeLoad keeps a host port while any task still holds it', () => {
  const ports = [{ Protocol: 'udp' as const, PublishedPort: 53, TargetPort: 53, PublishMode: 'host' as const }];
  const a = makeTask('a', 's', { nodeId: 'n1', state: 'running', ports });
  const b = makeTask('b', 's', { nodeId: 'n1', state: 'running', ports });
  const load = new NodeLoad();
  load.add(a);
  load.add(b);
  load.remove(a);
  assert.ok(load.hostPorts.has('udp/53'));
  load.remove(b);
  assert.equal(load.hostPorts.size, 0);
  assert.equal(load.activeByService.size, 0);
  assert.ok(load.empty);
});
