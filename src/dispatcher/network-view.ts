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
  type ServiceEndpointView,
  type Task,
  type TaskEndpointView,
} from '../types/index.js';

/** What every node on one network sees alike. */
interface NetworkPart {
  network: Network;
  /** Tasks with an address on the network, by id. */
  tasks: TaskEndpointView[];
  services: ServiceEndpointView[];
  /** Every endpoint on the network (tasks and nodes' own addresses) with the underlay address of its node. */
  endpoints: (OverlayPeer & { nodeId: string })[];
}

export class NetworkIndex {
  readonly #parts = new Map<string, NetworkPart>();
  /** Networks of each node's non-terminal tasks. */
  readonly #nodeNetworks = new Map<string, Set<string>>();
  readonly #ingress: string | undefined;
  readonly #localAddresses = new Map<string, Record<string, string>>();
  readonly #keys: NetworkViewMessage['keys'];

  constructor(tx: ReadTx) {
    const networks = new Map(tx.networks.list().map((n) => [n.ID, n]));
    this.#ingress = [...networks.values()].find(isIngress)?.ID;
    const underlay = new Map<string, string>();
    for (const n of tx.nodes.list()) {
      if (n.Status.Addr) underlay.set(n.ID, n.Status.Addr);
      this.#localAddresses.set(n.ID, n.BerthNetworkAddresses ?? {});
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
      for (const { task, ip } of entries) {
        const node = task.NodeID ? underlay.get(task.NodeID) : undefined;
        if (node) endpoints.push({ ip, mac: macForAddress(ip), node, nodeId: task.NodeID! });
      }
      for (const [nodeId, addresses] of this.#localAddresses) {
        const ip = addresses[network.ID]?.split('/')[0];
        const node = underlay.get(nodeId);
        if (ip && node) endpoints.push({ ip, mac: macForAddress(ip), node, nodeId });
      }
      const tasks = entries.map(({ task, ip }) => ({
        id: task.ID,
        serviceId: task.ServiceID,
        name: `${task.BerthService.Name}.${task.Slot || task.NodeID}.${task.ID}`,
        ip,
        nodeId: task.NodeID ?? '',
      }));
      this.#parts.set(network.ID, { network, tasks, endpoints, services: servicesOn(tx, network, entries, network.ID === this.#ingress) });
    }
    const keys = tx.cluster()?.BerthNetworkKeys ?? [];
    this.#keys = keys.length > 0 ? keys.map((k) => ({ key: k.Key, serial: k.Serial })) : undefined;
  }

  /** The networks node `nodeId` takes part in, as it sees them: those of its tasks and the ingress network, once it has its own address on them. */
  viewFor(nodeId: string): NetworkViewMessage {
    const ids = new Set(this.#nodeNetworks.get(nodeId));
    if (this.#ingress) ids.add(this.#ingress);
    const local = this.#localAddresses.get(nodeId) ?? {};
    const networks: NodeNetworkView[] = [];
    for (const id of [...ids].sort()) {
      const part = this.#parts.get(id);
      const localAddress = local[id]?.split('/')[0];
      if (!part || !localAddress) continue;
      networks.push(networkView(part, localAddress, nodeId));
    }
    const encrypted = networks.some((n) => n.encrypted);
    return { type: 'network-view', networks, ...(encrypted && this.#keys && { keys: this.#keys }) };
  }
}

/** networkViewFor computes one node's view; a dispatcher pass over many nodes builds one NetworkIndex instead. */
export function networkViewFor(tx: ReadTx, nodeId: string): NetworkViewMessage {
  return new NetworkIndex(tx).viewFor(nodeId);
}

function networkView(part: NetworkPart, localAddress: string, nodeId: string): NodeNetworkView {
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
 * viewChanged tells whether a change may alter some node's network view: networks, services,
 * nodes and the cluster (its keys) always; a task only when its node, its addresses, whether it
 * has ended or whether it takes connections changed — not for each step from pending to running.
 */
export function viewChanged(c: Change): boolean {
  if (c.kind === 'network' || c.kind === 'service' || c.kind === 'node') return true;
  if (c.kind === 'cluster') return c.object.BerthNetworkKeys !== c.old?.BerthNetworkKeys;
  if (c.kind !== 'task') return false;
  if (c.action !== 'update' || !c.old) return (c.object.NetworksAttachments?.length ?? 0) > 0;
  return taskViewKey(c.old) !== taskViewKey(c.object);
}

function taskViewKey(t: Task): string {
  const addresses = (t.NetworksAttachments ?? []).map((a) => a.Addresses?.[0] ?? '').join(',');
  const serving = t.Status.State === 'running' && t.DesiredState === 'running';
  return `${t.NodeID ?? ''}|${addresses}|${isTerminal(t.Status.State)}|${serving}`;
}
