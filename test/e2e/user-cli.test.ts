// `berth node ...` and `berth service ...` against Berth's real API server on a real in-memory
// store. No orchestrator runs here, so services are created detached (-d), and the convergence
// watch runs only on tasks the test writes itself; the display's details are covered by
// src/cli/user/convergence.test.ts. Commands run in-process through commander with the output
// captured, as the `berth` executable runs them.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { Command, CommanderError } from 'commander';
import type { FastifyInstance } from 'fastify';
import { Store } from '../../src/store/index.js';
import { createApiServer, engineForm, ensureNetworks } from '../../src/api/index.js';
import { newId } from '../../src/common/ids.js';
import { now } from '../../src/common/time.js';
import type { Node, Service, TaskState } from '../../src/types/index.js';
import { registerUserCommands } from '../../src/cli/user/index.js';
import { addNode, addService } from '../helpers/objects.js';

let store: Store;
let app: FastifyInstance;
let host: string;
let manager: Node;
let worker: Node;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** berth runs one command line the way src/cli/main.ts does, capturing its output and exit code. */
async function berth(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const program = new Command('berth')
    .exitOverride()
    .configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) })
    .option('--host <url>');
  registerUserCommands(program);
  try {
    await program.parseAsync(['--host', host, ...args], { from: 'user' });
    return { code: 0, stdout, stderr };
  } catch (err) {
    if (err instanceof CommanderError) return { code: err.exitCode, stdout, stderr };
    throw err;
  }
}

async function ok(...args: string[]): Promise<string> {
  const run = await berth(...args);
  assert.equal(run.code, 0, `berth ${args.join(' ')} failed: ${run.stderr}`);
  assert.equal(run.stderr, '');
  return run.stdout;
}

function serviceNamed(name: string): Service | undefined {
  return store.view((tx) => tx.services.byName(name));
}

function addTask(
  service: Service,
  slot: number,
  state: TaskState,
  desired: TaskState,
  extra: { err?: string; node?: string; createdAt?: string } = {},
): void {
  store.update((tx) =>
    tx.tasks.create({
      ID: newId(),
      Version: { Index: 0 },
      CreatedAt: extra.createdAt ?? '',
      UpdatedAt: '',
      Spec: service.Spec.TaskTemplate ?? {},
      ServiceID: service.ID,
      Slot: slot,
      NodeID: extra.node ?? worker.ID,
      Status: { Timestamp: now(), State: state, Message: state, ...(extra.err && { Err: extra.err }) },
      DesiredState: desired,
      SpecVersion: { Index: service.BerthSpecVersion },
      BerthService: { Name: service.Spec.Name ?? '', Labels: {} },
    }),
  );
}

