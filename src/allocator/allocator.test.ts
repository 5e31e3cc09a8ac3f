import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../store/index.js';
import { openTestStore } from '../../test/helpers/store.js';
import { newId } from '../common/ids.js';
import { now } from '../common/time.js';
import type { Network, Service, ServiceSpec, Task } from '../types/index.js';
import { addNode, addService } from '../../test/helpers/objects.js';
import { Allocator, attachmentsFor } from './allocator.js';

function addNetwork(store: Store, name: string, subnet = '10.0.0.0/24', extra: Partial<Network['Spec']> = {}, range?: string): Network {
  const gateway = subnet.replace(/\.0\/\d+$/, '.1');
  return store.update((tx) =>
    tx.networks.create({
      ID: newId(),
      Version: { Index: 0 },
      CreatedAt: '',
      UpdatedAt: '',
      Spec: { Name: name, DriverConfiguration: { Name: 'overlay' }, ...extra },
      IPAMOptions: { Configs: [{ Subnet: subnet, Gateway: gateway, ...(range && { IPRange: range }) }] },
    }),
  );
}

function addTask(store: Store, networks: Task['Spec']['Networks'], service: Partial<Service> = {}): Task {
  return store.update((tx) =>
    tx.tasks.create({
      ID: newId(),
      Version: { Index: 0 },
      CreatedAt: '',
      UpdatedAt: '',
      Spec: { ContainerSpec: { Image: 'i' }, ...(networks && { Networks: networks }) },
      ServiceID: service.ID ?? 'svc',
      Slot: 1,
      Status: { Timestamp: now(), State: 'new', Message: 'created' },
      DesiredState: 'running',
      BerthService: { Name: service.Spec?.Name ?? 'web', Labels: {}, ...(service.Spec?.EndpointSpec && { Endpoint: service.Spec.EndpointSpec }) },
    }),
  );
}

function tasksOf(store: Store, svc: Service, n: number, networks: string[]): Task[] {
  return Array.from({ length: n }, () => addTask(store, networks.map((Target) => ({ Target })), svc));
}

/** An allocator fed every commit, as its loop is; pass() settles it (its own commits included). */
function allocator(store: Store): { pass(): void } {
  const a = new Allocator(store);
  const [, w] = store.viewAndWatch((tx) => a.init(tx));
  return {
    pass() {
      for (let i = 0; i < 3; i++) {
        for (const c of w.drain()) a.observe(c);
        a.reconcile();
      }
    },
  };
}

const get = (store: Store, id: string): Task => store.view((tx) => tx.tasks.get(id)!);
const addresses = (t: Task): string[] => (t.NetworksAttachments ?? []).flatMap((a) => a.Addresses ?? []);
const setTask = (store: Store, id: string, change: (t: Task) => Partial<Task>): void =>
  store.update((tx) => {
    const t = tx.tasks.get(id)!;
    tx.tasks.update({ ...t, ...change(t) });
  });

test('attachments: each network as stored, answering to the service name, tasks.<name> and the spec aliases', async () => {
  const store = await openTestStore();
  const backend = addNetwork(store, 'backend');
  const frontend = addNetwork(store, 'frontend', '10.0.1.0/24');
  const task = addTask(store, [{ Target: backend.ID, Aliases: ['db', 'web'] }, { Target: frontend.ID }]);
  const got = store.view((tx) => attachmentsFor(tx, task));
  assert.deepEqual(got, [
    { Network: backend, BerthAliases: ['web', 'tasks.web', 'db'] },
    { Network: frontend, BerthAliases: ['web', 'tasks.web'] },
  ]);
  const gone = addTask(store, [{ Target: 'deleted-id' }]);
  assert.equal(store.view((tx) => attachmentsFor(tx, gone)), 'pending network allocation: network deleted-id not found');
  store.close();
});

