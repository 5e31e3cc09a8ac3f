import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../store/index.js';
import { openTestStore } from '../../test/helpers/store.js';
import { newId } from '../common/ids.js';
import { now } from '../common/time.js';
import { INGRESS_POLICY_LABEL, VXLAN_ID_OPTION, type Network, type Node, type Service, type ServiceSpec, type Task, type TaskState } from '../types/index.js';
import { addNode, addService } from '../../test/helpers/objects.js';
import { NetworkIndex, networkViewFor } from './network-view.js';

function addNetwork(store: Store, name: string, subnet: string, vni: number, spec: Partial<Network['Spec']> = {}): Network {
  return store.update((tx) =>
    tx.networks.create({
      ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '',
      Spec: { Name: name, DriverConfiguration: { Name: 'overlay', ...(spec.DriverConfiguration ?? {}) }, ...spec },
      DriverState: { Name: 'overlay', Options: { [VXLAN_ID_OPTION]: String(vni) } },
      IPAMOptions: { Configs: [{ Subnet: subnet, Gateway: subnet.replace(/0\/24$/, '1') }] },
    }),
  );
}

function node(store: Store, addr: string | undefined, addresses: Record<string, string>): Node {
  return addNode(store, { Status: { State: 'ready', ...(addr && { Addr: addr }) }, BerthNetworkAddresses: addresses });
}

/** A task as the allocator and scheduler leave it: addresses on its networks, placed on a node. */
function task(store: Store, svc: Service, nodeId: string, slot: number, addrs: [Network, string][], state: TaskState = 'running', desired: TaskState = 'running'): Task {
  return store.update((tx) =>
    tx.tasks.create({
      ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '',
      Spec: {}, ServiceID: svc.ID, Slot: slot, NodeID: nodeId,
      Status: { Timestamp: now(), State: state, Message: state }, DesiredState: desired,
      BerthService: { Name: svc.Spec.Name!, Labels: {} },
      NetworksAttachments: addrs.map(([n, a]) => ({ Network: n, Addresses: [a] })),
    }),
  );
}

function service(store: Store, spec: ServiceSpec, vips: [Network, string][], ports: Service['Endpoint'] = {}): Service {
  const s = addService(store, spec);
  return store.update((tx) => tx.services.update({ ...s, Endpoint: { ...ports, VirtualIPs: vips.map(([n, a]) => ({ NetworkID: n.ID, Addr: a })) } }));
}

