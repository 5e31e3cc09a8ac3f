// The stock docker CLI against Berth's API: no orchestrator runs here, so services are created
// detached (-d) and the test checks what the CLI shows and what the store holds.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Store } from '../../src/store/index.js';
import { createApiServer, ensureNetworks } from '../../src/api/index.js';
import { now } from '../../src/common/time.js';
import type { Node } from '../../src/types/index.js';
import { docker as runDocker, dockerOk, type DockerResult } from '../helpers/berth.js';

const MANAGER_ID = 'mgr0aaaaaaaaaaaaaaaaaaaaa';
const WORKER_ID = 'wrk1bbbbbbbbbbbbbbbbbbbbb';

let store: Store;
let app: FastifyInstance;
let home: string;
let dockerHost: string;

type Run = DockerResult;
const docker = (...args: string[]): Promise<Run> => runDocker(dockerHost, args, 30_000, home);
const ok = (...args: string[]): Promise<string> => dockerOk(dockerHost, args, home);

function node(id: string, hostname: string, role: 'manager' | 'worker'): Node {
  return {
    ID: id,
    Version: { Index: 0 },
    CreatedAt: '',
    UpdatedAt: '',
    Spec: { Role: role, Availability: 'active' },
    Description: { Hostname: hostname, Platform: { OS: 'linux', Architecture: 'x86_64' }, Engine: { EngineVersion: '5.4.2' } },
    Status: { State: 'ready', Addr: '127.0.0.1' },
    BerthKeyDigest: 'not-for-the-cli',
  };
}

const service = (name: string) => store.view((tx) => tx.services.byName(name));

