// The dispatcher over a real TLS server (client certificates from a real cluster CA) and real
// WebSocket clients, on a real store.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import WebSocket from 'ws';
import { Store } from '../store/index.js';
import { STREAM_PATH, VXLAN_ID_OPTION, type ManagerMessage, type Network, type Task } from '../types/index.js';
import { Allocator } from '../allocator/index.js';
import { addService, replicated } from '../../test/helpers/objects.js';
import { waitFor } from '../../test/helpers/wait.js';
import { startDispatcher, type Harness, type NodeCreds } from '../../test/helpers/dispatcher.js';
import { newId } from '../common/ids.js';

/** An agent-side client that records what the manager sends. */
class Client {
  readonly messages: ManagerMessage[] = [];
  readonly ws: WebSocket;
  closed: { code: number; reason: string } | undefined;
  constructor(h: Harness, creds: NodeCreds, hello: object = {}) {
    this.ws = new WebSocket(h.url, h.tls(creds));
    this.ws.on('open', () => this.ws.send(JSON.stringify({ type: 'hello', description: { Hostname: 'h1' }, ...hello })));
    this.ws.on('message', (d) => this.messages.push(JSON.parse(d.toString()) as ManagerMessage));
    this.ws.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }
  async next<T extends ManagerMessage['type']>(type: T, timeoutMs = 3000): Promise<Extract<ManagerMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.messages.findIndex((m) => m.type === type);
      if (i >= 0) return this.messages.splice(i, 1)[0] as Extract<ManagerMessage, { type: T }>;
      if (Date.now() > deadline) throw new Error(`no ${type} message; closed: ${JSON.stringify(this.closed)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  send(msg: object): void {
    this.ws.send(JSON.stringify(msg));
  }
}

function placeTask(store: Store, serviceId: string, nodeId: string): Task {
  return store.update((tx) => {
    const svc = tx.services.get(serviceId)!;
    return tx.tasks.create({
      ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: svc.Spec.TaskTemplate ?? {}, ServiceID: serviceId, Slot: 1, NodeID: nodeId,
      Status: { Timestamp: '', State: 'assigned', Message: 'assigned' }, DesiredState: 'running', BerthService: { Name: 'web', Labels: {} },
    });
  });
}

test('a joined node opens its session with its certificate: complete then incremental assignments; agent labels are engine labels', async (t) => {
  const h = await startDispatcher(t);
  const { store } = h;
  const creds = await h.join('h1');
  assert.equal(store.view((tx) => tx.nodes.get(creds.nodeId))?.Status.State, 'unknown', 'joined, no session yet');
  const a = new Client(h, creds, { labels: { zone: 'a' } });
  const welcome = await a.next('welcome');
  assert.equal(welcome.nodeId, creds.nodeId, 'the certificate says which node it is');
  const node = store.view((tx) => tx.nodes.get(welcome.nodeId))!;
  assert.equal(node.Spec.Role, 'worker');
  assert.deepEqual(node.Spec.Labels, {}, 'node labels are the managers\' to set');
  assert.equal(node.Description.Engine?.Labels?.zone, 'a', 'what the agent says goes to engine labels');
  assert.equal(node.Status.State, 'ready');
  assert.equal(node.Status.Addr, '127.0.0.1', 'the address the session came from');
  assert.deepEqual((await a.next('assignments')).tasks, []);

  const svc = addService(store, replicated('web', 1));
  const task = placeTask(store, svc.ID, welcome.nodeId);
  const inc = await a.next('assignments');
  assert.equal(inc.full, false);
  assert.deepEqual(inc.tasks.map((x) => x.ID), [task.ID]);

  // The agent's own status is not echoed back; a desired-state change is sent.
  a.send({ type: 'status', updates: [{ taskId: task.ID, status: { State: 'running', Message: 'started', Timestamp: '' } }] });
  await waitFor(store, (tx) => tx.tasks.get(task.ID)?.Status.State === 'running', 2000, 'status written');
  store.update((tx) => tx.tasks.update({ ...tx.tasks.get(task.ID)!, DesiredState: 'shutdown' }));
  const down = await a.next('assignments');
  assert.equal(down.tasks[0]?.DesiredState, 'shutdown');
  assert.equal(a.messages.filter((m) => m.type === 'assignments').length, 0, 'no echo of the status change');

  store.update((tx) => tx.tasks.delete(task.ID));
  assert.deepEqual((await a.next('assignments')).removed, [task.ID]);
  a.ws.close();
});

test('statuses only move forward and only for the sender’s own tasks', async (t) => {
  const h = await startDispatcher(t);
  const { store } = h;
  const a = new Client(h, await h.join('h1'));
  const b = new Client(h, await h.join('h2'), { description: { Hostname: 'h2' }, tunnelKey: Buffer.alloc(32, 7).toString('base64') });
  const [wa, wb] = [await a.next('welcome'), await b.next('welcome')];
  const svc = addService(store, replicated('web', 1));
  const task = placeTask(store, svc.ID, wa.nodeId);
  b.send({ type: 'status', updates: [{ taskId: task.ID, status: { State: 'failed', Message: 'forged', Timestamp: '' } }] });
  a.send({ type: 'status', updates: [{ taskId: task.ID, status: { State: 'running', Message: 'started', Timestamp: '' } }] });
  await waitFor(store, (tx) => tx.tasks.get(task.ID)?.Status.State === 'running', 2000, 'running');
  a.send({ type: 'status', updates: [{ taskId: task.ID, status: { State: 'preparing', Message: 'backwards', Timestamp: '' } }, { taskId: 'nope', status: { State: 'running' } }, { bogus: true }] });
  await new Promise((r) => setTimeout(r, 100));
  const now = store.view((tx) => tx.tasks.get(task.ID))!;
  assert.equal(now.Status.State, 'running', 'neither the other node nor a backwards status changed it');
  assert.equal(now.Status.Message, 'started');
  assert.ok(wb.nodeId !== wa.nodeId);
  a.ws.close();
  b.ws.close();
});

test('a reconnect keeps the node; no certificate, another CA\'s or a removed node\'s certificate is refused', async (t) => {
  const h = await startDispatcher(t);
  const { store } = h;
  const creds = await h.join('h1');
  const a = new Client(h, creds);
  const w = await a.next('welcome');
  a.ws.close();
  const again = new Client(h, creds);
  assert.equal((await again.next('welcome')).nodeId, w.nodeId);
  assert.equal(store.view((tx) => tx.nodes.count()), 1);
  again.ws.close();

  // No certificate: a 401 before any frame is read.
  const bare = new WebSocket(h.url, h.tls());
  const status = await new Promise<number | undefined>((resolve) => {
    bare.on('unexpected-response', (_req, res) => resolve(res.statusCode));
    bare.on('error', () => resolve(undefined));
  });
  assert.equal(status, 401);

  // A certificate from another CA fails verification: the same 401.
  const other = await startDispatcher(t, 5000, true);
  const foreign = await other.join('intruder');
  const stranger = new WebSocket(h.url, { ...h.tls(), cert: foreign.cert, key: foreign.key });
  assert.equal(await new Promise<number | undefined>((resolve) => {
    stranger.on('unexpected-response', (_req, res) => resolve(res.statusCode));
    stranger.on('error', () => resolve(undefined));
  }), 401);

  // A removed node is refused at once, though its certificate is valid.
  store.update((tx) => tx.nodes.delete(creds.nodeId));
  const removed = new Client(h, creds);
  const err = await removed.next('error');
  assert.equal(err.code, 'unknown-node');
  assert.match(err.message, /was removed from the cluster/);
  assert.equal(store.view((tx) => tx.nodes.count()), 0, 'nothing was recreated');
});

test('the local token makes the manager\'s node; a closed session is down after one period unless it comes back', async (t) => {
  const h = await startDispatcher(t, 300);
  const { store } = h;
  const local = await h.join('mgr', h.localToken);
  const mgr = store.view((tx) => tx.nodes.get(local.nodeId))!;
  assert.equal(mgr.Spec.Role, 'manager');
  assert.equal(mgr.ManagerStatus?.Leader, true);

  const creds = await h.join('h1');
  const a = new Client(h, creds);
  await a.next('welcome');
  a.ws.close();
  await waitFor(store, (tx) => tx.nodes.get(creds.nodeId)?.Status.State === 'disconnected', 2000, 'disconnected at once');
  const back = new Client(h, creds);
  await back.next('welcome');
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(store.view((tx) => tx.nodes.get(creds.nodeId)!.Status.State), 'ready', 'a reconnect within the period keeps it up');
  const beat = setInterval(() => back.send({ type: 'heartbeat' }), 100);
  back.ws.close();
  clearInterval(beat);
  const down = await waitFor(store, (tx) => tx.nodes.get(creds.nodeId)?.Status.State === 'down' && tx.nodes.get(creds.nodeId), 2000, 'down after one period');
  assert.equal(down.Status.Message, 'agent disconnected');
});

test('a node whose heartbeats stop is marked down after three periods', async (t) => {
  const h = await startDispatcher(t, 100);
  const { store } = h;
  const a = new Client(h, await h.join());
  const w = await a.next('welcome');
  assert.equal(w.heartbeatPeriodMs, 100);
  const beat = setInterval(() => a.send({ type: 'heartbeat' }), 50);
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(store.view((tx) => tx.nodes.get(w.nodeId)!.Status.State), 'ready', 'heartbeats keep it ready');
  clearInterval(beat);
  const node = await waitFor(store, (tx) => tx.nodes.get(w.nodeId)?.Status.State === 'down' && tx.nodes.get(w.nodeId), 2000, 'down');
  assert.equal(node.Status.Message, 'heartbeat failure');
  a.ws.close();
});

test('hostile input neither crashes the manager nor stores malformed objects', async (t) => {
  const h = await startDispatcher(t);
  const { store } = h;
  const creds = await h.join();
  // Not TLS at all, then an unparseable request line on an upgrade.
  await new Promise<void>((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port: h.port }, () => {
      sock.write('GET http://[ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    });
    sock.on('close', () => resolve());
    sock.on('error', () => resolve());
    sock.setTimeout(1000, () => sock.destroy());
  });
  // Frames that are JSON but not messages, before and after hello.
  for (const frame of ['null', '[]', '"x"', '{"type": 1}', 'not json']) {
    const ws = new WebSocket(h.url, h.tls(creds));
    await new Promise((r) => ws.on('open', r));
    ws.send(frame);
    await new Promise((r) => ws.on('close', r));
  }
  // A hello without a description and with junk labels still makes a well-formed node.
  const a = new Client(h, creds, { description: null, labels: { ok: 'yes', bad: 1 } });
  const w = await a.next('welcome');
  const node = store.view((tx) => tx.nodes.get(w.nodeId))!;
  assert.equal(node.Description.Resources?.MemoryBytes, 0);
  assert.deepEqual(node.Description.Engine?.Labels, { ok: 'yes' });
  // Statuses the agent does not own, or with junk fields, are ignored or cleaned.
  const svc = addService(store, replicated('web', 1));
  const task = placeTask(store, svc.ID, w.nodeId);
  a.send({ type: 'status', updates: [null, { taskId: task.ID, status: { State: 'remove' } }, { taskId: task.ID, status: { State: 'running', Timestamp: 5, Message: {}, Err: 'e' } }] });
  const running = await waitFor(store, (tx) => tx.tasks.get(task.ID)?.Status.State === 'running' && tx.tasks.get(task.ID), 2000, 'running');
  assert.equal(typeof running.Status.Timestamp, 'string');
  assert.equal(running.Status.Message, '');
  a.send(null as unknown as object);
  await new Promise((r) => setTimeout(r, 100));
  const ping = new Client(h, await h.join('h2'));
  await ping.next('welcome');
  ping.ws.close();
  a.ws.close();
});

test('a shorter heartbeat period reaches connected agents and does not mark them down', async (t) => {
  const h = await startDispatcher(t, 400);
  const { store } = h;
  const a = new Client(h, await h.join());
  const w = await a.next('welcome');
  let period = w.heartbeatPeriodMs;
  let beat = setInterval(() => a.send({ type: 'heartbeat' }), period);
  await new Promise((r) => setTimeout(r, 300));
  store.update((tx) => {
    const c = tx.cluster()!;
    tx.clusters.update({ ...c, Spec: { ...c.Spec, Dispatcher: { HeartbeatPeriod: 100e6 } } });
  });
  const cfg = await a.next('config');
  assert.equal(cfg.heartbeatPeriodMs, 100);
  clearInterval(beat);
  period = cfg.heartbeatPeriodMs;
  beat = setInterval(() => a.send({ type: 'heartbeat' }), period);
  await new Promise((r) => setTimeout(r, 800));
  assert.equal(store.view((tx) => tx.nodes.get(w.nodeId)!.Status.State), 'ready', 'the agent follows the new period');
  clearInterval(beat);
  await waitFor(store, (tx) => tx.nodes.get(w.nodeId)?.Status.State === 'down', 2000, 'down at the new, shorter grace');
  a.ws.close();
});

test('assignments carry the secrets and configs (with data) that their runnable tasks reference', async (t) => {
  const h = await startDispatcher(t);
  const { store } = h;
  const meta = { Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '' };
  const [secret, config, unused] = store.update((tx) => [
    tx.secrets.create({ ID: 'sec1', ...meta, Spec: { Name: 'db_password', Data: Buffer.from('hunter2').toString('base64') } }),
    tx.configs.create({ ID: 'cfg1', ...meta, Spec: { Name: 'app.conf', Data: Buffer.from('{{.Task.Slot}}').toString('base64'), Templating: { Name: 'golang' } } }),
    tx.secrets.create({ ID: 'sec2', ...meta, Spec: { Name: 'unused', Data: Buffer.from('x').toString('base64') } }),
  ]);
  const creds = await h.join();
  const a = new Client(h, creds);
  const w = await a.next('welcome');
  const first = await a.next('assignments');
  assert.equal(first.secrets, undefined, 'no tasks, nothing referenced');

  const svc = addService(store, replicated('web', 1, {
    ContainerSpec: {
      Image: 'localhost/berth-demo:1',
      Secrets: [{ SecretID: 'sec1', SecretName: 'db_password', File: { Name: 'db', UID: '0', GID: '0', Mode: 0o400 } }],
      Configs: [{ ConfigID: 'cfg1', ConfigName: 'app.conf', File: { Name: '/etc/app.conf', UID: '0', GID: '0', Mode: 0o444 } }],
    },
  }));
  const plain = addService(store, replicated('plain', 1));
  const task = placeTask(store, svc.ID, w.nodeId);
  const inc = await a.next('assignments');
  assert.equal(inc.full, false);
  assert.deepEqual(inc.secrets, [secret], 'the incremental message carries the secret with its data');
  assert.deepEqual(inc.configs, [config]);
  assert.ok(!JSON.stringify(inc).includes(unused!.ID), 'only what the tasks reference');

  const other = placeTask(store, plain.ID, w.nodeId);
  const noRefs = await a.next('assignments');
  assert.deepEqual(noRefs.tasks.map((x) => x.ID), [other.ID]);
  assert.equal(noRefs.secrets, undefined);
  assert.equal(noRefs.configs, undefined);

  // A reconnect gets the complete set again, with what it references.
  a.ws.close();
  const again = new Client(h, creds);
  await again.next('welcome');
  const full = await again.next('assignments');
  assert.equal(full.full, true);
  assert.deepEqual(full.tasks.map((x) => x.ID).sort(), [task.ID, other.ID].sort());
  assert.deepEqual(full.secrets, [secret]);
  assert.deepEqual(full.configs, [config]);

  // A task being shut down needs no files: its message carries none.
  store.update((tx) => tx.tasks.update({ ...tx.tasks.get(task.ID)!, DesiredState: 'shutdown' }));
  const down = await again.next('assignments');
  assert.equal(down.tasks[0]?.DesiredState, 'shutdown');
  assert.equal(down.secrets, undefined);
  again.ws.close();
});

test("agents learn the cluster registry's names: none until set, then at once and in every welcome", async (t) => {
  const h = await startDispatcher(t);
  const a = new Client(h, await h.join());
  assert.equal((await a.next('welcome')).registries, undefined);
  h.dispatcher.setRegistries(['10.0.0.1:5000', 'mgr:5000']);
  const cfg = await a.next('config');
  assert.deepEqual(cfg.registries, ['10.0.0.1:5000', 'mgr:5000']);
  assert.equal(cfg.heartbeatPeriodMs, 5000, 'the period stays as it is');
  const b = new Client(h, await h.join());
  assert.deepEqual((await b.next('welcome')).registries, ['10.0.0.1:5000', 'mgr:5000']);
  a.ws.close();
  b.ws.close();
});

test('agents learn the managers, leader first: none until set, then in every session and on each change', async (t) => {
  const h = await startDispatcher(t);
  const a = new Client(h, await h.join());
  await a.next('welcome');
  await a.next('assignments');
  h.dispatcher.setManagers(['10.0.0.1:2377', 'mgr2:2377']);
  assert.deepEqual((await a.next('managers')).managers, ['10.0.0.1:2377', 'mgr2:2377']);
  const b = new Client(h, await h.join());
  await b.next('welcome');
  assert.deepEqual((await b.next('managers')).managers, ['10.0.0.1:2377', 'mgr2:2377'], 'at session start');
  h.dispatcher.setManagers(['10.0.0.1:2377', 'mgr2:2377']);
  h.dispatcher.setManagers(['mgr2:2377', '10.0.0.1:2377']);
  assert.deepEqual((await a.next('managers')).managers, ['mgr2:2377', '10.0.0.1:2377']);
  assert.equal(a.messages.filter((m) => m.type === 'managers').length, 0, 'an unchanged list is not sent again');
  a.ws.close();
  b.ws.close();
});

test('network views: sent after welcome and before the tasks, again when a node\'s view changes, never twice the same; a tunnel only with an encrypted network', async (t) => {
  const h = await startDispatcher(t);
  const { store } = h;
  const stop = new AbortController();
  t.after(() => stop.abort());
  void new Allocator(store).run(stop.signal);
  const network = (name: string, subnet: string, vni: number, spec: Partial<Network['Spec']>): Network =>
    store.update((tx) =>
      tx.networks.create({
        ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '',
        Spec: { Name: name, DriverConfiguration: { Name: 'overlay' }, ...spec },
        DriverState: { Name: 'overlay', Options: { [VXLAN_ID_OPTION]: String(vni) } },
        IPAMOptions: { Configs: [{ Subnet: subnet, Gateway: subnet.replace(/0\/24$/, '1') }] },
      }),
    );
  const ingress = network('ingress', '10.0.0.0/24', 4097, { Ingress: true });
  const a = new Client(h, await h.join('h1'));
  const wa = await a.next('welcome');
  await waitFor(store, (tx) => !!tx.nodes.get(wa.nodeId)?.BerthNetworkAddresses?.[ingress.ID], 2000, 'the node has its ingress address');
  const types = a.messages.map((m) => m.type);
  assert.ok(types.indexOf('network-view') < types.indexOf('assignments'), `the view comes before the tasks: ${types.join(', ')}`);
  // The node joined (and got its address) before its session opened: its first view has the network.
  const first = await a.next('network-view');
  assert.deepEqual(first.networks.map((n) => [n.name, n.vni, n.localAddress, n.peers]), [['ingress', 4097, '10.0.0.2', []]]);
  assert.equal(first.tunnel, undefined);
  assert.equal(first.address, '127.0.0.1');

  // Another node joins: the first one learns of it as a peer.
  const b = new Client(h, await h.join('h2'), { description: { Hostname: 'h2' }, tunnelKey: Buffer.alloc(32, 7).toString('base64') });
  const wb = await b.next('welcome');
  const withPeer = await a.next('network-view');
  assert.deepEqual(withPeer.networks[0]!.peers, [{ ip: '10.0.0.3', mac: '02:42:0a:00:00:03', node: '127.0.0.1' }]);

  // A task on an encrypted network on node b: b gets the network and its tunnel (it sent a key in its hello); a, without a task there, neither.
  const secret = network('secret', '10.0.9.0/24', 4098, { DriverConfiguration: { Name: 'overlay', Options: { encrypted: '' } } });
  const svc = addService(store, { ...replicated('db', 1, { Networks: [{ Target: secret.ID }] }) });
  const task = store.update((tx) =>
    tx.tasks.create({
      ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: svc.Spec.TaskTemplate ?? {}, ServiceID: svc.ID, Slot: 1, NodeID: wb.nodeId,
      Status: { Timestamp: '', State: 'new', Message: 'created' }, DesiredState: 'running', BerthService: { Name: 'db', Labels: {} },
    }),
  );
  const deadline = Date.now() + 3000;
  let view = await b.next('network-view');
  while (!view.networks.some((n) => n.name === 'secret') && Date.now() < deadline) view = await b.next('network-view');
  const s = view.networks.find((n) => n.name === 'secret')!;
  assert.ok(s, 'b takes part in the encrypted network');
  assert.equal(s.mtu, 1390);
  assert.deepEqual(s.tasks.map((x) => x.id), [task.ID]);
  await waitFor(store, (tx) => !!tx.nodes.get(wb.nodeId)?.BerthTunnelAddress, 2000, 'b has a tunnel address');
  while (!view.tunnel && Date.now() < deadline) view = await b.next('network-view');
  assert.match(view.tunnel?.address ?? '', /^10\.255\.\d+\.\d+$/);
  assert.deepEqual(view.tunnel?.peers, []);
  assert.equal(store.view((tx) => tx.nodes.get(wa.nodeId)?.BerthTunnelKey), undefined, 'a sent no key: none recorded');

  // Steps that do not change what a node sees send nothing.
  await new Promise((r) => setTimeout(r, 200));
  a.messages.length = 0;
  b.messages.length = 0;
  store.update((tx) => tx.tasks.update({ ...tx.tasks.get(task.ID)!, Status: { Timestamp: '', State: 'assigned', Message: 'assigned' } }));
  store.update((tx) => tx.tasks.update({ ...tx.tasks.get(task.ID)!, Status: { Timestamp: '', State: 'preparing', Message: 'preparing' } }));
  await b.next('assignments');
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual([...a.messages, ...b.messages].filter((m) => m.type === 'network-view'), []);
  // Running is what makes it a backend: that is sent.
  store.update((tx) => tx.tasks.update({ ...tx.tasks.get(task.ID)!, Status: { Timestamp: '', State: 'running', Message: 'running' } }));
  const running = await b.next('network-view');
  assert.deepEqual(running.networks.find((n) => n.name === 'secret')!.services[0]!.backends, [store.view((tx) => tx.tasks.get(task.ID)!.NetworksAttachments![0]!.Addresses![0]!.split('/')[0])]);
  a.ws.close();
  b.ws.close();
});

test('plain containers an agent reports on attachable networks: kept inside its block, the rest dropped; other nodes get them in their view; a new report replaces the last', async (t) => {
  const h = await startDispatcher(t);
  const { store } = h;
  const stop = new AbortController();
  t.after(() => stop.abort());
  void new Allocator(store).run(stop.signal);
  const shared = store.update((tx) =>
    tx.networks.create({
      ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '',
      Spec: { Name: 'shared', DriverConfiguration: { Name: 'overlay' }, Attachable: true },
      DriverState: { Name: 'overlay', Options: { [VXLAN_ID_OPTION]: '4200' } },
      IPAMOptions: { Configs: [{ Subnet: '10.0.20.0/24', Gateway: '10.0.20.1' }] },
    }),
  );
  const a = new Client(h, await h.join('h1'));
  const b = new Client(h, await h.join('h2'), { description: { Hostname: 'h2' } });
  const wa = await a.next('welcome');
  await b.next('welcome');
  await waitFor(store, (tx) => !!tx.nodes.get(wa.nodeId)?.BerthAttachableRanges?.[shared.ID], 2000, 'a has its block');
  const block = store.view((tx) => tx.nodes.get(wa.nodeId)!.BerthAttachableRanges![shared.ID]!);
  const base = block.split('/')[0]!.split('.').map(Number);
  const inBlock = `10.0.20.${base[3]! + 1}`;
  const entry = (over: object) => ({ networkId: shared.ID, containerId: 'a'.repeat(64), name: 'probe', ip: inBlock, mac: '5a:79:9f:ff:5e:93', ...over });
  a.send({
    type: 'attachments',
    attachments: [
      entry({}),
      entry({ containerId: 'b'.repeat(64), name: 'thief', ip: '10.0.20.1', mac: '5a:79:9f:ff:5e:94' }), // the gateway: outside the block
      entry({ containerId: 'c'.repeat(64), name: 'bad name!', ip: `10.0.20.${base[3]! + 2}`, mac: '5a:79:9f:ff:5e:95' }),
      entry({ containerId: 'd'.repeat(64), name: 'spoof', ip: `10.0.20.${base[3]! + 3}`, mac: '02:42:0a:00:14:02' }), // another address's derived MAC
      entry({ containerId: 'e'.repeat(64), name: 'multi', ip: `10.0.20.${base[3]! + 4}`, mac: '01:00:5e:00:00:01' }),
      entry({ networkId: 'no-such-network', containerId: 'f'.repeat(64) }),
    ],
  });
  await waitFor(store, (tx) => (tx.nodes.get(wa.nodeId)?.BerthAttachments?.length ?? 0) > 0, 2000, 'the report is stored');
  assert.deepEqual(store.view((tx) => tx.nodes.get(wa.nodeId)!.BerthAttachments), [
    { NetworkID: shared.ID, ContainerID: 'a'.repeat(64), Name: 'probe', Address: inBlock, MacAddress: '5a:79:9f:ff:5e:93' },
  ]);
  const deadline = Date.now() + 3000;
  let view = await b.next('network-view');
  while (!view.networks[0]?.containers.length && Date.now() < deadline) view = await b.next('network-view');
  assert.deepEqual(view.networks[0]!.containers.map((c) => [c.name, c.ip]), [['probe', inBlock]]);
  assert.ok(view.networks[0]!.peers.some((p) => p.ip === inBlock && p.mac === '5a:79:9f:ff:5e:93'));

  // The container left: an empty report clears it.
  a.send({ type: 'attachments', attachments: [] });
  await waitFor(store, (tx) => tx.nodes.get(wa.nodeId)?.BerthAttachments === undefined, 2000, 'the report replaced the last');
  // Not a list at all: ignored, the session goes on.
  a.send({ type: 'attachments', attachments: 'everything' });
  a.send({ type: 'heartbeat' });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(a.closed, undefined);
  a.ws.close();
  b.ws.close();
});

/** dialStream dials a container stream as an agent does; resolves with the upgrade's status (101 once open). */
function dialStream(h: Harness, creds: NodeCreds, id: string): Promise<{ status: number; ws?: WebSocket }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`wss://127.0.0.1:${h.port}${STREAM_PATH}${id}`, h.tls(creds));
    ws.once('open', () => resolve({ status: 101, ws }));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0 });
    });
    ws.on('error', () => undefined);
  });
}

