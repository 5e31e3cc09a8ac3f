// The allocator gives tasks, services and nodes what they need from networks before anything
// runs, and records it in the objects themselves, as swarmkit's allocator does: each task's
// address on each network it attaches to (NetworksAttachments[i].Addresses, when it goes
// new → pending), each vip-mode service's virtual IP per network (Endpoint.VirtualIPs, its only
// writer), and each node's own address on the networks it takes part in
// (Node.BerthNetworkAddresses: the ingress and attachable networks always, others once it holds
// a task on them), each node's block of addresses for plain containers on every attachable
// network (Node.BerthAttachableRanges), and each node that sent a tunnel key its address inside
// the encrypted overlays' tunnel (Node.BerthTunnelAddress, from TUNNEL_SUBNET).
// Which address is taken lives in the objects; the in-memory pools are rebuilt from them at
// every start, so a pass is idempotent. Subnets are the API's: it gives every network its own.

import type { Logger } from '../common/log.js';
import { silentLogger } from '../common/log.js';
import { ingressNetwork, needsIngress, networkIpam } from '../common/networks.js';
import { now } from '../common/time.js';
import { driveLoop, type Commit, type ReadTx, type Store, type Tx } from '../store/index.js';
import { isTerminal, TUNNEL_SUBNET, type Network, type NetworkAttachment, type Node, type Service, type Task } from '../types/index.js';
import { AddressPool } from './address-pool.js';

/** Addresses one object holds: network ID → CIDR address. */
type Held = Map<string, string>;

/**
 * A node's block for plain containers: 16 addresses (a /28) where the subnet has room, else the
 * largest smaller block free; 16 per node keeps a /24 enough for a dozen nodes and their tasks.
 */
const BLOCK_BITS = [28, 29, 30, 31, 32];

export class Allocator {
  readonly #pools = new Map<string, AddressPool>();
  readonly #tasks = new Map<string, Held>();
  readonly #services = new Map<string, Held>();
  readonly #nodes = new Map<string, Held>();
  /** Nodes' blocks for plain containers: node ID → network ID → CIDR block. */
  readonly #blocks = new Map<string, Held>();
  /** Nodes' tunnel addresses: one pool of its own, no network's. */
  #tunnel = new AddressPool({ Subnet: TUNNEL_SUBNET });
  readonly #tunnelHeld = new Map<string, string>();
  readonly #dirtyTasks = new Set<string>();
  readonly #dirtyServices = new Set<string>();
  readonly #dirtyNodes = new Set<string>();
  /** Tasks and services that wait for an address: tried again on every pass (a pass follows every commit, releases included). */
  readonly #waiting = { tasks: new Set<string>(), services: new Set<string>() };
  #networksChanged = false;

  constructor(
    private readonly store: Store,
    private readonly log: Logger = silentLogger(),
  ) {}

  run(signal: AbortSignal): Promise<void> {
    return driveLoop(this.store, signal, this, { onError: (err) => this.log.error({ err }, 'allocator pass failed') });
  }

