// The agent's overlay data path and load balancer (src/agent/overlay/) on three real hosts, each
// with its own Podman engine: hand-built network views, real containers with the static address
// and MAC the manager would give them. h1 runs backend A and a client, h2 backend B, h3 nothing.
// Checked: HTTP between hosts over VXLAN, a VIP spreading over a local and a remote backend, an
// ingress port answering on the host with no task (from outside and from the host itself), the
// `local` ingress policy keeping the client's address, an internal network forwarding nothing
// out, a new instance (an agent restarted) changing nothing, and nothing left after removal.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildBusyboxImage } from '../../src/agent/engine/image-build.js';
import { OverlayDataPath } from '../../src/agent/overlay/datapath.js';
import { EngineNetworks } from '../../src/agent/tasks/networks.js';
import { silentLogger } from '../../src/common/log.js';
import { macForAddress } from '../../src/common/overlay-mac.js';
import type { NodeNetworkView, ServiceEndpointView } from '../../src/types/network-view.js';
import { TEST_IMAGE } from '../helpers/engine.js';
import { createTestNetwork, saveImage, type TestHost, type TestNetwork } from '../helpers/hosts/index.js';
import { until } from '../helpers/wait.js';

const A = '10.50.0.10'; // backend on h1
const B = '10.50.0.20'; // backend on h2
const C = '10.50.0.30'; // client on h1
const I = '10.51.0.10'; // on the internal network, h1
const NODE_ADDRESS = ['10.50.0.251', '10.50.0.252', '10.50.0.253'];
const INTERNAL_NODE_ADDRESS = ['10.51.0.251', '10.51.0.252', '10.51.0.253'];
const WEB: ServiceEndpointView = { id: 'web', name: 'web', aliases: [], vip: '10.50.0.2', ports: [{ protocol: 'tcp', published: 8080, target: 80 }], backends: [A, B] };
const LOCAL: ServiceEndpointView = { id: 'lweb', name: 'lweb', aliases: [], ports: [{ protocol: 'tcp', published: 8081, target: 80 }], ingressPolicy: 'local', backends: [A, B] };
const EMPTY: ServiceEndpointView = { id: 'none', name: 'none', aliases: [], vip: '10.50.0.3', ports: [], backends: [] };

let net: TestNetwork;
const paths: OverlayDataPath[] = [];
const endpoints: { ip: string; host: number; network: 'ingress' | 'internal' }[] = [
  { ip: A, host: 0, network: 'ingress' },
  { ip: B, host: 1, network: 'ingress' },
  { ip: C, host: 0, network: 'ingress' },
  { ip: I, host: 0, network: 'internal' },
];

/** The view of host i: every endpoint of another host is a peer, with those hosts' own addresses. */
function views(i: number, services: ServiceEndpointView[] = [WEB, LOCAL, EMPTY]): NodeNetworkView[] {
  const peers = (network: 'ingress' | 'internal', nodeAddresses: string[]) => [
    ...endpoints.filter((e) => e.network === network && e.host !== i).map((e) => ({ ip: e.ip, node: net.hosts[e.host]!.ip })),
    ...nodeAddresses.flatMap((ip, h) => (h === i ? [] : [{ ip, node: net.hosts[h]!.ip }])),
  ].map((p) => ({ ...p, mac: macForAddress(p.ip) }));
  const common = { mtu: 1450, attachable: false, encrypted: false, tasks: [], containers: [] };
  return [
    { ...common, id: 'ingressnet1', name: 'ingress', vni: 4097, subnet: '10.50.0.0/24', gateway: '10.50.0.1', internal: false, ingress: true, localAddress: NODE_ADDRESS[i]!, peers: peers('ingress', NODE_ADDRESS), services },
    { ...common, id: 'internal01', name: 'back', vni: 4098, subnet: '10.51.0.0/24', gateway: '10.51.0.1', internal: true, ingress: false, localAddress: INTERNAL_NODE_ADDRESS[i]!, peers: peers('internal', INTERNAL_NODE_ADDRESS), services: [] },
  ];
}

function dataPath(host: TestHost, engineNetworks?: EngineNetworks): OverlayDataPath {
  return new OverlayDataPath({ underlay: host.ip, netns: host.netns, log: silentLogger(), ...(engineNetworks && { beforeAddresses: (v) => engineNetworks.ensureView(v) }) });
}

