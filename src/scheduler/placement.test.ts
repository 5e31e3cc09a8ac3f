import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Task, TaskSpec } from '../types/index.js';
import { newNodeInfo, type NodeInfo } from './node-info.js';
import { placeTasks } from './placement.js';
import { CPU, GiB, countByNode, makeNode, makeTask, makeTasks } from './test-fixtures.js';

function infos(nodes: Node[], active: Task[] = []): NodeInfo[] {
  return nodes.map((n) => newNodeInfo(n, active));
}

/** running makes n running tasks of a service on a node (existing load). */
function running(n: number, prefix: string, serviceId: string, nodeId: string, spec?: TaskSpec): Task[] {
  return makeTasks(n, prefix, serviceId, { nodeId, state: 'running', ...(spec ? { spec } : {}) });
}

test('ready filter: down, paused and drained nodes are not available', () => {
  const nodes = [
    makeNode('n1', { state: 'down' }),
    makeNode('n2', { availability: 'pause' }),
    makeNode('n3', { availability: 'drain' }),
  ];
  const r = placeTasks(infos(nodes), [makeTask('t1', 's')]);
  assert.equal(r.assignments.size, 0);
  assert.equal(r.unplaced.get('t1'), 'no suitable node (3 nodes not available for new tasks)');
  const r2 = placeTasks(infos([...nodes, makeNode('n4')]), [makeTask('t1', 's')]);
  assert.equal(r2.assignments.get('t1'), 'n4');
});

test('resources filter says memory or CPU, singular and plural, most common reason first', () => {
  const nodes = [
    makeNode('n1', { state: 'down' }),
    makeNode('n2', { state: 'disconnected' }),
    makeNode('n3', { memoryBytes: 1 * GiB }),
  ];
  const spec: TaskSpec = { Resources: { Reservations: { MemoryBytes: 2 * GiB } } };
  const r = placeTasks(infos(nodes), [makeTask('t1', 's', { spec })]);
  assert.equal(r.unplaced.get('t1'), 'no suitable node (2 nodes not available for new tasks; 1 node has insufficient memory)');

  const cpuSpec: TaskSpec = { Resources: { Reservations: { NanoCPUs: 2 * CPU } } };
  const busy = [makeNode('a', { nanoCPUs: 1 * CPU }), makeNode('b', { nanoCPUs: 3 * CPU })];
  // b has 3 CPUs but 2 are reserved by a running task: 1 left.
  const load = running(1, 'r', 'other', 'b', cpuSpec);
  const r2 = placeTasks(infos(busy, load), [makeTask('t1', 's', { spec: cpuSpec })]);
  assert.equal(r2.unplaced.get('t1'), 'no suitable node (2 nodes have insufficient CPU)');
});

test('resources are accounted within a batch', () => {
  const spec: TaskSpec = { Resources: { Reservations: { MemoryBytes: 1 * GiB, NanoCPUs: 1 * CPU } } };
  const r = placeTasks(infos([makeNode('n1', { memoryBytes: 3 * GiB })]), makeTasks(4, 't', 's', { spec }));
  assert.equal(r.assignments.size, 3);
  assert.equal(r.unplaced.get('t4'), 'no suitable node (1 node has insufficient memory)');
  // Across groups too: a second service sees the first one's reservations.
  const other = makeTasks(1, 'o', 'other', { spec });
  const r2 = placeTasks(infos([makeNode('n1', { memoryBytes: 3 * GiB })]), [...makeTasks(3, 't', 's', { spec }), ...other]);
  assert.equal(r2.unplaced.get('o1'), 'no suitable node (1 node has insufficient memory)');
});