test('container calls and streams: only the node asked answers or dials back; a dial by another node fails the request; a closed session fails what it was asked', async (t) => {
  const h = await startDispatcher(t);
  const [ca, cb] = [await h.join('ha'), await h.join('hb')];
  const [a, b] = [new Client(h, ca), new Client(h, cb)];
  await Promise.all([a.next('welcome'), b.next('welcome')]);
  const broker = h.dispatcher.containers;

  // A call: another node's answer with the same id is ignored; the node asked answers it.
  const answered = broker.call(ca.nodeId, { op: 'top', container: 'c1' });
  const call = await a.next('container-call');
  assert.deepEqual(call.call, { op: 'top', container: 'c1' });
  b.send({ type: 'container-result', id: call.id, status: 200, body: { from: 'b' } });
  a.send({ type: 'container-result', id: call.id, status: 200, body: { from: 'a' } });
  assert.deepEqual(await answered, { status: 200, body: { from: 'a' } });

  // A stream dialed by another node is refused and fails its request; its id is spent.
  const stolen = assert.rejects(broker.stream(ca.nodeId, { op: 'stats', container: 'c1' }), /dialed by another node/);
  const open1 = await a.next('stream-open');
  assert.equal(open1.id.length, 32, '128 random bits');
  assert.equal((await dialStream(h, cb, open1.id)).status, 404);
  await stolen;
  assert.equal((await dialStream(h, ca, open1.id)).status, 404, 'a failed stream cannot be dialed any more');
  assert.equal((await dialStream(h, ca, 'f'.repeat(32))).status, 404, 'nor an id never asked');

  // The node asked dials: bytes flow both ways, and an eof frame ends the manager's reading side.
  const streamed = broker.stream(ca.nodeId, { op: 'exec', exec: 'e1', tty: false, stdin: true });
  const open2 = await a.next('stream-open');
  const { status, ws } = await dialStream(h, ca, open2.id);
  assert.equal(status, 101);
  const stream = await streamed;
  const fromManager = new Promise<string>((resolve) => ws!.once('message', (d) => resolve(String(d))));
  stream.write('stdin');
  assert.equal(await fromManager, 'stdin');
  ws!.send(Buffer.from('output'));
  ws!.send('eof');
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  assert.equal(text, 'output');
  ws!.close();

  // A session that closes fails the calls waiting on its node.
  const pending = assert.rejects(broker.call(cb.nodeId, { op: 'inspect', container: 'c2', size: false }), /is not connected/);
  await b.next('container-call');
  b.ws.close();
  await pending;
  await assert.rejects(broker.call(cb.nodeId, { op: 'top', container: 'c2' }), /is not connected/);
  a.ws.close();
});
