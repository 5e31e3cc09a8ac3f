// The network view: what one node needs to build its overlay data path, load balancer and
// resolver (src/types/network-view.ts), computed from the store. NetworkIndex reads every task,
// service and node once per pass and groups them by network; each node's view is then built
// from the networks it takes part in only, so 1,000 services × 10 tasks cost one scan, not one
// per node and network.

import { isEncrypted, isIngress, networkIpam, overlayMtu, publishMode } from '../common/networks.js';
import { macForAddress } from '../common/overlay-mac.js';
import type { Change, ReadTx } from '../store/index.js';
import {
  INGRESS_POLICY_LABEL,
  VXLAN_ID_OPTION,
  isTerminal,
  type Network,
  type NetworkViewMessage,
  type NodeNetworkView,
  type OverlayPeer,
  type ContainerEndpointView,
  type ServiceEndpointView,
  type Task,
  type TaskEndpointView,
  type TunnelPeer,
  type TunnelView,
} from '../types/index.js';

/** What every node on one network sees alike. */
interface NetworkPart {
  network: Network;
  /** Tasks with an address on the network, by id. */
  tasks: TaskEndpointView[];
  services: ServiceEndpointView[];
  /** Every endpoint on the network (tasks, nodes' own addresses, plain containers) with the underlay address of its node. */
  endpoints: (OverlayPeer & { nodeId: string })[];
  /** Plain containers on the network (attachable networks), on any node. */
  containers: ContainerEndpointView[];
}

export class NetworkIndex {
  readonly #parts = new Map<string, NetworkPart>();
  /** Networks of each node's non-terminal tasks. */
  readonly #nodeNetworks = new Map<string, Set<string>>();
  readonly #ingress: string | undefined;
  readonly #localAddresses = new Map<string, Record<string, string>>();
  readonly #ranges = new Map<string, Record<string, string>>();
  /** Networks every node takes part in: the ingress network and the attachable ones. */
  readonly #everywhere: string[];
  readonly #underlay = new Map<string, string>();
  /** Nodes that can take part in encrypted networks: their tunnel key and address. */
  readonly #tunnels = new Map<string, { publicKey: string; address: string }>();