test('constraints filter: parsed per group, label and engine label keys', () => {
  const nodes = [
    makeNode('n1', { labels: { zone: 'a' } }),
    makeNode('n2', { labels: { zone: 'b' }, engineLabels: { disk: 'ssd' } }),
    makeNode('n3'),
  ];
  const spec = (c: string[]): TaskSpec => ({ Placement: { Constraints: c } });
  const r = placeTasks(infos(nodes), [
    ...makeTasks(2, 'a', 'sa', { spec: spec(['node.labels.zone==a']) }),
    makeTask('e1', 'se', { spec: spec(['engine.labels.disk==ssd']) }),
    makeTask('x1', 'sx', { spec: spec(['node.labels.zone==c']) }),
    makeTask('bad', 'sbad', { spec: spec(['node.labels.zone~a']) }),
  ]);
  assert.equal(r.assignments.get('a1'), 'n1');
  assert.equal(r.assignments.get('a2'), 'n1');
  assert.equal(r.assignments.get('e1'), 'n2');
  assert.equal(r.unplaced.get('x1'), 'no suitable node (scheduling constraints not satisfied on 3 nodes)');
  assert.match(r.unplaced.get('bad') ?? '', /^invalid constraint "node\.labels\.zone~a"/);
});

test('platform filter matches os/arch with arch aliases', () => {
  const nodes = [makeNode('x86', { arch: 'x86_64' }), makeNode('arm', { arch: 'aarch64' })];
  const spec = (p: { OS?: string; Architecture?: string }[]): TaskSpec => ({ Placement: { Platforms: p } });
  const r = placeTasks(infos(nodes), [
    makeTask('amd', 's1', { spec: spec([{ OS: 'linux', Architecture: 'amd64' }]) }),
    makeTask('arm', 's2', { spec: spec([{ OS: 'linux', Architecture: 'arm64' }]) }),
    makeTask('win', 's3', { spec: spec([{ OS: 'windows', Architecture: 'amd64' }]) }),
    makeTask('any', 's4', { spec: spec([{ OS: 'windows' }, { OS: 'linux', Architecture: 'arm64' }]) }),
  ]);
  assert.equal(r.assignments.get('amd'), 'x86');
  assert.equal(r.assignments.get('arm'), 'arm');
  assert.equal(r.assignments.get('any'), 'arm');
  assert.equal(r.unplaced.get('win'), 'no suitable node (unsupported platform on 2 nodes)');
});

test('platform filter and arch constraint accept either spelling, as src/common/platform.ts', () => {
  // Nodes report the engine's raw arch: Docker says x86_64, Podman amd64, a Raspberry Pi armv7l.
  const nodes = [makeNode('docker', { arch: 'x86_64' }), makeNode('podman', { arch: 'amd64' }), makeNode('pi', { arch: 'armv7l' })];
  const platform = (arch: string): TaskSpec => ({ Placement: { Platforms: [{ OS: 'linux', Architecture: arch }] } });
  const constraint = (arch: string): TaskSpec => ({ Placement: { Constraints: [`node.platform.arch==${arch}`] } });
  const r = placeTasks(infos(nodes), [
    ...makeTasks(2, 'raw', 's1', { spec: platform('x86_64') }),
    ...makeTasks(2, 'go', 's2', { spec: platform('amd64') }),
    makeTask('arm', 's3', { spec: platform('arm') }),
    ...makeTasks(2, 'c', 's4', { spec: constraint('x86_64') }),
  ]);
  for (const prefix of ['raw', 'go', 'c']) {
    assert.deepEqual(new Set([r.assignments.get(`${prefix}1`), r.assignments.get(`${prefix}2`)]), new Set(['docker', 'podman']), prefix);
  }
  assert.equal(r.assignments.get('arm'), 'pi');
  assert.equal(r.unplaced.size, 0);
});