test('services get a virtual IP per network, tasks an address per attachment, nodes their own once they hold a task; a restart rebuilds the same', async () => {
  const store = await openTestStore();
  const net = addNetwork(store, 'backend', '10.0.5.0/24', {}, '10.0.5.128/25');
  const spec: ServiceSpec = { Name: 'web', TaskTemplate: { Networks: [{ Target: net.ID }] } };
  const svc = addService(store, spec);
  const dns = addService(store, { ...spec, Name: 'dns', EndpointSpec: { Mode: 'dnsrr' } });
  const plain = addTask(store, undefined);
  const [t1, t2] = tasksOf(store, svc, 2, [net.ID]);
  const [d1] = tasksOf(store, dns, 1, [net.ID]);
  const alloc = allocator(store);
  alloc.pass();
  const vips = store.view((tx) => tx.services.get(svc.ID)!.Endpoint?.VirtualIPs);
  assert.deepEqual(vips, [{ NetworkID: net.ID, Addr: '10.0.5.128/24' }], 'from the IP range, in CIDR form');
  assert.equal(store.view((tx) => tx.services.get(dns.ID)!.Endpoint?.VirtualIPs), undefined, 'dnsrr: no VIP');
  const all = [t1!, t2!, d1!].map((t) => get(store, t.ID));
  for (const t of all) assert.equal(t.Status.State, 'pending');
  assert.deepEqual(all.map(addresses), [['10.0.5.129/24'], ['10.0.5.130/24'], ['10.0.5.131/24']]);
  assert.equal(get(store, plain.ID).Status.State, 'pending');
  assert.equal(get(store, plain.ID).NetworksAttachments, undefined);

  // A task placed on a node gives the node its own address on the task's networks.
  const node = addNode(store);
  setTask(store, t1!.ID, () => ({ NodeID: node.ID, Status: { ...get(store, t1!.ID).Status, State: 'assigned' } }));
  alloc.pass();
  assert.deepEqual(store.view((tx) => tx.nodes.get(node.ID)!.BerthNetworkAddresses), { [net.ID]: '10.0.5.132/24' });
  // Status changes keep addresses stable.
  setTask(store, t1!.ID, (t) => ({ Status: { ...t.Status, State: 'running' } }));
  alloc.pass();
  assert.deepEqual(addresses(get(store, t1!.ID)), ['10.0.5.129/24']);

  // After a restart, the pools come back from the objects: a new task gets a fresh address.
  const again = allocator(store);
  const [t3] = tasksOf(store, svc, 1, [net.ID]);
  again.pass();
  assert.deepEqual(addresses(get(store, t3!.ID)), ['10.0.5.133/24']);
  assert.deepEqual(store.view((tx) => tx.services.get(svc.ID)!.Endpoint?.VirtualIPs), vips, 'the VIP stays');
  store.close();
});

test('an exhausted subnet: the task waits, saying why, and gets an address once one is freed', async () => {
  const store = await openTestStore();
  // A /29 has 5 host addresses beside the gateway: the VIP and 4 tasks.
  const net = addNetwork(store, 'tiny', '10.9.0.0/29');
  const svc = addService(store, { Name: 'web', TaskTemplate: { Networks: [{ Target: net.ID }] } });
  const tasks = tasksOf(store, svc, 5, [net.ID]);
  const alloc = allocator(store);
  alloc.pass();
  const states = tasks.map((t) => get(store, t.ID).Status.State);
  assert.deepEqual(states, ['pending', 'pending', 'pending', 'pending', 'new']);
  const waiting = get(store, tasks[4]!.ID);
  const why = 'no IP address left on network tiny (subnet 10.9.0.0/29): remove tasks or create the network with a larger --subnet';
  assert.equal(waiting.Status.Err, why);
  assert.equal(waiting.Status.Message, why);
  const used = tasks.slice(0, 4).flatMap((t) => addresses(get(store, t.ID)));
  assert.ok(!used.includes('10.9.0.1/29') && !used.includes('10.9.0.0/29') && !used.includes('10.9.0.7/29'), 'never the network, gateway or broadcast address');

  // A task that ends frees its address (it keeps it on record, as Swarm's tasks do).
  setTask(store, tasks[0]!.ID, (t) => ({ Status: { ...t.Status, State: 'failed' } }));
  alloc.pass();
  const now = get(store, tasks[4]!.ID);
  assert.equal(now.Status.State, 'pending');
  assert.equal(now.Status.Err, undefined);
  assert.deepEqual(addresses(now), addresses(get(store, tasks[0]!.ID)));
  store.close();
});