  constructor(tx: ReadTx) {
    const networks = new Map(tx.networks.list().map((n) => [n.ID, n]));
    this.#ingress = [...networks.values()].find(isIngress)?.ID;
    this.#everywhere = [...networks.values()].filter((n) => isIngress(n) || n.Spec.Attachable).map((n) => n.ID);
    const underlay = this.#underlay;
    const attached = new Map<string, { nodeId: string; name: string; ip: string; mac: string }[]>();
    for (const n of tx.nodes.list()) {
      if (n.Status.Addr) underlay.set(n.ID, n.Status.Addr);
      this.#localAddresses.set(n.ID, n.BerthNetworkAddresses ?? {});
      this.#ranges.set(n.ID, n.BerthAttachableRanges ?? {});
      for (const a of n.BerthAttachments ?? []) {
        const list = attached.get(a.NetworkID) ?? [];
        list.push({ nodeId: n.ID, name: a.Name, ip: a.Address, mac: a.MacAddress });
        attached.set(a.NetworkID, list);
      }
      const address = n.BerthTunnelAddress?.split('/')[0];
      if (n.BerthTunnelKey && address) this.#tunnels.set(n.ID, { publicKey: n.BerthTunnelKey, address });
    }
    const byNetwork = new Map<string, { task: Task; ip: string }[]>();
    for (const t of tx.tasks.list()) {
      if (isTerminal(t.Status.State)) continue;
      for (const a of t.NetworksAttachments ?? []) {
        if (t.NodeID) this.#nodeNetworks.set(t.NodeID, (this.#nodeNetworks.get(t.NodeID) ?? new Set()).add(a.Network.ID));
        const ip = a.Addresses?.[0]?.split('/')[0];
        if (!ip || !networks.has(a.Network.ID)) continue;
        const list = byNetwork.get(a.Network.ID) ?? [];
        list.push({ task: t, ip });
        byNetwork.set(a.Network.ID, list);
      }
    }
    for (const network of networks.values()) {
      const entries = (byNetwork.get(network.ID) ?? []).sort((a, b) => (a.task.ID < b.task.ID ? -1 : 1));
      const endpoints: NetworkPart['endpoints'] = [];
      // An encrypted network's VXLAN runs between tunnel addresses: a node without one has no way in.
      const vtep = isEncrypted(network) ? (id: string) => this.#tunnels.get(id)?.address : (id: string) => underlay.get(id);
      for (const { task, ip } of entries) {
        const node = task.NodeID ? vtep(task.NodeID) : undefined;
        if (node) endpoints.push({ ip, mac: macForAddress(ip), node, nodeId: task.NodeID! });
      }
      for (const [nodeId, addresses] of this.#localAddresses) {
        const ip = addresses[network.ID]?.split('/')[0];
        const node = vtep(nodeId);
        if (ip && node) endpoints.push({ ip, mac: macForAddress(ip), node, nodeId });
      }
      // Plain containers' MACs are their engines' choice: one claimed twice (a node lying) reaches neither claimant's peers twice.
      const macs = new Set(endpoints.map((e) => e.mac));
      const containers: ContainerEndpointView[] = [];
      for (const c of (network.Spec.Attachable && attached.get(network.ID)) || []) {
        const node = vtep(c.nodeId);
        if (!node || macs.has(c.mac)) continue;
        macs.add(c.mac);
        endpoints.push({ ip: c.ip, mac: c.mac, node, nodeId: c.nodeId });
        containers.push({ name: c.name, ip: c.ip, nodeId: c.nodeId });
      }
      const tasks = entries.map(({ task, ip }) => ({
        id: task.ID,
        serviceId: task.ServiceID,
        name: `${task.BerthService.Name}.${task.Slot || task.NodeID}.${task.ID}`,
        ip,
        nodeId: task.NodeID ?? '',
      }));
      this.#parts.set(network.ID, { network, tasks, endpoints, containers, services: servicesOn(tx, network, entries, network.ID === this.#ingress) });
    }
  }