test('host-mode port conflicts: with running tasks and within a batch', () => {
  const ports = [{ Protocol: 'tcp' as const, TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' as const }];
  const nodes = [makeNode('n1'), makeNode('n2'), makeNode('n3')];
  const holder = makeTask('old', 'other', { nodeId: 'n3', state: 'running', ports });
  const r = placeTasks(infos(nodes, [holder]), makeTasks(3, 't', 's', { ports }));
  assert.deepEqual(new Set([r.assignments.get('t1'), r.assignments.get('t2')]), new Set(['n1', 'n2']));
  assert.equal(r.unplaced.get('t3'), 'no suitable node (host-mode port already in use on 3 nodes)');
  // Other-protocol ports do not conflict.
  const udp = [{ ...ports[0]!, Protocol: 'udp' as const }];
  const r2 = placeTasks(infos([makeNode('n3')], [holder]), [makeTask('u', 'su', { ports: udp })]);
  assert.equal(r2.assignments.size, 1);
  // Ingress ports belong to the routing mesh, not to a node: any number of replicas share one node,
  // beside a host-mode holder of the same number too (the API keeps the two apart cluster-wide).
  const ingress = [{ ...ports[0]!, PublishMode: 'ingress' as const }];
  const r3 = placeTasks(infos([makeNode('n3')], [holder]), makeTasks(3, 'i', 'si', { ports: ingress }));
  assert.deepEqual(countByNode(r3.assignments), new Map([['n3', 3]]));
  const unset = [{ Protocol: 'tcp' as const, TargetPort: 80, PublishedPort: 8080 }];
  assert.equal(placeTasks(infos([makeNode('n3')], [holder]), [makeTask('d', 'sd', { ports: unset })]).assignments.get('d'), 'n3', 'ingress is the default mode');
});

test('max replicas per node', () => {
  const spec: TaskSpec = { Placement: { MaxReplicas: 1 } };
  const nodes = [makeNode('n1'), makeNode('n2')];
  const r = placeTasks(infos(nodes), makeTasks(3, 't', 's', { spec }));
  assert.deepEqual(countByNode(r.assignments), new Map([['n1', 1], ['n2', 1]]));
  assert.equal(r.unplaced.get('t3'), 'no suitable node (max replicas per node reached on 2 nodes)');
  // Existing tasks of the service count toward the limit.
  const r2 = placeTasks(infos(nodes, running(1, 'r', 's', 'n1', spec)), makeTasks(1, 't', 's', { spec }));
  assert.equal(r2.assignments.get('t1'), 'n2');
});

test('no nodes at all', () => {
  const r = placeTasks([], [makeTask('t1', 's')]);
  assert.equal(r.unplaced.get('t1'), 'no suitable node (no nodes in the cluster)');
});

test('spread: fewest tasks of the service first, existing load honoured', () => {
  const nodes = [makeNode('n1'), makeNode('n2'), makeNode('n3')];
  const r = placeTasks(infos(nodes), makeTasks(6, 't', 's'));
  assert.deepEqual(countByNode(r.assignments), new Map([['n1', 2], ['n2', 2], ['n3', 2]]));

  // n1 already runs 2 tasks of s: 4 new tasks level n2 and n3 up to 2 first.
  const r2 = placeTasks(infos(nodes, running(2, 'r', 's', 'n1')), makeTasks(4, 't', 's'));
  assert.deepEqual(countByNode(r2.assignments), new Map([['n2', 2], ['n3', 2]]));
});

test('spread tie-break: fewest tasks overall, then node ID', () => {
  const nodes = [makeNode('n1'), makeNode('n2'), makeNode('n3')];
  const load = [...running(3, 'a', 'other', 'n1'), ...running(1, 'b', 'other', 'n3')];
  const r = placeTasks(infos(nodes, load), makeTasks(2, 't', 's'));
  assert.equal(r.assignments.get('t1'), 'n2');
  assert.equal(r.assignments.get('t2'), 'n3');
  const r2 = placeTasks(infos(nodes), makeTasks(1, 't', 's'));
  assert.equal(r2.assignments.get('t1'), 'n1');
});

test('placement preference spreads across label values, not nodes', () => {
  const nodes = [
    makeNode('a1', { labels: { zone: 'a' } }),
    makeNode('b1', { labels: { zone: 'b' } }),
    makeNode('b2', { labels: { zone: 'b' } }),
    makeNode('b3', { labels: { zone: 'b' } }),
  ];
  const spec: TaskSpec = { Placement: { Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }] } };
  const r = placeTasks(infos(nodes), makeTasks(6, 't', 's', { spec }));
  assert.deepEqual(countByNode(r.assignments), new Map([['a1', 3], ['b1', 1], ['b2', 1], ['b3', 1]]));

  // Nodes without the label form their own group; existing tasks count per group.
  const mixed = [...nodes, makeNode('x1'), makeNode('x2')];
  const r2 = placeTasks(infos(mixed, running(2, 'r', 's', 'b1', spec)), makeTasks(4, 't', 's', { spec }));
  const c = countByNode(r2.assignments);
  assert.equal(c.get('a1'), 2);
  assert.equal((c.get('x1') ?? 0) + (c.get('x2') ?? 0), 2);
  assert.equal((c.get('b1') ?? 0) + (c.get('b2') ?? 0) + (c.get('b3') ?? 0), 0);

  // Engine labels work the same way.
  const engine = [makeNode('e1', { engineLabels: { dc: 'x' } }), makeNode('e2', { engineLabels: { dc: 'y' } }), makeNode('e3', { engineLabels: { dc: 'y' } })];
  const byDc: TaskSpec = { Placement: { Preferences: [{ Spread: { SpreadDescriptor: 'engine.labels.dc' } }] } };
  const r3 = placeTasks(infos(engine), makeTasks(4, 't', 's', { spec: byDc }));
  assert.equal(countByNode(r3.assignments).get('e1'), 2);
});