before(async () => {
  store = new Store();
  manager = addNode(store, { hostname: 'mgr-1', Spec: { Role: 'manager', Availability: 'active' }, Description: { Hostname: 'mgr-1', Engine: { EngineVersion: '5.4.2' } } });
  const certificate = { Serial: 'ab', NotBefore: now(), NotAfter: new Date(Date.now() + 89.6 * 86_400_000).toISOString(), State: 'issued' as const };
  worker = addNode(store, { hostname: 'worker-1', Certificate: certificate });
  // As a manager does at start: the cluster's ingress network, which ingress-published ports need.
  ensureNetworks(store);
  app = createApiServer({ store, info: { version: '0.0.0-test', hostname: 'mgr-1', nodeId: () => manager.ID } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  host = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

after(async () => {
  await app.close();
  store.close();
});

test('node ls: a docker-like table, the local node starred, the leader marked, certificates\' expiry', async () => {
  const out = await ok('node', 'ls');
  const lines = out.trimEnd().split('\n');
  assert.match(lines[0]!, /^ID {2,}HOSTNAME {2,}STATUS {2,}AVAILABILITY {2,}MANAGER STATUS {2,}ENGINE VERSION {2,}CERTIFICATE$/);
  assert.equal(lines.length, 3);
  // Sorted by hostname; columns aligned: every row's HOSTNAME starts where the header's does.
  const col = lines[0]!.indexOf('HOSTNAME');
  assert.equal(lines[1]!.slice(0, col).trimEnd(), `${manager.ID} *`);
  assert.match(lines[1]!.slice(col), /^mgr-1 +Ready +Active +Leader +5\.4\.2$/);
  assert.equal(lines[2]!.slice(0, col).trimEnd(), worker.ID);
  assert.match(lines[2]!.slice(col), /^worker-1 +Ready +Active +expires in 90d$/);
  assert.equal(await ok('node', 'ls', '-q'), `${manager.ID}\n${worker.ID}\n`);
  assert.equal(await ok('node', 'ls', '-q', '--filter', 'name=worker'), `${worker.ID}\n`);
});

test('node update changes availability and labels through the versioned update', async () => {
  assert.equal(await ok('node', 'update', '--availability', 'drain', '--label-add', 'zone=eu-1', '--label-add', 'disk=ssd', 'worker-1'), 'worker-1\n');
  let stored = store.view((tx) => tx.nodes.get(worker.ID)!);
  assert.equal(stored.Spec.Availability, 'drain');
  assert.deepEqual(stored.Spec.Labels, { zone: 'eu-1', disk: 'ssd' });
  assert.match(await ok('node', 'ls'), /worker-1 +Ready +Drain/);

  await ok('node', 'update', '--availability', 'active', '--label-rm', 'disk', worker.ID.slice(0, 6));
  stored = store.view((tx) => tx.nodes.get(worker.ID)!);
  assert.equal(stored.Spec.Availability, 'active');
  assert.deepEqual(stored.Spec.Labels, { zone: 'eu-1' });

  const missing = await berth('node', 'update', '--label-rm', 'nope', 'worker-1');
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, "Error: key nope doesn't exist in node's labels\n");
  const bad = await berth('node', 'update', '--availability', 'sleepy', 'worker-1');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /argument 'sleepy' is invalid.*active, pause, drain/);
});

test('node inspect prints a JSON array, "self" is the local node, --pretty a summary', async () => {
  const nodes = JSON.parse(await ok('node', 'inspect', 'self', 'worker-1')) as Node[];
  assert.deepEqual(nodes.map((n) => n.ID), [manager.ID, worker.ID]);
  assert.equal(nodes[0]!.ManagerStatus?.Leader, true);
  assert.equal('BerthKeyDigest' in nodes[1]!, false);
  const pretty = await ok('node', 'inspect', '--pretty', 'worker-1');
  assert.match(pretty, /^ID: +\w{25}\n/);
  assert.match(pretty, /\nHostname: +worker-1\n/);
  assert.match(pretty, /\n Availability: +Active\n/);
  const missing = await berth('node', 'inspect', 'worker-1', 'ghost');
  assert.equal(missing.code, 1);
  assert.equal((JSON.parse(missing.stdout) as Node[]).length, 1);
  assert.match(missing.stderr, /^Error: .*ghost.*\n$/);
});

test('service create -d sends the spec the options describe and prints the ID', async () => {
  const run = await berth(
    'service', 'create', '-d', '--name', 'web', '--replicas', '3',
    '-e', 'MODE=prod', '--label', 'tier=front', '--container-label', 'team=core',
    '--constraint', 'node.role==worker', '--placement-pref', 'spread=node.labels.zone', '--replicas-max-per-node', '2',
    '-p', '8080:80', '--publish', 'mode=host,target=9090,published=9090',
    '--mount', 'type=volume,source=data,target=/data',
    '--limit-cpu', '0.5', '--limit-memory', '512M', '--reserve-memory', '64M',
    '--restart-condition', 'on-failure', '--restart-delay', '2s', '--restart-max-attempts', '3',
    '--stop-grace-period', '30s', '--health-cmd', 'wget -q -O- localhost', '--health-interval', '5s',
    '--workdir', '/srv', '--user', 'nobody',
    'nginx:1.27', 'nginx', '-g', 'daemon off;',
  );
  assert.equal(run.code, 0, run.stderr);
  // Ingress ports go through the routing mesh: the server has nothing to warn of.
  assert.doesNotMatch(run.stderr, /routing mesh/);
  const svc = serviceNamed('web');
  assert.ok(svc, 'service stored');
  assert.equal(run.stdout, `${svc.ID}\n`);
  const t = svc.Spec.TaskTemplate!;
  assert.deepEqual(svc.Spec.Mode, { Replicated: { Replicas: 3 } });
  assert.deepEqual(svc.Spec.Labels, { tier: 'front' });
  assert.deepEqual(t.ContainerSpec?.Args, ['nginx', '-g', 'daemon off;']);
  assert.equal(t.ContainerSpec?.Image, 'nginx:1.27');
  assert.deepEqual(t.ContainerSpec?.Env, ['MODE=prod']);
  assert.deepEqual(t.ContainerSpec?.Labels, { team: 'core' });
  assert.deepEqual(t.ContainerSpec?.Mounts, [{ Type: 'volume', Source: 'data', Target: '/data' }]);
  assert.equal(t.ContainerSpec?.StopGracePeriod, 30e9);
  assert.deepEqual(t.ContainerSpec?.Healthcheck, { Test: ['CMD-SHELL', 'wget -q -O- localhost'], Interval: 5e9 });
  assert.equal(t.ContainerSpec?.Dir, '/srv');
  assert.equal(t.ContainerSpec?.User, 'nobody');
  assert.deepEqual(t.Resources, { Limits: { NanoCPUs: 5e8, MemoryBytes: 512 * 2 ** 20 }, Reservations: { MemoryBytes: 64 * 2 ** 20 } });
  assert.deepEqual(t.RestartPolicy, { Condition: 'on-failure', Delay: 2e9, MaxAttempts: 3 });
  assert.deepEqual(t.Placement, { Constraints: ['node.role==worker'], Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }], MaxReplicas: 2 });
  assert.deepEqual(svc.Spec.EndpointSpec?.Ports, [
    { Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' },
    { Protocol: 'tcp', TargetPort: 9090, PublishedPort: 9090, PublishMode: 'host' },
  ]);
});

test('service create: bad option values are usage errors; server refusals print its message', async () => {
  const badUnit = await berth('service', 'create', '-d', '--limit-memory', '5X', 'alpine');
  assert.equal(badUnit.code, 1);
  assert.match(badUnit.stderr, /^error: option '--limit-memory <bytes>' argument '5X' is invalid\. invalid size "5X"/);
  const unknown = await berth('service', 'create', '--no-such-flag', 'alpine');
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /unknown option '--no-such-flag'/);
  const dup = await berth('service', 'create', '-d', '--name', 'web', 'alpine');
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /^Error: .*web.*\n$/);
  assert.doesNotMatch(dup.stderr, /\bat \w+ \(/, 'no stack trace');
});