  /** The networks node `nodeId` takes part in, as it sees them: those of its tasks, the ingress and attachable networks, once it has its own address on them. */
  viewFor(nodeId: string): NetworkViewMessage {
    const ids = new Set([...(this.#nodeNetworks.get(nodeId) ?? []), ...this.#everywhere]);
    const local = this.#localAddresses.get(nodeId) ?? {};
    const ranges = this.#ranges.get(nodeId) ?? {};
    const networks: NodeNetworkView[] = [];
    for (const id of [...ids].sort()) {
      const part = this.#parts.get(id);
      const localAddress = local[id]?.split('/')[0];
      if (!part || !localAddress) continue;
      networks.push(networkView(part, localAddress, nodeId, ranges[id]));
    }
    const tunnel = this.#tunnelFor(nodeId, networks);
    return { type: 'network-view', address: this.#underlay.get(nodeId) ?? '', networks, ...(tunnel && { tunnel }) };
  }

  /** The node's tunnel to every node it shares an encrypted network with; none when it shares none. */
  #tunnelFor(nodeId: string, networks: NodeNetworkView[]): TunnelView | undefined {
    const own = this.#tunnels.get(nodeId);
    if (!own || !networks.some((n) => n.encrypted)) return undefined;
    const byAddress = new Map([...this.#tunnels].map(([id, t]) => [t.address, id]));
    const peers = new Map<string, TunnelPeer>();
    for (const n of networks) {
      if (!n.encrypted) continue;
      for (const p of n.peers) {
        const id = byAddress.get(p.node);
        const underlay = id && this.#underlay.get(id);
        if (id && underlay && !peers.has(id)) peers.set(id, { node: underlay, address: p.node, publicKey: this.#tunnels.get(id)!.publicKey });
      }
    }
    return { address: own.address, peers: [...peers.values()].sort((a, b) => (a.address < b.address ? -1 : 1)) };
  }
}

/** networkViewFor computes one node's view; a dispatcher pass over many nodes builds one NetworkIndex instead. */
export function networkViewFor(tx: ReadTx, nodeId: string): NetworkViewMessage {
  return new NetworkIndex(tx).viewFor(nodeId);
}

function networkView(part: NetworkPart, localAddress: string, nodeId: string, attachableRange: string | undefined): NodeNetworkView {
  const n = part.network;
  const ipam = networkIpam(n);
  const encrypted = isEncrypted(n);
  return {
    id: n.ID,
    name: n.Spec.Name,
    vni: Number(n.DriverState?.Options?.[VXLAN_ID_OPTION] ?? 0),
    subnet: ipam?.Subnet ?? '',
    gateway: ipam?.Gateway ?? '',
    mtu: overlayMtu(n),
    internal: n.Spec.Internal ?? false,
    ingress: isIngress(n),
    attachable: n.Spec.Attachable ?? false,
    encrypted,
    localAddress,
    peers: part.endpoints.filter((e) => e.nodeId !== nodeId).map(({ ip, mac, node }) => ({ ip, mac, node })),
    services: part.services,
    tasks: part.tasks,
    ...(n.Spec.Attachable && attachableRange && { attachableRange }),
    containers: part.containers,
  };
}

/** The services with tasks on the network: their VIP, names, ingress ports and the tasks that take new connections. */
function servicesOn(tx: ReadTx, network: Network, entries: { task: Task; ip: string }[], ingress: boolean): ServiceEndpointView[] {
  const backends = new Map<string, string[]>();
  for (const { task, ip } of entries) {
    const list = backends.get(task.ServiceID) ?? [];
    if (task.Status.State === 'running' && task.DesiredState === 'running') list.push(ip);
    backends.set(task.ServiceID, list);
  }
  const out: ServiceEndpointView[] = [];
  for (const [id, ips] of backends) {
    const s = tx.services.get(id);
    if (!s) continue;
    const vip = s.Endpoint?.VirtualIPs?.find((v) => v.NetworkID === network.ID)?.Addr?.split('/')[0];
    const aliases = (s.Spec.TaskTemplate?.Networks ?? []).find((c) => c.Target === network.ID)?.Aliases ?? [];
    const ports: ServiceEndpointView['ports'] = [];
    if (ingress) {
      for (const p of s.Endpoint?.Ports ?? []) {
        const protocol = p.Protocol ?? 'tcp';
        if (publishMode(p) !== 'ingress' || !p.PublishedPort || !p.TargetPort || (protocol !== 'tcp' && protocol !== 'udp')) continue;
        ports.push({ protocol, published: p.PublishedPort, target: p.TargetPort });
      }
    }
    out.push({
      id,
      name: s.Spec.Name ?? '',
      aliases: [...aliases],
      ...(vip && { vip }),
      ports,
      ...(s.Spec.Labels?.[INGRESS_POLICY_LABEL] === 'local' && { ingressPolicy: 'local' as const }),
      backends: ips,
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * viewChanged tells whether a change may alter some node's network view: networks, services
 * and nodes always; a task only when its node, its addresses, whether it
 * has ended or whether it takes connections changed — not for each step from pending to running.
 */
export function viewChanged(c: Change): boolean {
  if (c.kind === 'network' || c.kind === 'service' || c.kind === 'node') return true;
  if (c.kind !== 'task') return false;
  if (c.action !== 'update' || !c.old) return (c.object.NetworksAttachments?.length ?? 0) > 0;
  return taskViewKey(c.old) !== taskViewKey(c.object);
}

function taskViewKey(t: Task): string {
  const addresses = (t.NetworksAttachments ?? []).map((a) => a.Addresses?.[0] ?? '').join(',');
  const serving = t.Status.State === 'running' && t.DesiredState === 'running';
  return `${t.NodeID ?? ''}|${addresses}|${isTerminal(t.Status.State)}|${serving}`;
}