/** A busybox httpd answering `<name> <client address>` (CGI), on the engine network of view network `network`. */
async function serve(host: TestHost, name: string, ip: string, network: string): Promise<void> {
  const script = `mkdir -p /w/cgi-bin && printf '#!/bin/sh\\nprintf "Content-Type: text/plain\\\\r\\\\n\\\\r\\\\n${name} %%s\\\\n" "$REMOTE_ADDR"\\n' > /w/cgi-bin/who && chmod +x /w/cgi-bin/who && exec httpd -f -p 80 -h /w`;
  const c = await host.engine.docker.createContainer({
    name,
    Image: TEST_IMAGE,
    Cmd: ['sh', '-c', script],
    HostConfig: { NetworkMode: network },
    NetworkingConfig: { EndpointsConfig: { [network]: { IPAMConfig: { IPv4Address: ip }, MacAddress: macForAddress(ip) } } },
  });
  await c.start();
}

/** httpd shows an IPv4 client as `[::ffff:a.b.c.d]`. */
const plain = (answer: string): string => answer.trim().replace(/\[::ffff:([\d.]+)\]/, '$1');

/** inContainer runs a command in a container; busybox's wget crashes on -T, so time limits use timeout. */
async function inContainer(host: TestHost, name: string, cmd: string[]): Promise<string> {
  const r = await host.exec('podman', ['exec', name, ...cmd], { timeoutMs: 20_000 });
  return r.code === 0 ? plain(r.stdout) : `failed: ${r.stderr.trim()} ${r.stdout.trim()}`;
}

/** fetch from the host itself (its root namespace), as a client outside the overlay. */
async function fetchFrom(host: TestHost, url: string): Promise<string> {
  const code = `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(5000) }).then((r) => r.text()).then((t) => process.stdout.write(t), (e) => process.stdout.write('failed: ' + (e.cause?.code ?? e.message)))`;
  return plain((await host.exec(process.execPath, ['-e', code])).stdout);
}

/** What the kernel holds of the data path on a host: to compare before and after, and to find leftovers. */
async function kernelState(host: TestHost): Promise<string> {
  const out = await Promise.all([
    host.exec('ip', ['-o', 'link', 'show']),
    host.exec('ip', ['-o', 'addr', 'show']),
    host.exec('bridge', ['fdb', 'show']),
    host.exec('ip', ['neigh', 'show', 'nud', 'permanent']),
    host.exec('nft', ['-a', 'list', 'table', 'ip', 'berth']),
  ]);
  return out.map((r) => r.stdout + r.stderr).join('\n');
}