test('service ls shows mode, running/desired replicas, image and ingress ports', async () => {
  const out = await ok('service', 'ls');
  const lines = out.trimEnd().split('\n');
  assert.match(lines[0]!, /^ID {2,}NAME {2,}MODE {2,}REPLICAS {2,}IMAGE {2,}PORTS$/);
  const svc = serviceNamed('web')!;
  assert.match(lines[1]!, new RegExp(`^${svc.ID.slice(0, 12)} +web +replicated +0/3 \\(max 2 per node\\) +nginx:1\\.27 +\\*:8080->80/tcp$`));
  assert.equal(await ok('service', 'ls', '-q'), `${svc.ID}\n`);
  assert.equal(await ok('service', 'ls', '-q', '-f', 'name=nothing'), '');
});

test('service scale -d updates the replica count', async () => {
  assert.equal(await ok('service', 'scale', '-d', 'web=5'), 'web scaled to 5\n');
  assert.deepEqual(serviceNamed('web')!.Spec.Mode, { Replicated: { Replicas: 5 } });
  const bad = await berth('service', 'scale', 'web');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /invalid scale specifier "web"/);
  const missing = await berth('service', 'scale', '-d', 'ghost=2');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^Error: .*ghost/);
});

test('service inspect prints the spec with defaults as JSON, or --pretty', async () => {
  const [svc] = JSON.parse(await ok('service', 'inspect', 'web')) as Service[];
  assert.equal(svc!.Spec.Name, 'web');
  assert.equal(svc!.Spec.UpdateConfig?.Parallelism, 1, 'insertDefaults=true fills UpdateConfig');
  assert.equal('BerthSpecVersion' in svc!, false);
  const pretty = await ok('service', 'inspect', '--pretty', 'web');
  assert.match(pretty, /\nName: +web\n/);
  assert.match(pretty, /\n Replicas: +5\n/);
  assert.match(pretty, /\n Image: +nginx:1\.27\n/);
});

