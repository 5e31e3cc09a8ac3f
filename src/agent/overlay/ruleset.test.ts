import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeNetworkView } from '../../types/network-view.js';
import { desiredRuleset, parseRuleset, rulesetBatch, type Ruleset } from './ruleset.js';
import { validateViews } from './validate.js';

const view = (backends: string[]): NodeNetworkView => ({
  id: 'n1', name: 'n', vni: 4097, subnet: '10.50.0.0/24', gateway: '10.50.0.1', mtu: 1450, internal: false, ingress: true, attachable: false, encrypted: false,
  localAddress: '10.50.0.251', peers: [], tasks: [], containers: [],
  services: [
    { id: 's1', name: 's1', aliases: [], vip: '10.50.0.2', ports: [{ protocol: 'tcp', published: 8080, target: 80 }], backends },
    { id: 's2', name: 's2', aliases: [], vip: '10.50.0.3', ports: [], backends: ['10.50.0.9'] },
  ],
});

/** What the kernel would show after applying `want`: each chain's hash, the same elements. */
function applied(want: Ruleset): Ruleset {
  const batch = rulesetBatch(want, parseRuleset(undefined));
  const chains = new Map([...want.chains.keys()].map((c) => [c, new RegExp(`add rule ip berth ${c} .* comment "(\\w+)"`).exec(batch)?.[1] ?? '']));
  return { ...want, skeleton: true, chains };
}

test('a changed backend set flushes and refills that service chain only, and touches no map', () => {
  const before = applied(desiredRuleset([view(['10.50.0.10', '10.50.0.20'])]));
  assert.equal(rulesetBatch(desiredRuleset([view(['10.50.0.10', '10.50.0.20'])]), before), '', 'the same view changes nothing');
  const batch = rulesetBatch(desiredRuleset([view(['10.50.0.10'])]), before).split('\n');
  assert.deepEqual(batch.map((l) => l.replace(/ comment .*/, '')), [
    'flush chain ip berth svc-4097-s1',
    'add rule ip berth svc-4097-s1 dnat ip to 10.50.0.10',
    'flush chain ip berth ing-tcp-8080',
    'add rule ip berth ing-tcp-8080 meta l4proto tcp dnat ip to 10.50.0.10:80',
  ]);
});

test('a service leaving deletes its elements before its chain', () => {
  const before = applied(desiredRuleset([view(['10.50.0.10'])]));
  const v = view(['10.50.0.10']);
  const batch = rulesetBatch(desiredRuleset([{ ...v, services: v.services.slice(0, 1) }]), before);
  assert.equal(batch, ['delete element ip berth vip_dnat { 10.50.0.3 : goto svc-4097-s2 }', 'delete element ip berth vips { 10.50.0.3 }', 'delete chain ip berth svc-4097-s2'].join('\n'));
});

test('the view is checked before anything reaches ip or nft', () => {
  const bad: [string, (v: NodeNetworkView) => unknown, RegExp][] = [
    ['id', (v) => ({ ...v, id: 'x; rm -rf /' }), /networks\[0\]\.id/],
    ['MAC', (v) => ({ ...v, peers: [{ ip: '10.50.0.7', mac: '02:42:0a:32:00:07 dev eth0', node: '10.0.0.2' }] }), /peers\[0\]\.mac/],
    ['address outside the subnet', (v) => ({ ...v, services: [{ ...v.services[0]!, backends: ['10.9.9.9'] }] }), /backends\[0\].*inside the network's subnet/],
    ['port', (v) => ({ ...v, services: [{ ...v.services[0]!, ports: [{ protocol: 'tcp', published: 0, target: 80 }] }] }), /ports\[0\]\.published/],
    ['VNI', (v) => ({ ...v, vni: 2 ** 24 }), /vni/],
  ];
  for (const [what, change, message] of bad) assert.throws(() => validateViews([change(view([]))]), message, what);
  assert.throws(() => validateViews([view([]), { ...view([]), id: 'n2', vni: 9 }]), /overlaps network n1/);
});

test("each network's gateway takes resolver queries from its own bridge only: elements follow the networks", () => {
  const first = rulesetBatch(desiredRuleset([view(['10.50.0.10'])]), parseRuleset(undefined));
  assert.match(first, /th dport 53 ip daddr @resolvers iifname != "lo" ip daddr \. iifname != @resolver_paths drop/);
  assert.match(first, /add element ip berth resolvers \{ 10\.50\.0\.1 \}/);
  assert.match(first, /add element ip berth resolver_paths \{ 10\.50\.0\.1 \. "bo4097" \}/);
  const before = applied(desiredRuleset([view(['10.50.0.10'])]));
  const second = { ...view([]), id: 'n2', vni: 4098, subnet: '10.51.0.0/24', gateway: '10.51.0.1', localAddress: '10.51.0.251', ingress: false, services: [] };
  const added = rulesetBatch(desiredRuleset([view(['10.50.0.10']), second]), before).split('\n');
  assert.deepEqual(added.filter((l) => /resolver/.test(l)), ['add element ip berth resolvers { 10.51.0.1 }', 'add element ip berth resolver_paths { 10.51.0.1 . "bo4098" }']);
  // Read back from the kernel's JSON as nft prints it.
  const parsed = parseRuleset({ nftables: [{ set: { name: 'resolvers', elem: ['10.50.0.1'] } }, { set: { name: 'resolver_paths', elem: [{ concat: ['10.50.0.1', 'bo4097'] }] } }] });
  assert.deepEqual([...parsed.resolverPaths], ['10.50.0.1 . "bo4097"']);
  assert.deepEqual([...parsed.resolvers], ['10.50.0.1']);
});