before(async () => {
  store = new Store();
  store.update((tx) => {
    tx.nodes.create(node(MANAGER_ID, 'berth-mgr', 'manager'));
    tx.nodes.create(node(WORKER_ID, 'worker-1', 'worker'));
  });
  // As a manager does at start: the cluster's ingress network, which ingress-published ports need.
  ensureNetworks(store);
  app = createApiServer({ store, info: { version: '0.1.0', hostname: 'berth-mgr', nodeId: () => MANAGER_ID } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  dockerHost = `tcp://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  home = mkdtempSync(join(tmpdir(), 'berth-cli-home-'));
});

after(async () => {
  await app.close();
  store.close();
  rmSync(home, { recursive: true, force: true });
});

test('docker version and docker info see a Berth swarm manager on API 1.41', async () => {
  const version = await ok('version');
  assert.match(version, /API version:\s+1\.41 \(downgraded from/);
  assert.match(version, /Berth/);
  const info = await ok('info');
  assert.match(info, /Swarm: active/);
  assert.match(info, new RegExp(`NodeID: ${MANAGER_ID}`));
  assert.match(info, /Is Manager: true/);
});

test('docker node ls shows the nodes, marks the local one and the leader', async () => {
  const out = await ok('node', 'ls');
  const lines = out.trim().split('\n');
  assert.match(lines[0]!, /^ID\s+HOSTNAME\s+STATUS\s+AVAILABILITY\s+MANAGER STATUS\s+ENGINE VERSION$/);
  assert.match(out, new RegExp(`^${MANAGER_ID} \\*\\s+berth-mgr\\s+Ready\\s+Active\\s+Leader\\s+5\\.4\\.2$`, 'm'));
  assert.match(out, new RegExp(`^${WORKER_ID}\\s+worker-1\\s+Ready\\s+Active\\s+5\\.4\\.2$`, 'm'));
});

test('docker node inspect shows the node as stored, without Berth fields', async () => {
  const [n] = JSON.parse(await ok('node', 'inspect', 'worker-1'));
  assert.equal(n.ID, WORKER_ID);
  assert.equal(n.Description.Hostname, 'worker-1');
  assert.equal(n.Spec.Role, 'worker');
  assert.equal(n.BerthKeyDigest, undefined);
  const [self] = JSON.parse(await ok('node', 'inspect', 'self'));
  assert.equal(self.ID, MANAGER_ID);
  assert.equal(self.ManagerStatus.Leader, true);
});

test('docker node update changes labels and availability', async () => {
  assert.equal((await ok('node', 'update', '--label-add', 'a=b', '--availability', 'drain', 'worker-1')).trim(), 'worker-1');
  const stored = store.view((tx) => tx.nodes.get(WORKER_ID)!);
  assert.deepEqual(stored.Spec.Labels, { a: 'b' });
  assert.equal(stored.Spec.Availability, 'drain');
  assert.equal(stored.BerthKeyDigest, 'not-for-the-cli', 'the update writes the spec only');
  assert.match(await ok('node', 'ls'), /worker-1\s+Ready\s+Drain/);
  const promote = await docker('node', 'promote', 'worker-1');
  assert.equal(promote.code, 1);
  assert.match(promote.stderr, /keeps its state in SQLite, which serves a single manager/);
});

test('docker service create -d: the CLI warns that the digest is not pinned and creates the service', async () => {
  const run = await docker('service', 'create', '-d', '--name', 'web', '--replicas', '3', 'localhost/berth-demo:1', 'httpd', '-f', '-p', '8080');
  assert.equal(run.code, 0, run.stderr);
  const web = service('web');
  assert.ok(web);
  assert.equal(run.stdout.trim(), web.ID);
  assert.match(run.stderr, /image localhost\/berth-demo:1 could not be accessed on a registry to record\s+its digest/);
  assert.equal(web.Spec.TaskTemplate?.ContainerSpec?.Image, 'localhost/berth-demo:1');
  assert.deepEqual(web.Spec.TaskTemplate?.ContainerSpec?.Args, ['httpd', '-f', '-p', '8080']);
  assert.deepEqual(web.Spec.Mode, { Replicated: { Replicas: 3 } });
  assert.equal(web.BerthSpecVersion, web.Version.Index);
});

test('docker service ls shows web as replicated 0/3', async () => {
  const out = await ok('service', 'ls');
  assert.match(out, /^\w{12}\s+web\s+replicated\s+0\/3\s+localhost\/berth-demo:1\s*$/m);
});

test('docker service inspect shows the spec with Swarm defaults; --pretty renders it', async () => {
  const [s] = JSON.parse(await ok('service', 'inspect', 'web'));
  assert.equal(s.Spec.Name, 'web');
  assert.equal(s.Spec.Mode.Replicated.Replicas, 3);
  assert.equal(s.Spec.UpdateConfig.FailureAction, 'pause');
  assert.equal(s.Spec.TaskTemplate.RestartPolicy.Condition, 'any');
  assert.equal(s.BerthSpecVersion, undefined);
  const pretty = await ok('service', 'inspect', '--pretty', 'web');
  assert.match(pretty, /^Name:\s+web$/m);
  assert.match(pretty, /^Service Mode:\s+Replicated$/m);
  assert.match(pretty, /^ Replicas:\s+3$/m);
  assert.match(pretty, /^ Image:\s+localhost\/berth-demo:1$/m);
});

test('docker service scale -d web=5', async () => {
  assert.match(await ok('service', 'scale', '-d', 'web=5'), /web scaled to 5/);
  assert.equal((await ok('service', 'inspect', '-f', '{{.Spec.Mode.Replicated.Replicas}}', 'web')).trim(), '5');
  assert.match(await ok('service', 'ls'), /web\s+replicated\s+0\/5/);
});

test('docker service update -d --env-add keeps the old spec as PreviousSpec', async () => {
  const before = service('web')!;
  assert.equal((await ok('service', 'update', '-d', '--env-add', 'A=1', 'web')).trim(), 'web');
  const after = service('web')!;
  assert.deepEqual(after.Spec.TaskTemplate?.ContainerSpec?.Env, ['A=1']);
  assert.deepEqual(after.PreviousSpec, before.Spec);
  assert.ok(after.BerthSpecVersion > before.BerthSpecVersion);
});

test('docker service ps lists the tasks the orchestrator would have made', async () => {
  const web = service('web')!;
  store.update((tx) =>
    tx.tasks.create({
      ID: 'task1ccccccccccccccccccccc',
      Version: { Index: 0 },
      CreatedAt: '',
      UpdatedAt: '',
      Spec: web.Spec.TaskTemplate ?? {},
      ServiceID: web.ID,
      Slot: 1,
      NodeID: WORKER_ID,
      Status: { Timestamp: now(), State: 'running', Message: 'started' },
      DesiredState: 'running',
      SpecVersion: { Index: web.BerthSpecVersion },
      BerthService: { Name: 'web', Labels: {} },
    }),
  );
  const out = await ok('service', 'ps', 'web');
  assert.match(out, /^task1ccccccc\s+web\.1\s+localhost\/berth-demo:1\s+worker-1\s+Running\s+Running/m);
  assert.match(await ok('service', 'ls'), /web\s+replicated\s+1\/5/);
});

test('docker service rm web deletes the service', async () => {
  assert.equal((await ok('service', 'rm', 'web')).trim(), 'web');
  assert.equal(service('web'), undefined);
  assert.doesNotMatch(await ok('service', 'ls'), /web/);
});

test('errors: the CLI exits non-zero and prints the server message', async () => {
  await ok('service', 'create', '-d', '--no-resolve-image', '--name', 'dup', 'busybox');
  const dup = await docker('service', 'create', '-d', '--no-resolve-image', '--name', 'dup', 'busybox');
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /^Error response from daemon: service dup already exists$/m);

  const rm = await docker('service', 'rm', 'nosuch');
  assert.equal(rm.code, 1);
  assert.match(rm.stderr, /service nosuch not found/);
  const inspect = await docker('service', 'inspect', 'nosuch');
  assert.equal(inspect.code, 1);
  // On a 404 the CLI prints its own wording for inspect.
  assert.match(inspect.stderr, /no such service: nosuch/);

  const constraint = await docker('service', 'create', '-d', '--no-resolve-image', '--name', 'bad', '--constraint', 'node.foo==bar', 'busybox');
  assert.equal(constraint.code, 1);
  assert.match(constraint.stderr, /Error response from daemon: invalid constraint "node\.foo==bar": unknown key "node\.foo"/);
  assert.equal(service('bad'), undefined);

  // The CLI parses --replicas as unsigned and refuses -1 itself; the server never sees it.
  const negative = await docker('service', 'create', '-d', '--no-resolve-image', '--name', 'neg', '--replicas', '-1', 'busybox');
  assert.equal(negative.code, 125);
  assert.match(negative.stderr, /invalid argument "-1" for "--replicas" flag/);
  assert.equal(service('neg'), undefined);
  const scale = await docker('service', 'scale', '-d', 'dup=-1');
  assert.notEqual(scale.code, 0);
  assert.match(scale.stderr, /invalid replicas value -1/);
  assert.deepEqual(service('dup')?.Spec.Mode, { Replicated: { Replicas: 1 } });

  const port = await docker('service', 'create', '-d', '--no-resolve-image', '--name', 'p1', '-p', '8080:80', 'busybox');
  assert.equal(port.code, 0, port.stderr);
  const clash = await docker('service', 'create', '-d', '--no-resolve-image', '--name', 'p2', '-p', '8080:80', 'busybox');
  assert.equal(clash.code, 1);
  assert.match(clash.stderr, /port 8080 is already in use by service p1/);
});