test('a node sees the networks of its tasks and the ingress network: peers on other nodes, services with VIPs, names and backends, every task', async () => {
  const store = await openTestStore();
  const ingress = addNetwork(store, 'ingress', '10.0.0.0/24', 4097, { Ingress: true });
  const app = addNetwork(store, 'app', '10.0.1.0/24', 4098);
  const secret = addNetwork(store, 'secret', '10.0.2.0/24', 4099, { DriverConfiguration: { Name: 'overlay', Options: { encrypted: '' } } });
  const n1 = node(store, '192.168.1.1', { [ingress.ID]: '10.0.0.10/24', [app.ID]: '10.0.1.10/24' });
  const n2 = node(store, '192.168.1.2', { [ingress.ID]: '10.0.0.11/24', [app.ID]: '10.0.1.11/24' });
  const n3 = node(store, undefined, { [ingress.ID]: '10.0.0.12/24' });
  const web = service(
    store,
    { Name: 'st_web', Labels: { [INGRESS_POLICY_LABEL]: 'local' }, TaskTemplate: { Networks: [{ Target: app.ID, Aliases: ['web'] }] } },
    [[ingress, '10.0.0.2/24'], [app, '10.0.1.2/24']],
    { Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'ingress' }, { Protocol: 'tcp', TargetPort: 81, PublishedPort: 81, PublishMode: 'host' }] },
  );
  const db = service(store, { Name: 'db', EndpointSpec: { Mode: 'dnsrr' }, TaskTemplate: { Networks: [{ Target: app.ID }] } }, []);
  const w1 = task(store, web, n1.ID, 1, [[ingress, '10.0.0.3/24'], [app, '10.0.1.3/24']]);
  task(store, web, n2.ID, 2, [[ingress, '10.0.0.4/24'], [app, '10.0.1.4/24']]);
  task(store, web, n2.ID, 3, [[ingress, '10.0.0.5/24'], [app, '10.0.1.5/24']], 'starting');
  task(store, web, n2.ID, 4, [[ingress, '10.0.0.6/24'], [app, '10.0.1.6/24']], 'failed', 'shutdown');
  const d1 = task(store, db, n2.ID, 1, [[app, '10.0.1.7/24']]);
  task(store, db, n3.ID, 2, [[secret, '10.0.2.7/24']]);

  const view = store.view((tx) => networkViewFor(tx, n1.ID));
  assert.equal(view.type, 'network-view');
  assert.equal(view.tunnel, undefined, 'no encrypted network on this node: no tunnel');
  assert.equal(view.address, '192.168.1.1');
  assert.deepEqual(view.networks.map((n) => n.name).sort(), ['app', 'ingress']);
  const a = view.networks.find((n) => n.name === 'app')!;
  assert.deepEqual(
    { ...a, peers: undefined, services: undefined, tasks: undefined },
    { id: app.ID, name: 'app', vni: 4098, subnet: '10.0.1.0/24', gateway: '10.0.1.1', mtu: 1450, internal: false, ingress: false, attachable: false, encrypted: false, localAddress: '10.0.1.10', peers: undefined, services: undefined, tasks: undefined, containers: [] },
  );
  assert.deepEqual(
    a.peers.map((p) => `${p.ip} ${p.mac} ${p.node}`).sort(),
    ['10.0.1.11 02:42:0a:00:01:0b 192.168.1.2', '10.0.1.4 02:42:0a:00:01:04 192.168.1.2', '10.0.1.5 02:42:0a:00:01:05 192.168.1.2', '10.0.1.7 02:42:0a:00:01:07 192.168.1.2'],
    'other nodes\' tasks (not ended) and their own addresses; nothing of this node',
  );
  assert.deepEqual(
    a.services.map((s) => ({ ...s, backends: [...s.backends].sort() })),
    [
      { id: db.ID, name: 'db', aliases: [], ports: [], backends: ['10.0.1.7'] },
      { id: web.ID, name: 'st_web', aliases: ['web'], vip: '10.0.1.2', ports: [], ingressPolicy: 'local', backends: ['10.0.1.3', '10.0.1.4'] },
    ],
    'backends: running and desired running only',
  );
  assert.equal(a.tasks.length, 4);
  assert.deepEqual(a.tasks.find((t) => t.id === w1.ID), { id: w1.ID, serviceId: web.ID, name: `st_web.1.${w1.ID}`, ip: '10.0.1.3', nodeId: n1.ID });
  assert.ok(a.tasks.some((t) => t.id === d1.ID));

  const ing = view.networks.find((n) => n.name === 'ingress')!;
  assert.equal(ing.ingress, true);
  assert.deepEqual(ing.services.map((s) => [s.name, s.vip, s.ports, [...s.backends].sort()]), [['st_web', '10.0.0.2', [{ protocol: 'tcp', published: 8080, target: 80 }], ['10.0.0.3', '10.0.0.4']]]);
  assert.ok(!ing.peers.some((p) => p.ip === '10.0.0.12'), 'a node without an underlay address is skipped');

  // A node with no task sees the ingress network only; nodes sharing an encrypted network get a tunnel to each other.
  const idle = node(store, '192.168.1.4', { [ingress.ID]: '10.0.0.13/24' });
  const index = store.view((tx) => new NetworkIndex(tx));
  assert.deepEqual(index.viewFor(idle.ID).networks.map((n) => n.name), ['ingress']);
  assert.equal(index.viewFor(n3.ID).networks.length, 1, 'no address of its own on secret yet: not in the view');
  const key = (n: number): string => Buffer.alloc(32, n).toString('base64');
  store.update((tx) => tx.nodes.update({ ...tx.nodes.get(n3.ID)!, Status: { State: 'ready', Addr: '192.168.1.3' }, BerthNetworkAddresses: { [ingress.ID]: '10.0.0.12/24', [secret.ID]: '10.0.2.10/24' }, BerthTunnelKey: key(3), BerthTunnelAddress: '10.255.0.3/16' }));
  const alone = store.view((tx) => networkViewFor(tx, n3.ID));
  assert.equal(alone.networks.find((n) => n.name === 'secret')?.encrypted, true);
  assert.deepEqual(alone.tunnel, { address: '10.255.0.3', peers: [] }, 'alone on the encrypted network: a tunnel with no peers');
  // n2 runs a task there too: each reaches the other's tunnel address, and VXLAN runs between those.
  store.update((tx) => tx.nodes.update({ ...tx.nodes.get(n2.ID)!, BerthNetworkAddresses: { ...tx.nodes.get(n2.ID)!.BerthNetworkAddresses, [secret.ID]: '10.0.2.11/24' }, BerthTunnelKey: key(2), BerthTunnelAddress: '10.255.0.2/16' }));
  task(store, db, n2.ID, 3, [[secret, '10.0.2.8/24']]);
  const paired = store.view((tx) => networkViewFor(tx, n3.ID));
  assert.deepEqual(paired.tunnel, { address: '10.255.0.3', peers: [{ node: '192.168.1.2', address: '10.255.0.2', publicKey: key(2) }] });
  const s = paired.networks.find((n) => n.name === 'secret')!;
  assert.deepEqual(s.peers.map((p) => p.node), ['10.255.0.2', '10.255.0.2'], 'peers on an encrypted network are reached at their tunnel address');
  assert.equal(s.mtu, 1390);
  // A node that sent no key has no way into an encrypted network.
  store.update((tx) => tx.nodes.update({ ...tx.nodes.get(n2.ID)!, BerthTunnelKey: undefined, BerthTunnelAddress: undefined }));
  const keyless = store.view((tx) => networkViewFor(tx, n3.ID));
  assert.deepEqual(keyless.tunnel?.peers, []);
  assert.deepEqual(keyless.networks.find((n) => n.name === 'secret')!.peers, []);
  store.close();
});

