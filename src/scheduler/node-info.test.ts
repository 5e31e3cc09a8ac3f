import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeLoad, isActiveTask, newNodeInfo } from './node-info.js';
import { GiB, makeNode, makeTask } from './test-fixtures.js';

test('newNodeInfo counts tasks by observed state: on the node, assigned through running', () => {
  const spec = { Resources: { Reservations: { MemoryBytes: GiB, NanoCPUs: 5e8 } } };
  const port = (p: number) => [{ PublishedPort: p, TargetPort: 80, PublishMode: 'host' as const }];
  const info = newNodeInfo(makeNode('n1'), [
    makeTask('run', 's1', { nodeId: 'n1', state: 'running', spec, ports: port(8080) }),
    makeTask('ready', 's1', { nodeId: 'n1', state: 'assigned', desired: 'ready', spec }),
    makeTask('other', 's2', { nodeId: 'n1', state: 'starting' }),
    // Desired shut down but its container still runs: it keeps its port, memory and place.
    makeTask('stopping', 's1', { nodeId: 'n1', state: 'running', desired: 'shutdown', spec, ports: port(9090) }),
    makeTask('removing', 's2', { nodeId: 'n1', state: 'preparing', desired: 'remove' }),
    makeTask('stopped', 's1', { nodeId: 'n1', state: 'shutdown', desired: 'shutdown', spec, ports: port(7070) }),
    makeTask('done', 's1', { nodeId: 'n1', state: 'failed', spec }),
    makeTask('exited', 's1', { nodeId: 'n1', state: 'complete', spec }),
    makeTask('preset', 's1', { nodeId: 'n1', state: 'pending', spec }),
    makeTask('elsewhere', 's1', { nodeId: 'n2', state: 'running', spec }),
  ]);
  assert.deepEqual([...info.activeByService], [['s1', 3], ['s2', 2]]);
  assert.equal(info.activeTotal, 5);
  assert.equal(info.reservedMemoryBytes, 3 * GiB);
  assert.equal(info.reservedNanoCPUs, 1.5e9);
  assert.deepEqual([...info.hostPorts].sort(), ['tcp/8080', 'tcp/9090']);
});

test('isActiveTask ignores the desired state and needs a node', () => {
  for (const desired of ['ready', 'running', 'shutdown', 'remove'] as const) {
    assert.equal(isActiveTask(makeTask('t', 's', { nodeId: 'n1', state: 'running', desired })), true, desired);
  }
  assert.equal(isActiveTask(makeTask('t', 's', { nodeId: 'n1', state: 'assigned' })), true);
  assert.equal(isActiveTask(makeTask('t', 's', { state: 'running' })), false, 'no node');
  assert.equal(isActiveTask(makeTask('t', 's', { nodeId: 'n1', state: 'pending' })), false, 'preset node, not yet placed');
  assert.equal(isActiveTask(makeTask('t', 's', { nodeId: 'n1', state: 'complete' })), false);
  assert.equal(isActiveTask(makeTask('t', 's', { nodeId: 'n1', state: 'orphaned' })), false);
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
