// A test network: a bridge in the root namespace (the "manager side", at the subnet's .1) and
// hosts, each a network namespace with a veth to the bridge, lo up, its own address (.11, .12,
// ...) and a default route through the bridge. An nftables table keeps all of it on the bridge:
// nothing is forwarded between the bridge and any other interface, and the root namespace takes
// packets from the hosts only on the bridge's address. Nothing is routed or NATed outside.

import { mkdir } from 'node:fs/promises';
import { claim } from './claim.js';
import { track, untrack } from './exit.js';
import { TestHost, type HostEngine } from './host.js';
import { bridgeName, networkDir, subnet as parseSubnet, type Subnet } from './names.js';
import { must, runScript } from './script.js';
import { teardown } from './teardown.js';

export interface TestNetworkOptions {
  /** Names the test that made it (kept in the network's owner file). */
  name: string;
  /** How many hosts: h1 ... hN. */
  hosts: number;
  /** An IPv4 /24 (a.b.c.0/24); default 10.213.N.0/24, N being the network's number. */
  subnet?: string;
}

/** Hosts are .11 to .254 of the /24. */
const MAX_HOSTS = 244;

/**
 * createTestNetwork makes a network and its hosts (engines are started apart: startEngines).
 * Call destroy() in the test's after(); whatever is still up when the process exits is removed
 * then, and a crashed run's leftovers when the next network is made.
 */
export async function createTestNetwork(opts: TestNetworkOptions): Promise<TestNetwork> {
  if (!Number.isInteger(opts.hosts) || opts.hosts < 1 || opts.hosts > MAX_HOSTS) {
    throw new Error(`hosts: ${opts.hosts}: give a whole number from 1 to ${MAX_HOSTS}`);
  }
  if (opts.subnet) parseSubnet(opts.subnet);
  const { id, subnet } = await claim(opts.name, opts.subnet);
  track(id);
  const network = new TestNetwork(opts.name, id, parseSubnet(subnet), opts.hosts);
  try {
    await network.build();
  } catch (err) {
    await network.destroy().catch(() => undefined);
    throw err;
  }
  return network;
}

export class TestNetwork {
  readonly hosts: TestHost[];
  /** The bridge's interface name in the root namespace. */
  readonly bridge: string;
  /** The bridge's address: processes in the root namespace listen here for the hosts. */
  readonly gateway: string;
  readonly subnet: string;
  /** The network's directory: its owner file and the hosts' directories. */
  readonly dir: string;
  #destroyed: Promise<void> | undefined;

  constructor(
    readonly name: string,
    /** The network's number: in every name it has (bhost<N>, bhost<N>-h1, ...) and its directory. */
    readonly id: number,
    addresses: Subnet,
    hosts: number,
  ) {
    this.bridge = bridgeName(id);
    this.gateway = addresses.gateway;
    this.subnet = addresses.cidr;
    this.dir = networkDir(id);
    this.hosts = Array.from({ length: hosts }, (_, i) => new TestHost(id, `h${i + 1}`, addresses.host(i + 1)));
  }

  host(name: string): TestHost {
    const host = this.hosts.find((h) => h.name === name);
    if (!host) throw new Error(`network ${this.name} has no host ${name} (it has ${this.hosts.map((h) => h.name).join(', ')})`);
    return host;
  }

  /** startEngines starts every host's engine, in parallel. */
  startEngines(): Promise<HostEngine[]> {
    return Promise.all(this.hosts.map((h) => h.startEngine()));
  }

  /**
   * destroy removes the network: the hosts' processes, their engines' containers, mounts,
   * namespaces, links, the nftables table and the directory. It fails naming what is left.
   */
  destroy(): Promise<void> {
    this.#destroyed ??= (async () => {
      const left = await runScript(teardown(this.id));
      if (left.length > 0) throw new Error(`test network ${this.id} (${this.name}): could not remove ${left.join(', ')}`);
      untrack(this.id);
    })();
    return this.#destroyed;
  }

  /** @internal createTestNetwork's second half: links, namespaces, addresses, routes and rules. */
  async build(): Promise<void> {
    const br = this.bridge;
    const root = [`link add ${br} type bridge`, `addr add ${this.gateway}/24 dev ${br}`, `link set ${br} up`];
    for (const h of this.hosts) {
      root.push(`netns add ${h.link}`, `link add ${h.link} type veth peer name eth0 netns ${h.link}`, `link set ${h.link} master ${br} up`);
    }
    await must({ cmd: 'ip', args: ['-batch', '-'], input: `${root.join('\n')}\n` });
    await Promise.all([
      must({ cmd: 'nft', args: ['-f', '-'], input: this.rules() }),
      ...this.hosts.map(async (h) => {
        const inside = ['link set lo up', `addr add ${h.ip}/24 dev eth0`, 'link set eth0 up', `route add default via ${this.gateway}`];
        await must({ cmd: 'ip', args: ['-n', h.link, '-batch', '-'], input: `${inside.join('\n')}\n` });
        await mkdir(h.dir, { recursive: true });
      }),
    ]);
  }

  private rules(): string {
    const br = this.bridge;
    return `table inet ${br} {
  chain forward {
    type filter hook forward priority filter; policy accept;
    iifname "${br}" oifname != "${br}" drop
    oifname "${br}" iifname != "${br}" drop
  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname "${br}" ip daddr != ${this.gateway} drop
  }
}
`;
  }
}