test('1,000 services × 10 tasks on one network over 10 nodes: a view for every node stays fast', async () => {
  const store = await openTestStore();
  const app = addNetwork(store, 'app', '10.1.0.0/16', 4097);
  app.IPAMOptions!.Configs![0]!.Gateway = '10.1.0.1';
  const nodes = Array.from({ length: 10 }, (_, i) => node(store, `192.168.0.${i + 1}`, { [app.ID]: `10.1.255.${i + 1}/16` }));
  store.update((tx) => {
    for (let s = 0; s < 1000; s++) {
      const svc = tx.services.create({ ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: { Name: `s${s}`, TaskTemplate: { Networks: [{ Target: app.ID }] } }, BerthSpecVersion: 0, Endpoint: { VirtualIPs: [{ NetworkID: app.ID, Addr: `10.1.${Math.floor(s / 250) + 200}.${(s % 250) + 1}/16` }] } });
      for (let i = 0; i < 10; i++) {
        const n = s * 10 + i;
        tx.tasks.create({
          ID: newId(), Version: { Index: 0 }, CreatedAt: '', UpdatedAt: '', Spec: {}, ServiceID: svc.ID, Slot: i + 1, NodeID: nodes[n % 10]!.ID,
          Status: { Timestamp: '', State: 'running', Message: '' }, DesiredState: 'running', BerthService: { Name: `s${s}`, Labels: {} },
          NetworksAttachments: [{ Network: app, Addresses: [`10.1.${Math.floor(n / 250)}.${(n % 250) + 2}/16`] }],
        });
      }
    }
  });
  const started = performance.now();
  const index = store.view((tx) => new NetworkIndex(tx));
  const sizes = nodes.map((n) => JSON.stringify(index.viewFor(n.ID)).length);
  const ms = performance.now() - started;
  const first = index.viewFor(nodes[0]!.ID).networks[0]!;
  assert.equal(first.services.length, 1000);
  assert.equal(first.tasks.length, 10_000);
  assert.equal(first.peers.length, 9000 + 9);
  assert.ok(sizes.every((s) => s > 0));
  assert.ok(ms < 2000, `10 views of 10,000 tasks took ${Math.round(ms)} ms`);
  store.close();
});