describe('overlay data path', { timeout: 180_000 }, () => {
  before(async () => {
    net = await createTestNetwork({ name: 'overlay-datapath', hosts: 3 });
    await net.startEngines();
    const [h1, h2, h3] = net.hosts as [TestHost, TestHost, TestHost];
    await buildBusyboxImage(h1.engine.docker, TEST_IMAGE);
    const file = join(net.dir, 'busybox.tar');
    await saveImage(h1.engine.docker, TEST_IMAGE, file);
    await Promise.all([h2.loadImage(file), h3.loadImage(file)]);
    // The engine networks are made by the data path's hook, before the bridges get addresses.
    for (const [i, h] of net.hosts.entries()) {
      paths[i] = dataPath(h, new EngineNetworks(h.engine.docker, 'cluster1', silentLogger()));
    }
    await Promise.all(paths.map((p, i) => p.apply(views(i))));
    await Promise.all([
      serve(h1, 'A', A, 'berth_ingress_ingressnet1'),
      serve(h2, 'B', B, 'berth_ingress_ingressnet1'),
      serve(h1, 'C', C, 'berth_ingress_ingressnet1'),
      serve(h1, 'I', I, 'berth_back_internal01'),
    ]);
  });
  after(() => net?.destroy());

  test('containers on different hosts talk over VXLAN', async () => {
    const [h1] = net.hosts as [TestHost];
    assert.equal(await inContainer(h1, 'C', ['wget', '-q', '-O', '-', `http://${B}/cgi-bin/who`]), `B ${C}`);
  });

  test('a VIP spreads connections over a local and a remote backend, and one without backends resets at once', async () => {
    const [h1] = net.hosts as [TestHost];
    const seen = new Set<string>();
    for (let i = 0; i < 16 && seen.size < 2; i++) seen.add((await inContainer(h1, 'C', ['wget', '-q', '-O', '-', `http://${WEB.vip}/cgi-bin/who`])).split(' ')[0]!);
    assert.deepEqual([...seen].sort(), ['A', 'B']);
    const started = Date.now();
    assert.match(await inContainer(h1, 'C', ['timeout', '5', 'wget', '-q', '-O', '-', `http://${EMPTY.vip}/`]), /failed: .*refused/i);
    assert.ok(Date.now() - started < 3000, 'an empty VIP answers with a reset, not silence');
  });

  test('an ingress port answers on a host with no task, from outside and from the host itself', async () => {
    const [h1, , h3] = net.hosts as [TestHost, TestHost, TestHost];
    for (const from of [h1, h3]) {
      const seen = new Set<string>();
      for (let i = 0; i < 16 && seen.size < 2; i++) seen.add((await fetchFrom(from, `http://${h3.ip}:8080/cgi-bin/who`)).split(' ')[0]!);
      assert.deepEqual([...seen].sort(), ['A', 'B'], `from ${from.name}`);
    }
  });

  test('ingress policy local: a connection landing on a host with a task stays there and keeps the client address', async () => {
    const [h1, h2, h3] = net.hosts as [TestHost, TestHost, TestHost];
    for (let i = 0; i < 6; i++) assert.equal(await fetchFrom(h3, `http://${h1.ip}:8081/cgi-bin/who`), `A ${h3.ip}`);
    // On a host without a task it goes anywhere, SNATed as for any ingress port.
    const answer = await fetchFrom(h3, `http://${h3.ip}:8081/cgi-bin/who`);
    assert.match(answer, /^[AB] 10\.50\.0\.253$/);
    assert.equal(await fetchFrom(h1, `http://${h2.ip}:8081/cgi-bin/who`), `B ${h1.ip}`);
  });

  test('an internal network forwards nothing out', async () => {
    const [h1, h2] = net.hosts as [TestHost, TestHost];
    // A server on h2 itself: its answer to 10.51.0.10 would come back over h2's bridge and VXLAN,
    // so only h1's forward rule keeps the internal container from reaching it.
    await writeFile(join(h2.dir, 'index.html'), 'h2\n');
    const server = h2.spawn('busybox', ['httpd', '-f', '-p', '9000', '-h', h2.dir]);
    try {
      assert.equal(await inContainer(h1, 'A', ['timeout', '5', 'wget', '-q', '-O', '-', `http://${h2.ip}:9000/`]), 'h2', 'from a network that is not internal');
      assert.match(await inContainer(h1, 'I', ['timeout', '5', 'wget', '-q', '-O', '-', `http://${h2.ip}:9000/`]), /failed: .*no route to host/i);
    } finally {
      await server.stop();
    }
  });

  test("a gateway's resolver port takes queries only from its own network's bridge", async () => {
    const [h1] = net.hosts as [TestHost];
    // Something on port 53 of the ingress network's gateway, as Berth's resolver is (TCP here; UDP is ruled the same).
    await writeFile(join(h1.dir, 'index.html'), 'resolver\n');
    const server = h1.spawn('busybox', ['httpd', '-f', '-p', '10.50.0.1:53', '-h', h1.dir]);
    try {
      await until(async () => (await inContainer(h1, 'C', ['timeout', '5', 'wget', '-q', '-O', '-', 'http://10.50.0.1:53/'])) === 'resolver', 10_000, 'C, on the ingress bridge, reaches its gateway');
      // From the internal network's bridge the same gateway address is local to h1, yet not that network's: dropped.
      assert.match(await inContainer(h1, 'I', ['timeout', '3', 'wget', '-q', '-O', '-', 'http://10.50.0.1:53/']), /^failed/);
    } finally {
      await server.stop();
    }
  });

  test('an agent restarted (a new instance) changes nothing; a changed backend set changes only its chain', async () => {
    const [h1] = net.hosts as [TestHost];
    const before = await kernelState(h1);
    await dataPath(h1).apply(views(0));
    assert.equal(await kernelState(h1), before);
    await paths[0]!.apply(views(0, [{ ...WEB, backends: [B] }, LOCAL, EMPTY]));
    const changed = await kernelState(h1);
    const rule = (state: string, chain: string) => new RegExp(`chain ${chain} \\{[^}]*`).exec(state)?.[0];
    assert.notEqual(rule(changed, 'svc-4097-web'), rule(before, 'svc-4097-web'));
    assert.equal(rule(changed, 'ing-tcp-8081'), rule(before, 'ing-tcp-8081'), 'other chains keep their rules (same handles)');
    for (let i = 0; i < 4; i++) assert.equal((await inContainer(h1, 'C', ['wget', '-q', '-O', '-', `http://${WEB.vip}/cgi-bin/who`])).split(' ')[0], 'B');
  });

  test('removed networks leave nothing: devices, addresses, FDB, neighbours, nft table', async () => {
    await Promise.all(net.hosts.map(async (h) => {
      for (const c of await h.engine.docker.listContainers({ all: true })) await h.engine.docker.getContainer(c.Id).remove({ force: true });
    }));
    await Promise.all(paths.map((p) => p.apply([])));
    for (const h of net.hosts) {
      const state = await kernelState(h);
      assert.doesNotMatch(state, /\bb[ox]409[78]\b|10\.5[01]\.0\.|02:42:0a:3[23]|^table ip berth/m, `${h.name}:\n${state}`);
    }
  });
});