test('nested placement preferences spread at each level', () => {
  const nodes = [
    makeNode('e1', { labels: { region: 'eu', rack: 'r1' } }),
    makeNode('e2', { labels: { region: 'eu', rack: 'r1' } }),
    makeNode('e3', { labels: { region: 'eu', rack: 'r2' } }),
    makeNode('u1', { engineLabels: { region: 'us' }, labels: { region: 'us', rack: 'r1' } }),
  ];
  const spec: TaskSpec = {
    Placement: { Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.region' } }, { Spread: { SpreadDescriptor: 'node.labels.rack' } }] },
  };
  const r = placeTasks(infos(nodes), makeTasks(8, 't', 's', { spec }));
  const c = countByNode(r.assignments);
  assert.equal(c.get('u1'), 4);
  assert.equal((c.get('e1') ?? 0) + (c.get('e2') ?? 0), 2, 'rack r1 in eu gets half of eu');
  assert.equal(c.get('e3'), 2, 'rack r2 in eu gets the other half');
});

test('a full spread branch overflows to the others', () => {
  const nodes = [makeNode('a1', { labels: { zone: 'a' }, memoryBytes: 1 * GiB }), makeNode('b1', { labels: { zone: 'b' } })];
  const spec: TaskSpec = {
    Placement: { Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }] },
    Resources: { Reservations: { MemoryBytes: 1 * GiB } },
  };
  const r = placeTasks(infos(nodes), makeTasks(4, 't', 's', { spec }));
  assert.deepEqual(countByNode(r.assignments), new Map([['a1', 1], ['b1', 3]]));
});

test('global tasks are only checked against their preset node', () => {
  const nodes = [makeNode('n1'), makeNode('n2', { availability: 'drain' }), makeNode('n3', { memoryBytes: GiB })];
  const spec: TaskSpec = { Resources: { Reservations: { MemoryBytes: 2 * GiB } } };
  const r = placeTasks(infos(nodes), [
    makeTask('g1', 'g', { nodeId: 'n1', spec }),
    makeTask('g2', 'g', { nodeId: 'n2', spec }),
    makeTask('g3', 'g', { nodeId: 'n3', spec }),
    makeTask('g4', 'g', { nodeId: 'gone', spec }),
  ]);
  assert.deepEqual([...r.assignments], [['g1', 'n1']]);
  assert.equal(r.unplaced.get('g2'), 'no suitable node (1 node not available for new tasks)');
  assert.equal(r.unplaced.get('g3'), 'no suitable node (1 node has insufficient memory)');
  assert.equal(r.unplaced.get('g4'), 'no suitable node (node gone is not in the cluster)');
});

test('placement does not mutate its inputs', () => {
  const nodes = [makeNode('n1'), makeNode('n2')];
  const load = running(2, 'r', 's', 'n1');
  const snapshot = infos(nodes, load);
  const before = snapshot.map((i) => ({ ...i, activeByService: new Map(i.activeByService), hostPorts: new Set(i.hostPorts) }));
  const tasks = makeTasks(5, 't', 's', { ports: [{ PublishedPort: 9000, TargetPort: 80, PublishMode: 'host' }] });
  placeTasks(snapshot, tasks);
  assert.deepEqual(snapshot, before);
  assert.ok(tasks.every((t) => t.NodeID === '' && t.Status.State === 'pending'));
});