test('ingress: every node has an address on it; a service publishing ingress ports gets a VIP there first, its tasks an attachment first; released with the service', async () => {
  const store = await openTestStore();
  const ingress = addNetwork(store, 'ingress', '10.0.0.0/24', { Ingress: true });
  const net = addNetwork(store, 'app', '10.0.1.0/24');
  const node = addNode(store);
  const spec: ServiceSpec = { Name: 'web', TaskTemplate: { Networks: [{ Target: net.ID }] }, EndpointSpec: { Ports: [{ TargetPort: 80, PublishedPort: 8080 }] } };
  const svc = addService(store, spec);
  const [task] = tasksOf(store, svc, 1, [net.ID]);
  const alloc = allocator(store);
  alloc.pass();
  assert.deepEqual(store.view((tx) => tx.nodes.get(node.ID)!.BerthNetworkAddresses), { [ingress.ID]: '10.0.0.4/24' });
  const vips = store.view((tx) => tx.services.get(svc.ID)!.Endpoint?.VirtualIPs);
  assert.deepEqual(vips, [
    { NetworkID: ingress.ID, Addr: '10.0.0.2/24' },
    { NetworkID: net.ID, Addr: '10.0.1.2/24' },
  ]);
  const t = get(store, task!.ID);
  assert.deepEqual(
    t.NetworksAttachments?.map((a) => [a.Network.Spec.Name, a.Addresses, a.BerthAliases]),
    [
      ['ingress', ['10.0.0.3/24'], []],
      ['app', ['10.0.1.3/24'], ['web', 'tasks.web']],
    ],
  );
  // A node joining later gets its ingress address at once.
  const late = addNode(store);
  alloc.pass();
  assert.deepEqual(store.view((tx) => tx.nodes.get(late.ID)!.BerthNetworkAddresses), { [ingress.ID]: '10.0.0.5/24' });

  // Dropping the published port releases the ingress VIP; deleting the service releases the rest.
  store.update((tx) => {
    const s = tx.services.get(svc.ID)!;
    tx.services.update({ ...s, Spec: { ...s.Spec, EndpointSpec: {} } });
  });
  alloc.pass();
  assert.deepEqual(store.view((tx) => tx.services.get(svc.ID)!.Endpoint?.VirtualIPs), [{ NetworkID: net.ID, Addr: '10.0.1.2/24' }]);
  store.update((tx) => tx.services.delete(svc.ID));
  store.update((tx) => tx.nodes.delete(late.ID));
  alloc.pass();
  // Next-fit hands freed addresses out only after the rest of the subnet; a restarted allocator shows they are free.
  const again = allocator(store);
  const [t2] = tasksOf(store, { ID: 'x', Spec: { Name: 'x' } } as Service, 1, [net.ID]);
  again.pass();
  assert.deepEqual(addresses(get(store, t2!.ID)), ['10.0.1.2/24'], 'the deleted service\'s VIP is free again');
  store.close();
});