  init(tx: ReadTx): void {
    for (const m of [this.#pools, this.#tasks, this.#services, this.#nodes, this.#blocks]) m.clear();
    for (const n of tx.networks.list()) this.#addPool(n);
    for (const t of tx.tasks.list()) {
      if (isTerminal(t.Status.State)) continue;
      for (const a of t.NetworksAttachments ?? []) for (const addr of a.Addresses ?? []) this.#hold(this.#tasks, t.ID, a.Network.ID, addr);
      if (t.Status.State === 'new') this.#dirtyTasks.add(t.ID);
      else if (t.NodeID) this.#dirtyTasks.add(t.ID);
    }
    for (const s of tx.services.list()) {
      for (const v of s.Endpoint?.VirtualIPs ?? []) if (v.NetworkID && v.Addr) this.#hold(this.#services, s.ID, v.NetworkID, v.Addr);
      this.#dirtyServices.add(s.ID);
    }
    this.#tunnel = new AddressPool({ Subnet: TUNNEL_SUBNET });
    this.#tunnelHeld.clear();
    for (const n of tx.nodes.list()) {
      for (const [net, addr] of Object.entries(n.BerthNetworkAddresses ?? {})) this.#hold(this.#nodes, n.ID, net, addr);
      for (const [net, block] of Object.entries(n.BerthAttachableRanges ?? {})) this.#holdBlock(n.ID, net, block);
      if (n.BerthTunnelAddress && this.#tunnel.take(n.BerthTunnelAddress)) this.#tunnelHeld.set(n.ID, n.BerthTunnelAddress);
      this.#dirtyNodes.add(n.ID);
    }
  }

  observe(commit: Commit): void {
    for (const c of commit.changes) {
      if (c.kind === 'task') this.#dirtyTasks.add(c.object.ID);
      else if (c.kind === 'service') this.#dirtyServices.add(c.object.ID);
      else if (c.kind === 'node') this.#dirtyNodes.add(c.object.ID);
      else if (c.kind === 'network' && c.action !== 'update') this.#networksChanged = true;
    }
  }

  reconcile(): undefined {
    for (const id of this.#waiting.tasks) this.#dirtyTasks.add(id);
    for (const id of this.#waiting.services) this.#dirtyServices.add(id);
    if (this.#dirtyTasks.size + this.#dirtyServices.size + this.#dirtyNodes.size === 0 && !this.#networksChanged) return;
    try {
      this.store.update((tx) => this.#pass(tx));
    } catch (err) {
      // What this pass allocated in memory was not stored: start again from the store.
      this.store.view((tx) => this.init(tx));
      throw err;
    }
  }

  #pass(tx: Tx): void {
    if (this.#networksChanged) this.#syncNetworks(tx);
    this.#waiting.services.clear();
    this.#waiting.tasks.clear();
    const services = [...this.#dirtyServices];
    const tasks = [...this.#dirtyTasks];
    this.#dirtyServices.clear();
    this.#dirtyTasks.clear();
    for (const id of services) this.#service(tx, id);
    // Node addresses are wanted for the networks of tasks placed on the node.
    const nodeNeeds = new Map<string, Set<string>>();
    for (const id of tasks) {
      const t = this.#task(tx, id);
      if (!t?.NodeID) continue;
      const needs = nodeNeeds.get(t.NodeID) ?? new Set<string>();
      for (const a of t.NetworksAttachments ?? []) needs.add(a.Network.ID);
      nodeNeeds.set(t.NodeID, needs);
    }
    for (const id of this.#dirtyNodes) nodeNeeds.set(id, new Set([...(nodeNeeds.get(id) ?? []), ...networksOfNode(tx, id)]));
    this.#dirtyNodes.clear();
    for (const [id, needs] of nodeNeeds) this.#node(tx, id, needs);
  }

  /** A network created or removed: pools follow, and every service and node is looked at again. */
  #syncNetworks(tx: ReadTx): void {
    this.#networksChanged = false;
    const live = new Set(tx.networks.list().map((n) => n.ID));
    for (const n of tx.networks.list()) if (!this.#pools.has(n.ID)) this.#addPool(n);
    for (const id of [...this.#pools.keys()]) {
      if (live.has(id)) continue;
      this.#pools.delete(id);
      for (const m of [this.#tasks, this.#services, this.#nodes, this.#blocks]) for (const held of m.values()) held.delete(id);
    }
    for (const s of tx.services.list()) this.#dirtyServices.add(s.ID);
    for (const n of tx.nodes.list()) this.#dirtyNodes.add(n.ID);
  }

  #addPool(n: Network): void {
    const ipam = networkIpam(n);
    if (ipam?.Subnet) this.#pools.set(n.ID, new AddressPool(ipam));
  }

  #hold(m: Map<string, Held>, owner: string, network: string, addr: string): void {
    const pool = this.#pools.get(network);
    if (!pool?.take(addr)) return;
    const held = m.get(owner) ?? new Map<string, string>();
    held.set(network, addr);
    m.set(owner, held);
  }

  #holdBlock(node: string, network: string, block: string): void {
    if (!this.#pools.get(network)?.takeBlock(block)) return;
    const held = this.#blocks.get(node) ?? new Map<string, string>();
    held.set(network, block);
    this.#blocks.set(node, held);
  }

  /** #block gives the node its block on an attachable network, or undefined when the subnet has no room left. */
  #block(node: string, network: Network): string | undefined {
    const held = this.#blocks.get(node)?.get(network.ID);
    if (held) return held;
    const pool = this.#pools.get(network.ID);
    for (const bits of BLOCK_BITS) {
      if (!pool || bits < pool.subnet.bits) continue;
      const block = pool.allocateBlock(bits);
      if (!block) continue;
      const map = this.#blocks.get(node) ?? new Map<string, string>();
      map.set(network.ID, block);
      this.#blocks.set(node, map);
      return block;
    }
    this.log.warn({ node, network: network.Spec.Name }, `${exhausted(network, pool)}: the node gets no addresses for plain containers`);
    return undefined;
  }

  #releaseAll(m: Map<string, Held>, owner: string): void {
    for (const [net, addr] of m.get(owner) ?? []) this.#pools.get(net)?.release(addr);
    m.delete(owner);
  }

  /** #allocate gives `owner` an address on `network`, or says why it cannot. */
  #allocate(m: Map<string, Held>, owner: string, network: Network): string | { error: string } {
    const held = m.get(owner)?.get(network.ID);
    if (held) return held;
    const pool = this.#pools.get(network.ID);
    const addr = pool?.allocate();
    if (!pool || !addr) return { error: exhausted(network, pool) };
    const map = m.get(owner) ?? new Map<string, string>();
    map.set(network.ID, addr);
    m.set(owner, map);
    return addr;
  }

  #release(m: Map<string, Held>, owner: string, network: string): void {
    const addr = m.get(owner)?.get(network);
    if (!addr) return;
    this.#pools.get(network)?.release(addr);
    m.get(owner)!.delete(network);
  }

  /** A service's virtual IPs: one per network it is attached to (the ingress network first) in vip mode, none in dnsrr mode. */
  #service(tx: Tx, id: string): void {
    const s = tx.services.get(id);
    if (!s) return this.#releaseAll(this.#services, id);
    const wanted = vipNetworks(tx, s);
    const ids = new Set(wanted.map((n) => n.ID));
    for (const net of [...(this.#services.get(id)?.keys() ?? [])]) if (!ids.has(net)) this.#release(this.#services, id, net);
    const vips: { NetworkID: string; Addr: string }[] = [];
    for (const n of wanted) {
      const addr = this.#allocate(this.#services, id, n);
      if (typeof addr !== 'string') {
        this.#waiting.services.add(id);
        this.log.warn({ service: s.Spec.Name, network: n.Spec.Name }, addr.error);
        continue;
      }
      vips.push({ NetworkID: n.ID, Addr: addr });
    }
    const current = s.Endpoint?.VirtualIPs ?? [];
    if (JSON.stringify(current) === JSON.stringify(vips)) return;
    const { VirtualIPs: _old, ...endpoint } = s.Endpoint ?? {};
    tx.services.update({ ...s, Endpoint: { ...endpoint, ...(vips.length > 0 && { VirtualIPs: vips }) } });
  }

  /** A task: addresses when it is new, released once it has ended. Returns the task when it holds its addresses. */
  #task(tx: Tx, id: string): Task | undefined {
    const t = tx.tasks.get(id);
    if (!t || isTerminal(t.Status.State)) {
      this.#releaseAll(this.#tasks, id);
      return undefined;
    }
    if (t.Status.State !== 'new') return t;
    const attachments = this.#attach(tx, t);
    if (typeof attachments === 'string') {
      this.#waiting.tasks.add(id);
      // As Swarm's allocator retries, the task waits (docker service ps shows why in its ERROR column).
      if (t.Status.Err !== attachments) tx.tasks.update({ ...t, Status: { ...t.Status, Message: attachments, Err: attachments, Timestamp: now() } });
      return undefined;
    }
    const { Err: _err, ...status } = t.Status;
    return tx.tasks.update({
      ...t,
      ...(attachments.length > 0 && { NetworksAttachments: attachments }),
      Status: { ...status, State: 'pending', Message: 'pending task scheduling', Timestamp: now() },
    });
  }

  #attach(tx: ReadTx, t: Task): NetworkAttachment[] | string {
    const wanted = attachmentsFor(tx, t);
    if (typeof wanted === 'string') return wanted;
    const service = tx.services.get(t.ServiceID);
    if (service && this.#waiting.services.has(service.ID)) {
      const missing = vipNetworks(tx, service).find((n) => !this.#services.get(service.ID)?.has(n.ID));
      if (missing) return `${exhausted(missing, this.#pools.get(missing.ID))} (for the virtual IP of service ${service.Spec.Name})`;
    }
    const out: NetworkAttachment[] = [];
    for (const a of wanted) {
      const addr = this.#allocate(this.#tasks, t.ID, a.Network);
      if (typeof addr !== 'string') {
        this.#releaseAll(this.#tasks, t.ID);
        return addr.error;
      }
      out.push({ ...a, Addresses: [addr] });
    }
    return out;
  }

  /** A node's own address on each network it needs one on; kept until the node or the network is removed. */
  #node(tx: Tx, id: string, needs: Set<string>): void {
    const node = tx.nodes.get(id);
    if (!node) {
      const tunnel = this.#tunnelHeld.get(id);
      if (tunnel) this.#tunnel.release(tunnel);
      this.#tunnelHeld.delete(id);
      for (const [net, block] of this.#blocks.get(id) ?? []) this.#pools.get(net)?.releaseBlock(block);
      this.#blocks.delete(id);
      return this.#releaseAll(this.#nodes, id);
    }
    const networks = tx.networks.list();
    const ingress = ingressNetwork(networks);
    if (ingress) needs.add(ingress.ID);
    // A plain container may join an attachable network on any node: the engine needs it everywhere.
    const attachable = networks.filter((n) => n.Spec.Attachable);
    for (const n of attachable) needs.add(n.ID);
    const addresses: Record<string, string> = {};
    for (const [net, addr] of this.#nodes.get(id) ?? []) addresses[net] = addr;
    for (const net of needs) {
      const network = tx.networks.get(net);
      if (!network || addresses[net]) continue;
      const addr = this.#allocate(this.#nodes, id, network);
      if (typeof addr === 'string') addresses[net] = addr;
      else this.log.warn({ node: id, network: network.Spec.Name }, addr.error);
    }
    const ranges: Record<string, string> = {};
    for (const n of attachable) {
      const block = addresses[n.ID] && this.#block(id, n);
      if (block) ranges[n.ID] = block;
    }
    const tunnel = this.#tunnelAddress(node);
    if (sameRecord(node.BerthNetworkAddresses, addresses) && sameRecord(node.BerthAttachableRanges, ranges) && tunnel === node.BerthTunnelAddress) return;
    const { BerthAttachableRanges: _old, ...rest } = node;
    tx.nodes.update({
      ...rest,
      BerthNetworkAddresses: addresses,
      ...(Object.keys(ranges).length > 0 && { BerthAttachableRanges: ranges }),
      ...(tunnel && { BerthTunnelAddress: tunnel }),
    });
  }

  /** A node that sent a tunnel key gets an address inside the tunnel, kept until it is removed. */
  #tunnelAddress(node: Node): string | undefined {
    const held = this.#tunnelHeld.get(node.ID);
    if (held || !node.BerthTunnelKey) return held;
    const addr = this.#tunnel.allocate();
    if (!addr) {
      this.log.warn({ node: node.ID }, `no address left in the tunnel subnet ${TUNNEL_SUBNET}`);
      return undefined;
    }
    this.#tunnelHeld.set(node.ID, addr);
    return addr;
  }
}

function sameRecord(current: Record<string, string> = {}, wanted: Record<string, string>): boolean {
  const keys = Object.keys(wanted);
  return keys.length === Object.keys(current).length && keys.every((k) => current[k] === wanted[k]);
}

/** The networks of the node's tasks that may still run. */
function networksOfNode(tx: ReadTx, nodeId: string): string[] {
  const out = new Set<string>();
  for (const t of tx.tasks.byNode(nodeId)) {
    if (isTerminal(t.Status.State)) continue;
    for (const a of t.NetworksAttachments ?? []) out.add(a.Network.ID);
  }
  return [...out];
}

/** The networks a service has a virtual IP on: none in dnsrr mode; the ingress network first when it publishes ingress ports. */
function vipNetworks(tx: ReadTx, s: Service): Network[] {
  if (s.Spec.EndpointSpec?.Mode === 'dnsrr') return [];
  const out: Network[] = [];
  const ingress = needsIngress(s.Spec.EndpointSpec) ? ingressNetwork(tx.networks.list()) : undefined;
  if (ingress) out.push(ingress);
  for (const config of s.Spec.TaskTemplate?.Networks ?? []) {
    const n = tx.networks.get(config.Target ?? '');
    if (n && n.ID !== ingress?.ID) out.push(n);
  }
  return out;
}

function exhausted(n: Network, pool: AddressPool | undefined): string {
  const subnet = pool?.cidr ?? networkIpam(n)?.Subnet ?? 'none';
  return `no IP address left on network ${n.Spec.Name} (subnet ${subnet}): remove tasks or create the network with a larger --subnet`;
}

/**
 * attachmentsFor gives the networks a task attaches to, or why they cannot be made: the
 * ingress network first when its service publishes ports in ingress mode (no names there, as
 * in Swarm), then its own, where it answers to its service's name, `tasks.<service>` and the
 * spec's aliases.
 */
export function attachmentsFor(tx: ReadTx, t: Task): NetworkAttachment[] | string {
  const service = t.BerthService.Name;
  const out: NetworkAttachment[] = [];
  const ingress = needsIngress(t.BerthService.Endpoint) ? ingressNetwork(tx.networks.list()) : undefined;
  if (ingress) out.push({ Network: ingress, BerthAliases: [] });
  for (const config of t.Spec.Networks ?? []) {
    const network = tx.networks.get(config.Target ?? '');
    if (!network) return `pending network allocation: network ${config.Target} not found`;
    if (network.ID === ingress?.ID) continue;
    const aliases = [service, `tasks.${service}`, ...(config.Aliases ?? [])].filter((a, i, all) => a && all.indexOf(a) === i);
    out.push({ Network: network, BerthAliases: aliases });
  }
  return out;
}