test('attachable networks: every node sees them with its own block; plain containers reported by a node are peers and names on the others, and only on attachable networks', async () => {
  const store = await openTestStore();
  const shared = addNetwork(store, 'shared', '10.0.5.0/24', 4101, { Attachable: true });
  const app = addNetwork(store, 'app', '10.0.6.0/24', 4102);
  const n1 = addNode(store, {
    Status: { State: 'ready', Addr: '192.168.1.1' },
    BerthNetworkAddresses: { [shared.ID]: '10.0.5.2/24' },
    BerthAttachableRanges: { [shared.ID]: '10.0.5.224/28' },
    BerthAttachments: [
      { NetworkID: shared.ID, ContainerID: 'c'.repeat(64), Name: 'probe', Address: '10.0.5.225', MacAddress: '5a:79:9f:ff:5e:93' },
      // A report about a network that is not attachable is no endpoint anywhere.
      { NetworkID: app.ID, ContainerID: 'd'.repeat(64), Name: 'stray', Address: '10.0.6.200', MacAddress: '5a:79:9f:ff:5e:94' },
    ],
  });
  const n2 = addNode(store, { Status: { State: 'ready', Addr: '192.168.1.2' }, BerthNetworkAddresses: { [shared.ID]: '10.0.5.3/24' }, BerthAttachableRanges: { [shared.ID]: '10.0.5.208/28' } });
  const index = store.view((tx) => new NetworkIndex(tx));
  const v1 = index.viewFor(n1.ID).networks;
  const v2 = index.viewFor(n2.ID).networks;
  assert.deepEqual(v1.map((n) => [n.name, n.attachableRange]), [['shared', '10.0.5.224/28']], 'no task needed; app is not there');
  assert.deepEqual(v2.map((n) => [n.name, n.attachableRange]), [['shared', '10.0.5.208/28']]);
  assert.deepEqual(v2[0]!.peers, [
    { ip: '10.0.5.2', mac: '02:42:0a:00:05:02', node: '192.168.1.1' },
    { ip: '10.0.5.225', mac: '5a:79:9f:ff:5e:93', node: '192.168.1.1' },
  ]);
  assert.deepEqual(v2[0]!.containers, [{ name: 'probe', ip: '10.0.5.225', nodeId: n1.ID }]);
  assert.deepEqual(v1[0]!.containers, v2[0]!.containers, 'its own node resolves it too');
  assert.ok(!v1[0]!.peers.some((p) => p.ip === '10.0.5.225'), 'no forwarding entry for a container of its own');

  // A second node claiming the same MAC gets no entry: the first claim stands.
  store.update((tx) => {
    const n = tx.nodes.get(n2.ID)!;
    tx.nodes.update({ ...n, BerthAttachments: [{ NetworkID: shared.ID, ContainerID: 'e'.repeat(64), Name: 'copy', Address: '10.0.5.209', MacAddress: '5a:79:9f:ff:5e:93' }] });
  });
  const again = store.view((tx) => new NetworkIndex(tx)).viewFor(n1.ID).networks[0]!;
  assert.deepEqual(again.containers.map((c) => c.name), ['probe']);
  store.close();
});