test('a removed network: its pool goes, and nodes lose their address on it', async () => {
  const store = await openTestStore();
  const net = addNetwork(store, 'app', '10.0.1.0/24');
  const node = addNode(store);
  const svc = addService(store, { Name: 'web', EndpointSpec: { Mode: 'dnsrr' }, TaskTemplate: { Networks: [{ Target: net.ID }] } });
  const [task] = tasksOf(store, svc, 1, [net.ID]);
  const alloc = allocator(store);
  alloc.pass();
  setTask(store, task!.ID, (t) => ({ NodeID: node.ID, Status: { ...t.Status, State: 'assigned' } }));
  alloc.pass();
  assert.deepEqual(store.view((tx) => tx.nodes.get(node.ID)!.BerthNetworkAddresses), { [net.ID]: '10.0.1.3/24' });
  setTask(store, task!.ID, (t) => ({ Status: { ...t.Status, State: 'shutdown' } }));
  store.update((tx) => tx.networks.delete(net.ID));
  alloc.pass();
  assert.deepEqual(store.view((tx) => tx.nodes.get(node.ID)!.BerthNetworkAddresses), {});
  store.close();
});

test('a task whose network is gone waits, saying why', async () => {
  const store = await openTestStore();
  const orphan = addTask(store, [{ Target: 'deleted-id' }]);
  allocator(store).pass();
  const o = get(store, orphan.ID);
  assert.equal(o.Status.State, 'new');
  assert.equal(o.Status.Message, 'pending network allocation: network deleted-id not found');
  store.close();
});

test('attachable networks: every node has an address and a block for plain containers, from the top of the subnet; tasks never get a block\'s address; blocks survive a restart and go with the node', async () => {
  const store = await openTestStore();
  const net = addNetwork(store, 'shared', '10.0.7.0/24', { Attachable: true });
  const plain = addNetwork(store, 'app', '10.0.8.0/24');
  const [n1, n2] = [addNode(store), addNode(store)];
  const alloc = allocator(store);
  alloc.pass();
  const nodeOf = (id: string) => store.view((tx) => tx.nodes.get(id)!);
  // The top /28 is not whole (the broadcast address): the first block is the one below it.
  assert.deepEqual(nodeOf(n1.ID).BerthAttachableRanges, { [net.ID]: '10.0.7.224/28' });
  assert.deepEqual(nodeOf(n2.ID).BerthAttachableRanges, { [net.ID]: '10.0.7.208/28' });
  assert.deepEqual(Object.keys(nodeOf(n1.ID).BerthNetworkAddresses ?? {}), [net.ID], 'attachable everywhere; a plain network only where a task runs');
  assert.equal(plain.Spec.Attachable, undefined);

  // A restarted allocator takes the blocks back from the nodes and gives tasks only other addresses.
  const again = allocator(store);
  const svc = addService(store, { Name: 'web', EndpointSpec: { Mode: 'dnsrr' }, TaskTemplate: { Networks: [{ Target: net.ID }] } });
  const tasks = tasksOf(store, svc, 200, [net.ID]);
  again.pass();
  const taken = tasks.flatMap((t) => addresses(get(store, t.ID))).map((a) => Number(a.split('/')[0]!.split('.')[3]));
  assert.equal(taken.length, 200);
  assert.ok(taken.every((last) => last < 208 || last >= 240), 'no task address inside a block');
  assert.deepEqual(nodeOf(n1.ID).BerthAttachableRanges, { [net.ID]: '10.0.7.224/28' }, 'kept across the restart');

  // A third node finds no /28 left (the tasks took the rest) and gets the largest smaller block free.
  const n3 = addNode(store);
  again.pass();
  const block = nodeOf(n3.ID).BerthAttachableRanges?.[net.ID];
  assert.ok(block && Number(block.split('/')[1]) > 28, `a smaller block: ${block}`);

  // A removed node's block is free for the next node.
  store.update((tx) => tx.nodes.delete(n2.ID));
  again.pass();
  const n4 = addNode(store);
  again.pass();
  assert.deepEqual(nodeOf(n4.ID).BerthAttachableRanges, { [net.ID]: '10.0.7.208/28' });
  store.close();
});