test('service ps lists tasks by slot, newest first, with history, node names and errors', async () => {
  const svc = serviceNamed('web')!;
  addTask(svc, 1, 'running', 'running', { createdAt: '2025-01-01T00:00:02.000000000Z' });
  addTask(svc, 1, 'failed', 'shutdown', { err: 'task: non-zero exit (1): the process crashed', createdAt: '2025-01-01T00:00:01.000000000Z' });
  addTask(svc, 2, 'pending', 'running', { err: 'no suitable node', node: '' });
  const out = await ok('service', 'ps', 'web');
  const lines = out.trimEnd().split('\n');
  assert.match(lines[0]!, /^ID {2,}NAME {2,}IMAGE {2,}NODE {2,}DESIRED STATE {2,}CURRENT STATE {2,}ERROR {2,}PORTS$/);
  assert.equal(lines.length, 4);
  assert.match(lines[1]!, /^\w{12} +web\.1 +nginx:1\.27 +worker-1 +Running +Running (less than a second|\d+ seconds) ago$/);
  assert.match(lines[2]!, /^\w{12} + \\_ web\.1 +nginx:1\.27 +worker-1 +Shutdown +Failed .* ago +"task: non-zero exit \(1\): the …"$/);
  assert.match(lines[3]!, /^\w{12} +web\.2 +nginx:1\.27 +Running +Pending .* ago +"no suitable node"$/);
  const full = await ok('service', 'ps', '--no-trunc', 'web');
  assert.match(full, /"task: non-zero exit \(1\): the process crashed"/);
  assert.equal((await ok('service', 'ps', '-q', 'web')).trimEnd().split('\n').length, 3);
  const missing = await berth('service', 'ps', 'ghost');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^Error: .*ghost/);
});

test('service rm deletes; an unknown service is an error on stderr with exit code 1', async () => {
  assert.equal(await ok('service', 'rm', 'web'), 'web\n');
  assert.equal(serviceNamed('web'), undefined);
  const again = await berth('service', 'rm', 'web');
  assert.equal(again.code, 1);
  assert.equal(again.stdout, '');
  assert.match(again.stderr, /^Error: service web not found\n$/);
  const inspect = await berth('service', 'inspect', 'web');
  assert.equal(inspect.code, 1);
  assert.equal(inspect.stdout, '[]\n');
  assert.match(inspect.stderr, /^Error: service web not found\n$/);
});

test('scale without -d watches the tasks until the service has converged', async () => {
  // A 1 ms monitor period keeps the stability wait short.
  // In the form the API stores a spec in, as a service created through it is: a scale then changes only the count.
  const svc = addService(store, engineForm({ Name: 'api', Mode: { Replicated: { Replicas: 2 } }, TaskTemplate: { ContainerSpec: { Image: 'api:1' } }, UpdateConfig: { Monitor: 1e6 } }));
  addTask(svc, 1, 'running', 'running');
  addTask(svc, 2, 'running', 'running');
  const out = await ok('service', 'scale', 'api=2');
  assert.deepEqual(out.trimEnd().split('\n'), [
    'api scaled to 2',
    'overall progress: 2 out of 2 tasks',
    '1/2: running   [====================]',
    '2/2: running   [====================]',
    'verify: Waiting 1 second to verify that tasks are stable...',
    'verify: Service converged',
  ]);
});

test('the watch gives up after --timeout and says which task is stuck and why', async () => {
  const svc = addService(store, engineForm({ Name: 'stuck', Mode: { Replicated: { Replicas: 2 } }, TaskTemplate: { ContainerSpec: { Image: 'api:1' } } }));
  addTask(svc, 1, 'running', 'running');
  addTask(svc, 2, 'pending', 'running', { err: 'no suitable node (1 node not available for new tasks)', node: '' });
  const run = await berth('service', 'scale', '--timeout', '300ms', 'stuck=2');
  assert.equal(run.code, 1);
  assert.match(run.stdout, /overall progress: 1 out of 2 tasks\n/);
  assert.match(run.stdout, /\n2\/2: pending: no suitable node \(1 node not available for new tasks\)\n/);
  assert.match(run.stderr, /^Error: service stuck did not converge within 300ms \(1 of 2 tasks running\):\n/);
  assert.match(run.stderr, /\n {2}stuck\.2 \(task \w{12}\): pending: no suitable node \(1 node not available for new tasks\)\n/);
});

test('an unreachable manager is one clear error line', async () => {
  const saved = host;
  host = 'http://127.0.0.1:1';
  try {
    const run = await berth('service', 'ls');
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^Error: cannot reach the Berth manager at http:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\)/);
  } finally {
    host = saved;
  }
});
